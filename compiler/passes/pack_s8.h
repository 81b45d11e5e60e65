/*
 * pack_s8.h - compile-time packing for the packed int8 kernels
 * (include/kiln/kernels_s8.h, "packed kernels"): weights in the order the
 * micro-kernels read them, and per output channel one kiln_chan_s8 with the
 * input offset folded into the bias and the requantization the kernel
 * applies (the exact TFLite one, or the short form where it is provably the
 * same).
 *
 * Pure functions on caller buffers: no IR, no allocation, no I/O, so the
 * lowering (lower_s8.c), the host unit tests and the Cortex-M test firmware
 * all pack with the same code.
 */
#ifndef KILN_PACK_S8_H
#define KILN_PACK_S8_H

#include <stddef.h>
#include <stdint.h>

/* Channels padded to the group; slices of 4 reduction elements. */
static inline int32_t pack_padded(int32_t n, int32_t g) { return (n + g - 1) / g * g; }
static inline int32_t pack_slices(int32_t k) { return (k + 3) / 4; }

/* Elements of the packed weights of n channels of k (either width). */
static inline size_t pack_w_count(int32_t n, int32_t k, int32_t g)
{
    return (size_t)pack_padded(n, g) * (size_t)pack_slices(k) * 4;
}

/* w: [n][k] int8, the reduction contiguous per channel (OHWI conv weights,
 * [out][in] FC weights).  Groups of g channels (2 or 4); zeros pad both the
 * channels and k.  pack_w8 keeps int8 (natural order in a slice); pack_w16
 * widens to int16 in lane order [e0 e2 e1 e3]. */
void pack_w8(const int8_t *w, int32_t n, int32_t k, int32_t g, int8_t *out);
void pack_w16(const int8_t *w, int32_t n, int32_t k, int32_t g, int16_t *out);

/* Depthwise 3x3: w [3][3][n] (HWO) -> per channel, per kernel row, the
 * int16 pairs [w0 w1] [w1 w2]: 12 int16 per channel. */
void pack_dw3x3(const int8_t *w, int32_t n, int16_t *out);

/* Sum of each channel's weights (for the bias fold): w [n][k]. */
void pack_wsum_rows(const int8_t *w, int32_t n, int32_t k, int64_t *sum);
/* The same for HWO depthwise weights w [kk][n]. */
void pack_wsum_cols(const int8_t *w, int32_t n, int32_t kk, int64_t *sum);

/* What the output stage of a layer looks like. */
typedef struct pack_rq {
    int32_t n;                 /* channels */
    const int32_t *bias;       /* [n] or NULL */
    const int64_t *wsum;       /* [n] */
    int32_t in_offset;         /* -zero point of the input */
    const int32_t *mult;       /* [n] TFLite multipliers */
    const int32_t *shift;      /* [n] TFLite shifts */
    int32_t out_offset, act_min, act_max;
} pack_rq;

/* The requantization mode (KILN_RQ_*) a layer can use: KILN_RQ_SHORT_RELU
 * or KILN_RQ_SHORT where every channel allows the short form, else
 * KILN_RQ_TFLITE. */
int32_t pack_rq_mode(const pack_rq *r);

/* Writes n_pad kiln_chan_s8 (KILN_CHAN_WORDS int32 each) for mode; the
 * channels past n are zero (their outputs are never stored). */
void pack_chan(const pack_rq *r, int32_t mode, int32_t n_pad, int32_t *out);

/* Whether channel (mult, shift) can use the short form with this zero point,
 * and its constant: rnd = 2^30 + 2^(30+e) + zp*2^(31+e), e = -shift. */
int pack_short_ok(int32_t mult, int32_t shift, int32_t out_offset);
int64_t pack_short_rnd(int32_t shift, int32_t out_offset);

#endif
