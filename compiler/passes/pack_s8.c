/*
 * pack_s8.c - the streams of the packed int8 kernels (see pack_s8.h; the
 * layouts are specified in include/kiln/kernels_s8.h and
 * docs/kernels-int8.md).
 *
 * The bias fold: TFLite sums (x + in_offset) * w in int32; the kernels sum
 * x * w starting from bias + in_offset * sum(w).  Both are the same integer
 * modulo 2^32 (the fold is done in 64 bits, then wrapped like TFLite's sum),
 * provided padded taps read the input zero point, which the kernels ensure.
 *
 * The short requantization (runtime/kernels/chan_s8.h): for a right shift
 * e >= 1,
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
#include "runtime/kernels/fixedpoint_s8.h"

static uint8_t *put32(uint8_t *o, int32_t v)
{
    const uint32_t u = (uint32_t)v;
    o[0] = (uint8_t)u, o[1] = (uint8_t)(u >> 8), o[2] = (uint8_t)(u >> 16), o[3] = (uint8_t)(u >> 24);
    return o + 4;
}

static uint8_t *put16(uint8_t *o, int32_t v)
{
    o[0] = (uint8_t)(uint32_t)v, o[1] = (uint8_t)((uint32_t)v >> 8);
    return o + 2;
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

/* channel c's folded bias, before wrapping to int32 */
static int64_t folded_bias(const pack_rq *r, int32_t c)
{
    return (r->bias ? r->bias[c] : 0) + (int64_t)r->in_offset * r->wsum[c];
}

/* TFLite's output for accumulator acc, clamped. */
static int32_t tflite_out(const pack_rq *r, int32_t c, int32_t acc)
{
    const int32_t v = kiln_clamp32(kiln_mbqm(acc, r->mult[c], r->shift[c]), -65536, 65536);
    return kiln_clamp32(v + r->out_offset, r->act_min, r->act_max);
}

int pack_chan_const(const pack_rq *r, int32_t c, int32_t *v)
{
    if (!r->wabs)
        return 0;
    const int64_t b = folded_bias(r, c), span = 128 * r->wabs[c];
    const int64_t lo = b - span, hi = b + span;
    if (lo < INT32_MIN || hi > INT32_MAX)
        return 0; /* TFLite's int32 sum could wrap: not monotone */
    /* A left shift wraps in TFLite's int32 too (kiln_shl_wrap): monotone only
     * while the accumulator's range stays below 2^(31 - shift). */
    const int32_t sh = r->shift[c];
    if (sh > 0 && (lo < -((int64_t)1 << (31 - sh)) || hi >= ((int64_t)1 << (31 - sh))))
        return 0;
    /* The output is monotone in the accumulator: equal ends, constant. */
    *v = tflite_out(r, c, (int32_t)lo);
    return *v == tflite_out(r, c, (int32_t)hi);
}

int32_t pack_rq_mode(const pack_rq *r)
{
    for (int32_t c = 0; c < r->n; c++) {
        int32_t v;
        if (!pack_short_ok(r->mult[c], r->shift[c], r->out_offset) && !pack_chan_const(r, c, &v))
            return KILN_RQ_TFLITE;
    }
    return r->act_min >= r->out_offset ? KILN_RQ_SHORT_RELU : KILN_RQ_SHORT;
}

void pack_chan(const pack_rq *r, int32_t mode, int32_t c, int32_t *bias, int32_t chan[4])
{
    memset(chan, 0, 4 * sizeof(int32_t));
    *bias = 0;
    if (c >= r->n)
        return;
    *bias = (int32_t)(uint32_t)(uint64_t)folded_bias(r, c); /* modulo 2^32, like TFLite's sum */
    chan[0] = r->mult[c];
    if (mode == KILN_RQ_TFLITE) {
        chan[1] = r->shift[c];
        return;
    }
    int32_t shift = r->mult[c] ? r->shift[c] : -1, zp = r->out_offset, v;
    if (pack_chan_const(r, c, &v))
        chan[0] = 0, shift = -1, zp = v; /* hi32(rnd) is v itself */
    const uint64_t rnd = (uint64_t)pack_short_rnd(shift, zp);
    chan[1] = -shift - 1;
    chan[2] = (int32_t)(uint32_t)rnd;
    chan[3] = (int32_t)(uint32_t)(rnd >> 32);
}

