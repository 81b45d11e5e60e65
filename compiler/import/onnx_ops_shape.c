/*
 * onnx_ops_shape.c - ONNX data-movement ops into IR: Flatten, Reshape,
 * Squeeze, Unsqueeze, Identity, Dropout (all RESHAPE), Transpose, Concat,
 * Slice, Split (SLICEs), Pad, ReduceMean, plus Constant, ConstantOfShape
 * and Cast.
 *
 * Relies on onnx_helpers.c, in particular ox_in_ints() for operands whose
 * values must be known at compile time (shape, starts/ends/axes/steps,
 * split, pads, axes): from an initializer, a Constant, a folded node or a
 * graph input the caller gave a value for.  Everything an attribute or
 * operand says in ONNX terms is resolved here: Reshape's 0 and -1, negative
 * axes, Slice's clamping (negative steps included), Split's sizes, the old
 * attribute forms before opsets 10/11/13/18.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "util/sbuf.h"

/* Reads axes from input k (opset >= since) or the attribute "axes";
 * *n = -1 when neither is present. */
static bool axes_operand(onnx_ctx *c, int since, int k, int64_t *axes, int *n)
{
    if (c->node_opset < since)
        return ox_attr_ints(c, "axes", axes, IR_MAX_DIMS * 2, n);
    bool present;
    int64_t *v, cnt;
    *n = -1;
    if (!ox_in_ints(c, k, &present, &v, &cnt))
        return false;
    if (!present)
        return true;
    if (cnt > IR_MAX_DIMS * 2) {
        free(v);
        return ox_err(c, "axes has %lld values", (long long)cnt);
    }
    for (int64_t i = 0; i < cnt; i++)
        axes[i] = v[i];
    *n = (int)cnt;
    free(v);
    return true;
}

/* Normalises axes against rank into a bit mask; duplicates are errors. */
static bool axes_mask(onnx_ctx *c, const int64_t *axes, int n, int rank, uint32_t *mask)
{
    *mask = 0;
    for (int i = 0; i < n; i++) {
        int a;
        if (!ox_axis(c, axes[i], rank, "axis", &a))
            return false;
        if (*mask & (1u << a))
            return ox_err(c, "axis %d is listed twice", a);
        *mask |= 1u << a;
    }
    return true;
}

/* ---- reshapes ------------------------------------------------------------- */

bool ox_identity(onnx_ctx *c)
{
    int x;
    return ox_in(c, 0, &x) && ox_alias_out(c, 0, x);
}

bool ox_dropout(onnx_ctx *c)
{
    int x;
    if (!ox_in(c, 0, &x))
        return false;
    if (c->node_opset >= 12 && ox_has_in(c, 2)) {
        bool present;
        int64_t *v, n;
        if (!ox_in_ints(c, 2, &present, &v, &n))
            return false;
        bool training = n > 0 && v[0];
        free(v);
        if (training)
            return ox_unsupported(c, "Dropout with training_mode=true");
    }
    if (!ox_alias_out(c, 0, x))
        return false;
    if (c->node->n_out > 1 && c->node->out[1].len) {
        /* Inference: nothing is dropped, the mask is all true (bool from
         * opset 10, the input's type before). */
        const ir_tensor *tx = ox_t(c, x);
        int64_t shape[IR_MAX_DIMS];
        memcpy(shape, tx->shape, sizeof shape);
        int rank = tx->rank, m;
        ir_dtype mdt = c->node_opset < 10 ? tx->dtype : IR_DT_BOOL;
        if (mdt != IR_DT_BOOL && mdt != IR_DT_F32)
            return ox_unsupported(c, "Dropout's mask output on %s tensors before opset 10", ir_dtype_name(mdt));
        if (!ox_out(c, 1, mdt, rank, shape, &m))
            return false;
        size_t n = (size_t)ox_numel(rank, shape), nb = n * ir_dtype_size(mdt);
        ir_tensor *tm = ox_t(c, m);
        tm->data = xmalloc(nb ? nb : 1);
        if (mdt == IR_DT_F32) {
            const float one = 1.0f;
            for (size_t i = 0; i < n; i++)
                memcpy((float *)tm->data + i, &one, sizeof one);
        } else {
            memset(tm->data, 1, nb);
        }
        tm->nbytes = nb;
    }
    return true;
}

