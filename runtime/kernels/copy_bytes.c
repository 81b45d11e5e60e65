/*
 * copy_bytes.c - byte copies and fills of the runtime, so that neither
 * generated code nor the runtime links libc's memcpy or memset (newlib's
 * pair is about 470 B of Cortex-M text, more than the loops here).
 *
 * kiln_copy_bytes is the generated code's plain byte copy; kiln_bytes_copy and
 * kiln_bytes_fill (bytes.h) move a word at a time where the addresses allow it
 * (kiln_bytes_copy loads words from any address where the core can),
 * for the kernels' scratch rows and the blob check's report.  gcc and clang
 * recognise such loops and call memcpy/memset after all; an empty asm on
 * the pointer, which changes nothing, keeps the loops loops.  Relies on
 * nothing; never allocates.
 */
#include "kiln/kernels.h"
#include "bytes.h"

#include <string.h>

/* Word loads from any address: Armv7-M and up (Cortex-M3/M4/M7/M33/M55) and
 * the hosts the runtime is built for; not Cortex-M0/M0+. */
#if defined(__ARM_FEATURE_UNALIGNED) || defined(__x86_64__) || defined(__i386__) || \
    defined(__aarch64__)
#define KILN_UNALIGNED_WORDS 1
#else
#define KILN_UNALIGNED_WORDS 0
#endif

#if defined(__GNUC__)
#define KILN_OPAQUE(v) __asm__("" : "+r"(v)) /* v is unknown here: no idiom */
#else
#define KILN_OPAQUE(v) ((void)0)
#endif

/* One word (aligned where these are used: fixed-size memcpy is one LDR/STR). */
static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

void kiln_copy_bytes(const void *src, void *dst, uint32_t nbytes)
{
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    uint32_t i;
    if (s == d)
        return;
    for (i = 0; i < nbytes; i++)
        d[i] = s[i];
}

void kiln_bytes_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
#if KILN_UNALIGNED_WORDS
    /* Stores aligned, loads where the source is (LDR takes any address). */
    for (; n && ((uintptr_t)d & 3); n--)
        *d++ = *s++;
#if defined(__thumb2__) && defined(__GNUC__)
    /* Armv7-M: 16 bytes a step, one STM, and one LDM where the source is
     * aligned too (four LDR otherwise): 4 or 7 instructions, about what
     * newlib's memcpy takes. */
    if (n >= 16) {
        register uint32_t a __asm__("r4"), b __asm__("r5"), c __asm__("r6"), e __asm__("r7");
        uint32_t k = (uint32_t)(n >> 4);
        if (((uintptr_t)s & 3) == 0)
            __asm__ volatile("1: ldmia %[s]!, {%[a], %[b], %[c], %[e]}\n\t"
                             "stmia %[d]!, {%[a], %[b], %[c], %[e]}\n\t"
                             "subs %[k], %[k], #1\n\t"
                             "bne 1b"
                             : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e), [s] "+r"(s),
                               [d] "+r"(d), [k] "+r"(k)
                             :
                             : "cc", "memory");
        else
            __asm__ volatile("1: ldr %[a], [%[s]]\n\t"
                             "ldr %[b], [%[s], #4]\n\t"
                             "ldr %[c], [%[s], #8]\n\t"
                             "ldr %[e], [%[s], #12]\n\t"
                             "adds %[s], %[s], #16\n\t"
                             "stmia %[d]!, {%[a], %[b], %[c], %[e]}\n\t"
                             "subs %[k], %[k], #1\n\t"
                             "bne 1b"
                             : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e), [s] "+r"(s),
                               [d] "+r"(d), [k] "+r"(k)
                             :
                             : "cc", "memory");
        n &= 15;
    }
#endif
    for (; n >= 16; n -= 16, d += 16, s += 16) {
        const uint32_t a = ld32(s), b = ld32(s + 4), c = ld32(s + 8), e = ld32(s + 12);
        KILN_OPAQUE(d);
        st32(d, a), st32(d + 4, b), st32(d + 8, c), st32(d + 12, e);
    }
#else
    if ((((uintptr_t)d ^ (uintptr_t)s) & 3) == 0) {
        for (; n && ((uintptr_t)d & 3); n--)
            *d++ = *s++;
        for (; n >= 4; n -= 4, d += 4, s += 4) {
            KILN_OPAQUE(d);
            st32(d, ld32(s));
        }
    }
#endif
    for (; n; n--) {
        KILN_OPAQUE(d);
        *d++ = *s++;
    }
}

void kiln_bytes_fill(void *dst, uint8_t value, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint32_t w = value * 0x01010101u;
    for (; n && ((uintptr_t)d & 3); n--)
        *d++ = value;
    for (; n >= 4; n -= 4, d += 4) {
        KILN_OPAQUE(d);
        st32(d, w);
    }
    for (; n; n--) {
        KILN_OPAQUE(d);
        *d++ = value;
    }
}
