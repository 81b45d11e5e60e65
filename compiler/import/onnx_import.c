/*
 * onnx_import.c - ONNX model bytes in, Kiln IR out: the driver.
 *
 * Decodes the model (onnx_model.c), checks its opsets, turns initializers
 * into constants and the declared graph inputs into IR inputs (fixing
 * symbolic dimensions from the caller's values), then imports the nodes in
 * file order through the op table below, folding nodes whose inputs are all
 * constant as it goes.  Finally it marks the outputs, cross-checks them
 * against the shapes the file declares (a warning, never a substitute for
 * our own inference), drops what nobody reads and verifies the graph.
 *
 * The per-op translation lives in onnx_ops_*.c; the helpers they share in
 * onnx_helpers.c.  Nothing here trusts the file: every failure returns NULL
 * with a message that names the node (index, name, op, opset) or the byte
 * offset and field.
 */
#define _XOPEN_SOURCE 700
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "ref/eval.h"
#include "util/fileio.h"
#include "util/sbuf.h"

/* Opset ranges are those Kiln accepts for each op (within OX_MIN_OPSET ..
 * OX_MAX_OPSET); `until` is the last opset in which the op exists. */
static const ox_op ops[] = {
    {"Abs", 6, 27, ox_abs, NULL},
    {"Add", 6, 27, ox_add, "numpy broadcasting (opset < 7: broadcast/axis attributes)"},
    {"And", 7, 27, ox_and, NULL},
    {"ArgMax", 6, 27, ox_argmax, "float32"},
    {"ArgMin", 6, 27, ox_argmin, "float32"},
    {"AveragePool", 6, 25, ox_avgpool, "1-3 spatial dims, ceil_mode, count_include_pad, dilations"},
    {"BatchNormalization", 6, 25, ox_batchnorm, "inference; training_mode=1 from opset 14 (float32)"},
    {"Cast", 6, 27, ox_cast, "between the types Kiln holds"},
    {"CastLike", 15, 27, ox_cast_like, NULL},
    {"Ceil", 6, 27, ox_ceil, NULL},
    {"Celu", 12, 27, ox_celu, NULL},
    {"Clip", 6, 25, ox_clip, "min/max constant"},
    {"Concat", 6, 25, ox_concat, NULL},
    {"Constant", 6, 25, ox_constant, "value, value_float(s), value_int(s)"},
    {"ConstantOfShape", 9, 25, ox_constant_of_shape, "shape constant (becomes a constant)"},
    {"Conv", 6, 25, ox_conv, "1-3 spatial dims, groups, auto_pad"},
    {"ConvInteger", 10, 25, ox_conv_integer, "(u)int8, zero points constant"},
    {"ConvTranspose", 6, 25, ox_conv_transpose, "1-3 spatial dims, output_shape, output_padding"},
    {"Cos", 7, 27, ox_cos, NULL},
    {"CumSum", 11, 27, ox_cumsum, "float32, int32, int64; axis constant"},
    {"DepthToSpace", 6, 27, ox_depth_to_space, "DCR/CRD"},
    {"DequantizeLinear", 10, 25, ox_dequantize_linear, "per tensor / per axis / blocked (constant blocks), 8/16/32-bit integers"},
    {"Div", 6, 27, ox_div, NULL},
    {"Dropout", 6, 25, ox_dropout, "inference: identity"},
    {"Einsum", 12, 27, ox_einsum, "float32, one or two operands; no ellipsis, no index repeated in one operand (lowered to ReduceSum/Transpose/Reshape/MatMul)"},
    {"Elu", 6, 27, ox_elu, NULL},
    {"Equal", 7, 27, ox_equal, "float32, integers, bool"},
    {"Erf", 9, 27, ox_erf, NULL},
    {"Exp", 6, 27, ox_exp, NULL},
    {"Expand", 8, 27, ox_expand, "shape constant"},
    {"Flatten", 6, 25, ox_flatten, NULL},
    {"Floor", 6, 27, ox_floor, NULL},
    {"Gather", 6, 27, ox_gather, "indices int32/int64"},
    {"GatherElements", 11, 27, ox_gather_elements, "indices int32/int64"},
    {"Gelu", 20, 27, ox_gelu, NULL},
    {"Gemm", 6, 25, ox_gemm, NULL},
    {"GlobalAveragePool", 6, 25, ox_global_avgpool, NULL},
    {"GlobalMaxPool", 6, 25, ox_global_maxpool, NULL},
    {"Greater", 7, 27, ox_greater, NULL},
    {"GreaterOrEqual", 12, 27, ox_greater_equal, NULL},
    {"GroupNormalization", 21, 27, ox_group_norm, "decomposed"},
    {"GRU", 7, 25, ox_gru, "default activations only"},
    {"HardSigmoid", 6, 25, ox_hard_sigmoid, NULL},
    {"HardSwish", 14, 25, ox_hard_swish, NULL},
    {"Identity", 6, 27, ox_identity, "tensors only"},
    {"If", 1, 27, ox_if, "a condition known at compile time inlines the taken branch; one computed at run time compiles both and selects (branches of one type and shape)"},
    {"InstanceNormalization", 6, 27, ox_instance_norm, "decomposed"},
    {"LayerNormalization", 17, 27, ox_layer_norm, "decomposed; Mean and InvStdDev outputs"},
    {"LeakyRelu", 6, 25, ox_leaky_relu, NULL},
    {"Less", 7, 27, ox_less, NULL},
    {"LessOrEqual", 12, 27, ox_less_equal, NULL},
    {"Log", 6, 27, ox_log, NULL},
    {"LogSoftmax", 6, 25, ox_log_softmax, NULL},
    {"LRN", 1, 27, ox_lrn, "float32; the channel window as a 1x1 convolution"},
    {"LSTM", 7, 25, ox_lstm, "default activations only"},
    {"Loop", 1, 27, ox_loop, "unrolled: trip count and condition known at compile time (at most 4096 iterations)"},
    {"MatMul", 6, 25, ox_matmul, NULL},
    {"MatMulInteger", 10, 25, ox_matmul_integer, "(u)int8, zero points constant"},
    {"Max", 6, 27, ox_max, NULL},
    {"MaxPool", 6, 25, ox_maxpool, "1-3 spatial dims, ceil_mode, dilations, Indices output"},
    {"Mean", 6, 27, ox_mean, NULL},
    {"Min", 6, 27, ox_min, NULL},
    {"Mish", 18, 27, ox_mish, NULL},
    {"Mul", 6, 25, ox_mul, NULL},
    {"Neg", 6, 27, ox_neg, NULL},
    {"Not", 1, 27, ox_not, NULL},
    {"Or", 7, 27, ox_or, NULL},
    {"Pad", 6, 25, ox_pad, "constant/reflect/edge/wrap, pads constant"},
    {"Pow", 7, 27, ox_pow, "float32, int32 or int64 base"},
    {"PRelu", 7, 27, ox_prelu, NULL},
    {"QLinearConv", 10, 25, ox_qlinear_conv, "(u)int8, quantization constant"},
    {"QLinearMatMul", 10, 25, ox_qlinear_matmul, "(u)int8, quantization constant"},
    {"QuantizeLinear", 10, 25, ox_quantize_linear, "per tensor / per axis / blocked (constant blocks), 8/16-bit integers"},
    {"Range", 11, 27, ox_range, "inputs constant (or given with --input/--const)"},
    {"Reciprocal", 6, 27, ox_reciprocal, NULL},
    {"ReduceL1", 6, 27, ox_reduce_l1, "float32"},
    {"ReduceL2", 6, 27, ox_reduce_l2, "float32"},
    {"ReduceLogSumExp", 6, 27, ox_reduce_log_sum_exp, "float32"},
    {"ReduceMax", 6, 27, ox_reduce_max, "float32; bool (any)"},
    {"ReduceMean", 6, 25, ox_reduce_mean, "axes constant"},
    {"ReduceMin", 6, 27, ox_reduce_min, "float32; bool (all)"},
    {"ReduceProd", 6, 27, ox_reduce_prod, "float32"},
    {"ReduceSum", 6, 27, ox_reduce_sum, "float32"},
    {"ReduceSumSquare", 6, 27, ox_reduce_sum_square, "float32"},
    {"Relu", 6, 27, ox_relu, NULL},
    {"Reshape", 6, 25, ox_reshape, "shape constant"},
    {"Resize", 10, 25, ox_resize, "nearest/linear/cubic, all coordinate modes; scales/sizes constant"},
    {"Round", 11, 27, ox_round, NULL},
    {"Selu", 6, 27, ox_selu, NULL},
    {"Shape", 6, 27, ox_shape, "static shapes: a constant"},
    {"Sigmoid", 6, 25, ox_sigmoid, NULL},
    {"Sign", 9, 27, ox_sign, NULL},
    {"Sin", 7, 27, ox_sin, NULL},
    {"Size", 6, 27, ox_size, "a constant"},
    {"Slice", 6, 25, ox_slice, "starts/ends/axes/steps constant"},
    {"Softmax", 6, 25, ox_softmax, NULL},
    {"Softplus", 6, 27, ox_softplus, NULL},
    {"Softsign", 6, 27, ox_softsign, NULL},
    {"SpaceToDepth", 6, 27, ox_space_to_depth, NULL},
    {"Split", 6, 25, ox_split, "split sizes constant"},
    {"Sqrt", 6, 25, ox_sqrt, "float32"},
    {"Squeeze", 6, 25, ox_squeeze, NULL},
    {"Sub", 6, 27, ox_sub, NULL},
    {"Sum", 6, 27, ox_sum, NULL},
    {"Tanh", 6, 25, ox_tanh, NULL},
    {"ThresholdedRelu", 10, 27, ox_thresholded_relu, NULL},
    {"Tile", 6, 27, ox_tile, "repeats constant"},
    {"TopK", 1, 27, ox_topk, "float32, int64; k constant"},
    {"Transpose", 6, 25, ox_transpose, NULL},
    {"Unsqueeze", 6, 25, ox_unsqueeze, NULL},
    {"Upsample", 7, 9, ox_upsample, "nearest/linear, scales constant"},
    {"Where", 9, 27, ox_where, NULL},
    {"Xor", 7, 27, ox_xor, NULL},
};

