/*
 * depthwise_s8_3x3.c - int8 DEPTHWISE_CONV_2D with a 3x3 kernel, multiplier
 * 1, stride 1 or 2, dilation 1, NHWC, on compile-time packed weights
 * (kiln_depthwise_conv_s8_3x3).
 *
 * One channel at a time is copied into an int16 plane in scratch whose
 * border holds the input zero point (the folded bias expects padded taps to
 * read it).  In the plane, horizontally adjacent taps are int16 pairs at
 * aligned words, so a DSP core does a kernel row of one output with one
 * SMLAD and one SMLABB-type multiply, weights packed per row as the pairs
 * [w0 w1] [w1 w2].  Stride 1 goes two outputs per step:
 *   y(2j)   = W(2j).[w0 w1] + W(2j+2).lo*w2        (SMLAD, SMLABT)
 *   y(2j+1) = W(2j).hi*w0   + W(2j+2).[w1 w2]      (SMLATB, SMLAD)
 * with W(c) the word holding plane columns c and c+1; stride 2 one output:
 *   y(x)    = W(2x).[w0 w1] + W(2x+2).lo*w2.
 * The portable path reads the same plane and weights with plain C.
 * Relies on chan_s8.h for the output stage; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"
#include "kiln_dsp.h"

#include <string.h>

/* The plane: rows and columns every output reads, the width even so that
 * each row starts on a word and a two-output step of stride 1 may read
 * one pair past the last output. */
typedef struct plane_geom {
    int32_t h, w;
} plane_geom;

static plane_geom plane_of(const kiln_conv_s8_params *p)
{
    plane_geom g;
    const int32_t s = p->stride_w;
    const int32_t ow = s == 1 ? (p->out_w + 1) & ~1 : p->out_w;
    g.h = (p->out_h - 1) * p->stride_h + 3;
    g.w = ((ow - 1) * s + 4 + 1) & ~1;
    return g;
}

size_t kiln_depthwise_conv_s8_3x3_scratch_size(const kiln_conv_s8_params *p)
{
    const plane_geom g = plane_of(p);
    return (size_t)g.h * (size_t)g.w * 2;
}

/* Channel c of the input into the plane's interior (the border stays). */
static void load_plane(const kiln_conv_s8_params *p, const plane_geom *g, const int8_t *xb,
                       int32_t c, int16_t *plane)
{
    const int32_t rows = p->in_h < g->h - p->pad_t ? p->in_h : g->h - p->pad_t;
    const int32_t cols = p->in_w < g->w - p->pad_l ? p->in_w : g->w - p->pad_l;
    const int32_t step = p->in_c;
    for (int32_t iy = 0; iy < rows; iy++) {
        const int8_t *s = xb + iy * p->in_w * step + c;
        int16_t *d = plane + (iy + p->pad_t) * g->w + p->pad_l;
        int32_t ix = 0;
        for (; ix + 2 <= cols; ix += 2, s += 2 * step)
            d[ix] = s[0], d[ix + 1] = s[step];
        if (ix < cols)
            d[ix] = s[0];
    }
}

/* Two int16 as one word (memcpy: no aliasing question; one LDR). */
static KILN_ALWAYS_INLINE int32_t ld_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

#if KILN_HAS_DSP

/* One kernel row of the outputs at plane columns col and col+1 (stride 1). */
static KILN_ALWAYS_INLINE void row_s1(const int16_t *r, const int32_t *k, int32_t *a0, int32_t *a1)
{
    const int32_t w0 = ld_pair(r), w1 = ld_pair(r + 2);
    *a0 = __smlabt(w1, k[1], __smlad(w0, k[0], *a0));
    *a1 = __smlad(w1, k[1], __smlatb(w0, k[0], *a1));
}

static KILN_ALWAYS_INLINE int32_t row_s2(const int16_t *r, const int32_t *k, int32_t a)
{
    return __smlabt(ld_pair(r + 2), k[1], __smlad(ld_pair(r), k[0], a));
}

#else

static KILN_ALWAYS_INLINE int32_t tap3(const int16_t *r, const int32_t *k)
{
    const int32_t w0 = (int16_t)k[0], w1 = (int16_t)((uint32_t)k[0] >> 16);
    const int32_t w2 = (int16_t)((uint32_t)k[1] >> 16);
    return r[0] * w0 + r[1] * w1 + r[2] * w2;
}

static KILN_ALWAYS_INLINE void row_s1(const int16_t *r, const int32_t *k, int32_t *a0, int32_t *a1)
{
    *a0 = (int32_t)((uint32_t)*a0 + (uint32_t)tap3(r, k));
    *a1 = (int32_t)((uint32_t)*a1 + (uint32_t)tap3(r + 1, k));
}

static KILN_ALWAYS_INLINE int32_t row_s2(const int16_t *r, const int32_t *k, int32_t a)
{
    return (int32_t)((uint32_t)a + (uint32_t)tap3(r, k));
}

#endif

/* The outputs of one channel: k = its 6 weight words, y = its first output. */
static void channel_outputs(const kiln_conv_s8_params *p, const plane_geom *g,
                            const int16_t *plane, const int32_t *k, const kiln_chan_s8 *c,
                            const kiln_epi *e, int8_t *y)
{
    const int32_t yrow = p->out_w * p->out_c, sh = p->stride_h;
    for (int32_t oy = 0; oy < p->out_h; oy++, y += yrow) {
        const int16_t *r0 = plane + oy * sh * g->w, *r1 = r0 + g->w, *r2 = r1 + g->w;
        int8_t *d = y;
        if (p->stride_w == 1) {
            for (int32_t ox = 0; ox < p->out_w; ox += 2, d += 2 * p->out_c) {
                int32_t a0 = c->bias, a1 = c->bias;
                row_s1(r0 + ox, k, &a0, &a1);
                row_s1(r1 + ox, k + 2, &a0, &a1);
                row_s1(r2 + ox, k + 4, &a0, &a1);
                d[0] = kiln_chan_out(a0, c, e);
                if (ox + 1 < p->out_w)
                    d[p->out_c] = kiln_chan_out(a1, c, e);
            }
        } else {
            for (int32_t ox = 0; ox < p->out_w; ox++, d += p->out_c) {
                int32_t a = row_s2(r0 + 2 * ox, k, c->bias);
                a = row_s2(r1 + 2 * ox, k + 2, a);
                a = row_s2(r2 + 2 * ox, k + 4, a);
                d[0] = kiln_chan_out(a, c, e);
            }
        }
    }
}

void kiln_depthwise_conv_s8_3x3(const kiln_conv_s8_params *p, const int8_t *x, const int16_t *w,
                                const int32_t *chan, int8_t *y, void *scratch)
{
    const plane_geom g = plane_of(p);
    int16_t *plane = (int16_t *)scratch;
    const int16_t zp = (int16_t)-p->in_offset;
    const kiln_chan_s8 *ch = (const kiln_chan_s8 *)(const void *)chan;
    const kiln_epi e = kiln_epi_of(&p->rq);
    const int32_t *k = (const int32_t *)(const void *)w;
    for (int32_t i = 0; i < g.h * g.w; i++)
        plane[i] = zp;
    for (int32_t b = 0; b < p->batch; b++) {
        const int8_t *xb = x + b * p->in_h * p->in_w * p->in_c;
        int8_t *yb = y + b * p->out_h * p->out_w * p->out_c;
        for (int32_t c = 0; c < p->out_c; c++) {
            load_plane(p, &g, xb, c, plane);
            channel_outputs(p, &g, plane, k + 6 * c, &ch[c], &e, yb + c);
        }
    }
}
