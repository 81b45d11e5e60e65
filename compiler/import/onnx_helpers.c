/*
 * onnx_helpers.c - the ONNX importer's shared helpers: messages, attribute
 * and input access, compile-time values (freezing graph inputs), tensor and
 * node creation, broadcasting.
 *
 * Relies on the decoded model (onnx_model.h) and ir.c's builders.  Every
 * value read from the model is range-checked here before a handler sees it;
 * the helpers never print and never abort on bad input.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "util/hash.h"
#include "util/sbuf.h"

#define MAX_DIM ((int64_t)1 << 31)          /* any one dimension */
#define MAX_BYTES ((int64_t)1 << 40)        /* any one tensor */

/* ---- errors ------------------------------------------------------------- */

static void where(onnx_ctx *c, char *buf, size_t n)
{
    bool named = c->node_name && c->node_name[0];
    snprintf(buf, n, "%s: node %d%s%s%s (%s, %s opset %d)", c->path, c->node_index, named ? " '" : "",
             named ? c->node_name : "", named ? "'" : "", c->op_name ? c->op_name : "?",
             c->domain && c->domain[0] ? c->domain : "ai.onnx", c->node_opset);
}

bool ox_err(onnx_ctx *c, const char *fmt, ...)
{
    char w[512], msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->node) {
        where(c, w, sizeof w);
        snprintf(c->err, c->errlen, "%s: %s", w, msg);
    } else {
        snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
    }
    return false;
}

bool ox_unsupported(onnx_ctx *c, const char *fmt, ...)
{
    char w[512], msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    where(c, w, sizeof w);
    snprintf(c->err, c->errlen, "%s: unsupported: %s (`kiln supported-ops` lists what Kiln compiles)", w, msg);
    return false;
}

/* ---- names -------------------------------------------------------------- */

static size_t slot(const ox_names *m, const char *key)
{
    size_t h = (size_t)fnv64_str(FNV64_INIT, key);
    size_t i = h & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

int ox_lookup(const onnx_ctx *c, const char *name)
{
    const ox_names *m = &c->names;
    if (!m->cap)
        return -1;
    size_t i = slot(m, name);
    return m->keys[i] ? m->vals[i] : -1;
}

void ox_bind(onnx_ctx *c, const char *name, int t)
{
    ox_names *m = &c->names;
    if (2 * (m->n + 1) > m->cap) {
        ox_names old = *m;
        m->cap = old.cap ? 2 * old.cap : 64;
        m->keys = xcalloc(m->cap, sizeof *m->keys);
        m->vals = xcalloc(m->cap, sizeof *m->vals);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                size_t j = slot(m, old.keys[i]);
                m->keys[j] = old.keys[i];
                m->vals[j] = old.vals[i];
                m->n++;
            }
        free(old.keys);
        free(old.vals);
    }
    size_t i = slot(m, name);
    if (!m->keys[i]) {
        m->keys[i] = xstrdup(name);
        m->n++;
    }
    m->vals[i] = t;
}

