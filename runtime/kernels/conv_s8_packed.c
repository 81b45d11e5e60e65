/*
 * conv_s8_packed.c - int8 CONV_2D (groups 1, NHWC) on compile-time packed
 * weights: kiln_conv_s8_p8 (int8 weights) and kiln_conv_s8_p16 (int16).
 *
 * Output pixels go two at a time: each one's K = k_h*k_w*in_c inputs are
 * expanded to int16 slices in scratch (a partial im2col: two rows, not the
 * whole matrix); then gemm_s8.c runs every output channel over the pair.
 * The input rows a window needs sit in a small ring in scratch, with the
 * input zero point around them (the folded bias expects padded taps to read
 * it), so a kernel row is one run of k_w*in_c bytes (NHWC), expanded a word
 * at a time, with no bounds tests; a 1x1 conv reads its input directly.
 * Never allocates.
 */
#include "kiln/kernels_s8.h"
#include <string.h>
#include "gemm_s8.h"
#include "bytes.h"

static int32_t conv_slices(const kiln_conv_s8_params *p)
{
    return (p->k_h * p->k_w * kiln_conv_s8_tap_elems(p) + 3) / 4;
}

/* 1x1, stride 1, no padding: each output pixel's row is its input pixel. */
static int pointwise(const kiln_conv_s8_params *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_t == 0 &&
           p->pad_l == 0 && p->in_w == p->out_w && p->in_h == p->out_h;
}

/* The ring of padded input rows: every input row a kernel window can touch,
 * with the zero point left and right of it as far as the windows reach;
 * `span` slots, so that one output row's kernel rows are all in it, each
 * row stored twice (slot s and s + span) so that they are also all at one
 * stride from the first, whatever slot it is in. */
typedef struct ring_geom {
    int32_t span;        /* rows: (k_h - 1) * dil_h + 1 */
    int32_t row_bytes;   /* (pad_l + in_w + right) * in_c, rounded up to 4 */
} ring_geom;

static ring_geom ring_of(const kiln_conv_s8_params *p)
{
    ring_geom r;
    const int32_t reach = (p->out_w - 1) * p->stride_w + (p->k_w - 1) * p->dil_w + 1;
    const int32_t right = reach - p->pad_l - p->in_w;
    r.span = (p->k_h - 1) * p->dil_h + 1;
    /* + 4: a 3-channel tap is read as a word, one byte past the pixel */
    r.row_bytes = ((p->pad_l + p->in_w + (right > 0 ? right : 0)) * p->in_c + 4 + 3) & ~3;
    return r;
}

/* Scratch: two interleaved rows of slices, the outputs of a dropped second
 * row (an odd last pixel), then (unless pointwise) the ring's tags (which
 * input row each slot holds) and its rows. */
static size_t conv_scratch(const kiln_conv_s8_params *p)
{
    size_t n = (size_t)conv_slices(p) * 16 + (size_t)((p->out_c + 3) & ~3); /* rows, spare */
    if (!pointwise(p)) {
        const ring_geom r = ring_of(p);
        n += 4 * (size_t)r.span + 2 * (size_t)r.span * (size_t)r.row_bytes;
    }
    return n;
}

size_t kiln_conv_s8_p8_scratch_size(const kiln_conv_s8_params *p) { return conv_scratch(p); }
size_t kiln_conv_s8_p16_scratch_size(const kiln_conv_s8_params *p) { return conv_scratch(p); }

/* The partial im2col: the reduction elements of one output pixel after the
 * other (tap-major, channels inner) into one of the two interleaved rows of
 * slices.  Kernel rows come from the ring, where padding is already the
 * zero point, so a row of the window is one run of k_w * in_c bytes
 * (dilation 1) expanded a word at a time, with no bounds tests. */
typedef struct im2col {
    const kiln_conv_s8_params *p;
    const int8_t *xb;          /* this batch item's input */
    ring_geom rg;
    int32_t *tag;              /* per slot: the input row it holds */
    int8_t *ring;
    const int8_t *krow0;       /* this output row's first kernel row in the ring */
    int32_t kstride;           /* bytes from one kernel row to the next: dil_h rows */
    int32_t run;               /* k_w * in_c */
    int pointwise;             /* pointwise(p) */
    int32_t oy, ox;            /* the next pixel */
} im2col;

/* Slot of input row iy (iy >= -pad_t), filled with it: the row, or the zero
 * point where iy is outside the input (twice: s and s + span).  The margins
 * stay the zero point. */
