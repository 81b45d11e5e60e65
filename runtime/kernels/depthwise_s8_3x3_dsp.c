/*
 * depthwise_s8_3x3_dsp.c - the per-channel loops of the packed 3x3
 * depthwise kernel on cores with the DSP extension, in assembly:
 * kiln_dw3x3_{relu,short}_dsp compute every output of one channel from its
 * int16 plane (depthwise_s8_3x3.c builds it) with the short requantization
 * into [-128, 127].  A row is n output pairs (stride 1), then `odd` single
 * outputs: stride 1 passes the last output of an odd row as one single,
 * stride 2 every output (a single moves the plane rows on by two columns,
 * one output of stride 2), so both strides share one routine.  The exact requantization and narrower
 * clamps stay in C there.
 *
 * Why assembly: a stride-1 output pair is one load of the bias (kernel
 * row 0's first SMLAD adds to it, so both accumulators start from one
 * register), 3 x (LDRD of the plane row's two words, LDRD of the row's
 * weight pairs, SMLAD, SMLABT, SMLATB, SMLAD) and two 5-instruction
 * requantizations (one LDM of the channel's {mult, shift, rnd_lo,
 * rnd_hi} each): 32 instructions; the compiler spilled the row pointers
 * and reloaded the channel constants around every store.  Here all 14
 * registers carry data: r0-r2 the three plane rows, r3 the channel record
 * {bias, 6 weight words, mult, shift, rnd_lo, rnd_hi}, r4/r5 accumulators,
 * r6/r7 plane words, r8/r9 weight pairs (r6-r9 then the requantization
 * constants), r10 the output, r11 the output step, r12 the outputs left
 * in the row, lr the record's requantization constants (r3 + 28).
 *
 * Thumb-2, ARMv7E-M / ARMv8-M Mainline with DSP; built only where
 * KILN_HAS_DSP; each routine in its own section.  AAPCS: r4-r11, lr saved.
 */
#include "kiln/kernels_s8.h"
#include "kiln_dsp.h"
#include "dw3x3_s8.h"

#if KILN_HAS_DSP

/* Frame (after push {r4-r11, lr} and sub sp, #24):
 *   [0] rowadv: the plane rows' move from a row's end to the next row
 *   [4] yadv: the output's move from a row's end to the next row
 *   [8] n: output pairs (stride 1)      [12] odd: single outputs after them
 *   [16] the end of the output rows (the row loop stops when r10 gets there) */
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
    "    sub sp, sp, #24\n"                                                                   \
    "    ldmia.w r0, {r1-r10}\n" /* plane pw2 rowadv yadv n odd chan y ystep yend */          \
    "    strd r3, r4, [sp, #0]\n"                                                             \
    "    strd r5, r6, [sp, #8]\n"                                                             \
    "    str r10, [sp, #16]\n"                                                                \
    "    mov r0, r1\n"                                                                        \
    "    add r1, r0, r2\n"                                                                    \
    "    add r2, r1, r2\n"                                                                    \
    "    mov r3, r7\n"                                                                        \
    "    add lr, r7, #28\n"                                                                   \
    "    mov r10, r8\n"                                                                       \
    "    mov r11, r9\n"                                                                       \
    "1:  ldr r12, [sp, #8]\n"                                                                 \
    "    cmp r12, #0\n"                                                                       \
    "    beq 3f\n"                                                                            \
    "2:  " BODY "\n"                                                                          \
    "    subs r12, r12, #1\n"                                                                 \
    "    bne 2b\n"                                                                            \
    "3:  ldr r12, [sp, #12]\n"                                                                \
    "    cmp r12, #0\n"                                                                       \
    "    beq 4f\n"                                                                            \
    "5:  " SINGLE "\n"                                                                        \
    "    subs r12, r12, #1\n"                                                                 \
    "    bne 5b\n"                                                                            \
    "4:  ldrd r8, r9, [sp, #0]\n"                                                             \
    "    add r0, r0, r8\n"                                                                    \
    "    add r1, r1, r8\n"                                                                    \
    "    add r2, r2, r8\n"                                                                    \
    "    add r10, r10, r9\n"                                                                  \
    "    ldr r8, [sp, #16]\n"                                                                 \
    "    cmp r10, r8\n"                                                                       \
    "    bne 1b\n"                                                                            \
    "    add sp, sp, #24\n"                                                                   \
    "    pop {r4-r11, pc}\n"                                                                  \
    "    .size " NAME ", . - " NAME "\n"

__asm__(
    /* The requantization of accumulator A into [r10 + OFF]: one LDM of
     * {mult, shift, rnd_lo, rnd_hi} at lr; SIGNED 1 subtracts 2^31 from
     * the 64-bit sum when A < 0 (A is clobbered then). */
    "    .macro kiln_dw_rq A, OFF, SIGNED\n"
    "    ldmia lr, {r6-r9}\n"
    "    smlal r8, r9, \\A, r6\n"
    "    .if \\SIGNED\n"
    "    and \\A, \\A, #0x80000000\n"
    "    subs r8, r8, \\A\n"
    "    sbc r9, r9, #0\n"
    "    .endif\n"
    "    asr r9, r9, r7\n"
    "    ssat r9, #8, r9\n"
    "    strb r9, [r10\\OFF]\n"
    "    .endm\n"
    /* One kernel row of a single output: row pointer R, weights at WOFF. */
    "    .macro kiln_dw_row1 R, WOFF\n"
    "    ldrd r6, r7, [\\R], #4\n"
    "    ldrd r8, r9, [r3, #\\WOFF]\n"
    "    smlad r4, r6, r8, r4\n"
    "    smlabt r4, r7, r9, r4\n"
    "    .endm\n"
    /* One kernel row of an output pair (stride 1); the first MAC of y0
     * adds to RA (kernel row 0: r5, which holds the bias, so that one
     * load starts both accumulators). */
    "    .macro kiln_dw_row2 R, WOFF, RA\n"
    "    ldrd r6, r7, [\\R], #4\n"
    "    ldrd r8, r9, [r3, #\\WOFF]\n"
    "    smlad r4, r6, r8, \\RA\n"
    "    smlabt r4, r7, r9, r4\n"
    "    smlatb r5, r6, r8, r5\n"
    "    smlad r5, r7, r9, r5\n"
    "    .endm\n"
    "    .macro kiln_dw_single SIGNED\n"
    "    ldr r4, [r3]\n"
    "    kiln_dw_row1 r0, 4\n"
    "    kiln_dw_row1 r1, 12\n"
    "    kiln_dw_row1 r2, 20\n"
    "    kiln_dw_rq r4, \"\", \\SIGNED\n"
    "    add r10, r10, r11\n"
    "    .endm\n"
    "    .macro kiln_dw_pair SIGNED\n"
    "    ldr r5, [r3]\n"
    "    kiln_dw_row2 r0, 4, r5\n"
    "    kiln_dw_row2 r1, 12, r4\n"
    "    kiln_dw_row2 r2, 20, r4\n"
    "    kiln_dw_rq r4, \"\", \\SIGNED\n"
    "    kiln_dw_rq r5, \", r11\", \\SIGNED\n"
    "    add r10, r10, r11, lsl #1\n"
    "    .endm\n"
    KILN_DW_FN("kiln_dw3x3_relu_dsp", "kiln_dw_pair 0", "kiln_dw_single 0")
    KILN_DW_FN("kiln_dw3x3_short_dsp", "kiln_dw_pair 1", "kiln_dw_single 1")
    "    .text\n");

#else

typedef int kiln_dw3x3_dsp_unused; /* ISO C wants a declaration in every file */

#endif
