/*
 * plan_inplace.c - each kernel's in-place rule (plan_inplace.h), derived
 * from the order in which that kernel reads and writes.
 *
 * These orders cover the kernels that run in place:
 *  - Rows through a ring (kiln_conv_s8_p8/p16 with a window, and
 *    kiln_depthwise_conv_s8_3x3c4 and _3x3c4s2): before any byte of output row oy is
 *    written, every input row its window reaches has been copied into
 *    scratch, each row once; the rows below R(oy) = oy*stride_h - pad_t +
 *    span are never read again.  Writing row oy is safe when its end stays
 *    at or below the first input row not yet copied.
 *  - Pixel pairs (kiln_conv_s8_p8/p16, 1x1 stride 1): pixels p and p+1 are
 *    expanded into scratch, then both outputs written.  Safe when the pair's
 *    outputs end at or below input pixel p+2.  An expanding 1x1 conv gets a
 *    negative bound: its input sits at the end of its output's bytes.
 *  - Channel planes (kiln_depthwise_conv_s8_3x3): two channels of every
 *    pixel are copied into planes, then those two channels of every output
 *    pixel written.  Any d that is a multiple of the channel count writes
 *    only bytes of channels already copied.
 *  - Windows (int8 and float pooling, the float depthwise, the int8 any-window
 *    depthwise kiln_depthwise_conv_s8_packed; NHWC): output
 *    pixels in raster order, each written after its window's first tap
 *    pixel was read (those channels), its later taps being later pixels:
 *    safe while pixel p ends at or below the first tap of every window
 *    from p on (one pixel more for the depthwise's pairs of pixels).  A
 *    3x3 window, stride 1, pad 1 leaves one row and two pixels of input
 *    unread ahead of the output: that is its line buffer.
 *  - Elements (activations, requantization, int8 ADD/SUB/MUL/MIN/MAX on an
 *    input that is not broadcast): element i is read, then output element i
 *    written, in ascending order.
 * The ring and pair rules hold for the DSP paths too: their assembly reads
 * only the ring or the expanded rows and writes one output row or pair.
 * Never reads or changes the plan; host-only.
 */
#include "passes/plan_inplace.h"

#include <stdlib.h>
#include <string.h>

#define NO_BOUND INT64_MAX

typedef struct conv_p {
    int64_t batch, in_c, in_h, in_w, out_c, out_h, out_w, k_h, k_w;
    int64_t stride_h, stride_w, dil_h, pad_t, pad_l, layout;
} conv_p;

/* The geometry of a call whose params are kiln_conv_s8_params: the exact
 * values the kernel receives. */
static bool conv_params(const lir_call *c, conv_p *p)
{
    if (c->ptype != &lir_desc_kiln_conv_s8_params)
        return false;
    const kiln_conv_s8_params *q = c->params;
    p->batch = q->batch, p->in_c = q->in_c, p->in_h = q->in_h, p->in_w = q->in_w;
    p->out_c = q->out_c, p->out_h = q->out_h, p->out_w = q->out_w, p->k_h = q->k_h, p->k_w = q->k_w;
    p->stride_h = q->stride_h, p->stride_w = q->stride_w, p->dil_h = q->dil_h;
    p->pad_t = q->pad_t, p->pad_l = q->pad_l, p->layout = q->layout;
    return p->batch == 1 && p->layout == KILN_LAYOUT_NHWC && p->out_h > 0 && p->out_w > 0 &&
           p->in_h > 0;
}

/* conv_s8_packed.c's pointwise(): the kernel reads input pixels, not rows. */
static bool pointwise(const conv_p *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_t == 0 &&
           p->pad_l == 0 && p->in_w == p->out_w && p->in_h == p->out_h;
}

/* Rows through a ring of span rows. */
static int64_t ring_dmax(const conv_p *p)
{
    const int64_t span = (p->k_h - 1) * p->dil_h + 1;
    const int64_t in_row = p->in_w * p->in_c, out_row = p->out_w * p->out_c;
    int64_t dmax = NO_BOUND;
    for (int64_t oy = 0; oy < p->out_h; oy++) {
        const int64_t unread = oy * p->stride_h - p->pad_t + span; /* first row not copied */
        if (unread >= p->in_h)
            break;
        const int64_t room = (unread > 0 ? unread : 0) * in_row - (oy + 1) * out_row;
        if (room < dmax)
            dmax = room;
    }
    return dmax;
}

