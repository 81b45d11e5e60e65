/*
 * copy_bytes.c - a plain byte copy, so generated code needs no libc memcpy.
 */
#include "kiln/kernels.h"

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
