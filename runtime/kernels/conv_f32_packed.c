/*
 * conv_f32_packed.c - float32 convolution and fully connected layers as GEMM
 * tiles over packed weights (kernels_f32.h, "packed convolution").
 *
 * NHWC: the rows of the GEMM are output pixels, the columns a panel of
 * output channels.  A 1x1 convolution without pads reads each pixel's
 * channels in place; any other reads im2col rows (one pixel's window,
 * (kd, kh, kw, c) order, zeros in the padding) built `block` pixels at a time
 * in scratch.  NCHW: the rows are a panel of output channels (the weights,
 * broadcast), the columns output pixels; a 1x1 stride-1 convolution without
 * pads reads the input planes in place; with stride 1 along w (method
 * PADDED) the group's input is copied once with its zero padding and each
 * output row's tiles read every tap from that copy, weights in (tap, c)
 * order; any other reads im2col rows ((c, kd, kh, kw) order) of `block`
 * pixels.  FULLY_CONNECTED is the NHWC case with one
 * row per batch item.  Tiles of full height run the widest micro-kernel,
 * the last rows or columns one at a time, so no tile reads past the input.
 * Relies on the compiler for consistent params and packing; never allocates.
 */
#include <string.h>

#include "kiln/kernels_f32.h"
#include "f32_util.h"
#include "gemm_f32.h"

/* Output pixel (d, h, w), advanced without division. */
typedef struct opix {
    int32_t d, h, w;
} opix;

static opix opix_at(const kiln_conv_f32_params *c, int32_t p)
{
    opix o;
    o.w = p % c->out[2];
    p /= c->out[2];
    o.h = p % c->out[1];
    o.d = p / c->out[1];
    return o;
}

static inline void opix_next(const kiln_conv_f32_params *c, opix *o)
{
    if (++o->w == c->out[2]) {
        o->w = 0;
        if (++o->h == c->out[1]) {
            o->h = 0;
            o->d++;
        }
    }
}

static inline int in_range(int32_t i, int32_t n)
{
    return (uint32_t)i < (uint32_t)n;
}

/* ---- NHWC ---------------------------------------------------------------- */

/* One im2col row: output pixel o's window over group g's channels. */
static void im2col_row_nhwc(const kiln_conv_f32_params *c, const float *xn, int32_t g, opix o,
                            float *dst)
{
    const int32_t C = c->in_c, cg = C / c->groups;
    const int32_t id0 = o.d * c->stride[0] - c->pad[0];
    const int32_t ih0 = o.h * c->stride[1] - c->pad[1];
    const int32_t iw0 = o.w * c->stride[2] - c->pad[2];
    const int32_t run = c->k[2] * cg;       /* floats of one (kd, kh) row of taps */
    /* The kw taps of a row are contiguous in the input when they are
     * adjacent pixels inside it and span every channel. */
    const int contiguous = cg == C && c->dil[2] == 1 && iw0 >= 0 && iw0 + c->k[2] <= c->in[2];
    for (int32_t kd = 0; kd < c->k[0]; kd++) {
        const int32_t id = id0 + kd * c->dil[0];
        for (int32_t kh = 0; kh < c->k[1]; kh++, dst += run) {
            const int32_t ih = ih0 + kh * c->dil[1];
            if (!in_range(id, c->in[0]) || !in_range(ih, c->in[1])) {
                memset(dst, 0, (size_t)run * sizeof(float));
                continue;
            }
            const float *xrow = xn + (id * c->in[1] + ih) * c->in[2] * C + g * cg;
            if (contiguous) {
                memcpy(dst, xrow + iw0 * C, (size_t)run * sizeof(float));
                continue;
            }
            for (int32_t kw = 0; kw < c->k[2]; kw++) {
                const int32_t iw = iw0 + kw * c->dil[2];
                if (in_range(iw, c->in[2]))
                    memcpy(dst + kw * cg, xrow + iw * C, (size_t)cg * sizeof(float));
                else
                    memset(dst + kw * cg, 0, (size_t)cg * sizeof(float));
            }
        }
    }
}

/* Rows [p0, p0 + rows) of group g through every panel.  row[i] is where
 * pixel p0 + i's A row starts (contiguous, kdim floats). */
typedef struct nhwc_job {
    const kiln_conv_f32_packed_params *p;
    const float *w, *b, *res;
    float *y;                   /* batch item's output */
    int32_t n_out;              /* output channels of the whole layer (row stride of Y) */
    int32_t mg, npanel;         /* output channels per group, panels per group */
} nhwc_job;