/* Windows read in place (kiln_conv_s8_rgb_p16): once output row oy is
 * written, input rows above its windows' top oy*stride_h - pad_t are never
 * read again (later pixels' windows start there or lower; a pair is read
 * before it is written). */
static int64_t window_dmax(const conv_p *p)
{
    const int64_t in_row = p->in_w * p->in_c, out_row = p->out_w * p->out_c;
    int64_t dmax = NO_BOUND;
    for (int64_t oy = 0; oy < p->out_h; oy++) {
        const int64_t top = oy * p->stride_h - p->pad_t;
        const int64_t room = (top > 0 ? top : 0) * in_row - (oy + 1) * out_row;
        if (room < dmax)
            dmax = room;
    }
    return dmax;
}

/* Single pixels (kiln_conv_s8_1x1c8): writing pixel p must leave pixels
 * >= p+1: (p+1)(in_c - out_c) over p + 1 < npix. */
static int64_t pixel_dmax(const conv_p *p)
{
    const int64_t npix = p->out_h * p->out_w;
    if (npix <= 1)
        return NO_BOUND;
    return (p->in_c >= p->out_c ? 1 : npix - 1) * (p->in_c - p->out_c);
}

/* Pixel pairs: writing pixels p, p+1 (p even) must leave pixels >= p+2. */
static int64_t pair_dmax(const conv_p *p)
{
    const int64_t npix = p->out_h * p->out_w;
    if (npix <= 2)
        return NO_BOUND;
    /* (p+2)(in_c - out_c) over even p with p+2 < npix: the first pair when
     * the conv shrinks or keeps the channels, the last when it expands. */
    const int64_t last = (npix - 1) & ~(int64_t)1;
    const int64_t q = p->in_c >= p->out_c ? 2 : last;
    return q * (p->in_c - p->out_c);
}

static int rule(plan_inplace_rule *r, int in_arg, int out_arg, int64_t dmax, int64_t modulus)
{
    r->in_arg = in_arg, r->out_arg = out_arg, r->dmax = dmax, r->modulus = modulus;
    return 1;
}

static int conv_rules(const lir_call *c, plan_inplace_rule *r)
{
    conv_p p;
    if (!conv_params(c, &p))
        return 0;
    if (!strcmp(c->kernel, "kiln_conv_s8_rgb_p16"))
        return rule(r, 0, 2, window_dmax(&p), 0);
    if (!strcmp(c->kernel, "kiln_conv_s8_1x1c8"))
        return rule(r, 0, 2, pixel_dmax(&p), 0);
    if (!strcmp(c->kernel, "kiln_depthwise_conv_s8_3x3"))
        return p.in_c == p.out_c ? rule(r, 0, 2, INT64_MIN, p.in_c) : 0;
    if (!pointwise(&p) && p.dil_h != 1)
        return 0; /* the ring skips the rows between dilated taps until later */
    if (!strcmp(c->kernel, "kiln_depthwise_conv_s8_3x3c4") ||
        !strcmp(c->kernel, "kiln_depthwise_conv_s8_3x3c4s2"))
        return rule(r, 0, 2, ring_dmax(&p), 0);
    return rule(r, 0, 2, pointwise(&p) ? pair_dmax(&p) : ring_dmax(&p), 0);
}

/* kiln_fully_connected_s8_p8/p16 (fully_connected_s8_packed.c) and _host
 * (fully_connected_s8_host.c): with batch
 * 1 the input row is expanded into scratch before any output is written,
 * so any d is safe; batched, rows b and b+1 are expanded, then both output
 * rows written: the pixel-pair order with rows for pixels. */
static int fc_s8_rules(const lir_call *c, plan_inplace_rule *r)
{
    if (c->ptype != &lir_desc_kiln_fc_s8_params)
        return 0;
    const kiln_fc_s8_params *fp = c->params;
    const int64_t batch = fp->batch, k = fp->in_features, n = fp->out_features;
    if (batch < 1)
        return 0;
    if (batch == 1)
        return rule(r, 0, 2, NO_BOUND, 0);
    conv_p p;
    memset(&p, 0, sizeof p);
    p.out_h = 1, p.out_w = batch, p.in_c = k, p.out_c = n;
    return rule(r, 0, 2, pair_dmax(&p), 0);
}

