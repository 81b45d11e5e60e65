/*
 * conv_s8_1x1c8.c - int8 CONV_2D 1x1, stride 1, no padding, NHWC, with 8
 * input channels (VWW's second pointwise layer), on its own compile-time
 * packed stream (KILN_C8_CHAN_BYTES per output channel, docs/kernels-int8.md
 * "c8").
 *
 * Why a kernel of its own: with K = 8 the generic 2x2 GEMM spends more on
 * each channel group's entry, bias load and output stage than on its 8
 * multiply-accumulates (2.0 instructions per MAC).  Here a pixel's 8 inputs
 * stay in 4 registers as int16 pairs (SXTB16), and each output channel is
 * one LDM of its whole record {4 weight words, mult, shift, rnd_lo, rnd_hi},
 * SMUAD + 3 SMLAD, SMLAL, ASR, SSAT, STRB: 9 instructions for 8 MACs, with the
 * channel loop unrolled 16 outputs deep.  The
 * record has no bias: the compiler folded bias * mult into rnd (exact for
 * KILN_RQ_SHORT_RELU, which has no [acc < 0] term, where it proved that
 * bias + sum cannot leave int32; pack_c8_ok()), so the accumulator starts at
 * the first product and needs no register of its own.
 *
 * The assembly runs the common case (clamp [-128, 127], channels by 4); the
 * C below is the portable path and every other clamp.  Relies on chan_s8.h;
 * never allocates, reads no scratch.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"
#include "kiln_dsp.h"

#include <string.h>

size_t kiln_conv_s8_1x1c8_scratch_size(const kiln_conv_s8_params *p)
{
    (void)p;
    return 4; /* none needed; the planner wants a size > 0 */
}

/* One output: the pixel's 8 inputs against channel record r (weights as
 * int16 lanes [e0 e2] [e1 e3] [e4 e6] [e5 e7], then a kiln_chan_s8). */
