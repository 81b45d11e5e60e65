/*
 * depthwise_s8_3x3c4s2.c - int8 DEPTHWISE_CONV_2D with a 3x3 kernel,
 * multiplier 1, stride 2 (both axes), dilation 1, NHWC with a multiple of 4
 * channels, on the compile-time packed stream of
 * kiln_depthwise_conv_s8_3x3c4s2 (KILN_DW3X3C4S2_BLOCK_BYTES a block of 4
 * channels: per kernel row the int16 pairs [w(ky,0) w(ky,1)] of each
 * channel, then [w(ky,2) c0, c1] [w(ky,2) c2, c3]).
 *
 * At stride 2 the first two taps of a kernel row read input columns 2*ox
 * and 2*ox+1, and the third reads 2*ox+2, the next output's first.  So each
 * input row an output row needs is expanded once into a ring of three rows
 * in scratch as int16 column pairs: per block of 4 channels and per pair j,
 * the words [x(2j) x(2j+1)] of channels 0..3 (from two NHWC words: PKHBT,
 * PKHTB, four SXTB16).  Per output pixel, block and kernel row a DSP core
 * then does LDM of pair ox (the pointer moves on to pair ox+1), 4 SMLAD
 * with the first two taps, LDM of pair ox+1 and SMLABB/SMLABT with the
 * third tap's low halves: 13 instructions for 12 multiply-accumulates
 * where kiln_depthwise_conv_s8_3x3c4 takes 18.  Padding columns and rows
 * hold the input zero point (the folded bias expects padded taps to read
 * it): the pairs wholly outside the input once per call, a pair half
 * outside at each expansion, padding rows all point at one zero-point row.
 *
 * The row loop runs in assembly on DSP cores with the short
 * requantization into [-128, 127]; the portable path and every other
 * output stage are the C below, on the same rows and stream.  Relies on
 * chan_s8.h; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"
#include "kiln_dsp.h"
#include "fill32.h"

#include <string.h>

/* Column pairs of one expanded row: every column an output row reads
 * (2 * out_w + 1), rounded up to whole pairs. */
static int32_t row_pairs(const kiln_conv_s8_params *p) { return p->out_w + 1; }

/* Three expanded rows (a ring) and one of the zero point alone. */
size_t kiln_depthwise_conv_s8_3x3c4s2_scratch_size(const kiln_conv_s8_params *p)
{
    return 4 * (size_t)row_pairs(p) * (size_t)p->in_c * 4;
}

/* The pair words of two NHWC pixels (4 channels each) v0 (column 2j) and
 * v1 (2j + 1): o[c] = [x0_c x1_c] as int16. */
static inline void pair_words(uint32_t v0, uint32_t v1, uint32_t o[4])
{
#if KILN_HAS_DSP
    uint32_t lo, hi, a, b, c, d;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(lo) : "r"(v0), "r"(v1)); /* c0 c1 | c0 c1 */
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(hi) : "r"(v1), "r"(v0)); /* c2 c3 | c2 c3 */
    __asm__("sxtb16 %0, %1" : "=r"(a) : "r"(lo));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(b) : "r"(lo));
    __asm__("sxtb16 %0, %1" : "=r"(c) : "r"(hi));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(d) : "r"(hi));
    o[0] = a, o[1] = b, o[2] = c, o[3] = d;
#else
    for (int32_t c = 0; c < 4; c++)
        o[c] = (uint32_t)(uint16_t)(int16_t)(int8_t)(v0 >> (8 * c)) |
               (uint32_t)(int32_t)(int8_t)(v1 >> (8 * c)) << 16;
#endif
}

/* Which pairs of an expanded row the input fills: [full_lo, full_hi) have
 * both columns inside the input; a pair with one column inside (at most
 * one each side) is listed in part[]. */
typedef struct s2_pairs {
    int32_t n, full_lo, full_hi, part[2], nparts;
} s2_pairs;

