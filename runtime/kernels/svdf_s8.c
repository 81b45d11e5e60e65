/*
 * svdf_s8.c - TFLite's integer SVDF (int8 activations, int8 or int16 state),
 * bit-exact with TFLite-Micro's EvalIntegerSvdfReference.
 *
 * The state lives in the caller's arena and keeps its bytes between runs;
 * this file only updates it.  Integer arithmetic only: the two fixed-point
 * multipliers were computed by the compiler.  TFLM accumulates in int32 and
 * relies on two's-complement wrap-around where a sum could overflow (it never
 * does for real models); the sums here are done in uint32 so the same wrap
 * is defined behaviour in C.  The state element type (int8 or int16, the
 * same as the time weights') is the only difference between the two entry
 * points, so one body reads and writes it through ld_state / st_state.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

static int32_t ld_state(const void *s, int32_t i, int32_t bits)
{
    return bits == 8 ? ((const int8_t *)s)[i] : ((const int16_t *)s)[i];
}

/* Narrowing as TFLM's `*state = zp + value` does: modulo 2^bits. */
static void st_state(void *s, int32_t i, int32_t bits, int32_t v)
{
    if (bits == 8)
        ((int8_t *)s)[i] = (int8_t)(uint8_t)((uint32_t)v & 0xffu);
    else
        ((int16_t *)s)[i] = (int16_t)(uint16_t)((uint32_t)v & 0xffffu);
}

static void shift_state(void *s, int32_t n, int32_t bits)
{
    for (int32_t k = 0; k + 1 < n; k++)
        st_state(s, k, bits, ld_state(s, k + 1, bits));
}

static void svdf(const kiln_svdf_s8_params *p, const int8_t *x, const int8_t *wf, const void *wt,
                 const int32_t *bias, void *state, int8_t *y, int32_t bits)
{
    const int32_t F = p->filters, M = p->memory, I = p->input_size;
    const int32_t smax = bits == 8 ? 127 : 32767, smin = -smax - 1;
    shift_state(state, p->batch * F * M, bits);
    for (int32_t b = 0; b < p->batch; b++) {
        const int8_t *xb = x + b * I;
        const int32_t sbase = b * F * M;
        /* Feature: the newest activation of every filter. */
        for (int32_t f = 0; f < F; f++) {
            const int8_t *w = wf + f * I;
            uint32_t acc = 0;
            for (int32_t i = 0; i < I; i++)
                acc += (uint32_t)((int32_t)w[i] * ((int32_t)xb[i] + p->in_offset));
            int32_t q = kiln_mbqm((int32_t)acc, p->mult1, p->shift1);
            q = kiln_clamp32(q, smin, smax);
            st_state(state, sbase + f * M + M - 1, bits, (int32_t)((uint32_t)q + (uint32_t)p->state_zp));
        }
        /* Time, rank reduction, bias, rescale. */
        for (int32_t u = 0; u < p->units; u++) {
            uint32_t out = bias ? (uint32_t)bias[u] : 0u;
            for (int32_t r = 0; r < p->rank; r++) {
                const int32_t f = u * p->rank + r;
                for (int32_t m = 0; m < M; m++) {
                    const int32_t s = ld_state(state, sbase + f * M + m, bits) - p->state_zp;
                    out += (uint32_t)ld_state(wt, f * M + m, bits) * (uint32_t)s;
                }
            }
            int32_t v = kiln_mbqm((int32_t)out, p->mult2, p->shift2) + p->out_zp;
            y[b * p->units + u] = (int8_t)kiln_clamp32(v, p->act_min, p->act_max);
        }
    }
}

void kiln_svdf_s8(const kiln_svdf_s8_params *p, const int8_t *x, const int8_t *wf,
                  const int8_t *wt, const int32_t *bias, int8_t *state, int8_t *y)
{
    svdf(p, x, wf, wt, bias, state, y, 8);
}

void kiln_svdf_s8_s16(const kiln_svdf_s8_params *p, const int8_t *x, const int8_t *wf,
                      const int16_t *wt, const int32_t *bias, int16_t *state, int8_t *y)
{
    svdf(p, x, wf, wt, bias, state, y, 16);
}
