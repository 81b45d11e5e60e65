/*
 * tflite_shapes.c - TFLite shapes fixed at compile time: --shape, --const
 * and -1 dimensions of shape_signature, worked out through every operator.
 *
 * A TFLite file stores two shapes per tensor: `shape`, the one the
 * converter traced (a -1 of the signature stored as 1, usually), and
 * `shape_signature`, with -1 for a dimension known only at run time.  Kiln
 * compiles one static shape.  An input's -1 dimension is fixed, in order, by
 * --shape, by the shape of a value given for the input (validate --input),
 * by a --const value's count (rank 1), or - for dimension 0 only, the batch
 * almost every exported model leaves open - by the stored size (a value's
 * leading dimension may count validate's samples, so it never sets the
 * batch); any other -1 is refused naming --shape.  Once an input's shape differs from the
 * stored one, or any --shape / --const is given, every operator's output
 * shapes are worked out here from its inputs' (c->infer), before its
 * converter runs; the converter then builds the node on those shapes and
 * checks them against its own rules, as it checks a file's shapes.  Each
 * worked-out shape must agree with the file's signature (its fixed
 * dimensions) or, without a signature, with the stored shape: a file that
 * contradicts itself is refused.  Value-dependent shapes (RESHAPE's shape
 * operand, PAD's paddings, ...) need their operands constant: nodes whose
 * inputs are all constants are folded right after their operator, through
 * the reference evaluator, so SHAPE -> STRIDED_SLICE -> CONCATENATION ->
 * RESHAPE chains and arithmetic on --const inputs become constants.
 *
 * An operator not covered below keeps its stored output shapes when none of
 * its inputs changed shape, and is refused, naming it and the tensor, when
 * one did.  Prints one note on stderr per input whose open batch keeps its
 * stored size (as the ONNX importer notes a symbolic dimension it sets to 1);
 * otherwise never prints; fails through the importer's message helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "import/tflite_internal.h"
#include "ref/eval.h"
#include "util/sbuf.h"

#define FOLD_MAX_BYTES ((size_t)16 << 20)   /* larger results stay computed at run time */

typedef struct tshape {
    int rank;                       /* -1: an absent optional operand */
    int64_t d[IR_MAX_DIMS];
} tshape;

enum {  /* builtins named only here (schema.fbs values) */
    B_FLOOR = 8, B_GATHER = 36, B_DIV = 42, B_EXP = 47, B_CAST = 53, B_ARG_MAX = 56, B_LESS = 58,
    B_NEG = 59, B_GREATER = 61, B_GREATER_EQUAL = 62, B_LESS_EQUAL = 63, B_SELECT = 64, B_SIN = 66,
    B_EQUAL = 71, B_NOT_EQUAL = 72, B_LOG = 73, B_SUM = 74, B_SQRT = 75, B_RSQRT = 76, B_SHAPE = 77,
    B_POW = 78, B_ARG_MIN = 79, B_REDUCE_PROD = 81, B_REDUCE_MAX = 82, B_LOGICAL_OR = 84,
    B_LOGICAL_AND = 86, B_LOGICAL_NOT = 87, B_REDUCE_MIN = 89, B_SQUARE = 92,
    B_SQUARED_DIFFERENCE = 99, B_ABS = 101, B_CEIL = 104, B_COS = 108, B_ELU = 111, B_ROUND = 116,
    B_SELECT_V2 = 123, B_BATCH_MATMUL = 126, B_DEPTH_TO_SPACE = 5, B_SPACE_TO_DEPTH = 26, B_PRELU = 54,
    B_TILE = 69, B_GATHER_ND = 107, B_CUMSUM = 128, B_BROADCAST_TO = 130, B_GELU = 150
};

/* "[1,1280]" into buf. */
static const char *fmt_dims(char *buf, size_t len, int rank, const int64_t *d)
{
    size_t at = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%lld", i ? "," : "", (long long)d[i]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
    return buf;
}

static const char *fmt_vec(tfl_ctx *c, char *buf, size_t len, const fb_vec *v)
{
    int64_t d[IR_MAX_DIMS];
    int n = v->n < IR_MAX_DIMS ? (int)v->n : IR_MAX_DIMS;
    for (int i = 0; i < n; i++)
        d[i] = fb_vec_i32(&c->m.r, v, (uint32_t)i);
    return fmt_dims(buf, len, n, d);
}

static bool same_dims(const tshape *a, const tshape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return false;
    return true;
}

/* A message about the model outside any operator. */
static bool model_fail(tfl_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool model_fail(tfl_ctx *c, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->op_index >= 0)
        return tfl_op_fail(c, "%s", msg);
    snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
    return false;
}

static bool get_tensor(tfl_ctx *c, int32_t ti, tfl_tensor *tt)
{
    if (ti < 0 || (uint32_t)ti >= c->n_tensors)
        return model_fail(c, "tensor index %d is out of range (the subgraph has %u tensors)", (int)ti,
                          c->n_tensors);
    if (!tfl_get_tensor(&c->m, &c->sg, (uint32_t)ti, tt))
        return model_fail(c, "damaged model file: %s", c->m.r.err);
    return true;
}

static void stored_shape(tfl_ctx *c, const tfl_tensor *tt, tshape *s)
{
    s->rank = tt->shape.n <= IR_MAX_DIMS ? (int)tt->shape.n : IR_MAX_DIMS;
    for (int d = 0; d < s->rank; d++)
        s->d[d] = fb_vec_i32(&c->m.r, &tt->shape, (uint32_t)d);
}

/* ---- the file's shape against its signature --------------------------------- */

