#!/usr/bin/env bash
# packed_f32_qemu.sh - the packed float32 kernels against the plain ones on
# the emulated Cortex-M7 (QEMU mps2-an500): the random cases of
# tests/kernels/f32_cases.c built into a test firmware for cortex-m7 (FPv5:
# the assembly 2x8/1x8/1x16 tiles) and for cortex-m3 (no FPU: the portable C
# tiles, completely unrolled, on soft float; fewer cases, as soft float is
# slow).  The firmware exits with the number of failing families.
set -u
cd "$(dirname "$0")/../.."
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc missing (scripts/install-deps.sh installs it)"; exit 1; }
command -v qemu-system-arm >/dev/null || { echo "qemu-system-arm missing (scripts/install-deps.sh installs it)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FW=firmware/qemu-mps2-an500
srcs=(tests/kernels/f32_fw_main.c tests/kernels/f32_cases.c compiler/passes/pack_f32.c
      $FW/startup.c $FW/semihost.c $FW/uart.c $FW/frames.c $FW/ticks.c runtime/crc32.c runtime/kernels/*.c)
pass=0 fail=0
for cpu in "cortex-m7:1000:-mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16" \
           "cortex-m3:300:-mcpu=cortex-m3 -mfloat-abi=soft"; do
    name=${cpu%%:*}; rest=${cpu#*:}; n=${rest%%:*}; flags=${rest#*:}
    mkdir -p "$tmp/$name"
    objs=()
    ok=1
    for s in "${srcs[@]}"; do
        o="$tmp/$name/$(echo "${s%.c}" | tr / _).o"
        arm-none-eabi-gcc $flags -mthumb -O2 -std=c99 -Wall -Wextra -Werror -pedantic \
            -ffunction-sections -fdata-sections -Iinclude -Icompiler -I. -Itests/kernels -DN_CASES=${n}u \
            -c "$s" -o "$o" 2>>"$tmp/$name/build.log" || { ok=0; break; }
        objs+=("$o")
    done
    if [ $ok = 1 ]; then
        arm-none-eabi-gcc $flags -mthumb -nostartfiles -Wl,--gc-sections -T$FW/mps2-an500.ld \
            "${objs[@]}" -lm -o "$tmp/$name/fw.elf" 2>>"$tmp/$name/build.log" || ok=0
    fi
    if [ $ok = 0 ]; then
        fail=$((fail+1)); echo "FAIL $name: the test firmware did not build"; tail -20 "$tmp/$name/build.log"
        continue
    fi
    out=$(timeout 900 qemu-system-arm -M mps2-an500 -nographic -monitor none -serial stdio -no-reboot \
          -semihosting-config enable=on,target=native -kernel "$tmp/$name/fw.elf" 2>&1)
    rc=$?
    echo "$out" | sed "s/^/     $name: /"
    if [ $rc -eq 0 ] && [ "$(grep -c ' 0 failing' <<<"$out")" -eq 4 ]; then
        pass=$((pass+1)); echo "ok   $name: every packed float kernel within rounding of the plain one"
    else
        fail=$((fail+1)); echo "FAIL $name: exit status $rc"
    fi
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
