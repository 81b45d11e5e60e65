/*
 * fuzz_util.c - the shared half of the harnesses (see fuzz_util.h): the
 * compile, emit and self-check stage after an import succeeds.
 *
 * Relies on compile_graph() taking ownership of the graph whatever it
 * returns, and on compiled_free() accepting a half-filled result.  Never
 * writes a file unless $KILN_FUZZ_EMIT_DIR asks for it.
 */
#include "fuzz_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "compile.h"
#include "emit/emit_c.h"
#include "emit/report.h"
#include "kiln/blob.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/sbuf.h"

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: broken promise: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* The compiler's own blob must be one the runtime accepts, for the code it
 * emitted: anything else means the two halves disagree on the format. */
static void check_own_blob(const compiled *c)
{
    kiln_blob_report r;
    kiln_status s = kiln_blob_check(c->blob, c->blob_len, c->signature, 0, &r);
    if (s != KILN_OK)
        fuzz_fail("the runtime refuses the compiler's own blob (%zu bytes): %s", c->blob_len,
                  kiln_status_name(s));
    if (r.total_size != c->blob_len)
        fuzz_fail("blob of %zu bytes says its total size is %" PRIu32, c->blob_len, r.total_size);
}

/* The generated code and the blob header hold sizes and offsets in uint32_t
 * fields: a model that needs more must be refused, not truncated. */
static void check_sizes(const compiled *c)
{
    if (c->pl.arena_bytes > UINT32_MAX || c->blob_len > UINT32_MAX)
        fuzz_fail("compiled with an arena of %zu bytes and a blob of %zu bytes: over 4 GiB, the "
                  "generated uint32_t fields truncate them", c->pl.arena_bytes, c->blob_len);
    const ir_graph *g = c->g;
    for (int k = 0; k < g->n_inputs + g->n_outputs; k++) {
        const ir_tensor *t = &g->tensors[k < g->n_inputs ? g->inputs[k] : g->outputs[k - g->n_inputs]];
        if (ir_nbytes(t) > UINT32_MAX)
            fuzz_fail("compiled with graph %s '%s' of %zu bytes: over 4 GiB, its kiln_io_desc.bytes "
                      "truncates it", k < g->n_inputs ? "input" : "output", t->name, ir_nbytes(t));
    }
}

static void emit_to_memory(const compiled *c)
{
    sbuf h = {0}, s = {0}, d = {0}, rt = {0}, rj = {0};
    emit_header(c, &h);
    emit_source(c, &s);
    if (c->weights == WEIGHTS_INLINE)
        emit_data_c(c, &d);
    report_text(c, &rt);
    report_json(c, &rj);
    if (!h.len || !s.len)
        fuzz_fail("a compiled model emitted an empty NET.h or NET.c");
    sb_free(&h);
    sb_free(&s);
    sb_free(&d);
    sb_free(&rt);
    sb_free(&rj);
}

/* For check_emit.sh: the files exactly as `kiln generate` writes them, and
 * the input they came from beside them (named "input"). */
static void emit_to_dir(const compiled *c, const char *root, const uint8_t *data, size_t size)
{
    char dir[4096], err[1024];
    snprintf(dir, sizeof dir, "%s/%016" PRIx64, root, fnv64(FNV64_INIT, data, size));
    if (!emit_all(c, dir, err, sizeof err)) {
        fprintf(stderr, "fuzz: could not write the emitted files: %s\n", err);
        return;
    }
    char *path = path_join(dir, "input");
    if (!write_file_atomic(path, data, size, err, sizeof err))
        fprintf(stderr, "fuzz: could not write the input: %s\n", err);
    free(path);
}

void fuzz_compile_emit(ir_graph *g, const uint8_t *data, size_t size)
{
    compile_opts o = {0};
    /* The last byte picks the mode, so both emitters see every graph shape. */
    o.weights = size && (data[size - 1] & 1) ? WEIGHTS_INLINE : WEIGHTS_EXTERNAL;
    compiled c;
    char err[1024];
    err[0] = 0;
    if (!compile_graph(g, &o, &c, err, sizeof err)) {
        if (!err[0])
            fuzz_fail("compile_graph failed without a message");
        compiled_free(&c);
        return;
    }
    check_sizes(&c);
    check_own_blob(&c);
    emit_to_memory(&c);
    const char *root = getenv("KILN_FUZZ_EMIT_DIR");
    if (root && *root)
        emit_to_dir(&c, root, data, size);
    compiled_free(&c);
}