static s2_pairs pairs_of(const kiln_conv_s8_params *p)
{
    s2_pairs k;
    k.n = row_pairs(p);
    k.nparts = 0;
    k.full_lo = (p->pad_l + 1) / 2;
    k.full_hi = (p->in_w + p->pad_l) / 2 < k.n ? (p->in_w + p->pad_l) / 2 : k.n;
    if (k.full_hi < k.full_lo)
        k.full_hi = k.full_lo;
    for (int32_t j = 0; j < k.n; j++) {
        const int32_t ix = 2 * j - p->pad_l;
        const int in0 = ix >= 0 && ix < p->in_w, in1 = ix + 1 >= 0 && ix + 1 < p->in_w;
        if (in0 != in1)
            k.part[k.nparts++] = j;
    }
    return k;
}

/* The input word of column ix of row xr, channels 4b..4b+3, or the zero
 * point outside the input. */
static uint32_t col_word(const kiln_conv_s8_params *p, const int8_t *xr, int32_t ix, int32_t b,
                         uint32_t zp4)
{
    uint32_t v = zp4;
    if (ix >= 0 && ix < p->in_w)
        memcpy(&v, xr + (size_t)ix * (size_t)p->in_c + 4 * (size_t)b, 4);
    return v;
}

/* Pair j of every block of expanded row d from input row xr (NULL: the
 * zero point throughout). */
static void expand_pair(const kiln_conv_s8_params *p, int32_t np, const int8_t *xr, int32_t j,
                        uint32_t *d, uint32_t zp4)
{
    const int32_t nb = p->in_c / 4, ix = 2 * j - p->pad_l;
    for (int32_t b = 0; b < nb; b++) {
        const uint32_t v0 = xr ? col_word(p, xr, ix, b, zp4) : zp4;
        const uint32_t v1 = xr ? col_word(p, xr, ix + 1, b, zp4) : zp4;
        pair_words(v0, v1, d + ((size_t)b * (size_t)np + (size_t)j) * 4);
    }
}

/* The pairs of input row xr into expanded row d (pairs wholly outside the
 * input keep the zero point written once). */