bool tfl_shape_final(tfl_ctx *c, int32_t ti, const tfl_tensor *tt, int64_t *shape)
{
    const fb_vec *sig = &tt->shape_signature;
    if (sig->n > 0) {
        char a[96], b[96];
        bool ok = sig->n == tt->shape.n;
        for (uint32_t d = 0; ok && d < sig->n; d++) {
            int32_t v = fb_vec_i32(&c->m.r, sig, d);
            ok = v == -1 || (v >= 0 && v == shape[d]);
        }
        if (!ok)
            return model_fail(c, "tensor %d '%s': its shape %s contradicts its shape_signature %s (which may "
                              "differ only where it says -1); the file is inconsistent", (int)ti, tt->name,
                              fmt_vec(c, a, sizeof a, &tt->shape), fmt_vec(c, b, sizeof b, sig));
    }
    if (c->dims && c->dims[ti].set) {
        const tfl_dims *w = &c->dims[ti];
        if (w->rank != (int)tt->shape.n)
            return model_fail(c, "tensor %d '%s': worked-out rank %d, the file says %u", (int)ti, tt->name,
                              w->rank, tt->shape.n);
        memcpy(shape, w->d, (size_t)w->rank * sizeof *shape);
    }
    return true;
}

/* ---- inputs: --shape, --const, values ------------------------------------------ */

static const import_fix *find_fix(tfl_ctx *c, const char *name, int pos, bool *used)
{
    for (int i = 0; c->opts && i < c->opts->n_fixes; i++) {
        const import_fix *f = &c->opts->fixes[i];
        if ((f->name && !strcmp(f->name, name)) || (!f->name && f->pos == pos)) {
            used[i] = true;
            return f;
        }
    }
    return NULL;
}

/* Every --shape / --const must name an input of the model. */
static bool check_fixes_used(tfl_ctx *c, const bool *used)
{
    for (int i = 0; c->opts && i < c->opts->n_fixes; i++) {
        if (used[i])
            continue;
        const import_fix *f = &c->opts->fixes[i];
        sbuf b = {0};
        for (uint32_t p = 0; p < c->sg.inputs.n; p++) {
            tfl_tensor tt;
            if (get_tensor(c, fb_vec_i32(&c->m.r, &c->sg.inputs, p), &tt))
                sb_printf(&b, "%s'%s'", p ? ", " : "", tt.name);
        }
        const unsigned n = c->sg.inputs.n;
        if (f->name)
            model_fail(c, "%s names input '%s', but the model's inputs are %s", f->opt, f->name,
                       b.s ? b.s : "none");
        else
            model_fail(c, "%s names input position %d, but the model declares %u input%s (%s)", f->opt, f->pos,
                       n, n == 1 ? "" : "s", b.s ? b.s : "none");
        sb_free(&b);
        return false;
    }
    return true;
}

/* "1x1280x4": the signature with each -1 written as N, for messages. */
static const char *example_dims(tfl_ctx *c, char *buf, size_t len, const fb_vec *sig)
{
    size_t at = 0;
    buf[0] = 0;
    for (uint32_t d = 0; d < sig->n && at < len; d++) {
        int32_t v = fb_vec_i32(&c->m.r, sig, d);
        at += v < 0 ? (size_t)snprintf(buf + at, len - at, "%sN", d ? "x" : "")
                    : (size_t)snprintf(buf + at, len - at, "%s%d", d ? "x" : "", (int)v);
    }
    return buf;
}

/* The shape of subgraph input p (tensor tt) with its -1 dimensions fixed. */
static bool input_shape(tfl_ctx *c, uint32_t p, const tfl_tensor *tt, const import_fix *fx,
                        const import_value *v, tshape *s)
{
    char a[96], b[96];
    const fb_vec *sig = tt->shape_signature.n ? &tt->shape_signature : &tt->shape;
    stored_shape(c, tt, s);
    if (sig->n != tt->shape.n)
        return model_fail(c, "input '%s': its shape %s and its shape_signature %s differ in rank; the file is "
                          "inconsistent", tt->name, fmt_vec(c, a, sizeof a, &tt->shape), fmt_vec(c, b, sizeof b, sig));
    if (fx && fx->has_shape && fx->rank != s->rank)
        return model_fail(c, "--shape gives input '%s' %d dimension%s, the model declares rank %d (shape %s)",
                          tt->name, fx->rank, fx->rank == 1 ? "" : "s", s->rank,
                          fmt_vec(c, a, sizeof a, sig));
    for (int d = 0; d < s->rank; d++) {
        const int32_t decl = fb_vec_i32(&c->m.r, sig, (uint32_t)d);
        if (fx && fx->has_shape && fx->shape[d] < 1)
            return model_fail(c, "--shape gives input '%s' dimension %d = %lld; dimensions must be at least 1",
                              tt->name, d, (long long)fx->shape[d]);
        if (decl >= 0) {
            if (fx && fx->has_shape && fx->shape[d] != decl)
                return model_fail(c, "--shape gives input '%s' dimension %d = %lld, the model declares %d "
                                  "(shape %s; only -1 dimensions can be fixed)", tt->name, d,
                                  (long long)fx->shape[d], (int)decl, fmt_vec(c, a, sizeof a, sig));
            continue;
        }
        if (fx && fx->has_shape)
            s->d[d] = fx->shape[d];
        else if (v && d > 0 && v->rank == s->rank && v->shape[d] >= 1)
            s->d[d] = v->shape[d];      /* not the batch: validate's files may stack samples there */
        else if (fx && fx->has_value && !fx->file && s->rank == 1 && fx->n_vals >= 1)
            s->d[d] = fx->n_vals;
        else if (!(d == 0 && s->d[d] >= 1))
            return model_fail(c, "input '%s' (position %u) has dimension %d unknown (shape_signature %s); "
                              "fix it with --shape %s=%s (or by position, --shape %u=...), N the size to compile for",
                              tt->name, p, d, fmt_vec(c, a, sizeof a, sig), tt->name,
                              example_dims(c, b, sizeof b, sig), p);
        else if (!(c->opts && c->opts->quiet))   /* the open batch keeps the stored size: say so */
            fprintf(stderr, "kiln: note: input '%s' has an open batch dimension (shape_signature %s); using the "
                    "stored size %lld (change it with --shape %s=%s, N the batch to compile for)\n", tt->name,
                    fmt_vec(c, a, sizeof a, sig), (long long)s->d[0], tt->name, example_dims(c, b, sizeof b, sig));
    }
    return true;
}

