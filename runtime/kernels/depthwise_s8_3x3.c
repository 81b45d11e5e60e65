/*
 * depthwise_s8_3x3.c - int8 DEPTHWISE_CONV_2D with a 3x3 kernel, multiplier
 * 1, stride 1 or 2 (both axes), dilation 1, NHWC, on the compile-time
 * packed stream (kiln_depthwise_conv_s8_3x3).
 *
 * One channel at a time is copied into an int16 plane in scratch whose
 * border holds the input zero point (the folded bias expects padded taps to
 * read it).  In the plane, horizontally adjacent taps are int16 pairs at
 * aligned words, so a DSP core does a kernel row of one output with one
 * SMLAD and one SMLABT, weights packed per row as [w0 w1] [w1 w2].  Stride 1
 * goes two outputs per step:
 *   y(2j)   = W(2j).[w0 w1] + W(2j+2).lo*w2        (SMLAD, SMLABT)
 *   y(2j+1) = W(2j).hi*w0   + W(2j+2).[w1 w2]      (SMLATB, SMLAD)
 * with W(c) the word holding plane columns c and c+1; stride 2 one output:
 *   y(x)    = W(2x).[w0 w1] + W(2x+2).lo*w2.
 * When the output is taller than wide the kernel works on the transposed
 * image (kiln_dw3x3_transposed(), the packing transposes the weights to
 * match), so that the inner loop runs along the long side.
 *
 * The loops over a channel run in assembly on DSP cores
 * (depthwise_s8_3x3_dsp.c) for the short requantization into [-128, 127];
 * the portable path and every other output stage are the C below, reading
 * the same plane and stream.  Relies on chan_s8.h; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"
#include "dw3x3_s8.h"
#include "kiln_dsp.h"
#include "fill32.h"

#include <string.h>

/* The image as the kernel walks it: as stored, or transposed. */
typedef struct dw_view {
    int32_t in_h, in_w, out_h, out_w, pad_t, pad_l, s;
    int32_t x_row, x_col;      /* input bytes between a channel's view rows / columns */
    int32_t y_row, y_col;      /* output bytes between view rows / columns */
    int32_t ph, pw;            /* the plane: rows and columns every output reads */
} dw_view;

static dw_view view_of(const kiln_conv_s8_params *p)
{
    const int t = kiln_dw3x3_transposed(p);
    dw_view v;
    v.in_h = t ? p->in_w : p->in_h, v.in_w = t ? p->in_h : p->in_w;
    v.out_h = t ? p->out_w : p->out_h, v.out_w = t ? p->out_h : p->out_w;
    v.pad_t = t ? p->pad_l : p->pad_t, v.pad_l = t ? p->pad_t : p->pad_l;
    v.s = p->stride_w;
    v.x_row = t ? p->in_c : p->in_w * p->in_c, v.x_col = t ? p->in_w * p->in_c : p->in_c;
    v.y_row = t ? p->out_c : p->out_w * p->out_c, v.y_col = t ? p->out_w * p->out_c : p->out_c;
    /* Stride 1 reads the columns of whole pairs, a word past the last output. */
    v.ph = (v.out_h - 1) * v.s + 3;
    v.pw = v.s == 1 ? ((v.out_w + 1) & ~1) + 2 : 2 * v.out_w + 2;
    return v;
}

/* Two planes: channels go in pairs. */
size_t kiln_depthwise_conv_s8_3x3_scratch_size(const kiln_conv_s8_params *p)
{
    const dw_view v = view_of(p);
    return 2 * (size_t)v.ph * (size_t)v.pw * 2;
}

/* The rows and columns of the input that land in the plane. */
static int32_t plane_rows(const dw_view *v)
{
    return v->in_h < v->ph - v->pad_t ? v->in_h : v->ph - v->pad_t;
}

static int32_t plane_cols(const dw_view *v)
{
    return v->in_w < v->pw - v->pad_l ? v->in_w : v->pw - v->pad_l;
}

/* Channel c of the input (xc points at it) into the plane's interior; the
 * border keeps the zero point. */
