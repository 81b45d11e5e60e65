/*
 * hash.c - FNV-1a 64 and 32.
 */
#include "util/hash.h"

#include <string.h>

uint64_t fnv64(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t fnv64_str(uint64_t h, const char *s)
{
    return fnv64(h, s, strlen(s) + 1);
}

uint32_t fnv32_str(const char *s)
{
    uint32_t h = FNV32_INIT;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x01000193u;
    }
    return h;
}
