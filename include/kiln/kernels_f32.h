/*
 * kernels_f32.h - the float32 kernels: parameter structs and prototypes.
 *
 * Every kernel takes one const params struct holding what is fixed per layer
 * (shapes, strides, pads, activation range), then plain data pointers:
 * inputs, outputs, and (for the few that need it) a `void *scratch` last whose
 * size kiln_<op>_f32_scratch_size() gives.  Kernels never allocate, print, or
 * keep state; they trust their params (the compiler built them) and so do no
 * checking at run time.
 *
 * Shapes with up to three spatial dims are stored as three entries [d, h, w];
 * a 2-D op has d == 1, a 1-D op d == h == 1, with kernel/stride/dilation 1 and
 * pads 0 in the unused entries.  `layout` says where channels are:
 * KILN_LAYOUT_NCHW ([N, C, d, h, w]) or KILN_LAYOUT_NHWC ([N, d, h, w, C]).
 *
 * The weight layouts the kernels expect (the compiler repacks into them) are
 * given next to each kernel and in docs/kernels.md.  The plain reference
 * kernels come first; the packed kernels (the fast path the compiler picks
 * unless told `--kernels plain`) compute the same operations from weights
 * packed into panels and are tested against the plain ones.
 */
#ifndef KILN_KERNELS_F32_H
#define KILN_KERNELS_F32_H

#include <math.h>     /* HUGE_VALF: open activation bounds in generated params */
#include <stddef.h>
#include <stdint.h>

#include "kiln/fields.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KILN_MAX_DIMS
#define KILN_MAX_DIMS 6
#endif

#define KILN_LAYOUT_NCHW 0
#define KILN_LAYOUT_NHWC 1

/* ---- convolution ---------------------------------------------------------
 * Y[n, m, o] = act(B[m] + sum_{c in group(m), k} X[n, c, o*stride + k*dil - pad] * W[m, c, k])
 * W repacked to [M][kd][kh][kw][C/groups] (input channels innermost).
 * B may be NULL.  Positions in the padding contribute nothing. */
#define KILN_CONV_F32_PARAMS_FIELDS(F, A, S)                                                       \
    F(int32_t, layout, LAYOUT)                                                                     \
    F(int32_t, batch, INT)                                                                         \
    F(int32_t, in_c, INT) F(int32_t, out_c, INT) F(int32_t, groups, INT)                           \
    A(int32_t, in, 3, INT)                           /* input spatial size  [d, h, w] */           \
    A(int32_t, out, 3, INT)                          /* output spatial size [d, h, w] */           \
    A(int32_t, k, 3, INT)                                                                          \
    A(int32_t, stride, 3, INT)                                                                     \
    A(int32_t, dil, 3, INT)                                                                        \
    A(int32_t, pad, 3, INT)                          /* leading pads; trailing pads follow from out[] */ \
    F(float, act_lo, F32) F(float, act_hi, F32)      /* fused clamp; -HUGE_VALF / HUGE_VALF when none */
typedef struct kiln_conv_f32_params {
    KILN_FIELDS(KILN_CONV_F32_PARAMS_FIELDS)
} kiln_conv_f32_params;

void kiln_conv_f32(const kiln_conv_f32_params *p, const float *x, const float *w, const float *b,
                   float *y);

/* Depthwise (groups == in_c, out_c == in_c * mult): output channel m reads
 * input channel m / mult.  Same params (in_c, out_c, groups as above); W
 * repacked to [kd][kh][kw][M] (output channels innermost, so an NHWC pixel's
 * channels are one contiguous run). */
void kiln_depthwise_conv_f32(const kiln_conv_f32_params *p, const float *x, const float *w,
                             const float *b, float *y);

/* Transposed convolution (ONNX ConvTranspose):
 * Y[n, m, i*stride + k*dil - pad] += X[n, c, i] * W[c, m, k] for c in group(m),
 * plus B[m]; output positions nothing reaches (output_padding) hold B[m].
 * W repacked to [groups][kd][kh][kw][M/groups][C/groups].  B may be NULL. */
