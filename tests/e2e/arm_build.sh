#!/usr/bin/env bash
# arm_build.sh - the runtime and generated code build for Cortex-M7 with
# arm-none-eabi-gcc, warnings as errors, and a linked firmware image pulls in
# no heap function.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc missing (scripts/install-deps.sh installs it)"; exit 1; }
bash scripts/build-arm.sh || exit 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FLAGS="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16 -Os -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude"
pass=0 fail=0
for w in external inline; do
    "$KILN" generate tests/models/small_cnn.onnx --weights $w --address 0x90000000 -o "$tmp/$w" -q >/dev/null || { echo "generate failed"; exit 1; }
    cat > "$tmp/$w/main.c" <<'C'
#include "small_cnn.h"
static uint8_t arena[small_cnn_ARENA_BYTES] KILN_ALIGNED(16);
int main(void)
{
    kiln_net net;
    if (small_cnn_init(&net, 0, 0, arena, sizeof arena, 0) != KILN_OK)
        return 1;
    return small_cnn_run(&net, 0, 0) != KILN_OK;
}
C
    srcs=("$tmp/$w/small_cnn.c" "$tmp/$w/main.c")
    [ $w = inline ] && srcs+=("$tmp/$w/small_cnn_data.c")
    if arm-none-eabi-gcc $FLAGS -I"$tmp/$w" "${srcs[@]}" build/arm/libkilnrt.a -lm --specs=nosys.specs \
           -Wl,--gc-sections -o "$tmp/$w/fw.elf" 2> "$tmp/err"; then
        heap=$(arm-none-eabi-nm "$tmp/$w/fw.elf" | grep -E ' (malloc|_malloc_r|calloc|realloc|free|_free_r|_sbrk)$' || true)
        if [ -z "$heap" ]; then
            pass=$((pass+1)); echo "ok   $w weights: firmware links, text $(arm-none-eabi-size "$tmp/$w/fw.elf" | awk 'NR==2{print $1}') B, no heap symbols"
        else
            fail=$((fail+1)); echo "FAIL $w weights: heap symbols linked: $heap"
        fi
    else
        fail=$((fail+1)); echo "FAIL $w weights: did not compile/link"; cat "$tmp/err"
    fi
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
