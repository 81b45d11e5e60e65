/*
 * broadcast_ext.c - Pow, comparisons, logic and Where with numpy
 * broadcasting (kernels_ext.h).
 *
 * One odometer walks Y in order and keeps each operand's offset in step
 * through its strides (0 = broadcast), so there is no division.  The
 * comparison kernels are one macro instantiated per element type (no floats
 * in the integer ones).  Never allocates.
 */
#include <math.h>
#include <string.h>

#include "kiln/kernels_ext.h"

typedef struct walk {
    int32_t idx[KILN_MAX_DIMS];
    int32_t a, b, c;            /* element offsets of the operands */
} walk;

/* Advances to the next element of Y. */
static void step(const kiln_bcast_params *p, walk *w)
{
    for (int32_t d = p->rank - 1; d >= 0; d--) {
        w->a += p->a_stride[d];
        w->b += p->b_stride[d];
        w->c += p->c_stride[d];
        if (++w->idx[d] < p->shape[d])
            return;
        w->a -= p->a_stride[d] * p->shape[d];
        w->b -= p->b_stride[d] * p->shape[d];
        w->c -= p->c_stride[d] * p->shape[d];
        w->idx[d] = 0;
    }
}

static int32_t total(const kiln_bcast_params *p)
{
    int32_t n = 1;
    for (int32_t d = 0; d < p->rank; d++)
        n *= p->shape[d];
    return n;
}

void kiln_pow_f32(const kiln_bcast_params *p, const float *a, const float *b, float *y)
{
    walk w = {{0}, 0, 0, 0};
    const int32_t n = total(p);
    for (int32_t i = 0; i < n; i++, step(p, &w))
        y[i] = powf(a[w.a], b[w.b]);
}

/* Integer Pow (ir_ops.def POW).  An exponent of the base's type: exact
 * power by squaring in the unsigned type, which wraps like numpy's; a
 * negative exponent truncates 1/a^|e| (1 for a = 1, +-1 for a = -1, else 0).
 * A float exponent: pow in double, truncated toward zero and saturated to the
 * type (NaN gives 0), as a cast of the real power. */
#define POW_INT(NAME, T, UT, TMIN, TMAX)                                                  \
    static T NAME##_int(T a, T e)                                                         \
    {                                                                                     \
        if (e < 0)                                                                        \
            return (T)(a == 1 ? 1 : a == -1 ? ((e & 1) ? -1 : 1) : 0);                    \
        UT r = 1, b = (UT)a;                                                              \
        for (; e; e /= 2) {                                                               \
            if (e & 1)                                                                    \
                r *= b;                                                                   \
            b *= b;                                                                       \
        }                                                                                 \
        return (T)r;                                                                      \
    }                                                                                     \
    void NAME(const kiln_bcast_params *p, const T *a, const T *b, T *y)                   \
    {                                                                                     \
        walk w = {{0}, 0, 0, 0};                                                          \
        const int32_t n = total(p);                                                       \
        for (int32_t i = 0; i < n; i++, step(p, &w))                                      \
            y[i] = NAME##_int(a[w.a], b[w.b]);                                            \
    }                                                                                     \
    void NAME##_f32(const kiln_bcast_params *p, const T *a, const float *b, T *y)         \
    {                                                                                     \
        walk w = {{0}, 0, 0, 0};                                                          \
        const int32_t n = total(p);                                                       \
        for (int32_t i = 0; i < n; i++, step(p, &w)) {                                    \
            const double v = pow((double)a[w.a], (double)b[w.b]);                         \
            y[i] = v != v ? 0 : v >= (double)TMAX ? TMAX : v <= (double)TMIN ? TMIN : (T)v; \
        }                                                                                 \
    }

POW_INT(kiln_pow_int32, int32_t, uint32_t, INT32_MIN, INT32_MAX)
POW_INT(kiln_pow_int64, int64_t, uint64_t, INT64_MIN, INT64_MAX)

#define COMPARE(NAME, T)                                                                  \
    void NAME(const kiln_bcast_params *p, const T *a, const T *b, uint8_t *y)             \
    {                                                                                     \
        walk w = {{0}, 0, 0, 0};                                                          \
        const int32_t n = total(p);                                                       \
        for (int32_t i = 0; i < n; i++, step(p, &w)) {                                    \
            const T u = a[w.a], v = b[w.b];                                               \
            int r;                                                                        \
            switch (p->fn) {                                                              \
            case KILN_CMP_EQ: r = u == v; break;                                          \
            case KILN_CMP_GT: r = u > v; break;                                           \
            case KILN_CMP_GE: r = u >= v; break;                                          \
            case KILN_CMP_LT: r = u < v; break;                                           \
            default: r = u <= v; break;                                                   \
            }                                                                             \
            y[i] = (uint8_t)r;                                                            \
        }                                                                                 \
    }

COMPARE(kiln_compare_f32, float)
COMPARE(kiln_compare_int8, int8_t)
COMPARE(kiln_compare_uint8, uint8_t)
COMPARE(kiln_compare_int16, int16_t)
COMPARE(kiln_compare_int32, int32_t)
COMPARE(kiln_compare_int64, int64_t)

void kiln_logic_bool(const kiln_bcast_params *p, const uint8_t *a, const uint8_t *b, uint8_t *y)
{
    walk w = {{0}, 0, 0, 0};
    const int32_t n = total(p);
    for (int32_t i = 0; i < n; i++, step(p, &w)) {
        const int u = a[w.a] != 0, v = b[w.b] != 0;
        y[i] = (uint8_t)(p->fn == KILN_LOGIC_AND ? (u & v) : p->fn == KILN_LOGIC_OR ? (u | v) : (u ^ v));
    }
}

void kiln_where(const kiln_bcast_params *p, const uint8_t *c, const void *a, const void *b, void *y)
{
    walk w = {{0}, 0, 0, 0};
    const int32_t n = total(p), es = p->fn;
    const uint8_t *ab = (const uint8_t *)a, *bb = (const uint8_t *)b;
    uint8_t *yb = (uint8_t *)y;
    for (int32_t i = 0; i < n; i++, step(p, &w)) {
        const uint8_t *src = c[w.c] ? ab + (size_t)w.a * (size_t)es : bb + (size_t)w.b * (size_t)es;
        memcpy(yb + (size_t)i * (size_t)es, src, (size_t)es);
    }
}
