/*
 * eval_svdf.c - TFLite's SVDF computed plainly, in double.
 *
 * The state is the one value that outlives a run: eval.c keeps it in the
 * session and hands it to this node as input 4, whose stored values this
 * file updates in place (shift, then the new activations).  Float: sums in
 * double from real values, the state rounded to float32, the output through
 * ref_store.  Quantized: TFLite's integers, as ir_ops.def specifies them:
 * the feature sums are exact integers sum(Wf * (x - zp_x)), rescaled by
 * M1 = s_x*s_wf/s_state (formed in float, as TFLite's prepare does) with
 * the fixed-point multiply, clamped to the state's type, then the zero
 * point added and the sum wrapped modulo 2^bits (ir_ops.def says why); the
 * time products and the bias are summed as exact integers and wrapped to
 * int32 the way TFLite's accumulator wraps (real models do overflow
 * there), then rescaled by M2 = s_state*s_wt/s_y and offset by zp_y.
 *
 * Relies on eval.c for values and eval_int_math.c for the fixed point;
 * shares nothing with the runtime kernels.
 */
#include <math.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* v modulo 2^32 as a signed 32-bit value (v is an exact integer). */
static double wrap_i32(double v)
{
    double m = ldexp(1.0, 32);
    v = fmod(v, m);
    if (v >= m / 2)
        v -= m;
    else if (v < -m / 2)
        v += m;
    return v;
}

/* The integer TFLite stores for the feature sum `dot` in a state with zero
 * point zp and a signed `bits`-bit type. */
static double quantized_state(double dot, ri_mult m1, double zp, int bits)
{
    const double hi = ldexp(1.0, bits - 1) - 1, lo = -hi - 1;
    double q = ri_mbqm(ri_wrap32((int64_t)dot), m1);
    q = q < lo ? lo : q > hi ? hi : q;
    q += zp;
    if (q > hi)
        q -= ldexp(1.0, bits);              /* two's-complement narrowing */
    else if (q < lo)
        q += ldexp(1.0, bits);
    return q;
}

static bool dims2(ref_ctx *c, const ir_tensor *t, int64_t d0, int64_t d1, const char *what)
{
    if (t->rank == 2 && t->shape[0] == d0 && t->shape[1] == d1)
        return true;
    return ref_fail(c, "%s '%s' is not [%lld, %lld]", what, t->name, (long long)d0, (long long)d1);
}

bool ref_svdf(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *wf = ref_in(c, 1), *wt = ref_in(c, 2), *b = ref_in(c, 3);
    const ir_tensor *s = ref_in(c, 4), *y = ref_out(c, 0);
    if (!x || !wf || !wt || !s || !y)
        return ref_fail(c, "needs X, W_feature, W_time, state and an output");
    if (!s->is_state)
        return ref_fail(c, "input 4 '%s' is not a state tensor", s->name);
    if (x->rank != 2 || wf->rank != 2 || wt->rank != 2)
        return ref_fail(c, "X, W_feature and W_time must be rank 2");
    const int64_t batch = x->shape[0], input = x->shape[1];
    const int64_t filters = wf->shape[0], memory = wt->shape[1];
    const int64_t rank = c->nd->attr.svdf_rank;
    if (rank < 1 || filters % rank)
        return ref_fail(c, "rank %lld does not divide %lld filters", (long long)rank,
                        (long long)filters);
    const int64_t units = filters / rank;
    if (!dims2(c, wf, filters, input, "W_feature") || !dims2(c, wt, filters, memory, "W_time") ||
        ir_numel(s) != batch * filters * memory || ir_numel(y) != batch * units ||
        (b && ir_numel(b) != units))
        return ref_fail(c, "state, output or bias size does not match batch %lld, filters %lld, "
                        "memory %lld, units %lld", (long long)batch, (long long)filters,
                        (long long)memory, (long long)units);
    const bool quant = ref_is_quant(s);
    if (quant && (s->q.n != 1 || (s->dtype != IR_DT_S8 && s->dtype != IR_DT_S16)))
        return ref_fail(c, "a quantized state must be int8 or int16 with one scale");
    if (!quant && s->dtype != IR_DT_F32)
        return ref_fail(c, "state '%s' is %s; expected float32 or quantized int8/int16", s->name,
                        ir_dtype_name(s->dtype));
    if (quant && (wt->q.n != 1 || !ref_is_quant(wt)))
        return ref_fail(c, "W_time '%s' must be quantized per tensor like the state", wt->name);
    const double szp = quant ? s->q.zero_point[0] : 0.0;
    const int bits = (int)ir_dtype_size(s->dtype) * 8;
    if (quant && (!ref_is_quant(x) || !ref_is_quant(wf) || !ref_is_quant(y) || y->dtype != IR_DT_S8))
        return ref_fail(c, "a quantized SVDF needs quantized X, W_feature and an int8 output");
    ri_mult m1 = {0, 0}, m2 = {0, 0};
    if (quant) {
        m1 = ri_quantize_multiplier((double)(float)(x->q.scale[0] * wf->q.scale[0] / s->q.scale[0]));
        m2 = ri_quantize_multiplier((double)(float)(s->q.scale[0] * wt->q.scale[0] / y->q.scale[0]));
    }

    /* Float: real values.  Quantized: x - zp_x and the stored weights. */
    const double *xr = quant ? ref_offset(c, 0) : ref_real(c, 0);
    const double *wfr = quant ? ref_stored(c, 1) : ref_real(c, 1);
    /* Float: real values.  Quantized: the stored integers (W_time and the
     * bias have zero point 0 in TFLite's SVDF). */
    const double *wtv = quant ? ref_stored(c, 2) : ref_real(c, 2);
    const double *bv = b ? (quant ? ref_stored(c, 3) : ref_real(c, 3)) : NULL;
    double *sv = c->val[c->nd->in[4]];      /* stored values, updated in place */
    const int64_t n = batch * filters * memory;
    for (int64_t k = 0; k + 1 < n; k++)
        sv[k] = sv[k + 1];
    double *yr = ref_tmp(c, batch * units);
    for (int64_t bt = 0; bt < batch; bt++) {
        double *sb = sv + bt * filters * memory;
        for (int64_t f = 0; f < filters; f++) {
            double acc = 0;
            for (int64_t i = 0; i < input; i++)
                acc += xr[bt * input + i] * wfr[f * input + i];
            sb[f * memory + memory - 1] = quant ? quantized_state(acc, m1, szp, bits) : (float)acc;
        }
        for (int64_t u = 0; u < units; u++) {
            double out = bv ? bv[u] : 0.0;
            for (int64_t f = u * rank; f < (u + 1) * rank; f++)
                for (int64_t m = 0; m < memory; m++)
                    out += wtv[f * memory + m] * (sb[f * memory + m] - szp);
            yr[bt * units + u] = quant ? ri_clamp((int64_t)ri_mbqm(ri_wrap32((int64_t)wrap_i32(out)), m2) +
                                                      y->q.zero_point[0], -128, 127)
                                       : out;
        }
    }
    if (quant)
        ref_store_plain(c, 0, yr);
    else
        ref_store(c, 0, yr);
    return true;
}
