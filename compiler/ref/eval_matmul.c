/*
 * eval_matmul.c - FULLY_CONNECTED and MATMUL, computed plainly.
 *
 * FULLY_CONNECTED is Y[b, n] = sum_k X[b, k] * W[n, k] + B[n]; a quantized
 * one reads its int32 bias at the accumulator's scale s_x*s_w[n], as the
 * integer kernels add it.  MATMUL follows numpy.matmul: rank-1 operands are
 * promoted to matrices and the promoted dim dropped from Y, batch dims
 * broadcast.  An integer output without quantization (MatMulInteger) sums
 * (a-za)*(b-zb) exactly, and so does a quantized one in integer mode
 * (eval_int.h) before eval_int_ops.c requantizes the sums; everything else
 * sums real values in double.
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result.
 */
#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* Operands as (q - zp) and exact integer sums: MatMulInteger, integer mode. */
static bool int_output(ref_ctx *c)
{
    const ir_tensor *y = ref_out(c, 0);
    return (ref_dtype_is_int(y->dtype) && !ref_is_quant(y)) || ref_int_mode(c);
}

bool ref_fully_connected(ref_ctx *c)
{
    const ir_tensor *xt = ref_in(c, 0), *wt = ref_in(c, 1), *bt = ref_in(c, 2), *yt = ref_out(c, 0);
    if (!xt || !wt || !yt)
        return ref_fail(c, "needs inputs X, W and output Y");
    if (wt->rank != 2)
        return ref_fail(c, "weights '%s' have rank %d, expected 2 ([N, K])", wt->name, wt->rank);
    int64_t N = wt->shape[0], K = wt->shape[1];
    if (K == 0 || ir_numel(xt) % K)
        return ref_fail(c, "input '%s' has %lld elements, not a multiple of K = %lld", xt->name,
                        (long long)ir_numel(xt), (long long)K);
    int64_t B = ir_numel(xt) / K;
    if (ir_numel(yt) != B * N)
        return ref_fail(c, "output '%s' has %lld elements, expected batch %lld x N %lld", yt->name,
                        (long long)ir_numel(yt), (long long)B, (long long)N);
    bool io = int_output(c);
    const double *x = io ? ref_offset(c, 0) : ref_real(c, 0);
    const double *w = io ? ref_offset(c, 1) : ref_real(c, 1);
    const double *b = NULL;
    double bscale_x = 0;
    bool bias_int = false;      /* b is raw int32 at scale s_x*s_w[n] */
    if (bt) {
        if (ir_numel(bt) != N)
            return ref_fail(c, "bias '%s' has %lld elements, expected N = %lld", bt->name,
                            (long long)ir_numel(bt), (long long)N);
        if (ref_int_mode(c)) {
            b = ref_stored(c, 2);
        } else if (ref_dtype_is_int(bt->dtype) && ref_is_quant(xt)) {
            if (xt->q.n != 1 || !ref_is_quant(wt))
                return ref_fail(c, "integer bias '%s' needs a per-tensor quantized input and quantized weights",
                                bt->name);
            b = ref_stored(c, 2);
            bscale_x = xt->q.scale[0];
            bias_int = true;
        } else {
            b = ref_real(c, 2);
        }
    }
    double *y = ref_tmp(c, B * N);
    for (int64_t i = 0; i < B; i++)
        for (int64_t n = 0; n < N; n++) {
            double acc = 0;
            if (b)
                acc = bias_int ? b[n] * bscale_x * wt->q.scale[wt->q.n > 1 ? n : 0] : b[n];
            for (int64_t k = 0; k < K; k++)
                acc += x[i * K + k] * w[n * K + k];
            y[i * N + n] = acc;
        }
    if (ref_int_mode(c))
        return ref_int_store_acc(c, y, 1, N);
    ref_store(c, 0, y);
    return true;
}

