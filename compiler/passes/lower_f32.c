/*
 * lower_f32.c - lowers IR nodes on float32 tensors to the float32 kernels
 * (include/kiln/kernels_f32.h).
 *
 * For each op it checks the shapes it relies on, fills the kernel's params
 * struct (the real C type, so the compiler checks the field names), repacks
 * constant weights into the layout the kernel wants and adds them as new
 * constants, and folds everything constant (BatchNorm statistics, Resize
 * coordinate tables) at compile time.  Convolutions (depthwise with
 * multiplier 1 included) and FULLY_CONNECTED with constant weights and bias
 * go to the packed kernels (weights in panels, pack_f32.c), and MAXPOOL
 * without Indices to kiln_maxpool_f32_fast, unless the plain kernels were
 * asked for (lower_opts LOWER_PLAIN, `--kernels plain`).  It claims a node only when its data
 * input and first output are unquantized float32; data movement on floats
 * (RESHAPE, TRANSPOSE, ...) was already taken by lower_data.  It never
 * changes existing tensors.
 */
#include "passes/lower.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "kiln/kernels_f32.h"
#include "passes/lower_svdf.h"
#include "passes/pack_f32.h"
#include "passes/lower_util.h"
#include "passes/resize_tables.h"
#include "util/sbuf.h"

static const ir_tensor *T(const ir_graph *g, int i)
{
    return &g->tensors[i];
}

static bool is_f32(const ir_graph *g, int t)
{
    return t >= 0 && T(g, t)->dtype == IR_DT_F32 && T(g, t)->q.n == 0;
}

/* Appends ".act_lo = ..., .act_hi = ..." for a fused clamp (open when off). */

/* ---- conv-like geometry -------------------------------------------------- */

typedef struct geom {
    int32_t batch, channels;
    int32_t sp[3];          /* spatial dims, right-aligned into [d, h, w] */
} geom;

/* Reads [N, C, s...] or [N, s..., C] with nsp spatial dims. */
static bool read_geom(const ir_tensor *t, ir_layout layout, int nsp, geom *gm)
{
    if (t->rank != nsp + 2 || nsp < 1 || nsp > 3)
        return false;
    for (int d = 0; d < t->rank; d++)
        if (!lower_fits_i32(t->shape[d]))
            return false;
    gm->batch = (int32_t)t->shape[0];
    gm->channels = (int32_t)(layout == IR_LAYOUT_NHWC ? t->shape[t->rank - 1] : t->shape[1]);
    gm->sp[0] = gm->sp[1] = gm->sp[2] = 1;
    for (int i = 0; i < nsp; i++)
        gm->sp[3 - nsp + i] = (int32_t)t->shape[layout == IR_LAYOUT_NHWC ? 1 + i : 2 + i];
    return true;
}

/* Window attributes right-aligned into three entries (unused: k 1, stride 1,
 * dilation 1, pads 0). */
typedef struct win {
    int32_t k[3], stride[3], dil[3], pad[3], pad_end[3];
} win;

static void read_win(const ir_conv_attr *c, win *w)
{
    const int nsp = c->nspatial;
    for (int i = 0; i < 3; i++) {
        w->k[i] = w->stride[i] = w->dil[i] = 1;
        w->pad[i] = w->pad_end[i] = 0;
    }
    for (int i = 0; i < nsp; i++) {
        const int j = 3 - nsp + i;
        w->k[j] = c->kernel[i];
        w->stride[j] = c->stride[i];
        w->dil[j] = c->dilation[i];
        w->pad[j] = c->pad_begin[i];
        w->pad_end[j] = c->pad_end[i];
    }
}

/* Kernel, stride and dilation at least 1 (pads are checked by the caller:
 * CONV_TRANSPOSE accepts negative ones, from an ONNX output_shape larger
 * than the natural size; the scatter handles any shift). */
static bool win_taps_ok(const win *w)
{
    for (int i = 0; i < 3; i++)
        if (w->k[i] < 1 || w->stride[i] < 1 || w->dil[i] < 1)
            return false;
    return true;
}

static bool win_ok(const win *w)
{
    for (int i = 0; i < 3; i++)
        if (w->k[i] < 1 || w->stride[i] < 1 || w->dil[i] < 1 || w->pad[i] < 0 || w->pad_end[i] < 0)
            return false;
    return true;
}

static void fill_act(const ir_act *act, float *lo, float *hi)
{
    *lo = act->on ? act->lo : -INFINITY;
    *hi = act->on ? act->hi : INFINITY;
}

/* ---- CONV, CONV_TRANSPOSE ------------------------------------------------ */

/* Checks what Conv and ConvTranspose share and fills their kernel parameters;
 * the weights are [M, C/G, k...] for a convolution and [C, M/G, k...] for a
 * transposed one.  Returns the weights tensor, or NULL after lower_fail. */
