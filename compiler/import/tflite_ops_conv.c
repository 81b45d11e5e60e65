/*
 * tflite_ops_conv.c - TFLite's windowed and matrix operators as IR nodes:
 * CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED,
 * AVERAGE_POOL_2D and MAX_POOL_2D.
 *
 * Activations stay NHWC (attr.conv.layout = IR_LAYOUT_NHWC).  Weights are
 * reordered here, once, into the IR's ONNX order: CONV OHWI -> [O, I, kh, kw];
 * DEPTHWISE [1, kh, kw, C*mult] -> [C*mult, 1, kh, kw] with group = C;
 * TRANSPOSE_CONV [O, kh, kw, I] -> [I, O, kh, kw]; the per-channel
 * quantization axis follows its dimension.  SAME / VALID padding is resolved
 * to explicit pads exactly as TFLite computes them (kernels/padding.h): the
 * output size from the input, total = max((out-1)*stride + (k-1)*dil + 1 - in,
 * 0), half before and the odd pixel at the end.  Every shape the file states
 * is checked against what these rules give; a mismatch is an error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/tflite_internal.h"
#include "util/sbuf.h"

#define MAX_WINDOW (1 << 20)   /* bound on strides, dilations and pool filters */

/* TFLite's padding for one spatial axis (ComputeOutSize / ComputePaddingWithOffset). */
static bool resolve_padding(tfl_ctx *c, int8_t padding, int64_t in, int64_t k, int stride, int dil,
                            int *pb, int *pe, int64_t *out, const char *axis)
{
    if (stride < 1 || stride > MAX_WINDOW)
        return tfl_op_fail(c, "stride_%s = %d is invalid (1..%d)", axis, stride, MAX_WINDOW);
    if (dil < 1 || dil > MAX_WINDOW)
        return tfl_op_fail(c, "dilation_%s_factor = %d is invalid (1..%d)", axis, dil, MAX_WINDOW);
    if (k < 1 || k > MAX_WINDOW)
        return tfl_op_fail(c, "filter %s = %lld is invalid (1..%d)", axis, (long long)k, MAX_WINDOW);
    int64_t eff = (k - 1) * dil + 1;
    if (padding == TFL_PAD_SAME) {
        *out = (in + stride - 1) / stride;
    } else if (padding == TFL_PAD_VALID) {
        if (in < eff)
            return tfl_op_fail(c, "VALID padding: the %s input size %lld is smaller than the "
                                  "(dilated) filter %lld", axis, (long long)in, (long long)eff);
        *out = (in - eff + stride) / stride;
    } else {
        return tfl_op_fail(c, "padding = %d is not SAME (0) or VALID (1)", padding);
    }
    int64_t total = (*out - 1) * stride + eff - in;
    if (total < 0)
        total = 0;
    if (total > (1 << 30))
        return tfl_op_fail(c, "padding along %s would be %lld pixels", axis, (long long)total);
    *pb = (int)(total / 2);
    *pe = (int)(total - total / 2);   /* the odd pixel goes at the end */
    return true;
}

static bool is_quant_type(ir_dtype dt)
{
    return dt == IR_DT_S8 || dt == IR_DT_U8 || dt == IR_DT_S16;
}

/* A quantized activation must carry per-tensor parameters. */
static bool need_act_quant(tfl_ctx *c, int t, const char *role)
{
    const ir_tensor *x = tfl_t(c, t);
    if (!is_quant_type(x->dtype))
        return true;
    if (x->q.n != 1)
        return tfl_op_fail(c, "%s '%s' is %s but has %s quantization parameters", role, x->name,
                           ir_dtype_name(x->dtype), x->q.n ? "per-channel" : "no");
    return true;
}

/* The dtype combinations TFLite defines for conv-like ops: float32;
 * (u)int8 with int32 bias; int16 activations with int8 weights and int64
 * (or, with quantized_bias_type, int32) bias. */
