#!/usr/bin/env bash
# bench/integrity.sh - what the blob check costs at init on the emulated
# Cortex-M7, in each --integrity mode, in instructions per KiB of payload.
#
# For each model: `kiln generate --integrity crc32` and `--integrity sha256`,
# then bench/integrity_fw.c (built like the validation firmware:
# arm-none-eabi-gcc -Os (KILN_INTEGRITY_OPT) -mcpu=cortex-m7, the runtime, the generated NET.c)
# runs kiln_net_init once on the blob memory-mapped at 0x60000000 under QEMU
# mps2-an500 with -icount shift=0, where one 25 MHz SysTick tick is exactly
# 40 instructions.  It also times kiln_crc32 and kiln_sha256 alone over the
# payload.  QEMU counts instructions, not cycles: no flash wait states, no
# caches (see bench/README.md for what that means on silicon).  Numbers, not
# pass/fail.  Writes build/bench/integrity.md.
#
#   bench/integrity.sh [MODEL.tflite|MODEL.onnx ...]
#   (default: ../shared/models/mlperf_tiny/vww_96_int8.tflite and ad01_fp32.tflite)
set -u
cd "$(dirname "$0")/.."
KILN="${KILN:-$PWD/build/kiln}"
SHARED="${SHARED:-$PWD/../shared}"
CC=${KILN_ARM_CC:-arm-none-eabi-gcc}
QEMU=${KILN_QEMU:-qemu-system-arm}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$SHARED/models/mlperf_tiny/vww_96_int8.tflite" "$SHARED/models/mlperf_tiny/ad01_fp32.tflite")
[ -x "$KILN" ] || { echo "bench/integrity.sh: $KILN not built (run make)" >&2; exit 2; }
command -v "$CC" >/dev/null && command -v "$QEMU" >/dev/null ||
    { echo "bench/integrity.sh: needs $CC and $QEMU" >&2; exit 2; }
out=build/bench
work=$out/integrity
mkdir -p "$work"

# The same flags as the validation firmware (compiler/target/qemu_build.c).
ARCH="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16"
OPT=${KILN_INTEGRITY_OPT:--Os} # what make arm and the validation firmware ship; -O2 takes the unrolled SHA-256
CFLAGS="$ARCH $OPT -std=c99 -Wall -Wextra -Werror -pedantic -ffunction-sections -fdata-sections -Iinclude"
FW=firmware/qemu-mps2-an500

# The runtime once, as a library: the linker takes what the network uses.
rm -f "$work/librt.a"
for src in runtime/*.c runtime/kernels/*.c; do
    $CC $CFLAGS -c -o "$work/$(echo "${src%.c}" | tr / _).o" "$src" || exit 2
done
arm-none-eabi-ar rcs "$work/librt.a" "$work"/runtime_*.o || exit 2

per_kib() { python3 -c "import sys; print(f'{int(sys.argv[1]) * 40 / (int(sys.argv[2]) / 1024):,.0f}')" "$1" "$2"; }
grp() { printf "%d" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
val() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

{
    echo "| model | payload bytes | mode | init instructions | init insns/KiB | kiln_crc32 insns/KiB | kiln_sha256 insns/KiB |"
    echo "|---|---|---|---|---|---|---|"
} >"$out/integrity.md"
status=0
for model in "${models[@]}"; do
    m=$(basename "${model%.*}")
    for mode in crc32 sha256; do
        d=$work/$m-$mode
        rm -rf "$d"
        if ! "$KILN" generate "$model" -o "$d" --name net --integrity $mode -q >"$d.log" 2>&1; then
            echo "bench/integrity.sh: $m: generate failed, see $d.log" >&2; status=2; continue
        fi
        if ! $CC $CFLAGS -I"$d" -I$FW -DKILN_NET=net -nostartfiles -Wl,--gc-sections -T$FW/mps2-an500.ld \
                -o "$d/bench.elf" bench/integrity_fw.c $FW/startup.c $FW/uart.c $FW/ticks.c $FW/semihost.c \
                $FW/frames.c "$d/net.c" "$work/librt.a" -lm >>"$d.log" 2>&1; then
            echo "bench/integrity.sh: $m: firmware build failed, see $d.log" >&2; status=2; continue
        fi
        line=$(timeout 600 "$QEMU" -M mps2-an500 -nographic -monitor none -serial stdio -no-reboot \
               -semihosting-config enable=on,target=native -icount shift=0 -kernel "$d/bench.elf" \
               -device loader,file="$d/net_data.bin",addr=0x60000000,force-raw=on 2>>"$d.log" | tr -d '\r')
        echo "$m $mode: $line"
        if [ "$(val status "$line")" != KILN_OK ]; then
            echo "bench/integrity.sh: $m $mode: init did not accept the blob: $line" >&2; status=2; continue
        fi
        p=$(val payload_bytes "$line") ti=$(val init_ticks "$line")
        echo "| $m | $(grp "$p") | $mode | $(grp $((ti * 40))) | $(per_kib "$ti" "$p") |" \
             "$(per_kib "$(val crc32_ticks "$line")" "$p") | $(per_kib "$(val sha256_ticks "$line")" "$p") |" \
             >>"$out/integrity.md"
    done
done
echo
cat "$out/integrity.md"
exit $status
