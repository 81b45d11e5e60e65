/*
 * kernels_s8.h - the integer (int8, with uint8 and int16 where noted)
 * kernels, with TensorFlow Lite's integer semantics.
 *
 * Every kernel here computes what TFLite-Micro's reference kernels compute,
 * bit for bit (the arithmetic CMSIS-NN is also bit-exact with): fixed-point
 * multipliers and shifts applied with MultiplyByQuantizedMultiplier (double
 * rounding: SaturatingRoundingDoublingHighMul then RoundingDivideByPOT), the
 * gemmlowp fixed-point exp/logistic/tanh, and the same clamping.  Whatever
 * TFLite computes once at Prepare() time in floating point (multipliers,
 * shifts, activation ranges, softmax's diff_min) the compiler computes at
 * compile time (compiler/passes/quant_util.c) and hands over here as plain
 * integers, in the params struct or as constant int32 arrays in the blob.
 * So these kernels use integer arithmetic only; the exceptions, each in its
 * own object file, are the float boundary kernels (QUANTIZE f32 -> int,
 * DEQUANTIZE int -> f32), the ONNX-flavour requantization
 * (requant_onnx_s8.c), which is a float multiply by definition, and the
 * ONNX-flavour average pool and add (pool_onnx_q8.c, add_onnx_q8.c), which
 * reproduce onnxruntime's float arithmetic.
 * docs/kernels-int8.md tells the arithmetic and why it is bit-exact.
 *
 * Conventions:
 *   - "offset" fields are the NEGATED zero point of an input (TFLite's
 *     input_offset), "out_offset"/"zp" fields the output's zero point.
 *   - uint8 data (ONNX) is handled by the same code: a value u is read as
 *     the int8 (u ^ 0x80) = u - 128, with its zero point moved by -128, and
 *     written back the same way; the *_xor fields are 0x80 for uint8 and 0
 *     for int8.  This is exact: it only renames the integers.
 *   - Activations are NHWC (TFLite) or NCHW (ONNX), chosen by `layout`.
 *   - Shapes and parameters were checked by the compiler; kernels do not
 *     re-check them and return nothing.
 *   - Per-channel arrays (mult, shift) have one entry per output channel.
 */
#ifndef KILN_KERNELS_S8_H
#define KILN_KERNELS_S8_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/fields.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_LAYOUT_NCHW 0
#define KILN_LAYOUT_NHWC 1

/* How an int32 accumulator becomes an output element. */
typedef enum kiln_rq_mode {
    KILN_RQ_TFLITE = 0, /* MultiplyByQuantizedMultiplier(acc, mult[c], shift[c]) */
    KILN_RQ_ONNX = 1,   /* round_half_even((float)acc * scale[c]); mult[c] holds
                           the IEEE-754 bits of scale[c], shift is unused */
    KILN_RQ_NONE = 2,   /* no requantization: the int32 accumulator is the output
                           (ONNX ConvInteger / MatMulInteger) */
    /* Packed kernels only (kiln_chan_s8 below): TFLite's double rounding in
     * one 64-bit multiply-add, exact for every accumulator; the compiler
     * picks it only where it is (docs/kernels-int8.md, "Short requantization"). */
    KILN_RQ_SHORT = 3,      /* with the sign correction of the second rounding */
    KILN_RQ_SHORT_RELU = 4  /* without it: exact only because act_min >= out_offset
                               clamps every result it would change */
} kiln_rq_mode;

#define KILN_REQUANT_FIELDS(F, A, S)                                                               \
    F(int32_t, mode, RQ_MODE)                        /* kiln_rq_mode */                            \
    F(int32_t, out_offset, INT)                      /* output zero point (signed domain) */       \
    F(int32_t, act_min, INT)                         /* clamp after the zero point is added (signed domain) */ \
    F(int32_t, act_max, INT)                                                                       \
    F(int32_t, out_xor, INT)                         /* 0x80: output is uint8 */
typedef struct kiln_requant {
    KILN_FIELDS(KILN_REQUANT_FIELDS)
} kiln_requant;

/* ---- convolutions and matrix products ---------------------------------- */

/* CONV / DEPTHWISE_CONV / TRANSPOSE_CONV.  1-D convolutions use in_h = k_h = 1. */
#define KILN_CONV_S8_PARAMS_FIELDS(F, A, S)                                                        \
    F(int32_t, batch, INT)                                                                         \
    F(int32_t, in_c, INT) F(int32_t, in_h, INT) F(int32_t, in_w, INT)                              \
    F(int32_t, out_c, INT) F(int32_t, out_h, INT) F(int32_t, out_w, INT)                           \
    F(int32_t, k_h, INT) F(int32_t, k_w, INT)                                                      \
    F(int32_t, stride_h, INT) F(int32_t, stride_w, INT)                                            \
    F(int32_t, dil_h, INT) F(int32_t, dil_w, INT)                                                  \
    F(int32_t, pad_t, INT) F(int32_t, pad_l, INT)    /* pads before; pads after are implied by out_h/out_w */ \
    F(int32_t, groups, INT)                          /* conv: 1..in_c; depthwise: in_c */          \
    F(int32_t, layout, LAYOUT)                       /* KILN_LAYOUT_* */                           \
    F(int32_t, in_offset, INT)                       /* -zero point of x */                        \
    F(int32_t, w_offset, INT)                        /* -zero point of w (0 for TFLite's symmetric int8) */ \
    F(int32_t, in_xor, INT) F(int32_t, w_xor, INT)   /* 0x80 for uint8 operands */                 \
    S(kiln_requant, rq)
