/*
 * gemm_f32_fpv5.c - the float32 micro-kernels for Cortex-M cores whose
 * single-precision FPU has VFMA and 32 single registers (FPv5: Cortex-M7;
 * FPv4-SP: Cortex-M4): GEMM tiles of 2x16, 2x8, 1x16 and 1x8 (gemm_f32.h
 * says what a tile computes) and the depthwise 2-pixel x 8-channel tile,
 * their inner loops in assembly.
 *
 * Why assembly: the FPU has 32 single registers and VLDM loads up to 16 of
 * them in one instruction, but compilers emit one VLDR per float.  Here one
 * VLDM brings the 8 packed weights of a k step, one VLDM four A values of a
 * row, and each weight feeds one VFMA per row: 2x8 runs 64 multiply-adds
 * per 72 instructions (s0-s15 accumulate, s16-s23 weights, s24-s31 A).  Each output is one accumulator, summed k = 0, 1, ... as the
 * portable kernels do.  A full tile without residual or LeakyReLU also
 * clamps and stores in assembly: VCMP, VMRS and a conditional VMOV per
 * bound, so a NaN passes through exactly as in the C epilogue (no VMAXNM,
 * which would turn it into the bound).  Other tiles store through C.
 * Compiled only where KF32_VFP_FMA holds; elsewhere this file is empty.
 */
#include "gemm_f32.h"

#if defined(KF32_VFP_FMA)
#include <stdint.h>

/* out = epilogue(acc) for nr rows and nv columns; acc is [R][V]. */
static void store_acc(const kf32_tile *t, const float *acc, int32_t V, int32_t nr, int32_t nv)
{
    const kiln_f32_epilogue *e = t->epi;
    for (int32_t i = 0; i < nr; i++) {
        float *ci = t->c + i * t->c_rs;
        const float *ai = acc + i * V;
        const float *ri = t->res ? t->res + i * t->c_rs : NULL;
        for (int32_t j = 0; j < nv; j++)
            ci[j] = kf32_act(ri ? ai[j] + ri[j] : ai[j], e);
    }
}

#define clamp_mode kf32_clamp_mode

/* VFMA of one A value (register x) into 8 accumulators from 8 weights. */
#define FMA8(d0, d1, d2, d3, d4, d5, d6, d7, x, w0, w1, w2, w3, w4, w5, w6, w7)                      \
    "vfma.f32 " d0 ", " x ", " w0 "\n\t"                                                           \
    "vfma.f32 " d1 ", " x ", " w1 "\n\t"                                                           \
    "vfma.f32 " d2 ", " x ", " w2 "\n\t"                                                           \
    "vfma.f32 " d3 ", " x ", " w3 "\n\t"                                                           \
    "vfma.f32 " d4 ", " x ", " w4 "\n\t"                                                           \
    "vfma.f32 " d5 ", " x ", " w5 "\n\t"                                                           \
    "vfma.f32 " d6 ", " x ", " w6 "\n\t"                                                           \
    "vfma.f32 " d7 ", " x ", " w7 "\n\t"
#define FMA8_X(...) FMA8(__VA_ARGS__)
#define ACC_LO "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"
#define ACC_HI "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15"
#define W_A "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15"
#define W_B "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23"
#define X_B "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31"

/* Exact clamps of one register against s30 (low) and s31 (high): the
 * comparison is false for a NaN, which is kept. */
#define CLO(r) "vcmp.f32 s30, " r "\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 " r ", s30\n\t"
#define CHI(r) "vcmp.f32 " r ", s31\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 " r ", s31\n\t"
#define CLO8(r0, r1, r2, r3, r4, r5, r6, r7) CLO(r0) CLO(r1) CLO(r2) CLO(r3) CLO(r4) CLO(r5) CLO(r6) CLO(r7)
#define CHI8(r0, r1, r2, r3, r4, r5, r6, r7) CHI(r0) CHI(r1) CHI(r2) CHI(r3) CHI(r4) CHI(r5) CHI(r6) CHI(r7)
#define CLO8_X(...) CLO8(__VA_ARGS__)
#define CHI8_X(...) CHI8(__VA_ARGS__)

