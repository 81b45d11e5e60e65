/*
 * gemm_s8_dsp.c - the hot loop of the packed conv/FC kernels on cores with
 * the DSP extension, in assembly: kiln_rows2_p16_dsp / kiln_rows2_p8_dsp run
 * every full channel group of a packed stream (kiln/kernels_s8.h) over two
 * interleaved rows of int16 slices and store both rows' outputs with the
 * short requantization.  gemm_s8.c calls them; everything they do not cover
 * (the exact requantization, a clamp narrower than int8, a last group with
 * one real channel, an odd last row) stays in C there.
 *
 * Why assembly: the reduction is fully unrolled (32 slices; a computed
 * branch enters it so that exactly ns slices run, and a counter repeats it
 * for ns > 32), which frees the loop register; with it all 14 registers
 * carry data: 4 accumulators, the two rows' slice (LDM of 4), the two
 * channels' slices (LDM of 4 int16 words, or LDRD of int8 words and 4
 * SXTB16), the row pointer and the stream pointer.  One slice is then 10
 * instructions for 16 MACs with int16 weights, 12 with int8.  The stream
 * pointer walks biases, slices and requantization constants in the order
 * they are stored, so no other pointer is needed.
 *
 * Per output, the short requantization is LDRD (rounding constant), SMLAL,
 * [LSR + SMLAL: the sign term of KILN_RQ_SHORT], ASR, SSAT, STRB.
 *
 * Thumb-2, ARMv7E-M / ARMv8-M Mainline with DSP; built only where
 * KILN_HAS_DSP.  Each routine is in its own section, so an image that does
 * not call it does not contain it.  AAPCS: r4-r11 and lr saved.
 */
#include "gemm_s8.h"

#if KILN_HAS_DSP

/* Frame (after push {r4-r11, lr} and sub sp, #44):
 *   [sp, #0]  y        first row's output of the current group (second: + ystride)
 *   [sp, #4]  ystride
 *   [sp, #8]  end      the stream's end (one past the last group)
 *   [sp, #12] rows
 *   [sp, #16] entry    address (Thumb bit set) inside the unrolled body
 *   [sp, #20] chunks   full 32-slice chunks after the first, partial one
 *   [sp, #24] left     chunks still to run in this group
 *   [sp, #28] after    where the body goes: the chunk check, or the epilogue
 *   [sp, #32] epi      the epilogue: without (relu) or with the sign term
 * Registers in the body: r4-r7 accumulators (c0r0 c0r1 c1r0 c1r1), r8-r11
 * the rows' slice (r0 a, r0 b, r1 a, r1 b), r0-r3 the channels' slice words
 * (c0 a, c0 b, c1 a, c1 b), r12 the rows pointer, lr the stream pointer.
 * A group starts with its four accumulators' initial values (the biases,
 * each twice), loaded with one LDM.  The body ends with a load of the pc
 * from `after`, so one routine serves both epilogues and both reduction
 * lengths at one instruction per group. */

#define KILN_ROWS2_FN(NAME, SLICE_MACRO, SLICE_BYTES)                                      \
    "    .section .text." NAME ",\"ax\",%progbits\n"                                        \
    "    .syntax unified\n"                                                                 \
    "    .thumb\n"                                                                          \
    "    .align 2\n"                                                                        \
    "    .global " NAME "\n"                                                                \
    "    .type " NAME ", %function\n"                                                       \
    "    .thumb_func\n"                                                                     \
    NAME ":\n"                                                                              \
    "    push {r4-r11, lr}\n"                                                               \
    "    sub sp, sp, #44\n"                                                                 \
    "    ldmia.w r0, {r1-r8}\n" /* rows stream y ystride end ns relu - */                  \
    "    strd r3, r4, [sp, #0]\n"                                                           \
    "    strd r5, r1, [sp, #8]\n"                                                           \
    "    subs r3, r6, #1\n"                                                                 \
    "    and r3, r3, #31\n"                                                                 \
    "    adds r3, r3, #1\n"      /* first: 1..32 slices */                                  \
    "    subs r4, r6, r3\n"                                                                 \
    "    lsrs r4, r4, #5\n"      /* chunks */                                               \
    "    movs r5, #" SLICE_BYTES "\n"                                                       \
    "    muls r3, r5, r3\n"                                                                 \
    "    adr.w r5, 8f\n"                                                                    \
    "    subs r5, r5, r3\n"                                                                 \
    "    orr r5, r5, #1\n"                                                                  \
    "    strd r5, r4, [sp, #16]\n"                                                          \
    "    adr.w r5, 3f\n"         /* relu epilogue */                                        \
    "    adr.w r6, 4f\n"         /* signed epilogue */                                      \
    "    cmp r7, #0\n"                                                                      \
    "    it eq\n"                                                                           \
    "    moveq r5, r6\n"                                                                    \
    "    orr r5, r5, #1\n"                                                                  \
    "    adr.w r6, 9f\n"         /* chunk check */                                          \
    "    orr r6, r6, #1\n"                                                                  \
    "    cmp r4, #0\n"                                                                      \
    "    it eq\n"                                                                           \
    "    moveq r6, r5\n"                                                                    \
    "    strd r6, r5, [sp, #28]\n"                                                          \
    "    mov lr, r2\n"                                                                      \
    "1:  ldrd r10, r11, [sp, #16]\n" /* entry, chunks */                                  \
    "    str r11, [sp, #24]\n"                                                              \
    "    ldr r12, [sp, #12]\n"                                                              \
    "    ldmia.w lr!, {r4-r7}\n" /* initial accumulators */                                 \
    "    bx r10\n"                                                                          \
    "    .align 2\n"                                                                        \
    "7:\n"                                                                                  \
    "    .rept 32\n"                                                                        \
    "    " SLICE_MACRO "\n"                                                                 \
    "    .endr\n"                                                                           \
    "8:  ldr pc, [sp, #28]\n"                                                               \
    "9:  ldr r0, [sp, #24]\n"                                                               \
    "    subs r0, r0, #1\n"                                                                 \
    "    it mi\n"                                                                           \
    "    ldrmi pc, [sp, #32]\n"                                                             \
    "    str r0, [sp, #24]\n"                                                               \
    "    b 7b\n"                                                                            \
    "3:  kiln_epilogue kiln_rq2_relu, \"\"\n"                                             \
    "4:  kiln_epilogue kiln_rq2_signed, \"mov r11, #0x80000000\"\n"                       \
    "    .size " NAME ", . - " NAME "\n"

