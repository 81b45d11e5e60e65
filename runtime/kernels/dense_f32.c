/*
 * dense_f32.c - float32 fully connected layer and batched matrix multiply.
 *
 * FULLY_CONNECTED keeps W as [out][in] so each output is one contiguous dot
 * product.  MATMUL walks Y's batch dims with an odometer and reads A and B
 * through per-dim batch strides (0 where numpy broadcasting repeats an
 * operand); each product runs i-k-j so both B and Y rows are read/written
 * contiguously.  Relies on the compiler for consistent params; never allocates.
 */
#include "kiln/kernels_f32.h"
#include "f32_util.h"

void kiln_fully_connected_f32(const kiln_fc_f32_params *p, const float *x, const float *w,
                              const float *b, float *y)
{
    const int32_t K = p->in_features, N = p->out_features;
    for (int32_t r = 0; r < p->batch; r++) {
        const float *xr = x + r * K;
        float *yr = y + r * N;
        for (int32_t n = 0; n < N; n++) {
            const float *wn = w + n * K;
            float acc = b ? b[n] : 0.0f;
            for (int32_t k = 0; k < K; k++)
                acc += xr[k] * wn[k];
            yr[n] = kiln_clampf(acc, p->act_lo, p->act_hi);
        }
    }
}

/* One [M,K] x [K,N] product into y (which it overwrites). */
static void matmul_one(const kiln_matmul_f32_params *p, const float *a, const float *b, float *y)
{
    const int32_t M = p->m, K = p->k, N = p->n;
    for (int32_t i = 0; i < M; i++) {
        float *yi = y + i * N;
        const float *ai = a + i * K;
        for (int32_t j = 0; j < N; j++)
            yi[j] = 0.0f;
        for (int32_t k = 0; k < K; k++) {
            const float aik = ai[k];
            const float *bk = b + k * N;
            for (int32_t j = 0; j < N; j++)
                yi[j] += aik * bk[j];
        }
        for (int32_t j = 0; j < N; j++)
            yi[j] = kiln_clampf(yi[j], p->act_lo, p->act_hi);
    }
}

void kiln_matmul_f32(const kiln_matmul_f32_params *p, const float *a, const float *b, float *y)
{
    int32_t idx[4] = {0, 0, 0, 0};
    int32_t total = 1;
    for (int32_t d = 0; d < p->nbatch; d++)
        total *= p->y_batch[d];
    const int32_t ysize = p->m * p->n;
    int32_t aoff = 0, boff = 0;
    for (int32_t t = 0; t < total; t++) {
        matmul_one(p, a + aoff, b + boff, y + t * ysize);
        /* Advance the odometer, last batch dim fastest, keeping the A and B
         * offsets in step (no multiplications per step). */
        for (int32_t d = p->nbatch - 1; d >= 0; d--) {
            aoff += p->a_bstride[d];
            boff += p->b_bstride[d];
            if (++idx[d] < p->y_batch[d])
                break;
            aoff -= p->a_bstride[d] * p->y_batch[d];
            boff -= p->b_bstride[d] * p->y_batch[d];
            idx[d] = 0;
        }
    }
}
