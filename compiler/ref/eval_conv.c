/*
 * eval_conv.c - CONV and CONV_TRANSPOSE, computed plainly.
 *
 * 1-D, 2-D and 3-D, NCHW or NHWC activations (ref_geom hides the layout),
 * weights always [M, C/group, k...] (CONV) or [C, M/group, k...]
 * (CONV_TRANSPOSE), groups, strides, dilations, asymmetric pads.  Sums are
 * over real values in double; a quantized op's int32 bias is read at the
 * accumulator's scale s_x*s_w[m] as the integer kernels add it.  ConvInteger
 * (integer output without quantization) sums (x-zx)*(w-zw) exactly, and so
 * do quantized convolutions in integer mode (eval_int.h), whose exact
 * accumulators eval_int_ops.c then requantizes as the IR's flavour does.
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result.
 */
#include <math.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* The bias of output channel m as a real number (0 when absent). */
typedef struct bias_info {
    const double *b;        /* real or raw integer values, NULL if absent */
    bool int_scaled;        /* b is raw int32 to scale by s_x*s_w[m] */
    double sx;
    const ir_tensor *w;
} bias_info;

static bool bias_setup(ref_ctx *c, int k, int64_t m_count, const ir_tensor *x, const ir_tensor *w,
                       bias_info *bi)
{
    const ir_tensor *b = ref_in(c, k);
    bi->b = NULL;
    bi->int_scaled = false;
    bi->w = w;
    if (!b)
        return true;
    if (ir_numel(b) != m_count)
        return ref_fail(c, "bias '%s' has %lld elements, expected %lld (one per output channel)",
                        b->name, (long long)ir_numel(b), (long long)m_count);
    if (ref_int_mode(c)) {
        bi->b = ref_stored(c, k);       /* added to the exact integer sum as it is */
    } else if (ref_dtype_is_int(b->dtype) && ref_is_quant(x)) {
        if (x->q.n != 1)
            return ref_fail(c, "input '%s' is quantized per channel; an integer bias needs one input scale",
                            x->name);
        if (!ref_is_quant(w))
            return ref_fail(c, "integer bias '%s' with quantized input needs quantized weights ('%s' are not)",
                            b->name, w->name);
        bi->b = ref_stored(c, k);
        bi->int_scaled = true;
        bi->sx = x->q.scale[0];
    } else {
        bi->b = ref_real(c, k);
    }
    return true;
}

static double bias_of(const bias_info *bi, int64_t m)
{
    if (!bi->b)
        return 0;
    if (!bi->int_scaled)
        return bi->b[m];
    double sw = bi->w->q.scale[bi->w->q.n > 1 ? m : 0];
    return bi->b[m] * bi->sx * sw;
}

/* Inputs as the sums use them: real values, or (q - zp) for ConvInteger and
 * integer mode. */
static void conv_operands(ref_ctx *c, const double **x, const double **w)
{
    const ir_tensor *y = ref_out(c, 0);
    bool int_out = (ref_dtype_is_int(y->dtype) && !ref_is_quant(y)) || ref_int_mode(c);
    *x = int_out ? ref_offset(c, 0) : ref_real(c, 0);
    *w = int_out ? ref_offset(c, 1) : ref_real(c, 1);
}

/* Checks W against the attributes and returns its kernel extents. */
static bool check_kernel(ref_ctx *c, const ir_tensor *w, int64_t *k)
{
    const ir_conv_attr *a = &c->nd->attr.conv;
    if (w->rank != a->nspatial + 2)
        return ref_fail(c, "weights '%s' have rank %d, expected %d", w->name, w->rank, a->nspatial + 2);
    for (int i = 0; i < IR_MAX_SPATIAL; i++) {
        k[i] = i < a->nspatial ? w->shape[2 + i] : 1;
        if (i < a->nspatial && a->kernel[i] != k[i])
            return ref_fail(c, "attr kernel[%d] = %d but weights '%s' have %lld", i, a->kernel[i],
                            w->name, (long long)k[i]);
        if (i < a->nspatial && (a->stride[i] < 1 || a->dilation[i] < 1))
            return ref_fail(c, "stride[%d] = %d and dilation[%d] = %d must be >= 1", i, a->stride[i],
                            i, a->dilation[i]);
    }
    if (a->group < 1)
        return ref_fail(c, "group is %d", a->group);
    return true;
}

