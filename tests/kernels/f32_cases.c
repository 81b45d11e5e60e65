/*
 * f32_cases.c - the random packed-vs-plain float32 cases (f32_cases.h).
 *
 * Each case draws a geometry, fills the input, weights, bias and residual
 * with values in [-1, 1), runs the plain kernel twice (on the values, and on
 * their magnitudes for the rounding bound), applies the epilogue to the
 * plain result in plain C here, packs the weights with pack_f32.c, runs the
 * packed kernel and compares every output.  Guard words after the output
 * and the scratch catch writes past their ends; the packed kernel's inputs
 * (X, residual, packed weights and bias) sit at the very end of their
 * buffers, so a read past one of them leaves the array (which ASan reports
 * in the sanitizer build).
 */
#include "f32_cases.h"

#include <math.h>
#include <string.h>

#include "kiln/kernels_f32.h"
#include "passes/pack_f32.h"

#define MAXT 16384      /* floats of an input, output or residual */
#define MAXW 16384      /* weights as the IR holds them */
#define MAXWP (4 * MAXW)
#define MAXS 65536      /* scratch floats */
#define MAXK 2048       /* reduction length */
#define GUARD 16
#define SENTINEL 12345.25f

static float X[MAXT], XA[MAXT], RES[MAXT], YREF[MAXT], YABS[MAXT], YFAST[MAXT + GUARD];
static float WIR[MAXW], WPL[MAXW], WAB[MAXW], WPK[MAXWP];
static float B[512], BA[512], BPK[1024];
static float SCR[MAXS + GUARD];

