#!/usr/bin/env bash
# demo.sh - Kiln's main job, end to end, on the bundled keyword-spotting model
# (MLPerf Tiny DS-CNN, int8; examples/models/kws/):
#
#   1. analyze   what the model costs, layer by layer
#   2. compile   C code + a weights blob for external flash at 0x90000000
#   3. program   the blob into a simulated STM32H747I-DISCO QSPI flash (NOR rules and timings),
#                and export Intel HEX for STM32CubeProgrammer / J-Flash / OpenOCD
#   4. validate  the generated code on the host, running on the blob *read back from the flash*,
#                against TensorFlow Lite Micro's output for the same input (must be identical)
#   5. on target the same firmware on an emulated Cortex-M7 (QEMU mps2-an500), blob at 0x60000000
#   6. guard     erase the flash, or program another model's blob: the generated code refuses to run
#
# Run by `make demo`.  Everything it writes goes to out/demo/.  Exit 0 when every step
# behaved as it should (including the refusals in step 6).
set -u
cd "$(dirname "$0")/.."
KILN=${KILN:-$PWD/build/kiln}
M=examples/models/kws
OUT=out/demo
BOARD=stm32h747i-disco
ADDR=0x90000000
rm -rf "$OUT"
mkdir -p "$OUT"
failures=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
expect_fail() { # the command must exit 2 and say why
    printf '$ %s\n' "$*"
    local out rc
    out=$("$@" 2>&1); rc=$?
    echo "$out" | sed 's/^/  /'
    if [ $rc -eq 2 ]; then echo "  -> refused (exit 2), as it must be"; else echo "  -> UNEXPECTED exit $rc"; failures=$((failures+1)); fi
}
check() { if "$@"; then :; else echo "  -> UNEXPECTED failure"; failures=$((failures+1)); fi; }

step "1. analyze: the bundled model (MLPerf Tiny keyword spotting, int8)"
check run "$KILN" analyze $M/kws_ref_model.tflite

step "2. compile: C99 + weights blob for external flash at $ADDR"
check run "$KILN" generate $M/kws_ref_model.tflite --name kws --weights external --address $ADDR -o $OUT/kws -q
ls -l $OUT/kws | sed 's/^/  /'
check run "$KILN" blob info $OUT/kws/kws_data.bin

step "3. program: the blob into $BOARD's QSPI flash (simulated), and a HEX file for vendor tools"
check run "$KILN" flash write $OUT/kws/kws_data.bin --board $BOARD --address $ADDR --device $OUT/h747_qspi.img
echo "  (writing the same blob again: every sector already holds it, so nothing is erased or programmed)"
check run "$KILN" flash write $OUT/kws/kws_data.bin --board $BOARD --address $ADDR --device $OUT/h747_qspi.img
check run "$KILN" flash verify $OUT/kws/kws_data.bin --board $BOARD --address $ADDR --device $OUT/h747_qspi.img
check run "$KILN" flash export $OUT/kws/kws_data.bin --address $ADDR --format ihex -o $OUT/kws_data.hex
head -3 $OUT/kws_data.hex | sed 's/^/  /'

step "4. validate on the host, with the blob as read back from the flash, against TFLite-Micro"
size=$(stat -c %s $OUT/kws/kws_data.bin)
check run "$KILN" flash read --board $BOARD --address $ADDR --size "$size" --device $OUT/h747_qspi.img -o $OUT/readback.bin
check run "$KILN" validate $M/kws_ref_model.tflite --name kws --address $ADDR --input $M/seed1.in \
    --expected $M/seed1.out --blob $OUT/readback.bin --json $OUT/validate_host.json

step "5. validate on an emulated Cortex-M7 (QEMU mps2-an500, blob in its 'external' memory at 0x60000000)"
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null; then
    check run "$KILN" validate $M/kws_ref_model.tflite --name kws --target qemu --input $M/seed1.in \
        --expected $M/seed1.out --json $OUT/validate_qemu.json
else
    echo "  qemu-system-arm or arm-none-eabi-gcc missing: scripts/install-deps.sh installs them"
    failures=$((failures+1))
fi

step "6. guard: the generated code refuses to run on a bad blob, and says why"
echo "  a) the flash was erased (a new board, or a mass erase by another tool):"
check run "$KILN" flash erase --board $BOARD --device $OUT/h747_qspi.img --all
check run "$KILN" flash read --board $BOARD --address $ADDR --size "$size" --device $OUT/h747_qspi.img -o $OUT/erased.bin
expect_fail "$KILN" validate $M/kws_ref_model.tflite --name kws --address $ADDR --input $M/seed1.in \
    --expected $M/seed1.out --blob $OUT/erased.bin
echo "  b) the flash holds another model's weights (a stale blob after a firmware update):"
check run "$KILN" generate tests/models/small_cnn.onnx --weights external -o $OUT/other -q
expect_fail "$KILN" validate $M/kws_ref_model.tflite --name kws --address $ADDR --input $M/seed1.in \
    --expected $M/seed1.out --blob $OUT/other/small_cnn_data.bin

echo
if [ $failures -eq 0 ]; then
    echo "demo: every step behaved as it should. Files are in $OUT/."
else
    echo "demo: $failures step(s) did not behave as they should."
fi
[ $failures -eq 0 ]
