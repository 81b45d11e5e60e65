/*
 * compile.c - runs the compiler pipeline in its one order:
 *
 *   import -> verify -> fold constants -> fold BatchNorm -> fold Pads into
 *   conv windows -> fuse Add/LeakyRelu/Max into conv epilogues -> fuse clamps ->
 *   compact -> verify -> lower to kernel calls -> plan memory ->
 *   lay out the blob -> sign -> build the blob -> pin it (expect)
 *
 * The signature is computed last, over everything the generated code and the
 * blob must agree on (kernel calls with their parameters and offsets, the
 * arena size, the blob's payload bytes), so a blob built for any other model,
 * or any other build of this one, is refused at init.  The expectation the
 * code carries (every header field, the payload CRC, the SHA-256 in sha256
 * mode) is read back from the finished blob, which must then pass the
 * runtime's own check, and every blob range a kernel call names must lie in
 * it: the generated code never reads a byte that init did not check.
 */
#include "compile.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/c_text.h"
#include "kiln/sha256.h"
#include "passes/fold.h"
#include "passes/fuse_f32.h"
#include "passes/fuse_qdq.h"
#include "passes/hot_weights.h"
#include "passes/stream_plan.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/sbuf.h"

/* Every name the generated code declares is NET_<something> (NET.h, NET_model,
 * NET_ARENA_BYTES, ...), so the prefix must be an identifier that keeps all
 * of them clear of C's keywords and reserved names and of the runtime's own
 * kiln_* / KILN_* names (--name KILN_MODEL would turn NET.h's guard into
 * model.h's and hide the header). */
static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict",
    "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while",
    /* C23 keywords and C++'s, so the code stays usable from either */
    "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert", "thread_local",
    "true", "typeof", "typeof_unqual", "asm", "class", "delete", "namespace", "new", "operator",
    "private", "protected", "public", "template", "this", "throw", "try", "catch", "virtual",
};

static bool is_keyword(const char *s)
{
    for (size_t i = 0; i < sizeof c_keywords / sizeof *c_keywords; i++)
        if (!strcmp(s, c_keywords[i]))
            return true;
    return false;
}

/* "kiln" or "kiln_..." in any case: the runtime's namespace. */
static bool is_runtime_name(const char *s)
{
    static const char k[] = "kiln";
    for (size_t i = 0; i < 4; i++)
        if (tolower((unsigned char)s[i]) != k[i])
            return false;
    return s[4] == '\0' || s[4] == '_';
}

static bool is_ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

bool c_name_check(const char *s, char *err, size_t errlen)
{
    size_t n = strlen(s);
    const char *why = NULL;
    if (n == 0)
        why = "is empty";
    else if (n > C_NAME_MAX)
        why = "is longer than " C_NAME_MAX_STR " characters (NET_OUTPUTk_BYTES must stay within the 63 "
              "characters C99 guarantees)";
    else if (!isalpha((unsigned char)s[0]) || (unsigned char)s[0] > 127)
        why = "does not start with a letter (names starting with '_' or a digit are reserved or invalid)";
    else if (is_keyword(s))
        why = "is a C or C++ keyword";
    else if (is_runtime_name(s))
        why = "is in the runtime's namespace (kiln_*, KILN_*)";
    for (size_t i = 0; !why && i < n; i++)
        if (!is_ident_char(s[i]) || (unsigned char)s[i] > 127)
            why = "is not a C identifier (use letters, digits and '_')";
    if (!why)
        return true;
    c_cut_buf cb;
    sbuf shown = {0};
    snprintf(err, errlen, "--name '%s' %s; choose a prefix such as 'net' or 'my_model' (letters, digits "
             "and '_', starting with a letter, at most " C_NAME_MAX_STR " characters, not kiln_*)",
             c_text_str(&shown, c_cut(&cb, s), C_TEXT_CUT + 64), why);
    sb_free(&shown);
    return false;
}

char *c_identifier(const char *s)
{
    sbuf b = {0};
    if (!isalpha((unsigned char)s[0]) || (unsigned char)s[0] > 127)
        sb_put(&b, "n", 1);             /* "1net" -> "n1net", "_x" -> "n_x", "" -> "n" */
    for (size_t i = 0; s[i] && b.len < C_NAME_MAX; i++)
        sb_put(&b, is_ident_char(s[i]) && (unsigned char)s[i] < 128 ? &s[i] : "_", 1);
    char *id = sb_take(&b);
    if (is_keyword(id) || is_runtime_name(id)) {
        char *fixed = xasprintf("n_%.*s", C_NAME_MAX - 2, id);   /* "int" -> "n_int" */
        free(id);
        id = fixed;
    }
    return id;
}

