/*
 * packed_cases.c - see packed_cases.h.  A case draws its shapes and
 * quantization from a xorshift generator seeded by (seed, index), runs the
 * plain kernel and the packed one on the same input, and compares every
 * output byte.  The packed kernel's scratch is filled with noise first, so
 * nothing may depend on its previous contents.
 */
#include "packed_cases.h"

#include <string.h>

#include "kiln/kernels_s8.h"
#include "passes/pack_s8.h"
#include "runtime/kernels/chan_s8.h"
#include "runtime/kernels/fixedpoint_s8.h"

/* ---- random numbers -------------------------------------------------------- */

static uint32_t rng;

static void rng_seed(uint32_t seed, uint32_t index)
{
    rng = seed * 2654435761u ^ (index + 1) * 2246822519u;
    if (!rng)
        rng = 1;
}

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int32_t rin(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static void fill_s8(int8_t *p, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        p[i] = (int8_t)rnd();
}

/* ---- buffers (static: the firmware has no heap) ------------------------------ */

#define MAX_X 16384
#define MAX_W 16384
#define MAX_Y 8192
#define MAX_C 64
#define MAX_SCRATCH 16384

static int8_t xbuf[MAX_X], wbuf[MAX_W], yref[MAX_Y], yout[MAX_Y];
static uint32_t stream[(MAX_W * 2 + (MAX_C + 4) * 32) / 4]; /* aligned like the blob's */
static int32_t bias[MAX_C], mult[MAX_C], shift[MAX_C];
static int64_t wsum[MAX_C], wabs[MAX_C];
static uint32_t scratch[MAX_SCRATCH / 4];

static void *noisy_scratch(void)
{
    for (uint32_t i = 0; i < MAX_SCRATCH / 4; i++)
        scratch[i] = rnd();
    return scratch;
}

/* ---- quantization of a random layer ---------------------------------------- */

/* Multipliers and shifts for n channels whose accumulators are about
 * 2^acc_bits: mostly outputs in range, sometimes extremes: zero
 * multipliers, right shifts near 31, and (forcing the exact mode) a left
 * shift or none. */
static void rand_requant(int32_t n, int32_t acc_bits, kiln_requant *rq)
{
    const int32_t scenario = rin(0, 5);
    const int32_t base = acc_bits - 7;
    for (int32_t c = 0; c < n; c++) {
        mult[c] = (int32_t)((1u << 30) + (rnd() >> 2));
        int32_t e = base + rin(-3, 3);
        shift[c] = -(e < 1 ? 1 : e > 31 ? 31 : e);
        if (scenario == 0 && rin(0, 3) == 0)
            shift[c] = rin(0, 2);                  /* exact mode */
        if (scenario == 1 && rin(0, 2) == 0)
            mult[c] = 0, shift[c] = 0;             /* constant channel */
        if (scenario == 2 && rin(0, 2) == 0)
            shift[c] = -rin(20, 31);               /* near the range limit */
    }
    rq->mode = KILN_RQ_TFLITE;
    rq->out_offset = scenario == 2 ? rin(-2, 1) : rin(-128, 127);
    rq->out_xor = 0;
    const int32_t act = rin(0, 2);
    rq->act_min = act == 0 ? -128 : act == 1 ? rq->out_offset : rin(-128, 0);
    rq->act_max = act == 0 ? 127 : act == 1 ? 127 : rin(rq->act_min, 127);
}

static int32_t bits_of(int32_t v)
{
    int32_t b = 0;
    while (v > 0)
        v >>= 1, b++;
    return b;
}

/* The output stage for pack_s8.c; *mode receives the mode the compiler
 * would pick. */
static pack_rq layer_rq(int32_t n, int32_t in_offset, const kiln_requant *rq, const int32_t *b,
                        int32_t *mode)
{
    pack_rq q;
    q.n = n, q.bias = b, q.wsum = wsum, q.wabs = wabs, q.in_offset = in_offset;
    q.mult = mult, q.shift = shift;
    q.out_offset = rq->out_offset, q.act_min = rq->act_min, q.act_max = rq->act_max;
    *mode = pack_rq_mode(&q);
    return q;
}

static void compare(const int8_t *got, const int8_t *want, int32_t n, uint32_t seed,
                    uint32_t index, int32_t mode, pc_result *r)
{
    r->cases++;
    r->values += (uint32_t)n;
    r->modes[mode]++;
    for (int32_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            if (!r->failures++) {
                r->fail_seed = seed, r->fail_index = index, r->fail_at = (uint32_t)i;
                r->fail_got = got[i], r->fail_want = want[i];
            }
            return;
        }
}

/* ---- the short requantization ----------------------------------------------- */

/* Accumulators next to both roundings' ties of (m, shift). */
static int32_t tie_acc(int32_t m, int32_t s)
{
    const int32_t e = -s;
    /* SRDHM(acc, m) = a* = (2j+1) * 2^(e-1) (second tie), acc ~ a* 2^31 / m. */
    int64_t a = (int64_t)(2 * rin(-300, 300) + 1) * ((int64_t)1 << (e - 1 > 20 ? 20 : e - 1));
    int64_t acc = m ? a * ((int64_t)1 << 31) / m : a;
    acc += rin(-2, 2);
    return acc > KILN_I32_MAX ? KILN_I32_MAX : acc < KILN_I32_MIN ? KILN_I32_MIN : (int32_t)acc;
}

static int32_t any_acc(void)
{
    switch (rin(0, 5)) {
    case 0: return (int32_t)rnd();
    case 1: return rin(-3, 3);
    case 2: return rin(0, 1) ? KILN_I32_MAX - rin(0, 3) : KILN_I32_MIN + rin(0, 3);
    case 3: return (int32_t)(rnd() >> rin(1, 31)) * (rin(0, 1) ? 1 : -1);
    default: return rin(-100000, 100000);
    }
}

void pc_requant(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        int32_t m = rin(0, 20) ? (int32_t)((1u << 30) + (rnd() >> 2)) : 0;
        int32_t s = m ? -rin(1, 31) : 0;
        if (rin(0, 3) == 0)
            m = rin(0, 1) ? (1 << 30) : KILN_I32_MAX; /* multiplier edges */
        const int32_t zp = rin(0, 3) ? rin(-128, 127) : rin(-2, 1);
        if (!pack_short_ok(m, s, zp)) {
            i--; /* draw again with the next index: only short-able channels here */
            seed++;
            continue;
        }
        kiln_requant rq = {KILN_RQ_TFLITE, zp, -128, 127, 0};
        const int32_t relu = rin(0, 1);
        if (relu)
            rq.act_min = zp;
        wsum[0] = 0, wabs[0] = 1 << 25, mult[0] = m, shift[0] = s; /* any int32 accumulator */
        int32_t mode, b, cw[4];
        const pack_rq q = layer_rq(1, 0, &rq, NULL, &mode);
        pack_chan(&q, mode, 0, &b, cw);
        kiln_chan_s8 chan_;
        memcpy(&chan_, cw, sizeof chan_);
        const kiln_chan_s8 *c = &chan_;
        int8_t got[64], want[64];
        for (int j = 0; j < 64; j++) {
            const int32_t acc = j < 32 ? tie_acc(m, s ? s : -1) : any_acc();
            const int32_t v = kiln_clamp32(kiln_mbqm(acc, m, s), -65536, 65536) + zp;
            want[j] = (int8_t)kiln_clamp32(v, rq.act_min, rq.act_max);
            got[j] = (int8_t)kiln_clamp32(kiln_chan_value(acc, c, mode, 0), rq.act_min, rq.act_max);
            /* Without the relu clamp the short form is the exact value itself. */
            if (mode == KILN_RQ_SHORT && v > -60000 && v < 60000 && kiln_chan_value(acc, c, mode, 0) != v)
                got[j] = (int8_t)(want[j] + 1);
        }
        compare(got, want, 64, seed, i, mode, r);
    }
}