void ox_names_free(ox_names *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- attributes --------------------------------------------------------- */

const onnx_attr *ox_attr(const onnx_ctx *c, const char *name)
{
    const onnx_attr *found = NULL;
    for (int i = 0; i < c->node->n_attr; i++)
        if (onnx_str_eq(c->node->attr[i].name, name))
            found = &c->node->attr[i];     /* the last one wins, as protobuf merges */
    return found;
}

static bool type_ok(onnx_ctx *c, const onnx_attr *a, int want, bool has)
{
    if (a->has_ref)
        return ox_unsupported(c, "attribute '%.*s' refers to a function attribute", (int)a->name.len,
                              (const char *)a->name.p);
    if ((a->type != ONNX_ATTR_UNDEFINED && a->type != want) || (a->type == ONNX_ATTR_UNDEFINED && !has)) {
        static const char *const tn[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH",
                                         "FLOATS", "INTS", "STRINGS", "TENSORS", "GRAPHS",
                                         "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};
        return ox_err(c, "attribute '%.*s' has type %s, expected %s", (int)a->name.len,
                      (const char *)a->name.p, a->type >= 0 && a->type <= 14 ? tn[a->type] : "?", tn[want]);
    }
    return true;
}

bool ox_attr_int(onnx_ctx *c, const char *name, int64_t def, int64_t *v)
{
    const onnx_attr *a = ox_attr(c, name);
    *v = def;
    if (!a)
        return true;
    if (!type_ok(c, a, ONNX_ATTR_INT, a->has_i))
        return false;
    *v = a->i;
    return true;
}

bool ox_attr_float(onnx_ctx *c, const char *name, float def, float *v)
{
    const onnx_attr *a = ox_attr(c, name);
    *v = def;
    if (!a)
        return true;
    if (!type_ok(c, a, ONNX_ATTR_FLOAT, a->has_f))
        return false;
    *v = a->f;
    return true;
}

bool ox_attr_str(onnx_ctx *c, const char *name, const char *def, char *buf, size_t n)
{
    const onnx_attr *a = ox_attr(c, name);
    if (!a) {
        snprintf(buf, n, "%s", def);
        return true;
    }
    if (!type_ok(c, a, ONNX_ATTR_STRING, a->has_s))
        return false;
    if (a->s.len >= n || (a->s.len && memchr(a->s.p, 0, a->s.len)))
        return ox_unsupported(c, "attribute '%s' has an unexpected value (%zu bytes)", name, a->s.len);
    if (a->s.len)
        memcpy(buf, a->s.p, a->s.len);
    buf[a->s.len] = 0;
    return true;
}

bool ox_attr_ints(onnx_ctx *c, const char *name, int64_t *buf, int max, int *n)
{
    const onnx_attr *a = ox_attr(c, name);
    *n = -1;
    if (!a)
        return true;
    if (!type_ok(c, a, ONNX_ATTR_INTS, a->n_ints > 0 || (!a->has_i && !a->has_f && !a->has_s)))
        return false;
    if (a->n_ints > max)
        return ox_err(c, "attribute '%s' has %d values, at most %d expected", name, a->n_ints, max);
    for (int i = 0; i < a->n_ints; i++)
        buf[i] = a->ints[i];
    *n = a->n_ints;
    return true;
}

bool ox_attr_floats(onnx_ctx *c, const char *name, float *buf, int max, int *n)
{
    const onnx_attr *a = ox_attr(c, name);
    *n = -1;
    if (!a)
        return true;
    if (!type_ok(c, a, ONNX_ATTR_FLOATS, a->n_floats > 0 || (!a->has_i && !a->has_f && !a->has_s)))
        return false;
    if (a->n_floats > max)
        return ox_err(c, "attribute '%s' has %d values, at most %d expected", name, a->n_floats, max);
    for (int i = 0; i < a->n_floats; i++)
        buf[i] = a->floats[i];
    *n = a->n_floats;
    return true;
}

/* ---- inputs ------------------------------------------------------------- */

bool ox_has_in(const onnx_ctx *c, int k)
{
    return k >= 0 && k < c->node->n_in && c->node->in[k].len > 0;
}

bool ox_in_opt(onnx_ctx *c, int k, int *t)
{
    *t = -1;
    if (!ox_has_in(c, k))
        return true;
    char *name = onnx_strdup(c->node->in[k]);
    int i = ox_lookup(c, name);
    if (i < 0) {
        ox_err(c, "input %d '%s' is not a graph input, an initializer or the output of an earlier node", k,
               name);
        free(name);
        return false;
    }
    free(name);
    *t = i;
    return true;
}

bool ox_in(onnx_ctx *c, int k, int *t)
{
    if (!ox_has_in(c, k))
        return ox_err(c, "required input %d is missing", k);
    return ox_in_opt(c, k, t);
}

bool ox_make_const(onnx_ctx *c, int t, const char *what)
{
    ir_tensor *tt = ox_t(c, t);
    if (ir_is_const(tt))
        return true;
    for (int i = 0; i < c->n_decl; i++) {
        ox_decl *d = &c->decl[i];
        if (d->tensor != t)
            continue;
        if (!d->value)
            return ox_err(c, "%s ('%s') must be known at compile time, but it is graph input %d and no value "
                          "was given for it (pass it with --input or --const %s=VALUE, or make it an initializer)",
                          what, tt->name, d->src_pos, tt->name);
        if (d->value->nbytes != ir_nbytes(tt))
            return ox_err(c, "the value given for graph input '%s' holds %zu bytes, its shape needs %zu", tt->name,
                          d->value->nbytes, ir_nbytes(tt));
        tt->data = xmalloc(d->value->nbytes ? d->value->nbytes : 1);
        if (d->value->nbytes)
            memcpy(tt->data, d->value->data, d->value->nbytes);
        tt->nbytes = d->value->nbytes;
        d->frozen = true;
        return true;
    }
    return ox_err(c, "%s ('%s') must be known at compile time, but it is computed at run time%s", what,
                  tt->name, tt->producer >= 0 ? " by an earlier node" : "");
}

bool ox_in_const(onnx_ctx *c, int k, int *t)
{
    if (!ox_in(c, k, t))
        return false;
    char what[32];
    snprintf(what, sizeof what, "input %d", k);
    return ox_make_const(c, *t, what);
}

bool ox_in_weights(onnx_ctx *c, int k, bool optional, int *t)
{
    if (optional ? !ox_in_opt(c, k, t) : !ox_in(c, k, t))
        return false;
    /* Computed weights (DequantizeLinear of int8 constants in QDQ models)
     * stay: fuse_qdq or constant folding turns them into constants, and the
     * lowering names the node if neither could. */
    if (*t < 0 || ox_t(c, *t)->producer >= 0)
        return true;
    char what[48];
    snprintf(what, sizeof what, "weight input %d", k);
    return ox_make_const(c, *t, what);
}

static bool elem_at(const ir_tensor *t, int64_t i, int64_t *iv, double *dv)
{
    const uint8_t *p = (const uint8_t *)t->data;
    switch (t->dtype) {
    case IR_DT_S8: *iv = ((const int8_t *)p)[i]; break;
    case IR_DT_U8: case IR_DT_BOOL: *iv = p[i]; break;
    case IR_DT_S16: { int16_t v; memcpy(&v, p + 2 * i, 2); *iv = v; break; }
    case IR_DT_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); *iv = v; break; }
    case IR_DT_S32: { int32_t v; memcpy(&v, p + 4 * i, 4); *iv = v; break; }
    case IR_DT_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); *iv = v; break; }
    case IR_DT_S64: { int64_t v; memcpy(&v, p + 8 * i, 8); *iv = v; break; }
    case IR_DT_U64: { uint64_t v; memcpy(&v, p + 8 * i, 8); *iv = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; break; }
    case IR_DT_F32: { float v; memcpy(&v, p + 4 * i, 4); *dv = v; return false; }
    case IR_DT_F64: { double v; memcpy(&v, p + 8 * i, 8); *dv = v; return false; }
    case IR_DT_F16: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        int e = (h >> 10) & 0x1f, m = h & 0x3ff;
        double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
        *dv = (h & 0x8000) ? -v : v;
        return false;
    }
    default: *dv = 0; return false;
    }
    *dv = (double)*iv;
    return true;
}