/* The float conv's geometry (kiln_conv_f32_packed_params), 2-D NHWC. */
typedef struct conv_f32_g {
    int64_t in_c, out_c, in_h, in_w, out_h, out_w, s_h, s_w, pad_t, pad_l, block;
    bool direct;
} conv_f32_g;

static bool conv_f32_geom(const lir_call *c, conv_f32_g *q)
{
    if (c->ptype != &lir_desc_kiln_conv_f32_packed_params)
        return false;
    const kiln_conv_f32_packed_params *pp = c->params;
    const kiln_conv_f32_params *cv = &pp->conv;
    const int32_t *in = cv->in, *out = cv->out, *k = cv->k, *st = cv->stride, *pad = cv->pad;
    const int64_t layout = cv->layout, batch = cv->batch, groups = cv->groups, block = pp->block;
    q->in_c = cv->in_c, q->out_c = cv->out_c;
    q->direct = pp->method == KILN_CONV_F32_DIRECT;
    if (!q->direct && pp->method != KILN_CONV_F32_IM2COL)
        return false;
    /* One image, one group (a second group re-reads the input after the
     * first group's outputs were written), 2-D. */
    if (layout != KILN_LAYOUT_NHWC || batch != 1 || groups != 1 || in[0] != 1 || out[0] != 1 || k[0] != 1 || out[1] < 1 ||
        out[2] < 1)
        return false;
    q->in_h = in[1], q->in_w = in[2], q->out_h = out[1], q->out_w = out[2];
    q->s_h = st[1], q->s_w = st[2], q->pad_t = pad[1], q->pad_l = pad[2];
    /* conv_f32_packed.c's block: ROW_BATCH (64) pixels, at most. */
    q->block = q->direct || block < 1 || block > 64 ? 64 : block;
    return true;
}

/* Input pixel index of the top-left tap output pixel p reads (clipped). */
static int64_t first_read(const conv_f32_g *q, int64_t p)
{
    int64_t y = (p / q->out_w) * q->s_h - q->pad_t, x = (p % q->out_w) * q->s_w - q->pad_l;
    return (y > 0 ? y : 0) * q->in_w + (x > 0 ? x : 0);
}

/* kiln_conv_f32_packed, NHWC (conv_f32_packed.c's conv_nhwc): pixels go in
 * blocks; a block's outputs (every panel of channels) are written after
 * its input rows were read: copied into scratch first (IM2COL), or read in
 * place by every panel (DIRECT, so the block's own input stays live).
 * Block [p0, p0 + rows) may write up to output pixel p0 + rows when no
 * input pixel still to be read lies below: the least first_read of the
 * pixels after it (IM2COL) or from p0 on (DIRECT).  Floats: 4 bytes. */
static int64_t conv_f32_dmax(const conv_f32_g *q)
{
    const int64_t npix = q->out_h * q->out_w;
    int64_t dmax = NO_BOUND, least = INT64_MAX;
    /* Walk the blocks from the last, keeping the least first read after. */
    const int64_t last0 = (npix - 1) / q->block * q->block;
    int64_t p = npix;
    for (int64_t p0 = last0; p0 >= 0; p0 -= q->block) {
        const int64_t end = p0 + q->block < npix ? p0 + q->block : npix;
        int64_t after = least; /* pixels >= end */
        for (p = end - 1; p >= p0; p--) {
            int64_t f = first_read(q, p);
            least = f < least ? f : least;
        }
        const int64_t unread = q->direct ? least : after;
        if (unread == INT64_MAX)
            continue; /* the last block (IM2COL): nothing read after it */
        const int64_t room = (unread * q->in_c - end * q->out_c) * 4;
        dmax = room < dmax ? room : dmax;
    }
    return dmax;
}

static int conv_f32_rules(const lir_call *c, plan_inplace_rule *r)
{
    conv_f32_g q;
    /* x, w, b, residual, y (and a NULL scratch for DIRECT).  A fused
     * residual (argument 3) is read while outputs are written. */
    if (c->n_args < 5 || c->args[3].kind != LIR_ARG_NULL || !conv_f32_geom(c, &q))
        return 0;
    return rule(r, 0, 4, conv_f32_dmax(&q), 0);
}

