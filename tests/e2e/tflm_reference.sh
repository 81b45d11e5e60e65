#!/usr/bin/env bash
# slow: yes
# san: yes
# tflm_reference.sh - every model in ../shared/reference/tflm/ on each of its
# seeds, through the whole chain (TFLite importer -> passes -> lowering ->
# generated C -> runtime kernels), against TFLite-Micro's own outputs:
# int8 outputs identical (0 LSB), float outputs within the default tolerance
# (all seeds of a model in one run, as a batch),
# with --weights inline and --weights external; the int8 models also with
# --kernels compact and --kernels plain.
#
# Then the other TFLite models of ../shared/models/ (no TFLM outputs given):
# they must compile and run; their outputs are checked against the reference
# evaluator on random inputs (within 1 LSB for int8: the evaluator rounds the
# real-valued result, the kernels use TFLite's fixed-point arithmetic), and
# the ones Kiln refuses must be refused with a reason.  The stateful
# keyword_scrambled models run 4 invocations in a row (the evaluator's
# session keeps their SVDF state too); tests/e2e/svdf_models.sh checks them
# in depth.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
REF=../shared/reference/tflm
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# A model's seeds go in as one batch (the .in/.out files are raw tensors, so
# their concatenation is N samples): one compile per model and mode, and
# validate compares every sample and fails if any one differs.
for d in "$REF"/*/; do
    n=$(basename "$d")
    m=$(ls ../shared/models/*/"$n".tflite 2>/dev/null | head -1)
    [ -n "$m" ] || { echo "FAIL $n: model file not found"; fail=$((fail+1)); continue; }
    seeds=()
    for seed in 1 2 3; do [ -f "$d/seed$seed.in" ] && seeds+=($seed); done
    [ ${#seeds[@]} -gt 0 ] || continue
    : >"$tmp/$n.in"; : >"$tmp/$n.out"
    for seed in "${seeds[@]}"; do cat "$d/seed$seed.in" >>"$tmp/$n.in"; cat "$d/seed$seed.out" >>"$tmp/$n.out"; done
    for w in external inline; do
        out=$("$KILN" validate "$m" --weights $w --input "$tmp/$n.in" --expected "$tmp/$n.out" 2>&1)
        if [ $? -eq 0 ] && grep -q "^result: PASS.*; ${#seeds[@]} samples)" <<<"$out"; then
            pass=$((pass+1)); echo "ok   $n seeds ${seeds[*]} $w: $(grep -m1 -oE 'all [0-9]+ samples:.*(max_abs [^ ]+|max_lsb [0-9]+)' <<<"$out" | grep -oE 'max_abs [^ ]+|max_lsb [0-9]+' | tail -1)"
        else
            fail=$((fail+1)); echo "FAIL $n seeds ${seeds[*]} $w"; echo "$out" | tail -8 | sed 's/^/     /'
        fi
    done
done
# The int8 models again with the other int8 kernels: int8-weight packing
# (--kernels compact) and the plain reference loops (--kernels plain).
for n in kws_ref_model vww_96_int8 pretrainedResnet_quant ad01_int8 str_ww_ref_model; do
    d=$REF/$n; m=../shared/models/mlperf_tiny/$n.tflite
    [ -f "$d/seed1.in" ] || continue
    for k in compact plain; do
        out=$("$KILN" validate "$m" --kernels $k --input "$d/seed1.in" --expected "$d/seed1.out" 2>&1)
        if [ $? -eq 0 ]; then
            pass=$((pass+1)); echo "ok   $n seed 1 --kernels $k"
        else
            fail=$((fail+1)); echo "FAIL $n seed 1 --kernels $k"; echo "$out" | tail -6 | sed 's/^/     /'
        fi
    done
done
echo "TFLM reference: $pass passed, $fail failed"

others=0
for m in ../shared/models/tflm/hello_world_int8.tflite ../shared/models/tflm/hello_world_float.tflite \
         ../shared/models/tflm/micro_speech_quantized.tflite ../shared/models/tflm/person_detect.tflite \
         ../shared/models/tflm/keyword_scrambled.tflite ../shared/models/tflm/keyword_scrambled_8bit.tflite; do
    [ -f "$m" ] || continue
    samples=2
    case $m in *keyword_scrambled*) samples=4 ;; esac
    out=$("$KILN" validate "$m" --seed 3 --samples $samples --max-lsb 1 2>&1)
    if [ $? -eq 0 ]; then
        pass=$((pass+1)); others=$((others+1)); echo "ok   $(basename "$m"): compiles, runs, matches the reference evaluator"
    else
        fail=$((fail+1)); echo "FAIL $(basename "$m")"; echo "$out" | tail -6 | sed 's/^/     /'
    fi
done
echo "summary: $pass passed, $fail failed (other models run: $others)"
[ $fail -eq 0 ]