typedef struct kiln_conv_s8_params {
    KILN_FIELDS(KILN_CONV_S8_PARAMS_FIELDS)
} kiln_conv_s8_params;

/* y = conv(x + in_offset, w + w_offset) + bias, requantized per output channel.
 * w: [out_c][k_h][k_w][in_c/groups] (OHWI); bias: [out_c] int32 or NULL. */
void kiln_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                  const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *y);
/* The same for any 8-bit operand signedness and an int8/uint8/int32 output
 * (ONNX QLinearConv, ConvInteger): pointers untyped, p says what they hold. */
void kiln_conv_q8(const kiln_conv_s8_params *p, const void *x, const void *w, const int32_t *bias,
                  const int32_t *mult, const int32_t *shift, void *y);

/* Depthwise: groups == in_c, out_c == in_c * multiplier; output channel o
 * reads input channel o / multiplier.  w: [k_h][k_w][out_c] (TFLite 1HWO). */
void kiln_depthwise_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *y);
void kiln_depthwise_conv_q8(const kiln_conv_s8_params *p, const void *x, const void *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            void *y);

/* Transposed convolution (TFLite TRANSPOSE_CONV, ONNX ConvTranspose) computed
 * as a gather: y[o] = sum over k with o + pad - k*dil = i*stride.
 * w: [out_c][k_h][k_w][in_c/groups]. */
void kiln_transpose_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *y);

#define KILN_FC_S8_PARAMS_FIELDS(F, A, S)                                                          \
    F(int32_t, batch, INT) F(int32_t, in_features, INT) F(int32_t, out_features, INT)              \
    F(int32_t, in_offset, INT) F(int32_t, w_offset, INT)                                           \
    F(int32_t, in_xor, INT) F(int32_t, w_xor, INT)                                                 \
    S(kiln_requant, rq)
typedef struct kiln_fc_s8_params {
    KILN_FIELDS(KILN_FC_S8_PARAMS_FIELDS)
} kiln_fc_s8_params;

/* y[b][n] = sum_k (x[b][k] + in_offset) * (w[n][k] + w_offset) + bias[n], requantized. */
void kiln_fully_connected_s8(const kiln_fc_s8_params *p, const int8_t *x, const int8_t *w,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             int8_t *y);
void kiln_fully_connected_q8(const kiln_fc_s8_params *p, const void *x, const void *w,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             void *y);

#define KILN_MATMUL_S8_PARAMS_FIELDS(F, A, S)                                                      \
    F(int32_t, batch, INT) F(int32_t, m, INT) F(int32_t, k, INT) F(int32_t, n, INT)                \
    F(int32_t, a_batch_stride, INT) F(int32_t, b_batch_stride, INT) /* elements; 0 broadcasts that operand */ \
    F(int32_t, a_offset, INT) F(int32_t, b_offset, INT)                                            \
    F(int32_t, a_xor, INT) F(int32_t, b_xor, INT)                                                  \
    S(kiln_requant, rq)
typedef struct kiln_matmul_s8_params {
    KILN_FIELDS(KILN_MATMUL_S8_PARAMS_FIELDS)
} kiln_matmul_s8_params;

/* y[bt][i][j] = sum_k (a[bt][i][k] + a_offset) * (b[bt][k][j] + b_offset), requantized
 * per column j (ONNX QLinearMatMul, MatMulInteger). */
void kiln_matmul_q8(const kiln_matmul_s8_params *p, const void *a, const void *b,
                    const int32_t *mult, const int32_t *shift, void *y);

