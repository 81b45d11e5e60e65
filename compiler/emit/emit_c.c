/*
 * emit_c.c - prints the lowered program as plain C99.
 *
 * The generated NET.c is a flat list of kernel calls with constant parameter
 * structs and constant offsets: no interpreter, no malloc, no state outside
 * the caller's arena.  It is laid out for a firmware engineer to read: each
 * layer's params a named struct (conv0_params) printed field group by field
 * group with enum names (c_init.c), each weights tensor a named offset
 * (NET_W_CONV0) with its blob name in a comment, each layer's calls under a
 * comment giving op, shapes, MACs and the source node.  Every tensor becomes
 * a typed pointer expression:
 *   constants      (const T *)(w + NET_W_...)     w = the checked blob
 *   graph inputs   (const T *)x<i>                 caller buffer or arena
 *   graph outputs  (T *)y<i>                       caller buffer or arena
 *   the rest       (T *)(arena + OFFSET)
 * A RESHAPE alias resolves to its root's expression, so it costs nothing.
 * Names and paths from the model never go out as they are: comments are
 * built by c_comment() and names in data by c_string() (emit/c_text.h);
 * identifiers are NET_* (NET checked by compile.c) or made of Kiln's own op
 * names and node indices (conv0_params, NET_W_CONV0: names_build), never of
 * a model's names.
 */
#include "emit/emit_c.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/build_files.h"
#include "emit/c_init.h"
#include "emit/c_text.h"
#include "emit/emit_stream.h"
#include "passes/stream_plan.h"
#include "emit/report_data.h"
#include "emit/report.h"
#include "util/fileio.h"
#include "util/fileset.h"

const char *c_elem_type(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_F32: return "float";
    case IR_DT_S8: return "int8_t";
    case IR_DT_U8: return "uint8_t";
    case IR_DT_S16: return "int16_t";
    case IR_DT_S32: return "int32_t";
    case IR_DT_S64: return "int64_t";
    case IR_DT_U16: return "uint16_t";
    case IR_DT_U32: return "uint32_t";
    case IR_DT_BOOL: return "uint8_t";
    case IR_DT_U64: return "uint64_t";
    case IR_DT_F16: return "uint16_t";
    case IR_DT_F64: return "double";
    default: return "uint8_t";
    }
}

/* Which graph input / output (if any) owns tensor t's bytes. */
static int io_index(const compiled *c, int t, bool want_output)
{
    const ir_graph *g = c->g;
    int r = c->pl.root[t];
    int n = want_output ? g->n_outputs : g->n_inputs;
    const int *list = want_output ? g->outputs : g->inputs;
    for (int k = 0; k < n; k++)
        if (c->pl.root[list[k]] == r)
            return k;
    return -1;
}

/* The names NET.c gives what it declares: per call its params struct, per
 * blob tensor its offset macro.  Made of op names and indices only (never
 * of outside text), so every one is a plain identifier. */
typedef struct emit_names {
    char **param;           /* [n_calls], NULL for a call without params */
    char **weight;          /* [n_bt], NULL for a tensor no call reads */
    int call;               /* stream mode: the call being printed (its staging buffer) */
} emit_names;

/* "DepthwiseConv" -> "depthwise_conv" (upper: "DEPTHWISE_CONV"). */
static void op_ident(const char *op, bool upper, sbuf *b)
{
    for (const char *p = op; *p; p++) {
        char ch = *p;
        bool up = ch >= 'A' && ch <= 'Z', alnum = up || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (p > op && up && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= '0' && p[-1] <= '9')))
            sb_printf(b, "_");
        if (!alnum)
            ch = '_';
        else if (upper && !up && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        else if (!upper && up)
            ch = (char)(ch - 'A' + 'a');
        sb_put(b, &ch, 1);
    }
}

/* "conv0" for node 0, a Conv ("atan2_5": a digit never runs into the
 * index); "output_copy" for a call of no node.  Unique per node. */
static void layer_ident(const compiled *c, int node, bool upper, sbuf *b)
{
    if (node < 0) {
        sb_printf(b, upper ? "OUTPUT_COPY" : "output_copy");
        return;
    }
    op_ident(report_op_name(c->g, &c->g->nodes[node]), upper, b);
    char last = b->len ? b->s[b->len - 1] : '_';
    sb_printf(b, "%s%d", last >= '0' && last <= '9' ? "_" : "", node);
}