bool ox_flatten(onnx_ctx *c)
{
    int x;
    int64_t axis;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "axis", 1, &axis))
        return false;
    const ir_tensor *t = ox_t(c, x);
    int r = t->rank;
    if (axis < -r || axis > r)
        return ox_err(c, "axis %lld is out of range for rank %d", (long long)axis, r);
    if (axis < 0)
        axis += r;
    int64_t shape[2] = {1, 1};
    for (int i = 0; i < r; i++)
        shape[i < axis ? 0 : 1] *= t->shape[i];
    return ox_reshape_to(c, 0, x, 2, shape, NULL);
}

bool ox_reshape(onnx_ctx *c)
{
    int x;
    bool present;
    int64_t *v = NULL, n;
    int64_t allowzero;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "allowzero", 0, &allowzero))
        return false;
    if (!ox_has_in(c, 1))
        return ox_err(c, "input 'shape' is required");
    if (!ox_in_ints(c, 1, &present, &v, &n))
        return false;
    bool ok = false;
    const ir_tensor *t = ox_t(c, x);
    int64_t shape[IR_MAX_DIMS], known = 1;
    int infer = -1;
    if (n > IR_MAX_DIMS) {
        ox_unsupported(c, "a target shape of rank %lld (Kiln supports up to %d)", (long long)n, IR_MAX_DIMS);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        int64_t d = v[i];
        if (d == 0 && !allowzero) {
            if (i >= t->rank) {
                ox_err(c, "shape[%d] = 0 copies input dimension %d, but the input has rank %d", i, i, t->rank);
                goto out;
            }
            d = t->shape[i];
        } else if (d == -1) {
            if (infer >= 0) {
                ox_err(c, "shape has more than one -1");
                goto out;
            }
            if (allowzero) {
                for (int j = 0; j < n; j++)
                    if (v[j] == 0) {
                        ox_err(c, "shape has both 0 and -1 with allowzero=1");
                        goto out;
                    }
            }
            infer = i;
            shape[i] = 1;
            continue;
        } else if (d < 0) {
            ox_err(c, "shape[%d] = %lld", i, (long long)d);
            goto out;
        }
        if (d > ((int64_t)1 << 31) || (d && known > ((int64_t)1 << 48) / d)) {
            ox_err(c, "shape[%d] = %lld makes the tensor too large", i, (long long)d);
            goto out;
        }
        shape[i] = d;
        known *= d;
    }
    if (infer >= 0) {
        int64_t total = ir_numel(t);
        if (known == 0 || total % known) {
            ox_err(c, "cannot infer the -1 in the target shape: %lld elements do not divide by %lld",
                   (long long)total, (long long)known);
            goto out;
        }
        shape[infer] = total / known;
    }
    ok = ox_reshape_to(c, 0, x, (int)n, shape, NULL);
out:
    free(v);
    return ok;
}

bool ox_squeeze(onnx_ctx *c)
{
    int x, n;
    int64_t axes[IR_MAX_DIMS * 2];
    if (!ox_in(c, 0, &x) || !axes_operand(c, 13, 1, axes, &n))
        return false;
    const ir_tensor *t = ox_t(c, x);
    uint32_t mask = 0;
    if (n < 0) {
        for (int i = 0; i < t->rank; i++)
            if (t->shape[i] == 1)
                mask |= 1u << i;
    } else if (!axes_mask(c, axes, n, t->rank, &mask)) {
        return false;
    }
    int64_t shape[IR_MAX_DIMS];
    int r = 0;
    for (int i = 0; i < t->rank; i++) {
        if (mask & (1u << i)) {
            if (t->shape[i] != 1)
                return ox_err(c, "cannot squeeze axis %d of size %lld", i, (long long)t->shape[i]);
            continue;
        }
        shape[r++] = t->shape[i];
    }
    return ox_reshape_to(c, 0, x, r, shape, NULL);
}

bool ox_unsqueeze(onnx_ctx *c)
{
    int x, n;
    int64_t axes[IR_MAX_DIMS * 2];
    if (!ox_in(c, 0, &x) || !axes_operand(c, 13, 1, axes, &n))
        return false;
    if (n < 0)
        return ox_err(c, "axes are required");
    const ir_tensor *t = ox_t(c, x);
    int r = t->rank + n;
    if (r > IR_MAX_DIMS)
        return ox_unsupported(c, "a result of rank %d (Kiln supports up to %d)", r, IR_MAX_DIMS);
    uint32_t mask;
    if (!axes_mask(c, axes, n, r, &mask))
        return false;
    int64_t shape[IR_MAX_DIMS];
    for (int i = 0, j = 0; i < r; i++)
        shape[i] = (mask & (1u << i)) ? 1 : t->shape[j++];
    return ox_reshape_to(c, 0, x, r, shape, NULL);
}