/* --const: the input's value from numbers or a file; it becomes a constant. */
static bool freeze_input(tfl_ctx *c, const import_fix *fx, int t)
{
    ir_tensor *x = tfl_t(c, t);
    if (!fx->file)
        return import_fix_data(fx, x, c->path, c->err, c->errlen);
    const import_value *v = fx->file;
    char a[96], b[96];
    if (v->dtype != x->dtype || v->rank != x->rank || memcmp(v->shape, x->shape, (size_t)x->rank * 8))
        return model_fail(c, "the --const file for input '%s' holds %s%s, the input is %s%s", x->name,
                          ir_dtype_name(v->dtype), fmt_dims(a, sizeof a, v->rank, v->shape),
                          ir_dtype_name(x->dtype), fmt_dims(b, sizeof b, x->rank, x->shape));
    if (v->nbytes != ir_nbytes(x))
        return model_fail(c, "the --const file for input '%s' holds %zu bytes, its shape needs %zu", x->name,
                          v->nbytes, ir_nbytes(x));
    x->data = xmalloc(v->nbytes ? v->nbytes : 1);
    memcpy(x->data, v->data, v->nbytes);
    x->nbytes = v->nbytes;
    return true;
}

static bool bind_input(tfl_ctx *c, uint32_t p, bool *used)
{
    const int32_t ti = fb_vec_i32(&c->m.r, &c->sg.inputs, p);
    tfl_tensor tt;
    if (!get_tensor(c, ti, &tt))
        return false;
    if (c->tmap[ti] >= 0)
        return model_fail(c, "subgraph input %u (tensor %d '%s') is listed twice", p, (int)ti, tt.name);
    const import_fix *fx = find_fix(c, tt.name, (int)p, used);
    const import_value *v = NULL;
    if (c->opts && (int)p < c->opts->n_values && c->opts->values)
        v = c->opts->values[p];
    if (fx && fx->file)
        v = fx->file;
    tshape s, st;
    if (tt.shape.n > IR_MAX_DIMS)
        return tfl_tensor_ir(c, ti) >= 0;   /* its message names the rank */
    if (!input_shape(c, p, &tt, fx, v, &s))
        return false;
    stored_shape(c, &tt, &st);
    if (!same_dims(&s, &st) || fx)
        c->infer = true;
    c->dims[ti].set = true;
    c->dims[ti].rank = s.rank;
    memcpy(c->dims[ti].d, s.d, sizeof s.d);
    int t = tfl_tensor_ir(c, ti);
    if (t < 0)
        return false;
    if (ir_is_const(tfl_t(c, t)))
        return model_fail(c, "subgraph input %u (tensor %d '%s') is a constant", p, (int)ti, tfl_t(c, t)->name);
    if (fx && fx->has_value)
        return freeze_input(c, fx, t);     /* a constant now: no longer an input */
    ir_mark_input(c->g, t, (int)p);
    return true;
}

bool tfl_bind_inputs(tfl_ctx *c)
{
    c->dims = xcalloc((size_t)c->n_tensors + 1, sizeof *c->dims);
    const int nfix = c->opts ? c->opts->n_fixes : 0;
    bool *used = xcalloc((size_t)nfix + 1, sizeof *used);
    bool ok = true;
    /* A fact naming no input is reported first: it is the likelier mistake. */
    for (uint32_t p = 0; ok && p < c->sg.inputs.n; p++) {
        tfl_tensor tt;
        ok = get_tensor(c, fb_vec_i32(&c->m.r, &c->sg.inputs, p), &tt);
        if (ok)
            find_fix(c, tt.name, (int)p, used);
    }
    ok = ok && check_fixes_used(c, used);
    for (uint32_t p = 0; ok && p < c->sg.inputs.n; p++)
        ok = bind_input(c, p, used);
    free(used);
    if (ok && c->opts && c->opts->n_values > (int)c->sg.inputs.n)
        ok = model_fail(c, "%d input values given, but the model declares %u input%s", c->opts->n_values,
                        c->sg.inputs.n, c->sg.inputs.n == 1 ? "" : "s");
    if (ok && !c->infer) {
        free(c->dims);       /* every shape is the file's */
        c->dims = NULL;
    }
    return ok;
}

/* ---- operands and outputs of the current operator ------------------------------- */

/* Operand k's shape now; *changed when it differs from the file's. */
static bool operand(tfl_ctx *c, int k, tshape *s, bool *changed)
{
    *changed = false;
    const int32_t ti = tfl_in_index(c, k);
    if (ti < 0) {
        s->rank = -1;
        return true;
    }
    tfl_tensor tt;
    if (!get_tensor(c, ti, &tt))
        return false;
    tshape st;
    stored_shape(c, &tt, &st);
    /* Constants and tensors not yet made are made as the converter would;
     * a variable (SVDF state) keeps its file shape. */
    if (c->tmap[ti] < 0 && !tt.is_variable && tfl_tensor_ir(c, ti) < 0)
        return false;
    if (c->tmap[ti] < 0) {
        *s = st;
        return true;
    }
    const ir_tensor *x = tfl_t(c, c->tmap[ti]);
    s->rank = x->rank;
    memcpy(s->d, x->shape, sizeof s->d);
    *changed = !same_dims(s, &st);
    return true;
}

static bool need(tfl_ctx *c, const tshape *s, int k, int min_rank)
{
    if (s->rank < min_rank)
        return tfl_op_fail(c, "input %d has rank %d; rank %d or more expected", k, s->rank, min_rank);
    return true;
}

/* Output k gets shape s, which must agree with the file's signature (or its
 * stored shape when it has none). */
