# kernel_fw.sh - shared by packed_kernels_qemu.sh and packed_f32_qemu.sh
# (sourced): builds a kernel test firmware for one CPU of the emulated board
# and runs it under QEMU mps2-an500.
#
# Gives: $FW (the board port), $tmp (a scratch directory, removed at exit),
# pass/fail counters, and
#   fw_build NAME "GCC FLAGS" SOURCE...   objects and $tmp/NAME/fw.elf; on a
#                                         build error: a FAIL line, fail+1, status 1
#   fw_run NAME TIMEOUT FAMILIES WHAT     runs it; ok when it exits 0 and prints
#                                         FAMILIES lines " 0 failing"
#   fw_summary                            the summary line and the exit status
set -u
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc missing (scripts/install-deps.sh installs it)"; exit 1; }
command -v qemu-system-arm >/dev/null || { echo "qemu-system-arm missing (scripts/install-deps.sh installs it)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FW=firmware/qemu-mps2-an500
FW_SRCS=($FW/startup.c $FW/semihost.c $FW/uart.c $FW/frames.c $FW/ticks.c runtime/crc32.c runtime/kernels/*.c)
pass=0 fail=0

fw_build() {
    local name=$1 flags=$2 s o
    shift 2
    mkdir -p "$tmp/$name"
    local objs=()
    for s in "$@" "${FW_SRCS[@]}"; do
        o="$tmp/$name/$(echo "${s%.c}" | tr / _).o"
        if ! arm-none-eabi-gcc $flags -mthumb -std=c99 -Wall -Wextra -Werror -pedantic \
                -ffunction-sections -fdata-sections -Iinclude -Icompiler -I. -Itests/kernels \
                -c "$s" -o "$o" 2>>"$tmp/$name/build.log"; then
            objs=()
            break
        fi
        objs+=("$o")
    done
    if [ ${#objs[@]} -eq 0 ] || ! arm-none-eabi-gcc $flags -mthumb -nostartfiles -Wl,--gc-sections \
            -T$FW/mps2-an500.ld "${objs[@]}" -lm -o "$tmp/$name/fw.elf" 2>>"$tmp/$name/build.log"; then
        fail=$((fail+1)); echo "FAIL $name: the test firmware did not build"; tail -20 "$tmp/$name/build.log"
        return 1
    fi
}

fw_run() {
    local name=$1 limit=$2 families=$3 what=$4 out rc
    out=$(timeout "$limit" qemu-system-arm -M mps2-an500 -nographic -monitor none -serial stdio -no-reboot \
          -semihosting-config enable=on,target=native -kernel "$tmp/$name/fw.elf" 2>&1)
    rc=$?
    echo "$out" | sed "s/^/     $name: /"
    if [ $rc -eq 0 ] && [ "$(grep -c ' 0 failing' <<<"$out")" -eq "$families" ]; then
        pass=$((pass+1)); echo "ok   $name: $what"
    else
        fail=$((fail+1)); echo "FAIL $name: exit status $rc"
    fi
}

fw_summary() {
    echo "summary: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}
