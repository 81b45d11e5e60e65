/*
 * report.c - the per-layer cost report, as text for people and JSON for tools.
 *
 * One row per IR node after the passes (so a BatchNorm folded into its Conv
 * is not a row of its own); the MAC count is ir_node_macc(), the same number
 * everywhere.  Weight bytes are what the layer's kernels read from the blob,
 * after repacking.  Names and paths from the model go through c_text(), so
 * the text report (also printed to the terminal) holds printable ASCII only:
 * a name cannot forge report lines or send terminal escapes.
 */
#include "emit/report.h"

#include "emit/c_text.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void shape_str(const ir_tensor *t, char *buf, size_t n)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int d = 0; d < t->rank && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

/* "1,234,567" */
static const char *grouped(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), k = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = tmp[i];
    }
    buf[k] = '\0';
    return buf;
}

static void quant_str(const ir_tensor *t, char *buf, size_t n)
{
    if (t->q.n == 0)
        snprintf(buf, n, "-");
    else if (t->q.n == 1)
        snprintf(buf, n, "s=%.6g zp=%d", (double)t->q.scale[0], t->q.zero_point[0]);
    else
        snprintf(buf, n, "per-channel x%d (axis %d)", t->q.n, t->q.axis);
}

/* The quantization of a node's weights (input 1 of conv/fc), if any. */
static const ir_tensor *node_weights(const ir_graph *g, const ir_node *nd)
{
    switch (nd->op) {
    case IR_OP_CONV: case IR_OP_CONV_TRANSPOSE: case IR_OP_FULLY_CONNECTED: case IR_OP_MATMUL:
        if (nd->n_in > 1 && nd->in[1] >= 0 && ir_is_const(&g->tensors[nd->in[1]]))
            return &g->tensors[nd->in[1]];
        return NULL;
    default:
        return NULL;
    }
}

typedef struct totals {
    uint64_t macc, params, weights;
} totals;

static totals sum(const compiled *c)
{
    totals t = {0, 0, 0};
    for (int n = 0; n < c->g->n_nodes; n++) {
        t.macc += ir_node_macc(c->g, n);
        t.params += ir_node_params(c->g, n);
        t.weights += compiled_node_weight_bytes(c, n);
    }
    return t;
}

static bool any_quant(const ir_graph *g)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].q.n)
            return true;
    return false;
}

/* s as printable text of at most max bytes of s, in tmp (reused). */
static const char *printable(sbuf *tmp, const char *s, size_t max)
{
    tmp->len = 0;
    if (tmp->s)
        tmp->s[0] = '\0';
    c_text(tmp, s, max);
    return tmp->s ? tmp->s : "";
}

void report_text(const compiled *c, sbuf *o)
{
    const ir_graph *g = c->g;
    char a[32], b[32], cc[32], sh[96], q[64], wq[64];
    bool quant = any_quant(g);
    sbuf tmp = {0};
    sb_printf(o, "Kiln report: %s (%s)\n\n", c->name, printable(&tmp, g->source, C_TEXT_CUT));
    sb_printf(o, "%4s  %-28s %-15s %-18s %10s %12s %10s", "#", "layer", "op", "output", "params", "MACC",
              "weight B");
    if (quant)
        sb_printf(o, "  %-26s %s", "output quant", "weight quant");
    sb_printf(o, "\n");
    for (int n = 0; n < g->n_nodes; n++) {
        const ir_node *nd = &g->nodes[n];
        const ir_tensor *y = nd->n_out > 0 && nd->out[0] >= 0 ? &g->tensors[nd->out[0]] : NULL;
        if (y)
            shape_str(y, sh, sizeof sh);
        else
            snprintf(sh, sizeof sh, "-");
        char name[29];
        snprintf(name, sizeof name, "%s", nd->name[0] ? printable(&tmp, nd->name, 28) : "(unnamed)");
        sb_printf(o, "%4d  %-28s %-15s %-18s %10s %12s %10s", n, name, ir_op_name(nd->op), sh,
                  grouped(ir_node_params(g, n), a), grouped(ir_node_macc(g, n), b),
                  grouped(compiled_node_weight_bytes(c, n), cc));
        if (quant) {
            const ir_tensor *w = node_weights(g, nd);
            if (y)
                quant_str(y, q, sizeof q);
            else
                snprintf(q, sizeof q, "-");
            if (w)
                quant_str(w, wq, sizeof wq);
            else
                snprintf(wq, sizeof wq, "-");
            sb_printf(o, "  %-26s %s", q, wq);
        }
        sb_printf(o, "\n");
    }
    totals t = sum(c);
    sb_printf(o, "\ntotal MACC          %s\n", grouped(t.macc, a));
    sb_printf(o, "total params        %s\n", grouped(t.params, a));
    sb_printf(o, "weights bytes       %s (blob with header, directory and alignment: %s)\n",
              grouped(t.weights, a), grouped(c->blob_len, b));
    sb_printf(o, "arena bytes         %s (lower bound %s: the most bytes live at once)\n",
              grouped(c->pl.arena_bytes, a), grouped(c->pl.lower_bound, b));
    sb_printf(o, "kernel calls        %d\n", c->prog.n_calls);
    if (c->stats.folded || c->stats.bn_fused || c->stats.act_fused)
        sb_printf(o, "passes              %d constant nodes folded, %d BatchNorm folded, %d activations fused\n",
                  c->stats.folded, c->stats.bn_fused, c->stats.act_fused);
    if (c->stats.pad_fused || c->stats.epi_fused)
        sb_printf(o, "                    %d Pads folded into conv windows, %d Add/LeakyRelu/Max fused into "
                  "conv/dense epilogues\n", c->stats.pad_fused, c->stats.epi_fused);
    sb_printf(o, "signature           0x%016" PRIx64 "\n", c->signature);
    for (int i = 0; i < g->n_inputs; i++) {
        const ir_tensor *t = &g->tensors[g->inputs[i]];
        shape_str(t, sh, sizeof sh);
        quant_str(t, q, sizeof q);
        sb_printf(o, "input %d             %s %s %s (%s)\n", i, printable(&tmp, t->name, C_TEXT_CUT),
                  ir_dtype_name(t->dtype), sh, q);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const ir_tensor *t = &g->tensors[g->outputs[i]];
        shape_str(t, sh, sizeof sh);
        quant_str(t, q, sizeof q);
        sb_printf(o, "output %d            %s %s %s (%s)\n", i, printable(&tmp, t->name, C_TEXT_CUT),
                  ir_dtype_name(t->dtype), sh, q);
    }
    sb_free(&tmp);
}

