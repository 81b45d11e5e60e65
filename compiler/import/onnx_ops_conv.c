/*
 * onnx_ops_conv.c - ONNX windowed ops into IR: Conv, ConvTranspose,
 * MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, and
 * BatchNormalization (inference: one BATCHNORM node; training mode, opset
 * >= 14: decomposed into REDUCE_MEAN, SUB, MUL, ADD, SQRT and DIV).
 *
 * Relies on onnx_helpers.c.  What it resolves: kernel shape (from W when
 * absent), strides, dilations, explicit pads or auto_pad (SAME_UPPER,
 * SAME_LOWER, VALID) into explicit begin/end pads; pools' ceil_mode into
 * the output shape (a last window that would start in the end padding is
 * dropped, as ONNX and PyTorch define it); ConvTranspose's output_shape and
 * output_padding into pads.  Weights keep ONNX's [M, C/group, k...] layout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"

#define MAX_WIN ((int64_t)1 << 24)   /* kernel, stride, dilation, pad */

static bool spatial_attr(onnx_ctx *c, const char *name, int n, int64_t def, int64_t lo, int64_t *v)
{
    int64_t buf[2 * IR_MAX_SPATIAL];
    int k;
    if (!ox_attr_ints(c, name, buf, 2 * IR_MAX_SPATIAL, &k))
        return false;
    if (k < 0) {
        for (int i = 0; i < n; i++)
            v[i] = def;
        return true;
    }
    if (k != n)
        return ox_err(c, "attribute '%s' has %d values, %d expected", name, k, n);
    for (int i = 0; i < n; i++) {
        if (buf[i] < lo || buf[i] > MAX_WIN)
            return ox_unsupported(c, "attribute '%s' value %lld", name, (long long)buf[i]);
        v[i] = buf[i];
    }
    return true;
}

enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