static void nhwc_rows(const nhwc_job *j, int32_t g, int32_t p0, int32_t rows, const float **row)
{
    const kiln_conv_f32_packed_params *p = j->p;
    const int32_t P = p->panel, K = p->kdim;
    kf32_tile t;
    t.k = K;
    t.taps = 1;
    t.b_tap = NULL;
    t.c_col = NULL;
    t.a_ks = 1;
    t.b_ks = P;
    t.bias_row = NULL;
    t.c_rs = j->n_out;
    t.epi = &p->epi;
    for (int32_t q = 0; q < j->npanel; q++) {
        const int32_t ch = g * j->mg + q * P;           /* first output channel */
        t.b = j->w + (size_t)(g * j->npanel + q) * K * P;
        t.bias_col = j->b + (g * j->npanel + q) * P;
        t.nv = j->mg - q * P < P ? j->mg - q * P : P;
        int32_t r = 0;
        for (; r + KF32_ROWS <= rows; r += KF32_ROWS) {
            t.c = j->y + (p0 + r) * j->n_out + ch;
            t.res = j->res ? j->res + (p0 + r) * j->n_out + ch : NULL;
            t.nr = KF32_ROWS;
            kiln_f32_tile_run(&t, row + r, KF32_ROWS, P);
        }
        for (; r < rows; r++) {
            t.c = j->y + (p0 + r) * j->n_out + ch;
            t.res = j->res ? j->res + (p0 + r) * j->n_out + ch : NULL;
            t.nr = 1;
            kiln_f32_tile_run(&t, row + r, 1, P);
        }
    }
}

/* Row pointers of at most this many pixels are kept at once. */
#define ROW_BATCH 64

static void conv_nhwc(const kiln_conv_f32_packed_params *p, const float *x, const float *w,
                      const float *b, const float *res, float *y, float *scratch)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t in_pix = c->in[0] * c->in[1] * c->in[2];
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2];
    const int32_t cg = c->in_c / c->groups;
    const float *row[ROW_BATCH];
    nhwc_job j;
    j.p = p;
    j.w = w;
    j.b = b;
    j.n_out = c->out_c;
    j.mg = c->out_c / c->groups;
    j.npanel = (j.mg + p->panel - 1) / p->panel;
    const int32_t block = p->method == KILN_CONV_F32_DIRECT ? ROW_BATCH : (p->block < ROW_BATCH ? p->block : ROW_BATCH);
    for (int32_t n = 0; n < c->batch; n++) {
        const float *xn = x + n * in_pix * c->in_c;
        j.y = y + n * out_pix * c->out_c;
        j.res = res ? res + n * out_pix * c->out_c : NULL;
        for (int32_t g = 0; g < c->groups; g++) {
            for (int32_t p0 = 0; p0 < out_pix; p0 += block) {
                const int32_t rows = out_pix - p0 < block ? out_pix - p0 : block;
                opix o = opix_at(c, p0);
                for (int32_t r = 0; r < rows; r++, opix_next(c, &o)) {
                    if (p->method == KILN_CONV_F32_DIRECT) {
                        const int32_t ip = (o.d * c->stride[0] * c->in[1] + o.h * c->stride[1]) * c->in[2] +
                                           o.w * c->stride[2];
                        row[r] = xn + ip * c->in_c + g * cg;
                    } else {
                        float *dst = scratch + r * p->kdim;
                        im2col_row_nhwc(c, xn, g, o, dst);
                        row[r] = dst;
                    }
                }
                nhwc_rows(&j, g, p0, rows, row);
            }
        }
    }
}

/* ---- NCHW ---------------------------------------------------------------- */

/* im2col rows ((c, kd, kh, kw) of group g) for output pixels [p0, p0+cols),
 * row k at dst + k*cols.  Walks the pixels a run of one output row at a
 * time, so the copy is a (strided) run with zeros where the window leaves
 * the input. */