/* ---- packed kernels ------------------------------------------------------
 *
 * The compiler packs the weights of CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED (TFLite int8, per-tensor or per-channel) for the kernel
 * that reads them, folds the input offset into the bias and puts each output
 * channel's requantization next to its weights: one byte stream per layer,
 * read front to back by one pointer.  Layouts (docs/kernels-int8.md,
 * "Packed kernels"):
 *
 *   reduction order   a conv's K = k_h*k_w*kiln_conv_s8_tap_elems() (tap-
 *                     major, channels inner), a FC's in_features; padded
 *                     with zero weights to a
 *                     multiple of 4 and cut in "slices" of 4 elements.
 *   slice lanes       the 4 elements e0..e3 of a slice are stored as int16
 *                     lanes [e0 e2 e1 e3] wherever int16 is stored (weights
 *                     of _p16, the input rows the kernels expand into
 *                     scratch), as int8 in natural order e0 e1 e2 e3 (_p8
 *                     weights): SXTB16 and SXTB16 ROR #8 of such a word are
 *                     exactly the two int16 pairs of the lanes.
 *   channel groups    output channels in groups of G (G = 2 for convs and
 *                     batched FC, 4 for a FC with batch 1), the last one
 *                     padded with zero channels.  A group is
 *                       int32 acc[4]           the accumulators' start, in the
 *                                              micro-kernel's register order:
 *                                              G = 2: b0 b0 b1 b1 (two rows),
 *                                              G = 4: b0 b1 b2 b3 (one row),
 *                                              b = bias + in_offset*sum(w) mod 2^32
 *                       slices[ns][G][4]       int16 (_p16) or int8 (_p8)
 *                       kiln_chan_s8 rq[G]     requantization
 *                     (kiln_packed_group_bytes()).
 *   depthwise 3x3 c4  per 4 channels: int32 biases, per tap the int16 pairs
 *                     [w_c0 w_c2] [w_c1 w_c3] (SXTB16 lanes of an NHWC word),
 *                     4 kiln_chan_s8 (KILN_DW3X3C4_BLOCK_BYTES); at stride 2
 *                     (c4s2) per kernel row each channel's [w0 w1], then
 *                     the w2 of channels 0 1 and 2 3 (KILN_DW3X3C4S2_BLOCK_BYTES).
 *   1x1 c8            per output channel: 8 weights as int16 lanes, then
 *                     kiln_chan_s8 with the bias folded into rnd
 *                     (KILN_C8_CHAN_BYTES; SHORT_RELU only).
 *   depthwise any     per 4 channels as depthwise 3x3 c4, any number of
 *                     taps, channels padded to a multiple of 4
 *                     (kiln_dw_packed_block_bytes()).
 *   depthwise 3x3     per channel: int32 bias, the int16 pairs [w0 w1]
 *                     [w1 w2] of each kernel row (6 words), kiln_chan_s8;
 *                     when kiln_dw3x3_transposed(), "rows" are the kernel's
 *                     columns (the kernel works on the transposed image).
 *
 * Padded input positions contribute the input's zero point (the folded bias
 * assumes it), the same as TFLite skipping them.  Outputs equal the plain
 * kernels' (and TFLite-Micro's) bit for bit.  The kernels need the scratch
 * their *_scratch_size() gives (always > 0), 4-byte aligned; the stream is
 * 8-byte aligned (the blob aligns every tensor to 16). */

/* One output channel's requantization.  rq.mode KILN_RQ_TFLITE:
 * y = MBQM(acc, mult, shift) + out_offset.  KILN_RQ_SHORT(_RELU):
 * y = hi32(rnd + acc * mult [- 2^31 if acc < 0, SHORT only]) >> shift, with
 * the zero point and both roundings inside rnd.  acc starts at the bias. */
#define KILN_CHAN_S8_FIELDS(F, A, S)                                                               \
    F(int32_t, mult, INT)                            /* Q31 multiplier (0 for a channel whose output is constant) */ \
    F(int32_t, shift, INT)                           /* TFLITE: TFLite's shift; SHORT: e - 1 for TFLite shift -e */ \
    F(int32_t, rnd_lo, INT)                          /* SHORT: 2^30 + 2^(30+e) + out_offset*2^(31+e), low word */ \
    F(int32_t, rnd_hi, INT)                          /*        and high word */
typedef struct kiln_chan_s8 {
    KILN_FIELDS(KILN_CHAN_S8_FIELDS)
} kiln_chan_s8;

#define KILN_CHAN_WORDS 4

/* Bytes of one channel group: ns slices, G channels, int16 weights or not. */
static inline size_t kiln_packed_group_bytes(int32_t ns, int32_t g, int32_t w16)
{
    return 16u + (size_t)g * 16u + (size_t)ns * (size_t)g * (w16 ? 8u : 4u);
}

/* Bytes per channel of a packed 3x3 depthwise stream. */
#define KILN_DW3X3_CHAN_BYTES 44u
/* Bytes per block of 4 channels of a packed NHWC 3x3 depthwise stream:
 * int32 acc[4], per tap (ky, kx row-major) the int16 pairs [w_c0 w_c2]
 * [w_c1 w_c3], then 4 kiln_chan_s8. */
#define KILN_DW3X3C4_BLOCK_BYTES 152u
/* The same for stride 2 (kiln_depthwise_conv_s8_3x3c4s2): int32 acc[4], per
 * kernel row the int16 pairs [w(ky,0) w(ky,1)] of channels 0..3, then
 * [w(ky,2)_c0 w(ky,2)_c1] [w(ky,2)_c2 w(ky,2)_c3], then 4 kiln_chan_s8. */
#define KILN_DW3X3C4S2_BLOCK_BYTES 152u

/* Elements of one kernel tap in a packed conv's reduction: in_c, except 4
 * for in_c == 3 (RGB first layers), where each tap is then one word of
 * input and the 4th element meets a zero weight.  K = k_h * k_w * this. */
static inline int32_t kiln_conv_s8_tap_elems(const kiln_conv_s8_params *p)
{
    return p->in_c == 3 ? 4 : p->in_c;
}

/* CONV_2D (groups 1, any kernel, stride, dilation, padding; NHWC) as a GEMM
 * over 2 output channels x 2 output pixels, each pixel's K inputs expanded
 * to int16 in scratch (a partial im2col).  w: the packed stream, G = 2,
 * int8 (_p8) or int16 (_p16) slices. */
size_t kiln_conv_s8_p8_scratch_size(const kiln_conv_s8_params *p);
void kiln_conv_s8_p8(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                     void *scratch);
size_t kiln_conv_s8_p16_scratch_size(const kiln_conv_s8_params *p);
void kiln_conv_s8_p16(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                      void *scratch);

