#!/usr/bin/env bash
# packed_f32_qemu.sh - the packed float32 kernels against the plain ones on
# the emulated Cortex-M7 (QEMU mps2-an500): the random cases of
# tests/kernels/f32_cases.c built into a test firmware for cortex-m7 (FPv5:
# the assembly 2x8/1x8/1x16 tiles) and for cortex-m3 (no FPU: the portable C
# tiles, completely unrolled, on soft float; fewer cases, as soft float is
# slow).  The firmware exits with the number of failing families.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib/kernel_fw.sh
for cpu in "cortex-m7:1000:-mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16" \
           "cortex-m3:300:-mcpu=cortex-m3 -mfloat-abi=soft"; do
    name=${cpu%%:*}; rest=${cpu#*:}; n=${rest%%:*}; flags=${rest#*:}
    fw_build "$name" "$flags -O2 -DN_CASES=${n}u" tests/kernels/f32_fw_main.c tests/kernels/f32_cases.c \
        compiler/passes/pack_f32.c &&
        fw_run "$name" 900 4 "every packed float kernel within rounding of the plain one"
done
fw_summary
