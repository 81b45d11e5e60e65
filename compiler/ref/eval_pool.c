/*
 * eval_pool.c - MAXPOOL (with optional Indices) and AVGPOOL, computed plainly.
 *
 * A window starts at o*stride - pad_begin and visits kernel positions spaced
 * by the dilation.  The output shape is the tensor's (ONNX ceil_mode can make
 * windows run past the end pad); positions outside [-pb, in + pe) are never
 * part of a window, padded positions never win a max, and the average divides
 * by the positions inside [-pb, in + pe) (count_include_pad) or inside [0, in).
 * Indices (ONNX) are flat indices into X, the spatial part row-major
 * (storage_order 0) or column-major (1), plus the batch and channel offset.
 *
 * In integer mode (eval_int.h) the window's stored integers, in visiting
 * order, go to eval_int_ops.c, which pools them as the IR's flavour does.
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result.
 */
#include <math.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"

bool ref_pool(ref_ctx *c)
{
    const ir_conv_attr *a = &c->nd->attr.conv;
    bool is_max = c->nd->op == IR_OP_MAXPOOL;
    const ir_tensor *xt = ref_in(c, 0), *yt = ref_out(c, 0), *it = ref_out(c, 1);
    if (!xt || !yt)
        return ref_fail(c, "needs input X and output Y");
    if (it && !is_max)
        return ref_fail(c, "only MaxPool has an Indices output");
    ref_geom_t gx, gy;
    if (!ref_geom(c, xt, "input", &gx) || !ref_geom(c, yt, "output", &gy))
        return false;
    if (gx.n != gy.n || gx.c != gy.c)
        return ref_fail(c, "output '%s' batch/channels (%lld, %lld) differ from the input's (%lld, %lld)",
                        yt->name, (long long)gy.n, (long long)gy.c, (long long)gx.n, (long long)gx.c);
    if (it && (it->rank != yt->rank || ir_numel(it) != ir_numel(yt)))
        return ref_fail(c, "indices '%s' must have the shape of '%s'", it->name, yt->name);
    int64_t k[IR_MAX_SPATIAL], st[IR_MAX_SPATIAL], dl[IR_MAX_SPATIAL], pb[IR_MAX_SPATIAL], pe[IR_MAX_SPATIAL];
    for (int i = 0; i < IR_MAX_SPATIAL; i++) {
        bool used = i < a->nspatial;
        k[i] = used ? a->kernel[i] : 1;
        st[i] = used ? a->stride[i] : 1;
        dl[i] = used ? a->dilation[i] : 1;
        pb[i] = used ? a->pad_begin[i] : 0;
        pe[i] = used ? a->pad_end[i] : 0;
        if (used && (k[i] < 1 || st[i] < 1 || dl[i] < 1 || pb[i] < 0 || pe[i] < 0))
            return ref_fail(c, "spatial dim %d: kernel %lld, stride %lld, dilation %lld, pads %lld/%lld "
                            "(kernel, stride, dilation must be >= 1, pads >= 0)", i, (long long)k[i],
                            (long long)st[i], (long long)dl[i], (long long)pb[i], (long long)pe[i]);
    }
    const bool int_mode = ref_int_mode(c);
    const double *x = int_mode ? ref_stored(c, 0) : ref_real(c, 0);
    double *win = int_mode ? ref_tmp(c, k[0] * k[1] * k[2]) : NULL;
    double *y = ref_tmp(c, ir_numel(yt));
    double *idx = it ? ref_tmp(c, ir_numel(it)) : NULL;
    int64_t spatial = gx.sp[0] * gx.sp[1] * gx.sp[2];
    for (int64_t n = 0; n < gx.n; n++)
        for (int64_t ch = 0; ch < gx.c; ch++)
            for (int64_t o0 = 0; o0 < gy.sp[0]; o0++)
                for (int64_t o1 = 0; o1 < gy.sp[1]; o1++)
                    for (int64_t o2 = 0; o2 < gy.sp[2]; o2++) {
                        int64_t o[3] = { o0, o1, o2 };
                        double best = -INFINITY, sum = 0;
                        int64_t best_at[3] = { -1, -1, -1 }, count = 0, count_pad = 0;
                        int64_t p[3];
                        for (int64_t k0 = 0; k0 < k[0]; k0++)
                            for (int64_t k1 = 0; k1 < k[1]; k1++)
                                for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                    int64_t kk[3] = { k0, k1, k2 };
                                    bool inside = true, in_pads = true;
                                    for (int i = 0; i < 3; i++) {
                                        p[i] = o[i] * st[i] - pb[i] + kk[i] * dl[i];
                                        inside = inside && p[i] >= 0 && p[i] < gx.sp[i];
                                        in_pads = in_pads && p[i] >= -pb[i] && p[i] < gx.sp[i] + pe[i];
                                    }
                                    count_pad += in_pads;
                                    if (!inside)
                                        continue;
                                    double v = x[n * gx.sn + ch * gx.sc + p[0] * gx.ssp[0] +
                                                 p[1] * gx.ssp[1] + p[2] * gx.ssp[2]];
                                    if (win)
                                        win[count] = v;
                                    count++;
                                    sum += v;
                                    /* NaN never wins; the first maximum does. */
                                    if (v > best || (best_at[0] < 0 && !isnan(v))) {
                                        best = v;
                                        for (int i = 0; i < 3; i++)
                                            best_at[i] = p[i];
                                    }
                                }
                        int64_t yo = n * gy.sn + ch * gy.sc + o0 * gy.ssp[0] + o1 * gy.ssp[1] + o2 * gy.ssp[2];
                        if (int_mode) {
                            y[yo] = ref_int_pool(c, win, count, count_pad);
                        } else if (is_max) {
                            y[yo] = best;
                        } else {
                            int64_t div = a->count_include_pad ? count_pad : count;
                            y[yo] = div ? sum / (double)div : NAN;
                        }
                        if (idx) {
                            int64_t flat;
                            if (a->storage_order == 1)   /* column-major spatial */
                                flat = (best_at[2] * gx.sp[1] + best_at[1]) * gx.sp[0] + best_at[0];
                            else
                                flat = (best_at[0] * gx.sp[1] + best_at[1]) * gx.sp[2] + best_at[2];
                            if (best_at[0] < 0)
                                flat = -1;
                            else if (a->layout == IR_LAYOUT_NHWC)
                                flat = (n * spatial + flat) * gx.c + ch;
                            else
                                flat = (n * gx.c + ch) * spatial + flat;
                            idx[yo] = (double)flat;
                        }
                    }
    if (int_mode)
        ref_store_plain(c, 0, y);
    else
        ref_store(c, 0, y);
    if (idx)
        ref_store(c, 1, idx);
    return true;
}