/* CONV_2D 3x3 on 3 input channels (RGB first layers), dilation 1, NHWC
 * (conv_s8_rgb.c): the G = 2 int16 stream with K = 28, the 27 taps dense:
 * slices 2ky, 2ky+1 = bytes 0-3, 4-7 of kernel row ky (byte 3 kx + c),
 * slice 6 = [row 0 byte 8, row 1 byte 8, row 2 byte 8, 0]. */
size_t kiln_conv_s8_rgb_p16_scratch_size(const kiln_conv_s8_params *p);
void kiln_conv_s8_rgb_p16(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                          void *scratch);

/* CONV_2D 1x1, stride 1, no padding, 8 input channels, NHWC
 * (conv_s8_1x1c8.c): per output channel KILN_C8_CHAN_BYTES, its 8 weights
 * as int16 lanes [e0 e2] [e1 e3] [e4 e6] [e5 e7], then a kiln_chan_s8 whose
 * rnd has bias * mult folded in (rq.mode KILN_RQ_SHORT_RELU only; no bias
 * words).  Needs no scratch. */
#define KILN_C8_CHAN_BYTES 32u
size_t kiln_conv_s8_1x1c8_scratch_size(const kiln_conv_s8_params *p);
void kiln_conv_s8_1x1c8(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                        void *scratch);

/* FULLY_CONNECTED: batch rows as the pixels of the GEMM (G = 2), or for
 * batch 1 one row against 4 channels at a time (G = 4). */
size_t kiln_fully_connected_s8_p8_scratch_size(const kiln_fc_s8_params *p);
void kiln_fully_connected_s8_p8(const kiln_fc_s8_params *p, const int8_t *x, const void *w,
                                int8_t *y, void *scratch);
size_t kiln_fully_connected_s8_p16_scratch_size(const kiln_fc_s8_params *p);
void kiln_fully_connected_s8_p16(const kiln_fc_s8_params *p, const int8_t *x, const void *w,
                                 int8_t *y, void *scratch);

/* FULLY_CONNECTED for the host (`--cpu host`; fully_connected_s8_host.c),
 * laid out so that the host compiler turns each channel's reduction into
 * full-width dot products (VPDPBUSD where the CPU has VNNI): the kernel
 * adds 128 to every input (x ^ 0x80, uint8) and multiplies uint8 inputs
 * with int8 weights.  Channels in groups of KILN_FC_HOST_G, each group
 *   int32 acc[8]        bias + (in_offset - 128) * sum(w), mod 2^32
 *   int8  w[8][kp]      each channel's weights contiguous, zero-padded to
 *                       kp = kiln_fc_host_kp(in_features)
 *   int32 mult[8], shift[8], rnd_lo[8], rnd_hi[8]
 *                       kiln_chan_s8's fields, one array per field (the
 *                       output stage runs on 8 lanes at once)
 * the last group padded with zero channels (kiln_fc_host_group_bytes()).
 * Scratch: two input rows of kp bytes. */
#define KILN_FC_HOST_G 8
static inline int32_t kiln_fc_host_kp(int32_t k) { return (k + 15) / 16 * 16; }
static inline size_t kiln_fc_host_group_bytes(int32_t k)
{
    return (size_t)KILN_FC_HOST_G * (4u + (size_t)kiln_fc_host_kp(k) + 16u);
}
size_t kiln_fully_connected_s8_host_scratch_size(const kiln_fc_s8_params *p);
void kiln_fully_connected_s8_host(const kiln_fc_s8_params *p, const int8_t *x, const void *w,
                                  int8_t *y, void *scratch);

/* DEPTHWISE_CONV_2D 3x3, multiplier 1, stride 1 or 2 (both axes), dilation 1,
 * any padding, NHWC: each channel is copied into a zero-point-padded int16
 * plane in scratch, where horizontally adjacent taps are int16 pairs. */
size_t kiln_depthwise_conv_s8_3x3_scratch_size(const kiln_conv_s8_params *p);
/* The same on NHWC directly, 4 channels per input word (in_c a multiple of
 * 4): no planes, so it wins where planes cost more than the taps, at stride
 * 2 and on small outputs (the compiler's choice, lower_s8.c).  Scratch:
 * four input rows expanded to int16 (a ring of three, one of the zero
 * point). */
size_t kiln_depthwise_conv_s8_3x3c4_scratch_size(const kiln_conv_s8_params *p);
void kiln_depthwise_conv_s8_3x3c4(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                  int8_t *y, void *scratch);
/* The same at stride 2 (both axes) on its own stream: input columns
 * expanded in pairs, so that one SMLAD does a kernel row's first two taps.
 * Scratch: four expanded rows, as above. */
size_t kiln_depthwise_conv_s8_3x3c4s2_scratch_size(const kiln_conv_s8_params *p);
void kiln_depthwise_conv_s8_3x3c4s2(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                    int8_t *y, void *scratch);

/* Whether the kernel walks the image transposed (long output columns make
 * longer inner loops than short output rows); the packing follows it. */
static inline int kiln_dw3x3_transposed(const kiln_conv_s8_params *p)
{
    return p->out_h > p->out_w;
}
void kiln_depthwise_conv_s8_3x3(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                int8_t *y, void *scratch);