bool ox_const_i64(onnx_ctx *c, int t, int64_t **v, int64_t *n)
{
    const ir_tensor *tt = ox_t(c, t);
    int64_t k = ir_numel(tt);
    switch (tt->dtype) {
    case IR_DT_F32: case IR_DT_F64: case IR_DT_F16: case IR_DT_UNDEF:
        return ox_err(c, "'%s' must hold integers, it holds %s", tt->name, ir_dtype_name(tt->dtype));
    default:
        break;
    }
    int64_t *out = xmalloc((size_t)(k ? k : 1) * sizeof *out);
    for (int64_t i = 0; i < k; i++) {
        double d;
        elem_at(tt, i, &out[i], &d);
    }
    *v = out;
    *n = k;
    return true;
}

bool ox_const_f64(onnx_ctx *c, int t, double **v, int64_t *n)
{
    const ir_tensor *tt = ox_t(c, t);
    int64_t k = ir_numel(tt);
    if (tt->dtype == IR_DT_UNDEF)
        return ox_err(c, "'%s' has no element type", tt->name);
    double *out = xmalloc((size_t)(k ? k : 1) * sizeof *out);
    for (int64_t i = 0; i < k; i++) {
        int64_t iv;
        elem_at(tt, i, &iv, &out[i]);
    }
    *v = out;
    *n = k;
    return true;
}

