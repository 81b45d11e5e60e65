/*
 * gather_ext.c - Gather, GatherElements and GatherND with run-time indices
 * (kernels_ext.h): rows of inner_bytes (Gather), single elements
 * (GatherElements) or slices picked by an index tuple (GatherND) copied by
 * index, negative indices counted from the end
 * and out-of-range ones clamped so that no read leaves X.  Never allocates.
 */
#include <string.h>

#include "kiln/kernels_ext.h"

static int64_t fix_index(int64_t k, int32_t n)
{
    if (k < 0)
        k += n;
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    return k;
}

#define GATHER(NAME, T)                                                                        \
    void NAME(const kiln_gather_ext_params *p, const void *x, const T *idx, void *y)           \
    {                                                                                          \
        const uint8_t *xb = (const uint8_t *)x;                                                \
        uint8_t *yb = (uint8_t *)y;                                                            \
        const size_t row = (size_t)p->inner_bytes;                                             \
        for (int32_t o = 0; o < p->outer; o++)                                                 \
            for (int32_t j = 0; j < p->n_idx; j++) {                                           \
                const int64_t k = fix_index((int64_t)idx[j], p->n);                            \
                memcpy(yb + ((size_t)o * (size_t)p->n_idx + (size_t)j) * row,                  \
                       xb + ((size_t)o * (size_t)p->n + (size_t)k) * row, row);                \
            }                                                                                  \
    }

GATHER(kiln_gather_i64, int64_t)
GATHER(kiln_gather_i32, int32_t)

#define GATHER_ELEMENTS(NAME, T)                                                               \
    void NAME(const kiln_gather_elements_params *p, const void *x, const T *idx, void *y)       \
    {                                                                                          \
        const uint8_t *xb = (const uint8_t *)x;                                                \
        uint8_t *yb = (uint8_t *)y;                                                            \
        const size_t es = (size_t)p->elem_size;                                                \
        int32_t co[KILN_MAX_DIMS] = {0}, total = 1;                                            \
        for (int32_t d = 0; d < p->rank; d++)                                                  \
            total *= p->shape[d];                                                              \
        for (int32_t i = 0; i < total; i++) {                                                  \
            int64_t off = 0;                                                                   \
            for (int32_t d = 0; d < p->rank; d++)                                              \
                off += (d == p->axis ? fix_index((int64_t)idx[i], p->n) : co[d]) *             \
                       (int64_t)p->x_stride[d];                                                \
            memcpy(yb + (size_t)i * es, xb + (size_t)off * es, es);                            \
            for (int32_t d = p->rank - 1; d >= 0; d--) {                                       \
                if (++co[d] < p->shape[d])                                                     \
                    break;                                                                     \
                co[d] = 0;                                                                     \
            }                                                                                  \
        }                                                                                      \
    }

void kiln_gather_nd_i32(const kiln_gather_nd_params *p, const void *x, const int32_t *idx, void *y)
{
    const uint8_t *xb = (const uint8_t *)x;
    uint8_t *yb = (uint8_t *)y;
    const size_t slice = (size_t)p->slice_bytes;
    for (int32_t j = 0; j < p->n_slices; j++) {
        size_t at = 0;
        for (int32_t d = 0; d < p->k; d++) {
            int32_t v = idx[(size_t)j * (size_t)p->k + (size_t)d];
            v = v < 0 ? 0 : v >= p->dims[d] ? p->dims[d] - 1 : v;
            at += (size_t)v * (size_t)p->stride[d];
        }
        memcpy(yb + (size_t)j * slice, xb + at * slice, slice);
    }
}

GATHER_ELEMENTS(kiln_gather_elements_i64, int64_t)
GATHER_ELEMENTS(kiln_gather_elements_i32, int32_t)