static bool set_out(tfl_ctx *c, int k, const tshape *s)
{
    if (k >= tfl_n_out(c))
        return true;        /* the converter's arity check says what is wrong */
    const int32_t ti = fb_vec_i32(&c->m.r, &c->op.outputs, (uint32_t)k);
    tfl_tensor tt;
    if (!get_tensor(c, ti, &tt))
        return false;
    char a[96], b[96];
    for (int d = 0; d < s->rank; d++)
        if (s->d[d] < 0 || s->d[d] > INT32_MAX)
            return tfl_op_fail(c, "output %d '%s' would have shape %s", k, tt.name,
                               fmt_dims(a, sizeof a, s->rank, s->d));
    const fb_vec *sig = tt.shape_signature.n ? &tt.shape_signature : &tt.shape;
    bool ok = (int)sig->n == s->rank;
    for (int d = 0; ok && d < s->rank; d++) {
        int32_t v = fb_vec_i32(&c->m.r, sig, (uint32_t)d);
        ok = (v == -1 && tt.shape_signature.n) || v == s->d[d];
    }
    if (!ok)
        return tfl_op_fail(c, "output %d '%s': the operator gives shape %s from its inputs' shapes, but the file "
                           "declares %s%s; the file's shapes are inconsistent", k, tt.name,
                           fmt_dims(a, sizeof a, s->rank, s->d), fmt_vec(c, b, sizeof b, sig),
                           tt.shape_signature.n ? " (shape_signature)" : "");
    if (c->tmap[ti] >= 0)
        return true;        /* made already: tfl_out says why that is wrong */
    c->dims[ti].set = true;
    c->dims[ti].rank = s->rank;
    memcpy(c->dims[ti].d, s->d, sizeof s->d);
    return true;
}

/* Constant integer operand k (up to max values), for a value-dependent shape. */
static bool const_ints(tfl_ctx *c, int k, int64_t *v, int max, int *n, const char *what)
{
    if (tfl_const_ints(c, k, v, max, n, what))
        return true;
    size_t l = strlen(c->err);
    snprintf(c->err + l, c->errlen > l ? c->errlen - l : 0,
             "; Kiln needs it at compile time to work out the output shape (freeze the inputs it is "
             "computed from with --const INPUT=VALUE)");
    return false;
}

static bool norm_axis(tfl_ctx *c, int64_t *axis, int rank)
{
    int64_t a = *axis < 0 ? *axis + rank : *axis;
    if (a < 0 || a >= rank)
        return tfl_op_fail(c, "axis %lld is out of range for rank %d", (long long)*axis, rank);
    *axis = a;
    return true;
}

/* ---- the rules, one per operator family -------------------------------------- */

static bool bcast(tfl_ctx *c, const tshape *a, const tshape *b, tshape *y)
{
    y->rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < y->rank; i++) {
        int ia = i - (y->rank - a->rank), ib = i - (y->rank - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char x1[96], x2[96];
            return tfl_op_fail(c, "input shapes %s and %s do not broadcast", fmt_dims(x1, sizeof x1, a->rank, a->d),
                               fmt_dims(x2, sizeof x2, b->rank, b->d));
        }
        y->d[i] = da == 1 ? db : da;
    }
    return true;
}

/* TFLite's output size of a window (kernels/padding.h ComputeOutSize). */
static bool window(tfl_ctx *c, int64_t in, int64_t k, int stride, int dil, int64_t *out)
{
    if (stride < 1 || dil < 1 || k < 1)
        return tfl_op_fail(c, "stride %d, dilation %d and window %lld must be at least 1", stride, dil,
                           (long long)k);
    int64_t eff = (k - 1) * dil + 1;
    if (c->o.padding == TFL_PAD_SAME)
        *out = (in + stride - 1) / stride;
    else if (in < eff)
        return tfl_op_fail(c, "VALID padding: input size %lld is smaller than the (dilated) window %lld",
                           (long long)in, (long long)eff);
    else
        *out = (in - eff + stride) / stride;
    return true;
}

/* CONV_2D, DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D: NHWC in, NHWC out. */
static bool rule_window(tfl_ctx *c, const tshape *x, const tshape *w, tshape *y)
{
    if (!need(c, x, 0, 4) || x->rank != 4)
        return tfl_op_fail(c, "input 0 has rank %d, expected 4 (NHWC)", x->rank);
    bool pool = c->builtin == TFL_OP_AVERAGE_POOL_2D || c->builtin == TFL_OP_MAX_POOL_2D;
    if (!pool && w->rank != 4)
        return tfl_op_fail(c, "weights have rank %d, expected 4", w->rank);
    int64_t kh = pool ? c->o.filter_h : w->d[1], kw = pool ? c->o.filter_w : w->d[2];
    int dh = pool ? 1 : c->o.dilation_h, dw = pool ? 1 : c->o.dilation_w;
    y->rank = 4;
    y->d[0] = x->d[0];
    y->d[3] = pool ? x->d[3] : c->builtin == TFL_OP_CONV_2D ? w->d[0] : w->d[3];
    return window(c, x->d[1], kh, c->o.stride_h, dh, &y->d[1]) &&
           window(c, x->d[2], kw, c->o.stride_w, dw, &y->d[2]);
}

static bool rule_fully_connected(tfl_ctx *c, const tshape *x, const tshape *w, tshape *y)
{
    if (w->rank != 2 || w->d[1] < 1)
        return tfl_op_fail(c, "weights must be [N, K] with K >= 1");
    int64_t n = 1;
    for (int d = 0; d < x->rank; d++)
        n *= x->d[d];
    if (n % w->d[1] != 0)
        return tfl_op_fail(c, "input has %lld elements, not a multiple of the weights' K = %lld", (long long)n,
                           (long long)w->d[1]);
    if (c->o.keep_num_dims && x->rank >= 1) {
        *y = *x;
        y->d[x->rank - 1] = w->d[0];
        return true;
    }
    y->rank = 2;
    y->d[0] = n / w->d[1];
    y->d[1] = w->d[0];
    return true;
}