static bool check_types(tfl_ctx *c, int x, int w, int b, int y)
{
    if (!tfl_refuse_hybrid(c, x, w))
        return false;
    ir_dtype xd = tfl_t(c, x)->dtype, wd = tfl_t(c, w)->dtype, yd = tfl_t(c, y)->dtype;
    ir_dtype bd = b >= 0 ? tfl_t(c, b)->dtype : IR_DT_UNDEF;
    bool ok;
    if (xd == IR_DT_F32)
        ok = wd == IR_DT_F32 && yd == IR_DT_F32 && (b < 0 || bd == IR_DT_F32);
    else if (xd == IR_DT_S8 || xd == IR_DT_U8)
        ok = wd == xd && yd == xd && (b < 0 || bd == IR_DT_S32);
    else if (xd == IR_DT_S16)
        ok = wd == IR_DT_S8 && yd == IR_DT_S16 && (b < 0 || bd == IR_DT_S64 || bd == IR_DT_S32);
    else
        ok = false;
    if (!ok)
        return tfl_op_fail(c, "unsupported type combination: input %s, weights %s, bias %s, output %s",
                           ir_dtype_name(xd), ir_dtype_name(wd),
                           b >= 0 ? ir_dtype_name(bd) : "none", ir_dtype_name(yd));
    if (!need_act_quant(c, x, "input") || !need_act_quant(c, y, "output"))
        return false;
    if (xd != IR_DT_F32 && tfl_t(c, w)->q.n == 0)
        return tfl_op_fail(c, "weights '%s' are %s without quantization parameters",
                           tfl_t(c, w)->name, ir_dtype_name(wd));
    return true;
}

/* A new constant holding src transposed: IR dim j = src dim perm[j]; the
 * per-channel axis moves with its dimension.  -1 when the copy budget is
 * spent (weights shared by very many operators). */
static int const_transpose(tfl_ctx *c, int src, const int *perm)
{
    if (!tfl_spend(c, tfl_t(c, src)->nbytes, "reordered weights"))
        return -1;
    const ir_tensor *s = tfl_t(c, src);
    int rank = s->rank;
    int64_t shape[IR_MAX_DIMS], sstride[IR_MAX_DIMS];
    size_t es = ir_dtype_size(s->dtype);
    int64_t st = 1;
    for (int d = rank - 1; d >= 0; d--) {
        sstride[d] = st;
        st *= s->shape[d];
    }
    for (int j = 0; j < rank; j++)
        shape[j] = s->shape[perm[j]];
    size_t nbytes = s->nbytes;
    uint8_t *dst = xmalloc(nbytes ? nbytes : 1);
    int64_t n = ir_numel(s), idx[IR_MAX_DIMS] = {0};
    for (int64_t o = 0; o < n; o++) {
        int64_t off = 0;
        for (int j = 0; j < rank; j++)
            off += idx[j] * sstride[perm[j]];
        memcpy(dst + (size_t)o * es, (const uint8_t *)s->data + (size_t)off * es, es);
        for (int j = rank - 1; j >= 0; j--) {
            if (++idx[j] < shape[j])
                break;
            idx[j] = 0;
        }
    }
    char *name = xstrdup(s->name);
    int t = ir_add_const(c->g, name, s->dtype, rank, shape, dst, nbytes);
    free(name);
    free(dst);
    s = tfl_t(c, src);
    if (s->q.n > 0) {
        int axis = 0;
        for (int j = 0; j < rank; j++)
            if (perm[j] == s->q.axis)
                axis = j;
        ir_set_quant(c->g, t, s->q.n, s->q.n > 1 ? axis : 0, s->q.scale, s->q.zero_point);
    }
    return t;
}

static bool check_bias(tfl_ctx *c, int b, int64_t m)
{
    if (b < 0)
        return true;
    const ir_tensor *bt = tfl_t(c, b);
    if (ir_numel(bt) != m || bt->rank != 1)
        return tfl_op_fail(c, "bias '%s' has %lld elements in rank %d, expected [%lld]", bt->name,
                           (long long)ir_numel(bt), bt->rank, (long long)m);
    return true;
}

static bool need_rank(tfl_ctx *c, int t, int rank, const char *role)
{
    if (tfl_t(c, t)->rank != rank)
        return tfl_op_fail(c, "%s '%s' has rank %d, expected %d", role, tfl_t(c, t)->name,
                           tfl_t(c, t)->rank, rank);
    return true;
}

