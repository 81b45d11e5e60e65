/*
 * reduce_ext_f32.c - the float32 Reduce family (sum, max, min, prod, L1, L2,
 * sum of squares, log-sum-exp) and ArgMax / ArgMin (kernels_ext.h).
 *
 * Reductions: Y starts at the function's identity, one odometer pass over X
 * accumulates into Y through the output strides (0 on reduced dims), then a
 * finishing pass (sqrt for L2, log for log-sum-exp).  Log-sum-exp is
 * accumulated as a plain sum of expf (as ONNX's reference defines it).
 * Arg kernels scan each [n] line once.  Never allocates.
 */
#include <math.h>

#include "kiln/kernels_ext.h"

static float identity(int32_t fn)
{
    switch (fn) {
    case KILN_RED_MAX: return -HUGE_VALF;
    case KILN_RED_MIN: return HUGE_VALF;
    case KILN_RED_PROD: return 1.0f;
    default: return 0.0f;
    }
}

static float accumulate(int32_t fn, float acc, float v)
{
    switch (fn) {
    case KILN_RED_MAX: return v > acc || v != v ? v : acc;     /* NaN propagates */
    case KILN_RED_MIN: return v < acc || v != v ? v : acc;
    case KILN_RED_PROD: return acc * v;
    case KILN_RED_L1: return acc + fabsf(v);
    case KILN_RED_L2:
    case KILN_RED_SUM_SQUARE: return acc + v * v;
    case KILN_RED_LOG_SUM_EXP: return acc + expf(v);
    default: return acc + v;
    }
}

void kiln_reduce_ext_f32(const kiln_reduce_ext_params *p, const float *x, float *y)
{
    const float init = identity(p->fn);
    for (int32_t i = 0; i < p->out_size; i++)
        y[i] = init;
    int32_t n = 1;
    for (int32_t d = 0; d < p->rank; d++)
        n *= p->in_shape[d];
    int32_t idx[KILN_MAX_DIMS] = {0}, o = 0;
    for (int32_t i = 0; i < n; i++) {
        y[o] = accumulate(p->fn, y[o], x[i]);
        for (int32_t d = p->rank - 1; d >= 0; d--) {
            o += p->y_stride[d];
            if (++idx[d] < p->in_shape[d])
                break;
            o -= p->y_stride[d] * p->in_shape[d];
            idx[d] = 0;
        }
    }
    if (p->fn == KILN_RED_L2)
        for (int32_t i = 0; i < p->out_size; i++)
            y[i] = sqrtf(y[i]);
    else if (p->fn == KILN_RED_LOG_SUM_EXP)
        for (int32_t i = 0; i < p->out_size; i++)
            y[i] = logf(y[i]);
}

void kiln_arg_f32(const kiln_arg_params *p, const float *x, int64_t *y)
{
    for (int32_t o = 0; o < p->outer; o++)
        for (int32_t in = 0; in < p->inner; in++) {
            const float *line = x + (int64_t)o * p->n * p->inner + in;
            int32_t best = 0;
            float bv = line[0];
            for (int32_t k = 1; k < p->n; k++) {
                const float v = line[(int64_t)k * p->inner];
                const int better = p->is_min ? (v < bv || (p->last && v == bv))
                                             : (v > bv || (p->last && v == bv));
                if (better || bv != bv) {
                    best = k;
                    bv = v;
                }
            }
            y[(int64_t)o * p->inner + in] = best;
        }
}
