/*
 * fuzz_tflite.c - libFuzzer target for the TFLite importer.
 *
 * Feeds arbitrary bytes to import_tflite_mem(); any return is fine, a crash,
 * sanitizer report, leak or hang is a bug.  Not part of `make test`:
 * tests/fuzz/fuzz_tflite.sh builds it with clang (-fsanitize=fuzzer,address,
 * undefined) and runs it seeded with the bundled models.
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