static const ir_tensor *conv_setup(ir_graph *g, int node, bool transpose, kiln_conv_f32_params *cp,
                                   win *w, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_conv_attr *ca = &nd->attr.conv;
    const int xi = nd->in[0], wi = nd->in[1], bi = nd->n_in > 2 ? nd->in[2] : -1, yi = nd->out[0];
    geom gx, gy;
    if (!read_geom(T(g, xi), ca->layout, ca->nspatial, &gx) ||
        !read_geom(T(g, yi), ca->layout, ca->nspatial, &gy)) {
        lower_fail(err, errlen, g, node, "input/output rank does not fit %d spatial dims",
                   ca->nspatial);
        return NULL;
    }
    read_win(ca, w);
    /* A transposed convolution's pads trim its output, so they may exceed
     * the kernel; only its taps need to be in range. */
    if (!(transpose ? win_taps_ok(w) : win_ok(w))) {
        lower_fail(err, errlen, g, node, "kernel, stride, dilation or pads out of range");
        return NULL;
    }
    const ir_tensor *wt = T(g, wi);
    const int32_t C = gx.channels, M = gy.channels, G = ca->group;
    if (G < 1 || C % G || M % G) {
        lower_fail(err, errlen, g, node, "group %d does not divide %d input / %d output channels", G,
                   C, M);
        return NULL;
    }
    const int32_t w0 = transpose ? C : M, w1 = transpose ? M / G : C / G;
    if (wt->rank != ca->nspatial + 2 || wt->shape[0] != w0 || wt->shape[1] != w1) {
        lower_fail(err, errlen, g, node, "weights shape does not match [%d, %d, k...]", w0, w1);
        return NULL;
    }
    for (int i = 0; i < ca->nspatial; i++)
        if (wt->shape[2 + i] != ca->kernel[i]) {
            lower_fail(err, errlen, g, node, "weights kernel dim %d is %lld, attribute says %d", i,
                       (long long)wt->shape[2 + i], ca->kernel[i]);
            return NULL;
        }
    if (!ir_is_const(wt) || wt->dtype != IR_DT_F32) {
        lower_fail(err, errlen, g, node, "weights '%s' must be a float32 constant", wt->name);
        return NULL;
    }
    if (bi >= 0 && (!is_f32(g, bi) || ir_numel(T(g, bi)) != M)) {
        lower_fail(err, errlen, g, node, "bias must be float32 with %d elements", M);
        return NULL;
    }
    if (gx.batch != gy.batch) {
        lower_fail(err, errlen, g, node, "batch changes from %d to %d", gx.batch, gy.batch);
        return NULL;
    }
    for (int i = 0; i < 3 && !transpose; i++) {
        const int64_t want = ((int64_t)gx.sp[i] + w->pad[i] + w->pad_end[i] -
                              (int64_t)w->dil[i] * (w->k[i] - 1) - 1) / w->stride[i] + 1;
        if (want != gy.sp[i]) {
            lower_fail(err, errlen, g, node, "output spatial size %d, the attributes give %lld",
                       gy.sp[i], (long long)want);
            return NULL;
        }
    }

    memset(cp, 0, sizeof *cp);
    cp->layout = ca->layout == IR_LAYOUT_NHWC ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW;
    cp->batch = gx.batch;
    cp->in_c = C;
    cp->out_c = M;
    cp->groups = G;
    for (int i = 0; i < 3; i++) {
        cp->in[i] = gx.sp[i];
        cp->out[i] = gy.sp[i];
        cp->k[i] = w->k[i];
        cp->stride[i] = w->stride[i];
        cp->dil[i] = w->dil[i];
        cp->pad[i] = w->pad[i];
    }
    fill_act(&nd->attr.act, &cp->act_lo, &cp->act_hi);
    return wt;
}

/* The call: input, the repacked weights (a new constant of n floats), bias. */
static int conv_emit(ir_graph *g, int node, lir_program *p, const char *kernel,
                     const kiln_conv_f32_params *cp, const char *suffix, float *packed, int64_t n)
{
    const ir_node *nd = &g->nodes[node];
    const int bi = nd->n_in > 2 ? nd->in[2] : -1;
    const int64_t pshape[1] = {n};
    const int pw = lower_add_const(g, node, T(g, nd->in[1])->name, suffix, IR_DT_F32, 1, pshape,
                                   packed, (size_t)n * sizeof(float));
    free(packed);
    lir_call *c = LIR_CALL(p, node, kernel, kiln_conv_f32_params, cp);
    lir_in(c, nd->in[0]);
    lir_in(c, pw);
    lir_in(c, bi);
    lir_out(c, nd->out[0]);
    return 1;
}

/* The packed kernels run a conv or FC whose weights and bias (if any) are
 * float32 constants, unless the plain kernels were asked for. */
static bool packed_ok(const ir_graph *g, const ir_node *nd, const lir_program *p)
{
    if (p->opts.kernels == LOWER_PLAIN)
        return false;
    const int bi = nd->n_in > 2 ? nd->in[2] : -1;
    return ir_is_const(T(g, nd->in[1])) && (bi < 0 || ir_is_const(T(g, bi)));
}

/* The fused LeakyReLU and MAX of a node (passes/fuse_f32.c) into e. */
static void fill_fused(const ir_node *nd, kiln_f32_epilogue *e)
{
    e->leaky = nd->attr.fused.leaky;
    e->alpha = nd->attr.fused.leaky ? nd->attr.fused.alpha : 0.0f;
    e->maxc = nd->attr.fused.maxc;
    e->maxc_value = nd->attr.fused.maxc ? nd->attr.fused.maxc_value : 0.0f;
}

/* The residual a fused ADD left (in[3]), or -1. */
static int residual_of(const ir_node *nd)
{
    return nd->attr.fused.residual && nd->n_in > 3 ? nd->in[3] : -1;
}

static bool has_fused(const ir_node *nd)
{
    return nd->attr.fused.residual || nd->attr.fused.leaky || nd->attr.fused.maxc;
}

/* Names the packed weights' and bias's layouts in the blob's directory: the
 * signature hashes the directory, so code built for one packing refuses a
 * blob packed another way. */
static void set_packed_layouts(lir_program *p, int weights, kiln_blob_layout wl, int bias)
{
    lir_set_layout(p, weights, wl);
    lir_set_layout(p, bias, KILN_BLOB_LAYOUT_F32_BIAS);
}

/* A packed conv or depthwise call: weights and bias packed into new
 * constants, the im2col scratch from the kernel's own size function. */
