/*
 * depthwise_s8_3x3c4.c - int8 DEPTHWISE_CONV_2D with a 3x3 kernel,
 * multiplier 1, stride 1 or 2 (both axes), dilation 1, NHWC with a multiple
 * of 4 channels, on the compile-time packed stream of
 * kiln_depthwise_conv_s8_3x3c4 (4 channels a block, KILN_DW3X3C4_BLOCK_BYTES).
 *
 * Where kiln_depthwise_conv_s8_3x3 copies each channel into a plane (a cost
 * per input pixel that stride 2 and small outputs do not earn back), this
 * kernel keeps NHWC's 4 adjacent channels together: each input row an
 * output row needs is expanded once into a ring of three rows in scratch,
 * per block of 4 channels and per pixel the int16 words [c0 c2] [c1 c3]
 * (SXTB16 and SXTB16 ROR #8 of the NHWC word).  Padding columns hold the
 * input zero point (the folded bias expects padded taps to read it), filled
 * once per call; padding rows all point at one zero-point row.  A block of
 * a row is contiguous, so the three taps of a kernel row are at +0, +8 and
 * +16 bytes.  Per output pixel and block a DSP core then does, per tap, one
 * LDRD of the input words, one LDRD of the weights [w_c0 w_c2] [w_c1 w_c3]
 * and SMLABB, SMLATT, SMLABB, SMLATT (one per channel): 54 instructions for
 * 36 multiply-accumulates, with the 4 accumulators started by one LDM of the
 * folded biases and 4 five-instruction short requantizations (79 per pixel
 * and block on Cortex-M7, 2.19 per MAC, plus about 5 per expanded input
 * pixel and block).
 *
 * The row loop runs in assembly on DSP cores (the short requantization into
 * [-128, 127]; 14 registers carry data, the compiler spilled); the portable
 * path and every other output stage are the C below, on the same rows and
 * stream.  Relies on chan_s8.h; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"
#include "kiln_dsp.h"
#include "fill32.h"

#include <string.h>

/* Pixels of one expanded row: every column an output row reads. */
static int32_t row_px(const kiln_conv_s8_params *p)
{
    return (p->out_w - 1) * p->stride_w + 3;
}

/* Three expanded rows (a ring) and one of the zero point alone, which
 * stands for every padding row. */
size_t kiln_depthwise_conv_s8_3x3c4_scratch_size(const kiln_conv_s8_params *p)
{
    return 4 * (size_t)row_px(p) * (size_t)p->in_c * 2;
}

/* The int16 words of 4 int8 channels (one NHWC word): [c0 c2], [c1 c3]. */
static inline void c4_words(uint32_t v, uint32_t *e, uint32_t *o)
{
#if KILN_HAS_DSP
    uint32_t a, b;
    __asm__("sxtb16 %0, %1" : "=r"(a) : "r"(v));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(b) : "r"(v));
    *e = a, *o = b;
#else
    *e = (uint32_t)(uint16_t)(int16_t)(int8_t)v | (uint32_t)(int32_t)(int8_t)(v >> 16) << 16;
    *o = (uint32_t)(uint16_t)(int16_t)(int8_t)(v >> 8) | (uint32_t)(int32_t)(int8_t)(v >> 24) << 16;
#endif
}

/* The columns of an expanded row: lo zero-point columns, then n from the
 * input, then zero-point columns up to px. */
typedef struct c4_cols {
    int32_t px, lo, n;
} c4_cols;

static c4_cols cols_of(const kiln_conv_s8_params *p)
{
    c4_cols k;
    k.px = row_px(p);
    k.lo = p->pad_l < k.px ? p->pad_l : k.px;
    k.n = p->in_w < k.px - k.lo ? p->in_w : k.px - k.lo;
    return k;
}