static cJSON *shape_json(const ir_tensor *t)
{
    cJSON *a = cJSON_CreateArray();
    for (int d = 0; d < t->rank; d++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->shape[d]));
    return a;
}

static cJSON *quant_json(const ir_tensor *t)
{
    if (t->q.n == 0)
        return cJSON_CreateNull();
    cJSON *q = cJSON_CreateObject();
    cJSON *s = cJSON_AddArrayToObject(q, "scale");
    cJSON *z = cJSON_AddArrayToObject(q, "zero_point");
    for (int i = 0; i < t->q.n; i++) {
        cJSON_AddItemToArray(s, cJSON_CreateNumber((double)t->q.scale[i]));
        cJSON_AddItemToArray(z, cJSON_CreateNumber(t->q.zero_point[i]));
    }
    cJSON_AddBoolToObject(q, "per_channel", t->q.n > 1);
    cJSON_AddNumberToObject(q, "axis", t->q.axis);
    return q;
}

static cJSON *io_json(const ir_graph *g, int n, const int *list)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        const ir_tensor *t = &g->tensors[list[i]];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "dtype", ir_dtype_name(t->dtype));
        cJSON_AddItemToObject(o, "shape", shape_json(t));
        cJSON_AddNumberToObject(o, "bytes", (double)ir_nbytes(t));
        cJSON_AddItemToObject(o, "quant", quant_json(t));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

void report_json(const compiled *c, sbuf *o)
{
    const ir_graph *g = c->g;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", c->name);
    cJSON_AddStringToObject(root, "source", g->source);
    totals t = sum(c);
    cJSON_AddNumberToObject(root, "macc", (double)t.macc);
    cJSON_AddNumberToObject(root, "params", (double)t.params);
    cJSON_AddNumberToObject(root, "weights_bytes", (double)t.weights);
    cJSON_AddNumberToObject(root, "blob_bytes", (double)c->blob_len);
    cJSON_AddNumberToObject(root, "arena_bytes", (double)c->pl.arena_bytes);
    cJSON_AddNumberToObject(root, "arena_lower_bound_bytes", (double)c->pl.lower_bound);
    cJSON_AddNumberToObject(root, "kernel_calls", c->prog.n_calls);
    char sig[24];
    snprintf(sig, sizeof sig, "0x%016" PRIx64, c->signature);
    cJSON_AddStringToObject(root, "signature", sig);
    cJSON_AddStringToObject(root, "weights", c->weights == WEIGHTS_INLINE ? "inline" : "external");
    cJSON_AddItemToObject(root, "inputs", io_json(g, g->n_inputs, g->inputs));
    cJSON_AddItemToObject(root, "outputs", io_json(g, g->n_outputs, g->outputs));
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int n = 0; n < g->n_nodes; n++) {
        const ir_node *nd = &g->nodes[n];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddNumberToObject(l, "index", n);
        cJSON_AddStringToObject(l, "name", nd->name);
        cJSON_AddStringToObject(l, "op", ir_op_name(nd->op));
        cJSON_AddStringToObject(l, "source_op", nd->src_op);
        if (nd->n_out > 0 && nd->out[0] >= 0) {
            cJSON_AddItemToObject(l, "output_shape", shape_json(&g->tensors[nd->out[0]]));
            cJSON_AddItemToObject(l, "output_quant", quant_json(&g->tensors[nd->out[0]]));
        }
        const ir_tensor *w = node_weights(g, nd);
        if (w)
            cJSON_AddItemToObject(l, "weight_quant", quant_json(w));
        cJSON_AddNumberToObject(l, "params", (double)ir_node_params(g, n));
        cJSON_AddNumberToObject(l, "macc", (double)ir_node_macc(g, n));
        cJSON_AddNumberToObject(l, "weights_bytes", (double)compiled_node_weight_bytes(c, n));
        cJSON_AddItemToArray(layers, l);
    }
    char *s = cJSON_Print(root);
    sb_printf(o, "%s\n", s);
    free(s);
    cJSON_Delete(root);
}
