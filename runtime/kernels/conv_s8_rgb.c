/*
 * conv_s8_rgb.c - int8 CONV_2D 3x3 on a 3-channel input (an RGB first
 * layer: VWW, IC), NHWC, any stride and padding, dilation 1, on a packed
 * stream of int16 slices (KILN_BLOB_LAYOUT_GEMM16_G2_RGB: the GEMM16_G2
 * stream with K = 28 in the order below).
 *
 * kiln_conv_s8_p16 widens each 3-channel tap to a word (K = 36, a quarter
 * of the multiplies meet zero weights); here the 27 taps are dense: a
 * kernel row is 9 contiguous NHWC bytes, so its first 8 are two words (two
 * slices, LDR + 2 SXTB16 each) and the three rows' 9th bytes share a 7th
 * slice.  Reduction order (pack_rgb3x3_order()): slices 2ky and 2ky+1 are
 * bytes 0-3 and 4-7 of kernel row ky (byte = 3 kx + channel); slice 6 is
 * [row 0 byte 8, row 1 byte 8, row 2 byte 8, zero weight].
 *
 * Output pixels go two at a time through gemm_s8.c (the 2x2 micro-kernel,
 * the DSP assembly where it applies).  A window inside the image is read
 * in place; one that reaches the padding is first copied into a 3x12-byte
 * patch in scratch with the input zero point around it (the folded bias
 * expects padded taps to read it).  No word is read past a window's 9
 * bytes.  Never allocates.
 */
#include "kiln/kernels_s8.h"
#include "gemm_s8.h"
#include "bytes.h"

#define RGB_SLICES 7
#define PATCH_ROW 12 /* bytes per patch row: 9 used */

/* Scratch: two interleaved rows of slices, the spare outputs of a dropped
 * second row, two patches. */
size_t kiln_conv_s8_rgb_p16_scratch_size(const kiln_conv_s8_params *p)
{
    return RGB_SLICES * 16 + (size_t)((p->out_c + 3) & ~3) + 2 * 3 * PATCH_ROW;
}

/* The three kernel rows of a window that reaches the padding (top-left
 * input pixel iy0, ix0), copied with the zero point around them into
 * patch; returns the patch.  The patch is filled with the zero point, then
 * each kernel row inside the image gets its in-image columns as one run
 * (a window's columns inside the image are contiguous in NHWC): about 100
 * instructions, where testing each of the 27 bytes cost 900. */
static const int8_t *patch_window(const kiln_conv_s8_params *p, const int8_t *xb, int32_t iy0,
                                  int32_t ix0, int8_t *patch)
{
    const int32_t kx0 = ix0 < 0 ? -ix0 : 0;
    const int32_t kx1 = p->in_w - ix0 < 3 ? p->in_w - ix0 : 3;
    kiln_bytes_fill(patch, (uint8_t)-p->in_offset, 3 * PATCH_ROW);
    if (kx1 <= kx0)
        return patch;
    for (int32_t ky = 0; ky < 3; ky++) {
        const int32_t iy = iy0 + ky;
        if (iy >= 0 && iy < p->in_h)
            kiln_bytes_copy(patch + ky * PATCH_ROW + 3 * kx0, xb + (iy * p->in_w + ix0 + kx0) * 3,
                            (size_t)(3 * (kx1 - kx0)));
    }
    return patch;
}

/* One pixel's 7 slices into row rr of the interleaved pair (d = the pair's
 * slice 0 + 4 rr int16). */
static KILN_ALWAYS_INLINE void expand_pixel(int16_t *d, const int8_t *r0, const int8_t *r1,
                                             const int8_t *r2)
{
#if KILN_HAS_DSP
    uint32_t v, e, o;
    __asm__ volatile("ldr %[v], [%[a]]\n\t"
                     "sxtb16 %[e], %[v]\n\t"
                     "sxtb16 %[o], %[v], ror #8\n\t"
                     "strd %[e], %[o], [%[d]]\n\t"
                     "ldr %[v], [%[a], #4]\n\t"
                     "sxtb16 %[e], %[v]\n\t"
                     "sxtb16 %[o], %[v], ror #8\n\t"
                     "strd %[e], %[o], [%[d], #16]\n\t"
                     "ldr %[v], [%[b]]\n\t"
                     "sxtb16 %[e], %[v]\n\t"
                     "sxtb16 %[o], %[v], ror #8\n\t"
                     "strd %[e], %[o], [%[d], #32]\n\t"
                     "ldr %[v], [%[b], #4]\n\t"
                     "sxtb16 %[e], %[v]\n\t"
                     "sxtb16 %[o], %[v], ror #8\n\t"
                     "strd %[e], %[o], [%[d], #48]\n\t"
                     "ldr %[v], [%[c]]\n\t"
                     "sxtb16 %[e], %[v]\n\t"
                     "sxtb16 %[o], %[v], ror #8\n\t"
                     "strd %[e], %[o], [%[d], #64]\n\t"
                     "ldr %[v], [%[c], #4]\n\t"
                     "sxtb16 %[e], %[v]\n\t"
                     "sxtb16 %[o], %[v], ror #8\n\t"
                     "strd %[e], %[o], [%[d], #80]\n\t"
                     /* slice 6: [r0[8] r2[8]] [r1[8] (sign bits: zero weight)] */
                     "ldrsb %[e], [%[a], #8]\n\t"
                     "ldrsb %[v], [%[c], #8]\n\t"
                     "pkhbt %[e], %[e], %[v], lsl #16\n\t"
                     "ldrsb %[o], [%[b], #8]\n\t"
                     "strd %[e], %[o], [%[d], #96]"
                     : [v] "=&r"(v), [e] "=&r"(e), [o] "=&r"(o)
                     : [a] "r"(r0), [b] "r"(r1), [c] "r"(r2), [d] "r"(d)
                     : "memory");
#else
    const int8_t *const r[3] = {r0, r1, r2};
    for (int32_t ky = 0; ky < 3; ky++)
        for (int32_t h = 0; h < 2; h++) {
            uint32_t e, o;
            kiln_slice_of(kiln_ld32(r[ky] + 4 * h), &e, &o);
            kiln_st32(d + 8 * (2 * ky + h), e);
            kiln_st32(d + 8 * (2 * ky + h) + 2, o);
        }
    const uint32_t e = (uint32_t)(uint16_t)(int16_t)r[0][8] | (uint32_t)(int32_t)r[2][8] << 16;
    kiln_st32(d + 48, e);
    kiln_st32(d + 50, (uint32_t)(int32_t)r[1][8]);
#endif
}

