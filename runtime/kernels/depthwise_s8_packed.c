/*
 * depthwise_s8_packed.c - int8 DEPTHWISE_CONV_2D with any k_h x k_w window,
 * multiplier 1, any stride, dilation and padding, NHWC, on the compile-time
 * packed stream of kiln_depthwise_conv_s8_packed (4 channels a block,
 * kiln_dw_packed_block_bytes()): the layers the 3x3 kernels do not take,
 * e.g. the Kx1 windows of a 1-D network (MLPerf Tiny's streaming wake word:
 * 3x1, 5x1, 10x1, 15x1 over 40 and 128 channels).
 *
 * No scratch and no copy of the input: per output pixel and block of 4
 * channels, every tap reads one NHWC word of the input (4 int8 channels),
 * SXTB16 and SXTB16 ROR #8 make it the int16 pairs [c0 c2] [c1 c3], one
 * LDRD fetches the tap's weights packed in the same lanes, and SMLABB,
 * SMLATT, SMLABB, SMLATT accumulate the 4 channels: 8 instructions for 4
 * multiply-accumulates, the weights never sign-extended at run time and
 * the input offset folded into the bias by the compiler.
 *
 * Padding: the folded bias assumes every tap reads a value, so a padded
 * tap must read the input zero point.  Interior pixels (whose whole window
 * lies inside the input) run the tap loop with no bounds test; the others
 * and the last block of a channel count that is not a multiple of 4 go
 * through one general path that tests each tap and reads the zero point
 * (or only the channels that exist) instead.  Pixels go in raster order,
 * all blocks of a pixel before the next one, so a pixel's outputs are
 * written after its whole window was read (plan_inplace.c's window rule).
 *
 * The DSP path uses SXTB16/SMLAxy (kiln_dsp.h); the portable path computes
 * the same sums in C.  Relies on chan_s8.h; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"
#include "kiln_dsp.h"

#include <string.h>

size_t kiln_depthwise_conv_s8_packed_scratch_size(const kiln_conv_s8_params *p)
{
    (void)p;
    return 4; /* none needed; the planner wants a size > 0 */
}

/* The 4 accumulators of a block: channels 0..3. */
typedef struct dwp_acc {
    int32_t a0, a1, a2, a3;
} dwp_acc;

/* acc += the 4 int8 channels of input word x times the tap's weight words
 * w0 = [w_c0 w_c2], w1 = [w_c1 w_c3]. */
static KILN_ALWAYS_INLINE void mac4(uint32_t x, uint32_t w0, uint32_t w1, dwp_acc *a)
{
#if KILN_HAS_DSP
    uint32_t e, o;
    __asm__("sxtb16 %0, %1" : "=r"(e) : "r"(x));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(o) : "r"(x));
    __asm__("smlabb %0, %1, %2, %0" : "+r"(a->a0) : "r"(e), "r"(w0));
    __asm__("smlatt %0, %1, %2, %0" : "+r"(a->a2) : "r"(e), "r"(w0));
    __asm__("smlabb %0, %1, %2, %0" : "+r"(a->a1) : "r"(o), "r"(w1));
    __asm__("smlatt %0, %1, %2, %0" : "+r"(a->a3) : "r"(o), "r"(w1));
#else
    /* Wraps like TFLite's int32 sum. */
    a->a0 = (int32_t)((uint32_t)a->a0 + (uint32_t)((int8_t)x * (int16_t)w0));
    a->a1 = (int32_t)((uint32_t)a->a1 + (uint32_t)((int8_t)(x >> 8) * (int16_t)w1));
    a->a2 = (int32_t)((uint32_t)a->a2 + (uint32_t)((int8_t)(x >> 16) * (int16_t)(w0 >> 16)));
    a->a3 = (int32_t)((uint32_t)a->a3 + (uint32_t)((int8_t)(x >> 24) * (int16_t)(w1 >> 16)));
#endif
}

