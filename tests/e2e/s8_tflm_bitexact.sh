#!/usr/bin/env bash
# s8_tflm_bitexact.sh - the MLPerf-Tiny int8 models through lower_s8 and the
# int8 kernels (via tests/s8e2e, a stand-in importer/emitter) must equal
# TFLite-Micro's reference outputs byte for byte, every seed.
exec bash "$(dirname "$0")/../s8e2e/run.sh"