/* Windowed and matrix ops need every dimension of their operands >= 1. */
static bool need_nonempty(tfl_ctx *c, int t, const char *role)
{
    const ir_tensor *x = tfl_t(c, t);
    for (int d = 0; d < x->rank; d++)
        if (x->shape[d] < 1)
            return tfl_op_fail(c, "%s '%s' has dimension %d = %lld; empty tensors are not supported",
                               role, x->name, d, (long long)x->shape[d]);
    return true;
}

static bool need_const(tfl_ctx *c, int t, const char *role)
{
    if (!ir_is_const(tfl_t(c, t)))
        return tfl_op_fail(c, "%s '%s' must be a constant", role, tfl_t(c, t)->name);
    return true;
}

static bool check_out_shape(tfl_ctx *c, int y, const int64_t *want)
{
    const ir_tensor *yt = tfl_t(c, y);
    if (yt->rank == 4 && yt->shape[0] == want[0] && yt->shape[1] == want[1] &&
        yt->shape[2] == want[2] && yt->shape[3] == want[3])
        return true;
    return tfl_op_fail(c, "output '%s' has shape [%lld,%lld,%lld,%lld] but the operator gives "
                          "[%lld,%lld,%lld,%lld]", yt->name,
                       (long long)(yt->rank > 0 ? yt->shape[0] : -1),
                       (long long)(yt->rank > 1 ? yt->shape[1] : -1),
                       (long long)(yt->rank > 2 ? yt->shape[2] : -1),
                       (long long)(yt->rank > 3 ? yt->shape[3] : -1), (long long)want[0],
                       (long long)want[1], (long long)want[2], (long long)want[3]);
}

/* Fills attr.conv for a 2-D NHWC window op. */
static void set_window(ir_conv_attr *a, int kh, int kw, const tfl_opts *o, const int *pb,
                       const int *pe)
{
    a->layout = IR_LAYOUT_NHWC;
    a->nspatial = 2;
    a->kernel[0] = kh;
    a->kernel[1] = kw;
    a->stride[0] = o->stride_h;
    a->stride[1] = o->stride_w;
    a->dilation[0] = o->dilation_h;
    a->dilation[1] = o->dilation_w;
    a->pad_begin[0] = pb[0];
    a->pad_begin[1] = pb[1];
    a->pad_end[0] = pe[0];
    a->pad_end[1] = pe[1];
}

