/*
 * eval_resize.c - RESIZE with ONNX Resize (opset 19) semantics.
 *
 * Interpolation is separable: for every interpolated axis and every output
 * coordinate we work out a short list of taps (input index, weight), and an
 * output element is the sum over all tap combinations of the products of
 * weights times the input element.  Per axis:
 *   1. the coordinate transform maps output x to input x_ori (all seven
 *      coordinate modes; the "output width" is scale*in, as the ONNX
 *      reference computes it, and the integer size where the spec says so);
 *   2. nearest picks one index by nearest_mode; linear and cubic take taps
 *      around base = ceil(x_ori) - 1 with ratio r = x_ori - base in (0, 1]
 *      (an integral x_ori lands exactly on a tap), cubic with cubic_a;
 *      antialias widens the filter by 1/scale when downsampling and
 *      normalizes the weights;
 *   3. exclude_outside drops taps outside the input and renormalizes; other
 *      taps outside the input read the edge (index clamped);
 *   4. tf_crop_and_resize gives extrapolation_value when x_ori falls outside
 *      [0, in-1].
 * Axes whose size is unchanged with scale 1 (and a full ROI) pass through.
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result.
 */
#include <math.h>

#include "ref/eval_ops.h"

typedef struct axis_taps {
    int ntap;               /* taps per output coordinate */
    int64_t *idx;           /* [out * ntap], clamped into [0, in) */
    double *w;              /* [out * ntap] */
    unsigned char *outside; /* [out]: extrapolation_value instead */
} axis_taps;

/* The cubic convolution kernel with parameter A at distance x. */
static double cubic_w(double x, double A)
{
    x = fabs(x);
    if (x <= 1)
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2)
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0;
}

/* Output coordinate x -> input coordinate; *outside for tf_crop_and_resize. */
static double transform(const ir_resize_attr *ra, int d, double x, int64_t in, int64_t out, bool *outside)
{
    double s = ra->scale[d], outw = s * (double)in;
    double r0 = ra->roi_start[d], r1 = ra->roi_end[d], xo;
    *outside = false;
    switch (ra->coord) {
    case IR_COORD_ALIGN_CORNERS:
        return outw == 1 ? 0 : x * (double)(in - 1) / (outw - 1);
    case IR_COORD_ASYMMETRIC:
        return x / s;
    case IR_COORD_TF_CROP_AND_RESIZE:
        if (outw == 1)
            xo = (r1 - r0) * (double)(in - 1) / 2;
        else
            xo = x * (r1 - r0) * (double)(in - 1) / (outw - 1);
        xo += r0 * (double)(in - 1);
        *outside = xo < 0 || xo > (double)(in - 1);
        return xo;
    case IR_COORD_PYTORCH_HALF_PIXEL:
        return out > 1 ? (x + 0.5) / s - 0.5 : 0;   /* as onnxruntime: see resize_tables.c */
    case IR_COORD_HALF_PIXEL_SYMMETRIC: {
        double adjustment = (double)out / outw;
        double offset = (double)in / 2 * (1 - adjustment);
        return offset + (x + 0.5) / s - 0.5;
    }
    case IR_COORD_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / s;
    case IR_COORD_HALF_PIXEL:
    default:
        return (x + 0.5) / s - 0.5;
    }
}

static int64_t clamp_index(int64_t i, int64_t in)
{
    return i < 0 ? 0 : i >= in ? in - 1 : i;
}

static int64_t nearest_index(ir_nearest_mode mode, double xo)
{
    double base = floor(xo);
    if (xo == base)
        return (int64_t)xo;
    double r = xo - base;
    bool up;
    switch (mode) {
    case IR_NEAREST_ROUND_PREFER_CEIL: up = r >= 0.5; break;
    case IR_NEAREST_FLOOR: up = false; break;
    case IR_NEAREST_CEIL: up = true; break;
    case IR_NEAREST_ROUND_PREFER_FLOOR:
    default: up = r > 0.5; break;
    }
    return (int64_t)base + up;
}

/* Tap offsets relative to base are [first, first + n); the weight of offset
 * i is kernel((i - r) * filter_scale). */
static void filter_extent(const ir_resize_attr *ra, double s, int *first, int *n, double *fscale)
{
    double fs = ra->antialias && s < 1 ? s : 1;   /* antialias only widens when downsampling */
    int half = ra->mode == IR_RESIZE_CUBIC ? 2 : 1;
    *first = (int)floor(-(double)half / fs) + 1;
    *n = 2 - 2 * *first;
    *fscale = fs;
}

