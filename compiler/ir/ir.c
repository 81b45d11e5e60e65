/*
 * ir.c - building, querying, checking and printing IR graphs.
 *
 * Everything here is format-neutral: importers call the builders, passes the
 * queries.  ir_verify() states the contract of ir.h in code; every importer's
 * result goes through it before any pass sees the graph.
 */
#include "ir/ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"
#include "util/term.h"

static const char *const op_names[IR_OP_COUNT] = {
#define IR_OP(name, str) str,
#include "ir_ops.def"
#undef IR_OP
};

const char *ir_op_name(ir_op op)
{
    return (op >= 0 && op < IR_OP_COUNT) ? op_names[op] : "?";
}

const char *ir_dtype_name(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_F32: return "float32";
    case IR_DT_S8: return "int8";
    case IR_DT_U8: return "uint8";
    case IR_DT_S16: return "int16";
    case IR_DT_S32: return "int32";
    case IR_DT_S64: return "int64";
    case IR_DT_U16: return "uint16";
    case IR_DT_U32: return "uint32";
    case IR_DT_BOOL: return "bool";
    case IR_DT_U64: return "uint64";
    case IR_DT_F16: return "float16";
    case IR_DT_F64: return "float64";
    default: return "undefined";
    }
}

size_t ir_dtype_size(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_S8: case IR_DT_U8: case IR_DT_BOOL: return 1;
    case IR_DT_S16: case IR_DT_U16: case IR_DT_F16: return 2;
    case IR_DT_F32: case IR_DT_S32: case IR_DT_U32: return 4;
    case IR_DT_S64: case IR_DT_U64: case IR_DT_F64: return 8;
    default: return 0;
    }
}

bool ir_checked_numel(const ir_tensor *t, uint64_t *n)
{
    uint64_t v = 1;
    bool zero = false;
    for (int i = 0; i < t->rank && i < IR_MAX_DIMS; i++) {
        if (t->shape[i] < 0) {
            *n = UINT64_MAX;
            return false;
        }
        zero |= t->shape[i] == 0;
    }
    if (zero) {         /* an empty tensor, however large its other dimensions */
        *n = 0;
        return true;
    }
    for (int i = 0; i < t->rank && i < IR_MAX_DIMS; i++) {
        const uint64_t d = (uint64_t)t->shape[i];
        if (v > UINT64_MAX / d) {
            *n = UINT64_MAX;
            return false;
        }
        v *= d;
    }
    *n = v;
    return true;
}

bool ir_checked_nbytes(const ir_tensor *t, uint64_t *bytes)
{
    uint64_t n;
    const uint64_t es = ir_dtype_size(t->dtype);
    if (!ir_checked_numel(t, &n) || (es && n > UINT64_MAX / es)) {
        *bytes = UINT64_MAX;
        return false;
    }
    *bytes = n * es;
    return true;
}

int64_t ir_numel(const ir_tensor *t)
{
    /* The plain product (negative when a dimension is, as importers expect
     * of an unknown one), saturated instead of overflowing. */
    for (int i = 0; i < t->rank && i < IR_MAX_DIMS; i++)
        if (t->shape[i] == 0)
            return 0;
    uint64_t mag = 1;
    bool neg = false, sat = false;
    for (int i = 0; i < t->rank && i < IR_MAX_DIMS; i++) {
        const int64_t d = t->shape[i];
        const uint64_t m = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
        neg ^= d < 0;
        if (sat || mag > (uint64_t)INT64_MAX / m)
            sat = true;
        else
            mag *= m;
    }
    if (sat)
        return neg ? INT64_MIN : INT64_MAX;
    return neg ? -(int64_t)mag : (int64_t)mag;
}

size_t ir_nbytes(const ir_tensor *t)
{
    uint64_t b;
    if (!ir_checked_nbytes(t, &b) || b > (uint64_t)SIZE_MAX)
        return SIZE_MAX;
    return (size_t)b;
}