/* Fills columns [from, to) of every block of expanded row d with zpw. */
static void fill_cols(uint32_t *d, int32_t nb, int32_t px, int32_t from, int32_t to, uint32_t zpw)
{
    if (from >= to)
        return;
    if (from == 0 && to == px) { /* the whole row */
        kiln_fill32(d, 2 * px * nb, zpw);
        return;
    }
#if KILN_HAS_DSP
    if (to - from == 1) { /* one column: an STRD per block */
        uint32_t *q = d + 2 * from;
        int32_t n = nb;
        __asm__ volatile("1: strd %[z], %[z], [%[q]]\n\t"
                         "add %[q], %[q], %[bs]\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [q] "+r"(q), [n] "+r"(n)
                         : [z] "r"(zpw), [bs] "r"(8 * px)
                         : "cc", "memory");
        return;
    }
#endif
    for (int32_t b = 0; b < nb; b++, d += 2 * px)
        for (int32_t i = from; i < to; i++)
            d[2 * i] = zpw, d[2 * i + 1] = zpw;
}

/* The input columns of row xr into expanded row d (its padding columns
 * stay as they are).  NHWC is walked in order: per pixel, its blocks, each
 * to its own part of d. */
static void expand_row(const kiln_conv_s8_params *p, const c4_cols *k, const int8_t *xr,
                       uint32_t *d)
{
    const int32_t nb = p->in_c / 4, bstep = 2 * k->px;
    uint32_t *q = d + 2 * k->lo;
#if KILN_HAS_DSP
    /* Otherwise, channels by 8: per two blocks LDRD, 4 SXTB16, 2 STRD, 2
     * ADD, the pixel loop around it in assembly too (the compiler spilled). */
    if (k->n >= 2 * nb) {
        /* Long rows of few blocks: per block, two pixels per step (LDR, LDR,
         * ADD, 4 SXTB16, 2 STRD), so that the loop overhead is per block. */
        for (int32_t b = 0; b < nb; b++, q += bstep) {
            const int8_t *src = xr + 4 * b;
            uint32_t *o = q;
            int32_t pairs = k->n >> 1;
            uint32_t v0, v1, a, a2;
            __asm__ volatile("1: ldr %[v0], [%[s]]\n\t"
                             "ldr %[v1], [%[s], %[c]]\n\t"
                             "add %[s], %[s], %[c], lsl #1\n\t"
                             "sxtb16 %[a], %[v0]\n\t"
                             "sxtb16 %[v0], %[v0], ror #8\n\t"
                             "sxtb16 %[a2], %[v1]\n\t"
                             "sxtb16 %[v1], %[v1], ror #8\n\t"
                             "strd %[a], %[v0], [%[o]], #16\n\t"
                             "strd %[a2], %[v1], [%[o], #-8]\n\t"
                             "subs %[n], %[n], #1\n\t"
                             "bne 1b"
                             : [v0] "=&r"(v0), [v1] "=&r"(v1), [a] "=&r"(a), [a2] "=&r"(a2),
                               [s] "+r"(src), [o] "+r"(o), [n] "+r"(pairs)
                             : [c] "r"(p->in_c)
                             : "cc", "memory");
            if (k->n & 1) {
                uint32_t v;
                memcpy(&v, src, 4);
                c4_words(v, &o[0], &o[1]);
            }
        }
        return;
    }
    if (!(nb & 1) && k->n) {
        /* Per pixel, blocks by 2 (by 4 or 8 a loop step where nb allows). */
        const int32_t by = !(nb & 7) ? 8 : !(nb & 3) ? 4 : 2;
        int32_t npx = k->n;
        uint32_t v0, v1, a, a2, qq, n, steps = (uint32_t)(nb / by);
#define KILN_C4_TWO                                                                              \
    "ldrd %[v0], %[v1], [%[s]], #8\n\t"                                                          \
    "sxtb16 %[a], %[v0]\n\t"                                                                     \
    "sxtb16 %[v0], %[v0], ror #8\n\t"                                                            \
    "sxtb16 %[a2], %[v1]\n\t"                                                                    \
    "sxtb16 %[v1], %[v1], ror #8\n\t"                                                            \
    "strd %[a], %[v0], [%[qq]]\n\t"                                                              \
    "add %[qq], %[qq], %[bs]\n\t"                                                                \
    "strd %[a2], %[v1], [%[qq]]\n\t"                                                             \
    "add %[qq], %[qq], %[bs]\n\t"
#define KILN_C4_ROW(BODY)                                                                        \
    __asm__ volatile("1: mov %[qq], %[q]\n\t"                                                    \
                     "adds %[q], %[q], #8\n\t"                                                   \
                     "mov %[n], %[pairs]\n\t"                                                    \
                     "2: " BODY "subs %[n], %[n], #1\n\t"                                        \
                     "bne 2b\n\t"                                                                \
                     "subs %[npx], %[npx], #1\n\t"                                               \
                     "bne 1b"                                                                     \
                     : [v0] "=&r"(v0), [v1] "=&r"(v1), [a] "=&r"(a), [a2] "=&r"(a2),             \
                       [qq] "=&r"(qq), [n] "=&r"(n), [s] "+r"(xr), [q] "+r"(q), [npx] "+r"(npx)  \
                     : [bs] "r"(4 * bstep), [pairs] "r"(steps)                                    \
                     : "cc", "memory")
        if (by == 8)
            KILN_C4_ROW(KILN_C4_TWO KILN_C4_TWO KILN_C4_TWO KILN_C4_TWO);
        else if (by == 4)
            KILN_C4_ROW(KILN_C4_TWO KILN_C4_TWO);
        else
            KILN_C4_ROW(KILN_C4_TWO);
#undef KILN_C4_TWO
#undef KILN_C4_ROW
        return;
    }
#endif
    for (int32_t i = 0; i < k->n; i++, q += 2) {
        uint32_t *o = q;
        for (int32_t b = 0; b < nb; b++, o += bstep, xr += 4) {
            uint32_t v;
            memcpy(&v, xr, 4);
            c4_words(v, &o[0], &o[1]);
        }
    }
}