/* DEPTHWISE_CONV_2D with any k_h x k_w window, multiplier 1, any stride,
 * dilation and padding, NHWC, any channel count (depthwise_s8_packed.c):
 * per block of 4 channels (the last one padded with zero channels)
 * kiln_dw_packed_block_bytes(k_h * k_w) bytes: int32 acc[4] (channels 0-3,
 * folded biases), per tap (ky, kx row-major) the int16 pairs [w_c0 w_c2]
 * [w_c1 w_c3], then 4 kiln_chan_s8.  Needs no scratch. */
static inline size_t kiln_dw_packed_block_bytes(int32_t taps)
{
    return 16u + 8u * (size_t)taps + 4u * 16u;
}
size_t kiln_depthwise_conv_s8_packed_scratch_size(const kiln_conv_s8_params *p);
void kiln_depthwise_conv_s8_packed(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                   int8_t *y, void *scratch);

/* ---- pooling ------------------------------------------------------------ */

#define KILN_POOL_S8_PARAMS_FIELDS(F, A, S)                                                        \
    F(int32_t, batch, INT) F(int32_t, c, INT) F(int32_t, in_h, INT) F(int32_t, in_w, INT) F(int32_t, out_h, INT) F(int32_t, out_w, INT) \
    F(int32_t, k_h, INT) F(int32_t, k_w, INT) F(int32_t, stride_h, INT) F(int32_t, stride_w, INT)  \
    F(int32_t, pad_t, INT) F(int32_t, pad_l, INT) F(int32_t, pad_b, INT) F(int32_t, pad_r, INT)    \
    F(int32_t, layout, LAYOUT)                                                                     \
    F(int32_t, count_include_pad, INT)               /* avg: divisor counts padded positions (ONNX) */ \
    F(int32_t, act_min, INT) F(int32_t, act_max, INT)
typedef struct kiln_pool_s8_params {
    KILN_FIELDS(KILN_POOL_S8_PARAMS_FIELDS)
} kiln_pool_s8_params;

/* Average of the raw values (input and output share quantization), rounded
 * half away from zero as TFLite: (sum +- count/2) / count. */
void kiln_avgpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y);
void kiln_maxpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y);

/* ---- elementwise -------------------------------------------------------- */

#define KILN_S8_MAX_DIMS 6

/* Broadcasting binary op over a 6-D output (leading dims padded with 1);
 * a_stride/b_stride are element strides, 0 along broadcast dimensions. */
#define KILN_BINARY_S8_PARAMS_FIELDS(F, A, S)                                                      \
    A(int32_t, shape, KILN_S8_MAX_DIMS, INT)                                                       \
    A(int32_t, a_stride, KILN_S8_MAX_DIMS, INT)                                                    \
    A(int32_t, b_stride, KILN_S8_MAX_DIMS, INT)                                                    \
    F(int32_t, a_offset, INT) F(int32_t, b_offset, INT) F(int32_t, out_offset, INT)                \
    F(int32_t, left_shift, INT)                      /* ADD/SUB: 20 for int8 */                    \
    F(int32_t, a_mult, INT) F(int32_t, a_shift, INT) /* ADD/SUB/MIN/MAX: per-input rescale */      \
    F(int32_t, b_mult, INT) F(int32_t, b_shift, INT)                                               \
    F(int32_t, out_mult, INT) F(int32_t, out_shift, INT) /* ADD/SUB/MUL */                         \
    F(int32_t, act_min, INT) F(int32_t, act_max, INT)
typedef struct kiln_binary_s8_params {
    KILN_FIELDS(KILN_BINARY_S8_PARAMS_FIELDS)
} kiln_binary_s8_params;

void kiln_add_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);
void kiln_sub_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);
void kiln_mul_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);
/* ADD / SUB of two int8 tensors of one shape (no broadcasting), TFLite's
 * arithmetic with the per-input half done at compile time: for every int8
 * x, tables[x + 128] = MBQM((x + a_offset) << 20, a_mult, a_shift) and
 * tables[256 + x + 128] the same for b (negated for SUB).  Then
 * y = clamp(requant(ta[a] + tb[b]) by `out` + out_offset) as a packed
 * channel (rq.mode KILN_RQ_TFLITE, _SHORT or _SHORT_RELU; chan_s8 rules). */
#define KILN_ADD_S8_LUT_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, n, INT)                                                                             \
    S(kiln_requant, rq)                                                                            \
    S(kiln_chan_s8, out)
typedef struct kiln_add_s8_lut_params {
    KILN_FIELDS(KILN_ADD_S8_LUT_PARAMS_FIELDS)
} kiln_add_s8_lut_params;

void kiln_add_s8_lut(const kiln_add_s8_lut_params *p, const int8_t *a, const int8_t *b,
                     const int32_t *tables, int8_t *y);

/* MIN/MAX: each input is first rescaled to the output's quantization
 * (exactly the identity when, as TFLite requires, the quantizations match). */
void kiln_min_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);
void kiln_max_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);

/* ---- unary -------------------------------------------------------------- */

/* y = clamp(out_zp + MBQM(x - in_zp, mult, shift), act_min, act_max):
 * TFLite QUANTIZE int->int (requantize, int32 on either side included),
 * RELU/RELU6/RELU_N1_TO_1/CLIP between quantized tensors, uint8 <-> int8
 * conversion. */