/* NAME, then NAME_2, NAME_3 ... for the k-th (from 0) of one layer. */
static char *nth_name(const char *base, int k)
{
    return k ? xasprintf("%s_%d", base, k + 1) : xstrdup(base);
}

static void names_build(const compiled *c, emit_names *nm)
{
    nm->param = xcalloc((size_t)c->prog.n_calls + 1, sizeof *nm->param);
    nm->weight = xcalloc((size_t)c->n_bt + 1, sizeof *nm->weight);
    /* per node (index node + 1: the calls of no node share one), how many
     * params structs and weights were named */
    int *n_params = xcalloc((size_t)c->g->n_nodes + 1, sizeof *n_params);
    int *n_weights = xcalloc((size_t)c->g->n_nodes + 1, sizeof *n_weights);
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        int slot = call->node + 1;
        sbuf id = {0}, up = {0};
        layer_ident(c, call->node, false, &id);
        sb_printf(&id, "_params");
        sb_printf(&up, "%s_W_", c->name);
        layer_ident(c, call->node, true, &up);
        if (call->ptype)
            nm->param[i] = nth_name(id.s, n_params[slot]++);
        for (int a = 0; a < call->n_args; a++) {
            const lir_arg *arg = &call->args[a];
            if (arg->kind != LIR_ARG_TENSOR || c->pl.home[arg->tensor] != PLAN_BLOB)
                continue;
            int bi = c->blob_of[c->pl.root[arg->tensor]];
            if (bi < 0)
                continue; /* kept inline by --internal-budget (NET_hot) */
            if (!nm->weight[bi])
                nm->weight[bi] = nth_name(up.s, n_weights[slot]++);
        }
        sb_free(&id);
        sb_free(&up);
    }
    free(n_params);
    free(n_weights);
}

static void names_free(const compiled *c, emit_names *nm)
{
    for (int i = 0; i < c->prog.n_calls; i++)
        free(nm->param[i]);
    for (int i = 0; i < c->n_bt; i++)
        free(nm->weight[i]);
    free(nm->param);
    free(nm->weight);
}

static void tensor_expr(const compiled *c, const emit_names *nm, int t, bool writable, sbuf *b)
{
    const ir_tensor *x = &c->g->tensors[t];
    const char *ty = c_elem_type(x->dtype);
    const char *cq = writable ? "" : "const ";
    if (emit_hot_expr(c, t, b))
        return;
    if (c->pl.home[t] == PLAN_BLOB) {
        const blob_tensor *bt = &c->bt[c->blob_of[c->pl.root[t]]];
        /* compile_graph checked every blob reference lies in the blob init checks. */
        assert(bt->offset + bt->nbytes <= c->blob_len);
        if (c->weights == WEIGHTS_STREAM)
            emit_stream_expr(c, nm->call, t, nm->weight[c->blob_of[c->pl.root[t]]], b);
        else
            sb_printf(b, "(const %s *)(w + %s)", ty, nm->weight[c->blob_of[c->pl.root[t]]]);
        return;
    }
    int k = io_index(c, t, false);
    if (k >= 0) {
        sb_printf(b, "(const %s *)x%d", ty, k);
        return;
    }
    k = io_index(c, t, true);
    if (k >= 0) {
        sb_printf(b, "(%s%s *)y%d", cq, ty, k);
        return;
    }
    sb_printf(b, "(%s%s *)(arena + %zu)", cq, ty, c->pl.offset[t]);
}