static void load_plane(const dw_view *v, const int8_t *xc, int16_t *plane)
{
    const int32_t rows = plane_rows(v), cols = plane_cols(v), step = v->x_col;
    for (int32_t iy = 0; iy < rows; iy++) {
        const int8_t *s = xc + iy * v->x_row;
        int16_t *d = plane + (iy + v->pad_t) * v->pw + v->pad_l;
        for (int32_t ix = 0; ix < cols; ix++, s += step)
            d[ix] = *s;
    }
}

/* Channels c and c + 1 (xc points at c) into two planes at once: per four
 * pixels, four halfword loads (two ADDs between them), two PKHBT, four
 * SXTB16, four word stores (STR, which may be unaligned: a plane's
 * interior starts at an odd column when pad_l is 1; STRD may not). */
static void load_planes2(const dw_view *v, const int8_t *xc, int16_t *p0, int16_t *p1)
{
#if KILN_HAS_DSP
    const int32_t rows = plane_rows(v), cols = plane_cols(v), step = v->x_col;
    for (int32_t iy = 0; iy < rows; iy++) {
        const int8_t *s = xc + iy * v->x_row;
        const int32_t o = (iy + v->pad_t) * v->pw + v->pad_l;
        int16_t *d0 = p0 + o, *d1 = p1 + o;
        int32_t n = cols >> 2;
        if (n) {
            uint32_t a, b, c, e;
            __asm__ volatile("1: ldrh %[a], [%[s]]\n\t"
                             "ldrh %[b], [%[s], %[st]]\n\t"
                             "ldrh %[c], [%[s], %[st], lsl #1]\n\t"
                             "add %[s], %[s], %[st], lsl #1\n\t"
                             "ldrh %[e], [%[s], %[st]]\n\t"
                             "add %[s], %[s], %[st], lsl #1\n\t"
                             "pkhbt %[a], %[a], %[b], lsl #16\n\t"
                             "pkhbt %[c], %[c], %[e], lsl #16\n\t"
                             "sxtb16 %[b], %[a], ror #8\n\t"
                             "sxtb16 %[a], %[a]\n\t"
                             "sxtb16 %[e], %[c], ror #8\n\t"
                             "sxtb16 %[c], %[c]\n\t"
                             "str %[a], [%[d0]], #4\n\t"
                             "str %[c], [%[d0]], #4\n\t"
                             "str %[b], [%[d1]], #4\n\t"
                             "str %[e], [%[d1]], #4\n\t"
                             "subs %[n], %[n], #1\n\t"
                             "bne 1b"
                             : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e),
                               [s] "+r"(s), [d0] "+r"(d0), [d1] "+r"(d1), [n] "+r"(n)
                             : [st] "r"(step)
                             : "cc", "memory");
        }
        for (int32_t i = 0; i < (cols & 3); i++, s += step)
            d0[i] = s[0], d1[i] = s[1];
    }
#else
    load_plane(v, xc, p0);
    load_plane(v, xc + 1, p1);
#endif
}

/* A channel's record, copied out of the stream so that stores to the
 * output (int8: may alias anything) do not force reloads. */
typedef struct dw_chan {
    int32_t bias, k[6];
    kiln_chan_s8 rq;
} dw_chan;

/* Every output of one channel in C (any output stage): a row at a time, in
 * chunks of accumulators a host compiler keeps in vector registers. */