static void expand_row(const kiln_conv_s8_params *p, const s2_pairs *k, const int8_t *xr,
                       uint32_t *d, uint32_t zp4)
{
    const int32_t nb = p->in_c / 4, n = k->full_hi - k->full_lo;
    for (int32_t i = 0; i < k->nparts; i++)
        expand_pair(p, k->n, xr, k->part[i], d, zp4);
    if (n <= 0)
        return;
    const int8_t *x0 = xr + (size_t)(2 * k->full_lo - p->pad_l) * (size_t)p->in_c;
    uint32_t *o = d + (size_t)k->full_lo * 4;
#if KILN_HAS_DSP
    /* Per pair: LDR, LDR, ADD, PKHBT, PKHTB, 4 SXTB16, STM; two pairs a
     * loop step where n is even; the block loop in assembly too (in C it
     * cost as much as three pairs: the compiler spilled). */
    register uint32_t w0 __asm__("r8"), w1 __asm__("r9"), w2 __asm__("r10"), w3 __asm__("r11");
    uint32_t v0, v1, s, cnt;
    int32_t left = nb;
    const int32_t gap = 16 * (k->n - n); /* bytes from a block's last full pair to the next's first */
    const int32_t by2 = !(n & 1);
    const uint32_t steps = (uint32_t)(by2 ? n >> 1 : n);
#define KILN_S2_PAIR                                                                             \
    "ldr %[v0], [%[s]]\n\t"                                                                      \
    "ldr %[v1], [%[s], %[c]]\n\t"                                                                \
    "add %[s], %[s], %[c], lsl #1\n\t"                                                           \
    "pkhbt %[w1], %[v0], %[v1], lsl #16\n\t"                                                     \
    "pkhtb %[w3], %[v1], %[v0], asr #16\n\t"                                                     \
    "sxtb16 %[w0], %[w1]\n\t"                                                                    \
    "sxtb16 %[w1], %[w1], ror #8\n\t"                                                            \
    "sxtb16 %[w2], %[w3]\n\t"                                                                    \
    "sxtb16 %[w3], %[w3], ror #8\n\t"                                                            \
    "stmia %[o]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
#define KILN_S2_ROW(BODY)                                                                        \
    __asm__ volatile("1: mov %[s], %[x]\n\t"                                                     \
                     "mov %[k], %[steps]\n\t"                                                    \
                     "2: " BODY "subs %[k], %[k], #1\n\t"                                        \
                     "bne 2b\n\t"                                                                \
                     "ldr %[v0], %[gap]\n\t"                                                     \
                     "add %[o], %[o], %[v0]\n\t"                                                 \
                     "adds %[x], %[x], #4\n\t"                                                   \
                     "ldr %[v0], %[left]\n\t"                                                    \
                     "subs %[v0], %[v0], #1\n\t"                                                 \
                     "str %[v0], %[left]\n\t"                                                    \
                     "bne 1b"                                                                     \
                     : [v0] "=&r"(v0), [v1] "=&r"(v1), [w0] "=&r"(w0), [w1] "=&r"(w1),           \
                       [w2] "=&r"(w2), [w3] "=&r"(w3), [s] "=&r"(s), [k] "=&r"(cnt),            \
                       [x] "+r"(x0), [o] "+r"(o), [left] "+m"(left)                              \
                     : [c] "r"(p->in_c), [steps] "r"(steps), [gap] "m"(gap)                      \
                     : "cc", "memory")
    if (by2)
        KILN_S2_ROW(KILN_S2_PAIR KILN_S2_PAIR);
    else
        KILN_S2_ROW(KILN_S2_PAIR);
#undef KILN_S2_PAIR
#undef KILN_S2_ROW
#else
    for (int32_t b = 0; b < nb; b++, o += 4 * k->n) {
        const int8_t *s = x0 + 4 * b;
        for (int32_t j = 0; j < n; j++, s += 2 * p->in_c) {
            uint32_t v0, v1;
            memcpy(&v0, s, 4);
            memcpy(&v1, s + p->in_c, 4);
            pair_words(v0, v1, o + 4 * j);
        }
    }
#endif
}

/* One output row of every block in C (any output stage): rows r[ky] at
 * block 0, 4 * np words between blocks. */
static void row_c(const kiln_conv_s8_params *p, const uint32_t *const r[3], int32_t np,
                  const uint8_t *w, const kiln_epi *e, int8_t *y)
{
    const int32_t nb = p->in_c / 4;
    for (int32_t b = 0; b < nb; b++, w += KILN_DW3X3C4S2_BLOCK_BYTES) {
        int32_t bias[4];
        int16_t k[3][12]; /* per kernel row: [w0 w1] of c0..c3, then w2 of c0..c3 */
        kiln_chan_s8 rq[4];
        memcpy(bias, w, 16);
        memcpy(k, w + 16, 72);
        memcpy(rq, w + 88, 64);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            uint32_t acc[4]; /* wraps like TFLite's int32 sum */
            for (int32_t c = 0; c < 4; c++)
                acc[c] = (uint32_t)bias[c];
            for (int32_t ky = 0; ky < 3; ky++) {
                const uint32_t *pr = r[ky] + ((size_t)b * (size_t)np + (size_t)ox) * 4;
                for (int32_t c = 0; c < 4; c++) {
                    const uint32_t a = pr[c], nx = pr[4 + c];
                    acc[c] += (uint32_t)((int16_t)a * k[ky][2 * c]);
                    acc[c] += (uint32_t)((int16_t)(a >> 16) * k[ky][2 * c + 1]);
                    acc[c] += (uint32_t)((int16_t)nx * k[ky][8 + c]);
                }
            }
            int8_t *o = y + ox * p->out_c + 4 * b;
            for (int32_t c = 0; c < 4; c++)
                o[c] = kiln_chan_out((int32_t)acc[c], &rq[c], e);
        }
    }
}