static void im2col_nchw(const kiln_conv_f32_params *c, const float *xn, int32_t g, int32_t p0,
                        int32_t cols, float *dst)
{
    const int32_t in_pix = c->in[0] * c->in[1] * c->in[2];
    const int32_t cg = c->in_c / c->groups, s2 = c->stride[2];
    for (int32_t ci = 0; ci < cg; ci++) {
        const float *xc = xn + (g * cg + ci) * in_pix;
        for (int32_t kd = 0; kd < c->k[0]; kd++)
        for (int32_t kh = 0; kh < c->k[1]; kh++)
        for (int32_t kw = 0; kw < c->k[2]; kw++, dst += cols) {
            const int32_t off_w = kw * c->dil[2] - c->pad[2];
            opix o = opix_at(c, p0);
            for (int32_t j = 0; j < cols;) {
                const int32_t run = c->out[2] - o.w < cols - j ? c->out[2] - o.w : cols - j;
                const int32_t id = o.d * c->stride[0] + kd * c->dil[0] - c->pad[0];
                const int32_t ih = o.h * c->stride[1] + kh * c->dil[1] - c->pad[1];
                float *d = dst + j;
                if (!in_range(id, c->in[0]) || !in_range(ih, c->in[1])) {
                    memset(d, 0, (size_t)run * sizeof(float));
                } else {
                    const float *xr = xc + (id * c->in[1] + ih) * c->in[2];
                    for (int32_t i = 0; i < run; i++) {
                        const int32_t iw = (o.w + i) * s2 + off_w;
                        d[i] = in_range(iw, c->in[2]) ? xr[iw] : 0.0f;
                    }
                }
                j += run;
                o.w += run - 1;
                opix_next(c, &o);
            }
        }
    }
}

/* B (rows kdim, columns [0, cols) at b + k*ldb) through every panel of
 * group g: full KF32_COLS-wide tiles, then the last columns one by one. */
static void nchw_cols(const kiln_conv_f32_packed_params *p, const float *w, const float *bias,
                      const float *res, float *y, int32_t g, int32_t p0, int32_t cols,
                      const float *b, ptrdiff_t ldb)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2];
    const int32_t P = p->panel, K = p->kdim, mg = c->out_c / c->groups;
    const int32_t npanel = (mg + P - 1) / P;
    const float *arow[16];
    kf32_tile t;
    t.k = K;
    t.taps = 1;
    t.b_tap = NULL;
    t.c_col = NULL;
    t.a_ks = P;
    t.b_ks = ldb;
    t.bias_col = NULL;
    t.c_rs = out_pix;
    t.epi = &p->epi;
    for (int32_t q = 0; q < npanel; q++) {
        const float *wq = w + (size_t)(g * npanel + q) * K * P;
        const int32_t m0 = g * mg + q * P;
        for (int32_t i = 0; i < P; i++)
            arow[i] = wq + i;
        t.bias_row = bias + (g * npanel + q) * P;
        t.nr = mg - q * P < P ? mg - q * P : P;
        int32_t j = 0;
        for (; j < cols; ) {
            const int32_t V = cols - j >= KF32_COLS ? KF32_COLS : 1;
            t.b = b + j;
            t.c = y + m0 * out_pix + p0 + j;
            t.res = res ? res + m0 * out_pix + p0 + j : NULL;
            t.nv = V;
            kiln_f32_tile_run(&t, arow, P, V);
            j += V;
        }
    }
}

/* ---- NCHW, padded input (method PADDED) --------------------------------- */

/* The dims of the padded copy: every input position some output's tap
 * reads, the first one at -pad. */
static void padded_dims(const kiln_conv_f32_params *c, int32_t pd[3])
{
    for (int i = 0; i < 3; i++)
        pd[i] = (c->out[i] - 1) * c->stride[i] + (c->k[i] - 1) * c->dil[i] + 1;
}

/* Group g's input into xp [cg][pd0][pd1][pd2] with zeros outside the input,
 * then pd2 + KILN_F32_COLS_MAX zeros of slack (the last tile reads up to a
 * tile width and a window row past the plane). */
static void pad_group(const kiln_conv_f32_params *c, const float *xn, int32_t g, const int32_t pd[3],
                      float *xp)
{
    const int32_t cg = c->in_c / c->groups, in_pix = c->in[0] * c->in[1] * c->in[2];
    const int32_t lw = c->pad[2] < pd[2] ? c->pad[2] : pd[2];          /* zeros on the left */
    int32_t nw = pd[2] - lw < c->in[2] ? pd[2] - lw : c->in[2];        /* input columns */
    if (nw < 0)
        nw = 0;
    for (int32_t ci = 0; ci < cg; ci++) {
        const float *xc = xn + (g * cg + ci) * in_pix;
        for (int32_t d = 0; d < pd[0]; d++)
            for (int32_t h = 0; h < pd[1]; h++, xp += pd[2]) {
                const int32_t id = d - c->pad[0], ih = h - c->pad[1];
                if (!in_range(id, c->in[0]) || !in_range(ih, c->in[1])) {
                    memset(xp, 0, (size_t)pd[2] * sizeof(float));
                    continue;
                }
                memset(xp, 0, (size_t)lw * sizeof(float));
                memcpy(xp + lw, xc + (id * c->in[1] + ih) * c->in[2], (size_t)nw * sizeof(float));
                memset(xp + lw + nw, 0, (size_t)(pd[2] - lw - nw) * sizeof(float));
            }
    }
    memset(xp, 0, (size_t)(pd[2] + KILN_F32_COLS_MAX) * sizeof(float));
}

