#!/usr/bin/env bash
# run.sh - builds and runs the libFuzzer targets (`make fuzz`; not part of
# `make test`).  Seeds the corpus with the ONNX conformance models and their
# tensor files; new crashes land in build/fuzz/ as crash-* files.
#
#   FUZZ_SECONDS=600 bash tests/fuzz/run.sh     (default 60 seconds)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/fuzz
mkdir -p "$out/corpus"
CC=${FUZZ_CC:-clang}
shopt -s nullglob
src=()
for f in compiler/*.c compiler/*/*.c flash/*.c runtime/*.c runtime/kernels/*.c; do
    [ "$f" != compiler/main.c ] && src+=("$f")
done
$CC -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Iinclude -Icompiler -I. -DKILN_ROOT="\"$PWD\"" -DKILN_BUILD_DIR="\"$PWD/$out\"" \
    -DKILN_HOST_CC='"cc"' -DKILN_HOST_CFLAGS='""' \
    -o "$out/fuzz_onnx" tests/fuzz/fuzz_onnx.c "${src[@]}" -lcjson -lm
conf=../shared/conformance
if [ -z "$(ls -A "$out/corpus")" ]; then
    i=0
    for f in "$conf"/onnx-node/*/model.onnx "$conf"/onnx-pytorch-converted/*/model.onnx \
             "$conf"/onnx-node/*/test_data_set_0/input_0.pb tests/data/*.onnx tests/data/onnx_extra/*.onnx; do
        # the big ones slow the fuzzer down without adding structure
        [ "$(stat -c %s "$f")" -lt 65536 ] && cp "$f" "$out/corpus/seed_$i" && i=$((i + 1))
    done
fi
cd "$out"
./fuzz_onnx -max_total_time="${FUZZ_SECONDS:-60}" -max_len=65536 -timeout=10 corpus