/* One channel's two outputs (accumulators A: row 0, B: row 1; channel
 * index CH of the group, the byte offset of its outputs).  The stream
 * pointer lr is at the channel's kiln_chan_s8 {mult, shift, rnd_lo, rnd_hi}
 * and moves past it; r8 = the first row's outputs, r10 the second's. */
__asm__(
    "    .macro kiln_rq2_relu A, B, CH\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    smlal r2, r3, \\A, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r8, #\\CH]\n"
    "    ldrd r2, r3, [lr, #-8]\n"
    "    smlal r2, r3, \\B, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r10, #\\CH]\n"
    "    .endm\n"
    /* The same with the sign term: rnd - [acc < 0] * 2^31, as one more
     * SMLAL of (acc >>> 31) by r11 = 0x80000000 (-2^31). */
    "    .macro kiln_rq2_signed A, B, CH\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    lsr r9, \\A, #31\n"
    "    smlal r2, r3, r9, r11\n"
    "    smlal r2, r3, \\A, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r8, #\\CH]\n"
    "    ldrd r2, r3, [lr, #-8]\n"
    "    lsr r9, \\B, #31\n"
    "    smlal r2, r3, r9, r11\n"
    "    smlal r2, r3, \\B, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r10, #\\CH]\n"
    "    .endm\n"
    /* A group's outputs with RQ (after SETUP), then on to the next group or
     * out.  r8 = the first row's outputs, r10 the second's. */
    "    .macro kiln_epilogue RQ, SETUP\n"
    "    ldrd r8, r9, [sp, #0]\n"
    "    add r10, r8, r9\n"
    "    \\SETUP\n"
    "    \\RQ r4, r5, 0\n"
    "    \\RQ r6, r7, 1\n"
    "    adds r8, r8, #2\n"
    "    ldr r0, [sp, #8]\n"
    "    str r8, [sp, #0]\n"
    "    cmp lr, r0\n"
    "    bne 1b\n"
    "    add sp, sp, #44\n"
    "    pop {r4-r11, pc}\n"
    "    .endm\n"
    /* One slice, int16 weights: 40 bytes of code. */
    "    .macro kiln_slice_p16\n"
    "    ldmia.w r12!, {r8-r11}\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    smlad r4, r8, r0, r4\n"
    "    smlad r4, r9, r1, r4\n"
    "    smlad r5, r10, r0, r5\n"
    "    smlad r5, r11, r1, r5\n"
    "    smlad r6, r8, r2, r6\n"
    "    smlad r6, r9, r3, r6\n"
    "    smlad r7, r10, r2, r7\n"
    "    smlad r7, r11, r3, r7\n"
    "    .endm\n"
    /* One slice, int8 weights: the channels' words, then SXTB16 ROR #8
     * (odd lanes) and SXTB16 (even lanes); 56 bytes of code. */
    "    .macro kiln_slice_p8\n"
    "    ldmia.w r12!, {r8-r11}\n"
    "    ldrd r0, r2, [lr], #8\n"
    "    sxtb16 r1, r0, ror #8\n"
    "    sxtb16 r0, r0\n"
    "    sxtb16 r3, r2, ror #8\n"
    "    sxtb16 r2, r2\n"
    "    smlad r4, r8, r0, r4\n"
    "    smlad r4, r9, r1, r4\n"
    "    smlad r5, r10, r0, r5\n"
    "    smlad r5, r11, r1, r5\n"
    "    smlad r6, r8, r2, r6\n"
    "    smlad r6, r9, r3, r6\n"
    "    smlad r7, r10, r2, r7\n"
    "    smlad r7, r11, r3, r7\n"
    "    .endm\n"
    KILN_ROWS2_FN("kiln_rows2_p16_dsp", "kiln_slice_p16", "40")
    KILN_ROWS2_FN("kiln_rows2_p8_dsp", "kiln_slice_p8", "56")
    "    .text\n");

#else

typedef int kiln_gemm_s8_dsp_unused; /* ISO C wants a declaration in every file */

#endif