void pack_wsum_rows(const int8_t *w, int32_t n, int32_t k, int64_t *sum, int64_t *abs_sum)
{
    for (int32_t c = 0; c < n; c++) {
        sum[c] = abs_sum[c] = 0;
        for (int32_t e = 0; e < k; e++) {
            const int32_t v = w[(size_t)c * (size_t)k + (size_t)e];
            sum[c] += v, abs_sum[c] += v < 0 ? -v : v;
        }
    }
}

void pack_wsum_cols(const int8_t *w, int32_t n, int32_t kk, int64_t *sum, int64_t *abs_sum)
{
    for (int32_t c = 0; c < n; c++) {
        sum[c] = abs_sum[c] = 0;
        for (int32_t t = 0; t < kk; t++) {
            const int32_t v = w[(size_t)t * (size_t)n + (size_t)c];
            sum[c] += v, abs_sum[c] += v < 0 ? -v : v;
        }
    }
}

size_t pack_gemm_bytes(int32_t n, int32_t k, int32_t g, int w16)
{
    return (size_t)(pack_padded(n, g) / g) * kiln_packed_group_bytes(pack_slices(k), g, w16);
}

/* Weight (channel c, element e) of [n][k], or 0 in the padding. */
static int32_t w_at(const int8_t *w, int32_t n, int32_t k, int32_t c, int32_t e)
{
    return c < n && e < k ? w[(size_t)c * (size_t)k + (size_t)e] : 0;
}

/* One group's slices: per slice, per channel, 4 elements (int8 natural
 * order, int16 lanes [e0 e2 e1 e3]). */
static uint8_t *put_slices(uint8_t *o, const int8_t *w, int32_t n, int32_t k, int32_t c0,
                           int32_t g, int w16)
{
    static const int32_t lane_elem[4] = {0, 2, 1, 3};
    for (int32_t j = 0; j < pack_slices(k); j++)
        for (int32_t c = c0; c < c0 + g; c++)
            for (int32_t l = 0; l < 4; l++) {
                if (w16)
                    o = put16(o, w_at(w, n, k, c, 4 * j + lane_elem[l]));
                else
                    *o++ = (uint8_t)w_at(w, n, k, c, 4 * j + l);
            }
    return o;
}

void pack_gemm(const int8_t *w, int32_t k, int32_t g, int w16, const pack_rq *r, int32_t mode,
               uint8_t *out)
{
    const int32_t n = r->n;
    for (int32_t c0 = 0; c0 < pack_padded(n, g); c0 += g) {
        int32_t bias[4], chan[4][4];
        for (int32_t i = 0; i < g; i++)
            pack_chan(r, mode, c0 + i, &bias[i], chan[i]);
        for (int32_t i = 0; i < 4; i++) /* the accumulators' start, in register order */
            out = put32(out, bias[g == 2 ? i / 2 : i]);
        out = put_slices(out, w, n, k, c0, g, w16);
        for (int32_t i = 0; i < g; i++)
            for (int32_t f = 0; f < 4; f++)
                out = put32(out, chan[i][f]);
    }
}

size_t pack_dw3x3_bytes(int32_t n) { return (size_t)n * KILN_DW3X3_CHAN_BYTES; }

void pack_dw3x3(const int8_t *w, int transposed, const pack_rq *r, int32_t mode, uint8_t *out)
{
    const int32_t n = r->n;
    for (int32_t c = 0; c < n; c++) {
        int32_t bias, chan[4];
        pack_chan(r, mode, c, &bias, chan);
        out = put32(out, bias);
        for (int32_t row = 0; row < 3; row++) {
            int32_t k[3];
            for (int32_t i = 0; i < 3; i++) {
                const int32_t ky = transposed ? i : row, kx = transposed ? row : i;
                k[i] = w[(size_t)(ky * 3 + kx) * (size_t)n + (size_t)c];
            }
            out = put16(out, k[0]), out = put16(out, k[1]); /* [w0 w1] */
            out = put16(out, k[1]), out = put16(out, k[2]); /* [w1 w2] */
        }
        for (int32_t f = 0; f < 4; f++)
            out = put32(out, chan[f]);
    }
}

