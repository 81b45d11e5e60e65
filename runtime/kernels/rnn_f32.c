/*
 * rnn_f32.c - ONNX LSTM and GRU in float32 (default activations: sigmoid for
 * gates, tanh for cell/candidate and output).
 *
 * Directions run one after the other, each over the whole sequence, with
 * the hidden (and cell) state of every batch item in scratch, so the
 * optional outputs may all be absent.  Per step and batch item the gate
 * pre-activations W*x + R*h + biases are one pass of dot products over the
 * ONNX-ordered weight rows.  sequence_lens: steps at t >= len are skipped
 * (Y there is 0, the state keeps its last value); a reverse pass starts at
 * len-1.  Layout 1 swaps the seq and batch dims of X, Y, and the batch and
 * direction dims of the states.  Never allocates.
 */
#include <math.h>

#include "kiln/kernels_f32.h"

static float sigmoidf(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static float clipf(float v, float c)
{
    if (c > 0.0f) {
        if (v < -c)
            return -c;
        if (v > c)
            return c;
    }
    return v;
}

/* Element offsets of the (t, b) input row, the (t, d, b) output row and the
 * (d, b) state row, for either layout. */
static int32_t x_row(const kiln_rnn_f32_params *p, int32_t t, int32_t b)
{
    return (p->layout ? b * p->seq_len + t : t * p->batch + b) * p->input_size;
}

static int32_t y_row(const kiln_rnn_f32_params *p, int32_t t, int32_t d, int32_t b)
{
    if (p->layout)
        return ((b * p->seq_len + t) * p->num_dirs + d) * p->hidden;
    return ((t * p->num_dirs + d) * p->batch + b) * p->hidden;
}

static int32_t state_row(const kiln_rnn_f32_params *p, int32_t d, int32_t b)
{
    return (p->layout ? b * p->num_dirs + d : d * p->batch + b) * p->hidden;
}

/* g[r] = bias[r] + W[r].x + R[r].h for rows r in [0, rows). */
static void gate_preact(const float *w, const float *r, const float *bw, const float *br,
                        const float *x, const float *h, int32_t rows, int32_t I, int32_t H,
                        float *g)
{
    for (int32_t k = 0; k < rows; k++) {
        const float *wk = w + k * I, *rk = r + k * H;
        float acc = (bw ? bw[k] : 0.0f) + (br ? br[k] : 0.0f);
        for (int32_t i = 0; i < I; i++)
            acc += wk[i] * x[i];
        for (int32_t j = 0; j < H; j++)
            acc += rk[j] * h[j];
        g[k] = acc;
    }
}

/* Zeroes every Y row of direction d (rows the steps skip stay 0). */
static void zero_y(const kiln_rnn_f32_params *p, int32_t d, float *y)
{
    for (int32_t t = 0; t < p->seq_len; t++)
        for (int32_t b = 0; b < p->batch; b++) {
            float *yr = y + y_row(p, t, d, b);
            for (int32_t j = 0; j < p->hidden; j++)
                yr[j] = 0.0f;
        }
}

size_t kiln_lstm_f32_scratch_size(const kiln_rnn_f32_params *p)
{
    return sizeof(float) * (size_t)(2 * p->batch * p->hidden + 4 * p->hidden);
}

void kiln_lstm_f32(const kiln_rnn_f32_params *p, const float *x, const float *w, const float *r,
                   const float *b, const int32_t *seq_lens, const float *init_h,
                   const float *init_c, const float *peep, float *y, float *y_h, float *y_c,
                   void *scratch)
{
    const int32_t H = p->hidden, I = p->input_size, G = 4 * H;
    float *hs = (float *)scratch;            /* [batch][H] */
    float *cs = hs + p->batch * H;           /* [batch][H] */
    float *g = cs + p->batch * H;            /* [4H]: i, o, f, c */
    for (int32_t d = 0; d < p->num_dirs; d++) {
        const int reverse = p->num_dirs == 2 ? d == 1 : p->reverse != 0;
        const float *wd = w + d * G * I, *rd = r + d * G * H;
        const float *bw = b ? b + d * 2 * G : 0, *br = b ? b + d * 2 * G + G : 0;
        const float *pi = peep ? peep + d * 3 * H : 0;
        const float *po = pi ? pi + H : 0, *pf = pi ? pi + 2 * H : 0;
        for (int32_t bb = 0; bb < p->batch; bb++)
            for (int32_t j = 0; j < H; j++) {
                hs[bb * H + j] = init_h ? init_h[state_row(p, d, bb) + j] : 0.0f;
                cs[bb * H + j] = init_c ? init_c[state_row(p, d, bb) + j] : 0.0f;
            }
        if (y)
            zero_y(p, d, y);
        for (int32_t s = 0; s < p->seq_len; s++) {
            for (int32_t bb = 0; bb < p->batch; bb++) {
                const int32_t len = seq_lens ? seq_lens[bb] : p->seq_len;
                if (s >= len)
                    continue;
                const int32_t t = reverse ? len - 1 - s : s;
                float *h = hs + bb * H, *c = cs + bb * H;
                gate_preact(wd, rd, bw, br, x + x_row(p, t, bb), h, G, I, H, g);
                for (int32_t j = 0; j < H; j++) {
                    const float c_old = c[j];
                    const float gi = sigmoidf(clipf(g[j] + (pi ? pi[j] * c_old : 0.0f), p->clip));
                    const float gf = p->input_forget
                                         ? 1.0f - gi
                                         : sigmoidf(clipf(g[2 * H + j] + (pf ? pf[j] * c_old : 0.0f), p->clip));
                    const float gc = tanhf(clipf(g[3 * H + j], p->clip));
                    const float c_new = gf * c_old + gi * gc;
                    const float go = sigmoidf(clipf(g[H + j] + (po ? po[j] * c_new : 0.0f), p->clip));
                    c[j] = c_new;
                    h[j] = go * tanhf(c_new);
                }
                if (y) {
                    float *yr = y + y_row(p, t, d, bb);
                    for (int32_t j = 0; j < H; j++)
                        yr[j] = h[j];
                }
            }
        }
        for (int32_t bb = 0; bb < p->batch; bb++)
            for (int32_t j = 0; j < H; j++) {
                if (y_h)
                    y_h[state_row(p, d, bb) + j] = hs[bb * H + j];
                if (y_c)
                    y_c[state_row(p, d, bb) + j] = cs[bb * H + j];
            }
    }
}

size_t kiln_gru_f32_scratch_size(const kiln_rnn_f32_params *p)
{
    return sizeof(float) * (size_t)(p->batch * p->hidden + 4 * p->hidden);
}

void kiln_gru_f32(const kiln_rnn_f32_params *p, const float *x, const float *w, const float *r,
                  const float *b, const int32_t *seq_lens, const float *init_h, float *y,
                  float *y_h, void *scratch)
{
    const int32_t H = p->hidden, I = p->input_size, G = 3 * H;
    float *hs = (float *)scratch;            /* [batch][H] */
    float *g = hs + p->batch * H;            /* [3H]: z, r, h */
    float *rh = g + G;                       /* [H]: r*h, or R_h*h + Rb_h */
    for (int32_t d = 0; d < p->num_dirs; d++) {
        const int reverse = p->num_dirs == 2 ? d == 1 : p->reverse != 0;
        const float *wd = w + d * G * I, *rd = r + d * G * H;
        const float *bw = b ? b + d * 2 * G : 0, *br = b ? b + d * 2 * G + G : 0;
        const float *wh = wd + 2 * H * I, *rhw = rd + 2 * H * H;
        for (int32_t bb = 0; bb < p->batch; bb++)
            for (int32_t j = 0; j < H; j++)
                hs[bb * H + j] = init_h ? init_h[state_row(p, d, bb) + j] : 0.0f;
        if (y)
            zero_y(p, d, y);
        for (int32_t s = 0; s < p->seq_len; s++) {
            for (int32_t bb = 0; bb < p->batch; bb++) {
                const int32_t len = seq_lens ? seq_lens[bb] : p->seq_len;
                if (s >= len)
                    continue;
                const int32_t t = reverse ? len - 1 - s : s;
                const float *xt = x + x_row(p, t, bb);
                float *h = hs + bb * H;
                /* z and r: all of W*x + R*h + both biases. */
                gate_preact(wd, rd, bw, br, xt, h, 2 * H, I, H, g);
                for (int32_t j = 0; j < 2 * H; j++)
                    g[j] = sigmoidf(clipf(g[j], p->clip));
                const float *gz = g, *gr = g + H;
                /* Candidate: W_h*x + Wb_h, plus the recurrent part placed
                 * after (linear_before_reset) or before the reset gate. */
                for (int32_t j = 0; j < H; j++) {
                    const float *wj = wh + j * I;
                    float acc = bw ? bw[2 * H + j] : 0.0f;
                    for (int32_t i = 0; i < I; i++)
                        acc += wj[i] * xt[i];
                    g[2 * H + j] = acc;
                }
                if (p->linear_before_reset) {
                    for (int32_t j = 0; j < H; j++) {
                        const float *rj = rhw + j * H;
                        float acc = br ? br[2 * H + j] : 0.0f;
                        for (int32_t k = 0; k < H; k++)
                            acc += rj[k] * h[k];
                        rh[j] = gr[j] * acc;
                    }
                } else {
                    for (int32_t k = 0; k < H; k++)
                        rh[k] = gr[k] * h[k];
                    for (int32_t j = 0; j < H; j++) {
                        const float *rj = rhw + j * H;
                        float acc = br ? br[2 * H + j] : 0.0f;
                        for (int32_t k = 0; k < H; k++)
                            acc += rj[k] * rh[k];
                        g[2 * H + j] += acc;
                    }
                    for (int32_t j = 0; j < H; j++)
                        rh[j] = 0.0f;
                }
                for (int32_t j = 0; j < H; j++) {
                    const float hc = tanhf(clipf(g[2 * H + j] + rh[j], p->clip));
                    h[j] = (1.0f - gz[j]) * hc + gz[j] * h[j];
                }
                if (y) {
                    float *yr = y + y_row(p, t, d, bb);
                    for (int32_t j = 0; j < H; j++)
                        yr[j] = h[j];
                }
            }
        }
        if (y_h)
            for (int32_t bb = 0; bb < p->batch; bb++)
                for (int32_t j = 0; j < H; j++)
                    y_h[state_row(p, d, bb) + j] = hs[bb * H + j];
    }
}