const char *kernel_choice_name(kernel_choice k)
{
    return k == KERNELS_COMPACT ? "compact" : k == KERNELS_PLAIN ? "plain" : "fast";
}

/* int16 conv/FC weights pay off where SMLAD reads them, and on the host
 * (wider vector multiply-adds); elsewhere they would only double the flash. */
static lower_kernels lower_kernels_for(const compiled *c)
{
    if (c->kernels == KERNELS_PLAIN)
        return LOWER_PLAIN;
    if (c->kernels == KERNELS_COMPACT)
        return LOWER_PACKED_W8;
    return c->cpu->dsp || !c->cpu->arm ? LOWER_PACKED_W16 : LOWER_PACKED_W8;
}

static kiln_blob_dtype blob_dtype(ir_dtype dt)
{
    return (dt >= IR_DT_F32 && dt <= IR_DT_U64) ? (kiln_blob_dtype)dt : KILN_BLOB_DT_U8;
}

/* The constants a call uses for the first time, into the blob's list; pass
 * 0 takes only its float biases (KILN_BLOB_LAYOUT_F32_BIAS), pass 1 the rest. */
static void collect_call_pass(compiled *c, const lir_call *call, int pass)
{
    ir_graph *g = c->g;
    for (int a = 0; a < call->n_args; a++) {
        if (call->args[a].kind != LIR_ARG_TENSOR)
            continue;
        int r = c->pl.root[call->args[a].tensor];
        ir_tensor *t = &g->tensors[r];
        if (!ir_is_const(t) || c->blob_of[r] >= 0)
            continue;
        if (pass == 0 && lir_layout_of(&c->prog, r) != KILN_BLOB_LAYOUT_F32_BIAS)
            continue;
        blob_tensor *b = &c->bt[c->n_bt];
        b->name = t->name;
        b->data = t->data;
        b->nbytes = t->nbytes;
        b->dtype = blob_dtype(t->dtype);
        b->kind = r >= c->n_imported ? KILN_BLOB_KIND_DERIVED : KILN_BLOB_KIND_WEIGHTS;
        b->layout = (kiln_blob_layout)lir_layout_of(&c->prog, r);
        c->blob_of[r] = c->n_bt++;
    }
}

/* Collects the constants that calls reference (through aliases), in first-use
 * order.  Stream mode puts a call's float biases before its weights: a layer
 * read in tiles (stream_plan.c) reads them with its first tile, then the
 * weight tiles, one pass up the blob. */
static void collect_blob_tensors(compiled *c)
{
    ir_graph *g = c->g;
    c->blob_of = xmalloc(((size_t)g->n_tensors + 1) * sizeof(int));
    for (int t = 0; t < g->n_tensors; t++)
        c->blob_of[t] = -1;
    c->bt = xcalloc((size_t)g->n_tensors + 1, sizeof *c->bt);
    c->n_bt = 0;
    for (int i = 0; i < c->prog.n_calls; i++)
        for (int pass = c->weights == WEIGHTS_STREAM ? 0 : 1; pass < 2; pass++)
            collect_call_pass(c, &c->prog.calls[i], pass);
}

static void hash_tensor_desc(uint64_t *h, const ir_graph *g, int t)
{
    const ir_tensor *x = &g->tensors[t];
    uint32_t d[2 + IR_MAX_DIMS];
    d[0] = (uint32_t)x->dtype;
    d[1] = (uint32_t)x->rank;
    for (int i = 0; i < IR_MAX_DIMS; i++)
        d[2 + i] = (uint32_t)(i < x->rank ? x->shape[i] : 0);
    *h = fnv64(*h, d, sizeof d);
}