int *ir_use_counts(const ir_graph *g)
{
    int *uses = xcalloc((size_t)g->n_tensors + 1, sizeof *uses);
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_in; k++)
            if (g->nodes[n].in[k] >= 0)
                uses[g->nodes[n].in[k]]++;
    for (int i = 0; i < g->n_outputs; i++)
        uses[g->outputs[i]]++;
    return uses;
}

ir_graph *ir_new(const char *name)
{
    ir_graph *g = xcalloc(1, sizeof *g);
    g->name = xstrdup(name ? name : "net");
    g->source = xstrdup("");
    return g;
}

static void free_tensor(ir_tensor *t)
{
    free(t->name);
    free(t->data);
    free(t->q.scale);
    free(t->q.zero_point);
}

void ir_free(ir_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_tensors; i++)
        free_tensor(&g->tensors[i]);
    for (int i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].src_op);
        free(g->nodes[i].in);
        free(g->nodes[i].out);
    }
    free(g->tensors);
    free(g->nodes);
    free(g->inputs);
    free(g->input_src);
    free(g->outputs);
    free(g->name);
    free(g->source);
    free(g);
}

int ir_add_tensor(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape)
{
    if (g->n_tensors == g->cap_tensors) {
        g->cap_tensors = g->cap_tensors ? 2 * g->cap_tensors : 64;
        g->tensors = xrealloc(g->tensors, (size_t)g->cap_tensors * sizeof *g->tensors);
    }
    ir_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name ? name : "");
    t->dtype = dt;
    t->rank = rank;
    for (int i = 0; i < rank && i < IR_MAX_DIMS; i++)
        t->shape[i] = shape[i];
    t->producer = -1;
    return g->n_tensors++;
}

int ir_add_const(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                 const void *data, size_t nbytes)
{
    int i = ir_add_tensor(g, name, dt, rank, shape);
    ir_tensor *t = &g->tensors[i];
    t->data = xmalloc(nbytes ? nbytes : 1);
    if (nbytes)
        memcpy(t->data, data, nbytes);
    t->nbytes = nbytes;
    return i;
}

bool ir_same_quant(const ir_tensor *a, const ir_tensor *b)
{
    if (a->q.n != b->q.n || (a->q.n > 1 && a->q.axis != b->q.axis))
        return false;
    for (int i = 0; i < a->q.n; i++)
        if (a->q.scale[i] != b->q.scale[i] || a->q.zero_point[i] != b->q.zero_point[i])
            return false;
    return true;
}

bool ir_same_type_quant(const ir_tensor *a, const ir_tensor *b)
{
    return a->dtype == b->dtype && ir_same_quant(a, b);
}

void ir_set_quant(ir_graph *g, int ti, int n, int axis, const float *scale, const int32_t *zp)
{
    ir_tensor *t = &g->tensors[ti];
    free(t->q.scale);
    free(t->q.zero_point);
    t->q.n = n;
    t->q.axis = axis;
    t->q.scale = NULL;
    t->q.zero_point = NULL;
    if (n > 0) {
        t->q.scale = xmalloc((size_t)n * sizeof(float));
        t->q.zero_point = xmalloc((size_t)n * sizeof(int32_t));
        memcpy(t->q.scale, scale, (size_t)n * sizeof(float));
        if (zp)
            memcpy(t->q.zero_point, zp, (size_t)n * sizeof(int32_t));
        else
            memset(t->q.zero_point, 0, (size_t)n * sizeof(int32_t));
    }
}

void ir_attr_init(ir_attr *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < IR_MAX_SPATIAL; i++) {
        a->conv.kernel[i] = 1;
        a->conv.stride[i] = 1;
        a->conv.dilation[i] = 1;
    }
    a->conv.group = 1;
    a->act.lo = -INFINITY;
    a->act.hi = INFINITY;
    a->beta = 1.0f;
    a->resize.cubic_a = -0.75f;
    for (int i = 0; i < IR_MAX_DIMS; i++) {
        a->perm[i] = i;
        a->step[i] = 1;
        a->resize.scale[i] = 1.0;
        a->resize.roi_end[i] = 1.0;
    }
}

