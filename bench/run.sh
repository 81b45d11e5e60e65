#!/usr/bin/env bash
# bench/run.sh - Kiln's benchmark: every MLPerf Tiny model with TFLM reference
# data (../shared/reference/tflm), in one run: instructions per inference and
# per MAC on the emulated Cortex-M7 with a per-layer profile, host latency,
# arena vs its lower bound, code size, blob bytes and the bytes one inference
# reads from the weights blob, next to TFLM + CMSIS-NN's figures and the
# issues' targets.  Numbers, not pass/fail (no test depends on speed).
# Writes build/bench/results.{json,md}; `make bench` adds --record, which
# updates bench/results/latest.json and docs/performance.md.
#
#   bench/run.sh [--quick] [--models a,b] [--no-qemu] [--weights external|inline]
#                [--baseline DIR] [--runs N] [--out DIR] [--record]
#
# The work is done by bench/bench.py (python3, standard library only).
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" bench/bench.py "$@"