size_t pack_dw3x3c4_bytes(int32_t n) { return (size_t)(n / 4) * KILN_DW3X3C4_BLOCK_BYTES; }

/* The taps of channels c0..c3 for kiln_depthwise_conv_s8_3x3c4: per tap
 * [w_c0 w_c2] [w_c1 w_c3]. */
static uint8_t *dw3x3c4_taps(const int8_t *w, int32_t n, int32_t c0, uint8_t *out)
{
    for (int32_t t = 0; t < 9; t++) {
        const int8_t *wt = w + (size_t)t * (size_t)n + (size_t)c0;
        out = put16(out, wt[0]), out = put16(out, wt[2]); /* [w_c0 w_c2] */
        out = put16(out, wt[1]), out = put16(out, wt[3]); /* [w_c1 w_c3] */
    }
    return out;
}

/* The same for kiln_depthwise_conv_s8_3x3c4s2: per kernel row, [w0 w1] of
 * each channel, then [w2_c0 w2_c1] [w2_c2 w2_c3]. */
static uint8_t *dw3x3c4s2_taps(const int8_t *w, int32_t n, int32_t c0, uint8_t *out)
{
    for (int32_t ky = 0; ky < 3; ky++) {
        const int8_t *wr = w + (size_t)(3 * ky) * (size_t)n + (size_t)c0;
        for (int32_t i = 0; i < 4; i++)
            out = put16(out, wr[i]), out = put16(out, wr[n + i]);
        for (int32_t i = 0; i < 4; i++)
            out = put16(out, wr[2 * n + i]);
    }
    return out;
}

void pack_dw3x3c4(const int8_t *w, const pack_rq *r, int32_t mode, int s2, uint8_t *out)
{
    for (int32_t c0 = 0; c0 + 4 <= r->n; c0 += 4) {
        int32_t bias[4], chan[4][4];
        for (int32_t i = 0; i < 4; i++)
            pack_chan(r, mode, c0 + i, &bias[i], chan[i]);
        for (int32_t i = 0; i < 4; i++)
            out = put32(out, bias[i]);
        out = s2 ? dw3x3c4s2_taps(w, r->n, c0, out) : dw3x3c4_taps(w, r->n, c0, out);
        for (int32_t i = 0; i < 4; i++)
            for (int32_t f = 0; f < 4; f++)
                out = put32(out, chan[i][f]);
    }
}

size_t pack_dw_any_bytes(int32_t n, int32_t taps)
{
    return (size_t)(pack_padded(n, 4) / 4) * kiln_dw_packed_block_bytes(taps);
}

void pack_dw_any(const int8_t *w, int32_t taps, const pack_rq *r, int32_t mode, uint8_t *out)
{
    const int32_t n = r->n;
    for (int32_t c0 = 0; c0 < n; c0 += 4) {
        int32_t bias[4], chan[4][4], k[4];
        for (int32_t i = 0; i < 4; i++)
            pack_chan(r, mode, c0 + i, &bias[i], chan[i]);
        for (int32_t i = 0; i < 4; i++)
            out = put32(out, bias[i]);
        for (int32_t t = 0; t < taps; t++) {
            for (int32_t i = 0; i < 4; i++) /* zero weights in the padding channels */
                k[i] = c0 + i < n ? w[(size_t)t * (size_t)n + (size_t)(c0 + i)] : 0;
            out = put16(out, k[0]), out = put16(out, k[2]); /* [w_c0 w_c2] */
            out = put16(out, k[1]), out = put16(out, k[3]); /* [w_c1 w_c3] */
        }
        for (int32_t i = 0; i < 4; i++)
            for (int32_t f = 0; f < 4; f++)
                out = put32(out, chan[i][f]);
    }
}

void pack_rgb3x3_order(const int8_t *w, int32_t n, int8_t *out)
{
    for (int32_t c = 0; c < n; c++, w += 27, out += 28) {
        for (int32_t ky = 0; ky < 3; ky++) {
            memcpy(out + 8 * ky, w + 9 * ky, 8);
            out[24 + ky] = w[9 * ky + 8];
        }
        out[27] = 0;
    }
}