static uint32_t rng;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int32_t pick(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static float unit(void)
{
    return (float)(int32_t)(rnd() >> 8) / 8388608.0f - 1.0f;
}

static void fill(float *v, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        v[i] = unit();
}

/* One case in 16 carries a NaN in its input: the outputs it reaches must be
 * NaN after the epilogue too (the clamps keep it, as the plain kernels do). */
static void maybe_nan(float *v, int32_t n)
{
    if (rnd() % 16 == 0)
        v[rnd() % (uint32_t)n] = NAN;
}

static void absolute(const float *v, float *a, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        a[i] = fabsf(v[i]);
}

/* A random epilogue: no clamp, ReLU, ReLU6 or a clamp inside the values'
 * range; sometimes LeakyReLU. */
static void draw_epilogue(kiln_f32_epilogue *e)
{
    e->act_lo = -HUGE_VALF;
    e->act_hi = HUGE_VALF;
    switch (rnd() % 5) {
    case 1: e->act_lo = 0.0f; break;
    case 2: e->act_lo = 0.0f; e->act_hi = 6.0f; break;
    case 3:
        e->act_lo = -0.5f * fabsf(unit());
        e->act_hi = 0.5f * fabsf(unit()) + 0.01f;
        break;
    default: break;
    }
    e->leaky = rnd() % 4 == 0;
    e->alpha = e->leaky ? fabsf(unit()) : 0.0f;
    e->maxc = rnd() % 6 == 0;
    e->maxc_value = e->maxc ? 0.5f * unit() : 0.0f;
}

static float epilogue(float v, const kiln_f32_epilogue *e)
{
    if (e->leaky && v < 0.0f)
        v *= e->alpha;
    if (e->maxc)
        v = v > e->maxc_value ? v : e->maxc_value;
    if (v < e->act_lo)
        v = e->act_lo;
    if (v > e->act_hi)
        v = e->act_hi;
    return v;
}

/* Compares n outputs; terms: products and additions each output sums. */
static void compare(fc32_result *r, uint32_t seed, uint32_t index, int32_t n, int32_t terms,
                    const kiln_f32_epilogue *e, int residual)
{
    r->cases++;
    r->values += (uint32_t)n;
    int bad = 0;
    uint32_t at = 0;
    float got = 0.0f, want = 0.0f, bound = 0.0f;
    for (int32_t i = 0; i < n && !bad; i++) {
        const float ref = epilogue(residual ? YREF[i] + RES[i] : YREF[i], e);
        const float mag = YABS[i] + (residual ? fabsf(RES[i]) : 0.0f);
        const float lim = 4.0f * (float)(terms + 4) * 5.9604645e-8f * mag + 1e-30f;
        /* Equal passes (a NaN that a fused MAX replaced leaves no bound). */
        const int nan_ok = ref != ref && YFAST[i] != YFAST[i];
        if (!nan_ok && YFAST[i] != ref && !(fabsf(YFAST[i] - ref) <= lim)) {
            bad = 1;
            at = (uint32_t)i;
            got = YFAST[i];
            want = ref;
            bound = lim;
        }
    }
    for (int32_t i = n; i < n + GUARD && !bad; i++)
        if (YFAST[i] != SENTINEL) {
            bad = 1;
            at = (uint32_t)i;
            got = YFAST[i];
            want = SENTINEL;
        }
    if (bad && r->failures++ == 0) {
        r->fail_seed = seed;
        r->fail_index = index;
        r->fail_at = at;
        r->fail_got = got;
        r->fail_want = want;
        r->fail_bound = bound;
    }
}

static void arm_guards(int32_t n, size_t scratch_floats)
{
    for (int32_t i = 0; i < n + GUARD; i++)
        YFAST[i] = SENTINEL;
    for (size_t i = scratch_floats; i < scratch_floats + GUARD; i++)
        SCR[i] = SENTINEL;
}

static int scratch_intact(size_t scratch_floats)
{
    for (size_t i = scratch_floats; i < scratch_floats + GUARD; i++)
        if (SCR[i] != SENTINEL)
            return 0;
    return 1;
}

/* Copies n floats to the end of buf (cap floats) and returns where. */
static const float *at_end(float *buf, size_t cap, const float *src, size_t n)
{
    float *dst = buf + cap - n;
    memmove(dst, src, n * sizeof(float));
    return dst;
}

static float XT[MAXT], RT[MAXT], WT[MAXWP], BT[1024];

/* NHWC panels: 4, 8 or 16 output channels. */
static int32_t random_panel(void)
{
    return 4 << (rnd() % 3);
}

/* ---- convolution geometry ------------------------------------------------ */

/* Draws one spatial axis j of c; 0 when it gives no output. */
static int draw_axis(kiln_conv_f32_params *c, int j, int nsp, int one_by_one)
{
    const int32_t in = pick(1, nsp == 3 ? 5 : 12);
    const int32_t k = one_by_one ? 1 : pick(1, in + 2 < 5 ? in + 2 : 5);
    const int32_t dil = one_by_one || rnd() % 3 ? 1 : pick(2, 3);
    const int32_t stride = rnd() % 2 ? 1 : pick(2, 3);
    const int32_t pad = one_by_one ? 0 : pick(0, k - 1 + (rnd() % 8 == 0));
    const int32_t pad_end = one_by_one ? 0 : pick(0, k - 1);
    const int32_t span = (k - 1) * dil + 1;
    if (in + pad + pad_end < span)
        return 0;
    c->in[j] = in;
    c->k[j] = k;
    c->dil[j] = dil;
    c->stride[j] = stride;
    c->pad[j] = pad;
    c->out[j] = (in + pad + pad_end - span) / stride + 1;
    return 1;
}

static int32_t prod3(const int32_t v[3])
{
    return v[0] * v[1] * v[2];
}

/* A random convolution (depthwise: groups == in_c == out_c) that fits the
 * buffers. */
static void draw_conv(kiln_conv_f32_params *c, int depthwise)
{
    for (;;) {
        memset(c, 0, sizeof *c);
        c->layout = rnd() % 2 ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW;
        c->batch = rnd() % 4 == 0 ? 2 : 1;
        if (depthwise) {
            /* A third with whole groups of 8 channels (the Cortex-M7 pairs). */
            c->in_c = c->out_c = c->groups = rnd() % 3 ? pick(1, 40) : 8 * pick(1, 5);
        } else {
            c->groups = rnd() % 5 == 0 ? pick(2, 3) : 1;
            /* A third with 8 to 16 channels a group (NCHW: the padded copy). */
            c->in_c = c->groups * (rnd() % 3 ? pick(1, 12) : pick(8, 16));
            c->out_c = c->groups * pick(1, 24);
        }
        const uint32_t r = rnd() % 10;
        const int nsp = r < 7 ? 2 : r < 9 ? 1 : 3;
        const int one_by_one = !depthwise && rnd() % 4 == 0;
        int ok = 1;
        for (int j = 0; j < 3; j++) {
            if (j < 3 - nsp) {
                c->in[j] = c->out[j] = c->k[j] = c->stride[j] = c->dil[j] = 1;
                continue;
            }
            ok &= draw_axis(c, j, nsp, one_by_one);
        }
        if (!ok)
            continue;
        const int32_t kvol = prod3(c->k), cg = c->in_c / c->groups;
        if (c->batch * c->in_c * prod3(c->in) > MAXT || c->batch * c->out_c * prod3(c->out) > MAXT ||
            c->out_c * cg * kvol > MAXW || cg * kvol > MAXK || c->out_c > 256)
            continue;
        c->act_lo = -HUGE_VALF;
        c->act_hi = HUGE_VALF;
        return;
    }
}

/* The plain kernels' weight layouts from the IR's [M][cg][kvol]: conv
 * [M][kvol][cg], depthwise [kvol][M]. */
static void plain_layout(const kiln_conv_f32_params *c, int depthwise, const float *w, float *out)
{
    const int32_t kvol = prod3(c->k), cg = c->in_c / c->groups, M = c->out_c;
    for (int32_t m = 0; m < M; m++)
        for (int32_t ci = 0; ci < cg; ci++)
            for (int32_t t = 0; t < kvol; t++) {
                const float v = w[((size_t)m * cg + ci) * kvol + t];
                if (depthwise)
                    out[(size_t)t * M + m] = v;
                else
                    out[((size_t)m * kvol + t) * cg + ci] = v;
            }
}

static void run_plain(const kiln_conv_f32_params *c, int depthwise, const float *x, const float *w,
                      const float *b, float *y)
{
    if (depthwise)
        kiln_depthwise_conv_f32(c, x, w, b, y);
    else
        kiln_conv_f32(c, x, w, b, y);
}

static void conv_case(uint32_t seed, uint32_t index, int depthwise, fc32_result *r)
{
    kiln_conv_f32_params c;
    draw_conv(&c, depthwise);
    const int32_t kvol = prod3(c.k), cg = c.in_c / c.groups;
    const int32_t nx = c.batch * c.in_c * prod3(c.in), ny = c.batch * c.out_c * prod3(c.out);
    const int32_t nw = c.out_c * cg * kvol;
    const int has_bias = rnd() % 5 != 0, residual = rnd() % 4 == 0;
    fill(X, nx);
    maybe_nan(X, nx);
    fill(WIR, nw);
    fill(B, c.out_c);
    fill(RES, ny);
    absolute(X, XA, nx);
    absolute(B, BA, c.out_c);
    plain_layout(&c, depthwise, WIR, WPL);
    absolute(WPL, WAB, nw);
    run_plain(&c, depthwise, X, WPL, has_bias ? B : NULL, YREF);
    run_plain(&c, depthwise, XA, WAB, has_bias ? BA : NULL, YABS);

    kiln_f32_epilogue e;
    draw_epilogue(&e);
    c.act_lo = e.act_lo;
    c.act_hi = e.act_hi;
    kiln_conv_f32_packed_params p;
    pack_f32_conv_plan(&c, depthwise, &p);
    p.epi = e;
    if (c.layout == KILN_LAYOUT_NHWC)
        p.panel = random_panel();    /* every width the NHWC kernels take */
    if (pack_f32_conv_floats(&p, depthwise) > MAXWP || pack_f32_bias_floats(&p, depthwise) > 1024) {
        r->failures++;      /* the buffers are sized for every case draw_conv makes */
        return;
    }
    pack_f32_conv(WIR, &p, depthwise, WPK);
    pack_f32_bias(has_bias ? B : NULL, &p, depthwise, BPK);
    const size_t sfl = depthwise ? 0 : kiln_conv_f32_packed_scratch_size(&p) / sizeof(float);
    if (sfl > MAXS) {
        r->failures++;
        return;
    }
    arm_guards(ny, sfl);
    const float *x = at_end(XT, MAXT, X, (size_t)nx), *res = at_end(RT, MAXT, RES, (size_t)ny);
    const float *w = at_end(WT, MAXWP, WPK, pack_f32_conv_floats(&p, depthwise));
    const float *b = at_end(BT, 1024, BPK, pack_f32_bias_floats(&p, depthwise));
    if (depthwise)
        kiln_depthwise_conv_f32_packed(&p, x, w, b, residual ? res : NULL, YFAST);
    else
        kiln_conv_f32_packed(&p, x, w, b, residual ? res : NULL, YFAST, sfl ? SCR : NULL);
    r->direct += !depthwise && p.method == KILN_CONV_F32_DIRECT;
    r->padded += !depthwise && p.method == KILN_CONV_F32_PADDED;
    r->nhwc += c.layout == KILN_LAYOUT_NHWC;
    r->nchw += c.layout == KILN_LAYOUT_NCHW;
    compare(r, seed, index, ny, (depthwise ? kvol : cg * kvol) + 2, &e, residual);
    if (!scratch_intact(sfl) && r->failures++ == 0) {
        r->fail_seed = seed;
        r->fail_index = index;
        r->fail_at = (uint32_t)sfl;
    }
}

void fc32_conv(uint32_t seed, uint32_t n, fc32_result *r)
{
    rng = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < n; i++)
        conv_case(seed, i, 0, r);
}

