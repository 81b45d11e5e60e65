#!/usr/bin/env bash
# san: yes
# tflite_int8_ext.sh - the int8 forms of the extended TFLite builtins
# (issue 11): each one-operator model written by tflite_int8_mkmodel.c runs
# through `kiln validate --target host --max-lsb 0` against the outputs of
# tests/gen/int8_ext_ref.py, an independent model of TFLite-Micro's integer
# arithmetic: GATHER, SELECT_V2, EXPAND_DIMS, REDUCE_MAX/MIN, ARG_MAX/MIN
# (int32 indices, ties), MAXIMUM/MINIMUM, the six comparisons with one and
# with two quantizations (negative zero points, broadcast, values equal
# after scaling), ABS and SQUARED_DIFFERENCE with one scale (saturating)
# and with two, RSQRT over every input above the zero point, ELU, GELU
# (exact and tanh: TFLite's float table), CUMSUM (plain, exclusive + reverse on
# a middle axis, sums past int32), PRELU (constant per-channel alpha; a
# broadcast alpha input), BATCH_MATMUL; each also
# against validate's own reference evaluator, exactly (no node computed in
# double; RSQRT, ELU and GELU are, within 1 LSB).  Refused with
# exit 2 and the reason: a comparison scale >= 1, a REDUCE_MAX that changes
# the quantization, an int8 LOG.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Itests -Icompiler -Iinclude \
    -o "$tmp/mk" tests/e2e/tflite_int8_mkmodel.c || { echo "FAIL tflite_int8_mkmodel does not build"; exit 1; }
"$tmp/mk" "$tmp" || { echo "FAIL tflite_int8_mkmodel"; exit 1; }
/usr/bin/python3 tests/gen/int8_ext_ref.py "$tmp/cases" || { echo "FAIL int8_ext_ref.py"; exit 1; }

pass=0 fail=0
for dir in "$tmp"/cases/*/; do
    name=$(basename "$dir")
    args=()
    for f in "$dir"in_*.npy; do args+=(--input "$f"); done
    if "$KILN" validate "$tmp/$name.tflite" "${args[@]}" --expected "$dir/out.npy" --max-lsb 0 \
        >"$tmp/run.txt" 2>&1 && grep -q 'result: PASS' "$tmp/run.txt"; then
        pass=$((pass+1))
    else
        fail=$((fail+1)); echo "FAIL $name:"; tail -6 "$tmp/run.txt" | sed 's/^/    /'
    fi
    # validate's default reference (compiler/ref/) must reproduce these integers too, exactly,
    # except RSQRT, which it computes in double (1 LSB, and says so)
    lsb=(--max-lsb 0); note='computed in double'
    case $name in rsqrt*|elu*|gelu*) lsb=(); note='no note expected';; esac
    if "$KILN" validate "$tmp/$name.tflite" "${args[@]}" "${lsb[@]}" >"$tmp/run.txt" 2>&1 &&
        grep -q 'result: PASS' "$tmp/run.txt" && ! grep -q "$note" "$tmp/run.txt"; then
        pass=$((pass+1))
    else
        fail=$((fail+1)); echo "FAIL $name (reference evaluator, exact):"; tail -6 "$tmp/run.txt" | sed 's/^/    /'
    fi
done

refused() {   # model, text the error must contain
    "$KILN" generate "$tmp/$1.tflite" -o "$tmp/out_$1" >"$tmp/run.txt" 2>&1; local rc=$?
    if [ $rc -eq 2 ] && grep -qF "$2" "$tmp/run.txt"; then pass=$((pass+1))
    else fail=$((fail+1)); echo "FAIL $1 must be refused (rc=$rc): $(tail -3 "$tmp/run.txt")"; fi
}
refused bad_greater_scale "needs a multiplier in (0, 1)"
refused bad_reduce_max_quant "requires equal scales and zero points"
refused bad_log "unsupported: LOG on quantized int8"
echo "summary: $pass/$((pass+fail)) int8 extended-op models bit-exact with the TFLM integer model or refused as required"
[ $fail -eq 0 ] && [ $pass -ge 63 ]