static void shape_str(const ir_tensor *t, sbuf *b)
{
    sb_printf(b, "[");
    for (int d = 0; d < t->rank; d++)
        sb_printf(b, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    sb_printf(b, "]");
}

/* "/" "* NAME DTYPE [SHAPE] *" "/" and a line break. */
static void tensor_comment(const ir_graph *g, int t, sbuf *o)
{
    const ir_tensor *x = &g->tensors[t];
    sbuf sh = {0};
    shape_str(x, &sh);
    c_cut_buf cb;
    c_comment(o, "%s %s %s", c_cut(&cb, x->name), ir_dtype_name(x->dtype), sh.s);
    sb_printf(o, "\n");
    sb_free(&sh);
}

void emit_header(const compiled *c, sbuf *o)
{
    const ir_graph *g = c->g;
    const char *n = c->name;
    c_cut_buf cb;
    c_comment(o, "%s.h - generated by kiln from %s. Do not edit.", n, c_cut(&cb, g->source));
    sb_printf(o, "\n");
    sb_printf(o, "#ifndef %s_H\n#define %s_H\n\n#include \"kiln/model.h\"\n\n", n, n);
    sb_printf(o, "#define %s_ARENA_BYTES %zuu\n", n, c->pl.arena_bytes);
    sb_printf(o, "#define %s_ARENA_ALIGN %uu\n", n, PLAN_ALIGN);
    sb_printf(o, "#define %s_BLOB_BYTES %zuu\n", n, c->blob_len);
    sb_printf(o, "#define %s_SIGNATURE 0x%016" PRIx64 "ull\n", n, c->signature);
    sb_printf(o, "/* How init checks the blob's payload: the CRC-32 or SHA-256 in %s_model.blob. */\n"
                 "#define %s_INTEGRITY %s\n", n, n,
              c->expect.integrity == KILN_INTEGRITY_SHA256 ? "KILN_INTEGRITY_SHA256" : "KILN_INTEGRITY_CRC32");
    sb_printf(o, "/* What the code was generated for (--cpu, --kernels): the packing of the int8 weights. */\n");
    sb_printf(o, "#define %s_CPU \"%s\"\n#define %s_KERNELS \"%s\"\n", n, c->cpu->name, n,
              kernel_choice_name(c->kernels));
    if (c->has_address)
        sb_printf(o, "/* Default memory-mapped address of the weights blob; another can be given at init. */\n"
                     "#define %s_BLOB_ADDRESS 0x%08" PRIx64 "u\n", n, c->address);
    sb_printf(o, "#define %s_WEIGHTS_INLINE %d\n", n, c->weights == WEIGHTS_INLINE);
    emit_stream_header(c, o);
    sb_printf(o, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", n, g->n_inputs, n,
              g->n_outputs);
    for (int i = 0; i < g->n_inputs; i++) {
        sb_printf(o, "#define %s_INPUT%d_BYTES %zuu ", n, i, ir_nbytes(&g->tensors[g->inputs[i]]));
        tensor_comment(g, g->inputs[i], o);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        sb_printf(o, "#define %s_OUTPUT%d_BYTES %zuu ", n, i, ir_nbytes(&g->tensors[g->outputs[i]]));
        tensor_comment(g, g->outputs[i], o);
    }
    sb_printf(o, "\nextern const kiln_model %s_model;\n", n);
    emit_stream_init(c, o);
    if (c->weights == WEIGHTS_INLINE)
        sb_printf(o, "extern const uint8_t %s_blob[%zu];\n", n, c->blob_len);
    sb_printf(o,
              "\n/* blob == NULL: the %s. capacity: bytes readable at blob.\n"
              " * flags: KILN_BLOB_CHECK_* (0 checks everything). */\n",
              c->weights == WEIGHTS_INLINE ? "weights compiled in (internal flash)"
                                           : (c->has_address ? "default address above"
                                                             : "caller must pass the blob address"));
    sb_printf(o,
              "static inline kiln_status %s_init(kiln_net *net, const void *blob, size_t capacity,\n"
              "                                  void *arena, size_t arena_bytes, uint32_t flags)\n"
              "{\n    return kiln_net_init(net, &%s_model, blob, capacity, arena, arena_bytes, flags);\n}\n\n",
              n, n);
    sb_printf(o,
              "/* inputs[i] / outputs[i] may be NULL: the tensor then lives in the arena. */\n"
              "static inline kiln_status %s_run(kiln_net *net, const void *const *inputs, void *const *outputs)\n"
              "{\n    return kiln_net_run(net, inputs, outputs);\n}\n\n#endif\n",
              n);
}

/* kiln_blob_dtype's constant for an element type (model.h: kiln_dtype is it). */
static const char *dtype_const(ir_dtype dt)
{
    switch ((int)dt) {
#define D(ir, k) case ir: return #k;
    D(IR_DT_F32, KILN_BLOB_DT_F32) D(IR_DT_S8, KILN_BLOB_DT_S8) D(IR_DT_U8, KILN_BLOB_DT_U8)
    D(IR_DT_S16, KILN_BLOB_DT_S16) D(IR_DT_S32, KILN_BLOB_DT_S32) D(IR_DT_S64, KILN_BLOB_DT_S64)
    D(IR_DT_U16, KILN_BLOB_DT_U16) D(IR_DT_U32, KILN_BLOB_DT_U32) D(IR_DT_BOOL, KILN_BLOB_DT_BOOL)
    D(IR_DT_U64, KILN_BLOB_DT_U64)
#undef D
    default: return NULL;
    }
}

static void emit_io_desc(const compiled *c, sbuf *o, const char *what, int n, const int *list)
{
    const ir_graph *g = c->g;
    if (n == 0)
        return;
    sb_printf(o, "static const kiln_io_desc %s_%s[%d] = {\n", c->name, what, n);
    for (int i = 0; i < n; i++) {
        const ir_tensor *t = &g->tensors[list[i]];
        sb_printf(o, "    {\n        .name = ");
        c_string(o, t->name);
        const char *dc = dtype_const(t->dtype);
        if (dc)
            sb_printf(o, ",\n        .dtype = %s,\n", dc);
        else
            sb_printf(o, ",\n        .dtype = (kiln_dtype)%d,\n", (int)t->dtype);
        sb_printf(o, "        .rank = %d,\n        .shape = {", t->rank);
        for (int d = 0; d < t->rank; d++)
            sb_printf(o, "%s%lld", d ? ", " : " ", (long long)t->shape[d]);
        sb_printf(o, "%s},\n", t->rank ? " " : "0");
        sb_printf(o, "        .bytes = %zuu,\n        .arena_offset = %zuu,\n", ir_nbytes(t),
                  c->pl.offset[list[i]]);
        sb_printf(o, "        .scale = %s,\n        .zero_point = %d,\n    },\n",
                  lir_f32(t->q.n == 1 ? t->q.scale[0] : 0.0f), t->q.n == 1 ? t->q.zero_point[0] : 0);
    }
    sb_printf(o, "};\n\n");
}

/* The kiln_model descriptor, field by field (designated initializers, so the
 * struct may grow).  .blob pins the blob the code was generated with; it and
 * the top-level copies come from the same #defines in NET.h. */
static void emit_model_desc(const compiled *c, sbuf *o, int n_state)
{
    const ir_graph *g = c->g;
    const char *n = c->name;
    const kiln_blob_expect *e = &c->expect;
    sb_printf(o, "const kiln_model %s_model = {\n", n);
    sb_printf(o, "    .name = \"%s\",\n", n);
    sb_printf(o, "    .signature = %s_SIGNATURE,\n", n);
    sb_printf(o, "    .arena_bytes = %s_ARENA_BYTES,\n    .arena_align = %s_ARENA_ALIGN,\n", n, n);
    sb_printf(o, "    .blob_bytes = %s_BLOB_BYTES,\n", n);
    if (c->has_address)
        sb_printf(o, "    .blob_address = (uintptr_t)%s_BLOB_ADDRESS,\n", n);
    else
        sb_printf(o, "    .blob_address = 0,\n");
    sb_printf(o, "    .inline_blob = %s%s,\n", c->weights == WEIGHTS_INLINE ? n : "0",
              c->weights == WEIGHTS_INLINE ? "_blob" : "");
    sb_printf(o, "    .n_inputs = %d,\n    .n_outputs = %d,\n", g->n_inputs, g->n_outputs);
    sb_printf(o, "    .inputs = %s%s,\n", g->n_inputs ? n : "0", g->n_inputs ? "_inputs" : "");
    sb_printf(o, "    .outputs = %s%s,\n", g->n_outputs ? n : "0", g->n_outputs ? "_outputs" : "");
    sb_printf(o, "    .n_state = %d,\n    .state = %s%s,\n", n_state, n_state ? n : "0",
              n_state ? "_state" : "");
    emit_stream_desc(c, o);
    sb_printf(o, "    .blob = {\n");
    sb_printf(o, "        .signature = %s_SIGNATURE,\n", n);
    sb_printf(o, "        .total_size = %s_BLOB_BYTES,\n", n);
    sb_printf(o, "        .flags = 0x%" PRIx32 "u,\n", e->flags);
    sb_printf(o, "        .align = %" PRIu32 "u,\n", e->align);
    sb_printf(o, "        .tensor_count = %" PRIu32 "u,\n", e->tensor_count);
    sb_printf(o, "        .dir_offset = %" PRIu32 "u,\n", e->dir_offset);
    sb_printf(o, "        .data_offset = %" PRIu32 "u,\n", e->data_offset);
    sb_printf(o, "        .payload_crc = 0x%08" PRIx32 "u,\n", e->payload_crc);
    sb_printf(o, "        .integrity = %s,\n", e->integrity == KILN_INTEGRITY_SHA256 ? "KILN_INTEGRITY_SHA256"
                                                                                     : "KILN_INTEGRITY_CRC32");
    /* Every field spelled out, so no compiler warns of a missing one. */
    if (e->integrity == KILN_INTEGRITY_SHA256) {
        sb_printf(o, "        .sha256 = {");
        for (unsigned i = 0; i < KILN_BLOB_DIGEST_BYTES; i++)
            sb_printf(o, "%s0x%02x", i == 0 ? "" : i % 16 ? ", " : ",\n                   ", e->sha256[i]);
        sb_printf(o, "},\n");
    } else {
        sb_printf(o, "        .sha256 = {0}, /* crc32 mode: no digest */\n");
    }
    sb_printf(o, "    },\n};\n");
}

/* Bytes of a source node's name a comment keeps: enough to recognise it,
 * short enough to read (the report has the full name). */
enum { NAME_CUT = 72, NAME_HEAD = 44, NAME_TAIL = 24 };

/* s, or (when longer than NAME_CUT) its first NAME_HEAD bytes, "...", and its
 * last NAME_TAIL bytes (a packed tensor's ".p16", a layer's last op) in buf;
 * c_comment then sanitises it like any outside text. */
static const char *cut_name(char *buf, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (len <= NAME_CUT)
        return s;
    snprintf(buf, n, "%.*s...%s", (int)NAME_HEAD, s, s + len - NAME_TAIL);
    return buf;
}

/* Before a layer's calls: "/" "* Layer INDEX: OP [IN] -> [OUT], N MACs *" "/"
 * and "/" "* SOURCE_OP NAME *" "/" (name cut, sanitised by c_comment). */
static void node_comment(const compiled *c, int node, sbuf *o)
{
    const ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[node];
    sbuf shapes = {0};
    if (nd->n_in > 0 && nd->in[0] >= 0) {
        shape_str(&g->tensors[nd->in[0]], &shapes);
        sb_printf(&shapes, " -> ");
    }
    if (nd->n_out > 0 && nd->out[0] >= 0)
        shape_str(&g->tensors[nd->out[0]], &shapes);
    uint64_t macc = ir_node_macc(g, node);
    if (macc)
        sb_printf(&shapes, ", %" PRIu64 " MACs", macc);
    char nb[NAME_CUT + 8], sb[NAME_CUT + 8];
    sb_printf(o, "\n    ");
    c_comment(o, "Layer %d: %s %s", node, report_op_name(g, nd), shapes.s ? shapes.s : "");
    sb_printf(o, "\n    ");
    c_comment(o, "%s %s", cut_name(sb, sizeof sb, nd->src_op ? nd->src_op : ""),
              cut_name(nb, sizeof nb, nd->name ? nd->name : ""));
    sb_printf(o, "\n");
    sb_free(&shapes);
}

/* The offsets of the blob tensors the calls read, named (names_build), each
 * with its name in the blob's directory, type and size. */
static void emit_weight_names(const compiled *c, const emit_names *nm, sbuf *o)
{
    bool any = false;
    for (int b = 0; b < c->n_bt; b++)
        any = any || nm->weight[b];
    if (!any)
        return;
    sb_printf(o, "/* Where the weights lie: offsets from the start of the blob (the same as its\n"
                 " * directory, `kiln blob info --tensors`), each with its name there. */\n");
    for (int b = 0; b < c->n_bt; b++) {
        if (!nm->weight[b])
            continue;
        const blob_tensor *bt = &c->bt[b];
        char name[NAME_CUT + 8];
        sb_printf(o, "#define %-28s %8" PRIu32 "u ", nm->weight[b], bt->offset);
        c_comment(o, "%s, %zu bytes", cut_name(name, sizeof name, bt->name ? bt->name : ""), bt->nbytes);
        sb_printf(o, "\n");
    }
    sb_printf(o, "\n");
}

/* One layer's params struct, printed from its value by c_init_print. */
static void emit_params(const compiled *c, const emit_names *nm, sbuf *o)
{
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        assert(c_code_is_plain(call->kernel));
        if (!call->ptype)
            continue;
        sb_printf(o, "static const %s %s = ", call->ptype->name, nm->param[i]);
        c_init_print(o, call->ptype, call->params, 0);
        sb_printf(o, ";\n\n");
    }
}