static void channel_c(const dw_view *v, const int16_t *plane, const uint8_t *rec,
                      const kiln_epi *e, int8_t *y)
{
    /* On DSP cores this is only the fallback of the rarer output stages
     * (the assembly takes the short ones): one output at a time, in less
     * code. */
    enum { CHUNK = KILN_HAS_DSP ? 1 : 32 };
    dw_chan c;
    memcpy(&c.bias, rec, 4);
    memcpy(c.k, rec + 4, 24);
    memcpy(&c.rq, rec + 28, 16);
    int32_t w[9]; /* the taps, from the [w0 w1] [w1 w2] pairs */
    for (int32_t ky = 0; ky < 3; ky++) {
        w[3 * ky] = (int16_t)c.k[2 * ky];
        w[3 * ky + 1] = (int16_t)((uint32_t)c.k[2 * ky] >> 16);
        w[3 * ky + 2] = (int16_t)((uint32_t)c.k[2 * ky + 1] >> 16);
    }
    const int32_t s = v->s;
    for (int32_t oy = 0; oy < v->out_h; oy++, y += v->y_row) {
        const int16_t *r0 = plane + oy * s * v->pw;
        for (int32_t ox0 = 0; ox0 < v->out_w; ox0 += CHUNK) {
            const int32_t n = v->out_w - ox0 < CHUNK ? v->out_w - ox0 : CHUNK;
            uint32_t acc[CHUNK]; /* wraps like TFLite's int32 sum */
            for (int32_t i = 0; i < n; i++)
                acc[i] = (uint32_t)c.bias;
            for (int32_t ky = 0; ky < 3; ky++) {
                const int16_t *r = r0 + ky * v->pw + ox0 * s;
                const int32_t w0 = w[3 * ky], w1 = w[3 * ky + 1], w2 = w[3 * ky + 2];
                for (int32_t i = 0; i < n; i++)
                    acc[i] += (uint32_t)(r[i * s] * w0 + r[i * s + 1] * w1 + r[i * s + 2] * w2);
            }
            for (int32_t i = 0; i < n; i++)
                y[(ox0 + i) * v->y_col] = kiln_chan_out((int32_t)acc[i], &c.rq, e);
        }
    }
}

/* Whether the assembly loops take this output stage: the short modes into
 * the full int8 range.  1: relu, 2: short, 0: no. */
static int asm_kind(const kiln_epi *e)
{
    if (!KILN_HAS_DSP || !e->full)
        return 0;
    return e->mode == KILN_RQ_SHORT_RELU ? 1 : e->mode == KILN_RQ_SHORT ? 2 : 0;
}

static void channel_out(const dw_view *v, const int16_t *plane, const uint8_t *rec,
                        const kiln_epi *e, int kind, int8_t *y)
{
#if KILN_HAS_DSP
    if (kind) {
        kiln_dw_args a;
        a.plane = plane, a.pw2 = v->pw * 2;
        a.n = v->s == 1 ? v->out_w / 2 : 0, a.odd = v->s == 1 ? v->out_w & 1 : v->out_w;
        a.rowadv = v->s * a.pw2 - 4 * (a.n + a.odd); /* a pair or a single: one word on */
        a.yadv = v->y_row - v->out_w * v->y_col;
        a.chan = rec, a.y = y, a.ystep = v->y_col, a.yend = y + v->out_h * v->y_row;
        (kind == 1 ? kiln_dw3x3_relu_dsp : kiln_dw3x3_short_dsp)(&a);
        return;
    }
#else
    (void)kind;
#endif
    channel_c(v, plane, rec, e, y);
}

void kiln_depthwise_conv_s8_3x3(const kiln_conv_s8_params *p, const int8_t *x, const void *w,
                                int8_t *y, void *scratch)
{
    const dw_view v = view_of(p);
    const int32_t plane_n = v.ph * v.pw;
    int16_t *p0 = (int16_t *)scratch, *p1 = p0 + plane_n;
    const int16_t zp = (int16_t)-p->in_offset;
    const kiln_epi e = kiln_epi_of(&p->rq);
    const int kind = asm_kind(&e);
    kiln_fill32((uint32_t *)scratch, plane_n, (uint32_t)(uint16_t)zp * 0x10001u); /* pw is even */
    for (int32_t b = 0; b < p->batch; b++) {
        const int8_t *xb = x + b * p->in_h * p->in_w * p->in_c;
        int8_t *yb = y + b * p->out_h * p->out_w * p->out_c;
        const uint8_t *rec = (const uint8_t *)w;
        int32_t c = 0;
        for (; c + 2 <= p->out_c; c += 2, rec += 2 * KILN_DW3X3_CHAN_BYTES) {
            load_planes2(&v, xb + c, p0, p1);
            channel_out(&v, p0, rec, &e, kind, yb + c);
            channel_out(&v, p1, rec + KILN_DW3X3_CHAN_BYTES, &e, kind, yb + c + 1);
        }
        if (c < p->out_c) {
            load_plane(&v, xb + c, p0);
            channel_out(&v, p0, rec, &e, kind, yb + c);
        }
    }
}
