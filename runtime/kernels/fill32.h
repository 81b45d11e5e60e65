/*
 * fill32.h - fills n 32-bit words with one value: the zero-point rows and
 * columns of the packed depthwise kernels' scratch, which at small outputs
 * cost as much as a tenth of the layer.  Internal to the runtime; relies on
 * kiln_dsp.h; never allocates.
 */
#ifndef KILN_FILL32_H
#define KILN_FILL32_H

#include <stdint.h>
#include "kiln_dsp.h"

/* d[0..n) = v.  On DSP cores 8 words per two STM, the rest one by one. */
static inline void kiln_fill32(uint32_t *d, int32_t n, uint32_t v)
{
#if KILN_HAS_DSP
    int32_t m = n >> 3;
    if (m > 0) {
        register uint32_t a __asm__("r4") = v, b __asm__("r5") = v;
        register uint32_t c __asm__("r6") = v, e __asm__("r7") = v;
        __asm__ volatile("1: stmia %[d]!, {r4-r7}\n\t"
                         "stmia %[d]!, {r4-r7}\n\t"
                         "subs %[m], %[m], #1\n\t"
                         "bne 1b"
                         : [d] "+r"(d), [m] "+r"(m)
                         : "r"(a), "r"(b), "r"(c), "r"(e)
                         : "cc", "memory");
        n &= 7;
    }
#endif
    for (int32_t i = 0; i < n; i++)
        d[i] = v;
}

#endif