static int64_t numel(const tshape *s)
{
    int64_t n = 1;
    for (int d = 0; d < s->rank; d++)
        n *= s->d[d];
    return n;
}

/* RESHAPE (shape operand or new_shape option, one -1 allowed), SQUEEZE, EXPAND_DIMS. */
static bool rule_reshape(tfl_ctx *c, const tshape *x, tshape *y)
{
    int64_t v[IR_MAX_DIMS + 1];
    int n = 0;
    if (c->builtin == TFL_OP_EXPAND_DIMS) {
        if (!const_ints(c, 1, v, 1, &n, "axis"))
            return false;
        if (n != 1 || x->rank >= IR_MAX_DIMS)
            return tfl_op_fail(c, "axis must be one value and the output at most %d-D", IR_MAX_DIMS);
        int64_t a = v[0] < 0 ? v[0] + x->rank + 1 : v[0];
        if (a < 0 || a > x->rank)
            return tfl_op_fail(c, "axis %lld is out of range for rank %d", (long long)v[0], x->rank);
        y->rank = 0;
        for (int d = 0; d <= x->rank; d++)
            y->d[y->rank++] = d == a ? 1 : x->d[d < a ? d : d - 1];
        return true;
    }
    if (c->builtin == TFL_OP_SQUEEZE) {
        uint32_t mask = 0;
        for (uint32_t i = 0; i < c->o.squeeze_dims.n; i++) {
            int64_t a = fb_vec_i32(&c->m.r, &c->o.squeeze_dims, i);
            if (!norm_axis(c, &a, x->rank))
                return false;
            mask |= 1u << a;
        }
        y->rank = 0;
        for (int d = 0; d < x->rank; d++) {
            bool drop = c->o.squeeze_dims.n ? (mask >> d & 1) : x->d[d] == 1;
            if (drop && x->d[d] != 1)
                return tfl_op_fail(c, "squeeze_dims names dimension %d, whose size is %lld, not 1", d,
                                   (long long)x->d[d]);
            if (!drop)
                y->d[y->rank++] = x->d[d];
        }
        return true;
    }
    if (tfl_in_index(c, 1) >= 0) {
        if (!const_ints(c, 1, v, IR_MAX_DIMS, &n, "shape"))
            return false;
    } else {
        n = c->o.new_shape.n <= IR_MAX_DIMS ? (int)c->o.new_shape.n : IR_MAX_DIMS + 1;
        if (n > IR_MAX_DIMS)
            return tfl_op_fail(c, "new_shape has more than %d dimensions", IR_MAX_DIMS);
        for (int i = 0; i < n; i++)
            v[i] = fb_vec_i32(&c->m.r, &c->o.new_shape, (uint32_t)i);
    }
    int unknown = -1;
    int64_t known = 1;
    for (int i = 0; i < n; i++) {
        if (v[i] == -1 && unknown < 0)
            unknown = i;
        else if (v[i] < 0 || v[i] > ((int64_t)1 << 31))
            return tfl_op_fail(c, "shape entry %d = %lld is invalid", i, (long long)v[i]);
        else
            known *= v[i];
        if (known > ((int64_t)1 << 40))
            return tfl_op_fail(c, "the shape operand gives more than 2^40 elements");
    }
    const int64_t total = numel(x);
    if (unknown >= 0) {
        if (known == 0 || total % known != 0)
            return tfl_op_fail(c, "cannot reshape %lld elements with a -1 in the shape (the rest is %lld)",
                               (long long)total, (long long)known);
        v[unknown] = total / known;
    } else if (known != total) {
        return tfl_op_fail(c, "the shape operand gives %lld elements, the input has %lld", (long long)known,
                           (long long)total);
    }
    y->rank = n;
    memcpy(y->d, v, (size_t)n * sizeof *v);
    return true;
}

static bool rule_pad(tfl_ctx *c, const tshape *x, tshape *y)
{
    int64_t p[2 * IR_MAX_DIMS];
    int n;
    if (!const_ints(c, 1, p, 2 * IR_MAX_DIMS, &n, "paddings"))
        return false;
    if (n != 2 * x->rank)
        return tfl_op_fail(c, "paddings has %d values; expected [%d, 2]", n, x->rank);
    *y = *x;
    for (int d = 0; d < x->rank; d++) {
        if (p[2 * d] < 0 || p[2 * d + 1] < 0 || p[2 * d] > (1 << 30) || p[2 * d + 1] > (1 << 30))
            return tfl_op_fail(c, "paddings for axis %d must be in [0, 2^30]", d);
        y->d[d] += p[2 * d] + p[2 * d + 1];
    }
    return true;
}

/* MEAN, SUM, REDUCE_*: axes operand, keep_dims; ARG_MAX/MIN: one axis, dropped. */
static bool rule_reduce(tfl_ctx *c, const tshape *x, tshape *y, bool keep)
{
    int64_t ax[2 * IR_MAX_DIMS];
    int n;
    if (!const_ints(c, 1, ax, 2 * IR_MAX_DIMS, &n, "axes"))
        return false;
    uint32_t mask = 0;
    for (int i = 0; i < n; i++) {
        if (!norm_axis(c, &ax[i], x->rank))
            return false;
        mask |= 1u << ax[i];
    }
    y->rank = 0;
    for (int d = 0; d < x->rank; d++)
        if (!(mask >> d & 1))
            y->d[y->rank++] = x->d[d];
        else if (keep)
            y->d[y->rank++] = 1;
    return true;
}