/* CONV_2D and DEPTHWISE_CONV_2D share everything but the weight layout. */
static bool conv_common(tfl_ctx *c, bool depthwise)
{
    if (!tfl_check_arity(c, 2, 3, 1))
        return false;
    int x = tfl_in(c, 0), w = x >= 0 ? tfl_in(c, 1) : -1;
    int b = w >= 0 ? tfl_in_opt(c, 2) : -1;
    if (w < 0 || (tfl_in_index(c, 2) >= 0 && b < 0))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0 || !need_rank(c, x, 4, "input") || !need_rank(c, w, 4, "weights") ||
        !need_rank(c, y, 4, "output") || !need_const(c, w, "weights") ||
        !check_types(c, x, w, b, y) || !need_nonempty(c, x, "input") ||
        !need_nonempty(c, w, "weights"))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *wt = tfl_t(c, w);
    int64_t n = xt->shape[0], h = xt->shape[1], wd = xt->shape[2], ch = xt->shape[3];
    int64_t kh = wt->shape[1], kw = wt->shape[2], m, group;
    if (depthwise) {
        m = wt->shape[3];
        if (wt->shape[0] != 1)
            return tfl_op_fail(c, "depthwise weights '%s' must have shape [1, kh, kw, C*mult]",
                               wt->name);
        if (ch < 1 || m % ch != 0)
            return tfl_op_fail(c, "depthwise output channels %lld are not a multiple of the "
                                  "input channels %lld", (long long)m, (long long)ch);
        group = ch;
        if (c->o.depth_multiplier != 0 && c->o.depth_multiplier != m / ch)
            return tfl_op_fail(c, "depth_multiplier %d disagrees with the weights (%lld / %lld)",
                               (int)c->o.depth_multiplier, (long long)m, (long long)ch);
    } else {
        m = wt->shape[0];
        int64_t per = wt->shape[3];
        if (per < 1 || ch % per != 0)
            return tfl_op_fail(c, "input channels %lld are not a multiple of the weights' input "
                                  "channels %lld", (long long)ch, (long long)per);
        group = ch / per;
        if (m % group != 0)
            return tfl_op_fail(c, "output channels %lld are not divisible into %lld groups",
                               (long long)m, (long long)group);
        if (group > 1 && c->version < 6)
            return tfl_op_fail(c, "grouped convolution (%lld groups) needs CONV_2D version 6",
                               (long long)group);
    }
    if (wt->q.n > 1 && wt->q.axis != (depthwise ? 3 : 0))
        return tfl_op_fail(c, "weights '%s' are quantized per channel along dimension %d; "
                              "expected the output-channel dimension %d", wt->name, wt->q.axis,
                           depthwise ? 3 : 0);
    if (!check_bias(c, b, m))
        return false;
    int pb[2], pe[2];
    int64_t oh, ow;
    if (!resolve_padding(c, c->o.padding, h, kh, c->o.stride_h, c->o.dilation_h, &pb[0], &pe[0],
                         &oh, "h") ||
        !resolve_padding(c, c->o.padding, wd, kw, c->o.stride_w, c->o.dilation_w, &pb[1], &pe[1],
                         &ow, "w"))
        return false;
    int64_t want[4] = {n, oh, ow, m};
    if (!check_out_shape(c, y, want))
        return false;
    ir_act act;
    if (!tfl_fused_act(c, c->o.act, &act))
        return false;
    /* OHWI -> OIHW;  1HWM -> M1HW. */
    static const int conv_perm[4] = {0, 3, 1, 2}, dw_perm[4] = {3, 0, 1, 2};
    int wr = const_transpose(c, w, depthwise ? dw_perm : conv_perm);
    if (wr < 0)
        return false;
    int in[3] = {x, wr, b};
    int nd = tfl_node(c, IR_OP_CONV, 3, in, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    set_window(&a->conv, (int)kh, (int)kw, &c->o, pb, pe);
    a->conv.group = (int)group;
    a->act = act;
    return true;
}

bool tfl_conv2d(tfl_ctx *c) { return conv_common(c, false); }
bool tfl_depthwise_conv2d(tfl_ctx *c) { return conv_common(c, true); }