static int32_t ring_row(im2col *s, int32_t iy)
{
    const kiln_conv_s8_params *p = s->p;
    const int32_t slot = (iy + p->pad_t) % s->rg.span;
    if (s->tag[slot] != iy) {
        const size_t n = (size_t)(p->in_w * p->in_c);
        int8_t *d = s->ring + slot * s->rg.row_bytes + p->pad_l * p->in_c;
        s->tag[slot] = iy;
        if (iy >= 0 && iy < p->in_h)
            kiln_bytes_copy(d, s->xb + iy * p->in_w * p->in_c, n);
        else
            kiln_bytes_fill(d, (uint8_t)-p->in_offset, n);
        kiln_bytes_copy(d + s->rg.span * s->rg.row_bytes, d, n);
    }
    return slot;
}

static void im2col_row(im2col *s)
{
    const kiln_conv_s8_params *p = s->p;
    const int32_t iy0 = s->oy * p->stride_h - p->pad_t;
    for (int32_t ky = p->k_h - 1; ky >= 0; ky--)
        ring_row(s, iy0 + ky * p->dil_h);
    s->krow0 = s->ring + ring_row(s, iy0) * s->rg.row_bytes;
}

static void im2col_start(im2col *s, const kiln_conv_s8_params *p, const int8_t *xb, void *scratch)
{
    s->p = p;
    s->xb = xb;
    s->run = p->k_w * p->in_c;
    s->pointwise = pointwise(p);
    s->oy = s->ox = 0;
    if (s->pointwise)
        return;
    s->rg = ring_of(p);
    s->tag = (int32_t *)scratch;
    s->ring = (int8_t *)(s->tag + s->rg.span);
    s->kstride = p->dil_h * s->rg.row_bytes;
    kiln_bytes_fill(s->ring, (uint8_t)-p->in_offset, (size_t)(2 * s->rg.span * s->rg.row_bytes));
    for (int32_t i = 0; i < s->rg.span; i++)
        s->tag[i] = INT32_MIN; /* no row: every slot fills on first use */
    im2col_row(s);
}

/* A pixel's kernel rows, each one run of whole slices (dilation 1,
 * k_w * in_c a multiple of 4), or a word per tap (3 channels). */
static void im2col_words(const im2col *s, int16_t *d, const int8_t *src)
{
    const kiln_conv_s8_params *p = s->p;
    const int32_t kh = p->k_h, ks = s->kstride;
    if (p->in_c == 3) {
        const int32_t step = 3 * p->dil_w, kw = p->k_w;
        for (int32_t ky = 0; ky < kh; ky++, src += ks)
            d = kiln_expand_taps(d, 8, src, step, kw);
    } else if (s->run == 4) {
        kiln_expand_taps(d, 8, src, ks, kh); /* a word per kernel row */
    } else {
        const int32_t nw = s->run >> 2;
        for (int32_t ky = 0; ky < kh; ky++, src += ks)
            d = kiln_expand_words(d, 8, src, nw);
    }
}

/* The next pixel's elements into row, then advance. */
static void im2col_next(im2col *s, int16_t *row)
{
    const kiln_conv_s8_params *p = s->p;
    if (s->pointwise) {
        kiln_expand(row, 8, 0, s->xb + (s->oy * p->in_w + s->ox) * p->in_c, p->in_c);
    } else {
        const int32_t c = p->in_c;
        const int8_t *src = s->krow0 + s->ox * p->stride_w * c;
        if (c == 3 || (p->dil_w == 1 && (s->run & 3) == 0)) {
            im2col_words(s, row, src);
        } else {
            for (int32_t ky = 0, k = 0; ky < p->k_h; ky++, k += s->run, src += s->kstride) {
                if (p->dil_w == 1)
                    kiln_expand(row, 8, k, src, s->run);
                else
                    for (int32_t kx = 0; kx < p->k_w; kx++)
                        kiln_expand(row, 8, k + kx * c, src + kx * p->dil_w * c, c);
            }
        }
    }
    if (++s->ox == p->out_w) {
        s->ox = 0;
        if (++s->oy < p->out_h && !s->pointwise)
            im2col_row(s);
    }
}

/* After a pixel pair of one output row: on to the next pair, and the next
 * output row's ring rows when the row is done. */
static void im2col_advance2(im2col *s)
{
    const kiln_conv_s8_params *p = s->p;
    if ((s->ox += 2) == p->out_w) {
        s->ox = 0;
        if (++s->oy < p->out_h)
            im2col_row(s);
    }
}

/* Whether the pair loop takes im2col_words_pair: kernel rows of whole
 * words (dilation 1, k_w * in_c a multiple of 4), not 3 channels.  A
 * kernel row of one word (KWS's 10x4 conv on one channel) stays with
 * im2col_next, whose single loop over the kernel rows costs less there. */