int ir_add_node(ir_graph *g, ir_op op, const char *name, const char *src_op, int src_index,
                int n_in, const int *in, int n_out, const int *out)
{
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 64;
        g->nodes = xrealloc(g->nodes, (size_t)g->cap_nodes * sizeof *g->nodes);
    }
    int idx = g->n_nodes++;
    ir_node *n = &g->nodes[idx];
    memset(n, 0, sizeof *n);
    n->name = xstrdup(name ? name : "");
    n->src_op = xstrdup(src_op ? src_op : ir_op_name(op));
    n->src_index = src_index;
    n->op = op;
    n->n_in = n_in;
    n->n_out = n_out;
    n->in = xmalloc((size_t)(n_in ? n_in : 1) * sizeof(int));
    n->out = xmalloc((size_t)(n_out ? n_out : 1) * sizeof(int));
    for (int i = 0; i < n_in; i++)
        n->in[i] = in[i];
    for (int i = 0; i < n_out; i++) {
        n->out[i] = out[i];
        if (out[i] >= 0)
            g->tensors[out[i]].producer = idx;
    }
    ir_attr_init(&n->attr);
    return idx;
}

static void push_index(int **list, int *n, int v)
{
    *list = xrealloc(*list, (size_t)(*n + 1) * sizeof(int));
    (*list)[(*n)++] = v;
}

void ir_mark_input(ir_graph *g, int t, int src_pos)
{
    int n = g->n_inputs;
    g->tensors[t].is_input = true;
    push_index(&g->inputs, &g->n_inputs, t);
    push_index(&g->input_src, &n, src_pos);
}

void ir_mark_output(ir_graph *g, int t)
{
    g->tensors[t].is_output = true;
    push_index(&g->outputs, &g->n_outputs, t);
}

/* The IR_MAX_ELEMENTS / IR_MAX_BYTES limits of ir.h, with a message that
 * names the tensor, its shape and what it would take. */
static bool size_in_range(const ir_tensor *t, char *err, size_t errlen)
{
    if (t->rank < 0 || t->rank > IR_MAX_DIMS)
        return true;    /* ir_verify's rank and dimension checks say what is wrong */
    for (int d = 0; d < t->rank; d++)
        if (t->shape[d] < 0)
            return true;
    uint64_t n, bytes;
    const bool fits64 = ir_checked_numel(t, &n) && ir_checked_nbytes(t, &bytes);
    bool dims_ok = true;
    for (int d = 0; d < t->rank; d++)
        dims_ok &= t->shape[d] <= IR_MAX_ELEMENTS;
    if (fits64 && dims_ok && n <= (uint64_t)IR_MAX_ELEMENTS && bytes <= IR_MAX_BYTES)
        return true;
    char shape[160] = "";
    size_t at = 0;
    for (int d = 0; d < t->rank && at < sizeof shape; d++)
        at += (size_t)snprintf(shape + at, sizeof shape - at, "%s%lld", d ? "," : "",
                               (long long)t->shape[d]);
    char what[96];
    if (fits64)
        snprintf(what, sizeof what, "%llu elements, %llu bytes", (unsigned long long)n,
                 (unsigned long long)bytes);
    else
        snprintf(what, sizeof what, "more elements than 64 bits can count");
    snprintf(err, errlen,
             "tensor '%s' %s[%s] is too large (%s): the generated code holds dimensions and element "
             "counts in int32 and byte sizes in uint32, so a tensor may have at most %lld elements "
             "and %llu bytes", t->name, ir_dtype_name(t->dtype), shape, what, IR_MAX_ELEMENTS,
             IR_MAX_BYTES);
    return false;
}

