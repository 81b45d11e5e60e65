/*
 * pack_f32.c - the packed float32 layouts (see pack_f32.h and the comment
 * above kiln_conv_f32_packed_params in include/kiln/kernels_f32.h).
 */
#include "passes/pack_f32.h"

#include <string.h>

static int32_t ceil_div(int32_t a, int32_t b)
{
    return (a + b - 1) / b;
}

int32_t pack_f32_panel(int32_t n, int32_t layout)
{
    /* 8: an AVX2 or two NEON vectors of columns on a host, and on the
     * Cortex-M7 one VLDM per k step with the pointer written back (the
     * runtime also reads 16-wide NHWC panels, which AVX-512 would fill). */
    (void)layout;
    return n > 4 ? 8 : 4;
}

/* A 1x1 kernel without padding whose every output reads inside the input
 * needs no im2col; NCHW also needs stride 1 (the planes are read as rows). */
static int direct_ok(const kiln_conv_f32_params *c)
{
    for (int i = 0; i < 3; i++) {
        if (c->k[i] != 1 || c->pad[i] != 0 || (c->out[i] - 1) * c->stride[i] >= c->in[i])
            return 0;
        if (c->layout == KILN_LAYOUT_NCHW && (c->stride[i] != 1 || c->out[i] != c->in[i]))
            return 0;
    }
    return 1;
}

/* Bytes of the padded copy of one group's input (method PADDED), as the
 * kernel sizes it. */
static size_t padded_bytes(const kiln_conv_f32_params *c)
{
    kiln_conv_f32_packed_params p;
    memset(&p, 0, sizeof p);
    p.conv = *c;
    p.method = KILN_CONV_F32_PADDED;
    return kiln_conv_f32_packed_scratch_size(&p);
}

void pack_f32_conv_plan(const kiln_conv_f32_params *c, int depthwise, kiln_conv_f32_packed_params *p)
{
    memset(p, 0, sizeof *p);
    p->conv = *c;
    p->epi.act_lo = c->act_lo;
    p->epi.act_hi = c->act_hi;
    p->epi.leaky = 0;
    p->epi.alpha = 0.0f;
    p->epi.maxc = 0;
    p->epi.maxc_value = 0.0f;
    const int32_t kvol = c->k[0] * c->k[1] * c->k[2];
    if (depthwise) {
        p->panel = c->layout == KILN_LAYOUT_NHWC ? pack_f32_panel(c->out_c, KILN_LAYOUT_NHWC) : 1;
        p->kdim = kvol;
        p->method = KILN_CONV_F32_DIRECT;
        return;
    }
    const int32_t mg = c->out_c / c->groups;
    p->panel = pack_f32_panel(mg, c->layout);
    p->kdim = c->in_c / c->groups * kvol;
    if (direct_ok(c)) {
        p->method = KILN_CONV_F32_DIRECT;
        return;
    }
    /* The padded copy costs about the input in scratch, so it is kept for
     * convolutions with enough channels that im2col rows would dominate. */
    if (c->layout == KILN_LAYOUT_NCHW && c->stride[2] == 1 && kvol <= KILN_CONV_F32_PADDED_MAX_TAPS &&
        c->in_c / c->groups >= 8 && padded_bytes(c) <= PACK_F32_PADDED_BUDGET) {
        p->method = KILN_CONV_F32_PADDED;
        p->block = 0;
        return;
    }
    p->method = KILN_CONV_F32_IM2COL;
    /* As many pixels as the budget holds: NHWC 8 to 64 rows (a multiple of
     * 8, the widest row tile), NCHW a multiple of 32 columns (the widest
     * column tile), never more than the output has. */
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2];
    const size_t row = (size_t)p->kdim * sizeof(float);
    int32_t block;
    if (c->layout == KILN_LAYOUT_NHWC) {
        block = (int32_t)(PACK_F32_SCRATCH_NHWC / row);
        block = block > 64 ? 64 : block < 8 ? 8 : block / 8 * 8;
    } else {
        block = (int32_t)(PACK_F32_SCRATCH_NCHW / row);
        block = block < 32 ? 32 : block / 32 * 32;
    }
    p->block = block < out_pix ? block : out_pix;
}