bool ref_conv(ref_ctx *c)
{
    const ir_conv_attr *a = &c->nd->attr.conv;
    const ir_tensor *xt = ref_in(c, 0), *wt = ref_in(c, 1), *yt = ref_out(c, 0);
    if (!xt || !wt || !yt)
        return ref_fail(c, "needs inputs X, W and output Y");
    ref_geom_t gx, gy;
    int64_t k[IR_MAX_SPATIAL];
    if (!ref_geom(c, xt, "input", &gx) || !ref_geom(c, yt, "output", &gy) || !check_kernel(c, wt, k))
        return false;
    int64_t M = wt->shape[0], G = a->group;
    if (gx.c % G || M % G || wt->shape[1] != gx.c / G)
        return ref_fail(c, "input '%s' has %lld channels, weights '%s' are [%lld, %lld, ...], group %d: "
                        "expected C %% group == 0, M %% group == 0 and W dim 1 == C/group",
                        xt->name, (long long)gx.c, wt->name, (long long)M,
                        (long long)wt->shape[1], a->group);
    if (gy.c != M || gy.n != gx.n)
        return ref_fail(c, "output '%s' has %lld channels and batch %lld, expected %lld and %lld",
                        yt->name, (long long)gy.c, (long long)gy.n, (long long)M, (long long)gx.n);
    for (int i = 0; i < a->nspatial; i++) {
        int64_t span = (int64_t)a->dilation[i] * (k[i] - 1) + 1;
        int64_t want = (gx.sp[i] + a->pad_begin[i] + a->pad_end[i] - span) / a->stride[i] + 1;
        if (gx.sp[i] + a->pad_begin[i] + a->pad_end[i] < span || gy.sp[i] != want)
            return ref_fail(c, "output '%s' spatial dim %d is %lld, the attributes give %lld", yt->name, i,
                            (long long)gy.sp[i], (long long)want);
    }
    const double *x, *w;
    conv_operands(c, &x, &w);
    bias_info bi;
    if (!bias_setup(c, 2, M, xt, wt, &bi))
        return false;

    int64_t Cg = gx.c / G, Mg = M / G;
    /* W strides: [M, Cg, k0, k1, k2] row-major. */
    int64_t wk2 = 1, wk1 = k[2], wk0 = k[1] * k[2], wc = k[0] * wk0, wm = Cg * wc;
    double *y = ref_tmp(c, ir_numel(yt));
    int64_t s0 = a->stride[0], s1 = a->nspatial > 1 ? a->stride[1] : 1, s2 = a->nspatial > 2 ? a->stride[2] : 1;
    int64_t d0 = a->dilation[0], d1 = a->nspatial > 1 ? a->dilation[1] : 1, d2 = a->nspatial > 2 ? a->dilation[2] : 1;
    int64_t p0 = a->pad_begin[0], p1 = a->nspatial > 1 ? a->pad_begin[1] : 0, p2 = a->nspatial > 2 ? a->pad_begin[2] : 0;
    for (int64_t n = 0; n < gx.n; n++)
        for (int64_t m = 0; m < M; m++) {
            int64_t g = m / Mg;
            for (int64_t o0 = 0; o0 < gy.sp[0]; o0++)
                for (int64_t o1 = 0; o1 < gy.sp[1]; o1++)
                    for (int64_t o2 = 0; o2 < gy.sp[2]; o2++) {
                        double acc = bias_of(&bi, m);
                        for (int64_t ic = 0; ic < Cg; ic++) {
                            const double *xc = x + n * gx.sn + (g * Cg + ic) * gx.sc;
                            const double *wc_ = w + m * wm + ic * wc;
                            for (int64_t k0 = 0; k0 < k[0]; k0++) {
                                int64_t i0 = o0 * s0 - p0 + k0 * d0;
                                if (i0 < 0 || i0 >= gx.sp[0])
                                    continue;
                                for (int64_t k1 = 0; k1 < k[1]; k1++) {
                                    int64_t i1 = o1 * s1 - p1 + k1 * d1;
                                    if (i1 < 0 || i1 >= gx.sp[1])
                                        continue;
                                    for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                        int64_t i2 = o2 * s2 - p2 + k2 * d2;
                                        if (i2 < 0 || i2 >= gx.sp[2])
                                            continue;
                                        acc += xc[i0 * gx.ssp[0] + i1 * gx.ssp[1] + i2 * gx.ssp[2]] *
                                               wc_[k0 * wk0 + k1 * wk1 + k2 * wk2];
                                    }
                                }
                            }
                        }
                        y[n * gy.sn + m * gy.sc + o0 * gy.ssp[0] + o1 * gy.ssp[1] + o2 * gy.ssp[2]] = acc;
                    }
        }
    if (ref_int_mode(c))
        return ref_int_store_acc(c, y, gy.sc, M);
    ref_store(c, 0, y);
    return true;
}

