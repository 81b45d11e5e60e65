/*
 * gemm_s8.h - the inner loops of the packed int8 conv and FC kernels: int8
 * inputs expanded to int16 "slices" in scratch, and the register-blocked
 * micro-kernels that multiply them with packed weights.  Internal to the
 * runtime; layouts as in kiln/kernels_s8.h ("packed kernels").
 *
 * A slice is 4 reduction elements e0..e3 held as int16 lanes [e0 e2 e1 e3]:
 * one word [e0 e2] and one word [e1 e3].  SXTB16 of a little-endian word of
 * int8 e0 e1 e2 e3 gives the first, SXTB16 with ROR #8 the second, so int8
 * weights expand to slices in two instructions and int16 weights are stored
 * as slices.  A DSP core then does two multiply-accumulates per SMLAD.
 *
 * Micro-kernels:
 *   2x2  two output channels x two rows (pixels), the rows' slices
 *        interleaved in scratch (row 0 slice j, row 1 slice j, ...); on DSP
 *        cores whole groups run in gemm_s8_dsp.c (per slice one LDM of the
 *        inputs, the weights, 8 SMLAD), the C here is the portable path and
 *        the fallback;
 *   4x1  four output channels x one row (FULLY_CONNECTED with batch 1):
 *        on DSP cores whole groups and their requantization run in
 *        gemm_s8_dsp.c (kiln_row1_*_dsp), C elsewhere.
 * The C is written so that the host compiler vectorises it.
 * Accumulators wrap modulo 2^32 like TFLite's int32 sums (SMLAD wraps; the
 * C path sums in uint32_t).  No state, no allocation.
 */
#ifndef KILN_GEMM_S8_H
#define KILN_GEMM_S8_H

#include <stdint.h>
#include <string.h>
#include "chan_s8.h"
#include "kiln_dsp.h"

/* ---- int8 -> int16 slices ------------------------------------------------ */

/* Lane of element e (0..3) inside its slice: [e0 e2 e1 e3]. */
static inline int32_t kiln_lane(int32_t e) { return (e & 1) * 2 + (e >> 1); }

/* The two slice words of 4 int8 in one little-endian word. */
static inline void kiln_slice_of(uint32_t v, uint32_t *even, uint32_t *odd)
{
#if KILN_HAS_DSP
    uint32_t a, b;
    __asm__("sxtb16 %0, %1" : "=r"(a) : "r"(v));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(b) : "r"(v));
    *even = a;
    *odd = b;
#else
    *even = (uint32_t)(uint16_t)(int16_t)(int8_t)v | (uint32_t)(int32_t)(int8_t)(v >> 16) << 16;
    *odd = (uint32_t)(uint16_t)(int16_t)(int8_t)(v >> 8) | (uint32_t)(int32_t)(int8_t)(v >> 24) << 16;
#endif
}

static inline uint32_t kiln_ld32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* one LDR where unaligned loads are allowed (Cortex-M3 and up) */
    return v;
}

static inline void kiln_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }

/* Whole slices: nw words of int8 from src (any alignment) to the slices at
 * d, d + sstride, ...; returns the slice after the last. */
static KILN_ALWAYS_INLINE int16_t *kiln_expand_words(int16_t *d, int32_t sstride,
                                                     const int8_t *src, int32_t nw)
{
#if KILN_HAS_DSP
    /* LDR, two SXTB16, STRD per slice, the loop in assembly: the compiler
     * would split the store and keep a second counter. */
    if (nw > 0) {
        uint32_t v, a, b;
        __asm__ volatile("1: ldr %[v], [%[s]], #4\n\t"
                         "sxtb16 %[a], %[v]\n\t"
                         "sxtb16 %[b], %[v], ror #8\n\t"
                         "strd %[a], %[b], [%[d]], %[step]\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [v] "=&r"(v), [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(d),
                           [n] "+r"(nw)
                         : [step] "i"(sstride * 2)
                         : "cc", "memory");
    }
#else
    for (; nw > 0; nw--, src += 4, d += sstride) {
        uint32_t even, odd;
        kiln_slice_of(kiln_ld32(src), &even, &odd);
        kiln_st32(d, even);
        kiln_st32(d + 2, odd);
    }
#endif
    return d;
}