/* Whether the generated code names a <math.h> macro (lir_f32's HUGE_VALF). */
static bool needs_math_h(const compiled *c)
{
    for (int i = 0; i < c->prog.n_calls; i++)
        if (c->prog.calls[i].ptype && c_init_needs_math_h(c->prog.calls[i].ptype, c->prog.calls[i].params))
            return true;
    for (int k = 0; k < c->g->n_inputs + c->g->n_outputs; k++) {
        const ir_tensor *t = &c->g->tensors[k < c->g->n_inputs ? c->g->inputs[k] : c->g->outputs[k - c->g->n_inputs]];
        if (t->q.n == 1 && strstr(lir_f32(t->q.scale[0]), "HUGE_VAL"))
            return true;
    }
    return false;
}

/* Call i's arguments as C text: &params, operands, scratch; returns how many. */
static int call_args(const compiled *c, const emit_names *nm, int i, sbuf *args)
{
    const lir_call *call = &c->prog.calls[i];
    int na = 0;
    if (call->ptype)
        sb_printf(&args[na++], "&%s", nm->param[i]);
    for (int a = 0; a < call->n_args; a++) {
        const lir_arg *arg = &call->args[a];
        if (arg->kind == LIR_ARG_TENSOR)
            tensor_expr(c, nm, arg->tensor, arg->is_output, &args[na]);
        else if (arg->kind == LIR_ARG_NULL)
            sb_printf(&args[na], "0");
        else
            sb_printf(&args[na], "%lld", (long long)arg->value);
        na++;
    }
    if (call->scratch_bytes)
        sb_printf(&args[na++], "(void *)(arena + %zu)", c->pl.scratch_offset[i]);
    return na;
}