/* A window kernel's geometry, 1 to 3 axes (unused axes 1): pooling and the
 * float depthwise, NHWC, one image. */
typedef struct win_g {
    int64_t c, in[3], out[3], k[3], s[3], dil[3], pad[3];
} win_g;

/* The input pixel of output pixel p's first tap inside the input (taps go
 * in (d, h, w) order, so every later tap is a later pixel); the input's
 * pixel count when the window has none. */
static int64_t win_first(const win_g *q, int64_t p)
{
    const int64_t npix = q->in[0] * q->in[1] * q->in[2];
    int64_t o[3] = {p / (q->out[1] * q->out[2]), p / q->out[2] % q->out[1], p % q->out[2]}, idx = 0;
    for (int a = 0; a < 3; a++) {
        const int64_t start = o[a] * q->s[a] - q->pad[a];
        const int64_t t0 = start < 0 ? (-start + q->dil[a] - 1) / q->dil[a] : 0, i = start + t0 * q->dil[a];
        if (t0 >= q->k[a] || i >= q->in[a])
            return npix;
        idx = idx * q->in[a] + i;
    }
    return idx;
}

/* The window order (pool_s8.c, pool_f32.c, pool_f32_fast.c's NHWC,
 * depthwise_f32_packed.c's NHWC): output pixels in raster order, each
 * written channel by channel (or block by block, or whole as an
 * accumulator) after reading those channels of its window's first tap
 * pixel, while its later taps (later pixels) and all later windows are
 * still to be read.  Writing pixel p, with `lag` pixels after it written
 * too (the float depthwise's assembly does pixels in pairs), is safe while
 * it ends at or below the first still-unread pixel, the least first tap of
 * the pixels from p on: d <= (F(p) - p - lag) * c * e. */
static int64_t win_dmax(const win_g *q, int64_t e, int64_t lag)
{
    const int64_t npix = q->out[0] * q->out[1] * q->out[2];
    int64_t least = INT64_MAX, dmax = NO_BOUND;
    for (int64_t p = npix - 1; p >= 0; p--) {
        const int64_t f = win_first(q, p);
        least = f < least ? f : least;
        const int64_t room = (least - p - lag) * q->c * e;
        dmax = room < dmax ? room : dmax;
    }
    return dmax;
}

/* Both operands of the same element size (the pooling kernels). */
static int64_t same_elem(const ir_graph *g, const lir_call *c, int x, int y)
{
    const ir_tensor *a = &g->tensors[c->args[x].tensor], *b = &g->tensors[c->args[y].tensor];
    return a->dtype == b->dtype ? (int64_t)ir_dtype_size(a->dtype) : 0;
}

static int pool_s8_rules(const ir_graph *g, const lir_call *c, plan_inplace_rule *r)
{
    if (c->ptype != &lir_desc_kiln_pool_s8_params || c->n_args != 2)
        return 0;
    const kiln_pool_s8_params *p = c->params;
    const int64_t e = same_elem(g, c, 0, 1);
    if (p->batch != 1 || p->layout != KILN_LAYOUT_NHWC || !e || p->out_h < 1 || p->out_w < 1)
        return 0;
    const win_g q = {p->c, {1, p->in_h, p->in_w}, {1, p->out_h, p->out_w}, {1, p->k_h, p->k_w},
                     {1, p->stride_h, p->stride_w}, {1, 1, 1}, {0, p->pad_t, p->pad_l}};
    return rule(r, 0, 1, win_dmax(&q, e, 0), 0);
}

static bool win_f32(const kiln_conv_f32_params *cv, win_g *q)
{
    q->c = cv->in_c;
    for (int a = 0; a < 3; a++) {
        q->in[a] = cv->in[a], q->out[a] = cv->out[a], q->k[a] = cv->k[a], q->s[a] = cv->stride[a];
        q->dil[a] = cv->dil[a], q->pad[a] = cv->pad[a];
        if (q->out[a] < 1 || q->dil[a] < 1)
            return false;
    }
    return cv->layout == KILN_LAYOUT_NHWC && cv->batch == 1;
}

/* kiln_maxpool_f32 (its Indices, when asked, are another output),
 * kiln_maxpool_f32_fast, kiln_avgpool_f32. */
