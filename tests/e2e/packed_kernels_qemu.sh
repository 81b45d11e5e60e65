#!/usr/bin/env bash
# packed_kernels_qemu.sh - the packed int8 kernels against the plain ones on
# the emulated Cortex-M7 (QEMU mps2-an500): the random cases of
# tests/kernels/packed_cases.c built into a test firmware, once for each
# CPU whose code the board runs: cortex-m7 and cortex-m4 (the DSP path:
# SMLAD micro-kernels, short requantization with SMLAL) and cortex-m3 (the
# portable C path).  The firmware exits with the number of failing families.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib/kernel_fw.sh
for cpu in "cortex-m7:-mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16" \
           "cortex-m4:-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16" \
           "cortex-m3:-mcpu=cortex-m3 -mfloat-abi=soft"; do
    name=${cpu%%:*}; flags=${cpu#*:}
    fw_build "$name" "$flags -Os" tests/kernels/fw_main.c tests/kernels/packed_cases.c compiler/passes/pack_s8.c &&
        fw_run "$name" 600 19 "every packed kernel equals the plain one"
done
fw_summary
