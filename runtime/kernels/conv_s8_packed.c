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

/* One kernel row (ky) of output column ox: taps inside the input are
 * expanded, the others filled with the zero point. */
static void im2col_krow(const kiln_conv_s8_params *p, const int8_t *src_row, int32_t ox,
                        int16_t *row, int32_t k)
{
    const int16_t zp = (int16_t)-p->in_offset;
    const int32_t c = p->in_c;
    const kiln_taps tx = kiln_taps_of(ox, p->stride_w, p->pad_l, p->dil_w, p->k_w, p->in_w);
    if (p->dil_w == 1) {
        kiln_fill(row, 8, k, zp, tx.k0 * c);
        kiln_expand(row, 8, k + tx.k0 * c, src_row + tx.i0 * c, (tx.k1 - tx.k0) * c);
    } else {
        kiln_fill(row, 8, k, zp, tx.k0 * c);
        for (int32_t kx = tx.k0, ix = tx.i0; kx < tx.k1; kx++, ix += p->dil_w)
            kiln_expand(row, 8, k + kx * c, src_row + ix * c, c);
    }
    kiln_fill(row, 8, k + tx.k1 * c, zp, (p->k_w - tx.k1) * c);
}

/* The reduction elements of output pixel (oy, ox), tap-major, channels
 * inner, into one of the two interleaved rows. */
static void im2col_pixel(const kiln_conv_s8_params *p, const int8_t *xb, int32_t oy, int32_t ox,
                         int16_t *row)
{
    const int32_t run = p->k_w * p->in_c;
    const kiln_taps ty = kiln_taps_of(oy, p->stride_h, p->pad_t, p->dil_h, p->k_h, p->in_h);
    kiln_fill(row, 8, 0, (int16_t)-p->in_offset, ty.k0 * run);
    for (int32_t ky = ty.k0, iy = ty.i0; ky < ty.k1; ky++, iy += p->dil_h)
        im2col_krow(p, xb + iy * p->in_w * p->in_c, ox, row, ky * run);
    kiln_fill(row, 8, ty.k1 * run, (int16_t)-p->in_offset, (p->k_h - ty.k1) * run);
}

static void next_pixel(const kiln_conv_s8_params *p, int32_t *oy, int32_t *ox)
{
    if (++*ox == p->out_w)
        *ox = 0, ++*oy;
}

static void conv_packed(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int w16,
                        const int32_t *chan, int8_t *y, void *scratch)
{
    int16_t *rows = (int16_t *)scratch;
    kiln_gemm_job j;
    j.w = w, j.w16 = w16, j.ns = conv_slices(p), j.out_c = p->out_c;
    j.chan = (const kiln_chan_s8 *)(const void *)chan;
    j.epi = kiln_epi_of(&p->rq);
    memset(rows, 0, conv_scratch(p)); /* lanes past K stay 0 (their weights are 0) */
    const int32_t npix = p->out_h * p->out_w;
    for (int32_t b = 0; b < p->batch; b++) {
        const int8_t *xb = x + b * p->in_h * p->in_w * p->in_c;
        int8_t *yb = y + b * npix * p->out_c;
        int32_t oy = 0, ox = 0;
        for (int32_t pix = 0; pix < npix; pix += 2) {
            int8_t *y1 = 0;
            im2col_pixel(p, xb, oy, ox, rows);
            next_pixel(p, &oy, &ox);
            if (pix + 1 < npix) {
                im2col_pixel(p, xb, oy, ox, rows + 4);
                next_pixel(p, &oy, &ox);
                y1 = yb + (pix + 1) * p->out_c;
            }
            kiln_gemm_rows2(&j, rows, yb + pix * p->out_c, y1);
        }
    }
}

void kiln_conv_s8_p8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                     const int32_t *chan, int8_t *y, void *scratch)
{
    conv_packed(p, x, w, 0, chan, y, scratch);
}

void kiln_conv_s8_p16(const kiln_conv_s8_params *p, const int8_t *x, const int16_t *w,
                      const int32_t *chan, int8_t *y, void *scratch)
{
    conv_packed(p, x, w, 1, chan, y, scratch);
}