/* ---- convolution ----------------------------------------------------------- */

typedef struct conv_case {
    kiln_conv_s8_params p;
    int32_t k;      /* reduction length */
} conv_case;

static int draw_axis(int32_t in, int32_t k, int32_t s, int32_t d, int32_t *pad, int32_t *out)
{
    const int32_t eff = d * (k - 1) + 1;
    const int32_t pb = rin(0, eff - 1);
    *pad = rin(0, eff - 1);
    const int32_t span = in + *pad + pb - eff;
    if (span < 0)
        return 0;
    *out = span / s + 1;
    return 1;
}

static void draw_conv(conv_case *c)
{
    kiln_conv_s8_params *p = &c->p;
    for (;;) {
        memset(p, 0, sizeof *p);
        p->batch = rin(1, 2);
        p->in_c = rin(0, 7) ? (rin(0, 2) ? rin(1, 20) : 3) : rin(21, 64);
        p->in_h = rin(1, 9), p->in_w = rin(1, 9);
        p->out_c = rin(1, 9);
        p->k_h = rin(1, 4), p->k_w = rin(1, 4);
        p->stride_h = rin(1, 3), p->stride_w = rin(1, 3);
        p->dil_h = rin(0, 3) ? 1 : 2, p->dil_w = rin(0, 3) ? 1 : 2;
        if (!draw_axis(p->in_h, p->k_h, p->stride_h, p->dil_h, &p->pad_t, &p->out_h) ||
            !draw_axis(p->in_w, p->k_w, p->stride_w, p->dil_w, &p->pad_l, &p->out_w))
            continue;
        c->k = p->k_h * p->k_w * p->in_c;
        if (p->batch * p->in_h * p->in_w * p->in_c > MAX_X || p->out_c * c->k > MAX_W / 2 ||
            p->batch * p->out_h * p->out_w * p->out_c > MAX_Y)
            continue;
        break;
    }
    p->groups = 1, p->layout = KILN_LAYOUT_NHWC;
    p->in_offset = -rin(-128, 127);
}

/* One drawn conv case through the plain kernel and the packed one.  full:
 * mostly the clamp [-128, 127], where the DSP cores' assembly takes every
 * channel group (the pointwise pair loop calls it directly). */