static int pool_f32_rules(const ir_graph *g, const lir_call *c, plan_inplace_rule *r)
{
    if (c->ptype != &lir_desc_kiln_pool_f32_params || c->n_args < 2)
        return 0;
    const kiln_pool_f32_params *p = c->params;
    kiln_conv_f32_params cv;
    memset(&cv, 0, sizeof cv);
    cv.layout = p->layout, cv.batch = p->batch, cv.in_c = p->channels;
    for (int a = 0; a < 3; a++) {
        cv.in[a] = p->in[a], cv.out[a] = p->out[a], cv.k[a] = p->k[a], cv.stride[a] = p->stride[a];
        cv.dil[a] = p->dil[a], cv.pad[a] = p->pad[a];
    }
    win_g q;
    const int64_t e = same_elem(g, c, 0, 1);
    if (!e || !win_f32(&cv, &q))
        return 0;
    return rule(r, 0, 1, win_dmax(&q, e, 0), 0);
}

/* kiln_depthwise_conv_s8_packed (depthwise_s8_packed.c): the window order,
 * each pixel's blocks of 4 channels written after the block's window was
 * read; x, w, y, scratch. */
static int dw_s8_packed_rules(const lir_call *c, plan_inplace_rule *r)
{
    if (c->ptype != &lir_desc_kiln_conv_s8_params)
        return 0;
    const kiln_conv_s8_params *p = c->params;
    if (p->batch != 1 || p->layout != KILN_LAYOUT_NHWC || p->in_c != p->out_c || p->out_h < 1 ||
        p->out_w < 1 || p->dil_h < 1 || p->dil_w < 1)
        return 0;
    const win_g q = {p->in_c, {1, p->in_h, p->in_w}, {1, p->out_h, p->out_w}, {1, p->k_h, p->k_w},
                     {1, p->stride_h, p->stride_w}, {1, p->dil_h, p->dil_w}, {0, p->pad_t, p->pad_l}};
    return rule(r, 0, 2, win_dmax(&q, 1, 0), 0);
}

/* kiln_depthwise_conv_f32_packed, NHWC, multiplier 1, no residual (read
 * while outputs are written): x, w, b, residual, y. */
static int dw_f32_rules(const lir_call *c, plan_inplace_rule *r)
{
    if (c->ptype != &lir_desc_kiln_conv_f32_packed_params || c->n_args != 5 || c->args[3].kind != LIR_ARG_NULL)
        return 0;
    const kiln_conv_f32_params *cv = &((const kiln_conv_f32_packed_params *)c->params)->conv;
    win_g q;
    if (cv->in_c != cv->out_c || cv->groups != cv->in_c || !win_f32(cv, &q))
        return 0;
    return rule(r, 0, 4, win_dmax(&q, 4, 1), 0);
}

/* Element i read before output element i is written, ascending. */
static int64_t elem_dmax(const ir_tensor *x, const ir_tensor *y)
{
    const int64_t ei = (int64_t)ir_dtype_size(x->dtype), eo = (int64_t)ir_dtype_size(y->dtype);
    const int64_t n = ir_numel(y);
    return ei >= eo ? ei - eo : (n - 1) * (ei - eo);
}

static bool is_tensor(const lir_call *c, int a)
{
    return a < c->n_args && c->args[a].kind == LIR_ARG_TENSOR;
}

static int elem_rule(const ir_graph *g, const lir_call *c, int in_arg, int out_arg,
                     plan_inplace_rule *r)
{
    if (!is_tensor(c, in_arg) || !is_tensor(c, out_arg))
        return 0;
    const ir_tensor *x = &g->tensors[c->args[in_arg].tensor];
    const ir_tensor *y = &g->tensors[c->args[out_arg].tensor];
    if (ir_numel(x) != ir_numel(y) || ir_numel(y) < 1)
        return 0; /* broadcast: one input element feeds many outputs */
    return rule(r, in_arg, out_arg, elem_dmax(x, y), 0);
}