/* The widest tile that computes fewest columns for rows of ow outputs. */
static int32_t row_tile(int32_t ow)
{
    int32_t best = KF32_COLS;
    for (int32_t v = KF32_COLS / 2; v >= 8; v /= 2)
        if ((ow + v - 1) / v * v < (ow + best - 1) / best * best)
            best = v;
    return best;
}

/* Where the tiles of one output slice go: with stride 1 along h the padded
 * plane's rows follow each other like the output's, so a tile runs over
 * `span` virtual columns j = oh*pd2 + ow (pd2 - OW of them per row are
 * padding, computed and dropped through c_col); otherwise one output row
 * at a time, tiles of row_tile() columns. */
typedef struct padded_walk {
    int32_t rows;       /* tile runs per slice: 1 (virtual columns) or OH */
    int32_t span;       /* columns per run */
    int32_t V;          /* tile width */
} padded_walk;

static padded_walk walk_of(const kiln_conv_f32_params *c, const int32_t pd[3])
{
    padded_walk w;
    if (c->stride[1] == 1) {
        w.rows = 1;
        w.span = c->out[1] * pd[2];
        w.V = KF32_COLS;
    } else {
        w.rows = c->out[1];
        w.span = c->out[2];
        w.V = row_tile(c->out[2]);
    }
    return w;
}

/* c_col of a tile over virtual columns [j0, j0 + V) of a slice. */
static void virtual_cols(const kiln_conv_f32_params *c, const int32_t pd[3], int32_t j0, int32_t V,
                         int32_t *col)
{
    int32_t oh = j0 / pd[2], ow = j0 % pd[2];
    for (int32_t j = 0; j < V; j++) {
        col[j] = oh < c->out[1] && ow < c->out[2] ? oh * c->out[2] + ow : -1;
        if (++ow == pd[2]) {
            ow = 0;
            oh++;
        }
    }
}

/* Every output of group g from its padded copy xp: B of tap t starts at its
 * offset, channels pd0*pd1*pd2 apart; the weights are in (tap, channel)
 * order. */
static void padded_rows(const kiln_conv_f32_packed_params *p, const float *w, const float *bias,
                        const float *res, float *y, int32_t g, const int32_t pd[3], const float *xp)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2], OW = c->out[2];
    const int32_t P = p->panel, K = p->kdim, mg = c->out_c / c->groups, npanel = (mg + P - 1) / P;
    const padded_walk wk = walk_of(c, pd);
    ptrdiff_t off[KILN_CONV_F32_PADDED_MAX_TAPS];
    int32_t taps = 0, col[KF32_COLS];
    for (int32_t kd = 0; kd < c->k[0]; kd++)
        for (int32_t kh = 0; kh < c->k[1]; kh++)
            for (int32_t kw = 0; kw < c->k[2]; kw++)
                off[taps++] = ((ptrdiff_t)kd * c->dil[0] * pd[1] + kh * c->dil[1]) * pd[2] + kw * c->dil[2];
    const float *arow[16];
    kf32_tile t;
    t.k = K;
    t.taps = taps;
    t.b_tap = off;
    t.a_ks = P;
    t.b_ks = (ptrdiff_t)pd[0] * pd[1] * pd[2];
    t.bias_col = NULL;
    t.c_rs = out_pix;
    t.epi = &p->epi;
    for (int32_t od = 0; od < c->out[0]; od++)
        for (int32_t r = 0; r < wk.rows; r++) {
            /* The run's first B column and first output. */
            const float *run = xp + ((ptrdiff_t)od * c->stride[0] * pd[1] + r * c->stride[1]) * pd[2];
            const int32_t o0 = (od * c->out[1] + r) * OW;
            for (int32_t j = 0; j < wk.span; j += wk.V) {
                if (wk.rows == 1)
                    virtual_cols(c, pd, j, wk.V, col);
                t.c_col = wk.rows == 1 ? col : NULL;
                t.b = run + j;
                t.nv = wk.span - j < wk.V ? wk.span - j : wk.V;
                for (int32_t q = 0; q < npanel; q++) {
                    const int32_t m0 = g * mg + q * P;
                    const float *wq = w + (size_t)(g * npanel + q) * K * P;
                    for (int32_t i = 0; i < P; i++)
                        arow[i] = wq + i;
                    t.bias_row = bias + (g * npanel + q) * P;
                    t.nr = mg - q * P < P ? mg - q * P : P;
                    const ptrdiff_t base = (ptrdiff_t)m0 * out_pix + o0 + (wk.rows == 1 ? 0 : j);
                    t.c = y + base;
                    t.res = res ? res + base : NULL;
                    kiln_f32_tile_run(&t, arow, P, wk.V);
                }
            }
        }
}