/* One output row of every block in C (any output stage): rows r[ky] at
 * block 0, bstep words between blocks. */
static void row_c(const kiln_conv_s8_params *p, const uint32_t *const r[3], int32_t bstep,
                  const uint8_t *w, const kiln_epi *e, int8_t *y)
{
    const int32_t nb = p->in_c / 4, s = p->stride_w;
    for (int32_t b = 0; b < nb; b++, w += KILN_DW3X3C4_BLOCK_BYTES) {
        int32_t bias[4];
        int16_t k[9][4]; /* per tap [w_c0 w_c2 w_c1 w_c3] */
        kiln_chan_s8 rq[4];
        memcpy(bias, w, 16);
        memcpy(k, w + 16, 72);
        memcpy(rq, w + 88, 64);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            uint32_t acc[4]; /* channels 0 2 1 3; wraps like TFLite's int32 sum */
            acc[0] = (uint32_t)bias[0], acc[1] = (uint32_t)bias[2];
            acc[2] = (uint32_t)bias[1], acc[3] = (uint32_t)bias[3];
            for (int32_t ky = 0; ky < 3; ky++) {
                const uint32_t *xr = r[ky] + (size_t)b * (size_t)bstep + 2 * ox * s;
                for (int32_t kx = 0; kx < 3; kx++) {
                    const int16_t *kt = k[3 * ky + kx];
                    const uint32_t ev = xr[2 * kx], od = xr[2 * kx + 1];
                    acc[0] += (uint32_t)((int16_t)ev * kt[0]);
                    acc[1] += (uint32_t)((int16_t)(ev >> 16) * kt[1]);
                    acc[2] += (uint32_t)((int16_t)od * kt[2]);
                    acc[3] += (uint32_t)((int16_t)(od >> 16) * kt[3]);
                }
            }
            int8_t *o = y + ox * p->out_c + 4 * b;
            o[0] = kiln_chan_out((int32_t)acc[0], &rq[0], e);
            o[1] = kiln_chan_out((int32_t)acc[2], &rq[1], e);
            o[2] = kiln_chan_out((int32_t)acc[1], &rq[2], e);
            o[3] = kiln_chan_out((int32_t)acc[3], &rq[3], e);
        }
    }
}

