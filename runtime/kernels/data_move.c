/*
 * data_move.c - dtype-agnostic data movement: strided copy (TRANSPOSE,
 * SLICE), per-axis gather (PAD, nearest RESIZE) and CONCAT.
 *
 * Elements are moved by size (1, 2, 4 or 8 bytes) with fixed-size memcpy,
 * which compilers turn into single loads and stores and which is the one
 * aliasing-safe way to move a float or an int64 as bytes; contiguous runs
 * move as one memcpy.  Uses <string.h> memcpy only (no allocation, no I/O).
 * Output offsets advance by odometer, so there is no division anywhere.
 */
#include <string.h>

#include "kiln/kernels_data.h"

/* Moves n elements of size es from x (element stride sx) to contiguous y. */
static void move_row(unsigned char *y, const unsigned char *x, int32_t n, int32_t sx, int32_t es)
{
    if (sx == 1) {
        memcpy(y, x, (size_t)n * (size_t)es);
        return;
    }
    const ptrdiff_t step = (ptrdiff_t)sx * es;
    switch (es) {
    case 1:
        for (int32_t i = 0; i < n; i++, x += step)
            y[i] = *x;
        break;
    case 2:
        for (int32_t i = 0; i < n; i++, x += step, y += 2)
            memcpy(y, x, 2);
        break;
    case 4:
        for (int32_t i = 0; i < n; i++, x += step, y += 4)
            memcpy(y, x, 4);
        break;
    default:
        for (int32_t i = 0; i < n; i++, x += step, y += es)
            memcpy(y, x, (size_t)es);
        break;
    }
}

void kiln_copy_strided(const kiln_copy_params *p, const void *x, void *y)
{
    const int32_t r = p->rank, es = p->elem_size;
    const int32_t n = p->shape[r - 1], sx = p->x_stride[r - 1];
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    int32_t rows = 1;
    for (int32_t d = 0; d < r - 1; d++)
        rows *= p->shape[d];
    int32_t idx[KILN_MAX_DIMS] = {0};
    ptrdiff_t xoff = p->x_offset;
    for (int32_t row = 0; row < rows; row++) {
        move_row(yb + (ptrdiff_t)row * n * es, xb + xoff * es, n, sx, es);
        for (int32_t d = r - 2; d >= 0; d--) {
            xoff += p->x_stride[d];
            if (++idx[d] < p->shape[d])
                break;
            xoff -= (ptrdiff_t)p->x_stride[d] * p->shape[d];
            idx[d] = 0;
        }
    }
}

void kiln_gather_axes(const kiln_gather_params *p, const void *x, const int32_t *idx,
                      const void *fill, void *y)
{
    const int32_t r = p->rank, es = p->elem_size;
    const int32_t n = p->shape[r - 1], sx = p->x_stride[r - 1];
    const int32_t *last = idx + p->off[r - 1];
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    int32_t rows = 1;
    for (int32_t d = 0; d < r - 1; d++)
        rows *= p->shape[d];
    int32_t oi[KILN_MAX_DIMS] = {0};
    for (int32_t row = 0; row < rows; row++) {
        /* Source offset of this row from the outer axes' tables; -1 on any
         * of them fills the whole row. */
        ptrdiff_t base = 0;
        int outside = 0;
        for (int32_t d = 0; d < r - 1; d++) {
            const int32_t s = idx[p->off[d] + oi[d]];
            if (s < 0)
                outside = 1;
            base += (ptrdiff_t)s * p->x_stride[d];
        }
        unsigned char *yr = yb + (ptrdiff_t)row * n * es;
        for (int32_t i = 0; i < n; i++) {
            const int32_t s = last[i];
            const void *src = (outside || s < 0) ? fill : (const void *)(xb + (base + (ptrdiff_t)s * sx) * es);
            memcpy(yr + (ptrdiff_t)i * es, src, (size_t)es);
        }
        for (int32_t d = r - 2; d >= 0; d--) {
            if (++oi[d] < p->shape[d])
                break;
            oi[d] = 0;
        }
    }
}

void kiln_concat(const kiln_concat_params *p, void *y, const void *x0, const void *x1,
                 const void *x2, const void *x3, const void *x4, const void *x5,
                 const void *x6, const void *x7)
{
    const void *xs[KILN_CONCAT_MAX_INPUTS] = {x0, x1, x2, x3, x4, x5, x6, x7};
    const size_t es = (size_t)p->elem_size;
    unsigned char *yb = (unsigned char *)y;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t i = 0; i < p->n_inputs; i++) {
            const size_t bytes = (size_t)p->chunk[i] * es;
            if (bytes) /* an empty input may have no buffer at all */
                memcpy(yb, (const unsigned char *)xs[i] + (size_t)o * bytes, bytes);
            yb += bytes;
        }
    }
}
