#!/usr/bin/env bash
# packed_kernels_qemu.sh - the packed int8 kernels against the plain ones on
# the emulated Cortex-M7 (QEMU mps2-an500): the random cases of
# tests/kernels/packed_cases.c built into a test firmware, once for each
# CPU whose code the board runs: cortex-m7 and cortex-m4 (the DSP path:
# SMLAD micro-kernels, short requantization with SMLAL) and cortex-m3 (the
# portable C path).  The firmware exits with the number of failing families.
set -u
cd "$(dirname "$0")/../.."
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc missing (scripts/install-deps.sh installs it)"; exit 1; }
command -v qemu-system-arm >/dev/null || { echo "qemu-system-arm missing (scripts/install-deps.sh installs it)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FW=firmware/qemu-mps2-an500
srcs=(tests/kernels/fw_main.c tests/kernels/packed_cases.c compiler/passes/pack_s8.c
      $FW/startup.c $FW/semihost.c $FW/uart.c $FW/frames.c $FW/ticks.c runtime/crc32.c runtime/kernels/*.c)
pass=0 fail=0
for cpu in "cortex-m7:-mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16" \
           "cortex-m4:-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16" \
           "cortex-m3:-mcpu=cortex-m3 -mfloat-abi=soft"; do
    name=${cpu%%:*}; flags=${cpu#*:}
    mkdir -p "$tmp/$name"
    objs=()
    ok=1
    for s in "${srcs[@]}"; do
        o="$tmp/$name/$(echo "${s%.c}" | tr / _).o"
        arm-none-eabi-gcc $flags -mthumb -Os -std=c99 -Wall -Wextra -Werror -pedantic \
            -ffunction-sections -fdata-sections -Iinclude -Icompiler -I. -Itests/kernels \
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
    out=$(timeout 600 qemu-system-arm -M mps2-an500 -nographic -monitor none -serial stdio -no-reboot \
          -semihosting-config enable=on,target=native -kernel "$tmp/$name/fw.elf" 2>&1)
    rc=$?
    echo "$out" | sed "s/^/     $name: /"
    if [ $rc -eq 0 ] && [ "$(grep -c ' 0 failing' <<<"$out")" -eq 19 ]; then
        pass=$((pass+1)); echo "ok   $name: every packed kernel equals the plain one"
    else
        fail=$((fail+1)); echo "FAIL $name: exit status $rc"
    fi
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