static int words2(const im2col *s)
{
    const kiln_conv_s8_params *p = s->p;
    return !s->pointwise && p->in_c != 3 && p->dil_w == 1 && (s->run & 3) == 0 && s->run > 4;
}

/* Two pixels of the same output row (s->ox + 2 <= out_w) straight into the
 * interleaved pair layout, then advance: per kernel row one
 * kiln_expand_pair of both windows' runs, instead of two im2col_next. */
static void im2col_words_pair(im2col *s, int16_t *d)
{
    const kiln_conv_s8_params *p = s->p;
    const int32_t step = p->stride_w * p->in_c, nw = s->run >> 2;
    const int8_t *a = s->krow0 + s->ox * step;
    for (int32_t ky = 0; ky < p->k_h; ky++, a += s->kstride)
        d = kiln_expand_pair(d, a, a + step, nw);
    im2col_advance2(s);
}

/* The pixel pairs of a pointwise conv over whole words of channels (in_c a
 * multiple of 4): each pair's two input pixels straight into the
 * interleaved rows, then every channel; where the assembly runs every group
 * it is called directly (without kiln_gemm_rows2's checks).  Returns the
 * pixels done (npix rounded down to even). */
static int32_t pointwise_pairs(kiln_gemm_job *j, int16_t *rows, const int8_t *x, int32_t c,
                               int8_t *y, int32_t oc, int32_t npix)
{
    int32_t pix = 0;
#if KILN_HAS_DSP
    const int direct = j->g0 && j->g0 * 2 == oc;
    j->a.rows = rows;
#endif
    for (; pix + 1 < npix; pix += 2, x += 2 * c, y += 2 * oc) {
        kiln_expand_pair(rows, x, x + c, c >> 2);
#if KILN_HAS_DSP
        if (direct) {
            j->a.y = y, j->a.y1 = y + oc;
            j->rows2(&j->a);
            continue;
        }
#endif
        kiln_gemm_rows2(j, rows, y, y + oc);
    }
    return pix;
}

static void conv_packed(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int w16,
                        kiln_rows2_fn rows2, kiln_rows2c_fn rows2c, int8_t *y, void *scratch)
{
    int16_t *rows = (int16_t *)scratch;
    int8_t *spare = (int8_t *)scratch + (size_t)conv_slices(p) * 16;
    void *ring = spare + ((p->out_c + 3) & ~3);
    kiln_gemm_job j;
    j.w = (const uint8_t *)w, j.w16 = w16, j.ns = conv_slices(p), j.out_c = p->out_c;
    j.epi = kiln_epi_of(&p->rq);
    j.spare = spare, j.rows2 = rows2, j.rows2c = rows2c;
    kiln_gemm_start(&j);
    kiln_bytes_fill(rows, 0, (size_t)conv_slices(p) * 16); /* lanes past K stay 0 (their weights are 0) */
    const int32_t npix = p->out_h * p->out_w;
    for (int32_t b = 0; b < p->batch; b++) {
        int8_t *yb = y + b * npix * p->out_c;
        im2col s;
        im2col_start(&s, p, x + b * p->in_h * p->in_w * p->in_c, ring);
        const int words = words2(&s);
        int32_t pix = 0;
        if (s.pointwise && (p->in_c & 3) == 0)
            pix = pointwise_pairs(&j, rows, x + b * p->in_h * p->in_w * p->in_c, p->in_c, yb,
                                  p->out_c, npix);
        for (; pix < npix; pix += 2) {
            int8_t *y1 = 0;
            if (pix + 1 < npix) {
                if (words && s.ox + 2 <= p->out_w) {
                    im2col_words_pair(&s, rows);
                } else {
                    im2col_next(&s, rows);
                    im2col_next(&s, rows + 4);
                }
                y1 = yb + (pix + 1) * p->out_c;
            } else {
                if (s.pointwise)
                    s.oy = pix / p->out_w, s.ox = pix % p->out_w; /* the pairs skipped im2col */
                im2col_next(&s, rows);
            }
            kiln_gemm_rows2(&j, rows, yb + pix * p->out_c, y1);
        }
    }
}

void kiln_conv_s8_p8(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                     void *scratch)
{
    conv_packed(p, x, w, 0, KILN_ROWS2_P8, kiln_gemm_rows2_c_p8, y, scratch);
}

void kiln_conv_s8_p16(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                      void *scratch)
{
    conv_packed(p, x, w, 1, KILN_ROWS2_P16, kiln_gemm_rows2_c_p16, y, scratch);
}
