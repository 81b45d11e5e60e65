#!/usr/bin/env bash
# tflm_reference_qemu.sh - the int8 MLPerf Tiny models against TFLite-Micro's
# own outputs (../shared/reference/tflm) on the emulated Cortex-M7
# (`kiln validate --target qemu`), 0 LSB: every seed with the default
# kernels (packed, int16 weights, the DSP assembly), and seed 1 with
# `--kernels compact` (int8 weights), with `--kernels plain` and with
# `--cpu cortex-m3` (the portable C path: no DSP extension).  Each run also
# prints its instruction count.  Prints SKIP and passes without QEMU or the
# Arm compiler.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "SKIP: qemu-system-arm or arm-none-eabi-gcc not installed"; echo "summary: 0 passed, 0 failed (skipped)"; exit 0
fi
REF=../shared/reference/tflm
pass=0 fail=0
run() { # model seed label options...
    local n=$1 seed=$2 label=$3; shift 3
    local m=../shared/models/mlperf_tiny/$n.tflite d=$REF/$n
    [ -f "$d/seed$seed.in" ] || return
    out=$("$KILN" validate "$m" --target qemu --input "$d/seed$seed.in" --expected "$d/seed$seed.out" "$@" 2>&1)
    if [ $? -eq 0 ] && grep -q 'max_lsb 0' <<<"$out"; then
        pass=$((pass+1)); echo "ok   $n seed $seed $label: $(grep -m1 -oE 'instructions per inference: [0-9]+' <<<"$out")"
    else
        fail=$((fail+1)); echo "FAIL $n seed $seed $label"; echo "$out" | tail -8 | sed 's/^/     /'
    fi
}
for n in kws_ref_model vww_96_int8 pretrainedResnet_quant ad01_int8 str_ww_ref_model; do
    [ -d "$REF/$n" ] || continue
    for seed in 1 2 3; do
        run $n $seed "fast"
    done
    run $n 1 "compact" --kernels compact
    run $n 1 "plain" --kernels plain
    run $n 1 "cortex-m3" --cpu cortex-m3
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
