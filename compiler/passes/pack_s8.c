/*
 * pack_s8.c - weight layouts and per-channel constants of the packed int8
 * kernels (see pack_s8.h; the layouts are specified in
 * include/kiln/kernels_s8.h and docs/kernels-int8.md).
 *
 * The bias fold: TFLite sums (x + in_offset) * w in int32; the kernels sum
 * x * w starting from bias + in_offset * sum(w).  Both are the same integer
 * modulo 2^32 (the fold is done in 64 bits, then wrapped like TFLite's sum),
 * provided padded taps read the input zero point, which the kernels ensure.
 *
 * The short requantization (chan_s8.h): for a right shift e >= 1,
 *   RDBPOT(SRDHM(acc, m), e) + zp
 *     = (acc*m + 2^30 + 2^(30+e) + zp*2^(31+e) - [acc<0]*2^31) >> (31+e),
 * used when the 64-bit sum cannot overflow: |acc*m| < 2^62 for any int32 acc
 * and positive Q31 m, so |rnd| must stay below 2^62 - 2^31.  A zero
 * multiplier (a channel whose output is always the zero point) is written
 * as e = 1 with rnd giving zp.  Pure functions; no allocation.
 */
#include "passes/pack_s8.h"

#include <string.h>

#include "kiln/kernels_s8.h"

/* Weight (channel c, element e) of [n][k], or 0 in the padding. */
static int32_t w_at(const int8_t *w, int32_t n, int32_t k, int32_t c, int32_t e)
{
    return c < n && e < k ? w[(size_t)c * (size_t)k + (size_t)e] : 0;
}

void pack_w8(const int8_t *w, int32_t n, int32_t k, int32_t g, int8_t *out)
{
    const int32_t np = pack_padded(n, g), ns = pack_slices(k);
    size_t o = 0;
    for (int32_t c0 = 0; c0 < np; c0 += g)
        for (int32_t j = 0; j < ns; j++)
            for (int32_t c = c0; c < c0 + g; c++)
                for (int32_t e = 0; e < 4; e++)
                    out[o++] = (int8_t)w_at(w, n, k, c, 4 * j + e);
}

void pack_w16(const int8_t *w, int32_t n, int32_t k, int32_t g, int16_t *out)
{
    static const int32_t lane_elem[4] = {0, 2, 1, 3}; /* lanes [e0 e2 e1 e3] */
    const int32_t np = pack_padded(n, g), ns = pack_slices(k);
    size_t o = 0;
    for (int32_t c0 = 0; c0 < np; c0 += g)
        for (int32_t j = 0; j < ns; j++)
            for (int32_t c = c0; c < c0 + g; c++)
                for (int32_t l = 0; l < 4; l++)
                    out[o++] = (int16_t)w_at(w, n, k, c, 4 * j + lane_elem[l]);
}

void pack_dw3x3(const int8_t *w, int32_t n, int16_t *out)
{
    for (int32_t c = 0; c < n; c++)
        for (int32_t ky = 0; ky < 3; ky++) {
            const int8_t *r = w + (size_t)ky * 3 * (size_t)n + (size_t)c;
            int16_t *o = out + 12 * (size_t)c + 4 * (size_t)ky;
            o[0] = r[0], o[1] = r[n];       /* [w0 w1] */
            o[2] = r[n], o[3] = r[2 * n];   /* [w1 w2] */
        }
}

void pack_wsum_rows(const int8_t *w, int32_t n, int32_t k, int64_t *sum)
{
    for (int32_t c = 0; c < n; c++) {
        sum[c] = 0;
        for (int32_t e = 0; e < k; e++)
            sum[c] += w[(size_t)c * (size_t)k + (size_t)e];
    }
}

void pack_wsum_cols(const int8_t *w, int32_t n, int32_t kk, int64_t *sum)
{
    for (int32_t c = 0; c < n; c++) {
        sum[c] = 0;
        for (int32_t t = 0; t < kk; t++)
            sum[c] += w[(size_t)t * (size_t)n + (size_t)c];
    }
}

int64_t pack_short_rnd(int32_t shift, int32_t out_offset)
{
    const int32_t e = -shift;
    return ((int64_t)1 << 30) + (int64_t)(1 + 2 * (int64_t)out_offset) * ((int64_t)1 << (30 + e));
}

int pack_short_ok(int32_t mult, int32_t shift, int32_t out_offset)
{
    if (mult == 0)
        return 1; /* constant channel, written with e = 1 */
    if (mult < 0 || shift > -1 || shift < -31)
        return 0;
    /* |rnd| <= 2^30 + |1 + 2 zp| * 2^(30+e) < 2^62 - 2^31 when
     * |1 + 2 zp| < 2^(31-e) (then the second term is at most 2^61 - 2^(30+e)). */
    const int32_t e = -shift;
    int64_t m = 1 + 2 * (int64_t)out_offset;
    if (m < 0)
        m = -m;
    return m < ((int64_t)1 << (31 - e));
}

int32_t pack_rq_mode(const pack_rq *r)
{
    for (int32_t c = 0; c < r->n; c++)
        if (!pack_short_ok(r->mult[c], r->shift[c], r->out_offset))
            return KILN_RQ_TFLITE;
    return r->act_min >= r->out_offset ? KILN_RQ_SHORT_RELU : KILN_RQ_SHORT;
}

void pack_chan(const pack_rq *r, int32_t mode, int32_t n_pad, int32_t *out)
{
    memset(out, 0, (size_t)n_pad * KILN_CHAN_WORDS * sizeof(int32_t));
    for (int32_t c = 0; c < r->n; c++) {
        int32_t *o = out + (size_t)c * KILN_CHAN_WORDS;
        const int64_t b = (r->bias ? r->bias[c] : 0) + (int64_t)r->in_offset * r->wsum[c];
        o[0] = (int32_t)(uint32_t)(uint64_t)b; /* modulo 2^32, like TFLite's int32 sum */
        o[1] = r->mult[c];
        if (mode == KILN_RQ_TFLITE) {
            o[2] = r->shift[c];
            continue;
        }
        const int32_t shift = r->mult[c] ? r->shift[c] : -1;
        const uint64_t rnd = (uint64_t)pack_short_rnd(shift, r->out_offset);
        o[2] = -shift - 1;
        o[3] = (int32_t)(uint32_t)rnd;
        o[4] = (int32_t)(uint32_t)(rnd >> 32);
    }
}