static int8_t c8_out(const int8_t *x, const uint8_t *r, const kiln_epi *e)
{
    static const int8_t lane_elem[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    int16_t w[8];
    kiln_chan_s8 c;
    memcpy(w, r, 16);
    memcpy(&c, r + 16, sizeof c);
    int32_t acc = 0; /* |acc| <= 8 * 128 * 128: no overflow */
    for (int32_t l = 0; l < 8; l++)
        acc += x[lane_elem[l]] * w[l];
    return kiln_chan_out(acc, &c, e);
}

#if KILN_HAS_DSP
/* What the assembly reads. */
typedef struct kiln_c8_args {
    const int8_t *x;           /* +0  first pixel */
    int8_t *y;                 /* +4  its first output */
    const void *w;             /* +8  the stream */
    const void *end;           /* +12 one past the last record */
    int32_t npix;              /* +16 >= 1 */
} kiln_c8_args;

void kiln_c8_relu_dsp(const kiln_c8_args *a);

/* Frame (after push {r4-r11, lr}, sub sp, #24): [0] x, [4] the stream,
 * [8] its end, [12] the outputs' end, [16] entry, [20] after (the pixel
 * test alone when one pass covers every channel: 2 instructions a pixel).  r0-r3 the pixel's int16
 * pairs, r4-r11 one channel record (r4 then the accumulator), r12 the
 * stream, lr the output.  Outputs are contiguous (NHWC), so lr just walks
 * on, and the pixel loop ends when it reaches the outputs' end.
 * The channel loop is 16 outputs unrolled (every output is nine 32-bit
 * instructions, 36 bytes; the assembler checks it), entered through
 * `entry` so that the first pass runs n mod 16 (or 16) of them: with
 * VWW's 16 channels the loop test runs once per pixel, not four times. */
__asm__(
    "    .macro kiln_c8_out\n"
    "    ldmia.w r12!, {r4-r11}\n"
    "    smuad r4, r0, r4\n"
    "    smlad r4, r1, r5, r4\n"
    "    smlad r4, r2, r6, r4\n"
    "    smlad r4, r3, r7, r4\n"
    "    smlal r10, r11, r4, r8\n"
    "    asr.w r11, r11, r9\n"
    "    ssat r11, #8, r11\n"
    "    strb r11, [lr], #1\n"
    "    .endm\n"
    "    .section .text.kiln_c8_relu_dsp,\"ax\",%progbits\n"
    "    .syntax unified\n"
    "    .thumb\n"
    "    .align 2\n"
    "    .global kiln_c8_relu_dsp\n"
    "    .type kiln_c8_relu_dsp, %function\n"
    "    .thumb_func\n"
    "kiln_c8_relu_dsp:\n"
    "    push {r4-r11, lr}\n"
    "    sub sp, sp, #24\n"
    "    ldmia.w r0, {r4-r8}\n" /* x y w end npix */
    "    subs r9, r7, r6\n"
    "    lsrs r9, r9, #5\n"      /* n: 32 bytes a record */
    "    mla r8, r8, r9, r5\n"   /* the outputs' end: y + npix * n */
    "    lsrs r10, r9, #2\n"
    "    subs r10, r10, #1\n"
    "    and r10, r10, #3\n"
    "    adds r10, r10, #1\n"    /* blocks of 4 outputs in the first pass: 1..4 */
    "    mov r11, #144\n"        /* bytes of code per block */
    "    mul r10, r10, r11\n"
    "    adr.w r11, 3f\n"
    "    subs r11, r11, r10\n"
    "    orr r10, r11, #1\n"     /* entry, Thumb bit set */
    "    str r4, [sp, #0]\n"
    "    strd r6, r7, [sp, #4]\n"
    "    strd r8, r10, [sp, #12]\n"
    "    adr.w r6, 4f\n"         /* after the body: the pixel test where one */
    "    adr.w r7, 5f\n"         /* pass does every channel, else the channel test */
    "    cmp r9, #16\n"
    "    it hi\n"
    "    movhi r6, r7\n"
    "    orr r6, r6, #1\n"
    "    str r6, [sp, #20]\n"
    "    mov lr, r5\n"
    "1:  ldr r12, [sp, #0]\n"
    "    ldr r4, [r12], #4\n" /* LDR, not LDRD: any alignment */
    "    ldr r5, [r12], #4\n"
    "    str r12, [sp, #0]\n"
    "    sxtb16 r0, r4\n"
    "    sxtb16 r1, r4, ror #8\n"
    "    sxtb16 r2, r5\n"
    "    sxtb16 r3, r5, ror #8\n"
    "    ldr r12, [sp, #4]\n"
    "    ldr pc, [sp, #16]\n"
    "    .align 2\n"
    "2:  .rept 16\n"
    "    kiln_c8_out\n"
    "    .endr\n"
    "3:  .if (3b - 2b) != 576\n"
    "    .error \"kiln_c8_out is not 36 bytes\"\n"
    "    .endif\n"
    "    ldr pc, [sp, #20]\n"
    "5:  ldr r4, [sp, #8]\n"     /* the channel test */
    "    cmp r12, r4\n"
    "    bne 2b\n"
    "4:  ldr r4, [sp, #12]\n"    /* the pixel test */
    "    cmp lr, r4\n"
    "    bne 1b\n"
    "    add sp, sp, #24\n"
    "    pop {r4-r11, pc}\n"
    "    .size kiln_c8_relu_dsp, . - kiln_c8_relu_dsp\n"
    "    .text\n");
#endif

void kiln_conv_s8_1x1c8(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                        void *scratch)
{
    (void)scratch;
    const int32_t npix = p->batch * p->out_h * p->out_w, n = p->out_c;
    const kiln_epi e = kiln_epi_of(&p->rq);
    const uint8_t *s = (const uint8_t *)w;
#if KILN_HAS_DSP
    if (e.full && n % 4 == 0 && npix > 0) {
        kiln_c8_args a;
        a.x = x, a.y = y, a.w = w, a.end = s + (size_t)n * KILN_C8_CHAN_BYTES, a.npix = npix;
        kiln_c8_relu_dsp(&a);
        return;
    }
#endif
    for (int32_t i = 0; i < npix; i++, x += 8)
        for (int32_t c = 0; c < n; c++)
            *y++ = c8_out(x, s + (size_t)c * KILN_C8_CHAN_BYTES, &e);
}
