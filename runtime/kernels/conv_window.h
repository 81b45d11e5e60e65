/*
 * conv_window.h - the one window walk of the plain convolution kernels
 * (conv_s8.c, conv_s16.c: CONV, DEPTHWISE, TRANSPOSE_CONV on int8 and
 * int16): which taps of a kernel an output position reads and where, so
 * that no kernel repeats the geometry or tests bounds per tap.  Internal to
 * the runtime.
 *
 * Along one axis, output o with stride s, padding before p and dilation d
 * reads input o*s - p + k*d through tap k; kiln_taps_of() gives the range
 * [k0, k1) of taps that land in [0, n) and the input index of tap k0, so a
 * walk over a window is two counted loops.  Taps outside the range read
 * padding, which contributes nothing (TFLite skips it, which is the same as
 * padding with the zero point).  A transposed convolution gathers instead:
 * output o receives input i through tap k when o + p - k*d = i*s, the test
 * kiln_tap_next() applies per tap in that mode.  Pure integer arithmetic.
 */
#ifndef KILN_CONV_WINDOW_H
#define KILN_CONV_WINDOW_H

#include <stdint.h>
#include "kiln/kernels_s8.h"

typedef struct kiln_taps {
    int32_t k0, k1;  /* taps k0 <= k < k1 are inside the input */
    int32_t i0;      /* input index of tap k0 (next taps: + d each) */
} kiln_taps;

/* ceil(a / b) for a >= 0, b > 0. */
static inline int32_t kiln_ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

static inline kiln_taps kiln_taps_of(int32_t o, int32_t s, int32_t p, int32_t d, int32_t k,
                                     int32_t n)
{
    kiln_taps t;
    const int32_t base = o * s - p; /* input index of tap 0 */
    t.k0 = base >= 0 ? 0 : kiln_ceil_div(-base, d);
    t.k1 = base > n - 1 ? 0 : (n - 1 - base) / d + 1;
    if (t.k1 > k)
        t.k1 = k;
    if (t.k0 > t.k1)
        t.k0 = t.k1;
    t.i0 = base + t.k0 * d;
    return t;
}

/* Element strides of an activation tensor (batch, channel, row, column) in
 * either layout. */
typedef struct kiln_act_strides {
    int32_t b, c, h, w;
} kiln_act_strides;

static inline kiln_act_strides kiln_act_strides_of(int32_t layout, int32_t c, int32_t h,
                                                   int32_t w)
{
    kiln_act_strides s;
    if (layout == KILN_LAYOUT_NHWC)
        s.c = 1, s.w = c, s.h = w * c, s.b = h * w * c;
    else
        s.w = 1, s.h = w, s.c = h * w, s.b = c * h * w;
    return s;
}

/* The taps of one output position, one after the other: kiln_tap_begin(),
 * then while (kiln_tap_next(&it)) use it.tap (ky * k_w + kx) and it.pos
 * (the element offset of input pixel (iy, ix) in its plane, strides xs). */
typedef struct kiln_tap_iter {
    const kiln_conv_s8_params *p;
    int32_t transposed;
    kiln_taps y, x;              /* forward: the ranges inside the input */
    int32_t oy, ox;              /* transposed: the output position */
    int32_t row_stride, col_stride;
    int32_t ky, kx, iy, ix;      /* the next tap */
    int32_t tap, pos;            /* the current one */
} kiln_tap_iter;

static inline void kiln_tap_begin(kiln_tap_iter *it, const kiln_conv_s8_params *p,
                                  const kiln_act_strides *xs, int32_t oy, int32_t ox,
                                  int32_t transposed)
{
    it->p = p;
    it->transposed = transposed;
    it->row_stride = xs->h, it->col_stride = xs->w;
    it->oy = oy, it->ox = ox;
    it->tap = it->pos = 0;
    if (transposed) {
        it->ky = it->kx = it->iy = it->ix = 0;
        return;
    }
    it->y = kiln_taps_of(oy, p->stride_h, p->pad_t, p->dil_h, p->k_h, p->in_h);
    it->x = kiln_taps_of(ox, p->stride_w, p->pad_l, p->dil_w, p->k_w, p->in_w);
    it->ky = it->y.k0, it->iy = it->y.i0;
    it->kx = it->x.k0, it->ix = it->x.i0;
    if (it->x.k0 == it->x.k1)
        it->ky = it->y.k1; /* no column inside: no tap */
}

/* Transposed: whether tap k of output o gathers an input, and which. */
static inline int kiln_gather(int32_t o, int32_t pad, int32_t k, int32_t d, int32_t s, int32_t n,
                              int32_t *i)
{
    const int32_t t = o + pad - k * d;
    if (t < 0 || t % s != 0 || t / s >= n)
        return 0;
    *i = t / s;
    return 1;
}

static inline int kiln_tap_next(kiln_tap_iter *it)
{
    const kiln_conv_s8_params *p = it->p;
    if (it->transposed) {
        for (; it->ky < p->k_h; it->ky++, it->kx = 0) {
            int32_t iy, ix;
            if (!kiln_gather(it->oy, p->pad_t, it->ky, p->dil_h, p->stride_h, p->in_h, &iy))
                continue;
            while (it->kx < p->k_w) {
                const int32_t kx = it->kx++;
                if (kiln_gather(it->ox, p->pad_l, kx, p->dil_w, p->stride_w, p->in_w, &ix)) {
                    it->tap = it->ky * p->k_w + kx;
                    it->pos = iy * it->row_stride + ix * it->col_stride;
                    return 1;
                }
            }
        }
        return 0;
    }
    if (it->ky >= it->y.k1)
        return 0;
    it->tap = it->ky * p->k_w + it->kx;
    it->pos = it->iy * it->row_stride + it->ix * it->col_stride;
    if (++it->kx < it->x.k1) {
        it->ix += p->dil_w;
    } else {
        it->kx = it->x.k0, it->ix = it->x.i0;
        it->ky++, it->iy += p->dil_h;
    }
    return 1;
}

#endif
