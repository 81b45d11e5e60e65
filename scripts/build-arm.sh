#!/usr/bin/env bash
# build-arm.sh - builds the runtime for Cortex-M7 with arm-none-eabi-gcc into
# build/arm/libkilnrt.a, warnings as errors, and checks that nothing in it
# refers to the heap.  Used by `make arm` and tests/e2e/arm_build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${ARM_CC:-arm-none-eabi-gcc}
OUT=build/arm
FLAGS="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16 -Os -std=c99 -Wall -Wextra -Werror -pedantic -ffunction-sections -fdata-sections -Iinclude"
mkdir -p "$OUT/obj"
objs=()
for src in runtime/*.c runtime/kernels/*.c; do
    [ -f "$src" ] || continue
    obj="$OUT/obj/$(echo "${src%.c}" | tr / _).o"
    $CC $FLAGS -c -o "$obj" "$src"
    objs+=("$obj")
done
rm -f "$OUT/libkilnrt.a"
arm-none-eabi-ar rcs "$OUT/libkilnrt.a" "${objs[@]}"
heap=$(arm-none-eabi-nm "$OUT/libkilnrt.a" | grep -E ' U (malloc|free|calloc|realloc|_sbrk|sbrk|_malloc_r|_free_r|_calloc_r|_realloc_r|printf|puts|fwrite)$' || true)
if [ -n "$heap" ]; then
    echo "build-arm: the runtime refers to heap or stdio functions:" >&2
    echo "$heap" >&2
    exit 1
fi
echo "build-arm: $OUT/libkilnrt.a ($(du -b "$OUT/libkilnrt.a" | cut -f1) bytes, ${#objs[@]} objects), no heap or stdio references"