/* nw slices, each from the word at src, src + step, ... (a word per kernel
 * tap when a tap is 3 channels and a byte that meets a zero weight). */
static KILN_ALWAYS_INLINE int16_t *kiln_expand_taps(int16_t *d, int32_t sstride,
                                                    const int8_t *src, int32_t step, int32_t nw)
{
#if KILN_HAS_DSP
    if (nw > 0) {
        uint32_t v, a, b;
        __asm__ volatile("1: ldr %[v], [%[s]]\n\t"
                         "add %[s], %[s], %[ss]\n\t"
                         "sxtb16 %[a], %[v]\n\t"
                         "sxtb16 %[b], %[v], ror #8\n\t"
                         "strd %[a], %[b], [%[d]], %[step]\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [v] "=&r"(v), [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(d),
                           [n] "+r"(nw)
                         : [step] "i"(sstride * 2), [ss] "r"(step)
                         : "cc", "memory");
    }
#else
    for (; nw > 0; nw--, src += step, d += sstride) {
        uint32_t even, odd;
        kiln_slice_of(kiln_ld32(src), &even, &odd);
        kiln_st32(d, even);
        kiln_st32(d + 2, odd);
    }
#endif
    return d;
}

/* Two rows at once into the interleaved layout: nw words from each of
 * src0 and src1 (any alignment) become slices [row 0 | row 1] of 16 bytes;
 * returns the slice after the last.  (A pointwise conv's pixel pair.) */
static KILN_ALWAYS_INLINE int16_t *kiln_expand_pair(int16_t *d, const int8_t *src0,
                                                    const int8_t *src1, int32_t nw)
{
#if KILN_HAS_DSP
    /* Two LDR, four SXTB16, one STM of the four words per slice. */
    if (nw > 0) {
        register uint32_t a __asm__("r8"), b __asm__("r9"), c __asm__("r10"), e __asm__("r11");
        __asm__ volatile("1: ldr %[c], [%[s1]], #4\n\t"
                         "ldr %[b], [%[s0]], #4\n\t"
                         "sxtb16 %[e], %[c], ror #8\n\t"
                         "sxtb16 %[c], %[c]\n\t"
                         "sxtb16 %[a], %[b]\n\t"
                         "sxtb16 %[b], %[b], ror #8\n\t"
                         "stmia %[d]!, {%[a], %[b], %[c], %[e]}\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e),
                           [s0] "+r"(src0), [s1] "+r"(src1), [d] "+r"(d), [n] "+r"(nw)
                         :
                         : "cc", "memory");
    }
    return d;
#else
    d = kiln_expand_words(d, 8, src0, nw) - 8 * nw;
    kiln_expand_words(d + 4, 8, src1, nw);
    return d + 8 * nw;
#endif
}

/* Writes n int8 from src as reduction elements k..k+n-1 of a row whose
 * slices are `sstride` int16 apart (4: one row; 8: two rows interleaved):
 * whole slices a word at a time, any ragged start or end one by one. */
static KILN_ALWAYS_INLINE void kiln_expand(int16_t *row, int32_t sstride, int32_t k,
                                           const int8_t *src, int32_t n)
{
    if (((k | n) & 3) == 0) {
        kiln_expand_words(row + (k >> 2) * sstride, sstride, src, n >> 2);
        return;
    }
    while (n > 0 && (k & 3)) {
        row[(k >> 2) * sstride + kiln_lane(k & 3)] = *src++;
        k++, n--;
    }
    kiln_expand_words(row + (k >> 2) * sstride, sstride, src, n >> 2);
    src += n & ~3;
    k += n & ~3;
    for (n &= 3; n > 0; n--, k++)
        row[(k >> 2) * sstride + kiln_lane(k & 3)] = *src++;
}

