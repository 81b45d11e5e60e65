/*
 * fuzz_tflite.c - fuzz target: arbitrary bytes as a TFLite flatbuffer,
 * through the whole compiler: import, passes, lowering, memory plan, blob,
 * C emission and the reports (fuzz_util.c).
 *
 * Same promises as fuzz_onnx.c: a graph or a message, and what compiles
 * emits code and a blob the runtime accepts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    err[0] = 0;
    ir_graph *g = import_tflite_mem(data, size, FUZZ_NOWHERE "fuzz.tflite", err, sizeof err);
    if (!g) {
        if (!err[0])
            fuzz_fail("import_tflite_mem failed without a message");
        return 0;
    }
    fuzz_compile_emit(g, data, size);
    return 0;
}
