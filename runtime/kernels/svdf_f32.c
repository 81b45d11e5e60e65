/*
 * svdf_f32.c - TFLite's SVDF on float32: a rank-decomposed filter over the
 * last `memory` feature activations, which it keeps in a state tensor.
 *
 * The state lives in the caller's arena (the planner keeps it live for the
 * whole program and init/reset clear it); this file only updates it.  Every
 * float operation is done in the order of TFLite-Micro's reference kernel
 * (EvalFloatSvdfReference): sums start at 0 and run in index order, the
 * output starts at the bias and adds one filter's time product at a time, so
 * a compiler that does not reassociate gives bit-identical results.  No
 * scratch is needed: a filter's time product is added as soon as it is
 * computed, which is the same sequence of additions.
 */
#include "kiln/kernels_f32.h"
#include "f32_util.h"

/* The history moves one step: element k takes element k + 1 over the whole
 * [batch][filters][memory] array (the slot that crosses into the next filter
 * is overwritten by the new activation right after). */
static void shift_state(float *s, int32_t n)
{
    for (int32_t k = 0; k + 1 < n; k++)
        s[k] = s[k + 1];
}

void kiln_svdf_f32(const kiln_svdf_f32_params *p, const float *x, const float *wf, const float *wt,
                   const float *b, float *state, float *y)
{
    const int32_t F = p->filters, M = p->memory, I = p->input_size;
    shift_state(state, p->batch * F * M);
    for (int32_t bt = 0; bt < p->batch; bt++) {
        const float *xb = x + bt * I;
        float *sb = state + bt * F * M;
        for (int32_t f = 0; f < F; f++) {
            const float *wrow = wf + f * I;
            float acc = 0.0f;
            for (int32_t i = 0; i < I; i++)
                acc += wrow[i] * xb[i];
            sb[f * M + M - 1] = acc;
        }
        float *yb = y + bt * p->units;
        for (int32_t u = 0; u < p->units; u++) {
            float out = b ? b[u] : 0.0f;
            for (int32_t r = 0; r < p->rank; r++) {
                const int32_t f = u * p->rank + r;
                const float *w = wt + f * M, *s = sb + f * M;
                float t = 0.0f;
                for (int32_t m = 0; m < M; m++)
                    t += w[m] * s[m];
                out += t;
            }
            yb[u] = kiln_clampf(out, p->act_lo, p->act_hi);
        }
    }
}