void fc32_depthwise(uint32_t seed, uint32_t n, fc32_result *r)
{
    rng = seed * 2654435761u + 7u;
    for (uint32_t i = 0; i < n; i++)
        conv_case(seed, i, 1, r);
}

/* ---- fully connected ---------------------------------------------------- */

static void fc_case(uint32_t seed, uint32_t index, fc32_result *r)
{
    kiln_fc_f32_params fp;
    fp.batch = rnd() % 3 ? 1 : pick(2, 9);
    fp.in_features = pick(1, 130);
    fp.out_features = pick(1, 100);
    fp.act_lo = -HUGE_VALF;
    fp.act_hi = HUGE_VALF;
    const int32_t nx = fp.batch * fp.in_features, ny = fp.batch * fp.out_features;
    const int32_t nw = fp.in_features * fp.out_features;
    const int has_bias = rnd() % 5 != 0, residual = rnd() % 4 == 0;
    fill(X, nx);
    maybe_nan(X, nx);
    fill(WIR, nw);
    fill(B, fp.out_features);
    fill(RES, ny);
    absolute(X, XA, nx);
    absolute(WIR, WAB, nw);
    absolute(B, BA, fp.out_features);
    kiln_fully_connected_f32(&fp, X, WIR, has_bias ? B : NULL, YREF);
    kiln_fully_connected_f32(&fp, XA, WAB, has_bias ? BA : NULL, YABS);

    kiln_fc_f32_packed_params p;
    memset(&p, 0, sizeof p);
    p.batch = fp.batch;
    p.in_features = fp.in_features;
    p.out_features = fp.out_features;
    draw_epilogue(&p.epi);
    p.panel = rnd() % 2 ? pack_f32_panel(fp.out_features, KILN_LAYOUT_NHWC) : random_panel();
    pack_f32_fc(WIR, fp.out_features, fp.in_features, p.panel, WPK);
    pack_f32_fc_bias(has_bias ? B : NULL, fp.out_features, p.panel, BPK);
    arm_guards(ny, 0);
    const float *x = at_end(XT, MAXT, X, (size_t)nx), *res = at_end(RT, MAXT, RES, (size_t)ny);
    const int32_t nb = (fp.out_features + p.panel - 1) / p.panel * p.panel;
    const float *w = at_end(WT, MAXWP, WPK, pack_f32_fc_floats(fp.out_features, fp.in_features, p.panel));
    const float *b = at_end(BT, 1024, BPK, (size_t)nb);
    kiln_fully_connected_f32_packed(&p, x, w, b, residual ? res : NULL, YFAST);
    r->nhwc++;
    compare(r, seed, index, ny, fp.in_features + 2, &p.epi, residual);
}