void onnx_supported_ops(sbuf *out)
{
    sb_printf(out, "ONNX (domain ai.onnx, opsets %d-%d):\n", OX_MIN_OPSET, OX_MAX_OPSET);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        sb_printf(out, "  %-20s opset %2d-%-2d", ops[i].name, ops[i].since, ops[i].until);
        if (ops[i].note)
            sb_printf(out, "  %s", ops[i].note);
        sb_printf(out, "\n");
    }
}

static const ox_op *find_op(const onnx_str name)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (onnx_str_eq(name, ops[i].name))
            return &ops[i];
    return NULL;
}

static bool is_default_domain(onnx_str d)
{
    return d.len == 0 || onnx_str_eq(d, "ai.onnx");
}

/* ---- constant folding ---------------------------------------------------- */

#define FOLD_MAX_BYTES ((size_t)16 << 20)

static void remove_node(ir_graph *g, int idx)
{
    ir_node *nd = &g->nodes[idx];
    for (int k = 0; k < nd->n_out; k++)
        if (nd->out[k] >= 0)
            g->tensors[nd->out[k]].producer = -1;
    free(nd->name);
    free(nd->src_op);
    free(nd->in);
    free(nd->out);
    memmove(&g->nodes[idx], &g->nodes[idx + 1], (size_t)(g->n_nodes - idx - 1) * sizeof *g->nodes);
    g->n_nodes--;
    for (int n = idx; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_out; k++)
            if (g->nodes[n].out[k] >= 0)
                g->tensors[g->nodes[n].out[k]].producer = n;
}