/* ---- Transpose, Concat ------------------------------------------------------ */

bool ox_transpose(onnx_ctx *c)
{
    int x, n;
    int64_t perm[IR_MAX_DIMS * 2];
    if (!ox_in(c, 0, &x) || !ox_attr_ints(c, "perm", perm, IR_MAX_DIMS * 2, &n))
        return false;
    const ir_tensor *t = ox_t(c, x);
    int r = t->rank;
    if (n < 0) {
        n = r;
        for (int i = 0; i < r; i++)
            perm[i] = r - 1 - i;
    }
    if (n != r)
        return ox_err(c, "perm has %d values for rank %d", n, r);
    uint32_t seen = 0;
    int64_t shape[IR_MAX_DIMS];
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r || (seen & (1u << perm[i])))
            return ox_err(c, "perm is not a permutation of 0..%d", r - 1);
        seen |= 1u << perm[i];
        shape[i] = t->shape[perm[i]];
    }
    int y;
    if (!ox_out(c, 0, t->dtype, r, shape, &y))
        return false;
    int nd = ox_node(c, IR_OP_TRANSPOSE, 1, &x, 1, &y);
    for (int i = 0; i < r; i++)
        c->g->nodes[nd].attr.perm[i] = (int)perm[i];
    return true;
}

bool ox_concat(onnx_ctx *c)
{
    int n = c->node->n_in;
    if (n < 1)
        return ox_err(c, "Concat needs at least one input");
    int *in = xmalloc((size_t)n * sizeof *in);
    int64_t axis;
    bool ok = false;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!ox_has_in(c, i))
            continue;
        if (!ox_in(c, i, &in[k]))
            goto out;
        k++;
    }
    if (!k) {
        ox_err(c, "Concat has no inputs");
        goto out;
    }
    if (!ox_attr_int(c, "axis", 1, &axis))
        goto out;
    if (!ox_attr(c, "axis") && c->node_opset >= 4) {
        ox_err(c, "attribute 'axis' is required");
        goto out;
    }
    const ir_tensor *t0 = ox_t(c, in[0]);
    int r = t0->rank, ax;
    if (!ox_axis(c, axis, r, "axis", &ax))
        goto out;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, t0->shape, sizeof shape);
    shape[ax] = 0;
    for (int i = 0; i < k; i++) {
        const ir_tensor *t = ox_t(c, in[i]);
        if (t->rank != r || t->dtype != t0->dtype) {
            ox_err(c, "input '%s' (%s, rank %d) does not match '%s' (%s, rank %d)", t->name,
                   ir_dtype_name(t->dtype), t->rank, t0->name, ir_dtype_name(t0->dtype), r);
            goto out;
        }
        for (int d = 0; d < r; d++)
            if (d != ax && t->shape[d] != t0->shape[d]) {
                ox_err(c, "input '%s' has dimension %d = %lld, '%s' has %lld", t->name, d,
                       (long long)t->shape[d], t0->name, (long long)t0->shape[d]);
                goto out;
            }
        shape[ax] += t->shape[ax];
    }
    int y;
    if (!ox_out(c, 0, t0->dtype, r, shape, &y))
        goto out;
    int nd = ox_node(c, IR_OP_CONCAT, k, in, 1, &y);
    c->g->nodes[nd].attr.axis = ax;
    ok = true;
out:
    free(in);
    return ok;
}

/* ---- Slice ------------------------------------------------------------------ */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ONNX Slice on one axis of size dim: clamps start/end and counts steps. */
static void slice_axis(int64_t dim, int64_t s, int64_t e, int64_t step, int64_t *begin, int64_t *count)
{
    if (s < 0)
        s += dim;
    if (e < 0)
        e += dim;
    if (step > 0) {
        s = clamp64(s, 0, dim);
        e = clamp64(e, 0, dim);
        *count = e > s ? (int64_t)((uint64_t)(e - s - 1) / (uint64_t)step) + 1 : 0;
    } else {
        s = clamp64(s, 0, dim - 1);
        e = clamp64(e, -1, dim - 1);
        uint64_t astep = (uint64_t)0 - (uint64_t)step;
        *count = s > e ? (int64_t)((uint64_t)(s - e - 1) / astep) + 1 : 0;
    }
    *begin = *count ? s : 0;
}

