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
#include "emit/report_data.h"
#include "emit/report_stream.h"

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

static bool any_quant(const ir_graph *g)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].q.n)
            return true;
    return false;
}

static const char *kib(size_t v, char *buf, size_t n)
{
    if (v < 1024)
        snprintf(buf, n, "%zu B", v);
    else if (v < 10u * 1024 * 1024)
        snprintf(buf, n, "%.1f KiB", (double)v / 1024.0);
    else
        snprintf(buf, n, "%.1f MiB", (double)v / (1024.0 * 1024.0));
    return buf;
}

/* Where the blob lives and what the board holds, one line each. */
static void text_placement(const report_data *d, sbuf *o)
{
    const compiled *c = d->c;
    char a[32], b[32], e[32];
    if (c->weights == WEIGHTS_INLINE)
        sb_printf(o, "weights live in     internal flash: %s_data.c, %s (const array)\n", c->name,
                  kib(c->blob_len, a, sizeof a));
    else if (c->has_address)
        sb_printf(o, "weights live in     external flash: %s_data.bin, %s at 0x%08llx\n", c->name,
                  kib(c->blob_len, a, sizeof a), (unsigned long long)c->address);
    else
        sb_printf(o, "weights live in     external flash: %s_data.bin, %s (address given at init)\n", c->name,
                  kib(c->blob_len, a, sizeof a));
    report_stream_text(c, o);
    const report_board *bd = d->board;
    if (!bd)
        return;
    sb_printf(o, "board               %s: external flash %s %s at 0x%08llx", bd->name, bd->flash_part,
              kib(bd->ext_size, a, sizeof a), (unsigned long long)bd->ext_base);
    if (c->weights != WEIGHTS_INLINE)
        sb_printf(o, ", blob %.2f%% of it", 100.0 * (double)c->blob_len / (double)bd->ext_size);
    sb_printf(o, "\n");
    if (bd->mcu_flash && bd->mcu_ram) {
        size_t flash_use = d->code.total + (c->weights == WEIGHTS_INLINE ? c->blob_len : 0);
        sb_printf(o, "                    %s: internal flash %s used of %s (code%s), RAM %s of %s (arena; "
                  "plus stack and application)\n", bd->mcu_part, kib(flash_use, a, sizeof a),
                  kib(bd->mcu_flash, b, sizeof b), c->weights == WEIGHTS_INLINE ? " and weights" : "",
                  kib(c->pl.arena_bytes, e, sizeof e), kib(bd->mcu_ram, b, sizeof b));
    }
}

void report_text_board(const compiled *c, const report_board *board, sbuf *o)
{
    const ir_graph *g = c->g;
    char a[32], b[32], cc[32], r[32], q[64], wq[64];
    bool quant = any_quant(g);
    sbuf tmp = {0};
    report_data d;
    report_data_build(c, board, &d);
    sb_printf(o, "Kiln report: %s (%s)\n\n", c->name, c_text_str(&tmp, g->source, C_TEXT_CUT));
    sb_printf(o, "%4s  %-15s %-18s %10s %12s %10s %10s", "#", "op", "output", "params", "MACC", "weight B",
              "RAM B");
    if (quant)
        sb_printf(o, "  %-26s %-26s", "output quant", "weight quant");
    sb_printf(o, "  layer\n");
    for (int n = 0; n < d.n_layers; n++) {
        const report_layer *l = &d.layers[n];
        const ir_node *nd = &g->nodes[n];
        sb_printf(o, "%4d  %-15s %-18s %10s %12s %10s %10s", n, l->op, l->out_shape, grouped(l->params, a),
                  grouped(l->macc, b), grouped(l->weight_bytes, cc),
                  l->n_calls ? grouped(l->ram_bytes, r) : "-");
        if (quant) {
            const ir_tensor *w = node_weights(g, nd);
            const ir_tensor *y = nd->n_out > 0 && nd->out[0] >= 0 ? &g->tensors[nd->out[0]] : NULL;
            if (y)
                quant_str(y, q, sizeof q);
            else
                snprintf(q, sizeof q, "-");
            if (w)
                quant_str(w, wq, sizeof wq);
            else
                snprintf(wq, sizeof wq, "-");
            sb_printf(o, "  %-26s %-26s", q, wq);
        }
        sb_printf(o, "  %s\n", nd->name[0] ? c_text_str(&tmp, nd->name, C_TEXT_CUT) : "(unnamed)");
    }
    sb_printf(o, "\ntotal MACC          %s\n", grouped(d.macc, a));
    sb_printf(o, "total params        %s\n", grouped(d.params, a));
    sb_printf(o, "weights bytes       %s (blob with header, directory and alignment: %s)\n",
              grouped(d.weights, a), grouped(c->blob_len, b));
    text_placement(&d, o);
    sb_printf(o, "arena bytes         %s (lower bound %s: the most bytes live at once, during call %d)\n",
              grouped(c->pl.arena_bytes, a), grouped(c->pl.lower_bound, b), c->pl.peak_call);
    sb_printf(o, "in place            %d calls write over their input (lower bound without: %s)\n",
              c->pl.n_inplace, grouped(c->pl.lower_bound_separate, b));
    sb_printf(o, "code (estimate)     %s: generated %s (%d calls), kernels %s (%d distinct), runtime %s "
              "(Cortex-M7 -O2; make bench measures it)\n", kib(d.code.total, a, sizeof a),
              kib(d.code.generated, b, sizeof b), c->prog.n_calls, kib(d.code.kernels, cc, sizeof cc),
              d.code.distinct_kernels, kib(d.code.runtime, r, sizeof r));
    sb_printf(o, "kernel calls        %d\n", c->prog.n_calls);
    sb_printf(o, "generated for       --cpu %s, --kernels %s\n", c->cpu->name,
              kernel_choice_name(c->kernels));
    if (c->stats.folded || c->stats.bn_fused || c->stats.act_fused)
        sb_printf(o, "passes              %d constant nodes folded, %d BatchNorm folded, %d activations fused\n",
                  c->stats.folded, c->stats.bn_fused, c->stats.act_fused);
    if (c->stats.pad_fused || c->stats.epi_fused)
        sb_printf(o, "                    %d Pads folded into conv windows, %d Add/LeakyRelu/Max fused into "
                  "conv/dense epilogues\n", c->stats.pad_fused, c->stats.epi_fused);
    sb_printf(o, "signature           0x%016" PRIx64 "\n", c->signature);
    char sh[96];
    for (int i = 0; i < g->n_inputs; i++) {
        const ir_tensor *t = &g->tensors[g->inputs[i]];
        shape_str(t, sh, sizeof sh);
        quant_str(t, q, sizeof q);
        sb_printf(o, "input %d             %s %s %s (%s)\n", i, c_text_str(&tmp, t->name, C_TEXT_CUT),
                  ir_dtype_name(t->dtype), sh, q);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const ir_tensor *t = &g->tensors[g->outputs[i]];
        shape_str(t, sh, sizeof sh);
        quant_str(t, q, sizeof q);
        sb_printf(o, "output %d            %s %s %s (%s)\n", i, c_text_str(&tmp, t->name, C_TEXT_CUT),
                  ir_dtype_name(t->dtype), sh, q);
    }
    report_data_free(&d);
    sb_free(&tmp);
}