static void conv_nchw(const kiln_conv_f32_packed_params *p, const float *x, const float *w,
                      const float *b, const float *res, float *y, float *scratch)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t in_pix = c->in[0] * c->in[1] * c->in[2];
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2];
    const int32_t cg = c->in_c / c->groups;
    int32_t pd[3];
    padded_dims(c, pd);
    for (int32_t n = 0; n < c->batch; n++) {
        const float *xn = x + n * c->in_c * in_pix;
        float *yn = y + n * c->out_c * out_pix;
        const float *rn = res ? res + n * c->out_c * out_pix : NULL;
        for (int32_t g = 0; g < c->groups; g++) {
            if (p->method == KILN_CONV_F32_DIRECT) {
                nchw_cols(p, w, b, rn, yn, g, 0, out_pix, xn + g * cg * in_pix, in_pix);
                continue;
            }
            if (p->method == KILN_CONV_F32_PADDED) {
                pad_group(c, xn, g, pd, scratch);
                padded_rows(p, w, b, rn, yn, g, pd, scratch);
                continue;
            }
            for (int32_t p0 = 0; p0 < out_pix; p0 += p->block) {
                const int32_t cols = out_pix - p0 < p->block ? out_pix - p0 : p->block;
                im2col_nchw(c, xn, g, p0, cols, scratch);
                nchw_cols(p, w, b, rn, yn, g, p0, cols, scratch, cols);
            }
        }
    }
}

/* ---- entry points ----------------------------------------------------------- */

size_t kiln_conv_f32_packed_scratch_size(const kiln_conv_f32_packed_params *p)
{
    if (p->method == KILN_CONV_F32_DIRECT)
        return 0;
    if (p->method == KILN_CONV_F32_PADDED) {
        int32_t pd[3];
        padded_dims(&p->conv, pd);
        return ((size_t)(p->conv.in_c / p->conv.groups) * (size_t)pd[0] * (size_t)pd[1] * (size_t)pd[2] +
                (size_t)pd[2] + KILN_F32_COLS_MAX) * sizeof(float);
    }
    return (size_t)p->block * (size_t)p->kdim * sizeof(float);
}

void kiln_conv_f32_packed(const kiln_conv_f32_packed_params *p, const float *x, const float *w,
                          const float *b, const float *residual, float *y, void *scratch)
{
    if (p->conv.layout == KILN_LAYOUT_NHWC)
        conv_nhwc(p, x, w, b, residual, y, (float *)scratch);
    else
        conv_nchw(p, x, w, b, residual, y, (float *)scratch);
}

void kiln_fully_connected_f32_packed(const kiln_fc_f32_packed_params *p, const float *x,
                                     const float *w, const float *b, const float *residual,
                                     float *y)
{
    const float *row[ROW_BATCH];
    kiln_conv_f32_packed_params cp;
    memset(&cp, 0, sizeof cp);
    cp.epi = p->epi;
    cp.panel = p->panel;
    cp.kdim = p->in_features;
    nhwc_job j;
    j.p = &cp;
    j.w = w;
    j.b = b;
    j.res = residual;
    j.y = y;
    j.n_out = p->out_features;
    j.mg = p->out_features;
    j.npanel = (p->out_features + p->panel - 1) / p->panel;
    for (int32_t r0 = 0; r0 < p->batch; r0 += ROW_BATCH) {
        const int32_t rows = p->batch - r0 < ROW_BATCH ? p->batch - r0 : ROW_BATCH;
        for (int32_t r = 0; r < rows; r++)
            row[r] = x + (size_t)(r0 + r) * p->in_features;
        nhwc_rows(&j, 0, r0, rows, row);
    }
}
