/*
 * conv_s8_packed.c - int8 CONV_2D (groups 1, NHWC) on compile-time packed
 * weights: kiln_conv_s8_p8 (int8 weights) and kiln_conv_s8_p16 (int16).
 *
 * Output pixels go two at a time: each one's K = k_h*k_w*in_c inputs are
 * expanded to int16 slices in scratch (a partial im2col: two rows, not the
 * whole matrix), padded taps filled with the input zero point, which the
 * folded bias expects; then gemm_s8.c runs every output channel over the
 * pair.  Kernel rows inside the input are one run of k_w*in_c contiguous
 * bytes (NHWC), expanded a word at a time; a 1x1 conv is one run per pixel.
 * Relies on conv_window.h for the taps inside the input; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "conv_window.h"
#include "gemm_s8.h"

static int32_t conv_slices(const kiln_conv_s8_params *p)
{
    return (p->k_h * p->k_w * p->in_c + 3) / 4;
}

/* Two rows of slices, interleaved. */
static size_t conv_scratch(const kiln_conv_s8_params *p)
{
    return (size_t)conv_slices(p) * 16;
}

size_t kiln_conv_s8_p8_scratch_size(const kiln_conv_s8_params *p) { return conv_scratch(p); }
size_t kiln_conv_s8_p16_scratch_size(const kiln_conv_s8_params *p) { return conv_scratch(p); }

/* The partial im2col: the reduction elements of one output pixel after the
 * other, tap-major with channels inner, into one of the two interleaved
 * rows.  The vertical taps are worked out once per output row, the
 * horizontal ones once per pixel. */
typedef struct im2col {
    const kiln_conv_s8_params *p;
    const int8_t *xb;          /* this batch item's input */
    int32_t run;               /* elements of one kernel row: k_w * in_c */
    int16_t zp;                /* what a padded tap reads */
    int pointwise;             /* 1x1, stride 1, no padding: a pixel is its own row */
    int32_t oy, ox;            /* the next pixel */
    kiln_taps ty;              /* vertical taps of row oy */
} im2col;

static void im2col_start(im2col *s, const kiln_conv_s8_params *p, const int8_t *xb)
{
    s->p = p;
    s->xb = xb;
    s->run = p->k_w * p->in_c;
    s->zp = (int16_t)-p->in_offset;
    s->pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                   p->pad_t == 0 && p->pad_l == 0 && p->in_w == p->out_w;
    s->oy = s->ox = 0;
    s->ty = kiln_taps_of(0, p->stride_h, p->pad_t, p->dil_h, p->k_h, p->in_h);
}

/* Kernel row ky = k / run of the current pixel, from input row src_row. */
static void krow(const im2col *s, const kiln_taps *tx, const int8_t *src_row, int16_t *row,
                 int32_t k)
{
    const kiln_conv_s8_params *p = s->p;
    const int32_t c = p->in_c;
    if (tx->k0 == 0 && tx->k1 == p->k_w && p->dil_w == 1) {
        kiln_expand(row, 8, k, src_row + tx->i0 * c, s->run);
        return;
    }
    kiln_fill(row, 8, k, s->zp, tx->k0 * c);
    for (int32_t kx = tx->k0, ix = tx->i0; kx < tx->k1; kx++, ix += p->dil_w)
        kiln_expand(row, 8, k + kx * c, src_row + ix * c, c);
    kiln_fill(row, 8, k + tx->k1 * c, s->zp, (p->k_w - tx->k1) * c);
}

/* The next pixel's elements into row, then advance. */
static void im2col_next(im2col *s, int16_t *row)
{
    const kiln_conv_s8_params *p = s->p;
    if (s->pointwise) {
        kiln_expand(row, 8, 0, s->xb + (s->oy * p->in_w + s->ox) * p->in_c, p->in_c);
    } else {
        const kiln_taps tx = kiln_taps_of(s->ox, p->stride_w, p->pad_l, p->dil_w, p->k_w, p->in_w);
        const kiln_taps *ty = &s->ty;
        const int32_t in_row = p->in_w * p->in_c;
        kiln_fill(row, 8, 0, s->zp, ty->k0 * s->run);
        for (int32_t ky = ty->k0, iy = ty->i0; ky < ty->k1; ky++, iy += p->dil_h)
            krow(s, &tx, s->xb + iy * in_row, row, ky * s->run);
        kiln_fill(row, 8, ty->k1 * s->run, s->zp, (p->k_h - ty->k1) * s->run);
    }
    if (++s->ox == p->out_w) {
        s->ox = 0;
        s->oy++;
        s->ty = kiln_taps_of(s->oy, p->stride_h, p->pad_t, p->dil_h, p->k_h, p->in_h);
    }
}

static void conv_packed(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int w16,
                        int8_t *y, void *scratch)
{
    int16_t *rows = (int16_t *)scratch;
    kiln_gemm_job j;
    j.w = (const uint8_t *)w, j.w16 = w16, j.ns = conv_slices(p), j.out_c = p->out_c;
    j.epi = kiln_epi_of(&p->rq);
    memset(rows, 0, conv_scratch(p)); /* lanes past K stay 0 (their weights are 0) */
    const int32_t npix = p->out_h * p->out_w;
    for (int32_t b = 0; b < p->batch; b++) {
        int8_t *yb = y + b * npix * p->out_c;
        im2col s;
        im2col_start(&s, p, x + b * p->in_h * p->in_w * p->in_c);
        for (int32_t pix = 0; pix < npix; pix += 2) {
            int8_t *y1 = 0;
            im2col_next(&s, rows);
            if (pix + 1 < npix) {
                im2col_next(&s, rows + 4);
                y1 = yb + (pix + 1) * p->out_c;
            }
            kiln_gemm_rows2(&j, rows, yb + pix * p->out_c, y1);
        }
    }
}

void kiln_conv_s8_p8(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                     void *scratch)
{
    conv_packed(p, x, w, 0, y, scratch);
}

void kiln_conv_s8_p16(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                      void *scratch)
{
    conv_packed(p, x, w, 1, y, scratch);
}
