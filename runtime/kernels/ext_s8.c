/*
 * ext_s8.c - int8 kernels of the extended operator set (kernels_ext_s8.h):
 * scaled comparisons, SQUARED_DIFFERENCE, REDUCE_MAX/MIN, ARG_MAX/MIN, ABS,
 * PRELU, CUMSUM and table lookups, each the integer steps of TFLite-Micro's kernel for
 * that builtin.
 *
 * Relies on fixedpoint_s8.h for gemmlowp's rounding primitives.  The
 * broadcasting walk keeps each operand's offset in step through its strides
 * (0 = broadcast), as broadcast_ext.c does for the float forms.  Never
 * allocates, never uses a float.
 */
#include "kiln/kernels_ext_s8.h"

#include "fixedpoint_s8.h"

/* TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp: shift <= 0. */
static int32_t scale_cmp(int32_t v, int32_t left_shift, int32_t mult, int32_t shift)
{
    return kiln_rdbpot(kiln_srdhm(kiln_shl_wrap(v, left_shift), mult), -shift);
}

static uint8_t compare(int32_t fn, int32_t a, int32_t b)
{
    switch (fn) {
    case KILN_CMP_EQ: return a == b;
    case KILN_CMP_GT: return a > b;
    case KILN_CMP_GE: return a >= b;
    case KILN_CMP_LT: return a < b;
    default: return a <= b;
    }
}

/* Steps the two operand offsets to Y's next element (idx: Y's coordinates). */
static void bcast_next(const kiln_bcast_params *bc, int32_t *idx, int32_t *ia, int32_t *ib)
{
    for (int32_t d = bc->rank - 1; d >= 0; d--) {
        *ia += bc->a_stride[d];
        *ib += bc->b_stride[d];
        if (++idx[d] < bc->shape[d])
            return;
        *ia -= bc->a_stride[d] * bc->shape[d];
        *ib -= bc->b_stride[d] * bc->shape[d];
        idx[d] = 0;
    }
}

static int32_t bcast_count(const kiln_bcast_params *bc)
{
    int32_t n = 1;
    for (int32_t d = 0; d < bc->rank; d++)
        n *= bc->shape[d];
    return n;
}

/* Walks Y in order: for each element, both operands scaled (TFLM's
 * shifted, multiplied input values), then either compared into y8 (bool)
 * or, with sq set, squared and requantized into ys8. */
static void scaled_pairs(const kiln_cmp_s8_params *p, const kiln_sqdiff_s8_params *sq, const int8_t *a,
                         const int8_t *b, uint8_t *y8, int8_t *ys8)
{
    const int32_t n = bcast_count(&p->bc);
    int32_t idx[KILN_MAX_DIMS] = {0}, ia = 0, ib = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t va = scale_cmp(a[ia] + p->a_offset, p->left_shift, p->a_mult, p->a_shift);
        const int32_t vb = scale_cmp(b[ib] + p->b_offset, p->left_shift, p->b_mult, p->b_shift);
        if (sq) {
            const int32_t diff = va - vb;   /* |diff| < 2^15 with left_shift 7: the square fits */
            ys8[i] = (int8_t)kiln_clamp32(kiln_mbqm(diff * diff, sq->out_mult, sq->out_shift) + sq->out_zp, -128, 127);
        } else {
            y8[i] = compare(p->bc.fn, va, vb);
        }
        bcast_next(&p->bc, idx, &ia, &ib);
    }
}

void kiln_compare_s8_scaled(const kiln_cmp_s8_params *p, const int8_t *a, const int8_t *b, uint8_t *y)
{
    scaled_pairs(p, 0, a, b, y, 0);
}

void kiln_squared_difference_s8(const kiln_sqdiff_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    scaled_pairs(&p->in, p, a, b, 0, y);
}

void kiln_reduce_minmax_s8(const kiln_reduce_ext_params *p, const int8_t *x, int8_t *y)
{
    const int is_max = p->fn == KILN_RED_MAX;
    for (int32_t i = 0; i < p->out_size; i++)
        y[i] = (int8_t)(is_max ? -128 : 127);
    int32_t n = 1, idx[KILN_MAX_DIMS] = {0}, o = 0;
    for (int32_t d = 0; d < p->rank; d++)
        n *= p->in_shape[d];
    for (int32_t i = 0; i < n; i++) {
        if (is_max ? x[i] > y[o] : x[i] < y[o])
            y[o] = x[i];
        for (int32_t d = p->rank - 1; d >= 0; d--) {
            o += p->y_stride[d];
            if (++idx[d] < p->in_shape[d])
                break;
            o -= p->y_stride[d] * p->in_shape[d];
            idx[d] = 0;
        }
    }
}