/* What the assembly epilogue does (ep points at it): the residual at
 * c + resoff bytes added (mode bit 4), the clamps (bits 1 below, 2 above),
 * then the stores to c0 (c1).  With mode 0 it only stores (to a buffer the
 * C epilogue reads).  %[k] and %[a0] are free by then and hold the mode and
 * the offset. */
typedef struct epi_args {
    float lo, hi;
    int32_t mode;
    int32_t resoff;
} epi_args;
#define EPI_RESIDUAL 4

#define VADD8(d0, d1, d2, d3, d4, d5, d6, d7, r0, r1, r2, r3, r4, r5, r6, r7)                        \
    "vadd.f32 " d0 ", " d0 ", " r0 "\n\t"                                                           \
    "vadd.f32 " d1 ", " d1 ", " r1 "\n\t"                                                           \
    "vadd.f32 " d2 ", " d2 ", " r2 "\n\t"                                                           \
    "vadd.f32 " d3 ", " d3 ", " r3 "\n\t"                                                           \
    "vadd.f32 " d4 ", " d4 ", " r4 "\n\t"                                                           \
    "vadd.f32 " d5 ", " d5 ", " r5 "\n\t"                                                           \
    "vadd.f32 " d6 ", " d6 ", " r6 "\n\t"                                                           \
    "vadd.f32 " d7 ", " d7 ", " r7 "\n\t"
#define VADD8_X(...) VADD8(__VA_ARGS__)
#define ADD_RES(acc, c)                                                                            \
    "ldr %[a0], [%[ep], #12]\n\t"                                                                  \
    "add %[a0], %[a0], " c "\n\t"                                                                  \
    "vldmia %[a0], {s16-s23}\n\t"                                                                  \
    VADD8_X(acc, W_B)

#define EPILOGUE_1                                                                                 \
    "vldmia %[ep], {s30-s31}\n\t"                                                                  \
    "ldr %[k], [%[ep], #8]\n\t"                                                                    \
    "tst %[k], #4\n\t"                                                                             \
    "beq 7f\n\t"                                                                                   \
    ADD_RES(ACC_LO, "%[c0]")                                                                       \
    "7:\n\t"                                                                                       \
    "tst %[k], #1\n\t"                                                                             \
    "beq 5f\n\t"                                                                                   \
    CLO8_X(ACC_LO)                                                                                 \
    "5:\n\t"                                                                                       \
    "tst %[k], #2\n\t"                                                                             \
    "beq 6f\n\t"                                                                                   \
    CHI8_X(ACC_LO)                                                                                 \
    "6:\n\t"                                                                                       \
    "vstmia %[c0], {s0-s7}\n\t"
#define EPILOGUE_2                                                                                 \
    "vldmia %[ep], {s30-s31}\n\t"                                                                  \
    "ldr %[k], [%[ep], #8]\n\t"                                                                    \
    "tst %[k], #4\n\t"                                                                             \
    "beq 7f\n\t"                                                                                   \
    ADD_RES(ACC_LO, "%[c0]")                                                                       \
    ADD_RES(ACC_HI, "%[c1]")                                                                       \
    "7:\n\t"                                                                                       \
    "tst %[k], #1\n\t"                                                                             \
    "beq 5f\n\t"                                                                                   \
    CLO8_X(ACC_LO)                                                                                 \
    CLO8_X(ACC_HI)                                                                                 \
    "5:\n\t"                                                                                       \
    "tst %[k], #2\n\t"                                                                             \
    "beq 6f\n\t"                                                                                   \
    CHI8_X(ACC_LO)                                                                                 \
    CHI8_X(ACC_HI)                                                                                 \
    "6:\n\t"                                                                                       \
    "vstmia %[c0], {s0-s7}\n\t"                                                                    \
    "vstmia %[c1], {s8-s15}\n\t"