/* TRANSPOSE_CONV  inputs: output_shape, weights [O, kh, kw, I], x, [bias]. */
bool tfl_transpose_conv(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 3, 4, 1))
        return false;
    int64_t oshape[4];
    int n_os;
    if (!tfl_const_ints(c, 0, oshape, 4, &n_os, "output_shape"))
        return false;
    int w = tfl_in(c, 1), x = w >= 0 ? tfl_in(c, 2) : -1;
    int b = x >= 0 ? tfl_in_opt(c, 3) : -1;
    if (x < 0 || (tfl_in_index(c, 3) >= 0 && b < 0))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0 || !need_rank(c, x, 4, "input") || !need_rank(c, w, 4, "weights") ||
        !need_rank(c, y, 4, "output") || !need_const(c, w, "weights") ||
        !check_types(c, x, w, b, y))
        return false;
    if (n_os != 4)
        return tfl_op_fail(c, "output_shape has %d values, expected 4", n_os);
    if (!need_nonempty(c, x, "input") || !need_nonempty(c, w, "weights") ||
        !need_nonempty(c, y, "output"))
        return false;
    if (!check_out_shape(c, y, oshape))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *wt = tfl_t(c, w);
    int64_t m = wt->shape[0], kh = wt->shape[1], kw = wt->shape[2], ci = wt->shape[3];
    if (xt->shape[3] != ci)
        return tfl_op_fail(c, "input has %lld channels but the weights expect %lld",
                           (long long)xt->shape[3], (long long)ci);
    if (oshape[3] != m || oshape[0] != xt->shape[0])
        return tfl_op_fail(c, "output_shape [%lld,%lld,%lld,%lld] does not match the batch %lld "
                              "and the weights' %lld output channels", (long long)oshape[0],
                           (long long)oshape[1], (long long)oshape[2], (long long)oshape[3],
                           (long long)xt->shape[0], (long long)m);
    if (wt->q.n > 1 && wt->q.axis != 0)
        return tfl_op_fail(c, "weights '%s' are quantized per channel along dimension %d; "
                              "expected dimension 0", wt->name, wt->q.axis);
    if (!check_bias(c, b, m))
        return false;
    /* TFLite pads the transposed conv as the forward conv from the output
     * (size out) back to the input: pad_before from that computation; the
     * input pixel i then lands at output i*stride - pad_before + k. */
    int pb[2], pe[2], op[2] = {0, 0};
    int64_t fwd;
    int64_t ins[2] = {xt->shape[1], xt->shape[2]}, outs[2] = {oshape[1], oshape[2]};
    int64_t ks[2] = {kh, kw};
    int strides[2] = {c->o.stride_h, c->o.stride_w};
    tfl_opts fwd_o = c->o;
    fwd_o.dilation_h = fwd_o.dilation_w = 1;
    for (int d = 0; d < 2; d++) {
        int unused_pe;
        if (!resolve_padding(c, c->o.padding, outs[d], ks[d], strides[d], 1, &pb[d], &unused_pe,
                             &fwd, d ? "w" : "h"))
            return false;
        if (fwd != ins[d])
            return tfl_op_fail(c, "input %s size %lld does not match output_shape (%lld gives %lld)",
                               d ? "width" : "height", (long long)ins[d], (long long)outs[d],
                               (long long)fwd);
        /* IR (ONNX): out = stride*(in-1) + output_padding + k - pb - pe. */
        int64_t e = strides[d] * (ins[d] - 1) + ks[d] - pb[d] - outs[d];
        if (e > (1 << 30) || e < -(1 << 30))
            return tfl_op_fail(c, "input %s size %lld and output size %lld are inconsistent",
                               d ? "width" : "height", (long long)ins[d], (long long)outs[d]);
        if (e >= 0) {
            pe[d] = (int)e;
        } else {
            pe[d] = 0;
            op[d] = (int)-e;
        }
    }
    ir_act act;
    if (!tfl_fused_act(c, c->o.act, &act))
        return false;
    static const int perm[4] = {3, 0, 1, 2};      /* [O,kh,kw,I] -> [I,O,kh,kw] */
    int wr = const_transpose(c, w, perm);
    if (wr < 0)
        return false;
    int in[3] = {x, wr, b};
    int nd = tfl_node(c, IR_OP_CONV_TRANSPOSE, 3, in, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    set_window(&a->conv, (int)kh, (int)kw, &fwd_o, pb, pe);
    a->conv.output_padding[0] = op[0];
    a->conv.output_padding[1] = op[1];
    a->conv.group = 1;
    a->act = act;
    return true;
}

