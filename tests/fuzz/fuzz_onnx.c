/*
 * fuzz_onnx.c - fuzz target: arbitrary bytes as an ONNX model, through the
 * whole compiler: import, verify, folding and fusion, lowering, memory plan,
 * blob layout and signature, C emission and the reports (fuzz_util.c).
 *
 * The importer must return a graph or say why not, for every input; what
 * imports is compiled as `kiln generate` would, and what compiles must emit
 * code and a blob the runtime accepts.  Anything the sanitizers see is a bug.
 * The "file" lives in a directory that does not exist, so external data can
 * never reach the real file system.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    err[0] = 0;
    ir_graph *g = import_onnx_mem(data, size, FUZZ_NOWHERE "fuzz.onnx", NULL, err, sizeof err);
    if (!g) {
        if (!err[0])
            fuzz_fail("import_onnx_mem failed without a message");
        return 0;
    }
    fuzz_compile_emit(g, data, size);
    return 0;
}