static KILN_ALWAYS_INLINE uint32_t load_word(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* acc += n taps of one block, the first input word at xp, step bytes
 * between taps, their weight words from w on. */
static KILN_ALWAYS_INLINE void taps_run(dwp_acc *a, const int8_t *xp, int32_t n, int32_t step,
                                        const uint32_t *w)
{
    dwp_acc r = *a;
    for (; n >= 2; n -= 2, w += 4) {
        const uint32_t x0 = load_word(xp), x1 = load_word(xp + step);
        xp += 2 * step;
        mac4(x0, w[0], w[1], &r);
        mac4(x1, w[2], w[3], &r);
    }
    if (n)
        mac4(load_word(xp), w[0], w[1], &r);
    *a = r;
}

#if KILN_HAS_DSP
/* What the assembly pixel loop reads: one interior output pixel whose
 * window is one run of taps (rows == 1), its full blocks. */
typedef struct kiln_dwp_args {
    const int8_t *x; /* +0  the window's first tap, channel 0 */
    const void *w;   /* +4  the stream, block 0 */
    int8_t *y;       /* +8  the output pixel, channel 0 */
    int32_t nblk;    /* +12 full blocks (>= 1) */
    int32_t taps;    /* +16 taps (>= 1) */
    int32_t step;    /* +20 input bytes between taps */
} kiln_dwp_args;

void kiln_dwp_relu_dsp(const kiln_dwp_args *a);
void kiln_dwp_short_dsp(const kiln_dwp_args *a);

/* Frame (after push {r4-r11, lr}, sub sp, #16): [0] taps x step - 4 (what
 * rewinds the input pointer to the next block), [4] tap pairs, [8] taps &
 * 1, [12] the stream's end.  In the loops: r0 the input (moves by the
 * step), r1 the stream, r2 the output, r4-r7 the accumulators of channels
 * 0-3, r8/r9 input words, r10/r11 weight words (then the requantization
 * constants), r12 the step, r3 the pair count, lr scratch.  A single tap
 * first when the count is odd, then pairs: per pair 2 LDR, 1 ADD, 2 LDRD,
 * 4 SXTB16, 8 SMLAxy and the loop's SUBS/BNE, 19 instructions for 8 MACs. */
#define KILN_DWP_FN(NAME, SIGNED)                                                             \
    "    .section .text." NAME ",\"ax\",%progbits\n"                                          \
    "    .syntax unified\n"                                                                   \
    "    .thumb\n"                                                                            \
    "    .align 2\n"                                                                          \
    "    .global " NAME "\n"                                                                  \
    "    .type " NAME ", %function\n"                                                         \
    "    .thumb_func\n"                                                                       \
    NAME ":\n"                                                                                \
    "    push {r4-r11, lr}\n"                                                                 \
    "    sub sp, sp, #16\n"                                                                   \
    "    ldmia.w r0, {r1-r6}\n" /* x w y nblk taps step */                                    \
    "    mul r7, r5, r6\n"                                                                    \
    "    sub r7, r7, #4\n"                                                                    \
    "    str r7, [sp, #0]\n"                                                                  \
    "    lsr r7, r5, #1\n"                                                                    \
    "    str r7, [sp, #4]\n"                                                                  \
    "    and r7, r5, #1\n"                                                                    \
    "    str r7, [sp, #8]\n"                                                                  \
    "    lsl r7, r5, #3\n" /* block bytes 80 + 8 taps */                                     \
    "    add r7, r7, #80\n"                                                                   \
    "    mla r7, r4, r7, r2\n"                                                                \
    "    str r7, [sp, #12]\n"                                                                 \
    "    mov r0, r1\n"                                                                        \
    "    mov r1, r2\n"                                                                        \
    "    mov r2, r3\n"                                                                        \
    "    mov r12, r6\n"                                                                       \
    "1:  ldmia r1!, {r4-r7}\n"                                                                \
    "    ldr r3, [sp, #8]\n"                                                                  \
    "    cbz r3, 3f\n"                                                                        \
    "    ldr r8, [r0]\n"                                                                      \
    "    add r0, r0, r12\n"                                                                   \
    "    ldrd r10, r11, [r1], #8\n"                                                           \
    "    kiln_dwp_tap r8, r9\n"                                                               \
    "3:  ldr r3, [sp, #4]\n"                                                                  \
    "    cbz r3, 4f\n"                                                                        \
    "2:  ldr r8, [r0]\n"                                                                      \
    "    ldr r9, [r0, r12]\n"                                                                 \
    "    add r0, r0, r12, lsl #1\n"                                                           \
    "    ldrd r10, r11, [r1], #16\n"                                                          \
    "    kiln_dwp_tap r8, lr\n"                                                               \
    "    ldrd r10, r11, [r1, #-8]\n"                                                          \
    "    kiln_dwp_tap r9, lr\n"                                                               \
    "    subs r3, r3, #1\n"                                                                   \
    "    bne 2b\n"                                                                            \
    "4:  kiln_dwp_rq r4, 0, " SIGNED "\n"                                                     \
    "    kiln_dwp_rq r5, 1, " SIGNED "\n"                                                     \
    "    kiln_dwp_rq r6, 2, " SIGNED "\n"                                                     \
    "    kiln_dwp_rq r7, 3, " SIGNED "\n"                                                     \
    "    adds r2, r2, #4\n"                                                                   \
    "    adds r1, r1, #64\n"                                                                  \
    "    ldr r3, [sp, #0]\n"                                                                  \
    "    subs r0, r0, r3\n"                                                                   \
    "    ldr r3, [sp, #12]\n"                                                                 \
    "    cmp r1, r3\n"                                                                        \
    "    bne 1b\n"                                                                            \
    "    add sp, sp, #16\n"                                                                   \
    "    pop {r4-r11, pc}\n"                                                                  \
    "    .size " NAME ", . - " NAME "\n"

__asm__(
    /* One tap: input word X (clobbered), weight words in r10/r11, T a
     * scratch register: [c0 c2] into T, [c1 c3] into X. */
    "    .macro kiln_dwp_tap X, T\n"
    "    sxtb16 \\T, \\X\n"
    "    sxtb16 \\X, \\X, ror #8\n"
    "    smlabb r4, \\T, r10, r4\n" /* c0 */
    "    smlatt r6, \\T, r10, r6\n" /* c2 */
    "    smlabb r5, \\X, r11, r5\n" /* c1 */
    "    smlatt r7, \\X, r11, r7\n" /* c3 */
    "    .endm\n"
    /* Channel I's accumulator A into [r2 + I]: chan record at r1 + 16 I
     * {mult, shift, rnd_lo, rnd_hi}; SIGNED subtracts 2^31 from the 64-bit
     * sum when A < 0 (chan_s8.h). */
    "    .macro kiln_dwp_rq A, I, SIGNED\n"
    "    ldrd r8, r9, [r1, #(8 + 16 * \\I)]\n"
    "    ldrd r10, r11, [r1, #(16 * \\I)]\n"
    "    smlal r8, r9, \\A, r10\n"
    "    .if \\SIGNED\n"
    "    and \\A, \\A, #0x80000000\n"
    "    subs r8, r8, \\A\n"
    "    sbc r9, r9, #0\n"
    "    .endif\n"
    "    asr r9, r9, r11\n"
    "    ssat r9, #8, r9\n"
    "    strb r9, [r2, #\\I]\n"
    "    .endm\n"
    KILN_DWP_FN("kiln_dwp_relu_dsp", "0")
    KILN_DWP_FN("kiln_dwp_short_dsp", "1")
    "    .text\n");
#endif

/* The walk of a layer: the window as rows of taps (a k_w == 1 window is
 * one row of k_h taps, so that the tap loop runs along its long side; the
 * packing keeps row-major tap order either way). */
typedef struct dwp_geom {
    int32_t rows, cols;       /* the interior tap loop: rows of cols taps */
    int32_t rstep, cstep;     /* input bytes between its rows / taps */
    int32_t taps, blocks, full; /* taps; blocks of 4 channels; those without a tail */
    int32_t oy0, oy1, ox0, ox1; /* the interior outputs: [oy0, oy1) x [ox0, ox1) */
} dwp_geom;

/* First output whose window starts at or after the input's start, and the
 * end of those whose window ends inside it (clipped to [0, out)). */
static void interior(int32_t out, int32_t in, int32_t s, int32_t pad, int32_t span, int32_t *lo,
                     int32_t *hi)
{
    const int32_t a = (pad + s - 1) / s; /* o*s - pad >= 0 */
    const int32_t room = in - span + pad; /* o*s - pad + span <= in */
    const int32_t b = room < 0 ? 0 : room / s + 1;
    *lo = a < out ? a : out;
    *hi = b < *lo ? *lo : b > out ? out : b;
}

static dwp_geom geom_of(const kiln_conv_s8_params *p)
{
    dwp_geom g;
    const int32_t c = p->in_c;
    g.taps = p->k_h * p->k_w;
    g.blocks = (c + 3) / 4, g.full = c / 4;
    const int32_t dy = p->dil_h * p->in_w * c, dx = p->dil_w * c;
    if (p->k_w == 1)
        g.rows = 1, g.cols = p->k_h, g.rstep = 0, g.cstep = dy;
    else
        g.rows = p->k_h, g.cols = p->k_w, g.rstep = dy, g.cstep = dx;
    interior(p->out_h, p->in_h, p->stride_h, p->pad_t, (p->k_h - 1) * p->dil_h + 1, &g.oy0, &g.oy1);
    interior(p->out_w, p->in_w, p->stride_w, p->pad_l, (p->k_w - 1) * p->dil_w + 1, &g.ox0, &g.ox1);
    return g;
}

/* Channels [c, c + n) of input pixel xp as a word, n < 4: the rest zero
 * (their weights are zero). */
static uint32_t load_part(const int8_t *xp, int32_t n)
{
    uint32_t v = 0;
    for (int32_t i = 0; i < n; i++)
        v |= (uint32_t)(uint8_t)xp[i] << (8 * i);
    return v;
}

/* acc += every tap of block b at output (oy, ox), testing each: a tap off
 * the input reads the zero point zpw, a block of nc < 4 channels reads only
 * those.  xb: the image's first input byte of the block. */
static void taps_any(const kiln_conv_s8_params *p, const int8_t *xb, int32_t oy, int32_t ox,
                     int32_t nc, uint32_t zpw, const uint32_t *w, dwp_acc *acc)
{
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, w += 2) {
            const int32_t ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
            uint32_t v = zpw;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                const int8_t *xp = xb + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)p->in_c;
                v = nc == 4 ? load_word(xp) : load_part(xp, nc);
            }
            mac4(v, w[0], w[1], acc);
        }
    }
}