bool ir_check_sizes(const ir_graph *g, char *err, size_t errlen)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (!size_in_range(&g->tensors[i], err, errlen))
            return false;
    return true;
}

bool ir_verify(const ir_graph *g, char *err, size_t errlen)
{
    char *defined = xcalloc((size_t)g->n_tensors + 1, 1);
    bool ok = false;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dtype == IR_DT_UNDEF || ir_dtype_size(t->dtype) == 0) {
            snprintf(err, errlen, "tensor '%s' has no element type", t->name);
            goto out;
        }
        if (t->rank < 0 || t->rank > IR_MAX_DIMS) {
            snprintf(err, errlen, "tensor '%s' has rank %d (at most %d supported)", t->name, t->rank,
                     IR_MAX_DIMS);
            goto out;
        }
        for (int d = 0; d < t->rank; d++)
            if (t->shape[d] < 0) {
                snprintf(err, errlen, "tensor '%s' has an unknown or negative dimension %d", t->name,
                         d);
                goto out;
            }
        if (t->data && t->nbytes != ir_nbytes(t)) {
            snprintf(err, errlen, "constant '%s' holds %zu bytes but its shape needs %zu", t->name,
                     t->nbytes, ir_nbytes(t));
            goto out;
        }
        if (t->q.n > 1 && (t->q.axis < 0 || t->q.axis >= t->rank || t->shape[t->q.axis] != t->q.n)) {
            snprintf(err, errlen, "tensor '%s' has %d per-channel scales on axis %d that do not match its shape",
                     t->name, t->q.n, t->q.axis);
            goto out;
        }
        if (t->data || t->is_input || t->is_state)
            defined[i] = 1;
    }
    if (!ir_check_sizes(g, err, errlen))
        goto out;
    for (int n = 0; n < g->n_nodes; n++) {
        const ir_node *nd = &g->nodes[n];
        for (int k = 0; k < nd->n_in; k++) {
            int ti = nd->in[k];
            if (ti < -1 || ti >= g->n_tensors) {
                snprintf(err, errlen, "node '%s' (%s): input %d refers to no tensor", nd->name,
                         nd->src_op, k);
                goto out;
            }
            if (ti >= 0 && !defined[ti]) {
                snprintf(err, errlen,
                         "node '%s' (%s): input '%s' is used before it is produced (graph not in topological order?)",
                         nd->name, nd->src_op, g->tensors[ti].name);
                goto out;
            }
        }
        for (int k = 0; k < nd->n_out; k++) {
            int ti = nd->out[k];
            if (ti < -1 || ti >= g->n_tensors) {
                snprintf(err, errlen, "node '%s' (%s): output %d refers to no tensor", nd->name,
                         nd->src_op, k);
                goto out;
            }
            if (ti >= 0) {
                if (defined[ti]) {
                    snprintf(err, errlen, "node '%s' (%s): tensor '%s' is produced twice", nd->name,
                             nd->src_op, g->tensors[ti].name);
                    goto out;
                }
                defined[ti] = 1;
            }
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (!defined[g->outputs[i]]) {
            snprintf(err, errlen, "graph output '%s' is never produced", g->tensors[g->outputs[i]].name);
            goto out;
        }
    ok = true;
out:
    free(defined);
    return ok;
}

void ir_compact(ir_graph *g)
{
    /* Mark live tensors backwards from the outputs. */
    char *live_t = xcalloc((size_t)g->n_tensors + 1, 1);
    char *live_n = xcalloc((size_t)g->n_nodes + 1, 1);
    for (int i = 0; i < g->n_outputs; i++)
        live_t[g->outputs[i]] = 1;
    for (int i = 0; i < g->n_inputs; i++)
        live_t[g->inputs[i]] = 1;
    for (int n = g->n_nodes - 1; n >= 0; n--) {
        ir_node *nd = &g->nodes[n];
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0 && live_t[nd->out[k]])
                live_n[n] = 1;
        if (!live_n[n])
            continue;
        for (int k = 0; k < nd->n_in; k++)
            if (nd->in[k] >= 0)
                live_t[nd->in[k]] = 1;
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0)
                live_t[nd->out[k]] = 1;
    }
    int *remap = xmalloc((size_t)(g->n_tensors + 1) * sizeof(int));
    int nt = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        if (live_t[i]) {
            remap[i] = nt;
            g->tensors[nt++] = g->tensors[i];
        } else {
            remap[i] = -1;
            free_tensor(&g->tensors[i]);
        }
    }
    g->n_tensors = nt;
    int nn = 0;
    for (int n = 0; n < g->n_nodes; n++) {
        ir_node *nd = &g->nodes[n];
        if (!live_n[n]) {
            free(nd->name);
            free(nd->src_op);
            free(nd->in);
            free(nd->out);
            continue;
        }
        for (int k = 0; k < nd->n_in; k++)
            if (nd->in[k] >= 0)
                nd->in[k] = remap[nd->in[k]];
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0)
                nd->out[k] = remap[nd->out[k]];
        g->nodes[nn++] = *nd;
    }
    g->n_nodes = nn;
    for (int i = 0; i < g->n_inputs; i++)
        g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i] = remap[g->outputs[i]];
    for (int i = 0; i < g->n_tensors; i++)
        g->tensors[i].producer = -1;
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_out; k++)
            if (g->nodes[n].out[k] >= 0)
                g->tensors[g->nodes[n].out[k]].producer = n;
    free(remap);
    free(live_t);
    free(live_n);
}