#define CLOBBER_S                                                                                  \
    "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", \
        "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", \
        "s28", "s29", "s30", "s31"

/* Two rows of 8 columns: k in fours (one VLDM of four A values per row:
 * s24-s27 row 0, s28-s31 row 1), then single steps.  B rows are 8 floats
 * apart (the VLDM writes the pointer back), or 8 + skip/4 in the _skip
 * variant (the halves of a 16-wide panel). */
#define STEP_2x8(x0, x1, adv)                                                                      \
    "vldmia %[b]!, {s16-s23}\n\t"                                                                  \
    adv                                                                                            \
    FMA8_X(ACC_LO, x0, W_B)                                                                        \
    FMA8_X(ACC_HI, x1, W_B)
#define MK_2x8(name, adv)                                                                          \
    static void name(const float *a0, const float *a1, const float *b, int32_t k, int32_t skip,   \
                     const float *i0, const float *i1, float *c0, float *c1, const epi_args *ep)                                                                 \
    {                                                                                              \
        __asm__ volatile(                                                                          \
            "vldmia %[i0], {s0-s7}\n\t"                                                            \
            "vldmia %[i1], {s8-s15}\n\t"                                                           \
            "subs %[k], %[k], #4\n\t"                                                              \
            "blt 2f\n"                                                                              \
            "1:\n\t"                                                                               \
            "vldmia %[a0]!, {s24-s27}\n\t"                                                         \
            "vldmia %[a1]!, {s28-s31}\n\t"                                                         \
            STEP_2x8("s24", "s28", adv)                                                            \
            STEP_2x8("s25", "s29", adv)                                                            \
            STEP_2x8("s26", "s30", adv)                                                            \
            STEP_2x8("s27", "s31", adv)                                                            \
            "subs %[k], %[k], #4\n\t"                                                              \
            "bge 1b\n"                                                                              \
            "2:\n\t"                                                                               \
            "adds %[k], %[k], #4\n\t"                                                              \
            "beq 3f\n"                                                                              \
            "4:\n\t"                                                                               \
            "vldmia %[a0]!, {s24}\n\t"                                                             \
            "vldmia %[a1]!, {s28}\n\t"                                                             \
            STEP_2x8("s24", "s28", adv)                                                            \
            "subs %[k], %[k], #1\n\t"                                                              \
            "bne 4b\n"                                                                              \
            "3:\n\t"                                                                               \
            EPILOGUE_2                                                                             \
            : [a0] "+r"(a0), [a1] "+r"(a1), [b] "+r"(b), [k] "+r"(k)                               \
            : [i0] "r"(i0), [i1] "r"(i1), [skip] "r"(skip), [c0] "r"(c0), [c1] "r"(c1),            \
              [ep] "r"(ep)                                                                         \
            : CLOBBER_S, "cc", "memory");                                                          \
    }
MK_2x8(mk_2x8, "")
MK_2x8(mk_2x8_skip, "add %[b], %[b], %[skip]\n\t")

/* One row of 8 columns: k in fours (one VLDM of four A values), then
 * single steps; B rows 8 floats apart, or 8 + skip/4 (_skip). */