#define KILN_REQUANTIZE_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, n, INT)                                                                             \
    F(int32_t, in_type, QTYPE) F(int32_t, out_type, QTYPE) /* kiln_qtype */                        \
    F(int32_t, in_zp, INT) F(int32_t, out_zp, INT)   /* in their own (unsigned or signed) domain */ \
    F(int32_t, mult, INT) F(int32_t, shift, INT)                                                   \
    F(int32_t, act_min, INT) F(int32_t, act_max, INT) /* in the output's domain */
typedef struct kiln_requantize_params {
    KILN_FIELDS(KILN_REQUANTIZE_PARAMS_FIELDS)
} kiln_requantize_params;

typedef enum kiln_qtype {
    KILN_QT_S8 = 0, KILN_QT_U8 = 1, KILN_QT_S16 = 2, KILN_QT_U16 = 3, KILN_QT_S32 = 4
} kiln_qtype;

void kiln_requantize_s8(const kiln_requantize_params *p, const int8_t *x, int8_t *y);
void kiln_requantize_q(const kiln_requantize_params *p, const void *x, void *y);
/* A clamp between quantized tensors is a requantization with an activation range. */
void kiln_clip_s8(const kiln_requantize_params *p, const int8_t *x, int8_t *y);

/* LOGISTIC / TANH int8 (TFLM reference integer path, gemmlowp Q4.27 input). */
#define KILN_SIGMOID_S8_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, n, INT)                                                                             \
    F(int32_t, in_zp, INT)                                                                         \
    F(int32_t, range_radius, INT)                                                                  \
    F(int32_t, in_mult, INT) F(int32_t, in_shift, INT)
typedef struct kiln_sigmoid_s8_params {
    KILN_FIELDS(KILN_SIGMOID_S8_PARAMS_FIELDS)
} kiln_sigmoid_s8_params;

void kiln_logistic_s8(const kiln_sigmoid_s8_params *p, const int8_t *x, int8_t *y);
void kiln_tanh_s8(const kiln_sigmoid_s8_params *p, const int8_t *x, int8_t *y);

#define KILN_HARD_SWISH_S8_PARAMS_FIELDS(F, A, S)                                                  \
    F(int32_t, n, INT)                                                                             \
    F(int32_t, in_zp, INT) F(int32_t, out_zp, INT)                                                 \
    F(int32_t, relu_mult16, INT) F(int32_t, relu_exp, INT) /* reluish multiplier (int16 fixed point) and exponent */ \
    F(int32_t, out_mult16, INT) F(int32_t, out_exp, INT) /* output multiplier (int16) and exponent (<= 0) */
typedef struct kiln_hard_swish_s8_params {
    KILN_FIELDS(KILN_HARD_SWISH_S8_PARAMS_FIELDS)
} kiln_hard_swish_s8_params;

void kiln_hard_swish_s8(const kiln_hard_swish_s8_params *p, const int8_t *x, int8_t *y);

#define KILN_LEAKY_RELU_S8_PARAMS_FIELDS(F, A, S)                                                  \
    F(int32_t, n, INT)                                                                             \
    F(int32_t, in_zp, INT) F(int32_t, out_zp, INT)                                                 \
    F(int32_t, id_mult, INT) F(int32_t, id_shift, INT) /* s_in / s_out */                          \
    F(int32_t, alpha_mult, INT) F(int32_t, alpha_shift, INT) /* s_in * alpha / s_out (may be negative) */
typedef struct kiln_leaky_relu_s8_params {
    KILN_FIELDS(KILN_LEAKY_RELU_S8_PARAMS_FIELDS)
} kiln_leaky_relu_s8_params;

void kiln_leaky_relu_s8(const kiln_leaky_relu_s8_params *p, const int8_t *x, int8_t *y);

/* SOFTMAX over `depth` elements `inner` apart, for each of outer*inner rows. */
#define KILN_SOFTMAX_S8_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, outer, INT) F(int32_t, depth, INT) F(int32_t, inner, INT)                           \
    F(int32_t, in_mult, INT) F(int32_t, in_left_shift, INT) /* PreprocessSoftmaxScaling(beta, s_in, 5) */ \
    F(int32_t, diff_min, INT)                        /* -CalculateInputRadius(5, in_left_shift, 31) */
typedef struct kiln_softmax_s8_params {
    KILN_FIELDS(KILN_SOFTMAX_S8_PARAMS_FIELDS)
} kiln_softmax_s8_params;

/* Output int8 with scale 1/256 and zero point -128 (TFLite requires it). */
void kiln_softmax_s8(const kiln_softmax_s8_params *p, const int8_t *x, int8_t *y);
/* Output int16 with scale 1/65536 and zero point -32768. */
void kiln_softmax_s8_s16(const kiln_softmax_s8_params *p, const int8_t *x, int16_t *y);

/* MEAN over any set of axes (TFLite MEAN int8). */
#define KILN_MEAN_S8_PARAMS_FIELDS(F, A, S)                                                        \
    A(int32_t, shape, KILN_S8_MAX_DIMS, INT)         /* input, leading dims padded with 1 */       \
    A(int32_t, reduce, KILN_S8_MAX_DIMS, INT)        /* 1: reduced axis */                         \
    F(int32_t, count, INT)                           /* elements per output */                     \
    F(int32_t, same_quant, INT)                      /* 1: plain integer mean (sum / count, truncating) */ \
    F(int32_t, in_zp, INT) F(int32_t, out_zp, INT)                                                 \
    F(int32_t, mult, INT) F(int32_t, shift, INT)     /* s_in/s_out with 1/count folded in */