#if KILN_HAS_DSP
/* What the assembly row loop reads. */
typedef struct kiln_dw4_args {
    const uint32_t *r0, *r1, *r2; /* +0 the three expanded rows, block 0 */
    const void *w;                /* +12 the stream, block 0 */
    int8_t *y;                    /* +16 the output row, channel 0 */
    int32_t nblk;                 /* +20 blocks (>= 1) */
    int32_t out_w;                /* +24 outputs per row (>= 1) */
    int32_t ystep;                /* +28 bytes between outputs (channels) */
    int32_t rblk;                 /* +32 bytes between blocks of an expanded row */
} kiln_dw4_args;

void kiln_dw4_s1_relu_dsp(const kiln_dw4_args *a);
void kiln_dw4_s1_short_dsp(const kiln_dw4_args *a);
void kiln_dw4_s2_relu_dsp(const kiln_dw4_args *a);
void kiln_dw4_s2_short_dsp(const kiln_dw4_args *a);

/* Frame (after push {r4-r11, lr}, sub sp, #32): [0] what the rows move
 * on by from one block's end to the next block's start (rblk - out_w x
 * STEP), [4] the same for the output (4 - out_w x ystep), [12] (out_w -
 * 1) << 16 | ystep, [16] the stream's end.  In the pixel loop: r0-r2 the rows
 * (advanced by the stride), r3 the block's stream {bias[4], taps[9][2
 * words], chan[4]}, walked through once per pixel (LDM of the biases, the
 * last tap load moves it to the chan records, which four LDMs of four
 * words read: one load per requantization instead of two) and moved back
 * by one SUB, r4-r7 the accumulators of channels 0-3 (kernel rows in the
 * order 1, 2, 0, so that tap (0, 0) is the last load), r8/r9 input
 * words, r10/r11 weight words (then the requantization constants), r12
 * the output, lr the pixels left after this one << 16 | ystep (one UXTAH
 * moves the output on, one SUBS counts).  The pointers stay in registers from
 * block to block: at small outputs the block loop is a tenth of the work. */
#define KILN_DW4_FN(NAME, STEP, SH, SIGNED)                                                  \
    "    .section .text." NAME ",\"ax\",%progbits\n"                                          \
    "    .syntax unified\n"                                                                   \
    "    .thumb\n"                                                                            \
    "    .align 2\n"                                                                          \
    "    .global " NAME "\n"                                                                  \
    "    .type " NAME ", %function\n"                                                         \
    "    .thumb_func\n"                                                                       \
    NAME ":\n"                                                                                \
    "    push {r4-r11, lr}\n"                                                                 \
    "    sub sp, sp, #32\n"                                                                   \
    "    ldmia.w r0, {r1-r9}\n" /* r0 r1 r2 w y nblk out_w ystep rblk */                      \
    "    sub r9, r9, r7, lsl #" SH "\n"                                                       \
    "    mul r10, r7, r8\n"                                                                   \
    "    rsb r10, r10, #4\n"                                                                  \
    "    strd r9, r10, [sp, #0]\n"                                                            \
    "    sub r9, r7, #1\n"                                                                    \
    "    orr r9, r8, r9, lsl #16\n"                                                           \
    "    str r9, [sp, #12]\n"                                                                 \
    "    mov r11, #152\n"                                                                     \
    "    mla r6, r6, r11, r4\n"                                                               \
    "    str r6, [sp, #16]\n"                                                                 \
    "    mov r0, r1\n"                                                                        \
    "    mov r1, r2\n"                                                                        \
    "    mov r2, r3\n"                                                                        \
    "    mov r3, r4\n"                                                                        \
    "    mov r12, r5\n"                                                                       \
    "1:  ldr lr, [sp, #12]\n"                                                                 \
    "2:  ldmia.w r3!, {r4-r7}\n"                                                              \
    "    kiln_dw4_row r1, 24, " STEP ", 0\n"                                                  \
    "    kiln_dw4_row r2, 48, " STEP ", 0\n"                                                  \
    "    kiln_dw4_row r0, 0, " STEP ", 72\n"                                                  \
    "    kiln_dw4_rq r4, 0, " SIGNED "\n"                                                     \
    "    kiln_dw4_rq r5, 1, " SIGNED "\n"                                                     \
    "    kiln_dw4_rq r6, 2, " SIGNED "\n"                                                     \
    "    kiln_dw4_rq r7, 3, " SIGNED "\n"                                                     \
    "    sub r3, r3, #152\n"                                                                  \
    "    uxtah r12, r12, lr\n"                                                                \
    "    subs lr, lr, #0x10000\n"                                                             \
    "    bpl 2b\n"                                                                            \
    "    ldrd r8, r9, [sp, #0]\n"                                                             \
    "    add r0, r0, r8\n"                                                                    \
    "    add r1, r1, r8\n"                                                                    \
    "    add r2, r2, r8\n"                                                                    \
    "    add r12, r12, r9\n"                                                                  \
    "    add r3, r3, #152\n"                                                                  \
    "    ldr r8, [sp, #16]\n"                                                                 \
    "    cmp r3, r8\n"                                                                        \
    "    bne 1b\n"                                                                            \
    "    add sp, sp, #32\n"                                                                   \
    "    pop {r4-r11, pc}\n"                                                                  \
    "    .size " NAME ", . - " NAME "\n"