void kiln_conv_transpose_f32(const kiln_conv_f32_params *p, const float *x, const float *w,
                             const float *b, float *y);

/* ---- packed convolution and dense (the fast path) -------------------------
 * The same operations as kiln_conv_f32, kiln_depthwise_conv_f32 and
 * kiln_fully_connected_f32, computed as register-blocked GEMM tiles over
 * weights the compiler packed into panels (compiler/passes/pack_f32.c).
 * docs/kernels.md gives the layouts and the accumulation order.
 *
 * Conv / FC panels: for group g, panel q (output channels q*panel ..
 * q*panel + panel - 1 of the group, zero past the group's channels), and
 * reduction index k in [0, kdim): W[((g*npanel + q)*kdim + k)*panel + lane].
 * k runs over (kd, kh, kw, c) - the order of an NHWC im2col row, and of the
 * taps of the padded method - except for NCHW im2col, (c, kd, kh, kw).  The
 * bias is packed the same way ([g][npanel*panel], zeros for a layer without
 * bias), so it is never NULL.
 * Depthwise: W[(q*kvol + t)*panel + lane] for channel group q, tap t (NHWC;
 * NCHW: panel 1, i.e. [M][kvol]); the bias padded to whole groups.
 *
 * How a conv reads its input (method):
 *   DIRECT  in place: a 1x1 kernel without pads (NCHW also stride 1);
 *   IM2COL  im2col rows of `block` output pixels in scratch;
 *   PADDED  NCHW with stride 1 along w: the group's input copied into
 *           scratch with its zero padding, then each output row's tiles read
 *           the taps straight from it (no im2col).
 * The epilogue, applied to each output as it is stored, in this order:
 * v = sum + bias (+ residual[same index as y], when the call has one);
 * v = v < 0 ? v*alpha : v when leaky; v = v > maxc_value ? v : maxc_value
 * when maxc; then the clamp [act_lo, act_hi]. */
#define KILN_F32_EPILOGUE_FIELDS(F, A, S)                                                          \
    F(float, act_lo, F32) F(float, act_hi, F32)      /* clamp; -HUGE_VALF / HUGE_VALF when open */ \
    F(int32_t, leaky, INT)                           /* 1: LeakyReLU with slope alpha */           \
    F(float, alpha, F32)                                                                           \
    F(int32_t, maxc, INT)                            /* 1: the maximum with maxc_value (a fused MAX) */ \
    F(float, maxc_value, F32)
typedef struct kiln_f32_epilogue {
    KILN_FIELDS(KILN_F32_EPILOGUE_FIELDS)
} kiln_f32_epilogue;

#define KILN_CONV_F32_PACKED_PARAMS_FIELDS(F, A, S)                                                \
    S(kiln_conv_f32_params, conv)                    /* geometry as kiln_conv_f32 (its act_lo/act_hi unused) */ \
    S(kiln_f32_epilogue, epi)                                                                      \
    F(int32_t, panel, INT)                           /* output channels per weight panel: 4, 8 or 16 */ \
    F(int32_t, kdim, INT)                            /* (C/groups) * kd*kh*kw */                   \
    F(int32_t, method, CONV_F32_METHOD)              /* KILN_CONV_F32_DIRECT, _IM2COL or _PADDED */ \
    F(int32_t, block, INT)                           /* IM2COL: output pixels per block in scratch */
typedef struct kiln_conv_f32_packed_params {
    KILN_FIELDS(KILN_CONV_F32_PACKED_PARAMS_FIELDS)
} kiln_conv_f32_packed_params;

#define KILN_CONV_F32_DIRECT 0
#define KILN_CONV_F32_IM2COL 1
#define KILN_CONV_F32_PADDED 2
/* The widest NCHW tile in output pixels on any target (the PADDED scratch
 * ends with a padded row and this many floats of slack, read and dropped
 * by the last tiles). */