/* Elements k..k+n-1 all equal to v (the input zero point of a padded tap). */
static KILN_ALWAYS_INLINE void kiln_fill(int16_t *row, int32_t sstride, int32_t k, int16_t v,
                                         int32_t n)
{
    const uint32_t vv = (uint32_t)(uint16_t)v * 0x10001u;
    for (; n > 0 && (k & 3); n--, k++)
        row[(k >> 2) * sstride + kiln_lane(k & 3)] = v;
    for (int16_t *d = row + (k >> 2) * sstride; n >= 4; n -= 4, k += 4, d += sstride) {
        kiln_st32(d, vv);
        kiln_st32(d + 2, vv);
    }
    for (; n > 0; n--, k++)
        row[(k >> 2) * sstride + kiln_lane(k & 3)] = v;
}

/* ---- micro-kernels ------------------------------------------------------ */

/* acc[c][r]: output channel c of the group, row r. */
typedef struct kiln_acc2x2 {
    int32_t c0r0, c0r1, c1r0, c1r1;
} kiln_acc2x2;

typedef struct kiln_acc4x1 {
    int32_t c0, c1, c2, c3;
} kiln_acc4x1;

/* 2x2 in C on every core: the two rows' slices interleaved (16 bytes per
 * slice), two channels' slices.  The DSP cores run whole groups in
 * gemm_s8_dsp.c; this is what is left over there (gemm_s8.c), and the
 * portable path, written as plain reductions over contiguous int16 (the
 * shape a host compiler at -O3 turns into vector multiply-adds, PMADDWD).
 * The int32 partial sums run over at most KILN_DOT_CHUNK slices, so they
 * cannot overflow (|sum| < 2^28); the accumulators wrap like TFLite's. */
#define KILN_DOT_CHUNK 2048

static inline void kiln_mk2x2_p16(const int16_t *x, const int16_t *w, int32_t ns, kiln_acc2x2 *acc)
{
    while (ns > 0) {
        const int32_t n = ns < KILN_DOT_CHUNK ? ns : KILN_DOT_CHUNK;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t i = 0; i < 8 * n; i += 8)
            for (int32_t l = 0; l < 4; l++) {
                s0 += x[i + l] * w[i + l], s1 += x[i + 4 + l] * w[i + l];
                s2 += x[i + l] * w[i + 4 + l], s3 += x[i + 4 + l] * w[i + 4 + l];
            }
        acc->c0r0 = (int32_t)((uint32_t)acc->c0r0 + (uint32_t)s0);
        acc->c0r1 = (int32_t)((uint32_t)acc->c0r1 + (uint32_t)s1);
        acc->c1r0 = (int32_t)((uint32_t)acc->c1r0 + (uint32_t)s2);
        acc->c1r1 = (int32_t)((uint32_t)acc->c1r1 + (uint32_t)s3);
        x += 8 * n, w += 8 * n, ns -= n;
    }
}

static inline void kiln_mk2x2_p8(const int16_t *x, const int8_t *w, int32_t ns, kiln_acc2x2 *acc)
{
    while (ns > 0) {
        const int32_t n = ns < KILN_DOT_CHUNK ? ns : KILN_DOT_CHUNK;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t i = 0; i < 8 * n; i += 8)
            for (int32_t l = 0; l < 4; l++) {
                const int32_t e = (l & 1) * 2 + (l >> 1); /* lane l holds element e */
                s0 += x[i + l] * w[i + e], s1 += x[i + 4 + l] * w[i + e];
                s2 += x[i + l] * w[i + 4 + e], s3 += x[i + 4 + l] * w[i + 4 + e];
            }
        acc->c0r0 = (int32_t)((uint32_t)acc->c0r0 + (uint32_t)s0);
        acc->c0r1 = (int32_t)((uint32_t)acc->c0r1 + (uint32_t)s1);
        acc->c1r0 = (int32_t)((uint32_t)acc->c1r0 + (uint32_t)s2);
        acc->c1r1 = (int32_t)((uint32_t)acc->c1r1 + (uint32_t)s3);
        x += 8 * n, w += 8 * n, ns -= n;
    }
}

#if !KILN_HAS_DSP
/* 4x1 in C (the portable path; a DSP core runs whole groups in
 * gemm_s8_dsp.c's kiln_row1_*_dsp). */