bool ox_in_ints(onnx_ctx *c, int k, bool *present, int64_t **v, int64_t *n)
{
    *present = false;
    *v = NULL;
    *n = 0;
    if (!ox_has_in(c, k))
        return true;
    int t;
    if (!ox_in_const(c, k, &t))
        return false;
    *present = true;
    return ox_const_i64(c, t, v, n);
}

/* ---- tensors and nodes --------------------------------------------------- */

bool ox_dtype(onnx_ctx *c, int32_t dt, ir_dtype *out, const char *what)
{
    if (onnx_ir_dtype(dt, out))
        return true;
    if (c->node)
        return ox_unsupported(c, "%s has element type %s (%d)", what, onnx_dtype_name(dt), dt);
    snprintf(c->err, c->errlen, "%s: unsupported: %s has element type %s (%d) (`kiln supported-ops` lists what Kiln compiles)",
             c->path, what, onnx_dtype_name(dt), dt);
    return false;
}

int64_t ox_numel(int rank, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= shape[i];
    return n;
}

bool ox_check_shape(onnx_ctx *c, const char *what, int rank, const int64_t *shape)
{
    if (rank < 0 || rank > IR_MAX_DIMS)
        return ox_unsupported(c, "%s has rank %d (Kiln supports up to %d)", what, rank, IR_MAX_DIMS);
    int64_t n = 8;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0 || shape[i] >= MAX_DIM)
            return ox_err(c, "%s would get dimension %d = %lld", what, i, (long long)shape[i]);
        if (shape[i] && n > MAX_BYTES / shape[i])
            return ox_err(c, "%s would be too large (more than 2^40 bytes)", what);
        n *= shape[i] ? shape[i] : 1;
    }
    return true;
}

bool ox_out(onnx_ctx *c, int k, ir_dtype dt, int rank, const int64_t *shape, int *t)
{
    *t = -1;
    if (k >= c->node->n_out || c->node->out[k].len == 0) {
        /* Only ops whose every output is optional (LSTM, GRU, Split) may
         * leave the first one out. */
        if (k == 0 && !c->out0_optional)
            return ox_err(c, "output 0 is missing or has no name");
        return true;
    }
    char *name = onnx_strdup(c->node->out[k]);
    bool ok = false;
    if (ox_lookup(c, name) >= 0) {
        ox_err(c, "output '%s' is already defined (ONNX values are assigned once)", name);
        goto out;
    }
    char what[64];
    snprintf(what, sizeof what, "output %d", k);
    if (!ox_check_shape(c, what, rank, shape))
        goto out;
    *t = ir_add_tensor(c->g, name, dt, rank, shape);
    ox_bind(c, name, *t);
    ok = true;
out:
    free(name);
    return ok;
}

/* "<first output>/<suffix>", numbered when the node already made one. */
static char *tmp_name(onnx_ctx *c, const char *suffix)
{
    char *base = c->node->n_out > 0 && c->node->out[0].len > 0
                     ? onnx_strdup(c->node->out[0])
                     : xstrdup(c->node_name && c->node_name[0] ? c->node_name : "node");
    char *s = xasprintf("%s/%s", base, suffix);
    for (int k = 1;; k++) {
        bool taken = false;
        for (int i = c->first_tensor; i < c->g->n_tensors && !taken; i++)
            taken = !strcmp(c->g->tensors[i].name, s);
        if (!taken)
            break;
        free(s);
        s = xasprintf("%s/%s%d", base, suffix, k);
    }
    free(base);
    return s;
}