static void run_conv(conv_case *cc, int w16, int full, uint32_t seed, uint32_t i, pc_result *r)
{
    kiln_conv_s8_params *p = &cc->p;
    const int32_t nx = p->batch * p->in_h * p->in_w * p->in_c;
    const int32_t ny = p->batch * p->out_h * p->out_w * p->out_c;
    fill_s8(xbuf, nx);
    fill_s8(wbuf, p->out_c * cc->k);
    for (int32_t c = 0; c < p->out_c; c++)
        bias[c] = rin(-(1 << 20), 1 << 20);
    rand_requant(p->out_c, 14 + bits_of(cc->k) / 2, &p->rq);
    if (full && rin(0, 3))
        p->rq.act_min = -128, p->rq.act_max = 127;
    kiln_conv_s8(p, xbuf, wbuf, bias, mult, shift, yref);

    pack_wsum_rows(wbuf, p->out_c, cc->k, wsum, wabs);
    kiln_conv_s8_params pp = *p;
    const pack_rq q = layer_rq(p->out_c, p->in_offset, &p->rq, bias, &pp.rq.mode);
    /* taps widened to kiln_conv_s8_tap_elems() with zero weights, as lower_s8 does */
    const int32_t taps = p->k_h * p->k_w, te = kiln_conv_s8_tap_elems(p);
    static int8_t wt[MAX_W * 2];
    memset(wt, 0, (size_t)(p->out_c * taps * te));
    for (int32_t t = 0; t < p->out_c * taps; t++)
        memcpy(wt + t * te, wbuf + t * p->in_c, (size_t)p->in_c);
    pack_gemm(wt, taps * te, 2, w16, &q, pp.rq.mode, (uint8_t *)stream);
    memset(yout, 0x5A, (size_t)ny);
    if (w16)
        kiln_conv_s8_p16(&pp, xbuf, stream, yout, noisy_scratch());
    else
        kiln_conv_s8_p8(&pp, xbuf, stream, yout, noisy_scratch());
    compare(yout, yref, ny, seed, i, pp.rq.mode, r);
}

void pc_conv(uint32_t seed, uint32_t n, int w16, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        conv_case cc;
        draw_conv(&cc);
        run_conv(&cc, w16, 0, seed, i, r);
    }
}

/* Pointwise layers (1x1, stride 1, no padding), which the random convs
 * above hardly ever draw: mostly whole words of input channels (the pair
 * loop of conv_s8_packed.c), any number of output channels (odd ones leave
 * a group to the C), odd pixel counts (a last single pixel). */
void pc_conv_1x1(uint32_t seed, uint32_t n, int w16, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        conv_case cc;
        kiln_conv_s8_params *p = &cc.p;
        memset(p, 0, sizeof *p);
        p->batch = rin(0, 4) ? 1 : 2;
        p->in_c = rin(0, 4) ? 4 * rin(1, 16) : rin(1, 20);
        p->in_h = p->out_h = rin(1, 6), p->in_w = p->out_w = rin(1, 6);
        p->out_c = rin(0, 2) ? 2 * rin(1, 12) : rin(1, 24);
        p->k_h = p->k_w = p->stride_h = p->stride_w = p->dil_h = p->dil_w = 1;
        p->groups = 1, p->layout = KILN_LAYOUT_NHWC;
        p->in_offset = -rin(-128, 127);
        cc.k = p->in_c;
        run_conv(&cc, w16, 1, seed, i, r);
    }
}

/* ---- 3x3 conv on 3 channels (kiln_conv_s8_rgb_p16) ---------------------------- */

void pc_conv_rgb(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_conv_s8_params p;
        for (;;) {
            memset(&p, 0, sizeof p);
            p.batch = rin(0, 4) ? 1 : 2;
            p.in_c = 3, p.in_h = rin(1, 14), p.in_w = rin(1, 14);
            p.out_c = rin(1, 17);
            p.k_h = p.k_w = 3, p.dil_h = p.dil_w = 1;
            p.stride_h = rin(1, 3), p.stride_w = rin(0, 3) ? p.stride_h : rin(1, 3);
            if (draw_axis(p.in_h, 3, p.stride_h, 1, &p.pad_t, &p.out_h) &&
                draw_axis(p.in_w, 3, p.stride_w, 1, &p.pad_l, &p.out_w) &&
                p.batch * p.out_h * p.out_w * p.out_c <= MAX_Y)
                break;
        }
        p.groups = 1, p.layout = KILN_LAYOUT_NHWC;
        p.in_offset = -rin(-128, 127);
        const int32_t nx = p.batch * p.in_h * p.in_w * 3;
        const int32_t ny = p.batch * p.out_h * p.out_w * p.out_c;
        fill_s8(xbuf, nx);
        fill_s8(wbuf, p.out_c * 27);
        for (int32_t c = 0; c < p.out_c; c++)
            bias[c] = rin(-(1 << 20), 1 << 20);
        rand_requant(p.out_c, 14 + 2, &p.rq);
        kiln_conv_s8(&p, xbuf, wbuf, bias, mult, shift, yref);

        pack_wsum_rows(wbuf, p.out_c, 27, wsum, wabs);
        kiln_conv_s8_params pp = p;
        const pack_rq q = layer_rq(p.out_c, p.in_offset, &p.rq, bias, &pp.rq.mode);
        static int8_t wt[MAX_W];
        pack_rgb3x3_order(wbuf, p.out_c, wt);
        pack_gemm(wt, 28, 2, 1, &q, pp.rq.mode, (uint8_t *)stream);
        memset(yout, 0x5A, (size_t)ny);
        kiln_conv_s8_rgb_p16(&pp, xbuf, stream, yout, noisy_scratch());
        compare(yout, yref, ny, seed, i, pp.rq.mode, r);
    }
}

/* ---- 1x1 conv over 8 channels (kiln_conv_s8_1x1c8) --------------------------- */

