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

/* Frame (after push {r4-r11, lr} and sub sp, #44), words 0-9 of
 * kiln_rows2_args copied by one LDM/STM; after, rest, entry, epi, chunks are
 * computed from ns and relu on the first call and kept in the arguments:
 *   [sp, #0]  y        first row's output of the current group
 *   [sp, #4]  y1       second row's
 *   [sp, #8]  end      the stream's end (one past the last group)
 *   [sp, #12] rows
 *   [sp, #16] after    where the body goes (Thumb bit set): the chunk
 *                      check, or the epilogue
 *   [sp, #20] rest     16 * ns - 512: the bytes of rows past a full chunk
 *   [sp, #24] left     full 32-slice chunks still to run in this group
 *                      (after the first, partial one; reset when done)
 *   [sp, #28] entry    address inside the unrolled body
 *   [sp, #32] epi      the epilogue: without (relu) or with the sign term
 *   [sp, #36] chunks   full chunks after the first (what left starts at)
 * Registers in the body: r4-r7 accumulators (c0r0 c0r1 c1r0 c1r1), r8-r11
 * the rows' slice (r0 a, r0 b, r1 a, r1 b), r0-r3 the channels' slice words
 * (c0 a, c0 b, c1 a, c1 b), r12 the rows pointer, lr the stream pointer.
 * A group starts with its four accumulators' initial values (the biases,
 * each twice), loaded with one LDM, and a load of the pc from `entry`.  The
 * body ends with one LDM of y, y1, end, rows and the pc from `after`: the
 * epilogue's pointers and the branch to it (or to the chunk check, which
 * puts the rows pointer back where the chunk left it), so one routine serves
 * both epilogues and both reduction lengths.  Per group that is LDM
 * (biases), LDR pc, LDM y y1 end rows pc, the outputs, STRD y y1, CMP,
 * BNE: 6 instructions for 4 outputs (8 with the sign term, whose constant
 * takes a register: MOV end, MOV constant). */

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
    "    ldr r1, [r0, #28]\n"   /* entry: 0 until the first call prepared it */             \
    "    cmp r1, #0\n"                                                                      \
    "    bne 6f\n"                                                                          \
    "    ldrd r6, r7, [r0, #44]\n" /* ns relu */                                            \
    "    subs r3, r6, #1\n"                                                                 \
    "    and r3, r3, #31\n"                                                                 \
    "    adds r3, r3, #1\n"      /* first: 1..32 slices */                                  \
    "    subs r4, r6, r3\n"                                                                 \
    "    lsrs r4, r4, #5\n"      /* full chunks after it */                                 \
    "    movs r5, #" SLICE_BYTES "\n"                                                       \
    "    muls r3, r5, r3\n"                                                                 \
    "    adr.w r5, 8f\n"                                                                    \
    "    subs r5, r5, r3\n"                                                                 \
    "    orr r5, r5, #1\n"                                                                  \
    "    str r5, [r0, #28]\n"   /* entry */                                                 \
    "    lsls r6, r6, #4\n"                                                                 \
    "    sub r6, r6, #512\n"                                                                \
    "    strd r6, r4, [r0, #20]\n" /* rest left */                                          \
    "    str r4, [r0, #36]\n"   /* chunks */                                                \
    "    adr.w r5, 3f\n"         /* relu epilogue */                                        \
    "    adr.w r6, 4f\n"         /* signed epilogue */                                      \
    "    cmp r7, #0\n"                                                                      \
    "    it eq\n"                                                                           \
    "    moveq r5, r6\n"                                                                    \
    "    orr r5, r5, #1\n"                                                                  \
    "    str r5, [r0, #32]\n"   /* epi */                                                   \
    "    adr.w r6, 9f\n"         /* chunk check */                                          \
    "    orr r6, r6, #1\n"                                                                  \
    "    cmp r4, #0\n"                                                                      \
    "    it eq\n"                                                                           \
    "    moveq r6, r5\n"                                                                    \
    "    str r6, [r0, #16]\n"   /* after */                                                 \
    "6:  ldmia.w r0, {r1-r11}\n" /* the frame, then the stream */                          \
    "    stmia.w sp, {r1-r10}\n"                                                            \
    "    mov lr, r11\n"                                                                     \
    "1:  ldr r12, [sp, #12]\n"                                                              \
    "2:  ldmia.w lr!, {r4-r7}\n" /* initial accumulators */                                 \
    "    ldr pc, [sp, #28]\n"   /* entry */                                                 \
    "    .align 2\n"                                                                        \
    "7:\n"                                                                                  \
    "    .rept 32\n"                                                                        \
    "    " SLICE_MACRO "\n"                                                                 \
    "    .endr\n"                                                                           \
    "8:  ldmia.w sp, {r8, r10, r11, r12, pc}\n" /* y y1 end rows, after */                 \
    "3:  kiln_epilogue kiln_rq2_relu, \"\", r11, 2b\n"                                    \
    "4:  kiln_epilogue kiln_rq2_signed, \"mov r12, r11; mov r11, #0x80000000\", r12, 1b\n" \
    "9:  ldr r0, [sp, #24]\n"   /* one more chunk? */                                       \
    "    subs r0, r0, #1\n"                                                                 \
    "    bmi 5f\n"                                                                          \
    "    str r0, [sp, #24]\n"                                                               \
    "    ldr r1, [sp, #20]\n"   /* rows + 16 ns - 512 (left + 1): where it stopped */      \
    "    add r12, r12, r1\n"                                                                \
    "    sub r12, r12, r0, lsl #9\n"                                                        \
    "    b 7b\n"                                                                            \
    "5:  ldr r0, [sp, #36]\n"   /* the group's chunks are done: left for the next */      \
    "    str r0, [sp, #24]\n"                                                               \
    "    ldr pc, [sp, #32]\n"                                                               \
    "    .size " NAME ", . - " NAME "\n"