void fc32_fc(uint32_t seed, uint32_t n, fc32_result *r)
{
    rng = seed * 2654435761u + 13u;
    for (uint32_t i = 0; i < n; i++)
        fc_case(seed, i, r);
}

/* ---- max pooling --------------------------------------------------------- */

static void pool_case(uint32_t seed, uint32_t index, fc32_result *r)
{
    kiln_pool_f32_params p;
    for (;;) {
        memset(&p, 0, sizeof p);
        p.layout = rnd() % 2 ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW;
        p.batch = rnd() % 4 == 0 ? 2 : 1;
        p.channels = pick(1, 20);
        const uint32_t u = rnd() % 10;
        const int nsp = u < 7 ? 2 : u < 9 ? 1 : 3, ok_ceil = rnd() % 2;
        int ok = 1;
        for (int j = 0; j < 3; j++) {
            p.in[j] = p.out[j] = p.k[j] = p.stride[j] = p.dil[j] = 1;
            if (j < 3 - nsp)
                continue;
            p.in[j] = pick(1, nsp == 3 ? 6 : 14);
            p.k[j] = pick(1, 4);
            p.stride[j] = pick(1, 3);
            p.dil[j] = rnd() % 4 ? 1 : 2;
            p.pad[j] = pick(0, p.k[j] - 1);
            p.pad_end[j] = pick(0, p.k[j] - 1);
            const int32_t span = (p.k[j] - 1) * p.dil[j] + 1, room = p.in[j] + p.pad[j] + p.pad_end[j] - span;
            if (room < 0) {
                ok = 0;
                break;
            }
            /* floor, or ceil mode (a last window may start past the pads) */
            p.out[j] = (room + (ok_ceil ? p.stride[j] - 1 : 0)) / p.stride[j] + 1;
        }
        if (!ok || p.batch * p.channels * prod3(p.in) > MAXT || p.batch * p.channels * prod3(p.out) > MAXT)
            continue;
        break;
    }
    kiln_f32_epilogue e;
    draw_epilogue(&e);
    p.act_lo = e.act_lo;
    p.act_hi = e.act_hi;
    const int32_t nx = p.batch * p.channels * prod3(p.in), ny = p.batch * p.channels * prod3(p.out);
    fill(X, nx);
    maybe_nan(X, nx);
    kiln_maxpool_f32(&p, X, YREF, NULL);
    arm_guards(ny, 0);
    kiln_maxpool_f32_fast(&p, at_end(XT, MAXT, X, (size_t)nx), YFAST);
    r->cases++;
    r->values += (uint32_t)ny;
    r->nhwc += p.layout == KILN_LAYOUT_NHWC;
    r->nchw += p.layout == KILN_LAYOUT_NCHW;
    for (int32_t i = 0; i < ny + GUARD; i++) {
        const float want = i < ny ? YREF[i] : SENTINEL;
        if (memcmp(&YFAST[i], &want, sizeof want) != 0) {
            if (r->failures++ == 0) {
                r->fail_seed = seed;
                r->fail_index = index;
                r->fail_at = (uint32_t)i;
                r->fail_got = YFAST[i];
                r->fail_want = want;
            }
            break;
        }
    }
}

void fc32_maxpool(uint32_t seed, uint32_t n, fc32_result *r)
{
    rng = seed * 2654435761u + 17u;
    for (uint32_t i = 0; i < n; i++)
        pool_case(seed, i, r);
}
