/*
 * eval_rnn.c - LSTM and GRU with ONNX semantics, computed plainly.
 *
 * Default activations only (sigmoid for gates, tanh for the cell/candidate).
 * ONNX weight layouts: W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] (the W
 * biases then the R biases); LSTM gates i, o, f, c and peepholes P [D, 3H]
 * in order i, o, f; GRU gates z, r, h.  layout 0 is [seq, batch, ...] with
 * Y [seq, D, batch, H]; layout 1 is [batch, seq, ...] with Y [batch, seq, D, H]
 * and states [batch, D, H].  clip bounds every gate's pre-activation;
 * input_forget couples f = 1 - i; linear_before_reset applies r after the
 * recurrent product.  With sequence_lens, batch b runs its first len[b] steps
 * only (the reverse direction starts at step len[b]-1), Y is 0 past them and
 * Y_h/Y_c hold the state after the last step run.
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result.
 */
#include <math.h>
#include <string.h>

#include "ref/eval_ops.h"

static double sigmoid(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/* Everything the recurrence needs, gathered and checked once. */
typedef struct rnn {
    int gates;              /* 4 LSTM, 3 GRU */
    int64_t S, B, I, H, D;
    int layout;
    double clip;            /* 0: none */
    const double *x, *w, *r, *bias, *init_h, *init_c, *p;
    const double *seq_lens; /* NULL: all S */
    double *y, *yh, *yc;    /* outputs as reals (NULL when absent) */
} rnn;

static int64_t x_at(const rnn *m, int64_t s, int64_t b)
{
    return m->layout ? (b * m->S + s) * m->I : (s * m->B + b) * m->I;
}

static int64_t y_at(const rnn *m, int64_t s, int64_t d, int64_t b)
{
    return m->layout ? ((b * m->S + s) * m->D + d) * m->H : ((s * m->D + d) * m->B + b) * m->H;
}

static int64_t state_at(const rnn *m, int64_t d, int64_t b)
{
    return m->layout ? (b * m->D + d) * m->H : (d * m->B + b) * m->H;
}

static double clipv(const rnn *m, double v)
{
    if (m->clip > 0)
        v = v < -m->clip ? -m->clip : v > m->clip ? m->clip : v;
    return v;
}

static bool shape_is(const ir_tensor *t, int rank, int64_t a, int64_t b, int64_t c)
{
    int64_t want[3] = { a, b, c };
    if (t->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (t->shape[i] != want[i])
            return false;
    return true;
}

static bool setup(ref_ctx *c, int gates, rnn *m)
{
    const ir_rnn_attr *a = &c->nd->attr.rnn;
    const ir_tensor *xt = ref_in(c, 0), *wt = ref_in(c, 1), *rt = ref_in(c, 2);
    memset(m, 0, sizeof *m);
    m->gates = gates;
    if (!xt || !wt || !rt)
        return ref_fail(c, "needs inputs X, W and R");
    if (xt->rank != 3 || wt->rank != 3)
        return ref_fail(c, "X '%s' and W '%s' must have rank 3", xt->name, wt->name);
    m->layout = a->layout;
    m->S = a->layout ? xt->shape[1] : xt->shape[0];
    m->B = a->layout ? xt->shape[0] : xt->shape[1];
    m->I = xt->shape[2];
    m->H = a->hidden_size;
    m->D = a->direction == IR_RNN_BIDIRECTIONAL ? 2 : 1;
    m->clip = a->clip;
    if (m->H < 1)
        return ref_fail(c, "hidden_size is %d", a->hidden_size);
    int64_t GH = gates * m->H;
    if (!shape_is(wt, 3, m->D, GH, m->I))
        return ref_fail(c, "W '%s' must be [%lld, %lld, %lld]", wt->name, (long long)m->D, (long long)GH,
                        (long long)m->I);
    if (!shape_is(rt, 3, m->D, GH, m->H))
        return ref_fail(c, "R '%s' must be [%lld, %lld, %lld]", rt->name, (long long)m->D, (long long)GH,
                        (long long)m->H);
    m->x = ref_real(c, 0);
    m->w = ref_real(c, 1);
    m->r = ref_real(c, 2);
    const ir_tensor *t;
    if ((t = ref_in(c, 3))) {
        if (!shape_is(t, 2, m->D, 2 * GH, 0))
            return ref_fail(c, "B '%s' must be [%lld, %lld]", t->name, (long long)m->D, (long long)(2 * GH));
        m->bias = ref_real(c, 3);
    }
    if ((t = ref_in(c, 4))) {
        if (ir_numel(t) != m->B || !ref_dtype_is_int(t->dtype))
            return ref_fail(c, "sequence_lens '%s' must hold %lld integers", t->name, (long long)m->B);
        m->seq_lens = ref_stored(c, 4);
        for (int64_t b = 0; b < m->B; b++)
            if (m->seq_lens[b] < 0 || m->seq_lens[b] > m->S)
                return ref_fail(c, "sequence_lens[%lld] = %g is outside [0, %lld]", (long long)b,
                                m->seq_lens[b], (long long)m->S);
    }
    int64_t s0 = a->layout ? m->B : m->D, s1 = a->layout ? m->D : m->B;
    if ((t = ref_in(c, 5))) {
        if (!shape_is(t, 3, s0, s1, m->H))
            return ref_fail(c, "initial_h '%s' must be [%lld, %lld, %lld]", t->name, (long long)s0,
                            (long long)s1, (long long)m->H);
        m->init_h = ref_real(c, 5);
    }
    if (gates == 4 && (t = ref_in(c, 6))) {
        if (!shape_is(t, 3, s0, s1, m->H))
            return ref_fail(c, "initial_c '%s' must be [%lld, %lld, %lld]", t->name, (long long)s0,
                            (long long)s1, (long long)m->H);
        m->init_c = ref_real(c, 6);
    }
    if (gates == 4 && (t = ref_in(c, 7))) {
        if (!shape_is(t, 2, m->D, 3 * m->H, 0))
            return ref_fail(c, "P '%s' must be [%lld, %lld]", t->name, (long long)m->D, (long long)(3 * m->H));
        m->p = ref_real(c, 7);
    }
    if (gates == 3 && c->nd->n_in > 6)
        return ref_fail(c, "GRU takes at most 6 inputs, got %d", c->nd->n_in);
    /* Outputs: Y, Y_h, (Y_c). */
    int64_t ys[4] = { a->layout ? m->B : m->S, a->layout ? m->S : m->D, a->layout ? m->D : m->B, m->H };
    if ((t = ref_out(c, 0))) {
        bool ok = t->rank == 4;
        for (int i = 0; ok && i < 4; i++)
            ok = t->shape[i] == ys[i];
        if (!ok)
            return ref_fail(c, "Y '%s' must be [%lld, %lld, %lld, %lld]", t->name, (long long)ys[0],
                            (long long)ys[1], (long long)ys[2], (long long)ys[3]);
        m->y = ref_tmp(c, ir_numel(t));
    }
    for (int k = 1; k < (gates == 4 ? 3 : 2); k++)
        if ((t = ref_out(c, k))) {
            if (!shape_is(t, 3, s0, s1, m->H))
                return ref_fail(c, "output %d '%s' must be [%lld, %lld, %lld]", k, t->name, (long long)s0,
                                (long long)s1, (long long)m->H);
            *(k == 1 ? &m->yh : &m->yc) = ref_tmp(c, ir_numel(t));
        }
    if (c->nd->n_out > (gates == 4 ? 3 : 2))
        return ref_fail(c, "too many outputs (%d)", c->nd->n_out);
    return true;
}

/* Pre-activation of gate g, unit j: x.W[g] + h.R[g] + Wb[g] + Rb[g], where
 * `h` may be NULL (GRU's linear_before_reset splits the sum). */
static double gate_x(const rnn *m, int64_t d, int g, int64_t j, const double *xv)
{
    const double *w = m->w + (d * m->gates * m->H + g * m->H + j) * m->I;
    double acc = m->bias ? m->bias[d * 2 * m->gates * m->H + g * m->H + j] : 0;
    for (int64_t k = 0; k < m->I; k++)
        acc += xv[k] * w[k];
    return acc;
}

static double gate_h(const rnn *m, int64_t d, int g, int64_t j, const double *hv)
{
    const double *r = m->r + (d * m->gates * m->H + g * m->H + j) * m->H;
    double acc = m->bias ? m->bias[d * 2 * m->gates * m->H + (m->gates + g) * m->H + j] : 0;
    for (int64_t k = 0; k < m->H; k++)
        acc += hv[k] * r[k];
    return acc;
}

static void store_outputs(ref_ctx *c, const rnn *m)
{
    if (m->y)
        ref_store(c, 0, m->y);
    if (m->yh)
        ref_store(c, 1, m->yh);
    if (m->yc)
        ref_store(c, 2, m->yc);
}

static bool reverse_dir(const ref_ctx *c, int64_t d)
{
    ir_rnn_dir dir = c->nd->attr.rnn.direction;
    return dir == IR_RNN_REVERSE || (dir == IR_RNN_BIDIRECTIONAL && d == 1);
}

bool ref_lstm(ref_ctx *c)
{
    rnn m;
    if (!setup(c, 4, &m))
        return false;
    bool input_forget = c->nd->attr.rnn.input_forget;
    int64_t H = m.H;
    double *h = ref_tmp(c, H), *cs = ref_tmp(c, H), *hn = ref_tmp(c, H), *cn = ref_tmp(c, H);
    enum { GI = 0, GO = 1, GF = 2, GC = 3 };
    for (int64_t d = 0; d < m.D; d++)
        for (int64_t b = 0; b < m.B; b++) {
            int64_t len = m.seq_lens ? (int64_t)m.seq_lens[b] : m.S;
            for (int64_t j = 0; j < H; j++) {
                h[j] = m.init_h ? m.init_h[state_at(&m, d, b) + j] : 0;
                cs[j] = m.init_c ? m.init_c[state_at(&m, d, b) + j] : 0;
            }
            const double *pi = m.p ? m.p + d * 3 * H : NULL, *po = pi ? pi + H : NULL, *pf = pi ? pi + 2 * H : NULL;
            for (int64_t t = 0; t < len; t++) {
                int64_t s = reverse_dir(c, d) ? len - 1 - t : t;
                const double *xv = m.x + x_at(&m, s, b);
                for (int64_t j = 0; j < H; j++) {
                    double zi = gate_x(&m, d, GI, j, xv) + gate_h(&m, d, GI, j, h) + (pi ? pi[j] * cs[j] : 0);
                    double zf = gate_x(&m, d, GF, j, xv) + gate_h(&m, d, GF, j, h) + (pf ? pf[j] * cs[j] : 0);
                    double zc = gate_x(&m, d, GC, j, xv) + gate_h(&m, d, GC, j, h);
                    double ig = sigmoid(clipv(&m, zi));
                    double fg = input_forget ? 1 - ig : sigmoid(clipv(&m, zf));
                    cn[j] = fg * cs[j] + ig * tanh(clipv(&m, zc));
                    double zo = gate_x(&m, d, GO, j, xv) + gate_h(&m, d, GO, j, h) + (po ? po[j] * cn[j] : 0);
                    hn[j] = sigmoid(clipv(&m, zo)) * tanh(cn[j]);
                }
                memcpy(h, hn, (size_t)H * sizeof *h);
                memcpy(cs, cn, (size_t)H * sizeof *cs);
                if (m.y)
                    memcpy(m.y + y_at(&m, s, d, b), h, (size_t)H * sizeof *h);
            }
            if (m.yh)
                memcpy(m.yh + state_at(&m, d, b), h, (size_t)H * sizeof *h);
            if (m.yc)
                memcpy(m.yc + state_at(&m, d, b), cs, (size_t)H * sizeof *cs);
        }
    store_outputs(c, &m);
    return true;
}

bool ref_gru(ref_ctx *c)
{
    rnn m;
    if (!setup(c, 3, &m))
        return false;
    bool lbr = c->nd->attr.rnn.linear_before_reset;
    int64_t H = m.H;
    double *h = ref_tmp(c, H), *hn = ref_tmp(c, H), *rh = ref_tmp(c, H), *r = ref_tmp(c, H);
    enum { GZ = 0, GR = 1, GH = 2 };
    for (int64_t d = 0; d < m.D; d++)
        for (int64_t b = 0; b < m.B; b++) {
            int64_t len = m.seq_lens ? (int64_t)m.seq_lens[b] : m.S;
            for (int64_t j = 0; j < H; j++)
                h[j] = m.init_h ? m.init_h[state_at(&m, d, b) + j] : 0;
            for (int64_t t = 0; t < len; t++) {
                int64_t s = reverse_dir(c, d) ? len - 1 - t : t;
                const double *xv = m.x + x_at(&m, s, b);
                for (int64_t j = 0; j < H; j++) {
                    r[j] = sigmoid(clipv(&m, gate_x(&m, d, GR, j, xv) + gate_h(&m, d, GR, j, h)));
                    rh[j] = r[j] * h[j];
                }
                for (int64_t j = 0; j < H; j++) {
                    double z = sigmoid(clipv(&m, gate_x(&m, d, GZ, j, xv) + gate_h(&m, d, GZ, j, h)));
                    double zh = lbr ? gate_x(&m, d, GH, j, xv) + r[j] * gate_h(&m, d, GH, j, h)
                                    : gate_x(&m, d, GH, j, xv) + gate_h(&m, d, GH, j, rh);
                    hn[j] = (1 - z) * tanh(clipv(&m, zh)) + z * h[j];
                }
                memcpy(h, hn, (size_t)H * sizeof *h);
                if (m.y)
                    memcpy(m.y + y_at(&m, s, d, b), h, (size_t)H * sizeof *h);
            }
            if (m.yh)
                memcpy(m.yh + state_at(&m, d, b), h, (size_t)H * sizeof *h);
        }
    store_outputs(c, &m);
    return true;
}