#if KILN_HAS_DSP
/* What the assembly row loop reads. */
typedef struct kiln_dw4s2_args {
    const uint32_t *r0, *r1, *r2; /* +0 the three expanded rows, block 0 */
    const void *w;                /* +12 the stream, block 0 */
    int8_t *y;                    /* +16 the output row, channel 0 */
    int32_t nblk;                 /* +20 blocks (>= 1) */
    int32_t out_w;                /* +24 outputs per row (>= 1) */
    int32_t ystep;                /* +28 bytes between outputs (channels) */
    int32_t rblk;                 /* +32 bytes between blocks of an expanded row */
} kiln_dw4s2_args;

void kiln_dw4s2_relu_dsp(const kiln_dw4s2_args *a);
void kiln_dw4s2_short_dsp(const kiln_dw4s2_args *a);

/* Frame (after push {r4-r11, lr}, sub sp, #40): [0] what the rows move
 * on by from one block's end to the next block's start (rblk - 16 out_w),
 * [4] the same for the output (4 - out_w x ystep), [12] (out_w - 1) << 16
 * | ystep, [16] the stream's end, [32] the output, [36] the pixels left
 * after this one << 16 | ystep (one LDRD brings both for the
 * requantization, one UXTAH moves the output on, one SUBS counts).  In the
 * pixel loop: r0-r2 the rows (LDM moves them on by a pair), r3 the block's
 * stream {bias[4], 3 x {pairs[4], w2[2]}, chan[4]}, walked through once
 * per pixel (LDM of the biases, the first weight load of kernel row 0,
 * done last, moves it to the chan records, which one LDM each reads) and
 * moved back by one SUB, r4-r7 the accumulators of channels 0-3, r8-r11
 * input words (then the requantization constants), r12/lr weight words
 * (lr then the output, r12 the count).
 * The rows stay in registers from block to block. */
#define KILN_DW4S2_FN(NAME, SIGNED)                                                          \
    "    .section .text." NAME ",\"ax\",%progbits\n"                                          \
    "    .syntax unified\n"                                                                   \
    "    .thumb\n"                                                                            \
    "    .align 2\n"                                                                          \
    "    .global " NAME "\n"                                                                  \
    "    .type " NAME ", %function\n"                                                         \
    "    .thumb_func\n"                                                                       \
    NAME ":\n"                                                                                \
    "    push {r4-r11, lr}\n"                                                                 \
    "    sub sp, sp, #40\n"                                                                   \
    "    ldmia.w r0, {r1-r9}\n" /* r0 r1 r2 w y nblk out_w ystep rblk */                      \
    "    sub r9, r9, r7, lsl #4\n"                                                            \
    "    mul r10, r7, r8\n"                                                                   \
    "    rsb r10, r10, #4\n"                                                                  \
    "    strd r9, r10, [sp, #0]\n"                                                            \
    "    sub r7, r7, #1\n"                                                                    \
    "    orr r7, r8, r7, lsl #16\n"                                                           \
    "    str r7, [sp, #12]\n"                                                                 \
    "    mov r11, #152\n"                                                                     \
    "    mla r6, r6, r11, r4\n"                                                               \
    "    str r6, [sp, #16]\n"                                                                 \
    "    mov r0, r1\n"                                                                        \
    "    mov r1, r2\n"                                                                        \
    "    mov r2, r3\n"                                                                        \
    "    mov r3, r4\n"                                                                        \
    "    mov lr, r5\n"                                                                        \
    "1:  ldr r12, [sp, #12]\n"                                                                \
    "    strd lr, r12, [sp, #32]\n"                                                           \
    "2:  ldmia.w r3!, {r4-r7}\n"                                                              \
    "    kiln_dw4s2_row r1, 24, 0\n"                                                          \
    "    kiln_dw4s2_row r2, 48, 0\n"                                                          \
    "    kiln_dw4s2_row r0, 0, 72\n"                                                          \
    "    ldrd lr, r12, [sp, #32]\n"                                                           \
    "    kiln_dw4s2_rq r4, 0, " SIGNED "\n"                                                   \
    "    kiln_dw4s2_rq r5, 1, " SIGNED "\n"                                                   \
    "    kiln_dw4s2_rq r6, 2, " SIGNED "\n"                                                   \
    "    kiln_dw4s2_rq r7, 3, " SIGNED "\n"                                                   \
    "    sub r3, r3, #152\n"                                                                  \
    "    uxtah lr, lr, r12\n"                                                                 \
    "    subs r12, r12, #0x10000\n"                                                           \
    "    strd lr, r12, [sp, #32]\n"                                                           \
    "    bpl 2b\n"                                                                            \
    "    ldrd r8, r9, [sp, #0]\n"                                                             \
    "    add r0, r0, r8\n"                                                                    \
    "    add r1, r1, r8\n"                                                                    \
    "    add r2, r2, r8\n"                                                                    \
    "    add lr, lr, r9\n"                                                                    \
    "    add r3, r3, #152\n"                                                                  \
    "    ldr r8, [sp, #16]\n"                                                                 \
    "    cmp r3, r8\n"                                                                        \
    "    bne 1b\n"                                                                            \
    "    add sp, sp, #40\n"                                                                   \
    "    pop {r4-r11, pc}\n"                                                                  \
    "    .size " NAME ", . - " NAME "\n"