/* Random pointwise layers of 8 input channels against the plain kernel.
 * Only layers the compiler would give this kernel count (pack_c8_ok: the
 * SHORT_RELU mode, biases that fold); the others are drawn again, so the
 * biases can sit at the fold's limit (|bias| + 128 * sum|w| near 2^31). */
void pc_conv_c8(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_conv_s8_params p;
        memset(&p, 0, sizeof p);
        p.batch = rin(0, 4) ? 1 : 2;
        p.in_c = 8, p.in_h = rin(1, 9), p.in_w = rin(1, 9);
        p.out_c = rin(0, 2) ? 4 * rin(1, 10) : rin(1, 40);
        p.out_h = p.in_h, p.out_w = p.in_w;
        p.k_h = p.k_w = p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1;
        p.groups = 1, p.layout = KILN_LAYOUT_NHWC;
        p.in_offset = -rin(-128, 127);
        const int32_t nx = p.batch * p.in_h * p.in_w * 8;
        const int32_t ny = p.batch * p.out_h * p.out_w * p.out_c;
        fill_s8(xbuf, nx);
        fill_s8(wbuf, p.out_c * 8);
        const int32_t big = rin(0, 3) == 0;
        for (int32_t c = 0; c < p.out_c; c++)
            bias[c] = big ? (int32_t)rnd() >> rin(0, 2) : rin(-(1 << 20), 1 << 20);
        rand_requant(p.out_c, 14 + 2, &p.rq);
        if (rin(0, 3)) { /* mostly the relu clamp, the mode this kernel serves */
            p.rq.act_min = p.rq.out_offset;
            if (p.rq.act_max < p.rq.act_min)
                p.rq.act_max = 127;
        }
        pack_wsum_rows(wbuf, p.out_c, 8, wsum, wabs);
        kiln_conv_s8_params pp = p;
        const pack_rq q = layer_rq(p.out_c, p.in_offset, &p.rq, bias, &pp.rq.mode);
        if (!pack_c8_ok(&q, pp.rq.mode)) {
            i--; /* not a layer for this kernel: draw again with the next seed */
            seed++;
            continue;
        }
        kiln_conv_s8(&p, xbuf, wbuf, bias, mult, shift, yref);
        pack_c8(wbuf, &q, pp.rq.mode, (uint8_t *)stream);
        memset(yout, 0x5A, (size_t)ny);
        kiln_conv_s8_1x1c8(&pp, xbuf, stream, yout, noisy_scratch());
        compare(yout, yref, ny, seed, i, pp.rq.mode, r);
    }
}

/* ---- fully connected ------------------------------------------------------- */

void pc_fc(uint32_t seed, uint32_t n, int w16, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_fc_s8_params p;
        memset(&p, 0, sizeof p);
        p.batch = rin(0, 2) ? 1 : rin(2, 5);
        p.in_features = rin(0, 3) ? rin(1, 40) : rin(41, 300);
        p.out_features = rin(1, 40);
        p.in_offset = -rin(-128, 127);
        const int32_t g = p.batch == 1 ? 4 : 2;
        if (w16 == PC_FC_HOST && rin(0, 3) == 0) /* the host layout: also long rows, full groups */
            p.in_features = rin(300, 1000), p.out_features = rin(1, 16);
        fill_s8(xbuf, p.batch * p.in_features);
        fill_s8(wbuf, p.out_features * p.in_features);
        for (int32_t c = 0; c < p.out_features; c++)
            bias[c] = rin(-(1 << 20), 1 << 20);
        const int no_bias = rin(0, 5) == 0;
        rand_requant(p.out_features, 14 + bits_of(p.in_features) / 2, &p.rq);
        kiln_fully_connected_s8(&p, xbuf, wbuf, no_bias ? 0 : bias, mult, shift, yref);

        pack_wsum_rows(wbuf, p.out_features, p.in_features, wsum, wabs);
        kiln_fc_s8_params pp = p;
        const pack_rq q = layer_rq(p.out_features, p.in_offset, &p.rq, no_bias ? 0 : bias, &pp.rq.mode);
        const int32_t ny = p.batch * p.out_features;
        memset(yout, 0x5A, (size_t)ny);
        if (w16 == PC_FC_HOST) {
            pack_fc_host(wbuf, p.in_features, &q, pp.rq.mode, (uint8_t *)stream);
            kiln_fully_connected_s8_host(&pp, xbuf, stream, yout, noisy_scratch());
            compare(yout, yref, ny, seed, i, pp.rq.mode, r);
            continue;
        }
        pack_gemm(wbuf, p.in_features, g, w16, &q, pp.rq.mode, (uint8_t *)stream);
        if (w16)
            kiln_fully_connected_s8_p16(&pp, xbuf, stream, yout, noisy_scratch());
        else
            kiln_fully_connected_s8_p8(&pp, xbuf, stream, yout, noisy_scratch());
        compare(yout, yref, ny, seed, i, pp.rq.mode, r);
    }
}

/* ---- the output stage at the short requantization's edges ------------------ */

/* Per channel a multiplier and shift the short form takes (drawn as
 * pc_requant draws them, multiplier edges included) and, as its bias, an
 * accumulator next to a tie of either rounding or anywhere in int32.  The
 * input is all zeros and in_offset 0, so every accumulator is exactly its
 * bias whatever the weights, and the packed kernel's output stage (the
 * assembly epilogues on a DSP core) meets those accumulators. */