bool ox_slice(onnx_ctx *c)
{
    int x;
    if (!ox_in(c, 0, &x))
        return false;
    const ir_tensor *t = ox_t(c, x);
    int r = t->rank;
    int64_t *st = NULL, *en = NULL, *ax = NULL, *sp = NULL, ns = 0, ne = 0, na = -1, nsp = -1;
    bool ok = false, present;
    if (c->node_opset < 10) {
        int64_t b1[IR_MAX_DIMS * 2], b2[IR_MAX_DIMS * 2], b3[IR_MAX_DIMS * 2];
        int k1, k2, k3;
        if (!ox_attr_ints(c, "starts", b1, IR_MAX_DIMS * 2, &k1) || !ox_attr_ints(c, "ends", b2, IR_MAX_DIMS * 2, &k2) ||
            !ox_attr_ints(c, "axes", b3, IR_MAX_DIMS * 2, &k3))
            return false;
        if (k1 < 0 || k2 < 0)
            return ox_err(c, "attributes 'starts' and 'ends' are required");
        st = xmalloc(sizeof b1);
        en = xmalloc(sizeof b2);
        memcpy(st, b1, sizeof b1);
        memcpy(en, b2, sizeof b2);
        ns = k1;
        ne = k2;
        if (k3 >= 0) {
            ax = xmalloc(sizeof b3);
            memcpy(ax, b3, sizeof b3);
            na = k3;
        }
    } else {
        if (!ox_has_in(c, 1) || !ox_has_in(c, 2))
            return ox_err(c, "inputs 'starts' and 'ends' are required");
        if (!ox_in_ints(c, 1, &present, &st, &ns) || !ox_in_ints(c, 2, &present, &en, &ne))
            goto out;
        if (!ox_in_ints(c, 3, &present, &ax, &na))
            goto out;
        if (!present)
            na = -1;
        if (!ox_in_ints(c, 4, &present, &sp, &nsp))
            goto out;
        if (!present)
            nsp = -1;
    }
    int64_t n = na >= 0 ? na : r;
    if (ns != n || ne != n || (nsp >= 0 && nsp != n)) {
        ox_err(c, "starts (%lld), ends (%lld)%s and axes (%lld) must have the same length", (long long)ns,
               (long long)ne, nsp >= 0 ? ", steps" : "", (long long)n);
        goto out;
    }
    if (n > r) {
        ox_err(c, "%lld axes for rank %d", (long long)n, r);
        goto out;
    }
    int64_t begin[IR_MAX_DIMS], step[IR_MAX_DIMS], shape[IR_MAX_DIMS];
    for (int i = 0; i < r; i++) {
        begin[i] = 0;
        step[i] = 1;
        shape[i] = t->shape[i];
    }
    uint32_t seen = 0;
    for (int64_t i = 0; i < n; i++) {
        int a;
        if (!ox_axis(c, na >= 0 ? ax[i] : i, r, "axis", &a))
            goto out;
        if (seen & (1u << a)) {
            ox_err(c, "axis %d is sliced twice", a);
            goto out;
        }
        seen |= 1u << a;
        int64_t s = nsp >= 0 ? sp[i] : 1;
        if (s == 0) {
            ox_err(c, "step 0 on axis %d", a);
            goto out;
        }
        int64_t dim = t->shape[a], cnt, b;
        slice_axis(dim, st[i], en[i], s, &b, &cnt);
        /* A step longer than the axis takes one element: keep it small. */
        if (s > dim && dim > 0)
            s = dim;
        if (s < -dim && dim > 0)
            s = -dim;
        begin[a] = b;
        step[a] = s;
        shape[a] = cnt;
    }
    int y;
    if (!ox_out(c, 0, t->dtype, r, shape, &y))
        goto out;
    int nd = ox_node(c, IR_OP_SLICE, 1, &x, 1, &y);
    for (int i = 0; i < r; i++) {
        c->g->nodes[nd].attr.begin[i] = begin[i];
        c->g->nodes[nd].attr.step[i] = step[i];
    }
    ok = true;
out:
    free(st);
    free(en);
    free(ax);
    free(sp);
    return ok;
}

/* ---- Split ------------------------------------------------------------------ */