/* Y[o] gathers every X[i] * W[k] with o = i*stride + k*dilation - pad_begin. */
bool ref_conv_transpose(ref_ctx *c)
{
    const ir_conv_attr *a = &c->nd->attr.conv;
    const ir_tensor *xt = ref_in(c, 0), *wt = ref_in(c, 1), *yt = ref_out(c, 0);
    if (!xt || !wt || !yt)
        return ref_fail(c, "needs inputs X, W and output Y");
    ref_geom_t gx, gy;
    int64_t k[IR_MAX_SPATIAL];
    if (!ref_geom(c, xt, "input", &gx) || !ref_geom(c, yt, "output", &gy) || !check_kernel(c, wt, k))
        return false;
    int64_t G = a->group, Mg = wt->shape[1], M = Mg * G;
    if (wt->shape[0] != gx.c || gx.c % G)
        return ref_fail(c, "weights '%s' dim 0 is %lld, expected the input's %lld channels (divisible by group %d)",
                        wt->name, (long long)wt->shape[0], (long long)gx.c, a->group);
    if (gy.c != M || gy.n != gx.n)
        return ref_fail(c, "output '%s' has %lld channels and batch %lld, expected %lld and %lld",
                        yt->name, (long long)gy.c, (long long)gy.n, (long long)M, (long long)gx.n);
    for (int i = 0; i < a->nspatial; i++) {
        int64_t want = (int64_t)a->stride[i] * (gx.sp[i] - 1) + a->output_padding[i] +
                       (int64_t)a->dilation[i] * (k[i] - 1) + 1 - a->pad_begin[i] - a->pad_end[i];
        if (gy.sp[i] != want)
            return ref_fail(c, "output '%s' spatial dim %d is %lld, the attributes give %lld", yt->name, i,
                            (long long)gy.sp[i], (long long)want);
    }
    const double *x, *w;
    conv_operands(c, &x, &w);
    bias_info bi;
    if (!bias_setup(c, 2, M, xt, wt, &bi))
        return false;

    int64_t Cg = gx.c / G;
    int64_t wk1 = k[2], wk0 = k[1] * k[2], wm = k[0] * wk0, wc = Mg * wm;  /* W: [C, Mg, k0, k1, k2] */
    int64_t st[IR_MAX_SPATIAL], dl[IR_MAX_SPATIAL], pb[IR_MAX_SPATIAL];
    for (int i = 0; i < IR_MAX_SPATIAL; i++) {
        st[i] = i < a->nspatial ? a->stride[i] : 1;
        dl[i] = i < a->nspatial ? a->dilation[i] : 1;
        pb[i] = i < a->nspatial ? a->pad_begin[i] : 0;
    }
    double *y = ref_tmp(c, ir_numel(yt));
    for (int64_t n = 0; n < gy.n; n++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t o0 = 0; o0 < gy.sp[0]; o0++)
                for (int64_t o1 = 0; o1 < gy.sp[1]; o1++)
                    for (int64_t o2 = 0; o2 < gy.sp[2]; o2++)
                        y[n * gy.sn + m * gy.sc + o0 * gy.ssp[0] + o1 * gy.ssp[1] + o2 * gy.ssp[2]] =
                            bias_of(&bi, m);
    for (int64_t n = 0; n < gx.n; n++)
        for (int64_t ci = 0; ci < gx.c; ci++) {
            int64_t g = ci / Cg;
            for (int64_t i0 = 0; i0 < gx.sp[0]; i0++)
                for (int64_t i1 = 0; i1 < gx.sp[1]; i1++)
                    for (int64_t i2 = 0; i2 < gx.sp[2]; i2++) {
                        double xv = x[n * gx.sn + ci * gx.sc + i0 * gx.ssp[0] + i1 * gx.ssp[1] + i2 * gx.ssp[2]];
                        for (int64_t mm = 0; mm < Mg; mm++) {
                            int64_t m = g * Mg + mm;
                            const double *wp = w + ci * wc + mm * wm;
                            for (int64_t k0 = 0; k0 < k[0]; k0++) {
                                int64_t o0 = i0 * st[0] + k0 * dl[0] - pb[0];
                                if (o0 < 0 || o0 >= gy.sp[0])
                                    continue;
                                for (int64_t k1 = 0; k1 < k[1]; k1++) {
                                    int64_t o1 = i1 * st[1] + k1 * dl[1] - pb[1];
                                    if (o1 < 0 || o1 >= gy.sp[1])
                                        continue;
                                    for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                        int64_t o2 = i2 * st[2] + k2 * dl[2] - pb[2];
                                        if (o2 < 0 || o2 >= gy.sp[2])
                                            continue;
                                        y[n * gy.sn + m * gy.sc + o0 * gy.ssp[0] + o1 * gy.ssp[1] +
                                          o2 * gy.ssp[2]] += xv * wp[k0 * wk0 + k1 * wk1 + k2];
                                    }
                                }
                            }
                        }
                    }
        }
    if (ref_int_mode(c))
        return ref_int_store_acc(c, y, gy.sc, M);
    ref_store(c, 0, y);
    return true;
}