static const char *const unary[] = {
    "kiln_requantize_s8", "kiln_clip_s8", "kiln_requantize_q", "kiln_logistic_s8",
    "kiln_tanh_s8", "kiln_hard_swish_s8", "kiln_leaky_relu_s8",
    /* elementwise_f32.c, unary_ext_f32.c: y[i] = f(x[i]), i ascending */
    "kiln_clip_f32", "kiln_leaky_relu_f32", "kiln_sigmoid_f32", "kiln_tanh_f32",
    "kiln_hard_sigmoid_f32", "kiln_hard_swish_f32", "kiln_sqrt_f32", "kiln_unary_ext_f32",
    "kiln_not_bool",
};
static const char *const binary[] = {
    "kiln_add_s8", "kiln_sub_s8", "kiln_mul_s8", "kiln_min_s8", "kiln_max_s8",
    /* elementwise_f32.c's row loop and elementwise_s16.c's walk read a[i],
     * b[i] before writing y[i], in output order */
    "kiln_add_f32", "kiln_sub_f32", "kiln_mul_f32", "kiln_div_f32", "kiln_min_f32", "kiln_max_f32",
    "kiln_add_s16", "kiln_sub_s16", "kiln_mul_s16",
};

static bool listed(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(k, list[i]))
            return true;
    return false;
}

int plan_inplace_rules(const ir_graph *g, const lir_call *c, plan_inplace_rule rules[2])
{
    const char *k = c->kernel;
    if (c->no_inplace)
        return 0;
    if (!strcmp(k, "kiln_conv_s8_p8") || !strcmp(k, "kiln_conv_s8_p16") ||
        !strcmp(k, "kiln_conv_s8_1x1c8") || !strcmp(k, "kiln_conv_s8_rgb_p16") ||
        !strcmp(k, "kiln_depthwise_conv_s8_3x3") || !strcmp(k, "kiln_depthwise_conv_s8_3x3c4") ||
        !strcmp(k, "kiln_depthwise_conv_s8_3x3c4s2"))
        return conv_rules(c, rules);
    if (!strcmp(k, "kiln_fully_connected_s8_p8") || !strcmp(k, "kiln_fully_connected_s8_p16") ||
        !strcmp(k, "kiln_fully_connected_s8_host"))
        return fc_s8_rules(c, rules);
    if (!strcmp(k, "kiln_conv_f32_packed"))
        return conv_f32_rules(c, rules);
    if (!strcmp(k, "kiln_depthwise_conv_f32_packed"))
        return dw_f32_rules(c, rules);
    if (!strcmp(k, "kiln_depthwise_conv_s8_packed"))
        return dw_s8_packed_rules(c, rules);
    if (!strcmp(k, "kiln_avgpool_s8") || !strcmp(k, "kiln_maxpool_s8"))
        return pool_s8_rules(g, c, rules);
    if (!strcmp(k, "kiln_avgpool_f32") || !strcmp(k, "kiln_maxpool_f32") || !strcmp(k, "kiln_maxpool_f32_fast"))
        return pool_f32_rules(g, c, rules);
    if (listed(k, unary, sizeof unary / sizeof unary[0]))
        return elem_rule(g, c, 0, 1, rules);
    if (listed(k, binary, sizeof binary / sizeof binary[0]) || !strcmp(k, "kiln_add_s8_lut")) {
        const int out = !strcmp(k, "kiln_add_s8_lut") ? 3 : 2;
        int n = elem_rule(g, c, 0, out, rules);
        return n + elem_rule(g, c, 1, out, rules + n);
    }
    return 0;
}

bool plan_inplace_allows(const plan_inplace_rule *r, int64_t d, size_t in_bytes, size_t out_bytes)
{
    if (d >= (int64_t)in_bytes || d <= -(int64_t)out_bytes)
        return true;
    return d <= r->dmax || (r->modulus > 0 && d % r->modulus == 0);
}

size_t plan_inplace_max_overlap(const plan_inplace_rule *r, size_t in_bytes, size_t out_bytes)
{
    const int64_t a = (int64_t)in_bytes, b = (int64_t)out_bytes;
    if (r->modulus > 0)
        return (size_t)(a < b ? a : b); /* d = 0 */
    /* Overlap of [0, a) and [d, d + b) grows up to d = min(0, a - b). */
    int64_t best = a - b < 0 ? a - b : 0;
    int64_t d = r->dmax < best ? r->dmax : best;
    int64_t lo = d > 0 ? d : 0, hi = d + b < a ? d + b : a;
    return hi > lo ? (size_t)(hi - lo) : 0;
}