static void edge_channels(int32_t n, kiln_requant *rq)
{
    const int32_t zp = rin(0, 3) ? rin(-128, 127) : rin(-2, 1);
    for (int32_t c = 0; c < n; c++) {
        int32_t m, sh;
        do {
            m = rin(0, 3) ? (int32_t)((1u << 30) + (rnd() >> 2)) : rin(0, 1) ? (1 << 30) : KILN_I32_MAX;
            sh = -rin(1, 31);
        } while (!pack_short_ok(m, sh, zp));
        mult[c] = m, shift[c] = sh;
        bias[c] = rin(0, 1) ? tie_acc(m, sh) : any_acc();
    }
    rq->mode = KILN_RQ_TFLITE, rq->out_offset = zp, rq->out_xor = 0;
    const int32_t act = rin(0, 3);
    rq->act_min = act == 0 ? zp : act == 1 ? rin(-128, 0) : -128; /* relu, narrower, full */
    rq->act_max = act == 1 ? rin(rq->act_min, 127) : 127;
}

void pc_edges(uint32_t seed, uint32_t n, int conv, int w16, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_requant rq;
        int32_t k, nc, ny, npix = 1;
        conv_case cc;
        kiln_fc_s8_params fp;
        if (conv) {
            draw_conv(&cc);
            cc.p.in_offset = 0;
            k = cc.k, nc = cc.p.out_c, npix = cc.p.batch * cc.p.out_h * cc.p.out_w;
            memset(xbuf, 0, (size_t)(cc.p.batch * cc.p.in_h * cc.p.in_w * cc.p.in_c));
        } else {
            memset(&fp, 0, sizeof fp);
            fp.batch = 1, fp.in_features = rin(0, 3) ? rin(1, 40) : rin(41, 300);
            fp.out_features = rin(1, 40);
            k = fp.in_features, nc = fp.out_features;
            memset(xbuf, 0, (size_t)k);
        }
        ny = npix * nc;
        fill_s8(wbuf, nc * k);
        edge_channels(nc, &rq);
        pack_wsum_rows(wbuf, nc, k, wsum, wabs);
        int32_t mode;
        const pack_rq q = layer_rq(nc, 0, &rq, bias, &mode);
        memset(yout, 0x5A, (size_t)ny);
        if (conv) {
            kiln_conv_s8_params *p = &cc.p;
            p->rq = rq;
            kiln_conv_s8(p, xbuf, wbuf, bias, mult, shift, yref);
            kiln_conv_s8_params pp = *p;
            pp.rq.mode = mode;
            const int32_t taps = p->k_h * p->k_w, te = kiln_conv_s8_tap_elems(p);
            static int8_t wt[MAX_W * 2];
            memset(wt, 0, (size_t)(nc * taps * te));
            for (int32_t t = 0; t < nc * taps; t++)
                memcpy(wt + t * te, wbuf + t * p->in_c, (size_t)p->in_c);
            pack_gemm(wt, taps * te, 2, w16, &q, mode, (uint8_t *)stream);
            (w16 ? kiln_conv_s8_p16 : kiln_conv_s8_p8)(&pp, xbuf, stream, yout, noisy_scratch());
        } else {
            fp.rq = rq;
            kiln_fully_connected_s8(&fp, xbuf, wbuf, bias, mult, shift, yref);
            kiln_fc_s8_params pp = fp;
            pp.rq.mode = mode;
            if (w16 == PC_FC_HOST) {
                pack_fc_host(wbuf, k, &q, mode, (uint8_t *)stream);
                kiln_fully_connected_s8_host(&pp, xbuf, stream, yout, noisy_scratch());
            } else {
                pack_gemm(wbuf, k, 4, w16, &q, mode, (uint8_t *)stream);
                (w16 ? kiln_fully_connected_s8_p16 : kiln_fully_connected_s8_p8)(&pp, xbuf, stream, yout,
                                                                                 noisy_scratch());
            }
        }
        compare(yout, yref, ny, seed, i, mode, r);
    }
}

/* ---- depthwise 3x3 ------------------------------------------------------- */