size_t pack_f32_conv_floats(const kiln_conv_f32_packed_params *p, int depthwise)
{
    const kiln_conv_f32_params *c = &p->conv;
    if (depthwise)
        return (size_t)ceil_div(c->out_c, p->panel) * p->panel * p->kdim;
    return (size_t)c->groups * ceil_div(c->out_c / c->groups, p->panel) * p->panel * p->kdim;
}

size_t pack_f32_bias_floats(const kiln_conv_f32_packed_params *p, int depthwise)
{
    const kiln_conv_f32_params *c = &p->conv;
    if (depthwise)
        return (size_t)ceil_div(c->out_c, p->panel) * p->panel;
    return (size_t)c->groups * ceil_div(c->out_c / c->groups, p->panel) * p->panel;
}

/* W[m][k] in the reduction order the method reads, from the IR's
 * [M][cg][kvol]: taps first, except NCHW im2col (channels first). */
static float conv_weight(const float *w, const kiln_conv_f32_packed_params *p, int32_t m, int32_t k)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int taps_first = c->layout == KILN_LAYOUT_NHWC || p->method != KILN_CONV_F32_IM2COL;
    const int32_t kvol = c->k[0] * c->k[1] * c->k[2], cg = c->in_c / c->groups;
    int32_t ci, t;
    if (taps_first) {
        t = k / cg;
        ci = k % cg;
    } else {
        ci = k / kvol;
        t = k % kvol;
    }
    return w[((size_t)m * cg + ci) * kvol + t];
}

void pack_f32_conv(const float *w, const kiln_conv_f32_packed_params *p, int depthwise, float *out)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t P = p->panel, K = p->kdim;
    memset(out, 0, pack_f32_conv_floats(p, depthwise) * sizeof(float));
    if (depthwise) {
        /* [M][kvol] -> [group][tap][panel] (NCHW: panel 1, i.e. as is). */
        for (int32_t m = 0; m < c->out_c; m++)
            for (int32_t t = 0; t < K; t++)
                out[((size_t)(m / P) * K + t) * P + m % P] = w[(size_t)m * K + t];
        return;
    }
    const int32_t mg = c->out_c / c->groups, npanel = ceil_div(mg, P);
    for (int32_t g = 0; g < c->groups; g++)
        for (int32_t mm = 0; mm < mg; mm++) {
            const int32_t q = mm / P, lane = mm % P;
            float *dst = out + (size_t)(g * npanel + q) * K * P + lane;
            for (int32_t k = 0; k < K; k++)
                dst[(size_t)k * P] = conv_weight(w, p, g * mg + mm, k);
        }
}

void pack_f32_bias(const float *b, const kiln_conv_f32_packed_params *p, int depthwise, float *out)
{
    const kiln_conv_f32_params *c = &p->conv;
    memset(out, 0, pack_f32_bias_floats(p, depthwise) * sizeof(float));
    if (!b)
        return;
    if (depthwise) {
        memcpy(out, b, (size_t)c->out_c * sizeof(float));
        return;
    }
    const int32_t mg = c->out_c / c->groups, npanel = ceil_div(mg, p->panel);
    for (int32_t g = 0; g < c->groups; g++)
        memcpy(out + (size_t)g * npanel * p->panel, b + (size_t)g * mg, (size_t)mg * sizeof(float));
}

size_t pack_f32_fc_floats(int32_t out_features, int32_t in_features, int32_t panel)
{
    return (size_t)ceil_div(out_features, panel) * panel * in_features;
}

void pack_f32_fc(const float *w, int32_t out_features, int32_t in_features, int32_t panel, float *out)
{
    memset(out, 0, pack_f32_fc_floats(out_features, in_features, panel) * sizeof(float));
    for (int32_t n = 0; n < out_features; n++) {
        float *dst = out + (size_t)(n / panel) * in_features * panel + n % panel;
        for (int32_t k = 0; k < in_features; k++)
            dst[(size_t)k * panel] = w[(size_t)n * in_features + k];
    }
}

void pack_f32_fc_bias(const float *b, int32_t out_features, int32_t panel, float *out)
{
    memset(out, 0, (size_t)ceil_div(out_features, panel) * panel * sizeof(float));
    if (b)
        memcpy(out, b, (size_t)out_features * sizeof(float));
}