static bool rule_concat(tfl_ctx *c, tshape *y)
{
    bool ch;
    tshape s;
    int64_t axis = c->o.axis;
    for (int k = 0; k < tfl_n_in(c); k++) {
        if (!operand(c, k, &s, &ch))
            return false;
        if (k == 0) {
            *y = s;
            if (!norm_axis(c, &axis, s.rank))
                return false;
            continue;
        }
        bool ok = s.rank == y->rank;
        for (int d = 0; ok && d < s.rank; d++)
            ok = d == axis || s.d[d] == y->d[d];
        if (!ok) {
            char a[96], b[96];
            return tfl_op_fail(c, "input %d has shape %s, which does not match %s off axis %d", k,
                               fmt_dims(a, sizeof a, s.rank, s.d), fmt_dims(b, sizeof b, y->rank, y->d),
                               (int)axis);
        }
        y->d[axis] += s.d[axis];
    }
    return true;
}

static bool rule_transpose(tfl_ctx *c, const tshape *x, tshape *y)
{
    int64_t p[IR_MAX_DIMS];
    int n;
    if (!const_ints(c, 1, p, IR_MAX_DIMS, &n, "perm"))
        return false;
    if (n != x->rank)
        return tfl_op_fail(c, "perm has %d entries for a rank-%d input", n, x->rank);
    y->rank = n;
    for (int i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= n)
            return tfl_op_fail(c, "perm is not a permutation of 0..%d", n - 1);
        y->d[i] = x->d[p[i]];
    }
    return true;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* STRIDED_SLICE: TFLite's strided_slice_logic.h (begin/end masks, negative
 * indices, clamping, offset, shrink_axis_mask). */
static bool rule_strided_slice(tfl_ctx *c, const tshape *x, tshape *y)
{
    int64_t b[IR_MAX_DIMS], e[IR_MAX_DIMS], s[IR_MAX_DIMS];
    int nb, ne, ns;
    if (!const_ints(c, 1, b, IR_MAX_DIMS, &nb, "begin") || !const_ints(c, 2, e, IR_MAX_DIMS, &ne, "end") ||
        !const_ints(c, 3, s, IR_MAX_DIMS, &ns, "strides"))
        return false;
    if (c->o.ellipsis_mask || c->o.new_axis_mask)
        return tfl_op_fail(c, "ellipsis_mask and new_axis_mask are not supported");
    if (nb != x->rank || ne != x->rank || ns != x->rank)
        return tfl_op_fail(c, "begin/end/strides have %d/%d/%d values for a rank-%d input", nb, ne, ns, x->rank);
    const int64_t lim = (int64_t)1 << 40;
    y->rank = 0;
    for (int d = 0; d < x->rank; d++) {
        int64_t dim = x->d[d], st = s[d];
        if (st == 0 || st < -lim || st > lim || b[d] < -lim || b[d] > lim || e[d] < -lim || e[d] > lim)
            return tfl_op_fail(c, "begin/end/strides for axis %d are out of range", d);
        bool shrink = c->o.shrink_axis_mask >> d & 1;
        int64_t lo = b[d];
        if (c->o.begin_mask >> d & 1)
            lo = st > 0 ? 0 : dim - 1;
        else if (lo < 0)
            lo += dim;
        lo = st > 0 ? clamp64(lo, 0, dim) : clamp64(lo, -1, dim - 1);
        int64_t hi = lo + 1;
        if (!shrink) {
            hi = e[d] + (c->o.offset ? lo : 0);
            if (c->o.end_mask >> d & 1)
                hi = st > 0 ? dim : -1;
            else if (hi < 0)
                hi += dim;
            hi = st > 0 ? clamp64(hi, 0, dim) : clamp64(hi, -1, dim - 1);
        }
        int64_t n = st > 0 ? (hi - lo + st - 1) / st : (lo - hi - st - 1) / -st;
        if (n < 0)
            n = 0;
        if (shrink && n != 1)
            return tfl_op_fail(c, "shrink_axis_mask selects index %lld of axis %d, outside its size %lld",
                               (long long)b[d], d, (long long)dim);
        if (!shrink)
            y->d[y->rank++] = n;
    }
    return true;
}

/* SPLIT (axis, x) and SPLIT_V (x, size_splits, axis): every output. */
static bool rule_split(tfl_ctx *c)
{
    const bool v = c->builtin == TFL_OP_SPLIT_V;
    tshape x;
    bool ch;
    int64_t axis, sz[64];
    int na, n = tfl_n_out(c);
    if (!operand(c, v ? 0 : 1, &x, &ch) || !const_ints(c, v ? 2 : 0, &axis, 1, &na, "axis") ||
        !norm_axis(c, &axis, x.rank))
        return false;
    if (n < 1 || n > 64)
        return tfl_op_fail(c, "has %d outputs (Kiln works out shapes for 1 to 64)", n);
    if (v) {
        int ns, neg = -1;
        int64_t total = 0;
        if (!const_ints(c, 1, sz, 64, &ns, "size_splits"))
            return false;
        if (ns != n)
            return tfl_op_fail(c, "size_splits has %d entries for %d outputs", ns, n);
        for (int i = 0; i < n; i++)
            if (sz[i] == -1 && neg < 0)
                neg = i;
            else
                total += sz[i];
        if (neg >= 0)
            sz[neg] = x.d[axis] - total;
    } else {
        if (x.d[axis] % n != 0)
            return tfl_op_fail(c, "axis %lld of size %lld does not split into %d equal parts", (long long)axis,
                               (long long)x.d[axis], n);
        for (int i = 0; i < n; i++)
            sz[i] = x.d[axis] / n;
    }
    for (int i = 0; i < n; i++) {
        tshape y = x;
        y.d[axis] = sz[i];
        if (!set_out(c, i, &y))
            return false;
    }
    return true;
}