/* Call i: on one line when it fits in 100 columns, else one argument a line
 * under the first.  Stream mode's tiled calls: emit_stream_tiles. */
static void emit_call(const compiled *c, const emit_names *nm, int i, sbuf *o)
{
    const lir_call *call = &c->prog.calls[i];
    sbuf args[LIR_MAX_ARGS + 2];
    memset(args, 0, sizeof args);
    int na = call_args(c, nm, i, args);
    if (c->weights == WEIGHTS_STREAM && c->stage[i].n_tiles) {
        emit_stream_tiles(c, i, nm->param[i], args, na, o);
        for (int a = 0; a < na; a++)
            sb_free(&args[a]);
        return;
    }
    c_call_print(o, 4, call->kernel, args, na);
}

void emit_source(const compiled *c, sbuf *o)
{
    const ir_graph *g = c->g;
    const char *n = c->name;
    c_cut_buf cb;
    c_comment(o, "%s.c - generated by kiln from %s. Do not edit.", n, c_cut(&cb, g->source));
    sb_printf(o, "\n");
    c_comment(o, "%d kernel calls, arena %zu bytes, weights blob %zu bytes, signature 0x%016" PRIx64 ".",
              c->prog.n_calls, c->pl.arena_bytes, c->blob_len, c->signature);
    sb_printf(o, "\n");
    c_comment(o, "Generated for --cpu %s with --kernels %s.", c->cpu->name,
              kernel_choice_name(c->kernels));
    sb_printf(o, "\n");
    if (needs_math_h(c))
        sb_printf(o, "#include <math.h> /* HUGE_VALF */\n");
    sb_printf(o, "#include \"kiln/kernels.h\"\n#include \"%s.h\"\n\n", n);
    /* Opt-in per-layer profiling: mark i before call i, mark n_calls after the last (docs/architecture.md). */
    sb_printf(o,
              "/* -DKILN_PROFILE: kiln_profile_mark(&%s_model, i) runs before kernel call i and with\n"
              " * i = %d after the last; the application provides it (e.g. reads a cycle counter). */\n"
              "#ifdef KILN_PROFILE\nvoid kiln_profile_mark(const kiln_model *model, int call);\n"
              "#define KILN_PROFILE_MARK(i) kiln_profile_mark(&%s_model, (i))\n#else\n"
              "#define KILN_PROFILE_MARK(i) ((void)0)\n#endif\n\n",
              n, c->prog.n_calls, n);

    emit_names nm;
    names_build(c, &nm);
    emit_weight_names(c, &nm, o);
    emit_params(c, &nm, o);
    emit_hot_array(c, o);
    if (c->weights == WEIGHTS_STREAM) {
        emit_stream_prologue(c, o);
    } else {
        sb_printf(o, "static void %s_invoke(const uint8_t *w, uint8_t *arena, const void *const *in, void *const *out)\n{\n", n);
        for (int k = 0; k < g->n_inputs; k++)
            sb_printf(o, "    const uint8_t *x%d = (in && in[%d]) ? (const uint8_t *)in[%d] : arena + %zu;\n", k,
                      k, k, c->pl.offset[g->inputs[k]]);
        for (int k = 0; k < g->n_outputs; k++)
            sb_printf(o, "    uint8_t *y%d = (out && out[%d]) ? (uint8_t *)out[%d] : arena + %zu;\n", k, k,
                      k, c->pl.offset[g->outputs[k]]);
        /* A net without graph inputs (all folded into constants) reads no `in`;
         * an empty tensor is read or written by no call. */
        sb_printf(o, "    (void)w;\n    (void)arena;\n    (void)in;\n    (void)out;\n");
        for (int k = 0; k < g->n_inputs; k++)
            sb_printf(o, "    (void)x%d;\n", k);
        for (int k = 0; k < g->n_outputs; k++)
            sb_printf(o, "    (void)y%d;\n", k);
    }
    int last_node = -2;
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        if (call->node != last_node && call->node >= 0)
            node_comment(c, call->node, o);
        else if (call->node < 0 && last_node >= -1)
            sb_printf(o, "\n    /* graph output copy */\n");
        last_node = call->node;
        if (c->weights == WEIGHTS_STREAM)
            emit_stream_stage(c, i, o);
        sb_printf(o, "    KILN_PROFILE_MARK(%d);\n", i);
        nm.call = i;
        emit_call(c, &nm, i, o);
    }
    if (c->weights == WEIGHTS_STREAM)
        emit_stream_epilogue(c, o);
    else
        sb_printf(o, "    KILN_PROFILE_MARK(%d);\n}\n\n", c->prog.n_calls);
    names_free(c, &nm);

    emit_io_desc(c, o, "inputs", g->n_inputs, g->inputs);
    emit_io_desc(c, o, "outputs", g->n_outputs, g->outputs);
    int n_state = 0;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].is_state && c->pl.home[t] == PLAN_ARENA && c->pl.root[t] == t) {
            if (!n_state)
                sb_printf(o, "static const kiln_state_desc %s_state[] = {\n", n);
            const ir_tensor *st = &g->tensors[t];
            /* TFLite-Micro resets an int8 variable to its zero point, anything else to 0. */
            unsigned fill = st->dtype == IR_DT_S8 && st->q.n > 0 ? (uint8_t)st->q.zero_point[0] : 0;
            c_cut_buf cs;
            sb_printf(o, "    { %zuu, %zuu, %uu }, ", c->pl.offset[t], ir_nbytes(st), fill);
            c_comment(o, "%s", c_cut(&cs, st->name));
            sb_printf(o, "\n");
            n_state++;
        }
    if (n_state)
        sb_printf(o, "};\n\n");
    emit_model_desc(c, o, n_state);
}