bool ref_matmul(ref_ctx *c)
{
    const ir_tensor *at = ref_in(c, 0), *bt = ref_in(c, 1), *yt = ref_out(c, 0);
    if (!at || !bt || !yt)
        return ref_fail(c, "needs inputs A, B and output Y");
    if (at->rank < 1 || bt->rank < 1)
        return ref_fail(c, "operands must have rank >= 1 ('%s' rank %d, '%s' rank %d)", at->name,
                        at->rank, bt->name, bt->rank);
    /* Promote: A [.., M, K] (rank 1: [1, K]); B [.., K, N] (rank 1: [K, 1]). */
    int64_t M = at->rank > 1 ? at->shape[at->rank - 2] : 1, K = at->shape[at->rank - 1];
    int64_t Kb = bt->rank > 1 ? bt->shape[bt->rank - 2] : bt->shape[0];
    int64_t N = bt->rank > 1 ? bt->shape[bt->rank - 1] : 1;
    if (K != Kb)
        return ref_fail(c, "inner dims differ: '%s' has K = %lld, '%s' has K = %lld", at->name,
                        (long long)K, bt->name, (long long)Kb);
    int na = at->rank > 2 ? at->rank - 2 : 0, nb = bt->rank > 2 ? bt->rank - 2 : 0;
    int nbat = na > nb ? na : nb;
    int64_t bshape[IR_MAX_DIMS], sa[IR_MAX_DIMS], sb[IR_MAX_DIMS];
    /* Broadcast batch dims (right-aligned) with matrix-sized strides; a
     * broadcast dim has stride 0. */
    int64_t stride_a = M * K, stride_b = K * N;
    for (int d = nbat - 1; d >= 0; d--) {
        int da = d - (nbat - na), db = d - (nbat - nb);
        int64_t ea = da >= 0 ? at->shape[da] : 1, eb = db >= 0 ? bt->shape[db] : 1;
        if (ea != eb && ea != 1 && eb != 1)
            return ref_fail(c, "batch dims do not broadcast: %lld vs %lld", (long long)ea, (long long)eb);
        bshape[d] = ea > eb ? ea : eb;
        if (ea == 0 || eb == 0)
            bshape[d] = 0;
        sa[d] = ea == 1 ? 0 : stride_a;
        sb[d] = eb == 1 ? 0 : stride_b;
        stride_a *= ea;
        stride_b *= eb;
    }
    /* Y's shape: batch, then M unless A was rank 1, then N unless B was rank 1. */
    int64_t want[IR_MAX_DIMS + 2];
    int wr = 0;
    for (int d = 0; d < nbat; d++)
        want[wr++] = bshape[d];
    if (at->rank > 1)
        want[wr++] = M;
    if (bt->rank > 1)
        want[wr++] = N;
    bool same = wr == yt->rank;
    for (int d = 0; same && d < wr; d++)
        same = want[d] == yt->shape[d];
    if (!same)
        return ref_fail(c, "output '%s' does not have the numpy.matmul shape of '%s' x '%s'", yt->name,
                        at->name, bt->name);
    bool io = int_output(c);
    const double *a = io ? ref_offset(c, 0) : ref_real(c, 0);
    const double *b = io ? ref_offset(c, 1) : ref_real(c, 1);
    int64_t nbatch = 1;
    for (int d = 0; d < nbat; d++)
        nbatch *= bshape[d];
    double *y = ref_tmp(c, ir_numel(yt));
    for (int64_t bi = 0; bi < nbatch; bi++) {
        int64_t oa = 0, ob = 0, rem = bi;
        for (int d = nbat - 1; d >= 0; d--) {
            int64_t idx = rem % bshape[d];
            rem /= bshape[d];
            oa += idx * sa[d];
            ob += idx * sb[d];
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                    acc += a[oa + i * K + k] * b[ob + k * N + j];
                y[(bi * M + i) * N + j] = acc;
            }
    }
    if (ref_int_mode(c))
        return ref_int_store_acc(c, y, 1, N);
    ref_store(c, 0, y);
    return true;
}