typedef struct kiln_mean_s8_params {
    KILN_FIELDS(KILN_MEAN_S8_PARAMS_FIELDS)
} kiln_mean_s8_params;

void kiln_mean_s8(const kiln_mean_s8_params *p, const int8_t *x, int8_t *y);

/* CONCATENATION with per-input requantization (used only when an input's
 * quantization differs from the output's; equal ones are plain copies). */
#define KILN_CONCAT_MAX_INPUTS 8
#define KILN_CONCAT_S8_PARAMS_FIELDS(F, A, S)                                                      \
    F(int32_t, n_inputs, INT)                                                                      \
    F(int32_t, outer, INT) F(int32_t, inner, INT)    /* around the concat axis */                  \
    A(int32_t, axis_len, KILN_CONCAT_MAX_INPUTS, INT)                                              \
    A(int32_t, in_zp, KILN_CONCAT_MAX_INPUTS, INT)                                                 \
    A(int32_t, mult, KILN_CONCAT_MAX_INPUTS, INT)                                                  \
    A(int32_t, shift, KILN_CONCAT_MAX_INPUTS, INT)                                                 \
    F(int32_t, out_zp, INT)
typedef struct kiln_concat_s8_params {
    KILN_FIELDS(KILN_CONCAT_S8_PARAMS_FIELDS)
} kiln_concat_s8_params;

/* Inputs beyond n_inputs are NULL. */
void kiln_concat_s8(const kiln_concat_s8_params *p, const int8_t *x0, const int8_t *x1,
                    const int8_t *x2, const int8_t *x3, const int8_t *x4, const int8_t *x5,
                    const int8_t *x6, const int8_t *x7, int8_t *y);

/* ---- SVDF (TFLite int8, stateful) ------------------------------------------ */

/* TFLite-Micro's integer SVDF (EvalIntegerSvdfReference): int8 X, Wf and Y,
 * int32 bias, and a state S [batch][filters][memory] with time weights Wt
 * [filters][memory] of the same type, int8 (kiln_svdf_s8) or int16
 * (kiln_svdf_s8_s16).  Per run: S shifts left by one element as a whole;
 * S[b][f][memory-1] = wrap(clamp(MBQM(Wf[f] . (X[b] + in_offset), mult1,
 * shift1), type range) + state_zp), the zero point added after the clamp and
 * the sum narrowed modulo 2^bits as TFLM does; then
 * Y[b][u] = clamp(out_zp + MBQM(B[u] + sum_{r<rank} Wt[f] . (S[b][f] - state_zp),
 * mult2, shift2), act_min, act_max) with f = u*rank + r.  B may be NULL. */
#define KILN_SVDF_S8_PARAMS_FIELDS(F, A, S)                                                        \
    F(int32_t, batch, INT) F(int32_t, input_size, INT) F(int32_t, filters, INT) F(int32_t, units, INT) F(int32_t, rank, INT) F(int32_t, memory, INT) \
    F(int32_t, in_offset, INT)                       /* -zero point of X */                        \
    F(int32_t, state_zp, INT)                                                                      \
    F(int32_t, mult1, INT) F(int32_t, shift1, INT)   /* s_X*s_Wf/s_S */                            \
    F(int32_t, mult2, INT) F(int32_t, shift2, INT)   /* s_S*s_Wt/s_Y */                            \
    F(int32_t, out_zp, INT)                                                                        \
    F(int32_t, act_min, INT) F(int32_t, act_max, INT)
typedef struct kiln_svdf_s8_params {
    KILN_FIELDS(KILN_SVDF_S8_PARAMS_FIELDS)
} kiln_svdf_s8_params;

void kiln_svdf_s8(const kiln_svdf_s8_params *p, const int8_t *x, const int8_t *wf,
                  const int8_t *wt, const int32_t *bias, int8_t *state, int8_t *y);
void kiln_svdf_s8_s16(const kiln_svdf_s8_params *p, const int8_t *x, const int8_t *wf,
                      const int16_t *wt, const int32_t *bias, int16_t *state, int8_t *y);

/* ---- float boundary ------------------------------------------------------ */

/* Per-axis (axis_len > 1) or per-tensor (axis_len == 1) affine quantization:
 * element (o, a, i) of [outer][axis_len][inner] uses scale[a], zp[a]. */
#define KILN_QUANTIZE_PARAMS_FIELDS(F, A, S)                                                       \
    F(int32_t, outer, INT) F(int32_t, axis_len, INT) F(int32_t, inner, INT)                        \
    F(int32_t, round_even, INT)                      /* 0: TFLite (round half away from zero), 1: ONNX (half to even) */
typedef struct kiln_quantize_params {
    KILN_FIELDS(KILN_QUANTIZE_PARAMS_FIELDS)
} kiln_quantize_params;

/* q = sat(round(x / scale) + zp) with the division in float, as both references do. */
void kiln_quantize_f32_s8(const kiln_quantize_params *p, const float *x, const float *scale,
                          const int32_t *zp, int8_t *y);
void kiln_quantize_f32_u8(const kiln_quantize_params *p, const float *x, const float *scale,
                          const int32_t *zp, uint8_t *y);
void kiln_quantize_f32_s16(const kiln_quantize_params *p, const float *x, const float *scale,
                           const int32_t *zp, int16_t *y);
