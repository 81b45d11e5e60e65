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
    for (int32_t b = 0; b < g->blocks; b++, w += bb) {
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