static int conv_emit_packed(ir_graph *g, int node, lir_program *p, const kiln_conv_f32_params *cp,
                            bool depthwise)
{
    const ir_node *nd = &g->nodes[node];
    const int bi = nd->n_in > 2 ? nd->in[2] : -1;
    kiln_conv_f32_packed_params pp;
    pack_f32_conv_plan(cp, depthwise, &pp);
    fill_fused(nd, &pp.epi);
    const size_t nw = pack_f32_conv_floats(&pp, depthwise), nb = pack_f32_bias_floats(&pp, depthwise);
    float *w = xmalloc(nw * sizeof(float)), *b = xmalloc(nb * sizeof(float));
    pack_f32_conv(T(g, nd->in[1])->data, &pp, depthwise, w);
    pack_f32_bias(bi >= 0 ? T(g, bi)->data : NULL, &pp, depthwise, b);
    const int64_t wshape[1] = {(int64_t)nw}, bshape[1] = {(int64_t)nb};
    const char *base = T(g, nd->in[1])->name;
    const int tw = lower_add_const(g, node, base, "f32_panels", IR_DT_F32, 1, wshape, w, nw * sizeof(float));
    const int tb = lower_add_const(g, node, base, "f32_bias", IR_DT_F32, 1, bshape, b, nb * sizeof(float));
    set_packed_layouts(p, tw, depthwise ? KILN_BLOB_LAYOUT_F32_DW : KILN_BLOB_LAYOUT_F32_PANELS, tb);
    free(w);
    free(b);
    lir_call *c = LIR_CALL(p, node, depthwise ? "kiln_depthwise_conv_f32_packed" : "kiln_conv_f32_packed",
                           kiln_conv_f32_packed_params, &pp);
    lir_in(c, nd->in[0]);
    lir_in(c, tw);
    lir_in(c, tb);
    lir_in(c, residual_of(nd));     /* NULL without a fused ADD */
    lir_out(c, nd->out[0]);
    if (!depthwise) {
        const size_t scratch = kiln_conv_f32_packed_scratch_size(&pp);
        if (scratch)
            c->scratch_bytes = scratch;
        else
            lir_null(c);
    }
    return 1;
}

static int lower_conv(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    kiln_conv_f32_params cp;
    win w;
    const ir_tensor *wt = conv_setup(g, node, false, &cp, &w, err, errlen);
    if (!wt)
        return -1;
    const int64_t M = cp.out_c, G = cp.groups, cg = cp.in_c / G;
    if (packed_ok(g, &g->nodes[node], p) && (G == 1 || G != cp.in_c || M == G))
        return conv_emit_packed(g, node, p, &cp, G == cp.in_c && G > 1);
    if (has_fused(&g->nodes[node]))
        return lower_fail(err, errlen, g, node, "a fused epilogue needs the packed kernels");
    const int64_t kvol = (int64_t)w.k[0] * w.k[1] * w.k[2];
    const float *src = wt->data;
    float *dst = xmalloc((size_t)(M * cg * kvol) * sizeof(float));
    if (G == cp.in_c && G > 1) {
        /* depthwise: [M][1][kvol] -> [kvol][M] */
        for (int64_t m = 0; m < M; m++)
            for (int64_t k = 0; k < kvol; k++)
                dst[k * M + m] = src[m * kvol + k];
        return conv_emit(g, node, p, "kiln_depthwise_conv_f32", &cp, "dw_packed", dst, M * kvol);
    }
    /* [M][C/G][kvol] -> [M][kvol][C/G] */
    for (int64_t m = 0; m < M; m++)
        for (int64_t c = 0; c < cg; c++)
            for (int64_t k = 0; k < kvol; k++)
                dst[(m * kvol + k) * cg + c] = src[(m * cg + c) * kvol + k];
    return conv_emit(g, node, p, "kiln_conv_f32", &cp, "packed", dst, M * cg * kvol);
}

static int lower_conv_transpose(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    kiln_conv_f32_params cp;
    win w;
    const ir_tensor *wt = conv_setup(g, node, true, &cp, &w, err, errlen);
    if (!wt)
        return -1;
    const int64_t C = cp.in_c, G = cp.groups, cg = C / G, mg = cp.out_c / G;
    const int64_t kvol = (int64_t)w.k[0] * w.k[1] * w.k[2];
    const float *src = wt->data;
    const int64_t n = C * mg * kvol;
    float *dst = xmalloc((size_t)n * sizeof(float));
    /* [C][M/G][kvol] -> [G][kvol][M/G][C/G] */
    for (int64_t gg = 0; gg < G; gg++)
        for (int64_t k = 0; k < kvol; k++)
            for (int64_t mm = 0; mm < mg; mm++)
                for (int64_t cc = 0; cc < cg; cc++)
                    dst[((gg * kvol + k) * mg + mm) * cg + cc] =
                        src[((gg * cg + cc) * mg + mm) * kvol + k];
    return conv_emit(g, node, p, "kiln_conv_transpose_f32", &cp, "tr_packed", dst, n);
}

/* ---- FULLY_CONNECTED, MATMUL -------------------------------------------- */

