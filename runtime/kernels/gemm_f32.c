/*
 * gemm_f32.c - the portable float32 GEMM micro-kernels and the one place
 * that decides which tile shapes run as which micro-kernel (gemm_f32.h).
 *
 * Each micro-kernel is the same C body instantiated for a fixed R x V: R*V
 * accumulators that the compiler keeps in registers, one B row of V columns
 * loaded per k and multiplied by each row's A(i, k).  On the host the
 * compiler vectorises the V columns (-O3; gcc must not unroll that loop
 * before the vectoriser sees it, hence the pragmas); on a core without SIMD
 * both loops are unrolled completely.  The Cortex-M7's 2x16, 2x8, 1x16 and
 * 1x8 tiles are assembly (gemm_f32_fpv5.c); other shapes split into
 * supported ones here.
 * Relies on the drivers for readable A rows and padded B columns; never
 * allocates.
 */
#include "gemm_f32.h"

#if defined(__clang__)
#define KF32_ROW_LOOP
#define KF32_COL_LOOP
#elif defined(__GNUC__) && (defined(__SSE2__) || defined(__ARM_NEON) || defined(__ALTIVEC__))
#define KF32_ROW_LOOP _Pragma("GCC unroll 16")
#define KF32_COL_LOOP _Pragma("GCC unroll 1")
#elif defined(__GNUC__)
#define KF32_ROW_LOOP _Pragma("GCC unroll 16")
#define KF32_COL_LOOP _Pragma("GCC unroll 16")
#else
#define KF32_ROW_LOOP
#define KF32_COL_LOOP
#endif

/* One micro-kernel: accumulate, then store through the epilogue.  Full
 * tiles store every column in one vectorisable loop; edge tiles stop at nv. */
