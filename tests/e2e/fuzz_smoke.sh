#!/usr/bin/env bash
# slow: yes
# fuzz_smoke.sh - every fuzz harness builds and runs briefly, so none can rot
# between `make fuzz` campaigns.
#
# Builds tests/fuzz/fuzz_*.c with libFuzzer when clang has it, else with the
# plain driver (gcc + ASan/UBSan, tests/fuzz/driver.c), and per target runs:
# the seed corpus and a short mutation run with a fixed seed (SMOKE_RUNS
# inputs, at most SMOKE_SECONDS), then every saved reproducer in
# tests/fuzz/regressions/<target>/ (each must pass: they are what fuzzing
# found, and a reproducer fails until its bug is fixed).  Then the C Kiln
# emits for a sample of the seed models and for every model reproducer must
# build strictly and define nothing but the network (check_emit.sh).  A crash
# input is kept in build/fuzz/smoke/.  Not a campaign: `make fuzz` is
# (tests/fuzz/README.md).
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
RUNS=${SMOKE_RUNS:-3000}
SECS=${SMOKE_SECONDS:-10}
TARGETS="onnx tflite tensor blob infer board vproto firmware gdb"
ENGINE=${FUZZ_ENGINE:-}   # libfuzzer or driver; default: libfuzzer where clang has it
if [ -z "$ENGINE" ]; then
    if bash tests/fuzz/have_libfuzzer.sh; then ENGINE=libfuzzer; else ENGINE=driver; fi
fi
BIN=build/fuzz/$ENGINE
keep=build/fuzz/smoke
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
first_error() { grep -m1 -E 'ERROR: |runtime error|broken promise' "$1" | cut -c1-200; }

echo "engine: $ENGINE"
mkdir -p build/fuzz
built=1
make -s -f tests/fuzz/fuzz.mk -j2 ENGINE="$ENGINE" KILN="$KILN" >build/fuzz/smoke-build.log 2>&1 || built=0
for t in $TARGETS; do [ -x "$BIN/fuzz_$t" ] || built=0; done
if [ $built = 0 ]; then
    tail -n 30 build/fuzz/smoke-build.log
    echo "summary: 0/1 the fuzz harnesses do not build"
    exit 1
fi
rm -rf "$keep" && mkdir -p "$keep"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Seeds, then fuzzing from them: libFuzzer's own mutator, or the driver's.
for t in $TARGETS; do
    mkdir -p "$tmp/$t" "$keep/$t"
    if "$BIN/fuzz_$t" -runs="$RUNS" -max_total_time="$SECS" -seed=1 -max_len=65536 -timeout=30 \
        -artifact_prefix="$keep/$t/" "$tmp/$t" "tests/fuzz/corpus/$t" >"$keep/$t.log" 2>&1; then
        ok "$t: seeds and mutants ($(grep -oE '^(Done [0-9]+ runs in [0-9]+ second|driver: .*ran)' "$keep/$t.log" | tail -1))"
    else
        bad "$t: crashed, input kept in $keep/$t/: $(first_error "$keep/$t.log")"
    fi
done

# Reproducers of what fuzzing found: fixed bugs stay fixed.
for t in $TARGETS; do
    for f in tests/fuzz/regressions/"$t"/*; do
        [ -f "$f" ] || continue
        if "$BIN/fuzz_$t" "$f" >"$tmp/reg.log" 2>&1; then
            ok "reproducer $f"
        else
            cp "$tmp/reg.log" "$keep/$t/$(basename "$f").log"
            bad "reproducer $f: $(first_error "$tmp/reg.log")"
        fi
    done
done

# The C emitted for a sample of the seed models, and for every model
# reproducer, must build strictly and define nothing but the network.
emit_check() { # label max harness dir
    local out
    [ -n "$(ls "$4" 2>/dev/null)" ] || return 0
    if out=$(bash tests/fuzz/check_emit.sh -n "$2" "$3" "$4" 2>&1); then
        ok "emitted C, $1: $(tail -1 <<<"$out")"
    else
        bad "emitted C, $1: $(grep -E '^(FAIL|summary)' <<<"$out" | cut -c1-300)"
    fi
}
for t in onnx tflite; do
    emit_check "$t seeds" "${SMOKE_EMIT:-12}" "$BIN/fuzz_$t" "tests/fuzz/corpus/$t"
    emit_check "$t reproducers" 1000 "$BIN/fuzz_$t" "tests/fuzz/regressions/$t"
done
echo "summary: $pass/$((pass + fail)) fuzz smoke checks passed ($ENGINE)"
[ $fail -eq 0 ]