#define MK_1x8(name, adv)                                                                          \
    static void name(const float *a0, const float *b, int32_t k, int32_t skip, const float *i0,   \
                     float *c0, const epi_args *ep)                                                \
    {                                                                                              \
        __asm__ volatile(                                                                          \
            "vldmia %[i0], {s0-s7}\n\t"                                                            \
            "subs %[k], %[k], #4\n\t"                                                              \
            "blt 2f\n"                                                                              \
            "1:\n\t"                                                                               \
            "vldmia %[a0]!, {s24-s27}\n\t"                                                         \
            "vldmia %[b]!, {s8-s15}\n\t"                                                           \
            adv                                                                                    \
            "vldmia %[b]!, {s16-s23}\n\t"                                                          \
            adv                                                                                    \
            FMA8_X(ACC_LO, "s24", W_A)                                                             \
            FMA8_X(ACC_LO, "s25", W_B)                                                             \
            "vldmia %[b]!, {s8-s15}\n\t"                                                           \
            adv                                                                                    \
            "vldmia %[b]!, {s16-s23}\n\t"                                                          \
            adv                                                                                    \
            FMA8_X(ACC_LO, "s26", W_A)                                                             \
            FMA8_X(ACC_LO, "s27", W_B)                                                             \
            "subs %[k], %[k], #4\n\t"                                                              \
            "bge 1b\n"                                                                              \
            "2:\n\t"                                                                               \
            "adds %[k], %[k], #4\n\t"                                                              \
            "beq 3f\n"                                                                              \
            "4:\n\t"                                                                               \
            "vldmia %[a0]!, {s24}\n\t"                                                             \
            "vldmia %[b]!, {s8-s15}\n\t"                                                           \
            adv                                                                                    \
            FMA8_X(ACC_LO, "s24", W_A)                                                             \
            "subs %[k], %[k], #1\n\t"                                                              \
            "bne 4b\n"                                                                              \
            "3:\n\t"                                                                               \
            EPILOGUE_1                                                                             \
            : [a0] "+r"(a0), [b] "+r"(b), [k] "+r"(k)                                              \
            : [i0] "r"(i0), [skip] "r"(skip), [c0] "r"(c0), [ep] "r"(ep)                           \
            : CLOBBER_S, "cc", "memory");                                                          \
    }
MK_1x8(mk_1x8, "")
MK_1x8(mk_1x8_skip, "add %[b], %[b], %[skip]\n\t")

/* One row of a 16-wide panel (B rows contiguous): each k step's 16 weights
 * as two VLDMs of 8, k in fours. */
static void mk_1x16(const float *a0, const float *b, int32_t k, const float *i0, float *c0,
                    float *c1, const epi_args *ep)
{
    __asm__ volatile(
        "vldmia %[i0], {s0-s15}\n\t"
        "subs %[k], %[k], #4\n\t"
        "blt 2f\n"
        "1:\n\t"
        "vldmia %[a0]!, {s24-s27}\n\t"
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_LO, "s24", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_HI, "s24", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_LO, "s25", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_HI, "s25", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_LO, "s26", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_HI, "s26", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_LO, "s27", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_HI, "s27", W_B)
        "subs %[k], %[k], #4\n\t"
        "bge 1b\n"
        "2:\n\t"
        "adds %[k], %[k], #4\n\t"
        "beq 3f\n"
        "4:\n\t"
        "vldmia %[a0]!, {s24}\n\t"
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_LO, "s24", W_B)
        "vldmia %[b]!, {s16-s23}\n\t"
        FMA8_X(ACC_HI, "s24", W_B)
        "subs %[k], %[k], #1\n\t"
        "bne 4b\n"
        "3:\n\t"
        EPILOGUE_2
        : [a0] "+r"(a0), [b] "+r"(b), [k] "+r"(k)
        : [i0] "r"(i0), [c0] "r"(c0), [c1] "r"(c1), [ep] "r"(ep)
        : CLOBBER_S, "cc", "memory");
}

/* The starting value of a row's accumulators: the panel's bias (columns
 * from col), or the row's bias repeated into init. */
static const float *row_init(const kf32_tile *t, float *init, int32_t i, int32_t col)
{
    if (t->bias_col)
        return t->bias_col + col;
    for (int32_t j = 0; j < 8; j++)
        init[j] = t->bias_row[i];
    return init;
}

/* Whether a tile's columns [col, col + 8) go out straight from the
 * registers: every row and column stored, the epilogue a residual and a
 * clamp at most. */
static int direct_store(const kf32_tile *t, int32_t rows, int32_t col, int32_t width)
{
    return t->nr >= rows && t->nv >= col + width && !t->epi->leaky && !t->epi->maxc;
}