#define KF32_TILE_FN(NAME, R, V)                                                                   \
    static void NAME(const kf32_tile *t, const float *const *a)                                    \
    {                                                                                              \
        float acc[R][V];                                                                           \
        const float *restrict b = t->b;                                                            \
        const ptrdiff_t b_ks = t->b_ks, a_ks = t->a_ks;                                            \
        if (t->bias_col) {                                                                         \
            KF32_ROW_LOOP for (int i = 0; i < (R); i++)                                            \
                KF32_COL_LOOP for (int j = 0; j < (V); j++) acc[i][j] = t->bias_col[j];           \
        } else {                                                                                   \
            KF32_ROW_LOOP for (int i = 0; i < (R); i++)                                            \
                KF32_COL_LOOP for (int j = 0; j < (V); j++) acc[i][j] = t->bias_row[i];           \
        }                                                                                          \
        const int32_t kpt = t->k / t->taps;                                                        \
        for (int32_t tp = 0, k = 0; tp < t->taps; tp++) {                                          \
            const float *restrict bt = t->b_tap ? b + t->b_tap[tp] : b;                            \
            for (int32_t kk = 0; kk < kpt; kk++, k++) {                                            \
                const float *restrict bk = bt + kk * b_ks;                                         \
                const ptrdiff_t ak = k * a_ks;                                                     \
                KF32_ROW_LOOP for (int i = 0; i < (R); i++) {                                      \
                    const float ai = a[i][ak];                                                     \
                    KF32_COL_LOOP for (int j = 0; j < (V); j++) acc[i][j] = KF32_FMA(ai, bk[j], acc[i][j]); \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        const kiln_f32_epilogue *e = t->epi;                                                       \
        const int32_t nv = t->nv < (V) ? t->nv : (V);                                              \
        KF32_ROW_LOOP for (int i = 0; i < (R); i++) {                                              \
            if (i >= t->nr)                                                                        \
                break;                                                                             \
            float *restrict ci = t->c + i * t->c_rs;                                               \
            const float *ri = t->res ? t->res + i * t->c_rs : NULL;                                \
            if (t->c_col) {                                                                        \
                for (int j = 0; j < (V); j++) {                                                    \
                    const int32_t o = t->c_col[j];                                                 \
                    if (o >= 0)                                                                    \
                        ci[o] = kf32_act(ri ? acc[i][j] + ri[o] : acc[i][j], e);                   \
                }                                                                                  \
            } else if (nv == (V) && ri) {                                                          \
                KF32_COL_LOOP for (int j = 0; j < (V); j++) ci[j] = kf32_act(acc[i][j] + ri[j], e); \
            } else if (nv == (V)) {                                                                \
                KF32_COL_LOOP for (int j = 0; j < (V); j++) ci[j] = kf32_act(acc[i][j], e);       \
            } else {                                                                               \
                for (int j = 0; j < nv; j++)                                                       \
                    ci[j] = kf32_act(ri ? acc[i][j] + ri[j] : acc[i][j], e);                       \
            }                                                                                      \
        }                                                                                          \
    }

typedef void (*tile_fn)(const kf32_tile *t, const float *const *a);

/* The shapes each target runs directly.  NHWC tiles: KF32_ROWS (or 1)
 * pixels by a panel of 16, 8 or 4 channels; NCHW tiles: a panel of 8 or 4
 * channels by KF32_COLS (or 16 or 8 for short rows; or, at a row's end, 1)
 * pixels. */
#define SHAPE(r, v) ((r) * 256 + (v))
#if defined(KF32_VFP_FMA)
void kiln_f32_fpv5_2x16(const kf32_tile *t, const float *const *a);
void kiln_f32_fpv5_2x8(const kf32_tile *t, const float *const *a);
void kiln_f32_fpv5_1x16(const kf32_tile *t, const float *const *a);
void kiln_f32_fpv5_1x8(const kf32_tile *t, const float *const *a);
KF32_TILE_FN(tile_2x4, 2, 4)
KF32_TILE_FN(tile_1x4, 1, 4)
KF32_TILE_FN(tile_4x4, 4, 4)
KF32_TILE_FN(tile_4x1, 4, 1)
static tile_fn find_tile(int32_t R, int32_t V)
{
    switch (SHAPE(R, V)) {
    case SHAPE(2, 16): return kiln_f32_fpv5_2x16;
    case SHAPE(2, 8): return kiln_f32_fpv5_2x8;
    case SHAPE(1, 16): return kiln_f32_fpv5_1x16;
    case SHAPE(1, 8): return kiln_f32_fpv5_1x8;
    case SHAPE(2, 4): return tile_2x4;
    case SHAPE(1, 4): return tile_1x4;
    case SHAPE(4, 4): return tile_4x4;
    case SHAPE(4, 1): return tile_4x1;
    default: return NULL;
    }
}
#define KF32_MAX_V 16
#define KF32_MAX_R 4
#else
KF32_TILE_FN(nhwc_16, KF32_ROWS, 16)
KF32_TILE_FN(nhwc_8, KF32_ROWS, 8)
KF32_TILE_FN(nhwc_4, KF32_ROWS, 4)
KF32_TILE_FN(row_16, 1, 16)
KF32_TILE_FN(row_8, 1, 8)
KF32_TILE_FN(row_4, 1, 4)
KF32_TILE_FN(nchw_8, 8, KF32_COLS)
KF32_TILE_FN(nchw_4, 4, KF32_COLS)
KF32_TILE_FN(col_8, 8, 1)
KF32_TILE_FN(col_4, 4, 1)
KF32_TILE_FN(nchw_8x16, 8, 16)
KF32_TILE_FN(nchw_4x16, 4, 16)
KF32_TILE_FN(nchw_8x8, 8, 8)
KF32_TILE_FN(nchw_4x8, 4, 8)
static tile_fn find_tile(int32_t R, int32_t V)
{
    /* Not a switch: KF32_ROWS and KF32_COLS may coincide with the other
     * shapes' numbers. */
    if (R == KF32_ROWS && V == 16) return nhwc_16;
    if (R == KF32_ROWS && V == 8) return nhwc_8;
    if (R == KF32_ROWS && V == 4) return nhwc_4;
    if (R == 1 && V == 16) return row_16;
    if (R == 1 && V == 8) return row_8;
    if (R == 1 && V == 4) return row_4;
    if (R == 8 && V == KF32_COLS) return nchw_8;
    if (R == 4 && V == KF32_COLS) return nchw_4;
    if (R == 8 && V == 1) return col_8;
    if (R == 4 && V == 1) return col_4;
    if (R == 8 && V == 16) return nchw_8x16;   /* narrower NCHW tiles for short rows */
    if (R == 4 && V == 16) return nchw_4x16;
    if (R == 8 && V == 8) return nchw_8x8;
    if (R == 4 && V == 8) return nchw_4x8;
    return NULL;
}
#define KF32_MAX_V KF32_COLS_MAX
#define KF32_MAX_R 8
#endif

/* Any other shape: halve the columns while wider than the widest micro-
 * kernel, else the rows (every shape the drivers ask for reduces to a
 * supported one).  Halves with nothing to store are skipped. */
void kiln_f32_tile_run(const kf32_tile *t, const float *const *a, int32_t R, int32_t V)
{
    const tile_fn fn = find_tile(R, V);
    if (fn) {
        fn(t, a);
        return;
    }
    kf32_tile hi = *t;
    if (V > 1 && (V > KF32_MAX_V || R <= KF32_MAX_R)) {
        const int32_t h = V / 2;
        hi.b += h;
        if (hi.bias_col)
            hi.bias_col += h;
        if (hi.c_col)
            hi.c_col += h;
        else
            hi.c += h;
        if (hi.res && !hi.c_col)
            hi.res += h;
        hi.nv = t->nv - h;
        kf32_tile lo = *t;
        lo.nv = t->nv < h ? t->nv : h;
        kiln_f32_tile_run(&lo, a, R, h);
        if (hi.nv > 0)
            kiln_f32_tile_run(&hi, a, R, V - h);
        return;
    }
    const int32_t h = R / 2;
    if (hi.bias_row)
        hi.bias_row += h;
    hi.c += h * t->c_rs;
    if (hi.res)
        hi.res += h * t->c_rs;
    hi.nr = t->nr - h;
    kf32_tile lo = *t;
    lo.nr = t->nr < h ? t->nr : h;
    kiln_f32_tile_run(&lo, a, h, V);
    if (hi.nr > 0)
        kiln_f32_tile_run(&hi, a + h, R - h, V);
}