/* c4: 0 the plane kernel, 1 the NHWC kernel, 2 its stride-2 form. */
static void dw_case(uint32_t seed, uint32_t n, int c4, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_conv_s8_params p;
        for (;;) {
            memset(&p, 0, sizeof p);
            p.batch = rin(0, 4) ? 1 : 2;
            p.in_c = c4 ? 4 * rin(1, 8) : rin(1, 24), p.in_h = rin(1, 12), p.in_w = rin(1, 12);
            p.k_h = p.k_w = 3, p.dil_h = p.dil_w = 1;
            p.stride_h = p.stride_w = c4 == 2 ? 2 : rin(1, 2);
            const int32_t pb = rin(0, 2), pr = rin(0, 2);
            p.pad_t = rin(0, 2), p.pad_l = rin(0, 2);
            if (p.in_h + p.pad_t + pb < 3 || p.in_w + p.pad_l + pr < 3)
                continue;
            p.out_h = (p.in_h + p.pad_t + pb - 3) / p.stride_h + 1;
            p.out_w = (p.in_w + p.pad_l + pr - 3) / p.stride_w + 1;
            if (p.batch * p.out_h * p.out_w * p.in_c > MAX_Y)
                continue;
            break;
        }
        p.out_c = p.in_c, p.groups = p.in_c, p.layout = KILN_LAYOUT_NHWC;
        p.in_offset = -rin(-128, 127);
        const int32_t nx = p.batch * p.in_h * p.in_w * p.in_c;
        const int32_t ny = p.batch * p.out_h * p.out_w * p.out_c;
        fill_s8(xbuf, nx);
        fill_s8(wbuf, 9 * p.out_c);
        for (int32_t c = 0; c < p.out_c; c++)
            bias[c] = rin(-(1 << 16), 1 << 16);
        rand_requant(p.out_c, 14, &p.rq);
        kiln_depthwise_conv_s8(&p, xbuf, wbuf, bias, mult, shift, yref);

        pack_wsum_cols(wbuf, p.out_c, 9, wsum, wabs);
        kiln_conv_s8_params pp = p;
        const pack_rq q = layer_rq(p.out_c, p.in_offset, &p.rq, bias, &pp.rq.mode);
        if (c4)
            pack_dw3x3c4(wbuf, &q, pp.rq.mode, c4 == 2, (uint8_t *)stream);
        else
            pack_dw3x3(wbuf, kiln_dw3x3_transposed(&pp), &q, pp.rq.mode, (uint8_t *)stream);
        memset(yout, 0x5A, (size_t)ny);
        if ((c4 == 2 ? kiln_depthwise_conv_s8_3x3c4s2_scratch_size(&pp)
             : c4    ? kiln_depthwise_conv_s8_3x3c4_scratch_size(&pp)
                     : kiln_depthwise_conv_s8_3x3_scratch_size(&pp)) > MAX_SCRATCH) {
            i--;
            seed++;
            continue;
        }
        if (c4 == 2)
            kiln_depthwise_conv_s8_3x3c4s2(&pp, xbuf, stream, yout, noisy_scratch());
        else if (c4)
            kiln_depthwise_conv_s8_3x3c4(&pp, xbuf, stream, yout, noisy_scratch());
        else
            kiln_depthwise_conv_s8_3x3(&pp, xbuf, stream, yout, noisy_scratch());
        compare(yout, yref, ny, seed, i, pp.rq.mode, r);
    }
}

void pc_dw3x3(uint32_t seed, uint32_t n, pc_result *r) { dw_case(seed, n, 0, r); }

void pc_dw3x3c4(uint32_t seed, uint32_t n, pc_result *r) { dw_case(seed, n, 1, r); }

void pc_dw3x3c4s2(uint32_t seed, uint32_t n, pc_result *r) { dw_case(seed, n, 2, r); }

/* ---- ADD / SUB with tables ------------------------------------------------ */

void pc_add(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        const int sub = rin(0, 1);
        kiln_binary_s8_params p;
        memset(&p, 0, sizeof p);
        const int32_t count = rin(1, 3000);
        for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
            p.shape[d] = 1, p.a_stride[d] = p.b_stride[d] = 0;
        p.shape[5] = count, p.a_stride[5] = p.b_stride[5] = 1;
        p.a_offset = -rin(-128, 127), p.b_offset = -rin(-128, 127);
        p.left_shift = 20;
        /* TFLite's ADD: inputs scaled by s_i / (2 max(s)) <= 1/2, output by
         * 2 max(s) / (2^20 s_y). */
        p.a_mult = (int32_t)((1u << 30) + (rnd() >> 2)), p.a_shift = -rin(1, 4);
        p.b_mult = (int32_t)((1u << 30) + (rnd() >> 2)), p.b_shift = rin(0, 3) ? -1 : -rin(2, 6);
        p.out_mult = rin(0, 20) ? (int32_t)((1u << 30) + (rnd() >> 2)) : 0;
        p.out_shift = rin(0, 5) ? -rin(14, 22) : 0; /* 0: only the exact mode can */
        kiln_requant rq = {KILN_RQ_TFLITE, rin(-128, 127), -128, 127, 0};
        const int32_t act = rin(0, 2);
        rq.act_min = act == 1 ? rq.out_offset : act == 2 ? rin(-128, 0) : -128;
        rq.act_max = act == 2 ? rin(rq.act_min, 127) : 127;
        p.out_offset = rq.out_offset, p.act_min = rq.act_min, p.act_max = rq.act_max;
        fill_s8(xbuf, count);
        fill_s8(wbuf, count);
        (sub ? kiln_sub_s8 : kiln_add_s8)(&p, xbuf, wbuf, yref);

        static int32_t tables[512];
        pack_add_table(p.a_offset, 20, p.a_mult, p.a_shift, 0, tables);
        pack_add_table(p.b_offset, 20, p.b_mult, p.b_shift, sub, tables + 256);
        const int64_t zero = 0;
        wsum[0] = 0;
        mult[0] = p.out_mult, shift[0] = p.out_shift;
        kiln_add_s8_lut_params lp;
        lp.n = count;
        lp.rq = rq;
        pack_rq q;
        q.n = 1, q.bias = NULL, q.wsum = &zero, q.wabs = NULL, q.in_offset = 0;
        q.mult = mult, q.shift = shift;
        q.out_offset = rq.out_offset, q.act_min = rq.act_min, q.act_max = rq.act_max;
        lp.rq.mode = pack_rq_mode(&q);
        int32_t b, ch[4];
        pack_chan(&q, lp.rq.mode, 0, &b, ch);
        memcpy(&lp.out, ch, sizeof lp.out);
        memset(yout, 0x5A, (size_t)count);
        kiln_add_s8_lut(&lp, xbuf, wbuf, tables, yout);
        compare(yout, yref, count, seed, i, lp.rq.mode, r);
    }
}