/* The assembly epilogue of a tile: everything when direct, else only the
 * store (mode 0) into the buffer store_acc() reads. */
static void epi_of(const kf32_tile *t, int direct, epi_args *ea)
{
    ea->lo = t->epi->act_lo;
    ea->hi = t->epi->act_hi;
    ea->mode = direct ? clamp_mode(t->epi) | (t->res ? EPI_RESIDUAL : 0) : 0;
    ea->resoff = t->res ? (int32_t)((uintptr_t)t->res - (uintptr_t)t->c) : 0;
}

/* Columns [col, col + 8) of a 2-row tile. */
static void tile_2x8_at(const kf32_tile *t, const float *const *a, int32_t col)
{
    float acc[16], init0[8], init1[8];
    epi_args ea;
    const int direct = direct_store(t, 2, col, 8);
    epi_of(t, direct, &ea);
    float *c0 = direct ? t->c + col : acc, *c1 = direct ? t->c + t->c_rs + col : acc + 8;
    const int32_t skip = (int32_t)(t->b_ks - 8) * 4;
    (skip ? mk_2x8_skip : mk_2x8)(a[0], a[1], t->b + col, t->k, skip, row_init(t, init0, 0, col),
                                  row_init(t, init1, 1, col), c0, c1, &ea);
    if (!direct) {
        kf32_tile u = *t;
        u.c += col;
        if (u.res)
            u.res += col;
        store_acc(&u, acc, 8, t->nr < 2 ? t->nr : 2, t->nv - col < 8 ? t->nv - col : 8);
    }
}

void kiln_f32_fpv5_2x8(const kf32_tile *t, const float *const *a)
{
    tile_2x8_at(t, a, 0);
}

void kiln_f32_fpv5_2x16(const kf32_tile *t, const float *const *a)
{
    tile_2x8_at(t, a, 0);
    if (t->nv > 8)
        tile_2x8_at(t, a, 8);
}

void kiln_f32_fpv5_1x8(const kf32_tile *t, const float *const *a)
{
    float acc[8], init0[8];
    epi_args ea;
    const int direct = direct_store(t, 1, 0, 8);
    epi_of(t, direct, &ea);
    const int32_t skip = (int32_t)(t->b_ks - 8) * 4;
    (skip ? mk_1x8_skip : mk_1x8)(a[0], t->b, t->k, skip, row_init(t, init0, 0, 0), direct ? t->c : acc,
                                  &ea);
    if (!direct)
        store_acc(t, acc, 8, 1, t->nv < 8 ? t->nv : 8);
}

void kiln_f32_fpv5_1x16(const kf32_tile *t, const float *const *a)
{
    float acc[16], init0[16];
    epi_args ea;
    const int direct = direct_store(t, 1, 0, 16);
    epi_of(t, direct, &ea);
    const float *i0 = t->bias_col;
    if (!i0) {
        for (int32_t j = 0; j < 16; j++)
            init0[j] = t->bias_row[0];
        i0 = init0;
    }
    mk_1x16(a[0], t->b, t->k, i0, direct ? t->c : acc, direct ? t->c + 8 : acc + 8, &ea);
    if (!direct)
        store_acc(t, acc, 16, 1, t->nv < 16 ? t->nv : 16);
}

/* Lane by lane: d_i += x_i * w_i for 8 lanes. */
#define FMAV(d0, d1, d2, d3, d4, d5, d6, d7, x0, x1, x2, x3, x4, x5, x6, x7, w0, w1, w2, w3, w4, w5, w6, w7) \
    "vfma.f32 " d0 ", " x0 ", " w0 "\n\t"                                                          \
    "vfma.f32 " d1 ", " x1 ", " w1 "\n\t"                                                          \
    "vfma.f32 " d2 ", " x2 ", " w2 "\n\t"                                                          \
    "vfma.f32 " d3 ", " x3 ", " w3 "\n\t"                                                          \
    "vfma.f32 " d4 ", " x4 ", " w4 "\n\t"                                                          \
    "vfma.f32 " d5 ", " x5 ", " w5 "\n\t"                                                          \
    "vfma.f32 " d6 ", " x6 ", " w6 "\n\t"                                                          \
    "vfma.f32 " d7 ", " x7 ", " w7 "\n\t"