static uint64_t compute_signature(const compiled *c, const uint8_t *payload, size_t payload_len)
{
    const ir_graph *g = c->g;
    uint64_t h = FNV64_INIT;
    h = fnv64_str(h, "kiln-signature-v1");
    for (int i = 0; i < g->n_inputs; i++)
        hash_tensor_desc(&h, g, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        hash_tensor_desc(&h, g, g->outputs[i]);
    uint64_t arena = c->pl.arena_bytes;
    h = fnv64(h, &arena, sizeof arena);
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        h = fnv64_str(h, call->kernel);
        /* the params by value: their type and bytes (no padding, lir_params.c) */
        h = fnv64_str(h, call->ptype ? call->ptype->name : "");
        if (call->ptype)
            h = fnv64(h, call->params, call->ptype->size);
        for (int a = 0; a < call->n_args; a++) {
            const lir_arg *arg = &call->args[a];
            uint64_t v[3] = {(uint64_t)arg->kind, 0, 0};
            if (arg->kind == LIR_ARG_TENSOR) {
                int r = c->pl.root[arg->tensor];
                v[1] = (uint64_t)c->pl.home[arg->tensor];
                v[2] = c->pl.home[arg->tensor] != PLAN_BLOB ? c->pl.offset[arg->tensor]
                       : c->blob_of[r] >= 0             ? c->bt[c->blob_of[r]].offset
                                                        : (1ull << 63) | c->hot[c->hot_of[r]].offset;
                hash_tensor_desc(&h, g, arg->tensor);
            } else if (arg->kind == LIR_ARG_INT)
                v[1] = (uint64_t)arg->value;
            h = fnv64(h, v, sizeof v);
        }
        uint64_t s = call->scratch_bytes;
        h = fnv64(h, &s, sizeof s);
    }
    /* The weights themselves: a retrained model with the same graph is a
     * different model, and its old blob must be refused as stale. */
    h = fnv64(h, payload, payload_len);
    if (c->hot_len)
        h = fnv64(h, c->hot_data, c->hot_len);
    return h;
}

const char *weights_mode_name(weights_mode w)
{
    return w == WEIGHTS_INLINE ? "inline" : w == WEIGHTS_STREAM ? "stream" : "external";
}

const char *integrity_name(kiln_integrity m)
{
    return m == KILN_INTEGRITY_SHA256 ? "sha256" : m == KILN_INTEGRITY_CRC32 ? "crc32" : "?";
}

bool integrity_parse(const char *s, kiln_integrity *m)
{
    if (!strcmp(s, "sha256"))
        *m = KILN_INTEGRITY_SHA256;
    else if (!strcmp(s, "crc32"))
        *m = KILN_INTEGRITY_CRC32;
    else
        return false;
    return true;
}

/* Bytes a call may read through tensor t (a packed constant's own size, or
 * its shape's). */
static size_t tensor_bytes(const ir_tensor *t)
{
    return t->nbytes ? t->nbytes : ir_nbytes(t);
}

/* Every blob range a call names lies inside its constant's bytes, and those
 * inside the tensor data of the blob. */
static bool blob_refs_in_bounds(const compiled *c, char *err, size_t errlen)
{
    const size_t data = kiln_rd_u32(c->blob + KILN_BLOB_OFF_DATA);
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        for (int a = 0; a < call->n_args; a++) {
            if (call->args[a].kind != LIR_ARG_TENSOR || c->pl.home[call->args[a].tensor] != PLAN_BLOB)
                continue;
            const int t = call->args[a].tensor, r = c->pl.root[t];
            const blob_tensor *bt = c->blob_of[r] >= 0 ? &c->bt[c->blob_of[r]] : NULL;
            const size_t n = tensor_bytes(&c->g->tensors[t]);
            if (!bt && c->hot_of[r] >= 0) {
                /* Kept inline by --internal-budget: inside the hot array. */
                const blob_tensor *h = &c->hot[c->hot_of[r]];
                assert(n <= h->nbytes && h->offset + h->nbytes <= c->hot_len);
                continue;
            }
            if (!bt || bt->offset < data || n > bt->nbytes || bt->offset + bt->nbytes > c->blob_len) {
                snprintf(err, errlen,
                         "internal error: call %d (%s) reads %zu bytes of constant '%s' outside its "
                         "%zu bytes in the %zu-byte blob", i, call->kernel, n, c->g->tensors[t].name,
                         bt ? bt->nbytes : 0, c->blob_len);
                return false;
            }
        }
    }
    return true;
}