/* The block's accumulators as 4 outputs (the stream's chan records at rq)
 * in one word, channel 0 in the low byte; mode is a constant at each call. */
static KILN_ALWAYS_INLINE uint32_t block_out(const dwp_acc *a, const uint8_t *rq, int32_t mode,
                                             const kiln_epi *e)
{
    const kiln_chan_s8 *ch = (const kiln_chan_s8 *)(const void *)rq;
    const int32_t acc[4] = {a->a0, a->a1, a->a2, a->a3};
    uint32_t word = 0;
    for (int32_t i = 0; i < 4; i++) {
        const int32_t v = kiln_chan_value(acc[i], &ch[i], mode, e->out_offset);
        word |= (uint32_t)(uint8_t)kiln_chan_clamp(v, e->full, e->lo, e->hi) << (8 * i);
    }
    return word;
}

/* Every block of output pixel (oy, ox) for output stage mode; xi: the
 * window's first input pixel when the pixel is interior, else NULL. */
static KILN_ALWAYS_INLINE void pixel(const kiln_conv_s8_params *p, const dwp_geom *g,
                                     const int8_t *xb, const int8_t *xi, int32_t oy, int32_t ox,
                                     const uint8_t *w, uint32_t zpw, const kiln_epi *e,
                                     int32_t mode, int8_t *y)
{
    const size_t bb = kiln_dw_packed_block_bytes(g->taps);
    int32_t b = 0;
#if KILN_HAS_DSP
    if (xi && g->rows == 1 && g->full && e->full &&
        (mode == KILN_RQ_SHORT || mode == KILN_RQ_SHORT_RELU)) {
        kiln_dwp_args a;
        a.x = xi, a.w = w, a.y = y, a.nblk = g->full, a.taps = g->cols, a.step = g->cstep;
        (mode == KILN_RQ_SHORT ? kiln_dwp_short_dsp : kiln_dwp_relu_dsp)(&a);
        b = g->full, w += (size_t)b * bb;
    }
#endif
    for (; b < g->blocks; b++, w += bb) {
        const int32_t *bias = (const int32_t *)(const void *)w;
        dwp_acc acc = {bias[0], bias[1], bias[2], bias[3]};
        const uint32_t *wt = (const uint32_t *)(const void *)(w + 16);
        const int32_t nc = b < g->full ? 4 : p->in_c - 4 * b;
        if (xi && nc == 4) {
            const int8_t *xr = xi + 4 * b;
            for (int32_t r = 0; r < g->rows; r++, xr += g->rstep, wt += 2 * g->cols)
                taps_run(&acc, xr, g->cols, g->cstep, wt);
        } else {
            taps_any(p, xb + 4 * b, oy, ox, nc, zpw, wt, &acc);
        }
        const uint32_t v = block_out(&acc, w + 16 + 8 * (size_t)g->taps, mode, e);
        if (nc == 4)
            memcpy(y + 4 * b, &v, 4);
        else
            for (int32_t i = 0; i < nc; i++)
                y[4 * b + i] = (int8_t)(uint8_t)(v >> (8 * i));
    }
}