/* A packed FULLY_CONNECTED call: W [N][K] and the bias packed into panels. */
static int fc_emit_packed(ir_graph *g, int node, lir_program *p, int64_t batch, int64_t K, int64_t N)
{
    const ir_node *nd = &g->nodes[node];
    const int bi = nd->n_in > 2 ? nd->in[2] : -1;
    kiln_f32_epilogue e = {0};
    fill_act(&nd->attr.act, &e.act_lo, &e.act_hi);
    fill_fused(nd, &e);
    const int32_t panel = pack_f32_panel((int32_t)N, KILN_LAYOUT_NHWC);
    const size_t nw = pack_f32_fc_floats((int32_t)N, (int32_t)K, panel);
    const size_t nb = (size_t)((N + panel - 1) / panel * panel);
    float *w = xmalloc(nw * sizeof(float)), *b = xmalloc(nb * sizeof(float));
    pack_f32_fc(T(g, nd->in[1])->data, (int32_t)N, (int32_t)K, panel, w);
    pack_f32_fc_bias(bi >= 0 ? T(g, bi)->data : NULL, (int32_t)N, panel, b);
    const int64_t wshape[1] = {(int64_t)nw}, bshape[1] = {(int64_t)nb};
    const char *base = T(g, nd->in[1])->name;
    const int tw = lower_add_const(g, node, base, "f32_panels", IR_DT_F32, 1, wshape, w, nw * sizeof(float));
    const int tb = lower_add_const(g, node, base, "f32_bias", IR_DT_F32, 1, bshape, b, nb * sizeof(float));
    set_packed_layouts(p, tw, KILN_BLOB_LAYOUT_F32_PANELS, tb);
    free(w);
    free(b);
    const kiln_fc_f32_packed_params fp = {.batch = (int32_t)batch, .in_features = (int32_t)K,
                                          .out_features = (int32_t)N, .epi = e, .panel = panel};
    lir_call *c = LIR_CALL(p, node, "kiln_fully_connected_f32_packed", kiln_fc_f32_packed_params, &fp);
    lir_in(c, nd->in[0]);
    lir_in(c, tw);
    lir_in(c, tb);
    lir_in(c, residual_of(nd));
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_fc(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const int xi = nd->in[0], wi = nd->in[1], bi = nd->n_in > 2 ? nd->in[2] : -1, yi = nd->out[0];
    const ir_tensor *w = T(g, wi), *x = T(g, xi), *y = T(g, yi);
    if (w->rank != 2 || !is_f32(g, wi))
        return lower_fail(err, errlen, g, node, "weights must be float32 [out, in]");
    const int64_t N = w->shape[0], K = w->shape[1];
    if (K == 0 || ir_numel(x) % K || ir_numel(y) != ir_numel(x) / K * N)
        return lower_fail(err, errlen, g, node, "input of %lld elements does not fit weights [%lld, %lld]",
                          (long long)ir_numel(x), (long long)N, (long long)K);
    if (bi >= 0 && (!is_f32(g, bi) || ir_numel(T(g, bi)) != N))
        return lower_fail(err, errlen, g, node, "bias must be float32 with %lld elements", (long long)N);
    if (packed_ok(g, nd, p))
        return fc_emit_packed(g, node, p, ir_numel(x) / K, K, N);
    if (has_fused(nd))
        return lower_fail(err, errlen, g, node, "a fused epilogue needs the packed kernels");
    kiln_fc_f32_params fp = {.batch = (int32_t)(ir_numel(x) / K), .in_features = (int32_t)K,
                             .out_features = (int32_t)N};
    fill_act(&nd->attr.act, &fp.act_lo, &fp.act_hi);
    lir_call *c = LIR_CALL(p, node, "kiln_fully_connected_f32", kiln_fc_f32_params, &fp);
    lir_in(c, xi);
    lir_in(c, wi);
    lir_in(c, bi);
    lir_out(c, yi);
    return 1;
}

static int lower_matmul(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const int ai = nd->in[0], bi = nd->in[1], yi = nd->out[0];
    if (!is_f32(g, bi))
        return lower_fail(err, errlen, g, node, "second operand must be float32");
    const ir_tensor *a = T(g, ai), *b = T(g, bi), *y = T(g, yi);
    if (a->rank < 1 || b->rank < 1)
        return lower_fail(err, errlen, g, node, "operands must have rank >= 1");
    /* Promote rank-1 operands: A [K] -> [1, K], B [K] -> [K, 1]. */
    const int64_t M = a->rank == 1 ? 1 : a->shape[a->rank - 2];
    const int64_t K = a->shape[a->rank - 1];
    const int64_t Kb = b->rank == 1 ? b->shape[0] : b->shape[b->rank - 2];
    const int64_t N = b->rank == 1 ? 1 : b->shape[b->rank - 1];
    if (K != Kb)
        return lower_fail(err, errlen, g, node, "inner dims differ: %lld vs %lld", (long long)K,
                          (long long)Kb);
    const int abat = a->rank > 2 ? a->rank - 2 : 0, bbat = b->rank > 2 ? b->rank - 2 : 0;
    const int nb = abat > bbat ? abat : bbat;
    if (nb > 4)
        return lower_fail(err, errlen, g, node, "more than 4 batch dims");
    kiln_matmul_f32_params mp = {.m = (int32_t)M, .k = (int32_t)K, .n = (int32_t)N, .nbatch = nb,
                                 .y_batch = {1, 1, 1, 1}};
    int32_t *ybat = mp.y_batch, *as = mp.a_bstride, *bs = mp.b_bstride;
    int64_t astr = M * K, bstr = K * N, total = 1;
    for (int d = nb - 1; d >= 0; d--) {
        const int da = d - (nb - abat), db = d - (nb - bbat);
        const int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            return lower_fail(err, errlen, g, node, "batch dims %lld and %lld do not broadcast",
                              (long long)sa, (long long)sb);
        ybat[d] = (int32_t)(sa > sb ? sa : sb);
        as[d] = sa == 1 ? 0 : (int32_t)astr;
        bs[d] = sb == 1 ? 0 : (int32_t)bstr;
        astr *= sa;
        bstr *= sb;
        total *= ybat[d];
    }
    if (ir_numel(y) != total * M * N)
        return lower_fail(err, errlen, g, node, "output has %lld elements, expected %lld",
                          (long long)ir_numel(y), (long long)(total * M * N));
    fill_act(&nd->attr.act, &mp.act_lo, &mp.act_hi);
    lir_call *c = LIR_CALL(p, node, "kiln_matmul_f32", kiln_matmul_f32_params, &mp);
    lir_in(c, ai);
    lir_in(c, bi);
    lir_out(c, yi);
    return 1;
}

/* ---- elementwise ---------------------------------------------------------- */

static int lower_binary(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (nd->n_in < 2 || !is_f32(g, nd->in[1]))
        return lower_fail(err, errlen, g, node, "second operand must be float32");
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    kiln_binary_f32_params bp;
    memset(&bp, 0, sizeof bp);
    bp.rank = lower_broadcast(y, a, b, bp.shape, bp.a_stride, bp.b_stride);
    if (bp.rank < 0)
        return lower_fail(err, errlen, g, node, "inputs '%s' and '%s' do not broadcast to the output",
                          a->name, b->name);
    const char *k = nd->op == IR_OP_ADD ? "kiln_add_f32" : nd->op == IR_OP_SUB ? "kiln_sub_f32"
                  : nd->op == IR_OP_MUL ? "kiln_mul_f32" : nd->op == IR_OP_DIV ? "kiln_div_f32"
                  : nd->op == IR_OP_MIN ? "kiln_min_f32" : "kiln_max_f32";
    fill_act(&nd->attr.act, &bp.act_lo, &bp.act_hi);
    lir_call *c = LIR_CALL(p, node, k, kiln_binary_f32_params, &bp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* A unary kernel over `src` into `dst` (x == y allowed by the kernels). */
static void emit_unary(ir_graph *g, int node, lir_program *p, const char *kernel, int src, int dst,
                       float alpha, float beta, float lo, float hi)
{
    const kiln_unary_f32_params up = {.size = (int32_t)ir_numel(T(g, dst)), .alpha = alpha,
                                      .beta = beta, .lo = lo, .hi = hi};
    lir_call *c = LIR_CALL(p, node, kernel, kiln_unary_f32_params, &up);
    lir_in(c, src);
    lir_out(c, dst);
}

/* Ops whose kernel has no fused clamp get one as a second, in-place call
 * (importers rarely fuse into them; the IR allows it). */
static void clamp_after(ir_graph *g, int node, lir_program *p)
{
    const ir_node *nd = &g->nodes[node];
    if (nd->attr.act.on)
        emit_unary(g, node, p, "kiln_clip_f32", nd->out[0], nd->out[0], 0.0f, 0.0f,
                   nd->attr.act.lo, nd->attr.act.hi);
}

static int lower_unary(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_attr *a = &nd->attr;
    if (ir_numel(T(g, nd->in[0])) != ir_numel(T(g, nd->out[0])))
        return lower_fail(err, errlen, g, node, "input and output sizes differ");
    if (!lower_fits_i32(ir_numel(T(g, nd->out[0]))))
        return lower_fail(err, errlen, g, node, "tensor of more than 2^31 elements");
    const float ninf = -INFINITY, pinf = INFINITY;
    switch (nd->op) {
    case IR_OP_CLIP:
        emit_unary(g, node, p, "kiln_clip_f32", nd->in[0], nd->out[0], 0.0f, 0.0f,
                   a->act.on ? a->act.lo : ninf, a->act.on ? a->act.hi : pinf);
        return 1;
    case IR_OP_LEAKY_RELU:
        emit_unary(g, node, p, "kiln_leaky_relu_f32", nd->in[0], nd->out[0], a->alpha, 0.0f, ninf, pinf);
        break;
    case IR_OP_SIGMOID:
        emit_unary(g, node, p, "kiln_sigmoid_f32", nd->in[0], nd->out[0], 0.0f, 0.0f, ninf, pinf);
        break;
    case IR_OP_TANH:
        emit_unary(g, node, p, "kiln_tanh_f32", nd->in[0], nd->out[0], 0.0f, 0.0f, ninf, pinf);
        break;
    case IR_OP_HARD_SIGMOID:
        emit_unary(g, node, p, "kiln_hard_sigmoid_f32", nd->in[0], nd->out[0], a->alpha, a->beta,
                   ninf, pinf);
        break;
    case IR_OP_SQRT:
        emit_unary(g, node, p, "kiln_sqrt_f32", nd->in[0], nd->out[0], 0.0f, 0.0f, ninf, pinf);
        break;
    default: /* HARD_SWISH */
        emit_unary(g, node, p, "kiln_hard_swish_f32", nd->in[0], nd->out[0], 0.0f, 0.0f, ninf, pinf);
        break;
    }
    clamp_after(g, node, p);
    return 1;
}

/* ---- SOFTMAX ------------------------------------------------------------ */

static int lower_softmax(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]);
    int axis = nd->attr.axis, end = nd->attr.axis_end;
    if (end <= axis)
        end = axis + 1;
    if (axis < 0 || end > x->rank)
        return lower_fail(err, errlen, g, node, "axes [%d, %d) outside rank %d", axis, end, x->rank);
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < x->rank; d++)
        *(d < axis ? &outer : d < end ? &n : &inner) *= x->shape[d];
    if (ir_numel(x) == 0)
        return 1;
    const kiln_softmax_f32_params sp = {.outer = (int32_t)outer, .n = (int32_t)n,
                                        .inner = (int32_t)inner, .beta = nd->attr.beta,
                                        .log = nd->attr.log ? 1 : 0};
    lir_call *c = LIR_CALL(p, node, "kiln_softmax_f32", kiln_softmax_f32_params, &sp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    clamp_after(g, node, p);
    return 1;
}

/* ---- pools ---------------------------------------------------------------- */

static int lower_pool(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_conv_attr *ca = &nd->attr.conv;
    geom gx, gy;
    win w;
    if (!read_geom(T(g, nd->in[0]), ca->layout, ca->nspatial, &gx) ||
        !read_geom(T(g, nd->out[0]), ca->layout, ca->nspatial, &gy))
        return lower_fail(err, errlen, g, node, "input/output rank does not fit %d spatial dims",
                          ca->nspatial);
    read_win(ca, &w);
    if (!win_ok(&w))
        return lower_fail(err, errlen, g, node, "kernel, stride, dilation or pads out of range");
    if (gx.batch != gy.batch || gx.channels != gy.channels)
        return lower_fail(err, errlen, g, node, "batch or channels change");
    const int idx = nd->op == IR_OP_MAXPOOL && nd->n_out > 1 ? nd->out[1] : -1;
    if (idx >= 0) {
        const ir_tensor *it = T(g, idx);
        if (it->dtype != IR_DT_S64 || ir_numel(it) != ir_numel(T(g, nd->out[0])))
            return lower_fail(err, errlen, g, node, "Indices output must be int64 shaped like Y");
        if (ca->layout != IR_LAYOUT_NCHW)
            return lower_fail(err, errlen, g, node, "Indices output needs NCHW layout");
    }
    kiln_pool_f32_params pp = {.layout = ca->layout == IR_LAYOUT_NHWC ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW,
                               .batch = gx.batch, .channels = gx.channels,
                               .count_include_pad = ca->count_include_pad ? 1 : 0,
                               .storage_order = ca->storage_order ? 1 : 0};
    for (int i = 0; i < 3; i++) {
        pp.in[i] = gx.sp[i], pp.out[i] = gy.sp[i], pp.k[i] = w.k[i], pp.stride[i] = w.stride[i];
        pp.dil[i] = w.dil[i], pp.pad[i] = w.pad[i], pp.pad_end[i] = w.pad_end[i];
    }
    fill_act(&nd->attr.act, &pp.act_lo, &pp.act_hi);
    const bool mx = nd->op == IR_OP_MAXPOOL;
    const bool fast = mx && idx < 0 && p->opts.kernels != LOWER_PLAIN;
    lir_call *c = LIR_CALL(p, node, fast ? "kiln_maxpool_f32_fast" : mx ? "kiln_maxpool_f32" : "kiln_avgpool_f32",
                           kiln_pool_f32_params, &pp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    if (mx && !fast)
        lir_out(c, idx);
    return 1;
}

/* ---- BATCHNORM ------------------------------------------------------------ */

static int lower_batchnorm(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]);
    if (nd->n_in < 5)
        return lower_fail(err, errlen, g, node, "needs X, scale, B, mean, var");
    if (x->rank < 2)
        return lower_fail(err, errlen, g, node, "input rank %d < 2", x->rank);
    const bool nhwc = nd->attr.conv.layout == IR_LAYOUT_NHWC;
    const int64_t C = nhwc ? x->shape[x->rank - 1] : x->shape[1];
    const float *v[4];
    for (int k = 1; k < 5; k++) {
        const ir_tensor *t = T(g, nd->in[k]);
        if (!ir_is_const(t) || t->dtype != IR_DT_F32 || ir_numel(t) != C)
            return lower_fail(err, errlen, g, node,
                              "'%s' must be a float32 constant of %lld elements (one per channel)",
                              t->name, (long long)C);
        v[k - 1] = t->data;
    }
    float *scale = xmalloc((size_t)(C ? C : 1) * sizeof(float));
    float *shift = xmalloc((size_t)(C ? C : 1) * sizeof(float));
    for (int64_t c = 0; c < C; c++) {
        /* y = gamma*(x-mean)/sqrt(var+eps) + beta = x*s + (beta - mean*s). */
        const double s = (double)v[0][c] / sqrt((double)v[3][c] + (double)nd->attr.epsilon);
        scale[c] = (float)s;
        shift[c] = (float)((double)v[1][c] - (double)v[2][c] * s);
    }
    const int64_t shp[1] = {C};
    const char *base = T(g, nd->in[1])->name;
    const int ts = lower_add_const(g, node, base, "bn_scale", IR_DT_F32, 1, shp, scale,
                                   (size_t)C * sizeof(float));
    const int th = lower_add_const(g, node, base, "bn_shift", IR_DT_F32, 1, shp, shift,
                                   (size_t)C * sizeof(float));
    free(scale);
    free(shift);
    x = T(g, nd->in[0]);
    int64_t spatial = 1;
    for (int d = nhwc ? 1 : 2; d < (nhwc ? x->rank - 1 : x->rank); d++)
        spatial *= x->shape[d];
    const int64_t outer = nhwc ? x->shape[0] * spatial : x->shape[0];
    const int64_t inner = nhwc ? 1 : spatial;
    const kiln_channel_affine_f32_params ap = {.outer = (int32_t)outer, .channels = (int32_t)C,
                                               .inner = (int32_t)inner};
    lir_call *c = LIR_CALL(p, node, "kiln_batchnorm_f32", kiln_channel_affine_f32_params, &ap);
    lir_in(c, nd->in[0]);
    lir_in(c, ts);
    lir_in(c, th);
    lir_out(c, nd->out[0]);
    clamp_after(g, node, p);
    return 1;
}

