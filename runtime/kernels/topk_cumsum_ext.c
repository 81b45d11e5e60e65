/*
 * topk_cumsum_ext.c - TopK and CumSum along one axis (kernels_ext.h).
 *
 * TopK needs no scratch: the j-th output is the least element (in the
 * (value, index) order of the op) that comes after the (j-1)-th, found by
 * one scan of the line, so k outputs cost k scans.  CumSum keeps one running
 * sum per line; integer sums wrap as two's complement (computed unsigned).
 * One macro per op instantiates the element types.  Never allocates.
 */
#include "kiln/kernels_ext.h"

/* a before b in the output order: better value, or equal value and lower index. */
#define BEFORE(va, ia, vb, ib, sm) ((va) != (vb) ? ((sm) ? (va) < (vb) : (va) > (vb)) : (ia) < (ib))

#define TOPK(NAME, T)                                                                           \
    void NAME(const kiln_topk_params *p, const T *x, T *v, int64_t *idx)                        \
    {                                                                                           \
        for (int32_t o = 0; o < p->outer; o++)                                                  \
            for (int32_t in = 0; in < p->inner; in++) {                                         \
                const T *line = x + (int64_t)o * p->n * p->inner + in;                          \
                int32_t prev = -1;                                                              \
                for (int32_t j = 0; j < p->k; j++) {                                            \
                    int32_t best = -1;                                                          \
                    for (int32_t a = 0; a < p->n; a++) {                                        \
                        const T va = line[(int64_t)a * p->inner];                               \
                        if (prev >= 0 && !BEFORE(line[(int64_t)prev * p->inner], prev, va, a,   \
                                                 p->smallest))                                  \
                            continue; /* not after the previous output */                       \
                        if (best < 0 || BEFORE(va, a, line[(int64_t)best * p->inner], best,     \
                                               p->smallest))                                    \
                            best = a;                                                           \
                    }                                                                           \
                    if (best < 0)                                                               \
                        best = prev;                                                            \
                    const int64_t at = ((int64_t)o * p->k + j) * p->inner + in;                 \
                    v[at] = line[(int64_t)best * p->inner];                                     \
                    idx[at] = best;                                                             \
                    prev = best;                                                                \
                }                                                                               \
            }                                                                                   \
    }

TOPK(kiln_topk_f32, float)
TOPK(kiln_topk_int64, int64_t)

#define CUMSUM(NAME, T, ACC)                                                                    \
    void NAME(const kiln_cumsum_params *p, const T *x, T *y)                                    \
    {                                                                                           \
        for (int32_t o = 0; o < p->outer; o++)                                                  \
            for (int32_t in = 0; in < p->inner; in++) {                                         \
                const int64_t base = (int64_t)o * p->n * p->inner + in;                         \
                ACC sum = 0;                                                                    \
                for (int32_t s = 0; s < p->n; s++) {                                            \
                    const int32_t j = p->reverse ? p->n - 1 - s : s;                            \
                    const int64_t at = base + (int64_t)j * p->inner;                            \
                    const ACC xv = (ACC)x[at];                                                  \
                    if (!p->exclusive)                                                          \
                        sum += xv;                                                              \
                    y[at] = (T)sum;                                                             \
                    if (p->exclusive)                                                           \
                        sum += xv;                                                              \
                }                                                                               \
            }                                                                                   \
    }

CUMSUM(kiln_cumsum_f32, float, float)
CUMSUM(kiln_cumsum_int32, int32_t, uint32_t)
CUMSUM(kiln_cumsum_int64, int64_t, uint64_t)