static bool foldable(const ir_graph *g, const ir_node *nd)
{
    /* Quantize/Dequantize stay: fuse_qdq needs the pattern, and a dequantized
     * weight would cost four times its int8 size. */
    if (nd->op == IR_OP_QUANTIZE || nd->op == IR_OP_DEQUANTIZE)
        return false;
    int n_const = 0;
    for (int k = 0; k < nd->n_in; k++) {
        if (nd->in[k] < 0)
            continue;
        if (!ir_is_const(&g->tensors[nd->in[k]]))
            return false;
        n_const++;
    }
    if (n_const == 0)
        return false;
    for (int k = 0; k < nd->n_out; k++) {
        if (nd->out[k] < 0)
            continue;
        const ir_tensor *t = &g->tensors[nd->out[k]];
        if (ir_is_const(t) || ir_nbytes(t) > FOLD_MAX_BYTES || t->q.n)
            return false;
    }
    return true;
}

static void set_data(ir_tensor *t, void *data)
{
    free(t->data);
    t->data = data;
    t->nbytes = ir_nbytes(t);
}

static bool fold_transpose(ir_graph *g, const ir_node *nd)
{
    const ir_tensor *x = &g->tensors[nd->in[0]];
    ir_tensor *y = &g->tensors[nd->out[0]];
    size_t es = ir_dtype_size(x->dtype);
    int r = x->rank;
    int64_t n = ir_numel(y), idx[IR_MAX_DIMS] = {0}, xstride[IR_MAX_DIMS];
    int64_t s = 1;
    for (int d = r - 1; d >= 0; d--) {
        xstride[d] = s;
        s *= x->shape[d];
    }
    uint8_t *out = xmalloc(ir_nbytes(y) ? ir_nbytes(y) : 1);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int d = 0; d < r; d++)
            off += idx[d] * xstride[nd->attr.perm[d]];
        memcpy(out + (size_t)i * es, (const uint8_t *)x->data + (size_t)off * es, es);
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < y->shape[d])
                break;
            idx[d] = 0;
        }
    }
    set_data(y, out);
    return true;
}

static bool is_int_dt(ir_dtype t)
{
    return t != IR_DT_F32 && t != IR_DT_F64 && t != IR_DT_F16;
}

static bool fold_cast(ir_graph *g, const ir_node *nd)
{
    const ir_tensor *x = &g->tensors[nd->in[0]];
    ir_tensor *y = &g->tensors[nd->out[0]];
    if (x->dtype == IR_DT_F16 || y->dtype == IR_DT_F16)
        return false;
    int64_t n = ir_numel(y);
    uint8_t *out = xmalloc(ir_nbytes(y) ? ir_nbytes(y) : 1);
    size_t es = ir_dtype_size(y->dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t iv = 0;
        double dv = 0;
        const uint8_t *p = (const uint8_t *)x->data;
        bool isint = true;
        switch (x->dtype) {
        case IR_DT_S8: iv = ((const int8_t *)p)[i]; break;
        case IR_DT_U8: case IR_DT_BOOL: iv = p[i]; break;
        case IR_DT_S16: { int16_t v; memcpy(&v, p + 2 * i, 2); iv = v; break; }
        case IR_DT_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); iv = v; break; }
        case IR_DT_S32: { int32_t v; memcpy(&v, p + 4 * i, 4); iv = v; break; }
        case IR_DT_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); iv = v; break; }
        case IR_DT_S64: case IR_DT_U64: memcpy(&iv, p + 8 * i, 8); break;
        case IR_DT_F32: { float v; memcpy(&v, p + 4 * i, 4); dv = v; isint = false; break; }
        case IR_DT_F64: memcpy(&dv, p + 8 * i, 8); isint = false; break;
        default: free(out); return false;
        }
        if (!isint && is_int_dt(y->dtype)) {
            /* Float to integer truncates toward zero; out-of-range values
             * are undefined in ONNX, saturate rather than invoke UB. */
            if (y->dtype == IR_DT_BOOL)
                iv = dv != 0;
            else if (isnan(dv))
                iv = 0;
            else if (dv >= 9.2e18)
                iv = INT64_MAX;
            else if (dv <= -9.2e18)
                iv = INT64_MIN;
            else
                iv = (int64_t)dv;
        } else if (isint && !is_int_dt(y->dtype)) {
            dv = x->dtype == IR_DT_U64 ? (double)(uint64_t)iv : (double)iv;
        }
        uint8_t *q = out + (size_t)i * es;
        switch (y->dtype) {
        case IR_DT_F32: { float v = (float)dv; memcpy(q, &v, 4); break; }
        case IR_DT_F64: memcpy(q, &dv, 8); break;
        case IR_DT_BOOL: *q = iv != 0; break;
        default:
            for (size_t b = 0; b < es; b++)
                q[b] = (uint8_t)((uint64_t)iv >> (8 * b));
            break;
        }
    }
    set_data(y, out);
    return true;
}

/* Folds node idx natively (moves of data) or through the reference
 * evaluator.  A failure leaves the node as it was. */
static bool fold_node(onnx_ctx *c, int idx)
{
    ir_graph *g = c->g;
    ir_node *nd = &g->nodes[idx];
    switch (nd->op) {
    case IR_OP_RESHAPE: {
        const ir_tensor *x = &g->tensors[nd->in[0]];
        ir_tensor *y = &g->tensors[nd->out[0]];
        if (x->dtype != y->dtype || x->nbytes != ir_nbytes(y))
            return false;
        void *d = xmalloc(x->nbytes ? x->nbytes : 1);
        memcpy(d, x->data, x->nbytes);
        set_data(y, d);
        return true;
    }
    case IR_OP_TRANSPOSE:
        return fold_transpose(g, nd);
    case IR_OP_CAST:
        if (fold_cast(g, nd))
            return true;
        break;
    default:
        break;
    }
    char msg[256];
    if (ref_eval_node_const(g, idx, msg, sizeof msg))
        return true;
    /* Leave no half-computed data behind. */
    nd = &g->nodes[idx];
    for (int k = 0; k < nd->n_out; k++)
        if (nd->out[k] >= 0) {
            ir_tensor *t = &g->tensors[nd->out[k]];
            free(t->data);
            t->data = NULL;
            t->nbytes = 0;
        }
    return false;
}