#define KILN_F32_COLS_MAX 32
/* PADDED takes windows of at most this many taps. */
#define KILN_CONV_F32_PADDED_MAX_TAPS 64

/* Bytes of scratch the call needs (0 for DIRECT). */
size_t kiln_conv_f32_packed_scratch_size(const kiln_conv_f32_packed_params *p);
/* residual may be NULL; scratch may be NULL when the size above is 0. */
void kiln_conv_f32_packed(const kiln_conv_f32_packed_params *p, const float *x, const float *w,
                          const float *b, const float *residual, float *y, void *scratch);

/* Depthwise (groups == in_c, any multiplier); panel 4, 8 or 16 for NHWC, 1
 * for NCHW.  Needs no scratch. */
void kiln_depthwise_conv_f32_packed(const kiln_conv_f32_packed_params *p, const float *x,
                                    const float *w, const float *b, const float *residual,
                                    float *y);

/* FULLY_CONNECTED over packed W: one group, kdim = in_features. */
#define KILN_FC_F32_PACKED_PARAMS_FIELDS(F, A, S)                                                  \
    F(int32_t, batch, INT) F(int32_t, in_features, INT) F(int32_t, out_features, INT)              \
    S(kiln_f32_epilogue, epi)                                                                      \
    F(int32_t, panel, INT)
typedef struct kiln_fc_f32_packed_params {
    KILN_FIELDS(KILN_FC_F32_PACKED_PARAMS_FIELDS)
} kiln_fc_f32_packed_params;

void kiln_fully_connected_f32_packed(const kiln_fc_f32_packed_params *p, const float *x,
                                     const float *w, const float *b, const float *residual,
                                     float *y);

/* ---- dense ---------------------------------------------------------------
 * FULLY_CONNECTED: Y[b, n] = act(B[n] + sum_k X[b, k] * W[n, k]); W is
 * [out][in] (row n contiguous).  B may be NULL. */
#define KILN_FC_F32_PARAMS_FIELDS(F, A, S)                                                         \
    F(int32_t, batch, INT) F(int32_t, in_features, INT) F(int32_t, out_features, INT)              \
    F(float, act_lo, F32) F(float, act_hi, F32)
typedef struct kiln_fc_f32_params {
    KILN_FIELDS(KILN_FC_F32_PARAMS_FIELDS)
} kiln_fc_f32_params;

void kiln_fully_connected_f32(const kiln_fc_f32_params *p, const float *x, const float *w,
                              const float *b, float *y);

/* MATMUL: for every batch index i of Y (batch dims y_batch[0..nbatch)),
 * Y_i[M, N] = act(A_i[M, K] * B_i[K, N]), where A_i starts at
 * sum_d idx_d * a_bstride[d] elements into A (0 for a broadcast dim), and
 * the same for B.  Rank-1 operands are promoted by the compiler. */
#define KILN_MATMUL_F32_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, m, INT) F(int32_t, k, INT) F(int32_t, n, INT)                                       \
    F(int32_t, nbatch, INT)                          /* 0..4 */                                    \
    A(int32_t, y_batch, 4, INT)                                                                    \
    A(int32_t, a_bstride, 4, INT)                                                                  \
    A(int32_t, b_bstride, 4, INT)                                                                  \
    F(float, act_lo, F32) F(float, act_hi, F32)
typedef struct kiln_matmul_f32_params {
    KILN_FIELDS(KILN_MATMUL_F32_PARAMS_FIELDS)
} kiln_matmul_f32_params;

void kiln_matmul_f32(const kiln_matmul_f32_params *p, const float *a, const float *b, float *y);

/* ---- elementwise --------------------------------------------------------
 * Binary ops with numpy broadcasting.  The compiler collapses the output
 * shape to `rank` dims (1..6) and gives each operand's element stride per dim
 * (0 where that operand is broadcast).  Y is contiguous in `shape`. */
