/*
 * depthwise_s8_3x3_dsp.c - the per-channel loops of the packed 3x3
 * depthwise kernel on cores with the DSP extension, in assembly:
 * kiln_dw3x3_{s1,s2}_{relu,short}_dsp compute every output of one channel
 * from its int16 plane (depthwise_s8_3x3.c builds it) with the short
 * requantization into [-128, 127].  The exact requantization and narrower
 * clamps stay in C there.
 *
 * Why assembly: a stride-1 output pair is 3 x (LDRD of the plane row's two
 * words, LDRD of the row's weight pairs, SMLAD, SMLABT, SMLATB, SMLAD) and
 * two 5-instruction requantizations; the compiler spilled the row pointers
 * and reloaded the channel constants around every store.  Here all 14
 * registers carry data: r0-r2 the three plane rows, r3 the channel record
 * {bias, 6 weight words, mult, shift, rnd_lo, rnd_hi}, r4/r5 accumulators,
 * r6/r7 plane words, r8/r9 weight pairs (then mult, shift), r10 the output,
 * r11 the output step, r12 the outputs left in the row, lr scratch.
 *
 * Thumb-2, ARMv7E-M / ARMv8-M Mainline with DSP; built only where
 * KILN_HAS_DSP; each routine in its own section.  AAPCS: r4-r11, lr saved.
 */
#include "kiln/kernels_s8.h"
#include "kiln_dsp.h"
#include "dw3x3_s8.h"

#if KILN_HAS_DSP

/* Frame (after push {r4-r11, lr} and sub sp, #32):
 *   [0] plane row 0 of this output row   [4] bytes to the next output row's
 *   [8] bytes per plane row              [12] output rows left
 *   [16] n: pairs (s1) or outputs (s2)   [20] odd: one more output (s1)
 *   [24] this output row's first output  [28] bytes to the next one */
#define KILN_DW_FN(NAME, BODY, SINGLE)                                                        \
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
    "    ldmia.w r0, {r1-r10}\n" /* plane prow pw2 out_h n odd chan y ystep yrow */           \
    "    strd r1, r2, [sp, #0]\n"                                                             \
    "    strd r3, r4, [sp, #8]\n"                                                             \
    "    strd r5, r6, [sp, #16]\n"                                                            \
    "    strd r8, r10, [sp, #24]\n"                                                           \
    "    mov r3, r7\n"                                                                        \
    "    mov r11, r9\n"                                                                       \
    "1:  ldrd r0, lr, [sp, #0]\n"                                                             \
    "    add r12, r0, lr\n"                                                                   \
    "    str r12, [sp, #0]\n"                                                                 \
    "    ldr lr, [sp, #8]\n"                                                                  \
    "    add r1, r0, lr\n"                                                                    \
    "    add r2, r1, lr\n"                                                                    \
    "    ldrd r10, lr, [sp, #24]\n"                                                           \
    "    add lr, r10, lr\n"                                                                   \
    "    str lr, [sp, #24]\n"                                                                 \
    "    ldr r12, [sp, #16]\n"                                                                \
    "    cmp r12, #0\n"                                                                       \
    "    beq 3f\n"                                                                            \
    "2:  " BODY "\n"                                                                          \
    "    subs r12, r12, #1\n"                                                                 \
    "    bne 2b\n"                                                                            \
    "3:  ldr lr, [sp, #20]\n"                                                                 \
    "    cmp lr, #0\n"                                                                        \
    "    beq 4f\n"                                                                            \
    "    " SINGLE "\n"                                                                        \
    "4:  ldr lr, [sp, #12]\n"                                                                 \
    "    subs lr, lr, #1\n"                                                                   \
    "    str lr, [sp, #12]\n"                                                                 \
    "    bne 1b\n"                                                                            \
    "    add sp, sp, #32\n"                                                                   \
    "    pop {r4-r11, pc}\n"                                                                  \
    "    .size " NAME ", . - " NAME "\n"

__asm__(
    /* The requantization of accumulator A into [r10 + OFF]: mult r8, shift
     * r9, the rounding constant at [r3, #36]; SIGNED 1 subtracts 2^31 from
     * the 64-bit sum when A < 0 (A is clobbered then). */
    "    .macro kiln_dw_rq A, OFF, SIGNED\n"
    "    ldrd r6, r7, [r3, #36]\n"
    "    smlal r6, r7, \\A, r8\n"
    "    .if \\SIGNED\n"
    "    and \\A, \\A, #0x80000000\n"
    "    subs r6, r6, \\A\n"
    "    sbc r7, r7, #0\n"
    "    .endif\n"
    "    asr r7, r7, r9\n"
    "    ssat r7, #8, r7\n"
    "    strb r7, [r10\\OFF]\n"
    "    .endm\n"
    /* One kernel row of a single output: row pointer R, weights at WOFF. */
    "    .macro kiln_dw_row1 R, WOFF\n"
    "    ldrd r6, r7, [\\R], #4\n"
    "    ldrd r8, r9, [r3, #\\WOFF]\n"
    "    smlad r4, r6, r8, r4\n"
    "    smlabt r4, r7, r9, r4\n"
    "    .endm\n"
    /* One kernel row of an output pair (stride 1). */
    "    .macro kiln_dw_row2 R, WOFF\n"
    "    ldrd r6, r7, [\\R], #4\n"
    "    ldrd r8, r9, [r3, #\\WOFF]\n"
    "    smlad r4, r6, r8, r4\n"
    "    smlabt r4, r7, r9, r4\n"
    "    smlatb r5, r6, r8, r5\n"
    "    smlad r5, r7, r9, r5\n"
    "    .endm\n"
    "    .macro kiln_dw_single SIGNED\n"
    "    ldr r4, [r3]\n"
    "    kiln_dw_row1 r0, 4\n"
    "    kiln_dw_row1 r1, 12\n"
    "    kiln_dw_row1 r2, 20\n"
    "    ldrd r8, r9, [r3, #28]\n"
    "    kiln_dw_rq r4, \"\", \\SIGNED\n"
    "    add r10, r10, r11\n"
    "    .endm\n"
    "    .macro kiln_dw_pair SIGNED\n"
    "    ldr r4, [r3]\n"
    "    mov r5, r4\n"
    "    kiln_dw_row2 r0, 4\n"
    "    kiln_dw_row2 r1, 12\n"
    "    kiln_dw_row2 r2, 20\n"
    "    ldrd r8, r9, [r3, #28]\n"
    "    kiln_dw_rq r4, \"\", \\SIGNED\n"
    "    kiln_dw_rq r5, \", r11\", \\SIGNED\n"
    "    add r10, r10, r11, lsl #1\n"
    "    .endm\n"
    KILN_DW_FN("kiln_dw3x3_s1_relu_dsp", "kiln_dw_pair 0", "kiln_dw_single 0")
    KILN_DW_FN("kiln_dw3x3_s1_short_dsp", "kiln_dw_pair 1", "kiln_dw_single 1")
    KILN_DW_FN("kiln_dw3x3_s2_relu_dsp", "kiln_dw_single 0", "kiln_dw_single 0")
    KILN_DW_FN("kiln_dw3x3_s2_short_dsp", "kiln_dw_single 1", "kiln_dw_single 1")
    "    .text\n");

#else

typedef int kiln_dw3x3_dsp_unused; /* ISO C wants a declaration in every file */

#endif
