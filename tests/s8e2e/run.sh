#!/usr/bin/env bash
# run.sh - the int8 kernels' own end-to-end check: each MLPerf-Tiny int8
# model, lowered by lower_s8 and run on TFLM's seed inputs, must reproduce
# TFLM's reference outputs byte for byte.  Needs `make` done first.
#   tests/s8e2e/run.sh [MODEL...]
set -u
cd "$(dirname "$0")/../.."
out=build/s8e2e
mkdir -p "$out"
cc -std=c11 -O2 -Wall -Iinclude -Icompiler -I. -o "$out/irtxt_run" tests/s8e2e/irtxt_run.c \
    build/libkilnc.a build/libkilnrt.a -lcjson -lm || exit 2
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(ad01_int8 kws_ref_model vww_96_int8 pretrainedResnet_quant str_ww_ref_model)
pass=0 fail=0
for m in "${models[@]}"; do
    /usr/bin/python3 tests/s8e2e/tflite2txt.py ../shared/models/mlperf_tiny/$m.tflite "$out/$m.txt" || { fail=$((fail+1)); continue; }
    "$out/irtxt_run" "$out/$m.txt" > "$out/$m.c" || { echo "FAIL $m (lowering)"; fail=$((fail+1)); continue; }
    cc -O2 -Iinclude -o "$out/$m" "$out/$m.c" build/libkilnrt.a -lm || { fail=$((fail+1)); continue; }
    for s in 1 2 3; do
        ref=../shared/reference/tflm/$m/seed$s
        "$out/$m" "$ref.in" "$out/$m.seed$s.out"
        if cmp -s "$out/$m.seed$s.out" "$ref.out"; then
            pass=$((pass+1)); echo "PASS $m seed$s"
        else
            fail=$((fail+1)); echo "FAIL $m seed$s: $(cmp -l "$out/$m.seed$s.out" "$ref.out" | wc -l) bytes differ"
        fi
    done
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