static inline void kiln_mk4x1_p16(const int16_t *x, const int16_t *w, int32_t ns, kiln_acc4x1 *acc)
{
    while (ns > 0) {
        const int32_t n = ns < KILN_DOT_CHUNK ? ns : KILN_DOT_CHUNK;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t j = 0; j < n; j++)
            for (int32_t l = 0; l < 4; l++) {
                s0 += x[4 * j + l] * w[16 * j + l], s1 += x[4 * j + l] * w[16 * j + 4 + l];
                s2 += x[4 * j + l] * w[16 * j + 8 + l], s3 += x[4 * j + l] * w[16 * j + 12 + l];
            }
        acc->c0 = (int32_t)((uint32_t)acc->c0 + (uint32_t)s0);
        acc->c1 = (int32_t)((uint32_t)acc->c1 + (uint32_t)s1);
        acc->c2 = (int32_t)((uint32_t)acc->c2 + (uint32_t)s2);
        acc->c3 = (int32_t)((uint32_t)acc->c3 + (uint32_t)s3);
        x += 4 * n, w += 16 * n, ns -= n;
    }
}

static inline void kiln_mk4x1_p8(const int16_t *x, const int8_t *w, int32_t ns, kiln_acc4x1 *acc)
{
    while (ns > 0) {
        const int32_t n = ns < KILN_DOT_CHUNK ? ns : KILN_DOT_CHUNK;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t j = 0; j < n; j++)
            for (int32_t l = 0; l < 4; l++) {
                const int32_t e = (l & 1) * 2 + (l >> 1);
                s0 += x[4 * j + l] * w[16 * j + e], s1 += x[4 * j + l] * w[16 * j + 4 + e];
                s2 += x[4 * j + l] * w[16 * j + 8 + e], s3 += x[4 * j + l] * w[16 * j + 12 + e];
            }
        acc->c0 = (int32_t)((uint32_t)acc->c0 + (uint32_t)s0);
        acc->c1 = (int32_t)((uint32_t)acc->c1 + (uint32_t)s1);
        acc->c2 = (int32_t)((uint32_t)acc->c2 + (uint32_t)s2);
        acc->c3 = (int32_t)((uint32_t)acc->c3 + (uint32_t)s3);
        x += 4 * n, w += 16 * n, ns -= n;
    }
}

#endif /* !KILN_HAS_DSP */

/* ---- the channel loop (gemm_s8.c) -------------------------------------- */

#if KILN_HAS_DSP
/* gemm_s8_dsp.c: groups [0, groups) of the stream over two rows, short
 * requantization into [-128, 127] (relu: KILN_RQ_SHORT_RELU, else
 * KILN_RQ_SHORT); ns slices per channel.  The words +0..+36 are the
 * routine's frame, copied as they are: the caller sets the first four per
 * call and fills stream, ns and relu once with entry = 0; the first call
 * then computes after, rest, entry, epi and chunks from ns and relu and keeps
 * them here, so that later calls (one per pixel pair) start at once. */
typedef struct kiln_rows2_args {
    int8_t *y;                 /* +0  first row's first output */
    int8_t *y1;                /* +4  second row's first output */
    const void *end;           /* +8  one past the last group */
    const int16_t *rows;       /* +12 */
    uint32_t after;            /* +16 prepared: where the body goes on */
    int32_t rest;              /* +20 prepared: 16 * ns - 512 */
    int32_t left;              /* +24 the routine's chunk counter */
    uint32_t entry;            /* +28 prepared: where the unrolled body is entered (0: not yet) */
    uint32_t epi;              /* +32 prepared: the epilogue */
    int32_t chunks;            /* +36 prepared: full 32-slice chunks after the first */
    const void *stream;        /* +40 first group */
    int32_t ns;                /* +44 >= 1 */
    int32_t relu;              /* +48 */
} kiln_rows2_args;

void kiln_rows2_p16_dsp(kiln_rows2_args *a);
void kiln_rows2_p8_dsp(kiln_rows2_args *a);

/* gemm_s8_dsp.c: the groups [stream, end) of a 4x1 stream over one row.
 * kind 0: short requantization without the sign term (KILN_RQ_SHORT_RELU),
 * 1: with it (KILN_RQ_SHORT), both into [-128, 127], outputs y[0..4*groups);
 * 2 (raw): the first group only, its four accumulators into acc.  The
 * layout of the first six words is the routine's (one LDM). */