bool ox_split(onnx_ctx *c)
{
    int x;
    int64_t axis;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "axis", 0, &axis))
        return false;
    const ir_tensor *t = ox_t(c, x);
    int r = t->rank, a;
    if (!ox_axis(c, axis, r, "axis", &a))
        return false;
    int nout = c->node->n_out;
    if (nout < 1)
        return ox_err(c, "Split has no outputs");
    int64_t dim = t->shape[a];
    int64_t *sizes = NULL, ns = -1;
    bool ok = false;
    if (c->node_opset < 13) {
        int64_t *buf = xmalloc((size_t)nout * sizeof *buf + 8);
        int k;
        const onnx_attr *sa = ox_attr(c, "split");
        if (sa && sa->n_ints > nout) {
            free(buf);
            return ox_err(c, "split has %d values for %d outputs", sa->n_ints, nout);
        }
        if (!ox_attr_ints(c, "split", buf, nout, &k)) {
            free(buf);
            return false;
        }
        sizes = buf;
        ns = k;
    } else {
        bool present;
        if (!ox_in_ints(c, 1, &present, &sizes, &ns))
            return false;
        if (!present)
            ns = -1;
    }
    int64_t num_outputs = -1;
    if (c->node_opset >= 18 && !ox_attr_int(c, "num_outputs", -1, &num_outputs))
        goto out;
    if (ns >= 0) {
        if (ns != nout) {
            ox_err(c, "split has %lld sizes for %d outputs", (long long)ns, nout);
            goto out;
        }
        int64_t sum = 0;
        for (int i = 0; i < nout; i++) {
            if (sizes[i] < 0 || sizes[i] > dim) {
                ox_err(c, "split size %lld", (long long)sizes[i]);
                goto out;
            }
            sum += sizes[i];
        }
        if (sum != dim) {
            ox_err(c, "split sizes add up to %lld, the axis has %lld", (long long)sum, (long long)dim);
            goto out;
        }
    } else {
        free(sizes);
        sizes = xmalloc((size_t)nout * sizeof *sizes);
        if (num_outputs >= 0 && num_outputs != nout) {
            ox_err(c, "num_outputs is %lld but the node has %d outputs", (long long)num_outputs, nout);
            goto out;
        }
        if (c->node_opset >= 18) {
            if (num_outputs < 0) {
                ox_err(c, "either the split input or the num_outputs attribute is required");
                goto out;
            }
            /* Equal chunks of ceil(dim/n); the last one takes what is left. */
            int64_t chunk = (dim + nout - 1) / nout;
            for (int i = 0; i < nout; i++)
                sizes[i] = i < nout - 1 ? chunk : dim - chunk * (nout - 1);
            if (sizes[nout - 1] < 0) {
                ox_err(c, "%lld elements cannot be split into %d chunks of %lld", (long long)dim, nout,
                       (long long)chunk);
                goto out;
            }
        } else {
            if (dim % nout) {
                ox_err(c, "axis of %lld elements does not split evenly into %d outputs", (long long)dim, nout);
                goto out;
            }
            for (int i = 0; i < nout; i++)
                sizes[i] = dim / nout;
        }
    }
    int64_t off = 0;
    c->out0_optional = true;
    for (int i = 0; i < nout; i++) {
        int64_t shape[IR_MAX_DIMS];
        t = ox_t(c, x);
        memcpy(shape, t->shape, sizeof shape);
        shape[a] = sizes[i];
        int y;
        if (!ox_out(c, i, t->dtype, r, shape, &y))
            goto out;
        if (y >= 0) {
            int nd = ox_node(c, IR_OP_SLICE, 1, &x, 1, &y);
            c->g->nodes[nd].attr.begin[a] = sizes[i] ? off : 0;
        }
        off += sizes[i];
    }
    ok = true;
out:
    free(sizes);
    return ok;
}

/* ---- Pad -------------------------------------------------------------------- */