__asm__(
    /* A kernel row from row pointer R (its weights at r3 + WOFF): pair ox
     * (R moves on to pair ox + 1) with [w0 w1], pair ox + 1's low halves
     * with w2.  POST > 0: the first weight load moves r3 on by POST. */
    "    .macro kiln_dw4s2_row R, WOFF, POST\n"
    "    ldmia \\R!, {r8-r11}\n"
    "    .if \\POST\n"
    "    ldrd r12, lr, [r3], #\\POST\n"
    "    .else\n"
    "    ldrd r12, lr, [r3, #\\WOFF]\n"
    "    .endif\n"
    "    smlad r4, r8, r12, r4\n"
    "    smlad r5, r9, lr, r5\n"
    "    ldrd r12, lr, [r3, #(\\WOFF+8-\\POST)]\n"
    "    smlad r6, r10, r12, r6\n"
    "    smlad r7, r11, lr, r7\n"
    "    ldmia \\R, {r8-r11}\n"
    "    ldrd r12, lr, [r3, #(\\WOFF+16-\\POST)]\n"
    "    smlabb r4, r8, r12, r4\n"
    "    smlabt r5, r9, r12, r5\n"
    "    smlabb r6, r10, lr, r6\n"
    "    smlabt r7, r11, lr, r7\n"
    "    .endm\n"
    /* Channel I's accumulator A into [lr + I]: r3 at its chan record
     * {mult, shift, rnd_lo, rnd_hi}, one LDM that moves r3 on to the next
     * channel's; SIGNED subtracts 2^31 from the 64-bit sum when A < 0. */
    "    .macro kiln_dw4s2_rq A, I, SIGNED\n"
    "    ldmia r3!, {r8-r11}\n"
    "    smlal r10, r11, \\A, r8\n"
    "    .if \\SIGNED\n"
    "    and \\A, \\A, #0x80000000\n"
    "    subs r10, r10, \\A\n"
    "    sbc r11, r11, #0\n"
    "    .endif\n"
    "    asr r11, r11, r9\n"
    "    ssat r11, #8, r11\n"
    "    strb r11, [lr, #\\I]\n"
    "    .endm\n"
    KILN_DW4S2_FN("kiln_dw4s2_relu_dsp", "0")
    KILN_DW4S2_FN("kiln_dw4s2_short_dsp", "1")
    "    .text\n");