static bool auto_pad(onnx_ctx *c, int *mode)
{
    char s[32];
    if (!ox_attr_str(c, "auto_pad", "NOTSET", s, sizeof s))
        return false;
    if (!strcmp(s, "NOTSET") || !s[0])
        *mode = PAD_NOTSET;
    else if (!strcmp(s, "SAME_UPPER"))
        *mode = PAD_SAME_UPPER;
    else if (!strcmp(s, "SAME_LOWER"))
        *mode = PAD_SAME_LOWER;
    else if (!strcmp(s, "VALID"))
        *mode = PAD_VALID;
    else
        return ox_unsupported(c, "auto_pad '%s'", s);
    return true;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

bool ox_conv_window(onnx_ctx *c, int x_rank, const int64_t *x_shape, int w_rank, const int64_t *w_shape,
                    ox_window *win)
{
    int n = x_rank - 2;
    if (n < 1 || n > IR_MAX_SPATIAL)
        return ox_unsupported(c, "input of rank %d (1 to %d spatial dimensions are supported)", x_rank,
                              IR_MAX_SPATIAL);
    win->n = n;
    for (int i = 0; i < n; i++)
        win->in[i] = x_shape[2 + i];
    int64_t ks[IR_MAX_SPATIAL], pads[2 * IR_MAX_SPATIAL];
    int nk;
    if (!ox_attr_ints(c, "kernel_shape", ks, IR_MAX_SPATIAL, &nk))
        return false;
    if (nk >= 0 && nk != n)
        return ox_err(c, "kernel_shape has %d values for %d spatial dimensions", nk, n);
    if (w_shape) {
        if (w_rank != x_rank)
            return ox_err(c, "weights have rank %d, input has rank %d", w_rank, x_rank);
        for (int i = 0; i < n; i++) {
            if (nk >= 0 && ks[i] != w_shape[2 + i])
                return ox_err(c, "kernel_shape[%d] = %lld but the weights say %lld", i, (long long)ks[i],
                              (long long)w_shape[2 + i]);
            ks[i] = w_shape[2 + i];
        }
    } else if (nk < 0) {
        return ox_err(c, "attribute kernel_shape is required");
    }
    for (int i = 0; i < n; i++) {
        if (ks[i] < 1 || ks[i] > MAX_WIN)
            return ox_unsupported(c, "kernel size %lld", (long long)ks[i]);
        win->k[i] = ks[i];
    }
    if (!spatial_attr(c, "strides", n, 1, 1, win->s) || !spatial_attr(c, "dilations", n, 1, 1, win->d))
        return false;
    int np;
    if (!ox_attr_ints(c, "pads", pads, 2 * IR_MAX_SPATIAL, &np))
        return false;
    if (np >= 0 && np != 2 * n)
        return ox_err(c, "attribute 'pads' has %d values, %d expected", np, 2 * n);
    int mode;
    if (!auto_pad(c, &mode))
        return false;
    for (int i = 0; i < n; i++) {
        int64_t in = win->in[i], dk = win->d[i] * (win->k[i] - 1) + 1, s = win->s[i];
        int64_t pb = 0, pe = 0, out;
        if (mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
            out = ceil_div(in, s);
            int64_t total = (out - 1) * s + dk - in;
            if (total < 0)
                total = 0;
            pb = mode == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
        } else {
            if (mode == PAD_NOTSET && np > 0) {
                pb = pads[i];
                pe = pads[n + i];
                if (pb < 0 || pe < 0 || pb > MAX_WIN || pe > MAX_WIN)
                    return ox_unsupported(c, "pads %lld, %lld", (long long)pb, (long long)pe);
            }
            int64_t span = in + pb + pe - dk;
            if (span < 0)
                return ox_err(c, "the window (%lld with dilation) is larger than the padded input (%lld) on "
                              "spatial axis %d", (long long)dk, (long long)(in + pb + pe), i);
            out = (win->ceil ? ceil_div(span, s) : span / s) + 1;
            /* ceil_mode: a window that would start in the end padding is dropped. */
            if (win->ceil && (out - 1) * s >= in + pb)
                out--;
        }
        win->pb[i] = pb;
        win->pe[i] = pe;
        win->out[i] = out;
    }
    return true;
}

static void set_window(ir_conv_attr *a, const ox_window *w)
{
    a->layout = IR_LAYOUT_NCHW;
    a->nspatial = w->n;
    for (int i = 0; i < w->n; i++) {
        a->kernel[i] = (int)w->k[i];
        a->stride[i] = (int)w->s[i];
        a->dilation[i] = (int)w->d[i];
        a->pad_begin[i] = (int)w->pb[i];
        a->pad_end[i] = (int)w->pe[i];
    }
}

/* ---- Conv ------------------------------------------------------------------ */

bool ox_emit_conv(onnx_ctx *c, int x, int w, int b, ir_dtype out_dt, int *y_out)
{
    const ir_tensor *tx = ox_t(c, x), *tw = ox_t(c, w);
    int64_t xs[IR_MAX_DIMS], ws[IR_MAX_DIMS];
    int xr = tx->rank, wr = tw->rank;
    memcpy(xs, tx->shape, sizeof xs);
    memcpy(ws, tw->shape, sizeof ws);
    int64_t group;
    ox_window win = {0};
    if (!ox_attr_int(c, "group", 1, &group) || !ox_conv_window(c, xr, xs, wr, ws, &win))
        return false;
    int64_t ch = xs[1], m = ws[0];
    if (group < 1 || group > ch)
        return ox_err(c, "group %lld is out of range for %lld input channels", (long long)group, (long long)ch);
    if (ch != ws[1] * group)
        return ox_err(c, "input has %lld channels but weights [%lld, %lld, ...] with group %lld need %lld",
                      (long long)ch, (long long)ws[0], (long long)ws[1], (long long)group,
                      (long long)(ws[1] * group));
    if (m % group)
        return ox_err(c, "%lld output channels do not divide into %lld groups", (long long)m, (long long)group);
    if (b >= 0) {
        const ir_tensor *tb = ox_t(c, b);
        if (tb->rank != 1 || tb->shape[0] != m)
            return ox_err(c, "bias '%s' must be [%lld]", tb->name, (long long)m);
    }
    int64_t ys[IR_MAX_DIMS];
    ys[0] = xs[0];
    ys[1] = m;
    for (int i = 0; i < win.n; i++)
        ys[2 + i] = win.out[i];
    int y;
    if (!ox_out(c, 0, out_dt, xr, ys, &y))
        return false;
    int in[3] = {x, w, b};
    int n = ox_node(c, IR_OP_CONV, 3, in, 1, &y);
    set_window(&c->g->nodes[n].attr.conv, &win);
    c->g->nodes[n].attr.conv.group = (int)group;
    c->g->nodes[n].attr.qmode = IR_QMODE_ONNX;
    if (y_out)
        *y_out = y;
    return true;
}

static bool float_input(onnx_ctx *c, int t)
{
    ir_dtype d = ox_t(c, t)->dtype;
    if (d == IR_DT_F32 || d == IR_DT_F16 || d == IR_DT_F64)
        return true;
    return ox_unsupported(c, "'%s' has element type %s (this op takes floating point)", ox_t(c, t)->name,
                          ir_dtype_name(d));
}

bool ox_conv(onnx_ctx *c)
{
    int x, w, b;
    if (!ox_in(c, 0, &x) || !ox_in_weights(c, 1, false, &w) || !ox_in_weights(c, 2, true, &b) ||
        !float_input(c, x))
        return false;
    if (ox_t(c, w)->dtype != ox_t(c, x)->dtype || (b >= 0 && ox_t(c, b)->dtype != ox_t(c, x)->dtype))
        return ox_err(c, "input, weights and bias must have the same element type");
    return ox_emit_conv(c, x, w, b, ox_t(c, x)->dtype, NULL);
}

/* ---- ConvTranspose --------------------------------------------------------- */

/* Python's floor division by 2, which ONNX's reference uses for pads. */
static int64_t fdiv2(int64_t v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

bool ox_conv_transpose(onnx_ctx *c)
{
    int x, w, b;
    if (!ox_in(c, 0, &x) || !ox_in_weights(c, 1, false, &w) || !ox_in_weights(c, 2, true, &b) ||
        !float_input(c, x))
        return false;
    const ir_tensor *tx = ox_t(c, x), *tw = ox_t(c, w);
    if (tw->dtype != tx->dtype || (b >= 0 && ox_t(c, b)->dtype != tx->dtype))
        return ox_err(c, "input, weights and bias must have the same element type");
    int xr = tx->rank, n = xr - 2;
    int64_t xs[IR_MAX_DIMS], ws[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    memcpy(ws, tw->shape, sizeof ws);
    ir_dtype dt = tx->dtype;
    if (n < 1 || n > IR_MAX_SPATIAL)
        return ox_unsupported(c, "input of rank %d (1 to %d spatial dimensions are supported)", xr, IR_MAX_SPATIAL);
    if (tw->rank != xr)
        return ox_err(c, "weights have rank %d, input has rank %d", tw->rank, xr);
    int64_t group;
    if (!ox_attr_int(c, "group", 1, &group))
        return false;
    if (group < 1 || group > xs[1] || xs[1] % group)
        return ox_err(c, "group %lld does not divide %lld input channels", (long long)group, (long long)xs[1]);
    if (ws[0] != xs[1])
        return ox_err(c, "weights [%lld, ...] must have the input's %lld channels first", (long long)ws[0],
                      (long long)xs[1]);
    int64_t m = ws[1] * group;
    if (b >= 0 && (ox_t(c, b)->rank != 1 || ox_t(c, b)->shape[0] != m))
        return ox_err(c, "bias must be [%lld]", (long long)m);
    int64_t ks[IR_MAX_SPATIAL], s[IR_MAX_SPATIAL], d[IR_MAX_SPATIAL], op[IR_MAX_SPATIAL];
    int64_t pads[2 * IR_MAX_SPATIAL], oshape[IR_MAX_DIMS];
    int nk, np, no;
    if (!ox_attr_ints(c, "kernel_shape", ks, IR_MAX_SPATIAL, &nk) || !spatial_attr(c, "strides", n, 1, 1, s) ||
        !spatial_attr(c, "dilations", n, 1, 1, d) || !spatial_attr(c, "output_padding", n, 0, 0, op) ||
        !ox_attr_ints(c, "pads", pads, 2 * IR_MAX_SPATIAL, &np) ||
        !ox_attr_ints(c, "output_shape", oshape, IR_MAX_DIMS, &no))
        return false;
    if (nk >= 0 && nk != n)
        return ox_err(c, "kernel_shape has %d values for %d spatial dimensions", nk, n);
    if (np >= 0 && np != 2 * n)
        return ox_err(c, "attribute 'pads' has %d values, %d expected", np, 2 * n);
    /* output_shape may list the spatial dims only or the whole shape. */
    if (no >= 0 && no != n && no != xr)
        return ox_err(c, "output_shape has %d values, %d expected", no, n);
    int mode;
    if (!auto_pad(c, &mode))
        return false;
    ox_window win = {0};
    win.n = n;
    int64_t ys[IR_MAX_DIMS];
    ys[0] = xs[0];
    ys[1] = m;
    for (int i = 0; i < n; i++) {
        int64_t k = ws[2 + i];
        if (nk >= 0 && ks[i] != k)
            return ox_err(c, "kernel_shape[%d] = %lld but the weights say %lld", i, (long long)ks[i], (long long)k);
        if (k < 1 || k > MAX_WIN)
            return ox_unsupported(c, "kernel size %lld", (long long)k);
        int64_t in = xs[2 + i];
        int64_t natural = s[i] * (in - 1) + op[i] + d[i] * (k - 1) + 1;
        int64_t pb = 0, pe = 0;
        bool target = no >= 0 || mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER;
        if (target) {
            int64_t want = no >= 0 ? oshape[no == n ? i : 2 + i] : in * s[i];
            if (want < 1 || want > MAX_WIN * 64)
                return ox_err(c, "output_shape[%d] = %lld", i, (long long)want);
            int64_t total = natural - want;
            if (mode == PAD_SAME_UPPER) {
                pb = fdiv2(total);
                pe = total - pb;
            } else {
                pe = fdiv2(total);
                pb = total - pe;
            }
        } else if (mode == PAD_NOTSET && np > 0) {
            pb = pads[i];
            pe = pads[n + i];
            if (pb < 0 || pe < 0 || pb > MAX_WIN || pe > MAX_WIN)
                return ox_unsupported(c, "pads %lld, %lld", (long long)pb, (long long)pe);
        }
        if (pb < 0)
            return ox_unsupported(c, "an output_shape larger than the full transposed convolution at the start "
                                  "(pad_begin %lld on spatial axis %d)", (long long)pb, i);
        int64_t out = natural - pb - pe;
        if (out < 1)
            return ox_err(c, "output spatial size %lld on axis %d", (long long)out, i);
        win.k[i] = k;
        win.s[i] = s[i];
        win.d[i] = d[i];
        win.pb[i] = pb;
        win.pe[i] = pe;
        win.in[i] = in;
        win.out[i] = out;
        ys[2 + i] = out;
    }
    int y;
    if (!ox_out(c, 0, dt, xr, ys, &y))
        return false;
    int in[3] = {x, w, b};
    int nd = ox_node(c, IR_OP_CONV_TRANSPOSE, 3, in, 1, &y);
    ir_conv_attr *a = &c->g->nodes[nd].attr.conv;
    set_window(a, &win);
    a->group = (int)group;
    for (int i = 0; i < n; i++)
        a->output_padding[i] = (int)op[i];
    return true;
}

/* ---- pools ----------------------------------------------------------------- */

static bool pool_input(onnx_ctx *c, int x, bool allow_int8)
{
    ir_dtype d = ox_t(c, x)->dtype;
    if (d == IR_DT_F32 || d == IR_DT_F16 || d == IR_DT_F64 || (allow_int8 && (d == IR_DT_S8 || d == IR_DT_U8)))
        return true;
    return ox_unsupported(c, "input element type %s", ir_dtype_name(d));
}

static bool pool(onnx_ctx *c, ir_op op)
{
    int x;
    if (!ox_in(c, 0, &x) || !pool_input(c, x, op == IR_OP_MAXPOOL))
        return false;
    const ir_tensor *tx = ox_t(c, x);
    int xr = tx->rank;
    int64_t xs[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    ir_dtype dt = tx->dtype;
    int64_t ceil_mode = 0, cip = 0, order = 0;
    if (!ox_attr_int(c, "ceil_mode", 0, &ceil_mode) || !ox_attr_int(c, "count_include_pad", 0, &cip) ||
        !ox_attr_int(c, "storage_order", 0, &order))
        return false;
    if (order != 0 && order != 1)
        return ox_err(c, "storage_order %lld", (long long)order);
    ox_window win = {0};
    win.ceil = ceil_mode != 0;
    if (!ox_conv_window(c, xr, xs, 0, NULL, &win))
        return false;
    int64_t ys[IR_MAX_DIMS];
    ys[0] = xs[0];
    ys[1] = xs[1];
    for (int i = 0; i < win.n; i++)
        ys[2 + i] = win.out[i];
    int y, idx = -1;
    if (!ox_out(c, 0, dt, xr, ys, &y))
        return false;
    if (op == IR_OP_MAXPOOL && !ox_out(c, 1, IR_DT_S64, xr, ys, &idx))
        return false;
    if (op == IR_OP_AVGPOOL && c->node->n_out > 1 && c->node->out[1].len)
        return ox_err(c, "AveragePool has one output");
    int outs[2] = {y, idx};
    int nd = ox_node(c, op, 1, &x, idx >= 0 ? 2 : 1, outs);
    ir_conv_attr *a = &c->g->nodes[nd].attr.conv;
    set_window(a, &win);
    a->count_include_pad = cip != 0;
    a->storage_order = (int)order;
    return true;
}

bool ox_maxpool(onnx_ctx *c) { return pool(c, IR_OP_MAXPOOL); }
bool ox_avgpool(onnx_ctx *c) { return pool(c, IR_OP_AVGPOOL); }

static bool global_pool(onnx_ctx *c, ir_op op)
{
    int x;
    if (!ox_in(c, 0, &x) || !pool_input(c, x, op == IR_OP_MAXPOOL))
        return false;
    const ir_tensor *tx = ox_t(c, x);
    int xr = tx->rank, n = xr - 2;
    if (n == 0)
        return ox_alias_out(c, 0, x);
    if (n < 0 || n > IR_MAX_SPATIAL)
        return ox_unsupported(c, "input of rank %d", xr);
    int64_t ys[IR_MAX_DIMS];
    ox_window win = {0};
    win.n = n;
    ys[0] = tx->shape[0];
    ys[1] = tx->shape[1];
    for (int i = 0; i < n; i++) {
        if (tx->shape[2 + i] < 1 || tx->shape[2 + i] > INT32_MAX)
            return ox_err(c, "spatial dimension %d is %lld", i, (long long)tx->shape[2 + i]);
        win.k[i] = tx->shape[2 + i];
        win.s[i] = 1;
        win.d[i] = 1;
        ys[2 + i] = 1;
    }
    int y;
    if (!ox_out(c, 0, tx->dtype, xr, ys, &y))
        return false;
    int nd = ox_node(c, op, 1, &x, 1, &y);
    set_window(&c->g->nodes[nd].attr.conv, &win);
    return true;
}

bool ox_global_avgpool(onnx_ctx *c) { return global_pool(c, IR_OP_AVGPOOL); }
bool ox_global_maxpool(onnx_ctx *c) { return global_pool(c, IR_OP_MAXPOOL); }

/* ---- BatchNormalization ---------------------------------------------------- */

/* One node of the training-mode decomposition: op(a[, b]) into output k of
 * the ONNX node (k >= 0; *t = -1 when that output is absent) or into a new
 * float32 intermediate named after `suffix` (k < 0). */
static bool bn_step(onnx_ctx *c, ir_op op, int a, int b, int k, const char *suffix, int rank,
                    const int64_t *shape, int *t)
{
    bool ok = k >= 0 ? ox_out(c, k, IR_DT_F32, rank, shape, t)
                     : ox_tmp(c, suffix, IR_DT_F32, rank, shape, t);
    if (!ok || *t < 0)
        return ok;
    int in[2] = {a, b};
    ox_node(c, op, b >= 0 ? 2 : 1, in, 1, t);
    return true;
}

/* A one-element float32 constant (broadcasts against anything). */
static bool bn_scalar(onnx_ctx *c, const char *suffix, float v, int *t)
{
    const int64_t one[1] = {1};
    return ox_const(c, suffix, IR_DT_F32, 1, one, &v, sizeof v, t);
}

/* BatchNormalization with training_mode=1 (opset >= 14), decomposed into IR
 * ops in the order of the ONNX definition and its reference implementation
 * (onnx/reference/ops/op_batch_normalization.py), each step rounded to
 * float32 as numpy does:
 *   mean = ReduceMean(X) over every axis but 1       (the batch's own mean)
 *   var  = ReduceMean((X - mean)^2) likewise         (population variance)
 *   Y    = scale * (X - mean) / sqrt(var + epsilon) + B
 *   running_mean = input_mean * momentum + mean * (1 - momentum)
 *   running_var  = input_var  * momentum + var  * (1 - momentum)
 * The statistics are inputs like any other here (they need not be
 * constants): only the running outputs read input_mean and input_var. */
static bool batchnorm_training(onnx_ctx *c, float eps, float momentum)
{
    int in[5];
    for (int k = 0; k < 5; k++)
        if (!ox_in(c, k, &in[k]))
            return false;
    if (c->node->n_out > 3)
        return ox_err(c, "%d outputs; training mode has Y, running_mean and running_var", c->node->n_out);
    const ir_tensor *tx = ox_t(c, in[0]);
    if (tx->dtype != IR_DT_F32)
        return ox_unsupported(c, "BatchNormalization in training mode on %s tensors (float32 is compiled)",
                              ir_dtype_name(tx->dtype));
    const int r = tx->rank;
    if (r < 2)
        return ox_err(c, "input must have rank >= 2 (it has %d)", r);
    int64_t xs[IR_MAX_DIMS], bs[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    const int64_t C = xs[1], cs[1] = {C};
    for (int k = 1; k < 5; k++) {
        const ir_tensor *t = ox_t(c, in[k]);
        if (t->rank != 1 || t->shape[0] != C)
            return ox_err(c, "input %d '%s' must be [%lld] (one value per channel)", k, t->name, (long long)C);
        if (t->dtype != IR_DT_F32)
            return ox_err(c, "input %d '%s' is %s, X is float32", k, t->name, ir_dtype_name(t->dtype));
    }
    uint32_t mask = 0;
    for (int d = 0; d < r; d++) {
        bs[d] = d == 1 ? C : 1;
        if (d != 1)
            mask |= 1u << d;
    }
    int mean, cen, sq, var, ve, sd, sc, b, num, q, y, e;
    if (!ox_tmp(c, "batch_mean", IR_DT_F32, r, bs, &mean))
        return false;
    ox_node(c, IR_OP_REDUCE_MEAN, 1, &in[0], 1, &mean);
    c->g->nodes[c->g->n_nodes - 1].attr.axes_mask = mask;
    if (!bn_step(c, IR_OP_SUB, in[0], mean, -1, "centered", r, xs, &cen) ||
        !bn_step(c, IR_OP_MUL, cen, cen, -1, "squared", r, xs, &sq) ||
        !ox_tmp(c, "batch_var", IR_DT_F32, r, bs, &var))
        return false;
    ox_node(c, IR_OP_REDUCE_MEAN, 1, &sq, 1, &var);
    c->g->nodes[c->g->n_nodes - 1].attr.axes_mask = mask;
    if (!bn_scalar(c, "epsilon", eps, &e) || !bn_step(c, IR_OP_ADD, var, e, -1, "var_eps", r, bs, &ve) ||
        !bn_step(c, IR_OP_SQRT, ve, -1, -1, "std", r, bs, &sd) ||
        !ox_reshape_to(c, -1, in[1], r, bs, &sc) || !ox_reshape_to(c, -1, in[2], r, bs, &b) ||
        !bn_step(c, IR_OP_MUL, sc, cen, -1, "scaled", r, xs, &num) ||
        !bn_step(c, IR_OP_DIV, num, sd, -1, "normalized", r, xs, &q) ||
        !bn_step(c, IR_OP_ADD, q, b, 0, NULL, r, xs, &y))
        return false;
    /* The running statistics, each only when its output is wanted.  The
     * factors are float32 as numpy's float32 arrays see Python's momentum
     * and 1 - momentum (computed in double, then rounded). */
    const int stat[2] = {mean, var};
    int m = -1, f = -1;
    for (int k = 1; k < 3; k++) {
        if (k >= c->node->n_out || c->node->out[k].len == 0)
            continue;
        int g, t1, t2, out;
        if (m < 0 && (!bn_scalar(c, "momentum", momentum, &m) ||
                      !bn_scalar(c, "one_minus_momentum", (float)(1.0 - (double)momentum), &f)))
            return false;
        if (!ox_reshape_to(c, -1, stat[k - 1], 1, cs, &g) ||
            !bn_step(c, IR_OP_MUL, in[k + 2], m, -1, "kept", 1, cs, &t1) ||
            !bn_step(c, IR_OP_MUL, g, f, -1, "new", 1, cs, &t2) ||
            !bn_step(c, IR_OP_ADD, t1, t2, k, NULL, 1, cs, &out))
            return false;
    }
    return true;
}

bool ox_batchnorm(onnx_ctx *c)
{
    float eps, momentum;
    int64_t training = 0, spatial = 1, is_test = 1;
    if (!ox_attr_float(c, "epsilon", 1e-5f, &eps) || !ox_attr_float(c, "momentum", 0.9f, &momentum) ||
        !ox_attr_int(c, "training_mode", 0, &training) || !ox_attr_int(c, "spatial", 1, &spatial) ||
        !ox_attr_int(c, "is_test", 1, &is_test))
        return false;
    if (training && c->node_opset >= 14)
        return batchnorm_training(c, eps, momentum);
    /* Before opset 14 training was a matter of which outputs a node had
     * (mean, var, saved_mean, saved_var), with definitions that changed
     * between opsets: refused rather than guessed. */
    for (int k = 1; k < c->node->n_out; k++)
        if (c->node->out[k].len)
            return ox_unsupported(c, "BatchNormalization in training form (output %d: running or saved "
                                  "statistics%s)", k, c->node_opset < 14 ? "; training_mode is compiled from "
                                  "opset 14" : " without training_mode=1");
    if (training)
        return ox_unsupported(c, "BatchNormalization with training_mode=1 before opset 14");
    int in[5];
    for (int k = 0; k < 5; k++)
        if (k == 0 ? !ox_in(c, k, &in[k]) : !ox_in_weights(c, k, false, &in[k]))
            return false;
    if (!float_input(c, in[0]))
        return false;
    const ir_tensor *tx = ox_t(c, in[0]);
    if (tx->rank < 2)
        return ox_err(c, "input must have rank >= 2 (it has %d)", tx->rank);
    int64_t ch = tx->shape[1];
    if (!spatial && tx->rank > 2)
        return ox_unsupported(c, "BatchNormalization with spatial=0 on a rank-%d input", tx->rank);
    for (int k = 1; k < 5; k++) {
        const ir_tensor *t = ox_t(c, in[k]);
        if (t->rank != 1 || t->shape[0] != ch)
            return ox_err(c, "input %d '%s' must be [%lld] (one value per channel)", k, t->name, (long long)ch);
        if (t->dtype != tx->dtype)
            return ox_err(c, "input %d '%s' is %s, X is %s", k, t->name, ir_dtype_name(t->dtype),
                          ir_dtype_name(tx->dtype));
    }
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tx->shape, sizeof shape);
    int y;
    if (!ox_out(c, 0, tx->dtype, tx->rank, shape, &y))
        return false;
    int nd = ox_node(c, IR_OP_BATCHNORM, 5, in, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    a->epsilon = eps;
    a->conv.layout = IR_LAYOUT_NCHW;     /* channels are axis 1 */
    return true;
}