/* ---- NHWC average pool, 4 channels per pass ------------------------------ */

/* TFLite's average: the window inside the input, half away from zero. */
static int8_t avg_ref(const kiln_pool_s8_params *p, const int8_t *x, int32_t b, int32_t oy,
                      int32_t ox, int32_t c)
{
    int32_t sum = 0, n = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++)
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t iy = oy * p->stride_h - p->pad_t + ky, ix = ox * p->stride_w - p->pad_l + kx;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w)
                sum += x[((b * p->in_h + iy) * p->in_w + ix) * p->c + c], n++;
        }
    const int32_t v = n ? (sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n) : 0;
    return (int8_t)(v < p->act_min ? p->act_min : v > p->act_max ? p->act_max : v);
}

void pc_avgpool(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_pool_s8_params p;
        memset(&p, 0, sizeof p);
        p.batch = rin(1, 2), p.c = 4 * rin(1, 16), p.in_h = rin(1, 30), p.in_w = rin(1, 12);
        p.k_h = rin(1, p.in_h), p.k_w = rin(1, p.in_w);
        if (p.k_h * p.k_w > 255)
            p.k_h = 255 / p.k_w;
        p.stride_h = rin(1, 3), p.stride_w = rin(1, 3);
        p.pad_t = rin(0, p.k_h - 1), p.pad_l = rin(0, p.k_w - 1);
        p.out_h = (p.in_h + p.pad_t - p.k_h) / p.stride_h + 1;
        p.out_w = (p.in_w + p.pad_l - p.k_w) / p.stride_w + 1;
        if (p.out_h < 1 || p.out_w < 1 || p.batch * p.in_h * p.in_w * p.c > MAX_X ||
            p.batch * p.out_h * p.out_w * p.c > MAX_Y) {
            i--;
            seed++;
            continue;
        }
        p.layout = KILN_LAYOUT_NHWC;
        p.act_min = rin(0, 2) ? -128 : rin(-128, 0);
        p.act_max = rin(0, 2) ? 127 : rin(p.act_min, 127);
        fill_s8(xbuf, p.batch * p.in_h * p.in_w * p.c);
        const int32_t ny = p.batch * p.out_h * p.out_w * p.c;
        for (int32_t b = 0, o = 0; b < p.batch; b++)
            for (int32_t oy = 0; oy < p.out_h; oy++)
                for (int32_t ox = 0; ox < p.out_w; ox++)
                    for (int32_t c = 0; c < p.c; c++)
                        yref[o++] = avg_ref(&p, xbuf, b, oy, ox, c);
        memset(yout, 0x5A, (size_t)ny);
        kiln_avgpool_s8(&p, xbuf, yout);
        compare(yout, yref, ny, seed, i, 0, r);
    }
}

/* ---- transposed convolution: the gather against a scatter ------------------ */

/* TFLite's TRANSPOSE_CONV as its reference kernel computes it: every input
 * scattered into an int32 buffer through every tap, then bias and MBQM. */
static void transpose_ref(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                          const int32_t *b, int8_t *y)
{
    static int32_t acc[MAX_Y];
    const int32_t n = p->batch * p->out_h * p->out_w * p->out_c;
    memset(acc, 0, (size_t)n * sizeof acc[0]);
    for (int32_t bt = 0; bt < p->batch; bt++)
        for (int32_t iy = 0; iy < p->in_h; iy++)
            for (int32_t ix = 0; ix < p->in_w; ix++)
                for (int32_t ky = 0; ky < p->k_h; ky++)
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t oy = iy * p->stride_h - p->pad_t + ky * p->dil_h;
                        const int32_t ox = ix * p->stride_w - p->pad_l + kx * p->dil_w;
                        if (oy < 0 || oy >= p->out_h || ox < 0 || ox >= p->out_w)
                            continue;
                        for (int32_t oc = 0; oc < p->out_c; oc++)
                            for (int32_t ic = 0; ic < p->in_c; ic++)
                                acc[((bt * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] +=
                                    (x[((bt * p->in_h + iy) * p->in_w + ix) * p->in_c + ic] +
                                     p->in_offset) *
                                    w[((oc * p->k_h + ky) * p->k_w + kx) * p->in_c + ic];
                    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t oc = i % p->out_c;
        const int32_t v = kiln_clamp32(kiln_mbqm(acc[i] + b[oc], mult[oc], shift[oc]), -65536, 65536);
        y[i] = (int8_t)kiln_clamp32(v + p->rq.out_offset, p->rq.act_min, p->rq.act_max);
    }
}

void pc_transpose(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_conv_s8_params p;
        memset(&p, 0, sizeof p);
        p.batch = rin(1, 2), p.in_c = rin(1, 6), p.out_c = rin(1, 6);
        p.in_h = rin(1, 6), p.in_w = rin(1, 6), p.k_h = rin(1, 4), p.k_w = rin(1, 4);
        p.stride_h = rin(1, 3), p.stride_w = rin(1, 3);
        p.dil_h = rin(0, 3) ? 1 : 2, p.dil_w = rin(0, 3) ? 1 : 2;
        p.pad_t = rin(0, p.k_h - 1), p.pad_l = rin(0, p.k_w - 1);
        p.out_h = (p.in_h - 1) * p.stride_h + p.dil_h * (p.k_h - 1) + 1 - p.pad_t - rin(0, 1);
        p.out_w = (p.in_w - 1) * p.stride_w + p.dil_w * (p.k_w - 1) + 1 - p.pad_l - rin(0, 1);
        if (p.out_h < 1 || p.out_w < 1 || p.batch * p.out_h * p.out_w * p.out_c > MAX_Y) {
            i--;
            seed++;
            continue;
        }
        p.groups = 1, p.layout = KILN_LAYOUT_NHWC, p.in_offset = -rin(-128, 127);
        fill_s8(xbuf, p.batch * p.in_h * p.in_w * p.in_c);
        fill_s8(wbuf, p.out_c * p.k_h * p.k_w * p.in_c);
        for (int32_t c = 0; c < p.out_c; c++)
            bias[c] = rin(-(1 << 16), 1 << 16);
        rand_requant(p.out_c, 14, &p.rq);
        const int32_t ny = p.batch * p.out_h * p.out_w * p.out_c;
        transpose_ref(&p, xbuf, wbuf, bias, yref);
        memset(yout, 0x5A, (size_t)ny);
        kiln_transpose_conv_s8(&p, xbuf, wbuf, bias, mult, shift, yout);
        compare(yout, yref, ny, seed, i, 0, r);
    }
}