static void fold_from(onnx_ctx *c, int first)
{
    for (int i = first; i < c->g->n_nodes;) {
        if (foldable(c->g, &c->g->nodes[i]) && fold_node(c, i)) {
            remove_node(c->g, i);
            continue;
        }
        i++;
    }
}

/* ---- quantization through data movement ----------------------------------- */

/* ONNX moves raw integers through Reshape, Transpose, Slice, Pad, MaxPool and
 * nearest Resize; the IR gives quantized tensors "real" semantics.  The two
 * agree when both ends of such a node carry the same quantization, so a
 * per-tensor quantization that one end received (from a QLinear op or a
 * DequantizeLinear) is copied to the other end, until nothing changes. */
static bool moves_data(const ir_node *nd)
{
    switch (nd->op) {
    case IR_OP_RESHAPE: case IR_OP_TRANSPOSE: case IR_OP_SLICE: case IR_OP_PAD:
        return true;
    case IR_OP_MAXPOOL:
        return nd->n_out < 2 || nd->out[1] < 0;
    case IR_OP_RESIZE:
        return nd->attr.resize.mode == IR_RESIZE_NEAREST;
    default:
        return false;
    }
}

static void propagate_quant(ir_graph *g)
{
    /* PAD's constant is still the raw integer ONNX gave: remember it. */
    double *raw = xcalloc((size_t)g->n_nodes + 1, sizeof *raw);
    for (int n = 0; n < g->n_nodes; n++)
        raw[n] = g->nodes[n].attr.pad_value;
    for (bool changed = true; changed;) {
        changed = false;
        for (int n = 0; n < g->n_nodes; n++) {
            const ir_node *nd = &g->nodes[n];
            if (!moves_data(nd) || nd->in[0] < 0 || nd->out[0] < 0)
                continue;
            ir_tensor *a = &g->tensors[nd->in[0]], *b = &g->tensors[nd->out[0]];
            if (a->dtype != b->dtype || !is_int_dt(a->dtype))
                continue;
            if (a->q.n == 1 && b->q.n == 0) {
                ir_set_quant(g, nd->out[0], 1, 0, a->q.scale, a->q.zero_point);
                changed = true;
            } else if (b->q.n == 1 && a->q.n == 0) {
                ir_set_quant(g, nd->in[0], 1, 0, b->q.scale, b->q.zero_point);
                changed = true;
            }
        }
    }
    for (int n = 0; n < g->n_nodes; n++) {
        ir_node *nd = &g->nodes[n];
        const ir_tensor *y = nd->out[0] >= 0 ? &g->tensors[nd->out[0]] : NULL;
        if (nd->op == IR_OP_PAD && y && y->q.n == 1)
            nd->attr.pad_value = (double)y->q.scale[0] * (raw[n] - y->q.zero_point[0]);
    }
    free(raw);
}

/* ---- graph inputs and initializers -------------------------------------- */

static bool add_initializers(onnx_ctx *c)
{
    const onnx_graph *gp = c->gp;
    for (int i = 0; i < gp->n_init; i++) {
        const onnx_tensor *t = &gp->init[i];
        char *name = onnx_strdup(t->name);
        char what[96];
        snprintf(what, sizeof what, "initializer '%s'", name);
        ir_dtype dt;
        bool ok = false;
        void *data = NULL;
        size_t nbytes = 0;
        char msg[512];
        if (!name[0]) {
            ox_err(c, "initializer %d has no name", i);
            goto next;
        }
        if (ox_lookup(c, name) >= 0) {
            ox_err(c, "initializer '%s' is defined twice", name);
            goto next;
        }
        if (!ox_dtype(c, t->data_type, &dt, what))
            goto next;
        if (t->n_dims > IR_MAX_DIMS) {
            snprintf(c->err, c->errlen, "%s: unsupported: %s has rank %d (Kiln supports up to %d)", c->path, what,
                     t->n_dims, IR_MAX_DIMS);
            goto next;
        }
        if (!onnx_tensor_load(t, c->dir, &data, &nbytes, msg, sizeof msg)) {
            snprintf(c->err, c->errlen, "%s: initializer %d: %s", c->path, i, msg);
            goto next;
        }
        if (!ox_check_shape(c, what, t->n_dims, t->dims))
            goto next;
        int ti = ir_add_tensor(c->g, name, dt, t->n_dims, t->dims);
        c->g->tensors[ti].data = data;
        c->g->tensors[ti].nbytes = nbytes;
        data = NULL;
        ox_bind(c, name, ti);
        ok = true;
    next:
        free(data);
        free(name);
        if (!ok)
            return false;
    }
    if (gp->n_sparse_init) {
        snprintf(c->err, c->errlen, "%s: unsupported: sparse initializers (`kiln supported-ops` lists what Kiln compiles)",
                 c->path);
        return false;
    }
    return true;
}

/* ---- --shape / --const ------------------------------------------------------ */

/* The command line's fact about declared input `pos` named `name`, or NULL;
 * used[] marks the facts that found their input. */
static const import_fix *find_fix(onnx_ctx *c, const char *name, int pos, bool *used)
{
    if (!c->opts)
        return NULL;
    for (int i = 0; i < c->opts->n_fixes; i++) {
        const import_fix *f = &c->opts->fixes[i];
        if ((f->name && !strcmp(f->name, name)) || (!f->name && f->pos == pos)) {
            used[i] = true;
            return f;
        }
    }
    return NULL;
}