static bool build_taps(ref_ctx *c, int d, int64_t in, int64_t out, bool interp, axis_taps *t)
{
    const ir_resize_attr *ra = &c->nd->attr.resize;
    int first = 0, n = 1;
    double fs = 1;
    if (interp && ra->mode != IR_RESIZE_NEAREST)
        filter_extent(ra, ra->scale[d], &first, &n, &fs);
    t->ntap = n;
    t->idx = ref_tmp_bytes(c, (size_t)(out * n + 1) * sizeof(int64_t));
    t->w = ref_tmp(c, out * n);
    t->outside = ref_tmp_bytes(c, (size_t)out + 1);
    for (int64_t o = 0; o < out; o++) {
        int64_t *idx = t->idx + o * n;
        double *w = t->w + o * n;
        if (!interp) {
            idx[0] = o;
            w[0] = 1;
            continue;
        }
        bool outside;
        double xo = transform(ra, d, (double)o, in, out, &outside);
        t->outside[o] = outside;
        if (outside) {
            for (int j = 0; j < n; j++)
                idx[j] = 0;
            continue;
        }
        if (ra->mode == IR_RESIZE_NEAREST) {
            idx[0] = clamp_index(nearest_index(ra->nearest, xo), in);
            w[0] = 1;
            continue;
        }
        double base = ceil(xo) - 1, r = xo - base, sum = 0;
        for (int j = 0; j < n; j++) {
            int off = first + j;
            double dist = ((double)off - r) * fs;
            if (ra->mode == IR_RESIZE_LINEAR)
                w[j] = fmax(0.0, 1 - fabs(dist));
            else
                w[j] = cubic_w(dist, ra->cubic_a);
            int64_t raw = (int64_t)base + off;
            if (ra->exclude_outside && (raw < 0 || raw >= in))
                w[j] = 0;
            idx[j] = clamp_index(raw, in);
            sum += w[j];
        }
        /* The ONNX reference normalizes antialiased and exclude_outside
         * weights; plain linear and cubic weights already sum to 1. */
        if ((ra->antialias || ra->exclude_outside) && sum != 0)
            for (int j = 0; j < n; j++)
                w[j] /= sum;
    }
    return true;
}

bool ref_resize(ref_ctx *c)
{
    const ir_tensor *xt = ref_in(c, 0), *yt = ref_out(c, 0);
    const ir_resize_attr *ra = &c->nd->attr.resize;
    if (!xt || !yt)
        return ref_fail(c, "needs input X and output Y");
    if (xt->rank != yt->rank)
        return ref_fail(c, "input '%s' rank %d differs from output '%s' rank %d", xt->name, xt->rank,
                        yt->name, yt->rank);
    if (ra->antialias && ra->mode == IR_RESIZE_NEAREST)
        return ref_fail(c, "antialias is not defined for nearest mode");
    int r = xt->rank;
    axis_taps taps[IR_MAX_DIMS];
    for (int d = 0; d < r; d++) {
        int64_t in = xt->shape[d], out = yt->shape[d];
        bool full_roi = ra->roi_start[d] == 0 && ra->roi_end[d] == 1;
        bool interp = in != out || ra->scale[d] != 1 ||
                      (ra->coord == IR_COORD_TF_CROP_AND_RESIZE && !full_roi);
        if (interp && (!(ra->scale[d] > 0) || in == 0))
            return ref_fail(c, "axis %d: scale %g on input size %lld cannot be interpolated", d,
                            ra->scale[d], (long long)in);
        if (!build_taps(c, d, in, out, interp, &taps[d]))
            return false;
    }
    int64_t xs[IR_MAX_DIMS];
    ref_strides(xt, xs);
    const double *x = ref_real(c, 0);
    int64_t n = ir_numel(yt);
    double *y = ref_tmp(c, n);
    int64_t co[IR_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i;
        bool outside = false;
        for (int d = r - 1; d >= 0; d--) {
            co[d] = rem % yt->shape[d];
            rem /= yt->shape[d];
            outside = outside || taps[d].outside[co[d]];
        }
        if (outside) {
            y[i] = ra->extrapolation_value;
            continue;
        }
        /* Sum over every combination of taps (an odometer over axes). */
        int j[IR_MAX_DIMS] = { 0 };
        double acc = 0;
        for (;;) {
            double w = 1;
            int64_t off = 0;
            for (int d = 0; d < r; d++) {
                int64_t t = co[d] * taps[d].ntap + j[d];
                w *= taps[d].w[t];
                off += taps[d].idx[t] * xs[d];
            }
            acc += w * x[off];
            int d = r - 1;
            while (d >= 0 && ++j[d] == taps[d].ntap)
                j[d--] = 0;
            if (d < 0)
                break;
        }
        y[i] = acc;
    }
    ref_store(c, 0, y);
    return true;
}
