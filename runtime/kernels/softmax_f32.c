/*
 * softmax_f32.c - float32 softmax and log-softmax over one (flattened) axis.
 *
 * X is [outer][n][inner]; each of the outer*inner vectors of n elements
 * (stride `inner`) is normalised on its own, in three passes: max, sum of
 * exponentials (written straight into Y, so no scratch), then scale or log.
 * Subtracting the max of beta*x keeps expf in range for any beta sign.
 */
#include <math.h>

#include "kiln/kernels_f32.h"

void kiln_softmax_f32(const kiln_softmax_f32_params *p, const float *x, float *y)
{
    const int32_t n = p->n, s = p->inner;
    const float beta = p->beta;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t in = 0; in < s; in++) {
            const float *xv = x + o * n * s + in;
            float *yv = y + o * n * s + in;
            float mx = -HUGE_VALF;
            for (int32_t i = 0; i < n; i++) {
                const float v = beta * xv[i * s];
                if (v > mx)
                    mx = v;
            }
            float sum = 0.0f;
            if (p->log) {
                /* Y is written only after X was last read: safe in place. */
                for (int32_t i = 0; i < n; i++)
                    sum += expf(beta * xv[i * s] - mx);
                const float lsum = logf(sum);
                for (int32_t i = 0; i < n; i++)
                    yv[i * s] = beta * xv[i * s] - mx - lsum;
            } else {
                for (int32_t i = 0; i < n; i++) {
                    const float e = expf(beta * xv[i * s] - mx);
                    yv[i * s] = e;
                    sum += e;
                }
                const float inv = 1.0f / sum;
                for (int32_t i = 0; i < n; i++)
                    yv[i * s] *= inv;
            }
        }
    }
}