/* Every fact must name an input of this model. */
static bool check_fixes_used(onnx_ctx *c, const bool *used, int n_decl)
{
    for (int i = 0; c->opts && i < c->opts->n_fixes; i++) {
        if (used[i])
            continue;
        const import_fix *f = &c->opts->fixes[i];
        sbuf b = {0};
        for (int k = 0; k < c->n_decl; k++)
            sb_printf(&b, "%s'%s'", k ? ", " : "", c->g->tensors[c->decl[k].tensor].name);
        if (f->name)
            snprintf(c->err, c->errlen, "%s: %s names input '%s', but the model's inputs are %s", c->path,
                     f->opt, f->name, b.s ? b.s : "none");
        else
            snprintf(c->err, c->errlen, "%s: %s names input position %d, but the model declares %d input%s (%s)",
                     c->path, f->opt, f->pos, n_decl, n_decl == 1 ? "" : "s", b.s ? b.s : "none");
        sb_free(&b);
        return false;
    }
    return true;
}

/* A --const number list as the tensor's data, converted to its dtype. */
static bool fix_const_data(onnx_ctx *c, const import_fix *f, int t)
{
    return import_fix_data(f, &c->g->tensors[t], c->path, c->err, c->errlen);
}

static bool add_inputs(onnx_ctx *c)
{
    const onnx_graph *gp = c->gp;
    c->decl = xcalloc((size_t)gp->n_inputs + 1, sizeof *c->decl);
    int pos = 0;
    bool *used = xcalloc((size_t)(c->opts ? c->opts->n_fixes : 0) + 1, sizeof *used);
    for (int i = 0; i < gp->n_inputs; i++) {
        const onnx_value_info *vi = &gp->inputs[i];
        char *name = onnx_strdup(vi->name);
        bool ok = false;
        char what[96];
        snprintf(what, sizeof what, "graph input '%s'", name);
        if (ox_lookup(c, name) >= 0) {
            /* An initializer listed as an input (IR version < 4 style, or a
             * default value): it stays a constant. */
            bool is_init = false;
            for (int k = 0; k < gp->n_init; k++)
                if (onnx_str_eq(gp->init[k].name, name))
                    is_init = true;
            if (!is_init) {
                snprintf(c->err, c->errlen, "%s: graph input '%s' is declared twice", c->path, name);
                free(name);
                return false;
            }
            free(name);
            continue;
        }
        int src_pos = pos++;
        const import_value *v = NULL;
        if (c->opts && src_pos < c->opts->n_values && c->opts->values)
            v = c->opts->values[src_pos];
        const import_fix *fx = find_fix(c, name, src_pos, used);
        if (!v && fx && fx->file)
            v = fx->file;
        const bool fix_vals = !v && fx && fx->has_value;
        const bool fix_shape = !v && fx && fx->has_shape;
        ir_dtype dt;
        int64_t shape[IR_MAX_DIMS];
        int rank;
        if (!name[0]) {
            snprintf(c->err, c->errlen, "%s: graph input %d has no name", c->path, i);
            goto out;
        }
        if (!vi->has_type || !vi->is_tensor) {
            snprintf(c->err, c->errlen, "%s: unsupported: %s is not a tensor (sequence, map or optional types "
                     "are not compiled)", c->path, what);
            goto out;
        }
        if (!ox_dtype(c, vi->elem_type, &dt, what)) {
            /* Say which node wanted it, if any. */
            for (int n = 0; n < gp->n_nodes; n++)
                for (int k = 0; k < gp->nodes[n].n_in; k++)
                    if (onnx_str_eq(gp->nodes[n].in[k], name)) {
                        size_t l = strlen(c->err);
                        snprintf(c->err + l, c->errlen > l ? c->errlen - l : 0, "; it is input %d of node %d (%.*s)",
                                 k, n, (int)gp->nodes[n].op_type.len, (const char *)gp->nodes[n].op_type.p);
                        goto out;
                    }
            goto out;
        }
        if (v && v->dtype != dt) {
            snprintf(c->err, c->errlen, "%s: the value given for %s is %s, the model declares %s", c->path, what,
                     ir_dtype_name(v->dtype), ir_dtype_name(dt));
            goto out;
        }
        if (!vi->has_shape) {
            if (!v && !fix_shape) {
                snprintf(c->err, c->errlen, "%s: %s has no declared shape; fix it with --shape %s=DIMS "
                         "(e.g. 1x1280) or give its value (--input, --const)", c->path, what, name);
                goto out;
            }
            rank = v ? v->rank : fx->rank;
            for (int d = 0; d < rank && d < IR_MAX_DIMS; d++)
                shape[d] = v ? v->shape[d] : fx->shape[d];
        } else {
            rank = vi->rank;
            if (rank > IR_MAX_DIMS) {
                snprintf(c->err, c->errlen, "%s: unsupported: %s has rank %d (Kiln supports up to %d)", c->path,
                         what, rank, IR_MAX_DIMS);
                goto out;
            }
            if (v && v->rank != rank) {
                snprintf(c->err, c->errlen, "%s: the value given for %s has rank %d, the model declares rank %d",
                         c->path, what, v->rank, rank);
                goto out;
            }
            if (fix_shape && fx->rank != rank) {
                snprintf(c->err, c->errlen, "%s: --shape gives %s %d dimension%s, the model declares rank %d",
                         c->path, what, fx->rank, fx->rank == 1 ? "" : "s", rank);
                goto out;
            }
            for (int d = 0; d < rank; d++) {
                const onnx_dim *dm = &vi->dims[d];
                if (dm->has_value) {
                    if (dm->value < 0) {
                        snprintf(c->err, c->errlen, "%s: %s declares dimension %d as %lld", c->path, what, d,
                                 (long long)dm->value);
                        goto out;
                    }
                    if (v && v->shape[d] != dm->value) {
                        snprintf(c->err, c->errlen, "%s: the value given for %s has dimension %d = %lld, the model "
                                 "declares %lld", c->path, what, d, (long long)v->shape[d], (long long)dm->value);
                        goto out;
                    }
                    if (fix_shape && fx->shape[d] != dm->value) {
                        snprintf(c->err, c->errlen, "%s: --shape gives %s dimension %d = %lld, the model declares "
                                 "%lld", c->path, what, d, (long long)fx->shape[d], (long long)dm->value);
                        goto out;
                    }
                    shape[d] = dm->value;
                } else if (v) {
                    shape[d] = v->shape[d];
                } else if (fix_shape) {
                    shape[d] = fx->shape[d];
                } else if (fix_vals && rank == 1) {
                    shape[d] = fx->n_vals;
                } else {
                    shape[d] = 1;
                    if (!(c->opts && c->opts->quiet))
                        fprintf(stderr, "kiln: note: %s dimension %d ('%.*s') is symbolic; using 1 (fix it with "
                                "--shape %s=DIMS, or give the input's value with --input)\n", what, d,
                                (int)dm->param.len, (const char *)dm->param.p, name);
                }
            }
        }
        if (!ox_check_shape(c, what, rank, shape))
            goto out;
        int t = ir_add_tensor(c->g, name, dt, rank, shape);
        ox_bind(c, name, t);
        c->decl[c->n_decl].tensor = t;
        c->decl[c->n_decl].src_pos = src_pos;
        c->decl[c->n_decl].value = v;
        if (fix_vals && !fix_const_data(c, fx, t))
            goto out;
        /* --const: frozen now, so shape arithmetic and If on it fold. */
        if (fix_vals) {
            c->decl[c->n_decl].frozen = true;
        } else if (v && fx && v == fx->file) {
            ir_tensor *tt = &c->g->tensors[t];
            if (v->nbytes != ir_nbytes(tt)) {
                snprintf(c->err, c->errlen, "%s: the --const file for %s holds %zu bytes, its shape needs %zu",
                         c->path, what, v->nbytes, ir_nbytes(tt));
                goto out;
            }
            tt->data = xmalloc(v->nbytes ? v->nbytes : 1);
            memcpy(tt->data, v->data, v->nbytes);
            tt->nbytes = v->nbytes;
            c->decl[c->n_decl].frozen = true;
        } else if (ir_numel(&c->g->tensors[t]) == 0) {
            /* A zero-element input has one possible value, the empty one:
             * known now, so what is computed from it folds (a Reduce over
             * an empty set is a constant) and no code reads it. */
            ir_tensor *tt = &c->g->tensors[t];
            tt->data = xmalloc(1);
            tt->nbytes = 0;
            c->decl[c->n_decl].frozen = true;
        }
        c->n_decl++;
        ok = true;
    out:
        free(name);
        if (!ok) {
            free(used);
            return false;
        }
    }
    bool fixes_ok = check_fixes_used(c, used, pos);
    free(used);
    if (!fixes_ok)
        return false;
    if (c->opts && c->opts->n_values > pos) {
        snprintf(c->err, c->errlen, "%s: %d input values given, but the model declares %d input%s", c->path,
                 c->opts->n_values, pos, pos == 1 ? "" : "s");
        return false;
    }
    return true;
}