#define KILN_BINARY_F32_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, rank, INT)                                                                          \
    A(int32_t, shape, KILN_MAX_DIMS, INT)                                                          \
    A(int32_t, a_stride, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, b_stride, KILN_MAX_DIMS, INT)                                                       \
    F(float, act_lo, F32) F(float, act_hi, F32)
typedef struct kiln_binary_f32_params {
    KILN_FIELDS(KILN_BINARY_F32_PARAMS_FIELDS)
} kiln_binary_f32_params;

void kiln_add_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y);
void kiln_sub_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y);
void kiln_mul_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y);
void kiln_div_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y);
void kiln_min_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y);
void kiln_max_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y);

/* Unary ops over `size` elements; x and y may be the same buffer.
 * clip: min(max(x, lo), hi).  leaky_relu: x >= 0 ? x : alpha*x.
 * hard_sigmoid: max(0, min(1, alpha*x + beta)).  hard_swish: x*max(0, min(1, x/6 + 1/2)).
 * sqrt: sqrtf(x), correctly rounded (NaN for x < 0). */
#define KILN_UNARY_F32_PARAMS_FIELDS(F, A, S)                                                      \
    F(int32_t, size, INT)                                                                          \
    F(float, alpha, F32) F(float, beta, F32)         /* leaky_relu (alpha), hard_sigmoid (alpha, beta) */ \
    F(float, lo, F32) F(float, hi, F32)              /* clip */
typedef struct kiln_unary_f32_params {
    KILN_FIELDS(KILN_UNARY_F32_PARAMS_FIELDS)
} kiln_unary_f32_params;

void kiln_clip_f32(const kiln_unary_f32_params *p, const float *x, float *y);
void kiln_leaky_relu_f32(const kiln_unary_f32_params *p, const float *x, float *y);
void kiln_sigmoid_f32(const kiln_unary_f32_params *p, const float *x, float *y);
void kiln_tanh_f32(const kiln_unary_f32_params *p, const float *x, float *y);
void kiln_hard_sigmoid_f32(const kiln_unary_f32_params *p, const float *x, float *y);
void kiln_hard_swish_f32(const kiln_unary_f32_params *p, const float *x, float *y);
void kiln_sqrt_f32(const kiln_unary_f32_params *p, const float *x, float *y);

/* SOFTMAX over X viewed as [outer][n][inner], normalising along n:
 * y = exp(beta*x - max) / sum(...), or its log when log != 0. */
#define KILN_SOFTMAX_F32_PARAMS_FIELDS(F, A, S)                                                    \
    F(int32_t, outer, INT) F(int32_t, n, INT) F(int32_t, inner, INT)                               \
    F(float, beta, F32)                                                                            \
    F(int32_t, log, INT)
typedef struct kiln_softmax_f32_params {
    KILN_FIELDS(KILN_SOFTMAX_F32_PARAMS_FIELDS)
} kiln_softmax_f32_params;

void kiln_softmax_f32(const kiln_softmax_f32_params *p, const float *x, float *y);

/* Per-channel affine y = x*scale[c] + shift[c] (inference BatchNorm, folded
 * at compile time: scale = gamma/sqrt(var+eps), shift = beta - mean*scale).
 * X is viewed as [outer][channels][inner]: NCHW inner = spatial size, NHWC
 * inner = 1 and outer = N*spatial. */
#define KILN_CHANNEL_AFFINE_F32_PARAMS_FIELDS(F, A, S)                                             \
    F(int32_t, outer, INT) F(int32_t, channels, INT) F(int32_t, inner, INT)
typedef struct kiln_channel_affine_f32_params {
    KILN_FIELDS(KILN_CHANNEL_AFFINE_F32_PARAMS_FIELDS)
} kiln_channel_affine_f32_params;

void kiln_batchnorm_f32(const kiln_channel_affine_f32_params *p, const float *x,
                        const float *scale, const float *shift, float *y);