/* n (even) pixels of one output row whose windows are all inside the
 * image, the first at a, two at a time: the hot loop, kept small so that
 * its few values stay in registers. */
static void interior_pairs(kiln_gemm_job *j, int16_t *rows, const int8_t *a, int32_t in_row,
                           int32_t step, int32_t n, int8_t *y, int32_t oc)
{
#if KILN_HAS_DSP
    if (j->g0 && j->g0 * 2 == oc) {
        /* The assembly runs every group: call it directly, without
         * kiln_gemm_rows2's checks (about 15 instructions a pair). */
        kiln_rows2_args *r = &j->a;
        r->rows = rows;
        for (; n > 0; n -= 2, a += 2 * step, y += 2 * oc) {
            expand_pixel(rows, a, a + in_row, a + 2 * in_row);
            expand_pixel(rows + 4, a + step, a + step + in_row, a + step + 2 * in_row);
            r->y = y, r->y1 = y + oc;
            j->rows2(r);
        }
        return;
    }
#endif
    for (; n > 0; n -= 2, a += 2 * step, y += 2 * oc) {
        expand_pixel(rows, a, a + in_row, a + 2 * in_row);
        expand_pixel(rows + 4, a + step, a + step + in_row, a + step + 2 * in_row);
        kiln_gemm_rows2(j, rows, y, y + oc);
    }
}

void kiln_conv_s8_rgb_p16(const kiln_conv_s8_params *p, const int8_t *x, const void *w, int8_t *y,
                          void *scratch)
{
    int16_t *rows = (int16_t *)scratch;
    int8_t *spare = (int8_t *)scratch + RGB_SLICES * 16;
    int8_t *patch = spare + ((p->out_c + 3) & ~3);
    kiln_gemm_job j;
    j.w = (const uint8_t *)w, j.w16 = 1, j.ns = RGB_SLICES, j.out_c = p->out_c;
    j.epi = kiln_epi_of(&p->rq);
    j.spare = spare, j.rows2 = KILN_ROWS2_P16, j.rows2c = kiln_gemm_rows2_c_p16;
    kiln_gemm_start(&j);
    const int32_t in_row = p->in_w * 3, step = p->stride_w * 3, oc = p->out_c;
    /* Output columns [x0, x1) have windows inside the image horizontally. */
    int32_t x0 = (p->pad_l + p->stride_w - 1) / p->stride_w, x1 = x0;
    while (x1 < p->out_w && x1 * p->stride_w - p->pad_l + 3 <= p->in_w)
        x1++;
    for (int32_t b = 0; b < p->batch; b++) {
        const int8_t *xb = x + b * p->in_h * in_row;
        int8_t *yo = y + b * p->out_h * p->out_w * oc, *y0 = yo;
        int32_t half = 0; /* which row of the pair is next */
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_t;
            const int inside = iy0 >= 0 && iy0 + 3 <= p->in_h;
            const int32_t at0 = iy0 * in_row - p->pad_l * 3; /* column 0's window in xb */
            for (int32_t ox = 0; ox < p->out_w;) {
                if (inside && !half && ox >= x0 && ox + 1 < x1) {
                    const int32_t n = (x1 - ox) & ~1;
                    interior_pairs(&j, rows, xb + at0 + ox * step, in_row, step, n, yo, oc);
                    ox += n, yo += n * oc;
                    continue;
                }
                int16_t *d = rows + 4 * half;
                if (inside && ox >= x0 && ox < x1) {
                    const int8_t *a = xb + at0 + ox * step;
                    expand_pixel(d, a, a + in_row, a + 2 * in_row);
                } else {
                    const int8_t *q = patch_window(p, xb, iy0, ox * p->stride_w - p->pad_l,
                                                   patch + half * 3 * PATCH_ROW);
                    expand_pixel(d, q, q + PATCH_ROW, q + 2 * PATCH_ROW);
                }
                if (half)
                    kiln_gemm_rows2(&j, rows, y0, yo);
                else
                    y0 = yo;
                half = !half;
                ox++, yo += oc;
            }
        }
        if (half)
            kiln_gemm_rows2(&j, rows, y0, 0); /* an odd last pixel */
    }
}
