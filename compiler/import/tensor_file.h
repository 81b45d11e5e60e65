/*
 * tensor_file.h - reads one tensor from a file: an ONNX TensorProto (the
 * conformance suites' input_K.pb / output_K.pb) or a NumPy .npy file.
 *
 * Used by `kiln validate` and `kiln dump` for inputs and expected outputs.
 * The format is picked by content (the .npy magic), not by extension.  Raw
 * byte files carry no shape and are the caller's business.  Files are
 * untrusted: every size is checked, and an element type Kiln cannot hold is
 * an error that names it.
 */
#ifndef KILN_TENSOR_FILE_H
#define KILN_TENSOR_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

typedef struct tensor_value {
    char *name;                 /* TensorProto.name ("" when absent or .npy) */
    ir_dtype dtype;
    int rank;
    int64_t shape[IR_MAX_DIMS];
    void *data;                 /* heap, row-major, little-endian elements */
    size_t nbytes;
} tensor_value;

bool tensor_file_read(const char *path, tensor_value *out, char *err, size_t errlen);
/* The same from bytes in memory (path only names them in messages). */
bool tensor_mem_read(const uint8_t *data, size_t len, const char *path, tensor_value *out, char *err,
                     size_t errlen);
void tensor_value_free(tensor_value *v);

#endif