void report_text(const compiled *c, sbuf *o)
{
    report_text_board(c, NULL, o);
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

void report_json_board(const compiled *c, const report_board *board, sbuf *o)
{
    const ir_graph *g = c->g;
    report_data d;
    report_data_build(c, board, &d);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", c->name);
    cJSON_AddStringToObject(root, "source", g->source);
    cJSON_AddNumberToObject(root, "macc", (double)d.macc);
    cJSON_AddNumberToObject(root, "params", (double)d.params);
    cJSON_AddNumberToObject(root, "weights_bytes", (double)d.weights);
    cJSON_AddNumberToObject(root, "blob_bytes", (double)c->blob_len);
    cJSON_AddNumberToObject(root, "arena_bytes", (double)c->pl.arena_bytes);
    cJSON_AddNumberToObject(root, "arena_lower_bound_bytes", (double)c->pl.lower_bound);
    cJSON_AddNumberToObject(root, "arena_lower_bound_without_inplace_bytes",
                            (double)c->pl.lower_bound_separate);
    cJSON_AddNumberToObject(root, "arena_peak_call", c->pl.peak_call);
    cJSON_AddNumberToObject(root, "inplace_calls", c->pl.n_inplace);
    cJSON_AddNumberToObject(root, "kernel_calls", c->prog.n_calls);
    cJSON_AddStringToObject(root, "cpu", c->cpu->name);
    cJSON_AddStringToObject(root, "kernels", kernel_choice_name(c->kernels));
    cJSON *code = cJSON_AddObjectToObject(root, "code_bytes_estimate");
    cJSON_AddNumberToObject(code, "total", (double)d.code.total);
    cJSON_AddNumberToObject(code, "generated", (double)d.code.generated);
    cJSON_AddNumberToObject(code, "kernels", (double)d.code.kernels);
    cJSON_AddNumberToObject(code, "runtime", (double)d.code.runtime);
    cJSON_AddNumberToObject(code, "distinct_kernels", d.code.distinct_kernels);
    char sig[24];
    snprintf(sig, sizeof sig, "0x%016" PRIx64, c->signature);
    cJSON_AddStringToObject(root, "signature", sig);
    cJSON_AddStringToObject(root, "weights", weights_mode_name(c->weights));
    if (c->has_address)
        cJSON_AddNumberToObject(root, "blob_address", (double)c->address);
    if (board) {
        cJSON *b = cJSON_AddObjectToObject(root, "board");
        cJSON_AddStringToObject(b, "name", board->name);
        cJSON_AddNumberToObject(b, "external_flash_base", (double)board->ext_base);
        cJSON_AddNumberToObject(b, "external_flash_bytes", (double)board->ext_size);
        if (board->mcu_flash) {
            cJSON_AddStringToObject(b, "mcu", board->mcu_part);
            cJSON_AddNumberToObject(b, "mcu_flash_bytes", (double)board->mcu_flash);
            cJSON_AddNumberToObject(b, "mcu_ram_bytes", (double)board->mcu_ram);
        }
    }
    report_stream_json(c, root);
    cJSON_AddItemToObject(root, "inputs", io_json(g, g->n_inputs, g->inputs));
    cJSON_AddItemToObject(root, "outputs", io_json(g, g->n_outputs, g->outputs));
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int n = 0; n < g->n_nodes; n++) {
        const ir_node *nd = &g->nodes[n];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddNumberToObject(l, "index", n);
        cJSON_AddStringToObject(l, "name", nd->name);
        cJSON_AddStringToObject(l, "op", d.layers[n].op);
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
        cJSON_AddNumberToObject(l, "ram_bytes", (double)d.layers[n].ram_bytes);
        cJSON_AddItemToArray(layers, l);
    }
    char *s = cJSON_Print(root);
    sb_printf(o, "%s\n", s);
    free(s);
    cJSON_Delete(root);
    report_data_free(&d);
}

void report_json(const compiled *c, sbuf *o)
{
    report_json_board(c, NULL, o);
}
