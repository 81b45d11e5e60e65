#!/usr/bin/env bash
# fuzz_tflite.sh - builds the libFuzzer target for the TFLite importer and
# runs it, seeded with the bundled models.  Not part of `make test`.
#   tests/fuzz/fuzz_tflite.sh [SECONDS]     (default 300)
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-300}
out=build/fuzz
mkdir -p "$out/corpus-tflite"
# The importer and what it links against: the import directory (both
# importers, for import.c), the IR and the host utilities.
clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Icompiler -I. \
    tests/fuzz/fuzz_tflite.c compiler/import/*.c compiler/ir/ir.c compiler/util/*.c \
    -lcjson -lm -o "$out/fuzz_tflite"
cp -n ../shared/models/*/*.tflite "$out/corpus-tflite/" 2>/dev/null || true
"$out/fuzz_tflite" -max_len=1200000 -timeout=10 -rss_limit_mb=4096 \
    -max_total_time="$secs" "$out/corpus-tflite"