static bool rule_gather(tfl_ctx *c, const tshape *x, const tshape *idx, tshape *y)
{
    int64_t axis = c->o.axis;
    int bd = c->o.batch_dims < 0 ? c->o.batch_dims + idx->rank : c->o.batch_dims;
    if (!norm_axis(c, &axis, x->rank))
        return false;
    if (bd < 0 || bd > idx->rank || x->rank - 1 + idx->rank - bd > IR_MAX_DIMS)
        return tfl_op_fail(c, "batch_dims %d does not fit the operands", (int)c->o.batch_dims);
    y->rank = 0;
    for (int d = 0; d < axis; d++)
        y->d[y->rank++] = x->d[d];
    for (int d = bd; d < idx->rank; d++)
        y->d[y->rank++] = idx->d[d];
    for (int d = (int)axis + 1; d < x->rank; d++)
        y->d[y->rank++] = x->d[d];
    return true;
}

static bool rule_batch_matmul(tfl_ctx *c, const tshape *a, const tshape *b, tshape *y)
{
    if (a->rank < 2 || b->rank < 2)
        return tfl_op_fail(c, "operands must have rank 2 or more");
    tshape ba = *a, bb = *b;
    ba.rank -= 2;
    bb.rank -= 2;
    if (!bcast(c, &ba, &bb, y))
        return false;
    int64_t m = a->d[a->rank - (c->o.adj_x ? 1 : 2)];
    int64_t n = b->d[b->rank - (c->o.adj_y ? 2 : 1)];
    y->d[y->rank++] = m;
    y->d[y->rank++] = n;
    return true;
}

/* DEPTH_TO_SPACE / SPACE_TO_DEPTH on NHWC by block_size. */
static bool rule_depth_space(tfl_ctx *c, const tshape *x, tshape *y)
{
    const int64_t b = c->o.block_size;
    if (x->rank != 4 || b < 1)
        return tfl_op_fail(c, "needs a 4-D NHWC input and block_size >= 1");
    *y = *x;
    if (c->builtin == B_DEPTH_TO_SPACE) {
        if (x->d[3] % (b * b))
            return tfl_op_fail(c, "channels %lld are not a multiple of block_size^2", (long long)x->d[3]);
        y->d[1] *= b, y->d[2] *= b, y->d[3] /= b * b;
    } else {
        if (x->d[1] % b || x->d[2] % b)
            return tfl_op_fail(c, "height and width are not multiples of block_size %lld", (long long)b);
        y->d[1] /= b, y->d[2] /= b, y->d[3] *= b * b;
    }
    return true;
}

/* TILE: each dim times its multiple. */
static bool rule_tile(tfl_ctx *c, const tshape *x, tshape *y)
{
    int64_t m[IR_MAX_DIMS];
    int n;
    if (!const_ints(c, 1, m, IR_MAX_DIMS, &n, "multiples"))
        return false;
    if (n != x->rank)
        return tfl_op_fail(c, "multiples has %d entries for an input of rank %d", n, x->rank);
    *y = *x;
    for (int d = 0; d < n; d++)
        y->d[d] *= m[d];
    return true;
}

/* BROADCAST_TO: the input broadcast with the shape given. */
static bool rule_broadcast_to(tfl_ctx *c, const tshape *x, tshape *y)
{
    tshape s;
    if (!const_ints(c, 1, s.d, IR_MAX_DIMS, &s.rank, "shape"))
        return false;
    return bcast(c, x, &s, y);
}

/* GATHER_ND: indices' dims but the last, then x's dims past that many. */
static bool rule_gather_nd(tfl_ctx *c, const tshape *x, const tshape *idx, tshape *y)
{
    const int k = idx->rank > 0 ? (int)idx->d[idx->rank - 1] : 0;
    if (idx->rank < 1 || k < 1 || k > x->rank || idx->rank - 1 + x->rank - k > IR_MAX_DIMS)
        return tfl_op_fail(c, "indices need rank >= 1 and a last dim in [1, %d] (the input's rank)", x->rank);
    y->rank = 0;
    for (int d = 0; d < idx->rank - 1; d++)
        y->d[y->rank++] = idx->d[d];
    for (int d = k; d < x->rank; d++)
        y->d[y->rank++] = x->d[d];
    return true;
}

static bool is_same_shape_op(int32_t b)
{
    switch (b) {
    case TFL_OP_RELU: case TFL_OP_RELU6: case TFL_OP_RELU_N1_TO_1: case TFL_OP_LOGISTIC: case TFL_OP_TANH:
    case TFL_OP_HARD_SWISH: case TFL_OP_LEAKY_RELU: case TFL_OP_QUANTIZE: case TFL_OP_DEQUANTIZE:
    case TFL_OP_SOFTMAX: case B_ABS: case B_NEG: case B_EXP: case B_LOG: case B_SQRT: case B_RSQRT:
    case B_SQUARE: case B_SIN: case B_COS: case B_CEIL: case B_FLOOR: case B_ROUND: case B_ELU:
    case B_LOGICAL_NOT: case B_CAST: case B_GELU: case B_CUMSUM: case B_PRELU:
        return true;
    default:
        return false;
    }
}

static bool is_broadcast_op(int32_t b)
{
    switch (b) {
    case TFL_OP_ADD: case TFL_OP_SUB: case TFL_OP_MUL: case TFL_OP_MAXIMUM: case TFL_OP_MINIMUM: case B_DIV:
    case B_POW: case B_SQUARED_DIFFERENCE: case B_LESS: case B_GREATER: case B_GREATER_EQUAL:
    case B_LESS_EQUAL: case B_EQUAL: case B_NOT_EQUAL: case B_LOGICAL_OR: case B_LOGICAL_AND:
        return true;
    default:
        return false;
    }
}