/* FULLY_CONNECTED  inputs: x (any rank), weights [N, K], [bias [N]]. */
bool tfl_fully_connected(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 3, 1))
        return false;
    int x = tfl_in(c, 0), w = x >= 0 ? tfl_in(c, 1) : -1;
    int b = w >= 0 ? tfl_in_opt(c, 2) : -1;
    if (w < 0 || (tfl_in_index(c, 2) >= 0 && b < 0))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0 || !need_rank(c, w, 2, "weights") || !check_types(c, x, w, b, y) ||
        !need_nonempty(c, w, "weights"))
        return false;
    if (c->o.weights_format != 0)
        return tfl_op_fail(c, "weights_format %d (shuffled weights) is not supported",
                           c->o.weights_format);
    const ir_tensor *xt = tfl_t(c, x), *wt = tfl_t(c, w), *yt = tfl_t(c, y);
    int64_t nout = wt->shape[0], k = wt->shape[1];
    if (wt->q.n > 1 && wt->q.axis != 0)
        return tfl_op_fail(c, "weights '%s' are quantized per channel along dimension %d; "
                              "expected dimension 0", wt->name, wt->q.axis);
    if (k < 1 || ir_numel(xt) % k != 0)
        return tfl_op_fail(c, "input '%s' has %lld elements, not a multiple of the weights' K = %lld",
                           xt->name, (long long)ir_numel(xt), (long long)k);
    int64_t batch = ir_numel(xt) / k;
    if (ir_numel(yt) != batch * nout || yt->rank < 1 || yt->shape[yt->rank - 1] != nout)
        return tfl_op_fail(c, "output '%s' has %lld elements; expected %lld x %lld", yt->name,
                           (long long)ir_numel(yt), (long long)batch, (long long)nout);
    if (c->o.keep_num_dims) {
        bool same = yt->rank == xt->rank;
        for (int d = 0; same && d < xt->rank - 1; d++)
            same = yt->shape[d] == xt->shape[d];
        if (!same)
            return tfl_op_fail(c, "keep_num_dims: output '%s' must keep the input's leading dims",
                               yt->name);
    }
    if (!check_bias(c, b, nout))
        return false;
    ir_act act;
    if (!tfl_fused_act(c, c->o.act, &act))
        return false;
    /* The IR's FULLY_CONNECTED is [batch, K] -> [batch, N]: reshape around it
     * when the file's tensors have another rank. */
    int64_t s2[2] = {batch, k}, o2[2] = {batch, nout};
    int xin = x;
    if (!(xt->rank == 2 && xt->shape[0] == batch)) {
        xin = tfl_temp(c, x, "/flat", 2, s2);
        tfl_node(c, IR_OP_RESHAPE, 1, &x, 1, &xin);
    }
    yt = tfl_t(c, y);
    bool direct = yt->rank == 2 && yt->shape[0] == batch;
    int yfc = direct ? y : tfl_temp(c, y, "/fc", 2, o2);
    int in[3] = {xin, w, b};
    int nd = tfl_node(c, IR_OP_FULLY_CONNECTED, 3, in, 1, &yfc);
    c->g->nodes[nd].attr.act = act;
    if (!direct)
        tfl_node(c, IR_OP_RESHAPE, 1, &yfc, 1, &y);
    return true;
}

/* AVERAGE_POOL_2D, MAX_POOL_2D. */
bool tfl_pool2d(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    int x = tfl_in(c, 0);
    int y = x >= 0 ? tfl_out(c, 0) : -1;
    if (y < 0 || !need_rank(c, x, 4, "input") || !need_rank(c, y, 4, "output") ||
        !need_act_quant(c, x, "input") || !need_act_quant(c, y, "output") ||
        !need_nonempty(c, x, "input"))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    if (xt->dtype != yt->dtype || !(xt->dtype == IR_DT_F32 || is_quant_type(xt->dtype)))
        return tfl_op_fail(c, "input %s / output %s: expected both float32, int8 or int16",
                           ir_dtype_name(xt->dtype), ir_dtype_name(yt->dtype));
    int pb[2], pe[2];
    int64_t oh, ow;
    if (!resolve_padding(c, c->o.padding, xt->shape[1], c->o.filter_h, c->o.stride_h, 1, &pb[0],
                         &pe[0], &oh, "h") ||
        !resolve_padding(c, c->o.padding, xt->shape[2], c->o.filter_w, c->o.stride_w, 1, &pb[1],
                         &pe[1], &ow, "w"))
        return false;
    int64_t want[4] = {xt->shape[0], oh, ow, xt->shape[3]};
    if (!check_out_shape(c, y, want))
        return false;
    ir_act act;
    if (!tfl_fused_act(c, c->o.act, &act))
        return false;
    bool avg = c->builtin == TFL_OP_AVERAGE_POOL_2D;
    int nd = tfl_node(c, avg ? IR_OP_AVGPOOL : IR_OP_MAXPOOL, 1, &x, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    tfl_opts o = c->o;
    o.dilation_h = o.dilation_w = 1;
    set_window(&a->conv, c->o.filter_h, c->o.filter_w, &o, pb, pe);
    a->conv.count_include_pad = false;   /* TFLite divides by the taps inside the input */
    a->act = act;
    return true;
}