/* The whole layer for output stage mode (a constant at each call). */
static KILN_ALWAYS_INLINE void layer(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                     int8_t *y, int32_t mode)
{
    const dwp_geom g = geom_of(p);
    const kiln_epi e = kiln_epi_of(&p->rq);
    const uint32_t zp8 = (uint32_t)(uint8_t)(int8_t)-p->in_offset;
    const uint32_t zpw = zp8 * 0x01010101u;
    const int32_t c = p->in_c;
    for (int32_t bt = 0; bt < p->batch; bt++) {
        const int8_t *xb = x + (size_t)bt * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        int8_t *yp = y + (size_t)bt * (size_t)p->out_h * (size_t)p->out_w * (size_t)c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int in_y = oy >= g.oy0 && oy < g.oy1;
            const int32_t iy = oy * p->stride_h - p->pad_t;
            for (int32_t ox = 0; ox < p->out_w; ox++, yp += c) {
                const int32_t ix = ox * p->stride_w - p->pad_l;
                const int8_t *xi = in_y && ox >= g.ox0 && ox < g.ox1
                                       ? xb + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)c
                                       : NULL;
                pixel(p, &g, xb, xi, oy, ox, (const uint8_t *)w, zpw, &e, mode, yp);
            }
        }
    }
}

void kiln_depthwise_conv_s8_packed(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                   int8_t *y, void *scratch)
{
    (void)scratch;
    if (p->rq.mode == KILN_RQ_SHORT_RELU)
        layer(p, x, w, y, KILN_RQ_SHORT_RELU);
    else if (p->rq.mode == KILN_RQ_SHORT)
        layer(p, x, w, y, KILN_RQ_SHORT);
    else
        layer(p, x, w, y, KILN_RQ_TFLITE);
}