/* ---- pooling -------------------------------------------------------------
 * Windows as convolution (3 spatial entries, see above).  Windows past the
 * input are clipped; padded positions never win a max.  AVGPOOL divides by
 * the number of window positions inside [-pad, in + pad_end) when
 * count_include_pad, else inside [0, in); an empty window gives 0. */
#define KILN_POOL_F32_PARAMS_FIELDS(F, A, S)                                                       \
    F(int32_t, layout, LAYOUT)                                                                     \
    F(int32_t, batch, INT) F(int32_t, channels, INT)                                               \
    A(int32_t, in, 3, INT) A(int32_t, out, 3, INT)                                                 \
    A(int32_t, k, 3, INT) A(int32_t, stride, 3, INT) A(int32_t, dil, 3, INT)                       \
    A(int32_t, pad, 3, INT) A(int32_t, pad_end, 3, INT)                                            \
    F(int32_t, count_include_pad, INT)               /* avgpool */                                 \
    F(int32_t, storage_order, INT)                   /* maxpool indices: 0 row-major, 1 column-major */ \
    F(float, act_lo, F32) F(float, act_hi, F32)
typedef struct kiln_pool_f32_params {
    KILN_FIELDS(KILN_POOL_F32_PARAMS_FIELDS)
} kiln_pool_f32_params;

/* indices (may be NULL): ONNX MaxPool Indices, the flat NCHW index of the max
 * in X including the batch and channel offset. */
void kiln_maxpool_f32(const kiln_pool_f32_params *p, const float *x, float *y, int64_t *indices);
void kiln_avgpool_f32(const kiln_pool_f32_params *p, const float *x, float *y);
/* kiln_maxpool_f32 without Indices, a row of outputs (NCHW) or a pixel's
 * channels (NHWC) at a time: the same outputs, vectorisable (the fast path). */
void kiln_maxpool_f32_fast(const kiln_pool_f32_params *p, const float *x, float *y);

/* ---- reduction -----------------------------------------------------------
 * REDUCE_MEAN: X has `rank` dims in_shape (collapsed by the compiler);
 * y_stride[d] is the output element stride of dim d, 0 for a reduced dim.
 * Y (out_size elements) = sum / count. */
#define KILN_REDUCE_F32_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, rank, INT)                                                                          \
    A(int32_t, in_shape, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, y_stride, KILN_MAX_DIMS, INT)                                                       \
    F(int32_t, out_size, INT)                                                                      \
    F(int32_t, count, INT)                           /* elements averaged into each output */
typedef struct kiln_reduce_f32_params {
    KILN_FIELDS(KILN_REDUCE_F32_PARAMS_FIELDS)
} kiln_reduce_f32_params;

void kiln_reduce_mean_f32(const kiln_reduce_f32_params *p, const float *x, float *y);

/* ---- resize --------------------------------------------------------------
 * Separable N-D gather-interpolate.  X is viewed as [outer][in_0..in_{n-1}][inner]
 * and Y as [outer][out_0..out_{n-1}][inner].  For interpolated axis a, output
 * index o reads taps[a] source indices idx[off[a] + o*taps[a] + t] with
 * weights wt[same]; Y = sum over all tap combinations of the product of the
 * weights times X at those indices.  An index of -1 (in the first tap of an
 * axis) marks an output outside the crop (tf_crop_and_resize): that output
 * is extrapolation_value.  Tables are built at compile time for every ONNX
 * coordinate transform, nearest mode, linear, cubic and antialias. */
#define KILN_RESIZE_F32_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, outer, INT) F(int32_t, inner, INT)                                                  \
    F(int32_t, naxes, INT)                           /* 1..6 */                                    \
    A(int32_t, in_dim, KILN_MAX_DIMS, INT)                                                         \
    A(int32_t, out_dim, KILN_MAX_DIMS, INT)                                                        \
    A(int32_t, taps, KILN_MAX_DIMS, INT)                                                           \
    A(int32_t, off, KILN_MAX_DIMS, INT)              /* table offset of each axis, in entries */   \
    F(float, extrapolation_value, F32)