/* Output 0's shape by the operator's rule; *known false when no rule covers it. */
static bool rule(tfl_ctx *c, const tshape *in, tshape *y, bool *known)
{
    const int32_t b = c->builtin;
    *known = true;
    if (is_same_shape_op(b)) {
        *y = in[0];
        return true;
    }
    if (is_broadcast_op(b))
        return bcast(c, &in[0], &in[1], y);
    switch (b) {
    case TFL_OP_CONV_2D: case TFL_OP_DEPTHWISE_CONV_2D: case TFL_OP_AVERAGE_POOL_2D: case TFL_OP_MAX_POOL_2D:
        return rule_window(c, &in[0], &in[1], y);
    case TFL_OP_FULLY_CONNECTED: return rule_fully_connected(c, &in[0], &in[1], y);
    case TFL_OP_RESHAPE: case TFL_OP_SQUEEZE: case TFL_OP_EXPAND_DIMS: return rule_reshape(c, &in[0], y);
    case TFL_OP_PAD: case TFL_OP_PADV2: return rule_pad(c, &in[0], y);
    case TFL_OP_MEAN: case B_SUM: case B_REDUCE_MAX: case B_REDUCE_MIN: case B_REDUCE_PROD:
        return rule_reduce(c, &in[0], y, c->o.keep_dims);
    case B_ARG_MAX: case B_ARG_MIN: return rule_reduce(c, &in[0], y, false);
    case TFL_OP_CONCATENATION: return rule_concat(c, y);
    case TFL_OP_TRANSPOSE: return rule_transpose(c, &in[0], y);
    case TFL_OP_STRIDED_SLICE: return rule_strided_slice(c, &in[0], y);
    case B_GATHER: return rule_gather(c, &in[0], &in[1], y);
    case B_BATCH_MATMUL: return rule_batch_matmul(c, &in[0], &in[1], y);
    case B_SELECT: *y = in[1]; return true;
    case B_DEPTH_TO_SPACE: case B_SPACE_TO_DEPTH: return rule_depth_space(c, &in[0], y);
    case B_TILE: return rule_tile(c, &in[0], y);
    case B_GATHER_ND: return rule_gather_nd(c, &in[0], &in[1], y);
    case B_BROADCAST_TO: return rule_broadcast_to(c, &in[0], y);
    case B_SELECT_V2: { tshape t; return bcast(c, &in[0], &in[1], &t) && bcast(c, &t, &in[2], y); }
    case B_SHAPE: y->rank = 1; y->d[0] = in[0].rank; return true;
    case TFL_OP_TRANSPOSE_CONV: {
        int n;
        if (!const_ints(c, 0, y->d, 4, &n, "output_shape"))
            return false;
        y->rank = n;
        return true;
    }
    default:
        *known = false;
        return true;
    }
}

bool tfl_shape_out(tfl_ctx *c, int k, int rank, const int64_t *d)
{
    tshape s = {.rank = rank};
    memcpy(s.d, d, (size_t)rank * sizeof *d);
    return set_out(c, k, &s);
}

bool tfl_infer_op(tfl_ctx *c)
{
    if (c->builtin == TFL_OP_IF)
        return true;        /* its outputs are the branch's: tfl_if sets them */
    enum { MAXIN = 4 };
    tshape in[MAXIN];
    bool changed = false;
    int which = -1;
    for (int k = 0; k < tfl_n_in(c); k++) {
        tshape s;
        bool ch;
        if (!operand(c, k, &s, &ch))
            return false;
        if (k < MAXIN)
            in[k] = s;
        if (ch && which < 0)
            which = k;
        changed |= ch;
    }
    for (int k = tfl_n_in(c); k < MAXIN; k++)
        in[k].rank = -1;
    if (c->builtin == TFL_OP_SPLIT || c->builtin == TFL_OP_SPLIT_V)
        return rule_split(c);
    tshape y;
    bool known;
    if (!rule(c, in, &y, &known))
        return false;
    if (known)
        return tfl_n_out(c) == 1 ? set_out(c, 0, &y) : true;
    if (!changed)
        return true;            /* the file's output shapes still hold */
    const int32_t ti = tfl_in_index(c, which);
    tfl_tensor tt;
    char a[96], b[96];
    if (!get_tensor(c, ti, &tt))
        return false;
    const ir_tensor *x = tfl_t(c, c->tmap[ti]);
    return tfl_op_fail(c, "Kiln cannot work out this operator's output shape: its input %d '%s' is %s "
                       "after --shape / -1 dimensions were fixed, not the %s the file was traced with",
                       which, tt.name, fmt_dims(a, sizeof a, x->rank, x->shape), fmt_vec(c, b, sizeof b, &tt.shape));
}

/* ---- folding ------------------------------------------------------------------ */

static bool foldable(const ir_graph *g, const ir_node *nd)
{
    if (nd->n_out == 0 || nd->op == IR_OP_QUANTIZE || nd->op == IR_OP_DEQUANTIZE)
        return false;
    int n_const = 0;
    for (int k = 0; k < nd->n_in; k++) {
        if (nd->in[k] < 0)
            continue;
        if (!ir_is_const(&g->tensors[nd->in[k]]))
            return false;
        n_const++;
    }
    for (int k = 0; k < nd->n_out; k++) {
        const ir_tensor *t = nd->out[k] >= 0 ? &g->tensors[nd->out[k]] : NULL;
        if (t && (ir_is_const(t) || t->q.n || ir_nbytes(t) > FOLD_MAX_BYTES))
            return false;
    }
    return n_const > 0;
}

void tfl_fold_from(tfl_ctx *c, int first)
{
    ir_graph *g = c->g;
    for (int n = first; n < g->n_nodes; n++) {
        if (!foldable(g, &g->nodes[n]))
            continue;
        char msg[256];
        ir_node *nd = &g->nodes[n];
        bool ok = ref_eval_node_const(g, n, msg, sizeof msg);
        for (int k = 0; k < nd->n_out; k++) {
            ir_tensor *t = nd->out[k] >= 0 ? &g->tensors[nd->out[k]] : NULL;
            if (t && !ok) {         /* leave no half-computed data behind */
                free(t->data);
                t->data = NULL;
                t->nbytes = 0;
            } else if (t) {
                t->producer = -1;
            }
        }
        if (ok) {                   /* detached: ir_compact drops it */
            nd->n_out = 0;
            nd->n_in = 0;
        }
    }
}
