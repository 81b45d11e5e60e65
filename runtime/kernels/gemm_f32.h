/*
 * gemm_f32.h - the register-blocked float32 GEMM tile the packed kernels are
 * built from (internal to runtime/kernels; not installed with include/kiln).
 *
 * A tile computes R rows i by V columns j of
 *     C(i, j) = epilogue(bias + sum_{k < K} A(i, k) * B(k, j))
 * with A(i, k) = a[i][k * a_ks] (one pointer per row: im2col rows, input
 * pixels read in place, or the rows of a weight panel) and B(k, j) =
 * b[k * b_ks + j] (a weight panel, or pixels of an NCHW input row).  The sum
 * runs k = 0, 1, ... K-1 in one accumulator per output (fused multiply-add
 * where the FPU has one), starting from the bias.  Rows past t->nr and
 * columns past t->nv are computed and dropped: their A rows must still be
 * readable (the drivers repeat a valid row) and their B columns are inside
 * the weight panel (zero padded) or an im2col block (zero padded).
 *
 * Which (R, V) shapes have a micro-kernel depends on the target: the host's
 * compiler vectorises the columns (widths for AVX-512, AVX2, NEON), the
 * Cortex-M7 (and M4) runs 2x8, 1x8 and 1x16 tiles in FPv5 assembly (VLDM of the packed
 * weights, VFMA into 16 of its 32 single registers).  kiln_f32_tile_run() splits
 * any other shape into those, so callers only pick R and V from the layout.
 * The shapes are decided here, in one place, never in the callers.
 */
#ifndef KILN_GEMM_F32_H
#define KILN_GEMM_F32_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/kernels_f32.h"

/* The multiply-add: fused (one rounding) where the FPU has it, as the
 * compiler reports with __FP_FAST_FMAF; a multiply then an add elsewhere. */
#if defined(__GNUC__) && defined(__FP_FAST_FMAF)
#define KF32_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define KF32_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* Cortex-M with a single-precision FPU that has VFMA and 32 single
 * registers: FPv4-SP (Cortex-M4) and FPv5 (M7, M33). */
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_FEATURE_FMA) && defined(__thumb2__) && \
    !defined(__ARM_NEON) && defined(__GNUC__)
#define KF32_VFP_FMA 1
#endif

/* Tile shapes.  KF32_ROWS: output pixels per NHWC tile (the weight panel
 * gives the columns).  KF32_COLS: output pixels per NCHW tile (the panel
 * gives the rows); never above KF32_COLS_MAX, which the compiler's NCHW
 * im2col blocks are a multiple of. */
#define KF32_COLS_MAX KILN_F32_COLS_MAX
#if defined(KF32_VFP_FMA)
#define KF32_ROWS 2
#define KF32_COLS 4
#elif defined(__AVX512F__)
#define KF32_ROWS 8
#define KF32_COLS 32
#elif defined(__AVX__) || defined(__aarch64__)
#define KF32_ROWS 4
#define KF32_COLS 8
#else
#define KF32_ROWS 4
#define KF32_COLS 8
#endif

typedef struct kf32_tile {
    int32_t k;                  /* reduction length */
    ptrdiff_t a_ks;             /* A(i, k) = a[i][k * a_ks] */
    const float *b;             /* B(k, j) = b[k * b_ks + j] */
    ptrdiff_t b_ks;
    /* With taps > 1 the reduction is taps runs of k/taps steps, run t
     * reading B(t*k/taps + kk, j) = b[b_tap[t] + kk * b_ks + j] (the taps of
     * a window over a padded NCHW input).  The assembly tiles take taps == 1
     * only (NHWC never uses taps). */
    int32_t taps;
    const ptrdiff_t *b_tap;
    const float *bias_col;      /* per column (NHWC: the panel's bias), or NULL */
    const float *bias_row;      /* per row (NCHW), or NULL; exactly one is set */
    float *c;                   /* C(i, j) = c[i * c_rs + j] */
    ptrdiff_t c_rs;
    /* Or, when set, C(i, j) = c[i * c_rs + c_col[j]] and column j is dropped
     * where c_col[j] < 0 (tiles over a padded NCHW plane's rows, whose
     * padding columns are computed but not stored; portable tiles only). */
    const int32_t *c_col;
    const float *res;           /* added before the activation, same index as C; or NULL */
    int32_t nr, nv;             /* rows and columns stored */
    const kiln_f32_epilogue *epi;
} kf32_tile;

/* Computes and stores one tile of R rows (a[0..R-1]) by V columns. */
void kiln_f32_tile_run(const kf32_tile *t, const float *const *a, int32_t R, int32_t V);

/* Depthwise on FPv5/FPv4 cores: one or two output pixels by 8 channels of
 * an NHWC depthwise convolution over a rectangle of its (2-D) window's taps
 * (the taps inside the input; both pixels must have the same rectangle),
 * summed over the taps in (kh, kw) order, clamped and stored (no residual,
 * no LeakyReLU).  x0: pixel 0's input at the rectangle's first tap and the
 * first channel; w: that tap's 8 weights.  Byte strides, so the assembly
 * adds them as they are. */
typedef struct kf32_dw_pair {
    int32_t tap_w;          /* bytes between taps of a window row */
    int32_t tap_h;          /* bytes between window rows */
    int32_t kw, kh;         /* taps per row, rows (both >= 1) */
    int32_t px;             /* bytes from pixel 0's input to pixel 1's */
    int32_t w_skip;         /* bytes between tap weight rows, less the 32 read */
    int32_t w_row_skip;     /* bytes of weights skipped after each window row */
    const float *bias;      /* 8 */
    float *y0, *y1;         /* 8 outputs each (y1 unused by the single pixel) */
    const float *ep;        /* clamp bounds {lo, hi} */
    int32_t mode;           /* kf32_clamp_mode() */
} kf32_dw_pair;
void kiln_f32_fpv5_dw_2x8(const kf32_dw_pair *d, const float *x0, const float *w);
void kiln_f32_fpv5_dw_1x8(const kf32_dw_pair *d, const float *x0, const float *w);

/* Which clamps an epilogue needs: bit 0 below, bit 1 above. */
static inline int32_t kf32_clamp_mode(const kiln_f32_epilogue *e)
{
    return (e->act_lo > -HUGE_VALF ? 1 : 0) | (e->act_hi < HUGE_VALF ? 2 : 0);
}

/* The epilogue's activation (after the bias and any residual). */
static inline float kf32_act(float v, const kiln_f32_epilogue *e)
{
    if (e->leaky && v < 0.0f)
        v *= e->alpha;
    if (e->maxc)
        v = v > e->maxc_value ? v : e->maxc_value;
    if (v < e->act_lo)
        v = e->act_lo;
    if (v > e->act_hi)
        v = e->act_hi;
    return v;
}

#endif