static void dump_tensor(const ir_graph *g, int ti, sbuf *out)
{
    if (ti < 0) {
        sb_printf(out, "-");
        return;
    }
    const ir_tensor *t = &g->tensors[ti];
    sbuf nm = {0};
    sb_printf(out, "%s%s:%s[", t->data ? "#" : "%", term_name(&nm, t->name), ir_dtype_name(t->dtype));
    sb_free(&nm);
    for (int d = 0; d < t->rank; d++)
        sb_printf(out, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    sb_printf(out, "]");
    if (t->q.n == 1)
        sb_printf(out, "{s=%g,zp=%d}", (double)t->q.scale[0], t->q.zero_point[0]);
    else if (t->q.n > 1)
        sb_printf(out, "{per-channel x%d axis %d}", t->q.n, t->q.axis);
}

void ir_dump(const ir_graph *g, sbuf *out)
{
    sbuf nm = {0}, src = {0};
    sb_printf(out, "graph %s (%s): %d nodes, %d tensors\n", term_name(&nm, g->name), term_name(&src, g->source), g->n_nodes,
              g->n_tensors);
    for (int i = 0; i < g->n_inputs; i++) {
        sb_printf(out, "  input  ");
        dump_tensor(g, g->inputs[i], out);
        sb_printf(out, "\n");
    }
    for (int n = 0; n < g->n_nodes; n++) {
        const ir_node *nd = &g->nodes[n];
        sb_printf(out, "  %3d %-14s %s (", n, ir_op_name(nd->op), term_name(&nm, nd->name));
        for (int k = 0; k < nd->n_in; k++) {
            if (k)
                sb_printf(out, ", ");
            dump_tensor(g, nd->in[k], out);
        }
        sb_printf(out, ") -> ");
        for (int k = 0; k < nd->n_out; k++) {
            if (k)
                sb_printf(out, ", ");
            dump_tensor(g, nd->out[k], out);
        }
        if (nd->attr.act.on)
            sb_printf(out, " act[%g,%g]", (double)nd->attr.act.lo, (double)nd->attr.act.hi);
        sb_printf(out, "\n");
    }
    for (int i = 0; i < g->n_outputs; i++) {
        sb_printf(out, "  output ");
        dump_tensor(g, g->outputs[i], out);
        sb_printf(out, "\n");
    }
    sb_free(&nm);
    sb_free(&src);
}