__asm__(
    /* One tap: input words at [R + XOFF] (or at [R], then R += -XOFF for
     * the stride when XOFF < 0), weight words at [r3 + WOFF] (or, POST >
     * 0, at [r3], then r3 += POST). */
    "    .macro kiln_dw4_tap R, XOFF, WOFF, POST\n"
    "    .if \\XOFF < 0\n"
    "    ldrd r8, r9, [\\R], #-(\\XOFF)\n"
    "    .else\n"
    "    ldrd r8, r9, [\\R, #\\XOFF]\n"
    "    .endif\n"
    "    .if \\POST\n"
    "    ldrd r10, r11, [r3], #\\POST\n"
    "    .else\n"
    "    ldrd r10, r11, [r3, #\\WOFF]\n"
    "    .endif\n"
    "    smlabb r4, r8, r10, r4\n" /* c0 */
    "    smlatt r6, r8, r10, r6\n" /* c2 */
    "    smlabb r5, r9, r11, r5\n" /* c1 */
    "    smlatt r7, r9, r11, r7\n" /* c3 */
    "    .endm\n"
    /* A kernel row from row pointer R (weights of its first tap at r3 +
     * WOFF); R moves on by STEP bytes (8 x stride); POST > 0: the first
     * tap's weights are the last load and move r3 on by POST. */
    "    .macro kiln_dw4_row R, WOFF, STEP, POST\n"
    "    kiln_dw4_tap \\R, 16, (\\WOFF+16), 0\n"
    "    kiln_dw4_tap \\R, 8, (\\WOFF+8), 0\n"
    "    kiln_dw4_tap \\R, -(\\STEP), \\WOFF, \\POST\n"
    "    .endm\n"
    /* Channel I's accumulator A into [r12 + I]: r3 at its chan record
     * {mult, shift, rnd_lo, rnd_hi}, one LDM that moves r3 on to the next
     * channel's; SIGNED subtracts 2^31 from the 64-bit sum when A < 0. */
    "    .macro kiln_dw4_rq A, I, SIGNED\n"
    "    ldmia r3!, {r8-r11}\n"
    "    smlal r10, r11, \\A, r8\n"
    "    .if \\SIGNED\n"
    "    and \\A, \\A, #0x80000000\n"
    "    subs r10, r10, \\A\n"
    "    sbc r11, r11, #0\n"
    "    .endif\n"
    "    asr r11, r11, r9\n"
    "    ssat r11, #8, r11\n"
    "    strb r11, [r12, #\\I]\n"
    "    .endm\n"
    KILN_DW4_FN("kiln_dw4_s1_relu_dsp", "8", "3", "0")
    KILN_DW4_FN("kiln_dw4_s1_short_dsp", "8", "3", "1")
    KILN_DW4_FN("kiln_dw4_s2_relu_dsp", "16", "4", "0")
    KILN_DW4_FN("kiln_dw4_s2_short_dsp", "16", "4", "1")
    "    .text\n");
