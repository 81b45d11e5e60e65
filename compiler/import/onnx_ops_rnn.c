/*
 * onnx_ops_rnn.c - ONNX LSTM and GRU into the IR ops of the same name.
 *
 * Relies on onnx_helpers.c.  The IR keeps ONNX's semantics and operand
 * layout, so this file checks shapes and attributes and works out the
 * output shapes (both `layout` values).  Only the default activations are
 * compiled (LSTM sigmoid/tanh/tanh, GRU sigmoid/tanh per direction); any
 * other list is refused by name.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"

static bool ieq(onnx_str s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower(s.p[i]) != tolower((unsigned char)lit[i]))
            return false;
    return true;
}

static bool check_activations(onnx_ctx *c, const char *const *dflt, int per_dir, int ndir)
{
    const onnx_attr *a = ox_attr(c, "activations");
    if (!a)
        return true;
    if (a->n_strings != per_dir * ndir)
        return ox_unsupported(c, "%d activations (only the default %d per direction are compiled)", a->n_strings,
                              per_dir);
    for (int i = 0; i < a->n_strings; i++)
        if (!ieq(a->strings[i], dflt[i % per_dir]))
            return ox_unsupported(c, "activation %d '%.*s' (only the defaults are compiled: %s%s%s%s%s)", i,
                                  (int)a->strings[i].len, (const char *)a->strings[i].p, dflt[0], ", ", dflt[1],
                                  per_dir > 2 ? ", " : "", per_dir > 2 ? dflt[2] : "");
    return true;
}

static bool check_shape(onnx_ctx *c, int t, int rank, const int64_t *want, const char *what)
{
    const ir_tensor *tt = ox_t(c, t);
    bool ok = tt->rank == rank;
    for (int i = 0; ok && i < rank; i++)
        ok = tt->shape[i] == want[i];
    if (ok)
        return true;
    char buf[96] = "";
    size_t len = 0;
    for (int i = 0; i < rank && len < sizeof buf - 24; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lld", i ? ", " : "", (long long)want[i]);
    return ox_err(c, "%s '%s' must be [%s]", what, tt->name, buf);
}

/* gates: 4 for LSTM, 3 for GRU. */
static bool rnn(onnx_ctx *c, ir_op op, int gates)
{
    bool lstm = op == IR_OP_LSTM;
    int nin = lstm ? 8 : 6, in[8];
    for (int k = 0; k < 8; k++)
        in[k] = -1;
    if (!ox_in(c, 0, &in[0]) || !ox_in(c, 1, &in[1]) || !ox_in(c, 2, &in[2]))
        return false;
    for (int k = 3; k < nin; k++)
        if (!ox_in_opt(c, k, &in[k]))
            return false;
    char dir[24];
    int64_t hidden, layout = 0, input_forget = 0, lbr = 0;
    float clip = 0;
    if (!ox_attr_str(c, "direction", "forward", dir, sizeof dir) || !ox_attr_int(c, "hidden_size", -1, &hidden) ||
        !ox_attr_int(c, "layout", 0, &layout) || !ox_attr_int(c, "input_forget", 0, &input_forget) ||
        !ox_attr_int(c, "linear_before_reset", 0, &lbr) || !ox_attr_float(c, "clip", 0.0f, &clip))
        return false;
    ir_rnn_dir d;
    int ndir = 1;
    if (!strcmp(dir, "forward"))
        d = IR_RNN_FORWARD;
    else if (!strcmp(dir, "reverse"))
        d = IR_RNN_REVERSE;
    else if (!strcmp(dir, "bidirectional")) {
        d = IR_RNN_BIDIRECTIONAL;
        ndir = 2;
    } else
        return ox_err(c, "direction '%s'", dir);
    if (layout != 0 && layout != 1)
        return ox_err(c, "layout %lld", (long long)layout);
    if (ox_attr(c, "clip") && !(clip > 0))
        return ox_err(c, "clip must be positive (it is %g)", (double)clip);
    static const char *const lstm_act[] = {"Sigmoid", "Tanh", "Tanh"};
    static const char *const gru_act[] = {"Sigmoid", "Tanh"};
    if (!check_activations(c, lstm ? lstm_act : gru_act, lstm ? 3 : 2, ndir))
        return false;
    /* activation_alpha/beta only matter for activations other than the defaults. */
    const ir_tensor *x = ox_t(c, in[0]), *w = ox_t(c, in[1]);
    ir_dtype dt = x->dtype;
    if (dt != IR_DT_F32 && dt != IR_DT_F16 && dt != IR_DT_F64)
        return ox_unsupported(c, "%s on %s tensors", c->op_name, ir_dtype_name(dt));
    if (x->rank != 3)
        return ox_err(c, "X must have rank 3 (it has %d)", x->rank);
    int64_t seq = layout ? x->shape[1] : x->shape[0], batch = layout ? x->shape[0] : x->shape[1];
    int64_t isz = x->shape[2];
    if (w->rank != 3)
        return ox_err(c, "W must have rank 3");
    if (hidden < 0)
        hidden = w->shape[1] / gates;
    if (hidden < 1 || hidden > (1 << 24))
        return ox_err(c, "hidden_size %lld", (long long)hidden);
    int64_t gh = gates * hidden;
    int64_t ws[3] = {ndir, gh, isz}, rs[3] = {ndir, gh, hidden}, bs[2] = {ndir, 2 * gh}, ls[1] = {batch};
    int64_t hs[3] = {ndir, batch, hidden}, ps[2] = {ndir, 3 * hidden};
    if (layout) {
        hs[0] = batch;
        hs[1] = ndir;
    }
    if (!check_shape(c, in[1], 3, ws, "W") || !check_shape(c, in[2], 3, rs, "R") ||
        (in[3] >= 0 && !check_shape(c, in[3], 2, bs, "B")) ||
        (in[4] >= 0 && !check_shape(c, in[4], 1, ls, "sequence_lens")) ||
        (in[5] >= 0 && !check_shape(c, in[5], 3, hs, "initial_h")) ||
        (lstm && in[6] >= 0 && !check_shape(c, in[6], 3, hs, "initial_c")) ||
        (lstm && in[7] >= 0 && !check_shape(c, in[7], 2, ps, "P")))
        return false;
    for (int k = 1; k < nin; k++) {
        if (in[k] < 0)
            continue;
        ir_dtype want = k == 4 ? IR_DT_S32 : dt;
        if (ox_t(c, in[k])->dtype != want)
            return ox_err(c, "input %d '%s' is %s, %s expected", k, ox_t(c, in[k])->name,
                          ir_dtype_name(ox_t(c, in[k])->dtype), ir_dtype_name(want));
    }
    int64_t ys[4] = {seq, ndir, batch, hidden};
    if (layout) {
        ys[0] = batch;
        ys[1] = seq;
        ys[2] = ndir;
    }
    int out[3] = {-1, -1, -1}, nout = lstm ? 3 : 2;
    c->out0_optional = true;
    if (c->node->n_out > nout)
        return ox_err(c, "%s has at most %d outputs", c->op_name, nout);
    if (!ox_out(c, 0, dt, 4, ys, &out[0]) || !ox_out(c, 1, dt, 3, hs, &out[1]) ||
        (lstm && !ox_out(c, 2, dt, 3, hs, &out[2])))
        return false;
    int nd = ox_node(c, op, nin, in, nout, out);
    ir_rnn_attr *a = &c->g->nodes[nd].attr.rnn;
    a->direction = d;
    a->hidden_size = (int)hidden;
    a->clip = ox_attr(c, "clip") ? clip : 0.0f;
    a->input_forget = input_forget != 0;
    a->linear_before_reset = lbr != 0;
    a->layout = (int)layout;
    return true;
}

bool ox_lstm(onnx_ctx *c) { return rnn(c, IR_OP_LSTM, 4); }
bool ox_gru(onnx_ctx *c) { return rnn(c, IR_OP_GRU, 3); }