/* ---- nodes --------------------------------------------------------------- */

static int opset_of(const onnx_model *m, onnx_str domain, bool *found)
{
    bool dflt = is_default_domain(domain);
    for (int i = 0; i < m->n_opsets; i++) {
        const onnx_opset *o = &m->opsets[i];
        if ((dflt && is_default_domain(o->domain)) || (!dflt && o->domain.len == domain.len &&
                                                        memcmp(o->domain.p, domain.p, domain.len) == 0)) {
            *found = true;
            return o->version > INT_MAX ? INT_MAX : o->version < 0 ? -1 : (int)o->version;
        }
    }
    *found = false;
    return 0;
}

static bool import_node(onnx_ctx *c, int idx)
{
    const onnx_node *n = &c->gp->nodes[idx];
    c->node = n;
    c->node_index = idx;
    c->first_tensor = c->g->n_tensors;
    c->out0_optional = false;
    c->node_name = onnx_strdup(n->name);
    c->op_name = onnx_strdup(n->op_type);
    c->domain = onnx_strdup(n->domain);
    bool found;
    c->node_opset = opset_of(c->m, n->domain, &found);
    bool ok;
    if (!is_default_domain(n->domain)) {
        ok = ox_unsupported(c, "op '%s' from domain '%s' (only the default ai.onnx domain is compiled)",
                            c->op_name, c->domain);
    } else {
        const ox_op *op = find_op(n->op_type);
        if (!op)
            ok = ox_unsupported(c, "op '%s'", c->op_name);
        else if (c->node_opset < op->since || c->node_opset > op->until)
            ok = ox_unsupported(c, "op '%s' at opset %d (Kiln compiles it for opsets %d-%d)", c->op_name,
                                c->node_opset, op->since, op->until);
        else {
            int first = c->g->n_nodes;
            ok = op->fn(c);
            if (ok)
                fold_from(c, first);
        }
    }
    free(c->node_name);
    free(c->op_name);
    free(c->domain);
    c->node_name = c->op_name = c->domain = NULL;
    c->node = NULL;
    return ok;
}

/* ---- subgraphs (If branches, Loop bodies) ------------------------------------ */

/* A name a subgraph defines and the binding it hid (-1: none). */
typedef struct scoped_name {
    char *name;
    int old;
} scoped_name;

static void scope_add(onnx_ctx *c, scoped_name *s, int *n, onnx_str name)
{
    if (!name.len)
        return;
    s[*n].name = onnx_strdup(name);
    s[*n].old = ox_lookup(c, s[*n].name);
    (*n)++;
}

/* Every name g defines: its inputs, initializers and node outputs.  Saved
 * before any is bound, so restoring them in any order is exact. */
