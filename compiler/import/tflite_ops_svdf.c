/*
 * tflite_ops_svdf.c - TFLite's SVDF operator (versions 1 and 3: float and
 * full-integer; 2 and 4 are hybrid and refused by their types) as one IR
 * SVDF node.
 *
 * Inputs: X, W_feature, W_time, bias (optional), activation_state.  The
 * activation state is a TFLite variable tensor; it becomes an IR tensor with
 * is_state set (not a graph input, not a constant: TFLite-Micro ignores any
 * buffer a variable carries and resets it at init), and no other operator
 * may use it.  Every shape and type TFLite-Micro's PrepareSvdf checks is
 * checked here, with the message naming the tensor.  TFLite's integer SVDF
 * ignores the fused activation (its kernel only clamps to int8), so for a
 * quantized SVDF the IR's act stays off; float SVDF keeps it.
 */
#include "import/tflite_internal.h"

static bool is_type(tfl_ctx *c, int t, ir_dtype dt, const char *role)
{
    if (tfl_t(c, t)->dtype == dt)
        return true;
    return tfl_op_fail(c, "%s '%s' is %s; expected %s", role, tfl_t(c, t)->name,
                       ir_dtype_name(tfl_t(c, t)->dtype), ir_dtype_name(dt));
}

static bool per_tensor(tfl_ctx *c, int t, const char *role)
{
    if (tfl_t(c, t)->q.n == 1)
        return true;
    return tfl_op_fail(c, "%s '%s' (%s) needs one scale and zero point (has %d)", role,
                       tfl_t(c, t)->name, ir_dtype_name(tfl_t(c, t)->dtype), tfl_t(c, t)->q.n);
}

/* The dtype combinations TFLite-Micro runs: all float32, or int8 X, W_feature
 * and Y with W_time and state both int8 or both int16 and an int32 bias. */
static bool check_types(tfl_ctx *c, int x, int wf, int wt, int b, int s, int y)
{
    if (!tfl_refuse_hybrid(c, x, wf))
        return false;
    if (tfl_t(c, x)->dtype == IR_DT_F32)
        return is_type(c, wf, IR_DT_F32, "W_feature") && is_type(c, wt, IR_DT_F32, "W_time") &&
               (b < 0 || is_type(c, b, IR_DT_F32, "bias")) &&
               is_type(c, s, IR_DT_F32, "activation state") && is_type(c, y, IR_DT_F32, "output");
    if (!is_type(c, x, IR_DT_S8, "input") || !is_type(c, wf, IR_DT_S8, "W_feature") ||
        !is_type(c, y, IR_DT_S8, "output"))
        return false;
    const ir_dtype st = tfl_t(c, s)->dtype;
    if (st != IR_DT_S8 && st != IR_DT_S16)
        return tfl_op_fail(c, "activation state '%s' is %s; expected int8 or int16",
                           tfl_t(c, s)->name, ir_dtype_name(st));
    if (!is_type(c, wt, st, "W_time (the state's type)") ||
        (b >= 0 && !is_type(c, b, IR_DT_S32, "bias")))
        return false;
    return per_tensor(c, x, "input") && per_tensor(c, wf, "W_feature") &&
           per_tensor(c, wt, "W_time") && per_tensor(c, s, "activation state") &&
           per_tensor(c, y, "output") && (b < 0 || per_tensor(c, b, "bias"));
}

static bool dims2(tfl_ctx *c, int t, int64_t d0, int64_t d1, const char *role, const char *what)
{
    const ir_tensor *x = tfl_t(c, t);
    if (x->rank == 2 && x->shape[0] == d0 && x->shape[1] == d1)
        return true;
    return tfl_op_fail(c, "%s '%s' has %d dims [%lld, %lld%s]; expected [%lld, %lld] (%s)", role,
                       x->name, x->rank, (long long)(x->rank > 0 ? x->shape[0] : 0),
                       (long long)(x->rank > 1 ? x->shape[1] : 0), x->rank > 2 ? ", ..." : "",
                       (long long)d0, (long long)d1, what);
}

bool tfl_svdf(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 5, 5, 1))
        return false;
    int x = tfl_in(c, 0);
    int wf = x >= 0 ? tfl_in(c, 1) : -1;
    int wt = wf >= 0 ? tfl_in(c, 2) : -1;
    int b = wt >= 0 ? tfl_in_opt(c, 3) : -1;
    if (wt < 0 || (tfl_in_index(c, 3) >= 0 && b < 0))
        return false;
    c->allow_state = true;
    int s = tfl_in(c, 4);
    c->allow_state = false;
    if (s < 0)
        return false;
    int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    const ir_tensor *xt = tfl_t(c, x);
    if (xt->rank != 2)
        return tfl_op_fail(c, "input '%s' has %d dims; expected 2 [batch, input_size]", xt->name,
                           xt->rank);
    const int64_t batch = xt->shape[0], input = xt->shape[1];
    const ir_tensor *wft = tfl_t(c, wf), *wtt = tfl_t(c, wt);
    if (wft->rank != 2 || wtt->rank != 2)
        return tfl_op_fail(c, "W_feature '%s' and W_time '%s' must have 2 dims (have %d and %d)",
                           wft->name, wtt->name, wft->rank, wtt->rank);
    const int64_t filters = wft->shape[0], memory = wtt->shape[1];
    const int32_t rank = c->o.rank;
    if (rank < 1 || filters < 1 || filters % rank != 0)
        return tfl_op_fail(c, "rank %d does not divide the %lld filters of W_feature '%s'",
                           (int)rank, (long long)filters, wft->name);
    if (memory < 1)
        return tfl_op_fail(c, "W_time '%s' has memory size %lld; expected at least 1", wtt->name,
                           (long long)memory);
    const int64_t units = filters / rank;
    if (!dims2(c, wf, filters, input, "W_feature", "filters, input_size") ||
        !dims2(c, wt, filters, memory, "W_time", "filters, memory_size") ||
        !dims2(c, s, batch, memory * filters, "activation state", "batch, memory_size x filters") ||
        !dims2(c, y, batch, units, "output", "batch, units"))
        return false;
    if (b >= 0 && (tfl_t(c, b)->rank != 1 || tfl_t(c, b)->shape[0] != units))
        return tfl_op_fail(c, "bias '%s' must be [%lld] (one per unit)", tfl_t(c, b)->name,
                           (long long)units);
    if (!check_types(c, x, wf, wt, b, s, y))
        return false;
    const bool is_float = tfl_t(c, x)->dtype == IR_DT_F32;
    ir_act act = {false, 0.0f, 0.0f};
    if (is_float && !tfl_fused_act(c, c->o.act, &act))
        return false;
    int in[5] = {x, wf, wt, b, s};
    int nd = tfl_node(c, IR_OP_SVDF, 5, in, 1, &y);
    c->g->nodes[nd].attr.svdf_rank = rank;
    c->g->nodes[nd].attr.act = act;     /* off for integer SVDF, see above */
    return true;
}
