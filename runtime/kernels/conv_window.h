/*
 * conv_window.h - the one window walk of the convolution kernels: which taps
 * of a kernel land inside the input for a given output position, so that no
 * kernel tests bounds per tap.  Internal to the runtime.
 *
 * Along one axis, output o with stride s, padding before p and dilation d
 * reads input o*s - p + k*d through tap k; kiln_taps_of() returns the range
 * [k0, k1) of taps that land in [0, n) and the input index of tap k0.  Taps
 * outside the range read padding.  Pure integer arithmetic, no state.
 */
#ifndef KILN_CONV_WINDOW_H
#define KILN_CONV_WINDOW_H

#include <stdint.h>

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

#endif