#define FMAV_X(...) FMAV(__VA_ARGS__)

/* Depthwise pair (gemm_f32.h): s0-s7 pixel 0, s8-s15 pixel 1, s16-s23 the
 * tap's weights, s24-s31 the tap's inputs (pixel 0, then pixel 1).  One tap
 * is 3 VLDMs and 16 VFMAs; the pointers walk by the byte strides, rows of
 * taps then rows of the window. */
void kiln_f32_fpv5_dw_2x8(const kf32_dw_pair *d, const float *x0, const float *w)
{
    const float *p0, *p1;
    int32_t cnt, rows, tw, px, ws;
    __asm__ volatile(
        "ldr %[p0], [%[d], %[o_bias]]\n\t"
        "vldmia %[p0], {s0-s7}\n\t"
        "vldmia %[p0], {s8-s15}\n\t"
        "ldr %[rows], [%[d], %[o_kh]]\n\t"
        "ldr %[tw], [%[d], %[o_tw]]\n\t"
        "ldr %[px], [%[d], %[o_px]]\n\t"
        "ldr %[ws], [%[d], %[o_ws]]\n"
        "1:\n\t"
        "ldr %[cnt], [%[d], %[o_kw]]\n\t"
        "mov %[p0], %[x0]\n"
        "2:\n\t"
        "vldmia %[w]!, {s16-s23}\n\t"
        "add %[w], %[w], %[ws]\n\t"
        "vldmia %[p0], {s24-s31}\n\t"
        FMAV_X(ACC_LO, X_B, W_B)
        "add %[p1], %[p0], %[px]\n\t"
        "vldmia %[p1], {s24-s31}\n\t"
        FMAV_X(ACC_HI, X_B, W_B)
        "add %[p0], %[p0], %[tw]\n\t"
        "subs %[cnt], %[cnt], #1\n\t"
        "bne 2b\n\t"
        "ldr %[p1], [%[d], %[o_th]]\n\t"
        "add %[x0], %[x0], %[p1]\n\t"
        "ldr %[p1], [%[d], %[o_wr]]\n\t"
        "add %[w], %[w], %[p1]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 1b\n\t"
        "ldr %[p0], [%[d], %[o_ep]]\n\t"
        "vldmia %[p0], {s30-s31}\n\t"
        "ldr %[cnt], [%[d], %[o_mode]]\n\t"
        "tst %[cnt], #1\n\t"
        "beq 5f\n\t"
        CLO8_X(ACC_LO)
        CLO8_X(ACC_HI)
        "5:\n\t"
        "tst %[cnt], #2\n\t"
        "beq 6f\n\t"
        CHI8_X(ACC_LO)
        CHI8_X(ACC_HI)
        "6:\n\t"
        "ldr %[p0], [%[d], %[o_y0]]\n\t"
        "vstmia %[p0], {s0-s7}\n\t"
        "ldr %[p0], [%[d], %[o_y1]]\n\t"
        "vstmia %[p0], {s8-s15}\n\t"
        : [x0] "+r"(x0), [w] "+r"(w), [p0] "=&r"(p0), [p1] "=&r"(p1), [cnt] "=&r"(cnt),
          [rows] "=&r"(rows), [tw] "=&r"(tw), [px] "=&r"(px), [ws] "=&r"(ws)
        : [d] "r"(d), [o_bias] "i"(offsetof(kf32_dw_pair, bias)), [o_kh] "i"(offsetof(kf32_dw_pair, kh)),
          [o_kw] "i"(offsetof(kf32_dw_pair, kw)), [o_tw] "i"(offsetof(kf32_dw_pair, tap_w)),
          [o_th] "i"(offsetof(kf32_dw_pair, tap_h)), [o_px] "i"(offsetof(kf32_dw_pair, px)),
          [o_ws] "i"(offsetof(kf32_dw_pair, w_skip)), [o_ep] "i"(offsetof(kf32_dw_pair, ep)),
          [o_mode] "i"(offsetof(kf32_dw_pair, mode)), [o_y0] "i"(offsetof(kf32_dw_pair, y0)),
          [o_y1] "i"(offsetof(kf32_dw_pair, y1)), [o_wr] "i"(offsetof(kf32_dw_pair, w_row_skip))
        : CLOBBER_S, "cc", "memory");
}

