/*
 * import.h - model files in, IR out.
 *
 * Every importer treats its file as untrusted bytes: it bounds-checks every
 * read, never crashes on any input, and on failure returns NULL with a
 * message that names where (node / operator index, field) and what.  A
 * successful result has passed ir_verify().
 */
#ifndef KILN_IMPORT_H
#define KILN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "ir/ir.h"

/* A value the caller already has for a graph input (from a test's .pb/.npy). */
typedef struct import_value {
    ir_dtype dtype;
    int rank;
    int64_t shape[IR_MAX_DIMS];
    const void *data;
    size_t nbytes;
} import_value;

/* A fact about one graph input from the command line (--shape, --const),
 * naming the input by name, or by its position among the declared inputs
 * (name NULL).  --shape fixes its symbolic / -1 dimensions; --const gives
 * its value, which freezes it into a constant (shape arithmetic and If on it
 * then fold away).  A value is `n_vals` numbers converted to the declared
 * element type (shape: the declared one when static, else [n] or a scalar),
 * or a typed tensor read from a file (`file`). */
typedef struct import_fix {
    const char *name;
    int pos;
    bool has_shape;
    int rank;
    int64_t shape[IR_MAX_DIMS];
    bool has_value;
    int n_vals;
    double *vals;
    const import_value *file;
    const char *opt;            /* "--shape" or "--const", for messages */
} import_fix;

/* Parses "NAME=1x1280" / "0=1x1280" (kind "--shape") or "NAME=VALUE[,VALUE...]"
 * / "NAME=FILE" (kind "--const", a .pb or .npy file) into *f (heap parts owned
 * by f; import_fix_free releases them).  false with a message on bad text. */
bool import_fix_parse(const char *kind, const char *arg, import_fix *f, char *err, size_t errlen);
void import_fix_free(import_fix *f);
/* A --const number list (f->vals) as the data of input tensor t, converted to
 * its dtype (t becomes a constant); false with a message naming `path` when
 * the count does not fit t's shape or a value does not fit its type. */
bool import_fix_data(const import_fix *f, ir_tensor *t, const char *path, char *err, size_t errlen);

typedef struct import_opts {
    /* values[i] belongs to the model's i-th declared input (ONNX graph.input
     * minus initializers, TFLite subgraph inputs); NULL entries and i >=
     * n_values mean "not known".  The importer uses them to
     *  - fix symbolic dimensions (dim_param) to the value's shape, and
     *  - freeze an input into a constant when the graph needs its value at
     *    compile time (Reshape's shape, Slice's starts, Resize's sizes, ...);
     *    a frozen input disappears from the graph's inputs (see input_src).
     * Without a value, a symbolic dimension becomes 1 (noted on stderr) and a
     * needed input is an error naming it. */
    int n_values;
    const import_value *const *values;
    /* --shape / --const facts; a value given in `values` wins over them. */
    int n_fixes;
    const import_fix *fixes;
    /* No notes on stderr: a second import of a model already imported once
     * in this run (validate's reference) would repeat them. */
    bool quiet;
} import_opts;

/* Releases the --shape/--const list a command parsed into imp (each fix and
 * the array) and empties it. */
void import_opts_free_fixes(import_opts *imp);

ir_graph *import_onnx(const char *path, const import_opts *opts, char *err, size_t errlen);
ir_graph *import_onnx_mem(const uint8_t *data, size_t len, const char *path_for_messages,
                          const import_opts *opts, char *err, size_t errlen);
ir_graph *import_tflite(const char *path, char *err, size_t errlen);
ir_graph *import_tflite_mem(const uint8_t *data, size_t len, const char *path_for_messages,
                            char *err, size_t errlen);
/* The same with --shape / --const facts and input values (opts may be NULL):
 * -1 dimensions of shape_signature are fixed from them and every operator's
 * output shape is worked out again (tflite_shapes.c). */
ir_graph *import_tflite_opts_mem(const uint8_t *data, size_t len, const char *path_for_messages,
                                 const import_opts *opts, char *err, size_t errlen);
/* The CumSum node n's attributes, shared by both importers (ONNX's axis
 * input with its exclusive/reverse attributes, TFLite's axis tensor with
 * CumsumOptions): axis in [-rank, rank), stored non-negative; false, with
 * nothing set, when it is outside (the caller reports it). */
bool import_cumsum_attrs(ir_node *n, int64_t axis, int rank, bool exclusive, bool reverse);

/* Picks the importer by content (TFL3 identifier, else ONNX protobuf). */
ir_graph *import_model(const char *path, const import_opts *opts, char *err, size_t errlen);

/* Writes the supported op lists (ONNX ops with opset ranges, TFLite builtins
 * with versions) for `kiln supported-ops` and error messages. */
struct sbuf;
void onnx_supported_ops(struct sbuf *out);
void tflite_supported_ops(struct sbuf *out);

#endif
