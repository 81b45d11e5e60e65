/*
 * fuzz_tflite.c - libFuzzer target for the TFLite importer.
 *
 * Feeds arbitrary bytes to import_tflite_mem(); any return is fine, a crash,
 * sanitizer report, leak or hang is a bug.  Not part of `make test`.  Build
 * and run (seeds: the bundled models):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Icompiler -I. \
 *       tests/fuzz/fuzz_tflite.c compiler/import/*.c compiler/ir/ir.c \
 *       compiler/util/*.c -lcjson -lm -o build/fuzz_tflite
 *   mkdir -p build/fuzz-corpus && cp ../shared/models/*/*.tflite build/fuzz-corpus/
 *   build/fuzz_tflite -max_len=1200000 -timeout=10 build/fuzz-corpus
 *
 * (compiler/import/import.c also needs cmd_supported_ops' callees; the
 * ONNX importer's files in compiler/import/ satisfy them.)
 */
#include <stddef.h>
#include <stdint.h>

#include "import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    ir_graph *g = import_tflite_mem(data, size, "fuzz.tflite", err, sizeof err);
    ir_free(g);
    return 0;
}
