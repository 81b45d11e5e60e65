/*
 * copy_bytes.c - byte copies and fills of the runtime, so that neither
 * generated code nor the runtime links libc's memcpy or memset (newlib's
 * pair is about 470 B of Cortex-M text, more than the loops here).
 *
 * kiln_copy_bytes is the generated code's plain byte copy; kiln_bytes_copy and
 * kiln_bytes_fill (bytes.h) move a word at a time where the addresses allow it,
 * for the kernels' scratch rows and the blob check's report.  gcc and clang
 * recognise such loops and call memcpy/memset after all; an empty asm on
 * the pointer, which changes nothing, keeps the loops loops.  Relies on
 * nothing; never allocates.
 */
#include "kiln/kernels.h"
#include "bytes.h"

#include <string.h>

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
    if ((((uintptr_t)d ^ (uintptr_t)s) & 3) == 0) {
        for (; n && ((uintptr_t)d & 3); n--)
            *d++ = *s++;
        for (; n >= 16; n -= 16, d += 16, s += 16) {
            const uint32_t a = ld32(s), b = ld32(s + 4), c = ld32(s + 8), e = ld32(s + 12);
            KILN_OPAQUE(d);
            st32(d, a), st32(d + 4, b), st32(d + 8, c), st32(d + 12, e);
        }
        for (; n >= 4; n -= 4, d += 4, s += 4) {
            KILN_OPAQUE(d);
            st32(d, ld32(s));
        }
    }
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