#endif

void kiln_depthwise_conv_s8_3x3c4(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                  int8_t *y, void *scratch)
{
    const c4_cols k = cols_of(p);
    const int32_t c = p->in_c, nb = c / 4, s = p->stride_h;
    const int32_t bstep = 2 * k.px; /* words between blocks of an expanded row */
    const int32_t rwords = bstep * nb;
    uint32_t *ring = (uint32_t *)scratch, *zrow = ring + 3 * (size_t)rwords;
    const uint32_t zp16 = (uint32_t)(uint16_t)(int16_t)-p->in_offset;
    const uint32_t zpw = zp16 | zp16 << 16;
    const kiln_epi e = kiln_epi_of(&p->rq);
    int kind = 0; /* 1: relu, 2: short (the assembly's output stages) */
    if (KILN_HAS_DSP && e.full && p->out_c <= 0xffff && p->out_w <= 0x8000) /* lr's halves */
        kind = e.mode == KILN_RQ_SHORT_RELU ? 1 : e.mode == KILN_RQ_SHORT ? 2 : 0;
    (void)kind;
    /* The padding, once: the zero-point row, the ring's padding columns.
     * On short rows one fill of the whole ring (4 instructions per 8
     * words) costs no more than a column loop per side (4 per block and
     * row): where 3 px <= 12 x sides. */
    const int32_t sides = (k.lo > 0) + (k.lo + k.n < k.px);
    if (k.px <= 4 * sides) {
        kiln_fill32(ring, 4 * rwords, zpw);
    } else {
        fill_cols(zrow, nb, k.px, 0, k.px, zpw);
        for (int32_t r = 0; r < 3; r++) {
            fill_cols(ring + (size_t)r * (size_t)rwords, nb, k.px, 0, k.lo, zpw);
            fill_cols(ring + (size_t)r * (size_t)rwords, nb, k.px, k.lo + k.n, k.px, zpw);
        }
    }
    for (int32_t bt = 0; bt < p->batch; bt++) {
        const int8_t *xb = x + (size_t)bt * (size_t)(p->in_h * p->in_w * c);
        int8_t *yb = y + (size_t)bt * (size_t)(p->out_h * p->out_w * p->out_c);
        int32_t held[3] = {-1, -1, -1}; /* input row per slot */
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const uint32_t *r[3];
            for (int32_t ky = 0; ky < 3; ky++) {
                const int32_t iy = oy * s + ky - p->pad_t;
                if (iy < 0 || iy >= p->in_h) {
                    r[ky] = zrow;
                    continue;
                }
                const int32_t slot = (oy * s + ky) % 3;
                uint32_t *d = ring + (size_t)slot * (size_t)rwords;
                if (held[slot] != iy) {
                    expand_row(p, &k, xb + (size_t)iy * (size_t)(p->in_w * c), d);
                    held[slot] = iy;
                }
                r[ky] = d;
            }
            int8_t *yr = yb + (size_t)oy * (size_t)(p->out_w * p->out_c);
#if KILN_HAS_DSP
            if (kind) {
                kiln_dw4_args a;
                a.r0 = r[0], a.r1 = r[1], a.r2 = r[2], a.w = w, a.y = yr;
                a.nblk = nb, a.out_w = p->out_w, a.ystep = p->out_c, a.rblk = bstep * 4;
                if (s == 1)
                    (kind == 1 ? kiln_dw4_s1_relu_dsp : kiln_dw4_s1_short_dsp)(&a);
                else
                    (kind == 1 ? kiln_dw4_s2_relu_dsp : kiln_dw4_s2_short_dsp)(&a);
                continue;
            }
#endif
            row_c(p, r, bstep, (const uint8_t *)w, &e, yr);
        }
    }
}