/* What the generated code pins, read back from the sealed blob. */
static void pin_blob(compiled *c, kiln_integrity mode)
{
    const uint8_t *b = c->blob;
    kiln_blob_expect *e = &c->expect;
    memset(e, 0, sizeof *e);
    e->signature = c->signature;
    e->total_size = (uint32_t)c->blob_len;
    e->flags = kiln_rd_u32(b + KILN_BLOB_OFF_FLAGS);
    e->align = kiln_rd_u32(b + KILN_BLOB_OFF_ALIGN);
    e->tensor_count = kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT);
    e->dir_offset = kiln_rd_u32(b + KILN_BLOB_OFF_DIR);
    e->data_offset = kiln_rd_u32(b + KILN_BLOB_OFF_DATA);
    e->payload_crc = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC);
    e->integrity = mode;
    if (mode == KILN_INTEGRITY_SHA256)
        kiln_sha256(b + KILN_BLOB_HEADER_SIZE, c->blob_len - KILN_BLOB_HEADER_SIZE, e->sha256);
}

/* The finished blob passes the very check the runtime will run. */
static bool self_check(compiled *c, char *err, size_t errlen)
{
    kiln_blob_report rep;
    uint8_t *copy = aligned_alloc(4096, (c->blob_len + 4095) / 4096 * 4096);
    if (!copy) {
        snprintf(err, errlen, "out of memory checking the %zu-byte blob", c->blob_len);
        return false;
    }
    memcpy(copy, c->blob, c->blob_len);
    kiln_status s = kiln_blob_check_model(copy, c->blob_len, &c->expect, 0, &rep);
    free(copy);
    if (s != KILN_OK) {
        char why[160];
        kiln_blob_report_str(&rep, why, sizeof why);
        snprintf(err, errlen, "internal error: the blob just written fails the runtime check: %s %s",
                 kiln_status_name(s), why);
        return false;
    }
    return true;
}

/* Bytes of blob constants per IR node, in one pass over the calls (a
 * constant two of a node's calls read counts twice, as the report always
 * counted it). */
static void sum_node_weights(compiled *c)
{
    const int nn = c->g->n_nodes;
    c->node_weights = xcalloc((size_t)nn + 1, sizeof *c->node_weights);
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        if (call->node < 0 || call->node >= nn)
            continue;
        for (int a = 0; a < call->n_args; a++) {
            if (call->args[a].kind != LIR_ARG_TENSOR || c->pl.home[call->args[a].tensor] != PLAN_BLOB)
                continue;
            const ir_tensor *t = &c->g->tensors[call->args[a].tensor];
            c->node_weights[call->node] += t->nbytes ? t->nbytes : ir_nbytes(t);
        }
    }
}

/* --stage-bytes: stream mode only, at least one aligned unit; calls it
 * will tile are marked before the plan (they never run in place). */
static bool stage_cap_set(compiled *c, const compile_opts *o, char *err, size_t errlen)
{
    if (o->stage_double && c->weights != WEIGHTS_STREAM) {
        snprintf(err, errlen, "--stage-double doubles the staging buffer of --weights stream; the weights are %s",
                 weights_mode_name(c->weights));
        return false;
    }
    c->stage_double = o->stage_double;
    if (!o->stage_bytes)
        return true;
    if (c->weights != WEIGHTS_STREAM) {
        snprintf(err, errlen, "--stage-bytes sizes the staging buffer of --weights stream; the weights are %s",
                 weights_mode_name(c->weights));
        return false;
    }
    if (o->stage_bytes < PLAN_ALIGN || o->stage_bytes > 0xFFFFFFFFull) {
        snprintf(err, errlen, "--stage-bytes %llu: give %u to 4294967295 bytes (the buffer is used in "
                 "%u-byte units)", (unsigned long long)o->stage_bytes, PLAN_ALIGN, PLAN_ALIGN);
        return false;
    }
    c->stage_cap = (size_t)(o->stage_bytes / PLAN_ALIGN * PLAN_ALIGN);
    stream_mark_tiled(c, c->stage_cap);
    return true;
}

/* An explicit --name is used as given or refused; a name derived from the
 * model (file or graph name) is made into a valid one. */