/* One pixel: s0-s7 accumulate, s16-s23 weights, s24-s31 inputs. */
void kiln_f32_fpv5_dw_1x8(const kf32_dw_pair *d, const float *x0, const float *w)
{
    const float *p0, *p1;
    int32_t cnt, rows, tw, ws;
    __asm__ volatile(
        "ldr %[p0], [%[d], %[o_bias]]\n\t"
        "vldmia %[p0], {s0-s7}\n\t"
        "ldr %[rows], [%[d], %[o_kh]]\n\t"
        "ldr %[tw], [%[d], %[o_tw]]\n\t"
        "ldr %[ws], [%[d], %[o_ws]]\n"
        "1:\n\t"
        "ldr %[cnt], [%[d], %[o_kw]]\n\t"
        "mov %[p0], %[x0]\n"
        "2:\n\t"
        "vldmia %[w]!, {s16-s23}\n\t"
        "add %[w], %[w], %[ws]\n\t"
        "vldmia %[p0], {s24-s31}\n\t"
        FMAV_X(ACC_LO, X_B, W_B)
        "add %[p0], %[p0], %[tw]\n\t"
        "subs %[cnt], %[cnt], #1\n\t"
        "bne 2b\n\t"
        "ldr %[p1], [%[d], %[o_th]]\n\t"
        "add %[x0], %[x0], %[p1]\n\t"
        "ldr %[p1], [%[d], %[o_wr]]\n\t"
        "add %[w], %[w], %[p1]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 1b\n\t"
        "ldr %[p0], [%[d], %[o_ep]]\n\t"
        "vldmia %[p0], {s30-s31}\n\t"
        "ldr %[cnt], [%[d], %[o_mode]]\n\t"
        "tst %[cnt], #1\n\t"
        "beq 5f\n\t"
        CLO8_X(ACC_LO)
        "5:\n\t"
        "tst %[cnt], #2\n\t"
        "beq 6f\n\t"
        CHI8_X(ACC_LO)
        "6:\n\t"
        "ldr %[p0], [%[d], %[o_y0]]\n\t"
        "vstmia %[p0], {s0-s7}\n\t"
        : [x0] "+r"(x0), [w] "+r"(w), [p0] "=&r"(p0), [p1] "=&r"(p1), [cnt] "=&r"(cnt),
          [rows] "=&r"(rows), [tw] "=&r"(tw), [ws] "=&r"(ws)
        : [d] "r"(d), [o_bias] "i"(offsetof(kf32_dw_pair, bias)), [o_kh] "i"(offsetof(kf32_dw_pair, kh)),
          [o_kw] "i"(offsetof(kf32_dw_pair, kw)), [o_tw] "i"(offsetof(kf32_dw_pair, tap_w)),
          [o_th] "i"(offsetof(kf32_dw_pair, tap_h)), [o_ws] "i"(offsetof(kf32_dw_pair, w_skip)),
          [o_ep] "i"(offsetof(kf32_dw_pair, ep)), [o_mode] "i"(offsetof(kf32_dw_pair, mode)),
          [o_y0] "i"(offsetof(kf32_dw_pair, y0)), [o_wr] "i"(offsetof(kf32_dw_pair, w_row_skip))
        : CLOBBER_S, "cc", "memory");
}

#else
/* ISO C wants a declaration in every translation unit. */
typedef int kf32_fpv5_unused;
#endif