/* ---- depthwise, any window (kiln_depthwise_conv_s8_packed) ------------------ */

/* One axis of a random window: kernel k, dilation d, stride s, pads and
 * input so that at least one output exists. */
static int32_t dw_any_axis(int32_t k, int32_t *in, int32_t *s, int32_t *d, int32_t *pad,
                           int32_t long_axis)
{
    *s = rin(0, 2) ? 1 : rin(2, 3);
    *d = k > 1 && !rin(0, 3) ? rin(2, 3) : 1;
    const int32_t span = (k - 1) * *d + 1;
    *pad = rin(0, 2) ? 0 : rin(0, span - 1);
    const int32_t after = rin(0, 2) ? 0 : rin(0, span - 1);
    *in = rin(1, long_axis ? span + 20 : span + 4);
    if (*in + *pad + after < span)
        *in = span - *pad - after;
    return (*in + *pad + after - span) / *s + 1;
}

void pc_dw_any(uint32_t seed, uint32_t n, pc_result *r)
{
    for (uint32_t i = 0; i < n; i++) {
        rng_seed(seed, i);
        kiln_conv_s8_params p;
        for (;;) {
            memset(&p, 0, sizeof p);
            const int32_t shape = rin(0, 3); /* Kx1, 1xK, KhxKw, small both */
            p.k_h = shape == 1 ? 1 : rin(1, 16), p.k_w = shape == 0 ? 1 : rin(1, 16);
            if (shape == 3)
                p.k_h = rin(1, 4), p.k_w = rin(1, 4);
            p.batch = rin(0, 5) ? 1 : 2;
            p.in_c = rin(0, 1) ? rin(1, 12) : rin(1, 40);
            p.out_h = dw_any_axis(p.k_h, &p.in_h, &p.stride_h, &p.dil_h, &p.pad_t, shape == 0);
            p.out_w = dw_any_axis(p.k_w, &p.in_w, &p.stride_w, &p.dil_w, &p.pad_l, shape == 1);
            const int32_t taps = p.k_h * p.k_w;
            if (p.batch * p.out_h * p.out_w * p.in_c <= MAX_Y &&
                p.batch * p.in_h * p.in_w * p.in_c <= MAX_X && taps * p.in_c <= MAX_W &&
                pack_dw_any_bytes(p.in_c, taps) <= sizeof stream)
                break;
        }
        p.out_c = p.in_c, p.groups = p.in_c, p.layout = KILN_LAYOUT_NHWC;
        p.in_offset = -rin(-128, 127);
        const int32_t taps = p.k_h * p.k_w;
        const int32_t nx = p.batch * p.in_h * p.in_w * p.in_c;
        const int32_t ny = p.batch * p.out_h * p.out_w * p.out_c;
        fill_s8(xbuf, nx);
        fill_s8(wbuf, taps * p.out_c);
        for (int32_t c = 0; c < p.out_c; c++)
            bias[c] = rin(-(1 << 16), 1 << 16);
        rand_requant(p.out_c, 13 + bits_of(taps) / 2, &p.rq);
        if (!rin(0, 3)) /* TFLite's ReLU output, zero point -128: the short ReLU
                         * mode into the full range (the DSP assembly's other form) */
            p.rq.out_offset = -128, p.rq.act_min = -128, p.rq.act_max = 127;
        kiln_depthwise_conv_s8(&p, xbuf, wbuf, bias, mult, shift, yref);

        pack_wsum_cols(wbuf, p.out_c, taps, wsum, wabs);
        kiln_conv_s8_params pp = p;
        const pack_rq q = layer_rq(p.out_c, p.in_offset, &p.rq, bias, &pp.rq.mode);
        pack_dw_any(wbuf, taps, &q, pp.rq.mode, (uint8_t *)stream);
        memset(yout, 0x5A, (size_t)ny);
        kiln_depthwise_conv_s8_packed(&pp, xbuf, stream, yout, noisy_scratch());
        compare(yout, yref, ny, seed, i, pp.rq.mode, r);
    }
}
