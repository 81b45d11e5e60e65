#!/usr/bin/env bash
# slow: yes
# tflm_reference_qemu.sh - the int8 MLPerf Tiny models against TFLite-Micro's
# own outputs (../shared/reference/tflm) on the emulated Cortex-M7
# (`kiln validate --target qemu`), 0 LSB.
#
# Default (make test): every model with the default kernels (packed, int16
# weights, the DSP assembly) on all its seeds at once (one firmware, the
# seeds as a batch along the leading dimension), then the other kernel
# paths on one model each: `--kernels compact` (int8 weights) and
# `--cpu cortex-m3` (the portable C path: no DSP extension) on
# kws_ref_model (conv, depthwise and FC), `--kernels plain` on ad01_int8.
# KILN_TFLM_FULL=1 (make test-long) runs the whole matrix: every model,
# every seed alone, with fast, compact, plain and cortex-m3.  Each run also
# prints its instruction count (per inference of the batch).  Prints SKIP
# and passes without QEMU or the Arm compiler.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "SKIP: qemu-system-arm or arm-none-eabi-gcc not installed"; echo "summary: 0 passed, 0 failed (skipped)"; exit 0
fi
REF=../shared/reference/tflm
MODELS="kws_ref_model vww_96_int8 pretrainedResnet_quant ad01_int8 str_ww_ref_model"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # model label input expected options...
    local n=$1 label=$2 in=$3 exp=$4; shift 4
    out=$("$KILN" validate ../shared/models/mlperf_tiny/$n.tflite --target qemu --input "$in" --expected "$exp" "$@" 2>&1)
    if [ $? -eq 0 ] && grep -q 'max_lsb 0' <<<"$out" && ! grep -qE 'max_lsb [1-9]' <<<"$out"; then
        pass=$((pass+1)); echo "ok   $n $label: $(grep -m1 -oE 'instructions per inference: [0-9]+' <<<"$out")"
    else
        fail=$((fail+1)); echo "FAIL $n $label"; echo "$out" | tail -8 | sed 's/^/     /'
    fi
}
one() { # model seed label options...
    local n=$1 seed=$2 label=$3 d=$REF/$1; shift 3
    [ -f "$d/seed$seed.in" ] || return 0
    check "$n" "seed $seed $label" "$d/seed$seed.in" "$d/seed$seed.out" "$@"
}
seeds() { # model: every seed of the model as one batch
    local n=$1 d=$REF/$1 ins=() outs=()
    for f in "$d"/seed*.in; do [ -f "${f%.in}.out" ] && ins+=("$f") && outs+=("${f%.in}.out"); done
    [ ${#ins[@]} -gt 0 ] || return 0
    cat "${ins[@]}" >"$tmp/$n.in"; cat "${outs[@]}" >"$tmp/$n.out"
    check "$n" "${#ins[@]} seeds fast" "$tmp/$n.in" "$tmp/$n.out"
}
if [ "${KILN_TFLM_FULL:-0}" = 1 ]; then
    for n in $MODELS; do
        [ -d "$REF/$n" ] || continue
        for seed in 1 2 3; do one $n $seed fast; done
        one $n 1 compact --kernels compact
        one $n 1 plain --kernels plain
        one $n 1 cortex-m3 --cpu cortex-m3
    done
else
    for n in $MODELS; do [ -d "$REF/$n" ] && seeds $n; done
    one kws_ref_model 1 compact --kernels compact
    one kws_ref_model 1 cortex-m3 --cpu cortex-m3
    one ad01_int8 1 plain --kernels plain
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