void emit_data_c(const compiled *c, sbuf *o)
{
    const char *n = c->name;
    sb_printf(o,
              "/* %s_data.c - weights blob of %s, compiled in (internal flash). Generated; do not edit.\n"
              " * Where it goes: define %s_WEIGHTS_ATTR for this network, or KILN_WEIGHTS_ATTR for\n"
              " * every network, e.g. -D%s_WEIGHTS_ATTR='__attribute__((section(\".qspi_weights\")))'\n"
              " * (docs/integration.md); neither: the compiler's read-only data. */\n",
              n, n, n, n);
    sb_printf(o, "#include \"%s.h\"\n\n", n);
    sb_printf(o, "#ifndef %s_WEIGHTS_ATTR\n#ifdef KILN_WEIGHTS_ATTR\n#define %s_WEIGHTS_ATTR KILN_WEIGHTS_ATTR\n"
                 "#else\n#define %s_WEIGHTS_ATTR\n#endif\n#endif\n\n", n, n, n);
    sb_printf(o, "const uint8_t %s_blob[%zu] KILN_ALIGNED(%u) %s_WEIGHTS_ATTR = {\n", n, c->blob_len, PLAN_ALIGN,
              n);
    static const char hex[] = "0123456789abcdef";
    char line[24 * 5 + 8];
    for (size_t i = 0; i < c->blob_len; i += 24) {
        size_t m = c->blob_len - i < 24 ? c->blob_len - i : 24, k = 0;
        for (size_t j = 0; j < m; j++) {
            uint8_t v = c->blob[i + j];
            line[k++] = '0';
            line[k++] = 'x';
            line[k++] = hex[v >> 4];
            line[k++] = hex[v & 15];
            line[k++] = ',';
        }
        line[k++] = '\n';
        sb_put(o, line, k);
    }
    sb_printf(o, "};\n");
}

