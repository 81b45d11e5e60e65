/*
 * pack_s8.h - compile-time packing for the packed int8 kernels
 * (include/kiln/kernels_s8.h, "packed kernels"): one byte stream per layer
 * with, per group of output channels, the biases with the input offset
 * folded in, the weights in the order the micro-kernels read them, and the
 * requantization the kernel applies (the exact TFLite one, or the short form
 * where it is provably the same).
 *
 * Pure functions on caller buffers: no IR, no allocation, no I/O, so the
 * lowering (lower_s8.c), the host unit tests and the Cortex-M test firmware
 * all pack with the same code.  Multi-byte values are written little-endian,
 * as the blob format requires.
 */
#ifndef KILN_PACK_S8_H
#define KILN_PACK_S8_H

#include <stddef.h>
#include <stdint.h>

/* Channels padded to the group; slices of 4 reduction elements. */
static inline int32_t pack_padded(int32_t n, int32_t g) { return (n + g - 1) / g * g; }
static inline int32_t pack_slices(int32_t k) { return (k + 3) / 4; }

/* What the output stage of a layer of n channels looks like. */
typedef struct pack_rq {
    int32_t n;                 /* channels */
    const int32_t *bias;       /* [n] or NULL */
    const int64_t *wsum;       /* [n] sum of each channel's weights */
    const int64_t *wabs;       /* [n] sum of their magnitudes (bounds the accumulator) */
    int32_t in_offset;         /* -zero point of the input */
    const int32_t *mult;       /* [n] TFLite multipliers */
    const int32_t *shift;      /* [n] TFLite shifts */
    int32_t out_offset, act_min, act_max;
} pack_rq;

/* The requantization mode (KILN_RQ_*) a layer can use: KILN_RQ_SHORT_RELU
 * or KILN_RQ_SHORT where every channel allows the short form, else
 * KILN_RQ_TFLITE. */
int32_t pack_rq_mode(const pack_rq *r);

/* Whether channel (mult, shift) can use the short form with this zero point,
 * and its constant: rnd = 2^30 + 2^(30+e) + zp*2^(31+e), e = -shift. */
int pack_short_ok(int32_t mult, int32_t shift, int32_t out_offset);
int64_t pack_short_rnd(int32_t shift, int32_t out_offset);

/* Whether channel c's output is the same for every input (its accumulator
 * range, bias +- 128 * sum|w|, requantizes and clamps to one value, e.g. a
 * channel of near-zero weights under a huge right shift); *v receives it.
 * Such a channel is written as a constant in the short modes. */
int pack_chan_const(const pack_rq *r, int32_t c, int32_t *v);

/* Channel c's folded bias and kiln_chan_s8 words (mult, shift, rnd_lo,
 * rnd_hi) for mode; zeros past n (padding channels, never stored). */
void pack_chan(const pack_rq *r, int32_t mode, int32_t c, int32_t *bias, int32_t chan[4]);

/* Sum of each channel's weights (for the bias fold) and of their
 * magnitudes: w [n][k] (rows) or [kk][n] (columns: HWO depthwise weights). */
void pack_wsum_rows(const int8_t *w, int32_t n, int32_t k, int64_t *sum, int64_t *abs_sum);
void pack_wsum_cols(const int8_t *w, int32_t n, int32_t kk, int64_t *sum, int64_t *abs_sum);

/* The conv/FC stream of w [n][k] (the reduction contiguous per channel:
 * OHWI conv weights, [out][in] FC weights) in groups of g (2 or 4), int16
 * slices (w16) or int8, with r's channels for mode. */
size_t pack_gemm_bytes(int32_t n, int32_t k, int32_t g, int w16);
void pack_gemm(const int8_t *w, int32_t k, int32_t g, int w16, const pack_rq *r, int32_t mode,
               uint8_t *out);

/* The host FULLY_CONNECTED stream of w [n][k] (KILN_BLOB_LAYOUT_FC8_HOST,
 * kiln_fully_connected_s8_host): groups of 8 channels, int8 rows, the
 * bias folded for inputs shifted to uint8, r's channels for mode. */
size_t pack_fc_host_bytes(int32_t n, int32_t k);
void pack_fc_host(const int8_t *w, int32_t k, const pack_rq *r, int32_t mode, uint8_t *out);

/* The 3x3 depthwise stream of w [3][3][n] (HWO); transposed: kernel rows
 * and columns swapped (kiln_dw3x3_transposed()). */
size_t pack_dw3x3_bytes(int32_t n);
void pack_dw3x3(const int8_t *w, int transposed, const pack_rq *r, int32_t mode, uint8_t *out);

/* The NHWC 3x3 depthwise stream of w [3][3][n] (HWO), n a multiple of 4:
 * for kiln_depthwise_conv_s8_3x3c4, or with s2 for
 * kiln_depthwise_conv_s8_3x3c4s2 (the same size). */
size_t pack_dw3x3c4_bytes(int32_t n);
void pack_dw3x3c4(const int8_t *w, const pack_rq *r, int32_t mode, int s2, uint8_t *out);

/* The stream of kiln_depthwise_conv_s8_packed for w [taps][n] (HWO, taps
 * row-major), any n (the last block padded with zero channels). */
size_t pack_dw_any_bytes(int32_t n, int32_t taps);
void pack_dw_any(const int8_t *w, int32_t taps, const pack_rq *r, int32_t mode, uint8_t *out);

/* The reduction of kiln_conv_s8_rgb_p16: w [n][27] OHWI (3x3 taps of 3
 * channels) to [n][28] in its order (kernel row ky's bytes 0-7, for ky =
 * 0..2, then the rows' 9th bytes and a zero), for pack_gemm with k = 28. */
void pack_rgb3x3_order(const int8_t *w, int32_t n, int8_t *out);

/* The stream of kiln_conv_s8_1x1c8 for w [n][8] (mode KILN_RQ_SHORT_RELU):
 * per channel its 8 weights as int16 lanes, then kiln_chan_s8 with
 * rnd + bias * mult in rnd.  pack_c8_ok(): whether the fold is exact, i.e.
 * the mode is SHORT_RELU and no channel's bias + sum can leave int32 for
 * any int8 input (|bias| + 128 * sum|w| < 2^31), so hi32(rnd + (bias +
 * sum) * mult) is what the kernel computes as rnd' + sum * mult. */
int pack_c8_ok(const pack_rq *r, int32_t mode);
size_t pack_c8_bytes(int32_t n);
void pack_c8(const int8_t *w, const pack_rq *r, int32_t mode, uint8_t *out);

/* ADD / SUB (kiln_add_s8_lut): an input's rescaled value for every int8 x,
 * t[x + 128] = MBQM((x + offset) << left_shift, mult, shift), negated for
 * SUB's second input. */
void pack_add_table(int32_t offset, int32_t left_shift, int32_t mult, int32_t shift, int negate,
                    int32_t t[256]);

#endif