/* One channel's two outputs (accumulators A: row 0, B: row 1).  The stream
 * pointer lr is at the channel's kiln_chan_s8 {mult, shift, rnd_lo, rnd_hi}
 * and moves past it; r8 = the first row's next output, r10 the second's,
 * each moved on by its store. */
__asm__(
    "    .macro kiln_rq2_relu A, B\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    smlal r2, r3, \\A, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r8], #1\n"
    "    ldrd r2, r3, [lr, #-8]\n"
    "    smlal r2, r3, \\B, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r10], #1\n"
    "    .endm\n"
    /* The same with the sign term: rnd - [acc < 0] * 2^31, as one more
     * SMLAL of (acc >>> 31) by r11 = 0x80000000 (-2^31). */
    "    .macro kiln_rq2_signed A, B\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    lsr r9, \\A, #31\n"
    "    smlal r2, r3, r9, r11\n"
    "    smlal r2, r3, \\A, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r8], #1\n"
    "    ldrd r2, r3, [lr, #-8]\n"
    "    lsr r9, \\B, #31\n"
    "    smlal r2, r3, r9, r11\n"
    "    smlal r2, r3, \\B, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r10], #1\n"
    "    .endm\n"
    /* A group's outputs with RQ (after SETUP), then on to the next group
     * (NEXT) or out.  On entry r8 = the first row's outputs, r10 the
     * second's, r11 the stream's end, r12 the rows pointer (loaded by the
     * LDM that ends the body); END = the register with the end: the relu
     * form keeps it in r11 and goes on past the group's load of the rows
     * pointer, the signed form (r11 its constant) moves it to r12 and
     * reloads the rows pointer.  Registers the RQ does not touch. */
    "    .macro kiln_epilogue RQ, SETUP, END, NEXT\n"
    "    \\SETUP\n"
    "    \\RQ r4, r5\n"
    "    \\RQ r6, r7\n"
    "    strd r8, r10, [sp, #0]\n"
    "    cmp lr, \\END\n"
    "    bne \\NEXT\n"
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

/* ---- one row, four channels a group (FULLY_CONNECTED with batch 1) ---- */

/* Frame of kiln_row1_*_dsp (after push {r4-r11, lr} and sub sp, #28):
 *   [sp, #0]  y        the current group's first output
 *   [sp, #4]  row      the row's first slice
 *   [sp, #8]  entry    where the reduction loop is entered (Thumb bit set):
 *                      its second copy when ns is odd
 *   [sp, #12] row_end  one past the row's last slice
 *   [sp, #16] end      one past the last group to run
 *   [sp, #20] epi      the epilogue: relu, signed or raw (kind 0, 1, 2)
 *   [sp, #24] the arguments (raw mode writes acc there)
 * Registers in the body: r4-r7 the four channels' accumulators, r12 the row
 * pointer, r3 its end, r0 r1 the row's slice (LDRD), r8-r11 two channels'
 * slices (LDM; int8: one word per channel, r2 the odd lanes), lr the
 * stream pointer, which walks biases, slices and kiln_chan_s8 in order.
 * Per group: LDR row, LDR row end, LDM biases, LDR pc (entry); the loop,
 * two slices a turn; LDR pc (epi); per output LDM {mult, shift, rnd_lo,
 * rnd_hi}, SMLAL, [LSR + SMLAL: the sign term], ASR, SSAT, STRB (post-
 * indexed); then four instructions to the next group. */
#define KILN_ROW1_FN(NAME, SLICE_MACRO)                                                    \
    "    .section .text." NAME ",\"ax\",%progbits\n"                                        \
    "    .syntax unified\n"                                                                 \
    "    .thumb\n"                                                                          \
    "    .align 2\n"                                                                        \
    "    .global " NAME "\n"                                                                \
    "    .type " NAME ", %function\n"                                                       \
    "    .thumb_func\n"                                                                     \
    NAME ":\n"                                                                              \
    "    push {r4-r11, lr}\n"                                                               \
    "    sub sp, sp, #28\n"                                                                 \
    "    str r0, [sp, #24]\n"                                                               \
    "    ldmia.w r0, {r1, r2, r4, r5, r7, lr}\n" /* y row row_end end kind stream */        \
    "    subs r3, r4, r2\n"                                                                 \
    "    adr.w r8, 8f\n"                                                                    \
    "    adr.w r9, 9f\n"                                                                    \
    "    tst r3, #8\n"          /* an odd number of slices */                               \
    "    it ne\n"                                                                           \
    "    movne r8, r9\n"                                                                    \
    "    orr r3, r8, #1\n"                                                                  \
    "    adr.w r6, 3f\n"                                                                    \
    "    adr.w r9, 4f\n"                                                                    \
    "    adr.w r10, 5f\n"                                                                   \
    "    cmp r7, #1\n"                                                                      \
    "    it eq\n"                                                                           \
    "    moveq r6, r9\n"                                                                    \
    "    it hi\n"                                                                           \
    "    movhi r6, r10\n"                                                                   \
    "    orr r6, r6, #1\n"                                                                  \
    "    stmia.w sp, {r1-r6}\n"  /* y row entry row_end end epi */                          \
    "1:  ldr r12, [sp, #4]\n"                                                               \
    "    ldr r3, [sp, #12]\n"                                                               \
    "    ldmia.w lr!, {r4-r7}\n" /* the biases */                                           \
    "    ldr pc, [sp, #8]\n"                                                                \
    "8:  " SLICE_MACRO "\n"                                                                 \
    "9:  " SLICE_MACRO "\n"                                                                 \
    "    cmp r12, r3\n"                                                                     \
    "    bne 8b\n"                                                                          \
    "    ldr pc, [sp, #20]\n"                                                               \
    "4:  ldr r8, [sp, #0]\n"                                                                \
    "    mov r11, #0x80000000\n"                                                            \
    "    kiln_rq1_signed r4\n"                                                           \
    "    kiln_rq1_signed r5\n"                                                           \
    "    kiln_rq1_signed r6\n"                                                           \
    "    kiln_rq1_signed r7\n"                                                           \
    "    b 6f\n"                                                                            \
    "5:  ldr r0, [sp, #24]\n"  /* raw: the accumulators to args->acc, one group */          \
    "    adds r0, r0, #24\n"                                                                \
    "    stmia.w r0, {r4-r7}\n"                                                             \
    "    b 7f\n"                                                                            \
    "3:  ldr r8, [sp, #0]\n"                                                                \
    "    kiln_rq1_relu r4\n"                                                             \
    "    kiln_rq1_relu r5\n"                                                             \
    "    kiln_rq1_relu r6\n"                                                             \
    "    kiln_rq1_relu r7\n"                                                             \
    "6:  ldr r0, [sp, #16]\n"                                                               \
    "    str r8, [sp, #0]\n"                                                                \
    "    cmp lr, r0\n"                                                                      \
    "    bne 1b\n"                                                                          \
    "7:  add sp, sp, #28\n"                                                                 \
    "    pop {r4-r11, pc}\n"                                                                \
    "    .size " NAME ", . - " NAME "\n"

__asm__(
    /* One output of the group (accumulator A), stored at r8, which moves
     * on; lr at the channel's kiln_chan_s8, moved past it. */
    "    .macro kiln_rq1_relu A\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    smlal r2, r3, \\A, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r8], #1\n"
    "    .endm\n"
    /* With the sign term (r11 = 0x80000000), as kiln_rq2_signed. */
    "    .macro kiln_rq1_signed A\n"
    "    ldmia.w lr!, {r0-r3}\n"
    "    lsr r9, \\A, #31\n"
    "    smlal r2, r3, r9, r11\n"
    "    smlal r2, r3, \\A, r0\n"
    "    asr r3, r3, r1\n"
    "    ssat r3, #8, r3\n"
    "    strb r3, [r8], #1\n"
    "    .endm\n"
    /* One slice of four channels, int16 weights: 11 instructions, 16 MACs. */
    "    .macro kiln_slice4_p16\n"
    "    ldrd r0, r1, [r12], #8\n"
    "    ldmia.w lr!, {r8-r11}\n"
    "    smlad r4, r0, r8, r4\n"
    "    smlad r4, r1, r9, r4\n"
    "    smlad r5, r0, r10, r5\n"
    "    smlad r5, r1, r11, r5\n"
    "    ldmia.w lr!, {r8-r11}\n"
    "    smlad r6, r0, r8, r6\n"
    "    smlad r6, r1, r9, r6\n"
    "    smlad r7, r0, r10, r7\n"
    "    smlad r7, r1, r11, r7\n"
    "    .endm\n"
    /* Int8 weights: the four channels' words in one LDM, each SXTB16 ROR #8
     * (odd lanes, into r2) then SXTB16 in place. */
    "    .macro kiln_slice4_p8\n"
    "    ldrd r0, r1, [r12], #8\n"
    "    ldmia.w lr!, {r8-r11}\n"
    "    sxtb16 r2, r8, ror #8\n"
    "    sxtb16 r8, r8\n"
    "    smlad r4, r0, r8, r4\n"
    "    smlad r4, r1, r2, r4\n"
    "    sxtb16 r2, r9, ror #8\n"
    "    sxtb16 r9, r9\n"
    "    smlad r5, r0, r9, r5\n"
    "    smlad r5, r1, r2, r5\n"
    "    sxtb16 r2, r10, ror #8\n"
    "    sxtb16 r10, r10\n"
    "    smlad r6, r0, r10, r6\n"
    "    smlad r6, r1, r2, r6\n"
    "    sxtb16 r2, r11, ror #8\n"
    "    sxtb16 r11, r11\n"
    "    smlad r7, r0, r11, r7\n"
    "    smlad r7, r1, r2, r7\n"
    "    .endm\n"
    KILN_ROW1_FN("kiln_row1_p16_dsp", "kiln_slice4_p16")
    KILN_ROW1_FN("kiln_row1_p8_dsp", "kiln_slice4_p8")
    "    .text\n");

#else

typedef int kiln_gemm_s8_dsp_unused; /* ISO C wants a declaration in every file */

#endif
