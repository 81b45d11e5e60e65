/*
 * fully_connected_s8_packed.c - int8 FULLY_CONNECTED on compile-time packed
 * weights: kiln_fully_connected_s8_p8 (int8 weights), _p16 (int16).
 *
 * Each input row is expanded once to int16 slices in scratch; with batch 1
 * the row meets four output channels at a time (weights packed in groups of
 * 4), otherwise rows go two at a time through the 2x2 blocks in C (groups
 * of 2).  Relies on gemm_s8.c; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "gemm_s8.h"
#include "bytes.h"

static int32_t fc_slices(const kiln_fc_s8_params *p) { return (p->in_features + 3) / 4; }

static size_t fc_scratch(const kiln_fc_s8_params *p)
{
    return (size_t)fc_slices(p) * (p->batch == 1 ? 8 : 16);
}

size_t kiln_fully_connected_s8_p8_scratch_size(const kiln_fc_s8_params *p) { return fc_scratch(p); }
size_t kiln_fully_connected_s8_p16_scratch_size(const kiln_fc_s8_params *p) { return fc_scratch(p); }

/* One of two interleaved input rows into slices, out of line: the two
 * call sites of the batched path share one copy. */
static void fc_expand_pair_row(int16_t *row, const int8_t *x, int32_t k)
{
    kiln_expand(row, 8, 0, x, k);
}

static void fc_packed(const kiln_fc_s8_params *p, const int8_t *x, const void *w, int w16,
                      kiln_row1_fn row1, kiln_rows2c_fn rows2c, int8_t *y, void *scratch)
{
    int16_t *rows = (int16_t *)scratch;
    const int32_t k = p->in_features, n = p->out_features;
    kiln_gemm_job j;
    j.w = (const uint8_t *)w, j.w16 = w16, j.ns = fc_slices(p), j.out_c = n;
    j.epi = kiln_epi_of(&p->rq);
    /* Batched FC runs the C 2x2 path: it is rare on microcontrollers, and
     * the assembly routine would be linked into every image with a FC. */
    j.spare = 0, j.rows2 = 0, j.rows2c = rows2c;
    kiln_gemm_start(&j);
    kiln_bytes_fill(rows, 0, fc_scratch(p)); /* lanes past K stay 0 (their weights are 0) */
    if (p->batch == 1) {
        kiln_expand(rows, 4, 0, x, k);
        row1(&j, rows, y);
        return;
    }
    for (int32_t b = 0; b < p->batch; b += 2) {
        int8_t *y1 = 0;
        fc_expand_pair_row(rows, x + b * k, k);
        if (b + 1 < p->batch) {
            fc_expand_pair_row(rows + 4, x + (b + 1) * k, k);
            y1 = y + (b + 1) * n;
        }
        kiln_gemm_rows2(&j, rows, y + b * n, y1);
    }
}

void kiln_fully_connected_s8_p8(const kiln_fc_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                                void *scratch)
{
    fc_packed(p, x, w, 0, kiln_gemm_row1_p8, kiln_gemm_rows2_c_p8, y, scratch);
}

void kiln_fully_connected_s8_p16(const kiln_fc_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                                 void *scratch)
{
    fc_packed(p, x, w, 1, kiln_gemm_row1_p16, kiln_gemm_rows2_c_p16, y, scratch);
}