/* ---- REDUCE_MEAN ------------------------------------------------------------ */

static int lower_reduce_mean(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    /* Collapse runs of dims with the same reduced/kept status; drop 1s. */
    int32_t sh[IR_MAX_DIMS];
    bool red[IR_MAX_DIMS];
    int r = 0;
    int64_t count = 1, kept = 1;
    for (int d = 0; d < x->rank; d++) {
        const bool rd = (nd->attr.axes_mask >> d) & 1u;
        if (rd)
            count *= x->shape[d];
        else
            kept *= x->shape[d];
        if (x->shape[d] == 1)
            continue;
        if (r > 0 && red[r - 1] == rd) {
            sh[r - 1] *= (int32_t)x->shape[d];
            continue;
        }
        sh[r] = (int32_t)x->shape[d];
        red[r] = rd;
        r++;
    }
    if (kept != ir_numel(y))
        return lower_fail(err, errlen, g, node, "output has %lld elements, the kept axes give %lld",
                          (long long)ir_numel(y), (long long)kept);
    if (r == 0) {
        sh[0] = 1;
        red[0] = false;
        r = 1;
    }
    int32_t ys[IR_MAX_DIMS] = {0};
    int64_t s = 1;
    for (int d = r - 1; d >= 0; d--) {
        ys[d] = red[d] ? 0 : (int32_t)s;
        if (!red[d])
            s *= sh[d];
    }
    for (int d = r; d < IR_MAX_DIMS; d++)
        sh[d] = 1;
    kiln_reduce_f32_params rp = {.rank = r, .out_size = (int32_t)kept, .count = (int32_t)count};
    memcpy(rp.in_shape, sh, sizeof rp.in_shape);
    memcpy(rp.y_stride, ys, sizeof rp.y_stride);
    lir_call *c = LIR_CALL(p, node, "kiln_reduce_mean_f32", kiln_reduce_f32_params, &rp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    clamp_after(g, node, p);
    return 1;
}

/* ---- RESIZE (linear, cubic; nearest went to lower_data) ------------------ */

static int lower_resize(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    const int rank = y->rank;
    if (x->rank != rank)
        return lower_fail(err, errlen, g, node, "input rank %d differs from output rank %d", x->rank,
                          rank);
    resize_axis ax[IR_MAX_DIMS];
    memset(ax, 0, sizeof ax);
    int rc = 1, first = -1, last = -1;
    for (int d = 0; d < rank; d++) {
        char msg[200];
        if (!resize_axis_build(&nd->attr.resize, d, x->shape[d], y->shape[d], &ax[d], msg, sizeof msg)) {
            rc = lower_fail(err, errlen, g, node, "%s", msg);
            goto out;
        }
        if (!ax[d].identity) {
            if (first < 0)
                first = d;
            last = d;
        }
    }
    if (first < 0) {   /* nothing resampled: a copy */
        lir_alias(p, nd->out[0], nd->in[0]);
        goto out;
    }
    {
        int64_t outer = 1, inner = 1, total = 0;
        for (int d = 0; d < first; d++)
            outer *= y->shape[d];
        for (int d = last + 1; d < rank; d++)
            inner *= y->shape[d];
        kiln_resize_f32_params rp;
        memset(&rp, 0, sizeof rp);
        rp.outer = (int32_t)outer;
        rp.inner = (int32_t)inner;
        rp.naxes = last - first + 1;
        for (int d = first; d <= last; d++) {
            const int a = d - first;
            rp.in_dim[a] = (int32_t)x->shape[d];
            rp.out_dim[a] = (int32_t)y->shape[d];
            rp.taps[a] = ax[d].identity ? 1 : ax[d].taps;
            rp.off[a] = (int32_t)total;
            total += y->shape[d] * rp.taps[a];
        }
        rp.extrapolation_value = nd->attr.resize.extrapolation_value;
        if (!lower_fits_i32(total) || !lower_fits_i32(ir_numel(x)) || !lower_fits_i32(ir_numel(y))) {
            rc = lower_fail(err, errlen, g, node, "tensor too large for the resize kernel");
            goto out;
        }
        int32_t *idx = xmalloc((size_t)total * sizeof(int32_t));
        float *wt = xmalloc((size_t)total * sizeof(float));
        for (int d = first; d <= last; d++) {
            const int a = d - first;
            for (int64_t o = 0; o < y->shape[d]; o++) {
                if (ax[d].identity) {
                    idx[rp.off[a] + o] = (int32_t)o;
                    wt[rp.off[a] + o] = 1.0f;
                } else {
                    for (int t = 0; t < ax[d].taps; t++) {
                        idx[rp.off[a] + o * ax[d].taps + t] = ax[d].idx[o * ax[d].taps + t];
                        wt[rp.off[a] + o * ax[d].taps + t] = ax[d].wt[o * ax[d].taps + t];
                    }
                }
            }
        }
        const int64_t tshape[1] = {total};
        const char *base = T(g, nd->out[0])->name;
        const int ti = lower_add_const(g, node, base, "resize_idx", IR_DT_S32, 1, tshape, idx,
                                       (size_t)total * sizeof(int32_t));
        const int tw = lower_add_const(g, node, base, "resize_wt", IR_DT_F32, 1, tshape, wt,
                                       (size_t)total * sizeof(float));
        free(idx);
        free(wt);
        lir_call *c = LIR_CALL(p, node, "kiln_resize_f32", kiln_resize_f32_params, &rp);
        lir_in(c, nd->in[0]);
        lir_in(c, ti);
        lir_in(c, tw);
        lir_out(c, nd->out[0]);
        clamp_after(g, node, p);
    }
out:
    for (int d = 0; d < IR_MAX_DIMS; d++)
        resize_axis_free(&ax[d]);
    return rc;
}

/* ---- LSTM, GRU ---------------------------------------------------------------- */

static int lower_rnn(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const bool lstm = nd->op == IR_OP_LSTM;
    const ir_rnn_attr *ra = &nd->attr.rnn;
    const int G = lstm ? 4 : 3;
    int in[8];
    for (int k = 0; k < 8; k++)
        in[k] = k < nd->n_in ? nd->in[k] : -1;
    const int max_in = lstm ? 8 : 6;
    for (int k = max_in; k < 8; k++)
        if (in[k] >= 0)
            return lower_fail(err, errlen, g, node, "unexpected input %d", k);
    const ir_tensor *x = T(g, in[0]);
    if (in[1] < 0 || in[2] < 0 || x->rank != 3)
        return lower_fail(err, errlen, g, node, "needs X [3-D], W and R");
    const int dirs = ra->direction == IR_RNN_BIDIRECTIONAL ? 2 : 1;
    const int64_t seq = ra->layout ? x->shape[1] : x->shape[0];
    const int64_t batch = ra->layout ? x->shape[0] : x->shape[1];
    const int64_t I = x->shape[2];
    const ir_tensor *w = T(g, in[1]), *r = T(g, in[2]);
    const int64_t H = ra->hidden_size > 0 ? ra->hidden_size : (w->rank == 3 ? w->shape[1] / G : 0);
    if (w->rank != 3 || w->shape[0] != dirs || w->shape[1] != G * H || w->shape[2] != I)
        return lower_fail(err, errlen, g, node, "W must be [%d, %lld, %lld]", dirs,
                          (long long)(G * H), (long long)I);
    if (r->rank != 3 || r->shape[0] != dirs || r->shape[1] != G * H || r->shape[2] != H)
        return lower_fail(err, errlen, g, node, "R must be [%d, %lld, %lld]", dirs,
                          (long long)(G * H), (long long)H);
    if (!is_f32(g, in[1]) || !is_f32(g, in[2]))
        return lower_fail(err, errlen, g, node, "W and R must be float32");
    if (in[3] >= 0 && (!is_f32(g, in[3]) || ir_numel(T(g, in[3])) != dirs * 2 * G * H))
        return lower_fail(err, errlen, g, node, "B must be float32 [%d, %lld]", dirs,
                          (long long)(2 * G * H));
    const int64_t state_n = dirs * batch * H;
    if (in[5] >= 0 && (!is_f32(g, in[5]) || ir_numel(T(g, in[5])) != state_n))
        return lower_fail(err, errlen, g, node, "initial_h must be float32 with %lld elements",
                          (long long)state_n);
    if (lstm && in[6] >= 0 && (!is_f32(g, in[6]) || ir_numel(T(g, in[6])) != state_n))
        return lower_fail(err, errlen, g, node, "initial_c must be float32 with %lld elements",
                          (long long)state_n);
    if (lstm && in[7] >= 0 && (!is_f32(g, in[7]) || ir_numel(T(g, in[7])) != dirs * 3 * H))
        return lower_fail(err, errlen, g, node, "P must be float32 [%d, %lld]", dirs,
                          (long long)(3 * H));
    /* sequence_lens: int32 as the kernel reads it; a constant int64 one is
     * converted here. */
    int sl = in[4];
    if (sl >= 0) {
        const ir_tensor *st = T(g, sl);
        if (ir_numel(st) != batch)
            return lower_fail(err, errlen, g, node, "sequence_lens must have %lld elements",
                              (long long)batch);
        if (st->dtype == IR_DT_S64 && ir_is_const(st)) {
            int32_t *v = xmalloc((size_t)batch * sizeof(int32_t));
            const int64_t *s64 = st->data;
            for (int64_t i = 0; i < batch; i++) {
                if (s64[i] < 0 || s64[i] > seq) {
                    free(v);
                    return lower_fail(err, errlen, g, node, "sequence_lens[%lld] = %lld outside [0, %lld]",
                                      (long long)i, (long long)s64[i], (long long)seq);
                }
                v[i] = (int32_t)s64[i];
            }
            const int64_t shp[1] = {batch};
            sl = lower_add_const(g, node, T(g, sl)->name, "i32", IR_DT_S32, 1, shp, v,
                                 (size_t)batch * sizeof(int32_t));
            free(v);
        } else if (st->dtype != IR_DT_S32) {
            return lower_fail(err, errlen, g, node, "sequence_lens must be int32 (or a constant int64)");
        }
    }
    int out[3] = {-1, -1, -1};
    for (int k = 0; k < nd->n_out && k < 3; k++)
        out[k] = nd->out[k];
    const int64_t y_n = seq * dirs * batch * H;
    if (out[0] >= 0 && (!is_f32(g, out[0]) || ir_numel(T(g, out[0])) != y_n))
        return lower_fail(err, errlen, g, node, "Y must be float32 with %lld elements", (long long)y_n);
    for (int k = 1; k < 3; k++)
        if (out[k] >= 0 && (!is_f32(g, out[k]) || ir_numel(T(g, out[k])) != state_n))
            return lower_fail(err, errlen, g, node, "output %d must be float32 with %lld elements", k,
                              (long long)state_n);

    kiln_rnn_f32_params rp;
    memset(&rp, 0, sizeof rp);
    rp.seq_len = (int32_t)seq;
    rp.batch = (int32_t)batch;
    rp.input_size = (int32_t)I;
    rp.hidden = (int32_t)H;
    rp.num_dirs = dirs;
    rp.reverse = ra->direction == IR_RNN_REVERSE;
    rp.layout = ra->layout ? 1 : 0;
    rp.clip = ra->clip;
    rp.input_forget = ra->input_forget ? 1 : 0;
    rp.linear_before_reset = ra->linear_before_reset ? 1 : 0;
    const size_t scratch = lstm ? kiln_lstm_f32_scratch_size(&rp) : kiln_gru_f32_scratch_size(&rp);
    lir_call *c = LIR_CALL(p, node, lstm ? "kiln_lstm_f32" : "kiln_gru_f32", kiln_rnn_f32_params, &rp);
    lir_in(c, in[0]);
    lir_in(c, in[1]);
    lir_in(c, in[2]);
    lir_in(c, in[3]);
    lir_in(c, sl);
    lir_in(c, in[5]);
    if (lstm) {
        lir_in(c, in[6]);
        lir_in(c, in[7]);
    }
    lir_out(c, out[0]);
    lir_out(c, out[1]);
    if (lstm)
        lir_out(c, out[2]);
    c->scratch_bytes = scratch;
    return 1;
}

/* ---- dispatch ---------------------------------------------------------------- */

int lower_f32(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (nd->n_in < 1 || nd->n_out < 1 || !is_f32(g, nd->in[0]))
        return 0;
    /* Y may be absent only for LSTM/GRU, whose outputs are all optional. */
    if (nd->op != IR_OP_LSTM && nd->op != IR_OP_GRU && !is_f32(g, nd->out[0]))
        return 0;
    for (int k = 0; k < nd->n_out; k++)
        if (nd->out[k] >= 0 && !lower_fits_i32(ir_numel(T(g, nd->out[k]))))
            return lower_fail(err, errlen, g, node, "output of more than 2^31 elements");
    switch (nd->op) {
    case IR_OP_CONV: return lower_conv(g, node, p, err, errlen);
    case IR_OP_CONV_TRANSPOSE: return lower_conv_transpose(g, node, p, err, errlen);
    case IR_OP_FULLY_CONNECTED: return lower_fc(g, node, p, err, errlen);
    case IR_OP_MATMUL: return lower_matmul(g, node, p, err, errlen);
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL:
    case IR_OP_DIV: case IR_OP_MIN: case IR_OP_MAX:
        return lower_binary(g, node, p, err, errlen);
    case IR_OP_CLIP: case IR_OP_LEAKY_RELU: case IR_OP_SIGMOID:
    case IR_OP_TANH: case IR_OP_HARD_SIGMOID: case IR_OP_HARD_SWISH: case IR_OP_SQRT:
        return lower_unary(g, node, p, err, errlen);
    case IR_OP_SOFTMAX: return lower_softmax(g, node, p, err, errlen);
    case IR_OP_MAXPOOL: case IR_OP_AVGPOOL: return lower_pool(g, node, p, err, errlen);
    case IR_OP_BATCHNORM: return lower_batchnorm(g, node, p, err, errlen);
    case IR_OP_REDUCE_MEAN: return lower_reduce_mean(g, node, p, err, errlen);
    case IR_OP_RESIZE: return lower_resize(g, node, p, err, errlen);
    case IR_OP_LSTM: case IR_OP_GRU: return lower_rnn(g, node, p, err, errlen);
    case IR_OP_SVDF: return lower_svdf_f32(g, node, p, err, errlen);
    default: return 0;
    }
}