#endif

/* Pairs [from, to) of every block of expanded row d with the zero point
 * (4 words a pair). */
static void fill_pairs(uint32_t *d, int32_t nb, int32_t np, int32_t from, int32_t to, uint32_t zpw)
{
    for (int32_t b = 0; b < nb; b++, d += 4 * np)
        for (int32_t j = from; j < to; j++)
            d[4 * j] = zpw, d[4 * j + 1] = zpw, d[4 * j + 2] = zpw, d[4 * j + 3] = zpw;
}

void kiln_depthwise_conv_s8_3x3c4s2(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                    int8_t *y, void *scratch)
{
    const s2_pairs k = pairs_of(p);
    const int32_t c = p->in_c, nb = c / 4;
    const size_t rwords = (size_t)k.n * 4 * (size_t)nb; /* words of one expanded row */
    uint32_t *ring = (uint32_t *)scratch, *zrow = ring + 3 * rwords;
    const uint32_t zp16 = (uint32_t)(uint16_t)(int16_t)-p->in_offset;
    const uint32_t zp4 = (uint32_t)(uint8_t)(int8_t)-p->in_offset * 0x01010101u;
    const kiln_epi e = kiln_epi_of(&p->rq);
    int kind = 0; /* 1: relu, 2: short (the assembly's output stages) */
    if (KILN_HAS_DSP && e.full && p->out_c <= 0xffff && p->out_w <= 0x8000) /* [sp, #36]'s halves */
        kind = e.mode == KILN_RQ_SHORT_RELU ? 1 : e.mode == KILN_RQ_SHORT ? 2 : 0;
    (void)kind;
    /* The padding, once: the zero-point row and the ring's pairs outside
     * the full ones (a pair half inside is rewritten at each expansion). */
    const uint32_t zpw = zp16 | zp16 << 16;
    kiln_fill32(zrow, 4 * k.n * nb, zpw);
    for (int32_t r = 0; r < 3; r++) {
        fill_pairs(ring + (size_t)r * rwords, nb, k.n, 0, k.full_lo, zpw);
        fill_pairs(ring + (size_t)r * rwords, nb, k.n, k.full_hi, k.n, zpw);
    }
    for (int32_t bt = 0; bt < p->batch; bt++) {
        const int8_t *xb = x + (size_t)bt * (size_t)(p->in_h * p->in_w * c);
        int8_t *yb = y + (size_t)bt * (size_t)(p->out_h * p->out_w * p->out_c);
        int32_t held[3] = {-1, -1, -1}; /* input row per slot */
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const uint32_t *r[3];
            for (int32_t ky = 0; ky < 3; ky++) {
                const int32_t iy = oy * 2 + ky - p->pad_t;
                if (iy < 0 || iy >= p->in_h) {
                    r[ky] = zrow;
                    continue;
                }
                const int32_t slot = (oy * 2 + ky) % 3;
                uint32_t *d = ring + (size_t)slot * rwords;
                if (held[slot] != iy) {
                    expand_row(p, &k, xb + (size_t)iy * (size_t)(p->in_w * c), d, zp4);
                    held[slot] = iy;
                }
                r[ky] = d;
            }
            int8_t *yr = yb + (size_t)oy * (size_t)(p->out_w * p->out_c);
#if KILN_HAS_DSP
            if (kind) {
                kiln_dw4s2_args a;
                a.r0 = r[0], a.r1 = r[1], a.r2 = r[2], a.w = w, a.y = yr;
                a.nblk = nb, a.out_w = p->out_w, a.ystep = p->out_c;
                a.rblk = k.n * 16;
                (kind == 1 ? kiln_dw4s2_relu_dsp : kiln_dw4s2_short_dsp)(&a);
                continue;
            }
#endif
            row_c(p, r, k.n, (const uint8_t *)w, &e, yr);
        }
    }
}