int pack_c8_ok(const pack_rq *r, int32_t mode)
{
    if (mode != KILN_RQ_SHORT_RELU || !r->wabs)
        return 0;
    for (int32_t c = 0; c < r->n; c++) {
        int32_t b, chan[4];
        pack_chan(r, mode, c, &b, chan);
        const int64_t reach = (b < 0 ? -(int64_t)b : (int64_t)b) + 128 * r->wabs[c];
        if (reach > INT32_MAX)
            return 0;
    }
    return 1;
}

size_t pack_c8_bytes(int32_t n) { return (size_t)n * KILN_C8_CHAN_BYTES; }

void pack_c8(const int8_t *w, const pack_rq *r, int32_t mode, uint8_t *out)
{
    static const int32_t lane_elem[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    for (int32_t c = 0; c < r->n; c++) {
        int32_t b, chan[4];
        pack_chan(r, mode, c, &b, chan);
        for (int32_t l = 0; l < 8; l++)
            out = put16(out, w[(size_t)c * 8 + (size_t)lane_elem[l]]);
        /* rnd' = rnd + bias * mult, modulo 2^64 like SMLAL (pack_c8_ok: the
         * kernel's sums then equal rnd + acc * mult exactly). */
        const uint64_t rnd = (uint64_t)(uint32_t)chan[2] | (uint64_t)(uint32_t)chan[3] << 32;
        const uint64_t folded = rnd + (uint64_t)((int64_t)b * chan[0]);
        out = put32(out, chan[0]);
        out = put32(out, chan[1]);
        out = put32(out, (int32_t)(uint32_t)folded);
        out = put32(out, (int32_t)(uint32_t)(folded >> 32));
    }
}

void pack_add_table(int32_t offset, int32_t left_shift, int32_t mult, int32_t shift, int negate,
                    int32_t t[256])
{
    for (int32_t x = -128; x < 128; x++) {
        const int32_t v = kiln_mbqm(kiln_shl_wrap(x + offset, left_shift), mult, shift);
        t[x + 128] = negate ? -v : v;
    }
}

/* ---- the host FULLY_CONNECTED stream (KILN_BLOB_LAYOUT_FC8_HOST) ---------- */

size_t pack_fc_host_bytes(int32_t n, int32_t k)
{
    return (size_t)(pack_padded(n, KILN_FC_HOST_G) / KILN_FC_HOST_G) * kiln_fc_host_group_bytes(k);
}

/* Channel c's bias for inputs shifted by +128 (x = u - 128): bias +
 * (in_offset - 128) * sum(w), exact in 64 bits (|in_offset - 128| <= 383,
 * |sum(w)| <= 128 k), then modulo 2^32 like TFLite's sum; 0 past n. */
static int32_t fc_host_bias(const pack_rq *r, int32_t c)
{
    if (c >= r->n)
        return 0;
    const int64_t b = (r->bias ? r->bias[c] : 0) + ((int64_t)r->in_offset - 128) * r->wsum[c];
    return (int32_t)(uint32_t)(uint64_t)b;
}

void pack_fc_host(const int8_t *w, int32_t k, const pack_rq *r, int32_t mode, uint8_t *out)
{
    const int32_t n = r->n, kp = kiln_fc_host_kp(k);
    for (int32_t c0 = 0; c0 < pack_padded(n, KILN_FC_HOST_G); c0 += KILN_FC_HOST_G) {
        int32_t chan[KILN_FC_HOST_G][4], unused;
        for (int32_t i = 0; i < KILN_FC_HOST_G; i++) {
            pack_chan(r, mode, c0 + i, &unused, chan[i]);
            out = put32(out, fc_host_bias(r, c0 + i));
        }
        for (int32_t i = 0; i < KILN_FC_HOST_G; i++)
            for (int32_t e = 0; e < kp; e++)
                *out++ = (uint8_t)w_at(w, n, k, c0 + i, e);
        for (int32_t f = 0; f < 4; f++) /* one array per kiln_chan_s8 field */
            for (int32_t i = 0; i < KILN_FC_HOST_G; i++)
                out = put32(out, chan[i][f]);
    }
}