void kiln_quantize_f32_u16(const kiln_quantize_params *p, const float *x, const float *scale,
                           const int32_t *zp, uint16_t *y);
/* The same over the whole int32 range (the ONNX importer's blocked
 * QuantizeLinear rounds through it before adding per-element zero points). */
void kiln_quantize_f32_s32(const kiln_quantize_params *p, const float *x, const float *scale,
                           const int32_t *zp, int32_t *y);

/* y = scale * (q - zp), one float rounding (exact product of a float and a
 * 17-bit integer, rounded once), as TFLite's double product cast to float. */
void kiln_dequantize_s8_f32(const kiln_quantize_params *p, const int8_t *x, const float *scale,
                            const int32_t *zp, float *y);
void kiln_dequantize_u8_f32(const kiln_quantize_params *p, const uint8_t *x, const float *scale,
                            const int32_t *zp, float *y);
void kiln_dequantize_s16_f32(const kiln_quantize_params *p, const int16_t *x, const float *scale,
                             const int32_t *zp, float *y);
void kiln_dequantize_u16_f32(const kiln_quantize_params *p, const uint16_t *x,
                             const float *scale, const int32_t *zp, float *y);
void kiln_dequantize_s32_f32(const kiln_quantize_params *p, const int32_t *x, const float *scale,
                             const int32_t *zp, float *y);

/* ---- ONNX flavour: what onnxruntime computes for the QLinear* kernels its
 * QDQ fusion picks, on int8 or uint8 tensors (pool_onnx_q8.c,
 * add_onnx_q8.c).  Zero points, activation ranges and results are in each
 * tensor's own type (is_u8 / *_u8: 1 for uint8, 0 for int8).  The average
 * pools and the add compute in float on purpose: onnxruntime defines the
 * result by that float arithmetic (docs/kernels-int8.md, "Quantized ONNX"). */

#define KILN_POOL_Q8_PARAMS_FIELDS(F, A, S)                                                        \
    S(kiln_pool_s8_params, pool)                     /* geometry, count_include_pad; act_min/act_max in y's type */ \
    F(int32_t, is_u8, INT)                           /* x and y: 1 uint8, 0 int8 (same type, checked by the compiler) */ \
    F(int32_t, global, INT)                          /* avg: one window covering the whole input, no padding */ \
    F(int32_t, in_zp, INT) F(int32_t, out_zp, INT)                                                 \
    F(float, in_scale, F32_BITS) F(float, out_scale, F32_BITS) /* avg, windowed */                 \
    F(float, scale, F32_BITS)                        /* avg, global: in_scale / (out_scale * (float)(in_h * in_w)) */
typedef struct kiln_pool_q8_params {
    KILN_FIELDS(KILN_POOL_Q8_PARAMS_FIELDS)
} kiln_pool_q8_params;

/* Max over the window of the integers (input and output quantized alike). */
void kiln_maxpool_q8(const kiln_pool_q8_params *p, const void *x, void *y);
/* global: QLinearGlobalAveragePool (MLAS): acc = sum(x) - in_zp*count in
 *   int32, then round_half_even((float)acc * scale) + out_zp, saturated.
 * windowed: QLinearAveragePool: sum over the window, rows then columns, of
 *   the floats in_scale*(float)(x - in_zp); divided by (float)count; then
 *   round_half_even(avg / out_scale + (float)out_zp), saturated. */
void kiln_avgpool_onnx_q8(const kiln_pool_q8_params *p, const void *x, void *y);

/* QLinearAdd as onnxruntime's x86 kernel (MLAS AVX2) computes it, with
 * numpy broadcasting over 6-D shapes (element strides, 0 to broadcast):
 *   y = sat(round_half_even(fma(a, a_ratio, fma(b, b_ratio, offset))))
 * with a, b the raw integers, a_ratio = s_a/s_y, b_ratio = s_b/s_y and
 * offset = zp_y - (a_ratio*zp_a + b_ratio*zp_b), all float32. */
#define KILN_ADD_Q8_PARAMS_FIELDS(F, A, S)                                                         \
    A(int32_t, shape, KILN_S8_MAX_DIMS, INT)                                                       \
    A(int32_t, a_stride, KILN_S8_MAX_DIMS, INT)                                                    \
    A(int32_t, b_stride, KILN_S8_MAX_DIMS, INT)                                                    \
    F(int32_t, a_u8, INT) F(int32_t, b_u8, INT) F(int32_t, y_u8, INT)                              \
    F(float, a_ratio, F32_BITS) F(float, b_ratio, F32_BITS) F(float, offset, F32_BITS)             \
    F(int32_t, act_min, INT) F(int32_t, act_max, INT) /* in y's type */
typedef struct kiln_add_q8_params {
    KILN_FIELDS(KILN_ADD_Q8_PARAMS_FIELDS)
} kiln_add_q8_params;

void kiln_add_onnx_q8(const kiln_add_q8_params *p, const void *a, const void *b, void *y);

/* ONNX-flavour requantization of one accumulator (requant_onnx_s8.c):
 * round_half_even((float)acc * scale) saturated to int32 range of interest,
 * where scale_bits is the IEEE-754 bit pattern of the float scale. */
int32_t kiln_requant_onnx(int32_t acc, int32_t scale_bits);

#ifdef __cplusplus
}
#endif
#endif