/* Index of the winner of one line x[0], x[stride], ...: strictly better
 * replaces, so the first index wins a tie (TFLM's GreaterFn / LessFn). */
static int32_t arg_line(const int8_t *x, int32_t n, int32_t stride, int32_t is_min)
{
    int32_t best = 0, bv = x[0];
    for (int32_t k = 1; k < n; k++) {
        const int32_t v = x[(int64_t)k * stride];
        if (is_min ? v < bv : v > bv) {
            best = k;
            bv = v;
        }
    }
    return best;
}

void kiln_arg_s8_i32(const kiln_arg_params *p, const int8_t *x, int32_t *y)
{
    for (int32_t o = 0; o < p->outer; o++)
        for (int32_t in = 0; in < p->inner; in++)
            y[(int64_t)o * p->inner + in] = arg_line(x + (int64_t)o * p->n * p->inner + in, p->n, p->inner, p->is_min);
}

void kiln_arg_s8_i64(const kiln_arg_params *p, const int8_t *x, int64_t *y)
{
    for (int32_t o = 0; o < p->outer; o++)
        for (int32_t in = 0; in < p->inner; in++)
            y[(int64_t)o * p->inner + in] = arg_line(x + (int64_t)o * p->n * p->inner + in, p->n, p->inner, p->is_min);
}

void kiln_abs_s8(const kiln_abs_s8_params *p, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < p->size; i++) {
        int32_t v = x[i] - p->in_zp;
        v = v < 0 ? -v : v;
        const int32_t r = (p->rescale ? kiln_mbqm(v, p->mult, p->shift) : v) + p->out_zp;
        y[i] = (int8_t)kiln_clamp32(r, -128, 127);
    }
}

void kiln_prelu_s8(const kiln_prelu_s8_params *p, const int8_t *x, const int8_t *alpha, int8_t *y)
{
    const int32_t n = bcast_count(&p->bc);
    int32_t idx[KILN_MAX_DIMS] = {0}, ix = 0, ia = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t v = x[ix] + p->in_offset;
        const int32_t r = v >= 0 ? kiln_mbqm(v, p->mult1, p->shift1)
                                 : kiln_mbqm(v * (alpha[ia] + p->alpha_offset), p->mult2, p->shift2);
        y[i] = (int8_t)kiln_clamp32(r + p->out_zp, -128, 127);
        bcast_next(&p->bc, idx, &ix, &ia);
    }
}

/* One line of CUMSUM: x[0], x[stride], ... summed front to back or back to
 * front; the additions wrap (uint32_t) where TFLM's int32 would overflow. */
static void cumsum_line(const kiln_cumsum_s8_params *p, const int8_t *x, int8_t *y, int32_t stride)
{
    const int32_t n = p->line.n;
    uint32_t acc = (uint32_t)scale_cmp(p->in_offset, p->left_shift, p->in_mult, p->in_shift);
    for (int32_t k = 0; k < n; k++) {
        const int64_t at = (int64_t)(p->line.reverse ? n - 1 - k : k) * stride;
        const uint32_t v = (uint32_t)scale_cmp(x[at] + p->in_offset, p->left_shift, p->in_mult, p->in_shift);
        uint32_t out = acc + v;
        if (p->line.exclusive)
            out = acc;
        acc += v;
        const int32_t r = scale_cmp((int32_t)out, 0, p->out_mult, p->out_shift) + p->out_zp;
        y[at] = (int8_t)kiln_clamp32(r, -128, 127);
    }
}

void kiln_cumsum_s8(const kiln_cumsum_s8_params *p, const int8_t *x, int8_t *y)
{
    const int64_t block = (int64_t)p->line.n * p->line.inner;
    for (int32_t o = 0; o < p->line.outer; o++)
        for (int32_t in = 0; in < p->line.inner; in++)
            cumsum_line(p, x + o * block + in, y + o * block + in, p->line.inner);
}

void kiln_lut_s8(const kiln_lut_s8_params *p, const int8_t *x, const int8_t *table, int8_t *y)
{
    for (int32_t i = 0; i < p->size; i++)
        y[i] = table[x[i] + 128];
}
