/*
 * resize_tables.c - per-axis source indices and weights of ONNX Resize.
 *
 * Follows the operator's definition (Operators.md, opset 19) and the ONNX
 * reference's choices where the text leaves room: the source coordinate
 * x_ori of output x uses output_width = scale * in as a real number (so
 * align_corners and tf_crop_and_resize use the scale, not the rounded
 * size); `ratio` is x_ori - floor(x_ori), taken as 1 when x_ori is an
 * integer so that the left neighbour is preferred; the n taps are the n
 * input positions nearest to x_ori, chosen in an input edge-padded by n/2
 * (ties to the left), and read with the index clamped to the input (edge
 * padding); exclude_outside zeroes taps outside the input and renormalises.
 * tf_crop_and_resize marks outputs whose x_ori lies outside [0, in-1].
 */
#include "passes/resize_tables.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/sbuf.h"

/* Source coordinate of output index x. */
static double source_coord(const ir_resize_attr *ra, int axis, double x, int64_t in, int64_t out,
                           bool *outside)
{
    const double scale = ra->scale[axis];
    const double out_w = scale * (double)in;    /* real-valued, as the reference */
    const double in_w = (double)in;
    *outside = false;
    switch (ra->coord) {
    case IR_COORD_ALIGN_CORNERS:
        return out_w == 1.0 ? 0.0 : x * (in_w - 1.0) / (out_w - 1.0);
    case IR_COORD_ASYMMETRIC:
        return x / scale;
    case IR_COORD_TF_CROP_AND_RESIZE: {
        const double r0 = ra->roi_start[axis], r1 = ra->roi_end[axis];
        double v = out_w == 1.0 ? (r1 - r0) * (in_w - 1.0) / 2.0
                                : x * (r1 - r0) * (in_w - 1.0) / (out_w - 1.0);
        v += r0 * (in_w - 1.0);
        if (v < 0.0 || v > in_w - 1.0)
            *outside = true;
        return v;
    }
    case IR_COORD_PYTORCH_HALF_PIXEL:
        /* A one-element output axis reads input coordinate 0, decided on the
         * integer output size: onnxruntime's choice and Operators.md's
         * formula (ONNX's Python reference takes -0.5 when scale*in == 1;
         * with edge clamping that differs only for cubic and antialias
         * taps).  ref/eval_resize.c does the same. */
        return out <= 1 ? 0.0 : (x + 0.5) / scale - 0.5;
    case IR_COORD_HALF_PIXEL_SYMMETRIC: {
        const double adjustment = (double)out / out_w;
        const double center = in_w / 2.0;
        const double offset = center * (1.0 - adjustment);
        return offset + (x + 0.5) / scale - 0.5;
    }
    case IR_COORD_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / scale;
    case IR_COORD_HALF_PIXEL:
    default:
        return (x + 0.5) / scale - 0.5;
    }
}

/* Cubic convolution kernel with parameter a (Keys), at distance d. */
static double cubic_kernel(double d, double a)
{
    d = fabs(d);
    if (d <= 1.0)
        return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
    if (d < 2.0)
        return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
    return 0.0;
}

/* Fills c[] (returns the count) with the coefficients of the taps at offsets
 * start..start+n-1 from floor'(x_ori), where ratio = x_ori - floor'(x_ori)
 * lies in (0, 1].  Without antialias (or when upscaling) linear has 2 taps
 * and cubic 4; antialias stretches the filter by 1/scale and normalises. */
static int coeffs(const ir_resize_attr *ra, double ratio, double scale, double *c, int cap,
                  int *start)
{
    if (ra->mode == IR_RESIZE_LINEAR) {
        if (!ra->antialias) {
            *start = 0;
            c[0] = 1.0 - ratio;
            c[1] = ratio;
            return 2;
        }
        const double s = scale < 1.0 ? scale : 1.0;
        const int st = (int)floor(-1.0 / s) + 1;
        const int n = 2 - 2 * st;
        if (n > cap)
            return -1;
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            double v = 1.0 - fabs(((double)(st + i) - ratio) * s);
            c[i] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
            sum += c[i];
        }
        for (int i = 0; i < n; i++)
            c[i] /= sum;
        *start = st;
        return n;
    }
    /* cubic */
    const double a = ra->cubic_a;
    if (!ra->antialias) {
        *start = -1;
        for (int i = 0; i < 4; i++)
            c[i] = cubic_kernel((double)(i - 1) - ratio, a);
        return 4;
    }
    const double s = scale < 1.0 ? scale : 1.0;
    const int st = (int)floor(-2.0 / s) + 1;
    const int n = 2 - 2 * st;
    if (n > cap)
        return -1;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        c[i] = cubic_kernel(s * ((double)(st + i) - ratio), a);
        sum += c[i];
    }
    for (int i = 0; i < n; i++)
        c[i] /= sum;
    *start = st;
    return n;
}