static scoped_name *scope_open(onnx_ctx *c, const onnx_graph *g, int *n)
{
    int cap = g->n_inputs + g->n_init + 1;
    for (int i = 0; i < g->n_nodes; i++)
        cap += g->nodes[i].n_out;
    scoped_name *s = xcalloc((size_t)cap, sizeof *s);
    *n = 0;
    for (int i = 0; i < g->n_inputs; i++)
        scope_add(c, s, n, g->inputs[i].name);
    for (int i = 0; i < g->n_init; i++)
        scope_add(c, s, n, g->init[i].name);
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_out; k++)
            scope_add(c, s, n, g->nodes[i].out[k]);
    return s;
}

static void scope_close(onnx_ctx *c, scoped_name *s, int n)
{
    for (int i = 0; i < n; i++) {
        ox_bind(c, s[i].name, s[i].old);
        free(s[i].name);
    }
    free(s);
}

bool ox_import_subgraph(onnx_ctx *c, const onnx_graph *g, int n_in, const int *in, int *out)
{
    if (n_in != g->n_inputs)
        return ox_err(c, "the subgraph '%.*s' declares %d inputs, %d are bound", (int)g->name.len,
                      (const char *)g->name.p, g->n_inputs, n_in);
    int n_scoped;
    scoped_name *scoped = scope_open(c, g, &n_scoped);
    for (int i = 0; i < n_in; i++) {
        char *name = onnx_strdup(g->inputs[i].name);
        ox_bind(c, name, in[i]);
        free(name);
    }
    /* The node's own state, restored after the subgraph's nodes. */
    const onnx_ctx saved = *c;
    c->gp = g;
    bool ok = add_initializers(c);
    for (int i = 0; ok && i < g->n_nodes; i++)
        ok = import_node(c, i);
    for (int k = 0; ok && k < g->n_outputs; k++) {
        char *name = onnx_strdup(g->outputs[k].name);
        out[k] = ox_lookup(c, name);
        if (out[k] < 0)
            ok = ox_err(c, "subgraph output '%s' is not produced in the subgraph or outside it", name);
        free(name);
    }
    c->gp = saved.gp;
    c->node = saved.node;
    c->node_index = saved.node_index;
    c->node_opset = saved.node_opset;
    c->first_tensor = saved.first_tensor;
    c->out0_optional = saved.out0_optional;
    c->node_name = saved.node_name;
    c->op_name = saved.op_name;
    c->domain = saved.domain;
    scope_close(c, scoped, n_scoped);
    return ok;
}

/* Marks in need[] every graph input t depends on (through producers). */
static void inputs_behind(onnx_ctx *c, int t, bool *seen, bool *need)
{
    if (t < 0 || seen[t] || ir_is_const(ox_t(c, t)))
        return;
    seen[t] = true;
    const int p = ox_t(c, t)->producer;
    if (p < 0) {
        need[t] = true;
        return;
    }
    for (int k = 0; k < c->g->nodes[p].n_in; k++)
        inputs_behind(c, c->g->nodes[p].in[k], seen, need);
}

bool ox_known(onnx_ctx *c, int t, const char *what)
{
    if (ir_is_const(ox_t(c, t)))
        return true;
    if (ox_t(c, t)->producer < 0)
        return ox_make_const(c, t, what);
    /* Computed from graph inputs: freeze those the caller gave values for,
     * then fold again.  Anything else behind it keeps it a run-time value. */
    const int n = c->g->n_tensors;
    bool *seen = xcalloc((size_t)n + 1, 1), *need = xcalloc((size_t)n + 1, 1);
    inputs_behind(c, t, seen, need);
    bool ok = true;
    for (int i = 0; ok && i < n; i++)
        for (int d = 0; need[i] && d < c->n_decl; d++)
            if (c->decl[d].tensor == i && c->decl[d].value)
                ok = ox_make_const(c, i, what);
    free(seen);
    free(need);
    if (!ok)
        return false;
    fold_from(c, 0);
    return ir_is_const(ox_t(c, t));
}

/* ---- every gap at once ------------------------------------------------------ */

/* Before importing anything: every op (domain, name, opset) the table lacks,
 * with its count and first node, in one message.  A model with one gap
 * usually has several; the user should see them all in one run. */
static bool check_all_ops_known(onnx_ctx *c)
{
    const onnx_graph *gp = c->gp;
    int n_gaps = 0, n_nodes = 0;
    int *first = xcalloc((size_t)gp->n_nodes + 1, sizeof *first), *count = xcalloc((size_t)gp->n_nodes + 1,
                                                                                      sizeof *count);
    for (int i = 0; i < gp->n_nodes; i++) {
        const onnx_node *n = &gp->nodes[i];
        bool found;
        const int opset = opset_of(c->m, n->domain, &found);
        const ox_op *op = is_default_domain(n->domain) ? find_op(n->op_type) : NULL;
        if (op && opset >= op->since && opset <= op->until)
            continue;
        n_nodes++;
        int k;   /* the first node with the same domain and op type */
        for (k = 0; k < n_gaps; k++) {
            const onnx_node *f = &gp->nodes[first[k]];
            if (f->op_type.len == n->op_type.len && !memcmp(f->op_type.p, n->op_type.p, n->op_type.len) &&
                f->domain.len == n->domain.len && !memcmp(f->domain.p, n->domain.p, n->domain.len))
                break;
        }
        if (k == n_gaps)
            first[n_gaps++] = i;
        count[k]++;
    }
    if (n_gaps <= 1) {      /* none, or one kind: import_node says it with all details */
        free(first);
        free(count);
        return true;
    }
    sbuf b = {0};
    sb_printf(&b, "%s: unsupported: %d operator types Kiln does not compile (%d nodes):", c->path, n_gaps, n_nodes);
    for (int k = 0; k < n_gaps; k++) {
        const onnx_node *f = &gp->nodes[first[k]];
        bool found;
        const int opset = opset_of(c->m, f->domain, &found);
        char *name = onnx_strdup(f->op_type), *dom = onnx_strdup(f->domain), *nn = onnx_strdup(f->name);
        sb_printf(&b, "\n  %s%s%s at opset %d: %d node%s, first node %d%s%s%s", dom[0] ? dom : "", dom[0] ? "::" : "",
                  name, opset, count[k], count[k] == 1 ? "" : "s", first[k], nn[0] ? " '" : "", nn, nn[0] ? "'" : "");
        free(name);
        free(dom);
        free(nn);
    }
    sb_printf(&b, "\n(`kiln supported-ops` lists what Kiln compiles)");
    snprintf(c->err, c->errlen, "%s", b.s);
    sb_free(&b);
    free(first);
    free(count);
    return false;
}