typedef struct kiln_resize_f32_params {
    KILN_FIELDS(KILN_RESIZE_F32_PARAMS_FIELDS)
} kiln_resize_f32_params;

void kiln_resize_f32(const kiln_resize_f32_params *p, const float *x, const int32_t *idx,
                     const float *wt, float *y);

/* ---- recurrent (ONNX LSTM / GRU, default activations) --------------------
 * W [dirs][G*H][I] and R [dirs][G*H][H] in ONNX gate order (LSTM i,o,f,c;
 * GRU z,r,h), B [dirs][2*G*H] (Wb then Rb) or NULL for zeros, P [dirs][3H] peepholes (i,o,f) or NULL, seq_lens
 * [batch] or NULL, initial states [dirs][batch][H] (layout 1: [batch][dirs][H])
 * or NULL.  Outputs Y, Y_h, Y_c may each be NULL. */
#define KILN_RNN_F32_PARAMS_FIELDS(F, A, S)                                                        \
    F(int32_t, seq_len, INT) F(int32_t, batch, INT) F(int32_t, input_size, INT) F(int32_t, hidden, INT) \
    F(int32_t, num_dirs, INT)                        /* 1 or 2 */                                  \
    F(int32_t, reverse, INT)                         /* with num_dirs 1: run backwards */          \
    F(int32_t, layout, INT)                          /* 0: X [seq][batch][I]; 1: X [batch][seq][I] */ \
    F(float, clip, F32)                              /* > 0: clamp gate pre-activations to [-clip, clip] */ \
    F(int32_t, input_forget, INT)                    /* LSTM: f = 1 - i */                         \
    F(int32_t, linear_before_reset, INT)             /* GRU */
typedef struct kiln_rnn_f32_params {
    KILN_FIELDS(KILN_RNN_F32_PARAMS_FIELDS)
} kiln_rnn_f32_params;

size_t kiln_lstm_f32_scratch_size(const kiln_rnn_f32_params *p);
void kiln_lstm_f32(const kiln_rnn_f32_params *p, const float *x, const float *w, const float *r,
                   const float *b, const int32_t *seq_lens, const float *init_h,
                   const float *init_c, const float *peep, float *y, float *y_h, float *y_c,
                   void *scratch);

size_t kiln_gru_f32_scratch_size(const kiln_rnn_f32_params *p);
void kiln_gru_f32(const kiln_rnn_f32_params *p, const float *x, const float *w, const float *r,
                  const float *b, const int32_t *seq_lens, const float *init_h, float *y,
                  float *y_h, void *scratch);

/* ---- SVDF (TFLite, stateful) ----------------------------------------------
 * One invocation of TFLite's SVDF on X [batch][input]: the state
 * S [batch][filters][memory] (in the caller's arena, kept between runs) is
 * shifted left by one element as a whole, S[b][f][memory-1] = Wf[f] . X[b],
 * then Y[b][u] = act(B[u] + sum_{r<rank} Wt[u*rank+r] . S[b][u*rank+r]),
 * every sum in float from 0 in index order, as TFLite-Micro's reference
 * kernel.  Wf [filters][input], Wt [filters][memory], B [units] or NULL. */
#define KILN_SVDF_F32_PARAMS_FIELDS(F, A, S)                                                       \
    F(int32_t, batch, INT) F(int32_t, input_size, INT) F(int32_t, filters, INT) F(int32_t, units, INT) F(int32_t, rank, INT) F(int32_t, memory, INT) \
    F(float, act_lo, F32) F(float, act_hi, F32)
typedef struct kiln_svdf_f32_params {
    KILN_FIELDS(KILN_SVDF_F32_PARAMS_FIELDS)
} kiln_svdf_f32_params;

void kiln_svdf_f32(const kiln_svdf_f32_params *p, const float *x, const float *wf, const float *wt,
                   const float *b, float *state, float *y);

#ifdef __cplusplus
}
#endif
#endif
