/*
 * fuzz_onnx.c - libFuzzer target: arbitrary bytes into the ONNX importer and
 * the tensor-file reader.  Built by tests/fuzz/run.sh with
 * clang -fsanitize=fuzzer,address,undefined; not part of `make test`.
 *
 * The importer must return a graph or an error message for every input;
 * anything the sanitizers see is a bug.  A successful import must also pass
 * ir_verify(), which import_onnx_mem() promises.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "import/tensor_file.h"
#include "ir/ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    err[0] = 0;
    ir_graph *g = import_onnx_mem(data, size, "fuzz.onnx", NULL, err, sizeof err);
    if (g) {
        if (!ir_verify(g, err, sizeof err))
            abort();
        ir_free(g);
    } else if (!err[0]) {
        abort();    /* a failure must say why */
    }
    tensor_value v;
    if (tensor_mem_read(data, size, "fuzz.pb", &v, err, sizeof err))
        tensor_value_free(&v);
    return 0;
}