bool ox_tmp(onnx_ctx *c, const char *suffix, ir_dtype dt, int rank, const int64_t *shape, int *t)
{
    char *name = tmp_name(c, suffix);
    bool ok = ox_check_shape(c, name, rank, shape);
    if (ok)
        *t = ir_add_tensor(c->g, name, dt, rank, shape);
    free(name);
    return ok;
}

bool ox_const(onnx_ctx *c, const char *suffix, ir_dtype dt, int rank, const int64_t *shape,
              const void *data, size_t nbytes, int *t)
{
    char *name = tmp_name(c, suffix);
    bool ok = ox_check_shape(c, name, rank, shape);
    if (ok)
        *t = ir_add_const(c->g, name, dt, rank, shape, data, nbytes);
    free(name);
    return ok;
}

int ox_node(onnx_ctx *c, ir_op op, int n_in, const int *in, int n_out, const int *out)
{
    const char *name = c->node_name && c->node_name[0] ? c->node_name : "";
    char *fallback = NULL;
    if (!name[0] && c->node->n_out > 0)
        name = fallback = onnx_strdup(c->node->out[0]);
    int i = ir_add_node(c->g, op, name, c->op_name, c->node_index, n_in, in, n_out, out);
    free(fallback);
    return i;
}

bool ox_reshape_to(onnx_ctx *c, int k, int src, int rank, const int64_t *shape, int *t)
{
    ir_dtype dt = ox_t(c, src)->dtype;
    int64_t n_src = ir_numel(ox_t(c, src));
    if (!ox_check_shape(c, "reshaped tensor", rank, shape))
        return false;
    if (ox_numel(rank, shape) != n_src)
        return ox_err(c, "cannot reshape %lld elements to %lld", (long long)n_src,
                      (long long)ox_numel(rank, shape));
    int y;
    if (k >= 0) {
        if (!ox_out(c, k, dt, rank, shape, &y))
            return false;
        if (y < 0)
            return true;
    } else if (!ox_tmp(c, "reshaped", dt, rank, shape, &y)) {
        return false;
    }
    /* A reshaped quantized tensor keeps its quantization. */
    const ir_tensor *s = ox_t(c, src);
    if (s->q.n == 1)
        ir_set_quant(c->g, y, 1, 0, s->q.scale, s->q.zero_point);
    ox_node(c, IR_OP_RESHAPE, 1, &src, 1, &y);
    if (t)
        *t = y;
    return true;
}

bool ox_alias_out(onnx_ctx *c, int k, int src)
{
    int64_t shape[IR_MAX_DIMS];
    const ir_tensor *s = ox_t(c, src);
    int rank = s->rank;
    memcpy(shape, s->shape, sizeof shape);
    int y;
    if (!ox_reshape_to(c, k, src, rank, shape, &y))
        return false;
    /* Identity keeps per-channel quantization too (same shape). */
    s = ox_t(c, src);
    if (s->q.n > 1 && y >= 0)
        ir_set_quant(c->g, y, s->q.n, s->q.axis, s->q.scale, s->q.zero_point);
    return true;
}

/* ---- shapes ------------------------------------------------------------- */

bool ox_broadcast(onnx_ctx *c, int a, int b, int *rank, int64_t *shape)
{
    const ir_tensor *ta = ox_t(c, a), *tb = ox_t(c, b);
    int r = ta->rank > tb->rank ? ta->rank : tb->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ta->rank), ib = i - (r - tb->rank);
        int64_t da = ia >= 0 ? ta->shape[ia] : 1, db = ib >= 0 ? tb->shape[ib] : 1;
        if (da == db || db == 1)
            shape[i] = da;
        else if (da == 1)
            shape[i] = db;
        else
            return ox_err(c, "shapes of '%s' and '%s' do not broadcast (dimension %d: %lld vs %lld)", ta->name,
                          tb->name, i, (long long)da, (long long)db);
    }
    *rank = r;
    return true;
}

bool ox_axis(onnx_ctx *c, int64_t axis, int rank, const char *what, int *out)
{
    if (axis < -rank || axis >= rank || (rank == 0 && axis != 0))
        return ox_err(c, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}