/* The file DIR/NETsuffix, in a fresh heap string. */
static char *out_path(const char *dir, const char *name, const char *suffix)
{
    char *file = xasprintf("%s%s", name, suffix);
    char *path = path_join(dir, file);
    free(file);
    return path;
}

bool emit_all_board(const compiled *c, const char *dir, const report_board *board, char *err, size_t errlen)
{
    if (!make_dirs(dir, err, errlen))
        return false;
    bool inl = c->weights == WEIGHTS_INLINE;
    sbuf h = {0}, s = {0}, d = {0}, rt = {0}, rj = {0}, rh = {0}, mk = {0}, cm = {0};
    emit_header(c, &h);
    emit_source(c, &s);
    if (inl)
        emit_data_c(c, &d);
    runtime_srcs rs;
    sbuf code = {0};     /* what the generated code calls: NET.h's inline wrappers and NET.c */
    sb_printf(&code, "%s\n%s", h.s, s.s);
    bool found = runtime_sources(KILN_ROOT, code.s, &rs, err, errlen);
    sb_free(&code);
    if (!found) {
        sb_free(&h);
        sb_free(&s);
        sb_free(&d);
        return false;
    }
    emit_build_mk(c, KILN_ROOT, &rs, &mk);
    emit_build_cmake(c, KILN_ROOT, &rs, &cm);
    runtime_srcs_free(&rs);
    report_text_board(c, board, &rt);
    report_json_board(c, board, &rj);
    report_html(c, board, &rh);
    /* Weights first, reports last; the other mode's data file is stale. */
    enum { N_OUT = 8 };
    char *paths[N_OUT] = {out_path(dir, c->name, inl ? "_data.c" : "_data.bin"), out_path(dir, c->name, ".c"),
                          out_path(dir, c->name, ".h"), out_path(dir, c->name, ".mk"),
                          out_path(dir, c->name, ".cmake"), out_path(dir, c->name, "_report.txt"),
                          out_path(dir, c->name, "_report.json"), out_path(dir, c->name, "_report.html")};
    char *stale = out_path(dir, c->name, inl ? "_data.bin" : "_data.c");
    const fileset_file files[N_OUT] = {
        {paths[0], inl ? (const void *)d.s : (const void *)c->blob, inl ? d.len : c->blob_len},
        {paths[1], s.s, s.len},
        {paths[2], h.s, h.len},
        {paths[3], mk.s, mk.len},
        {paths[4], cm.s, cm.len},
        {paths[5], rt.s, rt.len},
        {paths[6], rj.s, rj.len},
        {paths[7], rh.s, rh.len},
    };
    const char *const stale_list[1] = {stale};
    bool ok = fileset_commit(files, N_OUT, stale_list, 1, err, errlen);
    for (int i = 0; i < N_OUT; i++)
        free(paths[i]);
    free(stale);
    sbuf *all[] = {&h, &s, &d, &rt, &rj, &rh, &mk, &cm};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sb_free(all[i]);
    return ok;
}

bool emit_all(const compiled *c, const char *dir, char *err, size_t errlen)
{
    return emit_all_board(c, dir, NULL, err, errlen);
}