bool ox_pad(onnx_ctx *c)
{
    int x;
    if (!ox_in(c, 0, &x))
        return false;
    const ir_tensor *t = ox_t(c, x);
    int r = t->rank;
    char mode[16];
    if (!ox_attr_str(c, "mode", "constant", mode, sizeof mode))
        return false;
    ir_pad_mode pm;
    if (!strcmp(mode, "constant"))
        pm = IR_PAD_CONSTANT;
    else if (!strcmp(mode, "reflect"))
        pm = IR_PAD_REFLECT;
    else if (!strcmp(mode, "edge"))
        pm = IR_PAD_EDGE;
    else if (!strcmp(mode, "wrap") && c->node_opset >= 19)
        pm = IR_PAD_WRAP;
    else
        return ox_unsupported(c, "Pad mode '%s'", mode);
    int64_t *pads = NULL, np = 0, *axes = NULL, na = -1;
    double value = 0;
    bool ok = false, present;
    if (c->node_opset < 11) {
        int64_t buf[4 * IR_MAX_DIMS];
        int k;
        float v;
        if (!ox_attr_ints(c, "pads", buf, 4 * IR_MAX_DIMS, &k) || !ox_attr_float(c, "value", 0.0f, &v))
            return false;
        if (k < 0)
            return ox_err(c, "attribute 'pads' is required");
        pads = xmalloc(sizeof buf);
        memcpy(pads, buf, sizeof buf);
        np = k;
        value = v;
    } else {
        if (!ox_has_in(c, 1))
            return ox_err(c, "input 'pads' is required");
        if (!ox_in_ints(c, 1, &present, &pads, &np))
            return false;
        if (ox_has_in(c, 2)) {
            int vt;
            double *dv;
            int64_t nv;
            if (!ox_in_const(c, 2, &vt) || !ox_const_f64(c, vt, &dv, &nv))
                goto out;
            if (nv != 1) {
                free(dv);
                ox_err(c, "constant_value must be a scalar (it has %lld values)", (long long)nv);
                goto out;
            }
            value = dv[0];
            free(dv);
        }
        if (c->node_opset >= 18) {
            if (!ox_in_ints(c, 3, &present, &axes, &na))
                goto out;
            if (!present)
                na = -1;
        }
    }
    t = ox_t(c, x);
    int64_t n = na >= 0 ? na : r;
    if (np != 2 * n) {
        ox_err(c, "pads has %lld values, %lld expected", (long long)np, (long long)(2 * n));
        goto out;
    }
    if (n > r) {
        ox_err(c, "%lld axes for rank %d", (long long)n, r);
        goto out;
    }
    int64_t begin[IR_MAX_DIMS] = {0}, end[IR_MAX_DIMS] = {0}, shape[IR_MAX_DIMS];
    uint32_t seen = 0;
    for (int64_t i = 0; i < n; i++) {
        int a;
        if (!ox_axis(c, na >= 0 ? axes[i] : i, r, "axis", &a))
            goto out;
        if (seen & (1u << a)) {
            ox_err(c, "axis %d is padded twice", a);
            goto out;
        }
        seen |= 1u << a;
        begin[a] = pads[i];
        end[a] = pads[n + i];
    }
    for (int i = 0; i < r; i++) {
        int64_t d = t->shape[i], b = begin[i], e = end[i];
        if (b < -d || e < -d || b > ((int64_t)1 << 31) || e > ((int64_t)1 << 31) || d + b + e < 0) {
            ox_err(c, "pads %lld, %lld on axis %d of size %lld", (long long)b, (long long)e, i, (long long)d);
            goto out;
        }
        if ((pm == IR_PAD_REFLECT && (b > 0 || e > 0) && (b > d - 1 || e > d - 1)) ||
            ((pm == IR_PAD_EDGE || pm == IR_PAD_WRAP) && (b > 0 || e > 0) && d == 0) ||
            (pm == IR_PAD_WRAP && (b > d || e > d))) {
            ox_unsupported(c, "%s padding of %lld, %lld on axis %d of size %lld", mode, (long long)b, (long long)e,
                           i, (long long)d);
            goto out;
        }
        shape[i] = d + b + e;
    }
    int y;
    if (!ox_out(c, 0, t->dtype, r, shape, &y))
        goto out;
    int nd = ox_node(c, IR_OP_PAD, 1, &x, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    for (int i = 0; i < r; i++) {
        a->begin[i] = begin[i];
        a->end[i] = end[i];
    }
    a->pad_mode = pm;
    a->pad_value = value;
    ok = true;
out:
    free(pads);
    free(axes);
    return ok;
}

/* ---- ReduceMean ----------------------------------------------------------- */

/* ReduceMax / ReduceMin of bools (any / all) as the float reduction of the
 * values 0 and 1, then > 0.5: exact, and an empty set gives ONNX's
 * identities (max -inf -> false, min +inf -> true). */
static bool reduce_bool(onnx_ctx *c, ir_op op, int x, uint32_t mask, int yr, const int64_t *yshape)
{
    int64_t xshape[IR_MAX_DIMS];
    const int xr = ox_t(c, x)->rank;
    memcpy(xshape, ox_t(c, x)->shape, sizeof xshape);
    int xf, rf, half, y;
    const float h = 0.5f;
    const int64_t one[1] = {1};
    if (!ox_tmp(c, "as_float", IR_DT_F32, xr, xshape, &xf))
        return false;
    ox_node(c, IR_OP_CAST, 1, &x, 1, &xf);
    if (!ox_tmp(c, "reduced", IR_DT_F32, yr, yshape, &rf))
        return false;
    const int nd = ox_node(c, op, 1, &xf, 1, &rf);   /* may move c->g->nodes */
    c->g->nodes[nd].attr.axes_mask = mask;
    if (!ox_const(c, "half", IR_DT_F32, 0, one, &h, sizeof h, &half) || !ox_out(c, 0, IR_DT_BOOL, yr, yshape, &y))
        return false;
    const int in[2] = {rf, half};
    ox_node(c, IR_OP_GREATER, 2, in, 1, &y);
    return true;
}

/* Every Reduce op: axes from the attribute (before opset `since`) or input
 * 1 (from it, with noop_with_empty_axes), keepdims. */
bool ox_reduce(onnx_ctx *c, ir_op op, int since)
{
    int x, n;
    int64_t axes[IR_MAX_DIMS * 2], keepdims, noop;
    if (!ox_in(c, 0, &x) || !axes_operand(c, since, 1, axes, &n) || !ox_attr_int(c, "keepdims", 1, &keepdims) ||
        !ox_attr_int(c, "noop_with_empty_axes", 0, &noop))
        return false;
    const ir_tensor *t = ox_t(c, x);
    const bool any_all = t->dtype == IR_DT_BOOL && (op == IR_OP_REDUCE_MAX || op == IR_OP_REDUCE_MIN);
    if (t->dtype != IR_DT_F32 && t->dtype != IR_DT_F16 && t->dtype != IR_DT_F64 && !any_all)
        return ox_unsupported(c, "%s on %s tensors (float only)", c->op_name, ir_dtype_name(t->dtype));
    int r = t->rank;
    uint32_t mask;
    if (n <= 0) {
        if (noop && c->node_opset >= since)
            return ox_alias_out(c, 0, x);
        mask = r ? (uint32_t)((1u << r) - 1) : 0;
    } else if (!axes_mask(c, axes, n, r, &mask)) {
        return false;
    }
    int64_t shape[IR_MAX_DIMS];
    int yr = 0;
    for (int i = 0; i < r; i++) {
        if (mask & (1u << i)) {
            if (keepdims)
                shape[yr++] = 1;
        } else {
            shape[yr++] = t->shape[i];
        }
    }
    if (any_all)
        return reduce_bool(c, op, x, mask, yr, shape);
    int y;
    if (!ox_out(c, 0, t->dtype, yr, shape, &y))
        return false;
    int nd = ox_node(c, op, 1, &x, 1, &y);
    c->g->nodes[nd].attr.axes_mask = mask;
    return true;
}

bool ox_reduce_mean(onnx_ctx *c)
{
    return ox_reduce(c, IR_OP_REDUCE_MEAN, 18);
}

/* ---- Constant, Cast ----------------------------------------------------------- */

bool ox_constant(onnx_ctx *c)
{
    static const char *const forms[] = {"value", "value_float", "value_floats", "value_int", "value_ints",
                                        "value_string", "value_strings", "sparse_value"};
    const onnx_attr *a = NULL;
    int which = -1;
    for (int i = 0; i < 8; i++) {
        const onnx_attr *f = ox_attr(c, forms[i]);
        if (!f)
            continue;
        if (a)
            return ox_err(c, "more than one value attribute");
        a = f;
        which = i;
    }
    if (!a)
        return ox_err(c, "no value attribute");
    if (which >= 5)
        return ox_unsupported(c, "Constant with attribute '%s'", forms[which]);
    if (a->has_ref)
        return ox_unsupported(c, "attribute refers to a function attribute");
    ir_dtype dt;
    int rank = 0;
    int64_t shape[IR_MAX_DIMS];
    void *data = NULL;
    size_t nbytes = 0;
    if (which == 0) {
        if (!a->t)
            return ox_err(c, "attribute 'value' holds no tensor");
        char msg[512];
        if (!ox_dtype(c, a->t->data_type, &dt, "the constant"))
            return false;
        if (a->t->n_dims > IR_MAX_DIMS)
            return ox_unsupported(c, "a constant of rank %d", a->t->n_dims);
        if (!onnx_tensor_load(a->t, c->dir, &data, &nbytes, msg, sizeof msg))
            return ox_err(c, "%s", msg);
        rank = a->t->n_dims;
        for (int i = 0; i < rank; i++)
            shape[i] = a->t->dims[i];
    } else if (which == 1 || which == 3) {
        if ((which == 1 && !a->has_f) || (which == 3 && !a->has_i))
            return ox_err(c, "attribute '%s' holds no value", forms[which]);
        dt = which == 1 ? IR_DT_F32 : IR_DT_S64;
        nbytes = which == 1 ? 4 : 8;
        data = xmalloc(nbytes);
        if (which == 1)
            memcpy(data, &a->f, 4);
        else
            memcpy(data, &a->i, 8);
    } else {
        int n = which == 2 ? a->n_floats : a->n_ints;
        dt = which == 2 ? IR_DT_F32 : IR_DT_S64;
        rank = 1;
        shape[0] = n;
        nbytes = (size_t)n * (which == 2 ? 4 : 8);
        data = xmalloc(nbytes ? nbytes : 1);
        if (n)
            memcpy(data, which == 2 ? (const void *)a->floats : (const void *)a->ints, nbytes);
    }
    int y;
    if (!ox_out(c, 0, dt, rank, shape, &y)) {
        free(data);
        return false;
    }
    if (y < 0) {
        free(data);
        return true;
    }
    ir_tensor *ty = ox_t(c, y);
    ty->data = data;
    ty->nbytes = nbytes;
    return true;
}

/* ConstantOfShape: the shape must be known now, so the result is a
 * constant (PyTorch's quantized export makes int32 zero points this way).
 * Held in memory like any constant, hence the size cap. */
#define CONST_FILL_MAX_BYTES ((size_t)64 << 20)

bool ox_constant_of_shape(onnx_ctx *c)
{
    bool present;
    int64_t *dims, n;
    if (!ox_in_ints(c, 0, &present, &dims, &n))
        return false;
    if (!present)
        return ox_err(c, "input 'input' (the shape) is required");
    bool ok = false;
    void *data = NULL;
    int64_t shape[IR_MAX_DIMS];
    ir_dtype dt = IR_DT_F32;
    uint8_t one[8] = {0};   /* the fill value's bytes; float 0 by default */
    size_t es = 4;
    if (n > IR_MAX_DIMS) {
        ox_unsupported(c, "an output of rank %lld (Kiln supports up to %d)", (long long)n, IR_MAX_DIMS);
        goto out;
    }
    for (int64_t i = 0; i < n; i++)
        shape[i] = dims[i];
    const onnx_attr *a = ox_attr(c, "value");
    if (a) {
        char msg[512];
        void *v = NULL;
        size_t vb = 0;
        if (!a->t) {
            ox_err(c, "attribute 'value' holds no tensor");
            goto out;
        }
        if (!ox_dtype(c, a->t->data_type, &dt, "the value"))
            goto out;
        if (!onnx_tensor_load(a->t, c->dir, &v, &vb, msg, sizeof msg)) {
            ox_err(c, "%s", msg);
            goto out;
        }
        es = ir_dtype_size(dt);
        if (vb != es || es > sizeof one) {
            free(v);
            ox_err(c, "attribute 'value' must hold exactly one element (it holds %zu bytes of %s)", vb,
                   ir_dtype_name(dt));
            goto out;
        }
        memcpy(one, v, es);
        free(v);
    }
    if (!ox_check_shape(c, "the output", (int)n, shape))
        goto out;
    int64_t count = ox_numel((int)n, shape);
    if ((size_t)count > CONST_FILL_MAX_BYTES / es) {
        ox_unsupported(c, "an output of %lld elements (more than %zu bytes held as a constant)", (long long)count,
                       CONST_FILL_MAX_BYTES);
        goto out;
    }
    data = xmalloc((size_t)count * es + 1);
    for (int64_t i = 0; i < count; i++)
        memcpy((uint8_t *)data + (size_t)i * es, one, es);
    int y;
    if (!ox_out(c, 0, dt, (int)n, shape, &y))
        goto out;
    ox_t(c, y)->data = data;
    ox_t(c, y)->nbytes = (size_t)count * es;
    data = NULL;
    ok = true;
out:
    free(data);
    free(dims);
    return ok;
}

bool ox_cast(onnx_ctx *c)
{
    int x;
    int64_t to;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "to", 0, &to))
        return false;
    if (!ox_attr(c, "to"))
        return ox_err(c, "attribute 'to' is required");
    ir_dtype dt;
    if (to < INT32_MIN || to > INT32_MAX || !ox_dtype(c, (int32_t)to, &dt, "the target type"))
        return to < INT32_MIN || to > INT32_MAX ? ox_err(c, "attribute 'to' = %lld", (long long)to) : false;
    const ir_tensor *t = ox_t(c, x);
    if (t->dtype == dt)
        return ox_alias_out(c, 0, x);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    int y;
    if (!ox_out(c, 0, dt, t->rank, shape, &y))
        return false;
    ox_node(c, IR_OP_CAST, 1, &x, 1, &y);
    return true;
}