/* ---- outputs ------------------------------------------------------------- */

static bool add_outputs(onnx_ctx *c)
{
    const onnx_graph *gp = c->gp;
    if (gp->n_outputs == 0) {
        snprintf(c->err, c->errlen, "%s: the graph declares no outputs", c->path);
        return false;
    }
    for (int i = 0; i < gp->n_outputs; i++) {
        const onnx_value_info *vi = &gp->outputs[i];
        char *name = onnx_strdup(vi->name);
        int t = ox_lookup(c, name);
        if (t < 0) {
            snprintf(c->err, c->errlen, "%s: graph output '%s' is not produced by any node", c->path, name);
            free(name);
            return false;
        }
        /* Cross-check with what the file declares: a mismatch means the file
         * (or our inference) is wrong, so say so, but trust our inference. */
        const ir_tensor *tt = &c->g->tensors[t];
        ir_dtype dt;
        if (vi->has_type && vi->is_tensor && vi->elem_type && ox_dtype(c, vi->elem_type, &dt, "output") &&
            dt != tt->dtype)
            fprintf(stderr, "kiln: warning: %s: graph output '%s' is declared %s but computes to %s\n", c->path,
                    name, ir_dtype_name(dt), ir_dtype_name(tt->dtype));
        if (vi->has_shape) {
            bool same = vi->rank == tt->rank;
            for (int d = 0; same && d < vi->rank; d++)
                if (vi->dims[d].has_value && vi->dims[d].value != tt->shape[d])
                    same = false;
            if (!same)
                fprintf(stderr, "kiln: warning: %s: graph output '%s' is declared with another shape than the "
                        "one Kiln infers (rank %d)\n", c->path, name, tt->rank);
        }
        ir_mark_output(c->g, t);
        free(name);
    }
    return true;
}

/* ---- entry points -------------------------------------------------------- */

static bool import_graph(onnx_ctx *c)
{
    const onnx_model *m = c->m;
    if (!m->has_graph) {
        snprintf(c->err, c->errlen, "%s: not an ONNX model (no graph)", c->path);
        return false;
    }
    bool found;
    c->opset = opset_of(m, (onnx_str){0}, &found);
    if (!found) {
        snprintf(c->err, c->errlen, "%s: the model imports no opset for the default (ai.onnx) domain", c->path);
        return false;
    }
    if (c->opset < OX_MIN_OPSET || c->opset > OX_MAX_OPSET) {
        snprintf(c->err, c->errlen, "%s: unsupported: ai.onnx opset %d (Kiln compiles opsets %d-%d; "
                 "`kiln supported-ops` lists what Kiln compiles)", c->path, c->opset, OX_MIN_OPSET, OX_MAX_OPSET);
        return false;
    }
    if (!check_all_ops_known(c) || !add_initializers(c) || !add_inputs(c))
        return false;
    for (int i = 0; i < c->gp->n_nodes; i++)
        if (!import_node(c, i))
            return false;
    if (!add_outputs(c))
        return false;
    for (int i = 0; i < c->n_decl; i++)
        if (!c->decl[i].frozen)
            ir_mark_input(c->g, c->decl[i].tensor, c->decl[i].src_pos);
    c->g->n_declared_inputs = c->n_decl;
    propagate_quant(c->g);
    ir_compact(c->g);
    char msg[512];
    if (!ir_check_sizes(c->g, msg, sizeof msg)) {
        snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
        return false;
    }
    if (!ir_verify(c->g, msg, sizeof msg)) {
        snprintf(c->err, c->errlen, "%s: internal error, the imported graph does not verify: %s", c->path, msg);
        return false;
    }
    return true;
}

ir_graph *import_onnx_mem(const uint8_t *data, size_t len, const char *path, const import_opts *opts,
                          char *err, size_t errlen)
{
    const char *p = path ? path : "<memory>";
    onnx_model m;
    char msg[768];
    if (!data || len == 0) {
        snprintf(err, errlen, "%s: empty file, not an ONNX model", p);
        return NULL;
    }
    if (!onnx_model_decode(data, len, &m, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", p, msg);
        return NULL;
    }
    char *stem = path ? path_stem(path) : xstrdup("net");
    char *gname = m.graph.name.len ? onnx_strdup(m.graph.name) : xstrdup(stem);
    onnx_ctx c = {0};
    c.path = p;
    c.dir = path ? path_dir(path) : NULL;
    c.m = &m;
    c.gp = &m.graph;
    c.opts = opts;
    c.err = err;
    c.errlen = errlen;
    c.g = ir_new(gname);
    free(c.g->source);
    c.g->source = xasprintf("onnx %s", p);
    bool ok = import_graph(&c);
    ox_names_free(&c.names);
    free(c.decl);
    free(c.dir);
    free(gname);
    free(stem);
    onnx_model_free(&m);
    if (!ok) {
        ir_free(c.g);
        return NULL;
    }
    return c.g;
}

ir_graph *import_onnx(const char *path, const import_opts *opts, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    if (!read_file(path, &data, &len, err, errlen))
        return NULL;
    ir_graph *g = import_onnx_mem(data, len, path, opts, err, errlen);
    free(data);
    return g;
}