typedef struct kiln_row1_args {
    int8_t *y;                 /* +0 */
    const int16_t *row;        /* +4 */
    const int16_t *row_end;    /* +8  row + 4 * ns, ns >= 1 */
    const void *end;           /* +12 one past the last group */
    int32_t kind;              /* +16 */
    const void *stream;        /* +20 the first group */
    int32_t acc[4];            /* +24 raw: the accumulators */
} kiln_row1_args;

void kiln_row1_p16_dsp(kiln_row1_args *a);
void kiln_row1_p8_dsp(kiln_row1_args *a);
#endif

/* The routine that runs whole groups over two rows, chosen by the kernel's
 * entry point (so an image links only the one it uses); NULL: none. */
#if KILN_HAS_DSP
typedef void (*kiln_rows2_fn)(kiln_rows2_args *a);
#define KILN_ROWS2_P16 kiln_rows2_p16_dsp
#define KILN_ROWS2_P8 kiln_rows2_p8_dsp
#else
typedef void (*kiln_rows2_fn)(void *a);
#define KILN_ROWS2_P16 0
#define KILN_ROWS2_P8 0
#endif

struct kiln_gemm_job;
/* The channel groups [g0, end) over two rows in C, one function per width
 * (kiln_gemm_rows2_c_p16 / _p8), chosen by the kernel's entry point so that
 * an image links only the one it uses. */
typedef void (*kiln_rows2c_fn)(const struct kiln_gemm_job *j, int32_t g0, const int16_t *rows,
                               int8_t *y0, int8_t *y1);

/* One packed layer's stream, as the channel loop reads it.  The caller
 * fills the first eight fields, then kiln_gemm_start() the rest. */
typedef struct kiln_gemm_job {
    const uint8_t *w;          /* the packed stream: groups of 2 (rows2) or 4 (row1) */
    int32_t w16;               /* 1: int16 slices */
    int32_t ns;                /* slices per channel */
    int32_t out_c;             /* real channels (the packing pads to the group) */
    kiln_epi epi;
    int8_t *spare;             /* out_c bytes of scratch for a dropped second row, or NULL */
    kiln_rows2_fn rows2;       /* KILN_ROWS2_P16 / _P8 for this width, or NULL */
    kiln_rows2c_fn rows2c;     /* kiln_gemm_rows2_c_p16 / _p8 for this width */
    int kind;                  /* set by kiln_gemm_start: the epilogue (gemm_s8.c) */
    int32_t g0;                /* set by kiln_gemm_start: the groups the assembly runs */
#if KILN_HAS_DSP
    kiln_rows2_args a;         /* set by kiln_gemm_start when the assembly runs (g0 > 0) */
#endif
} kiln_gemm_job;

/* Once per layer, before the calls below. */
void kiln_gemm_start(kiln_gemm_job *j);
/* Every output channel for two interleaved rows; y1 = y0 + out_c, or NULL
 * (the second row is then a copy, computed into j->spare or dropped). */
void kiln_gemm_rows2(kiln_gemm_job *j, const int16_t *rows, int8_t *y0, int8_t *y1);
void kiln_gemm_rows2_c_p16(const kiln_gemm_job *j, int32_t g0, const int16_t *rows, int8_t *y0,
                           int8_t *y1);
void kiln_gemm_rows2_c_p8(const kiln_gemm_job *j, int32_t g0, const int16_t *rows, int8_t *y0,
                          int8_t *y1);
/* Every output channel for one row, int16 (_p16) or int8 (_p8) slices: one
 * function per width, so that an image links only the micro-kernel its
 * layers use. */
typedef void (*kiln_row1_fn)(const kiln_gemm_job *j, const int16_t *row, int8_t *y);
void kiln_gemm_row1_p16(const kiln_gemm_job *j, const int16_t *row, int8_t *y);
void kiln_gemm_row1_p8(const kiln_gemm_job *j, const int16_t *row, int8_t *y);

#endif