/* Which of the two nearest neighbours (0: floor', 1: floor'+1) nearest
 * mode picks.  An integer x_ori (ratio 1) always picks itself (1). */
static int nearest_pick(const ir_resize_attr *ra, double ratio, bool integer)
{
    if (integer)
        return 1;
    switch (ra->nearest) {
    case IR_NEAREST_ROUND_PREFER_CEIL: return ratio >= 0.5;
    case IR_NEAREST_FLOOR: return 0;
    case IR_NEAREST_CEIL: return 1;
    case IR_NEAREST_ROUND_PREFER_FLOOR:
    default: return ratio > 0.5;
    }
}

#define MAX_TAPS 4096

bool resize_axis_build(const ir_resize_attr *ra, int axis, int64_t in, int64_t out,
                       resize_axis *t, char *err, size_t errlen)
{
    t->taps = 0;
    t->idx = NULL;
    t->wt = NULL;
    t->identity = false;
    t->any_outside = false;
    if (in <= 0 || out <= 0 || ra->scale[axis] <= 0.0) {
        snprintf(err, errlen, "resize axis %d: sizes %lld -> %lld with scale %g cannot be resampled",
                 axis, (long long)in, (long long)out, ra->scale[axis]);
        return false;
    }
    double *c = xmalloc(MAX_TAPS * sizeof(double));
    int n_taps = ra->mode == IR_RESIZE_NEAREST ? 1 : 0;
    for (int64_t o = 0; o < out; o++) {
        bool outside;
        const double xo = source_coord(ra, axis, (double)o, in, out, &outside);
        const double fl = floor(xo);
        const bool integer = xo == fl;
        const double ratio = integer ? 1.0 : xo - fl;
        const int64_t base0 = (int64_t)fl - (integer ? 1 : 0);  /* floor' */
        int start = 0, n = 1;
        if (ra->mode == IR_RESIZE_NEAREST) {
            n = 2;
            start = 0;
        } else {
            n = coeffs(ra, ratio, ra->scale[axis], c, MAX_TAPS, &start);
            if (n < 0) {
                snprintf(err, errlen, "resize axis %d: antialias filter wider than %d taps", axis,
                         MAX_TAPS);
                free(c);
                free(t->idx);
                free(t->wt);
                return false;
            }
        }
        /* The n nearest positions in the input padded by P = ceil(n/2) on
         * each side: the natural window, shifted back inside the padded
         * range when x_ori is far outside. */
        const int64_t P = (n + 1) / 2;
        int64_t first = base0 + start;
        if (first < -P)
            first = -P;
        if (first + n > in + P)
            first = in + P - n;
        if (!t->idx) {
            if (ra->mode != IR_RESIZE_NEAREST)
                n_taps = n;
            t->taps = n_taps;
            t->idx = xcalloc((size_t)(out * n_taps), sizeof(int32_t));
            t->wt = xcalloc((size_t)(out * n_taps), sizeof(float));
        }
        int32_t *ti = t->idx + o * n_taps;
        float *tw = t->wt + o * n_taps;
        if (outside) {
            t->any_outside = true;
            ti[0] = -1;
            continue;
        }
        if (ra->mode == IR_RESIZE_NEAREST) {
            int64_t s = first + nearest_pick(ra, ratio, integer);
            ti[0] = (int32_t)(s < 0 ? 0 : s >= in ? in - 1 : s);
            tw[0] = 1.0f;
            continue;
        }
        if (n != n_taps) {
            /* Antialias widths depend only on the scale, so this cannot
             * happen; guard the table layout anyway. */
            snprintf(err, errlen, "resize axis %d: inconsistent tap count", axis);
            free(c);
            free(t->idx);
            free(t->wt);
            return false;
        }
        if (ra->exclude_outside) {
            double sum = 0.0;
            for (int k = 0; k < n; k++) {
                const int64_t s = first + k;
                if (s < 0 || s >= in)
                    c[k] = 0.0;
                sum += c[k];
            }
            for (int k = 0; k < n; k++)
                c[k] = sum != 0.0 ? c[k] / sum : 0.0;
        }
        for (int k = 0; k < n; k++) {
            const int64_t s = first + k;
            ti[k] = (int32_t)(s < 0 ? 0 : s >= in ? in - 1 : s);
            tw[k] = (float)c[k];
        }
    }
    free(c);
    /* Identity: same size, each output reads only its own index, weight 1. */
    t->identity = in == out && !t->any_outside;
    for (int64_t o = 0; o < out && t->identity; o++) {
        double own = 0.0;
        for (int k = 0; k < t->taps; k++) {
            const float w = t->wt[o * t->taps + k];
            if (t->idx[o * t->taps + k] == o)
                own += w;
            else if (w != 0.0f)
                t->identity = false;
        }
        if (own != 1.0)
            t->identity = false;
    }
    return true;
}

void resize_axis_free(resize_axis *t)
{
    free(t->idx);
    free(t->wt);
    t->idx = NULL;
    t->wt = NULL;
}