static bool compile_as(ir_graph *g, const compile_opts *o, const char *derived, compiled *c, char *err,
                       size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->g = g;
    c->weights = o->weights;
    c->address = o->address;
    c->has_address = o->has_address;
    if (o->name && !c_name_check(o->name, err, errlen))
        return false;
    c->name = o->name ? xstrdup(o->name) : c_identifier(derived);
    c->kernels = o->kernels;
    c->cpu = cpu_find(o->cpu ? o->cpu : CPU_DEFAULT);
    if (!c->cpu) {
        snprintf(err, errlen, "--cpu '%s' is not a CPU Kiln knows (%s)", o->cpu, cpu_names());
        return false;
    }

    if (!ir_verify(g, err, errlen))
        return false;
    /* QDQ groups first: folding would turn DequantizeLinear(int8 weights)
     * into float weights and hide the quantized layer. */
    if (!fuse_qdq(g, err, errlen))
        return false;
    c->stats.folded = fold_constants(g);
    const lower_opts lo = {lower_kernels_for(c), !c->cpu->arm};
    if (!o->no_fuse) {
        c->stats.bn_fused = fuse_batchnorm(g);
        c->stats.pad_fused = fuse_pad_conv(g);
        /* Epilogues beyond a clamp exist in the packed kernels only. */
        if (lo.kernels != LOWER_PLAIN)
            c->stats.epi_fused = fuse_conv_epilogue(g);
        c->stats.act_fused = fuse_activations(g);
    }
    ir_compact(g);
    if (!ir_verify(g, err, errlen))
        return false;
    c->n_imported = g->n_tensors;
    if (!lower_graph_opts(g, &lo, &c->prog, err, errlen))
        return false;
    if (!stage_cap_set(c, o, err, errlen))
        return false;
    if (!plan_memory(g, &c->prog, &c->pl, err, errlen))
        return false;
    collect_blob_tensors(c);
    sum_node_weights(c);
    if (o->internal_budget && c->weights == WEIGHTS_INLINE) {
        snprintf(err, errlen, "--internal-budget applies to --weights external or stream: with inline "
                 "weights everything is in internal flash already");
        return false;
    }
    c->internal_budget = o->internal_budget;
    hot_estimate_reads(c);
    hot_select(c);

    uint32_t align = o->blob_align ? o->blob_align : PLAN_ALIGN;
    /* Build once with a zero signature to get the payload, sign it, then seal. */
    if (!blob_build(c->bt, c->n_bt, align, 0, &c->blob, &c->blob_len, err, errlen))
        return false;
    if (c->weights == WEIGHTS_STREAM && !stream_plan_build(c, err, errlen))
        return false;
    c->signature = compute_signature(c, c->blob + KILN_BLOB_HEADER_SIZE,
                                     c->blob_len - KILN_BLOB_HEADER_SIZE);
    blob_seal(c->blob, c->blob_len, align, c->signature, (uint32_t)c->n_bt, KILN_BLOB_HEADER_SIZE,
              kiln_rd_u32(c->blob + KILN_BLOB_OFF_DATA));
    pin_blob(c, o->integrity ? o->integrity : COMPILE_INTEGRITY_DEFAULT);
    return blob_refs_in_bounds(c, err, errlen) && self_check(c, err, errlen);
}

bool compile_graph(ir_graph *g, const compile_opts *o, compiled *c, char *err, size_t errlen)
{
    return compile_as(g, o, g->name, c, err, errlen);
}

bool compile_model(const char *path, const compile_opts *o, compiled *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    ir_graph *g = import_model(path, &o->imp, err, errlen);
    if (!g)
        return false;
    char *stem = path_stem(path);
    bool ok = compile_as(g, o, stem, c, err, errlen);
    free(stem);
    return ok;
}

void compiled_free(compiled *c)
{
    for (int i = 0; c->stage && i < c->prog.n_calls; i++)
        free(c->stage[i].tiles);
    lir_free(&c->prog);
    plan_free(&c->pl);
    ir_free(c->g);
    free(c->bt);
    free(c->blob_of);
    free(c->node_weights);
    free(c->blob);
    free(c->hot);
    free(c->hot_of);
    free(c->hot_data);
    free(c->reads_per_byte);
    free(c->stage);
    free(c->reads);
    free(c->name);
    memset(c, 0, sizeof *c);
}

size_t compiled_node_weight_bytes(const compiled *c, int node)
{
    return c->node_weights && node >= 0 && node < c->g->n_nodes ? c->node_weights[node] : 0;
}
