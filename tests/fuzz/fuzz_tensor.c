/*
 * fuzz_tensor.c - fuzz target: arbitrary bytes as a tensor file, the .npy
 * and ONNX TensorProto (.pb) readers of compiler/import/tensor_file.c that
 * `kiln validate` and `kiln dump` use for --input and --expected.
 *
 * A tensor that reads must be what it says: rank within IR_MAX_DIMS, no
 * negative dimension, and exactly numel * element-size data bytes (the
 * callers copy that many).  A failure must say why.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "import/tensor_file.h"

static void check_value(const tensor_value *v)
{
    if (v->rank < 0 || v->rank > IR_MAX_DIMS)
        fuzz_fail("tensor of rank %d", v->rank);
    size_t numel = 1;
    for (int i = 0; i < v->rank; i++) {
        if (v->shape[i] < 0)
            fuzz_fail("dimension %d is %lld", i, (long long)v->shape[i]);
        numel *= (size_t)v->shape[i];
    }
    size_t es = ir_dtype_size(v->dtype);
    if (es == 0 || v->nbytes != numel * es)
        fuzz_fail("%zu data bytes for %zu elements of %zu bytes", v->nbytes, numel, es);
    if (!v->name)
        fuzz_fail("a tensor that read has no name string");
    /* Touch every byte: the sanitizers see a short buffer. */
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < v->nbytes; i++)
        sum += ((const uint8_t *)v->data)[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    err[0] = 0;
    tensor_value v;
    if (tensor_mem_read(data, size, FUZZ_NOWHERE "fuzz.npy", &v, err, sizeof err)) {
        check_value(&v);
        tensor_value_free(&v);
    } else if (!err[0]) {
        fuzz_fail("tensor_mem_read failed without a message");
    }
    return 0;
}
