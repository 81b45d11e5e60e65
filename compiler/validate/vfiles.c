/*
 * vfiles.c - `kiln validate`'s tensor files and inputs: reading --input and
 * --expected files, compiling the model with the typed ones as import
 * values, and laying their samples out sample-major, or making random
 * samples from a seed.
 *
 * A file holds one sample (exactly the tensor's element count, whatever its
 * shape) or N samples along a leading batch dimension: [N, d1, ...] for a
 * tensor [1, d1, ...] or [N, d0, d1, ...] for a tensor [d0, d1, ...]; a raw
 * file holds a whole number of samples.  Every file must give the same N,
 * every file must belong to an input or output: nothing is silently ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/tensor_file.h"
#include "util/fileio.h"
#include "util/sbuf.h"
#include "util/term.h"
#include "validate/validate.h"

/* ---- reading -------------------------------------------------------------- */

static bool load_one(const char *path, vfile *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    const char *ext = path_ext(path);
    if (!strcmp(ext, "npy") || !strcmp(ext, "pb")) {
        tensor_value t;
        if (!tensor_file_read(path, &t, err, errlen))
            return false;
        f->typed = true;
        f->dtype = t.dtype;
        f->rank = t.rank;
        memcpy(f->shape, t.shape, sizeof f->shape);
        f->data = t.data;
        f->nbytes = t.nbytes;
        free(t.name);
        return true;
    }
    return read_file(path, &f->data, &f->nbytes, err, errlen);
}

bool vfiles_load(const vopts *o, vfileset *fs, char *err, size_t errlen)
{
    memset(fs, 0, sizeof *fs);
    for (int i = 0; i < o->n_inputs; i++, fs->n_in++)
        if (!load_one(o->inputs[i], &fs->in[i], err, errlen))
            return false;
    for (int i = 0; i < o->n_expected; i++, fs->n_exp++)
        if (!load_one(o->expected[i], &fs->exp[i], err, errlen))
            return false;
    return true;
}

void vfiles_free(vfileset *fs)
{
    for (int i = 0; i < fs->n_in; i++)
        free(fs->in[i].data);
    for (int i = 0; i < fs->n_exp; i++)
        free(fs->exp[i].data);
    fs->n_in = fs->n_exp = 0;
}

/* ---- compiling with the files as import values ---------------------------- */

/* The import value of typed file f seen through `view`; false when the view
 * does not apply to it (the file is then handed over as it is). */
static bool view_value(const vfile *f, int view, import_value *v)
{
    memset(v, 0, sizeof *v);
    v->dtype = f->dtype;
    v->rank = f->rank;
    memcpy(v->shape, f->shape, sizeof v->shape);
    v->data = f->data;
    v->nbytes = f->nbytes;
    if (view == VIEW_AS_IS || f->rank < 1 || f->shape[0] <= 1 || (view == VIEW_DIM0_DROPPED && f->rank < 2))
        return false;
    size_t per = f->nbytes / (size_t)f->shape[0];
    if (view == VIEW_DIM0_ONE) {
        v->shape[0] = 1;
    } else {
        v->rank = f->rank - 1;
        memmove(v->shape, v->shape + 1, sizeof(int64_t) * (IR_MAX_DIMS - 1));
    }
    v->nbytes = per;
    return true;
}

import_opts vfiles_import_opts(vfileset *fs)
{
    for (int i = 0; i < fs->n_in; i++) {
        fs->value_ptrs[i] = NULL;
        if (fs->in[i].typed) {
            view_value(&fs->in[i], fs->view, &fs->values[i]);
            fs->value_ptrs[i] = &fs->values[i];
        }
    }
    import_opts imp = {fs->n_in, fs->value_ptrs};
    return imp;
}

/* Whether some typed file has a leading dimension that could count samples. */
static bool any_view(const vfileset *fs, int view)
{
    import_value v;
    for (int i = 0; i < fs->n_in; i++)
        if (fs->in[i].typed && view_value(&fs->in[i], view, &v))
            return true;
    return false;
}

bool vfiles_compile(const vopts *o, vfileset *fs, compiled *c, char *err, size_t errlen)
{
    /* As they are first: a leading dimension may be the model's own batch
     * (it fixes a symbolic one).  Only if the model refuses them, their first
     * sample. */
    for (int view = VIEW_AS_IS; view <= VIEW_DIM0_DROPPED; view++) {
        if (view != VIEW_AS_IS && !any_view(fs, view))
            continue;
        fs->view = view;
        compile_opts co = o->co;
        co.imp = vfiles_import_opts(fs);
        co.imp.n_fixes = o->co.imp.n_fixes;   /* --shape / --const */
        co.imp.fixes = o->co.imp.fixes;
        char why[2048];
        memset(c, 0, sizeof *c);
        if (compile_model(o->model, &co, c, why, sizeof why))
            return true;
        compiled_free(c);
        memset(c, 0, sizeof *c);
        if (view == VIEW_AS_IS)
            snprintf(err, errlen, "%s", why);
    }
    fs->view = VIEW_AS_IS;
    return false;
}

/* ---- samples -------------------------------------------------------------- */

static void shape_str(char *buf, size_t n, int rank, const int64_t *shape)
{
    size_t l = 0;
    l += (size_t)snprintf(buf + l, n - l, "[");
    for (int d = 0; d < rank && l < n; d++)
        l += (size_t)snprintf(buf + l, n - l, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (l < n)
        snprintf(buf + l, n - l, "]");
}

/* How many samples of tensor t (called `name` in messages) file f holds (see
 * the header); 0 after writing why not. */
static size_t count_samples(const vfile *f, const ir_tensor *t, const char *name, const char *role,
                            char *err, size_t errlen)
{
    size_t nb = ir_nbytes(t);
    char fs[128], ts[128];
    shape_str(ts, sizeof ts, t->rank, t->shape);
    if (nb == 0 && f->nbytes == 0 && (!f->typed || f->dtype == t->dtype))
        return 1; /* a tensor with no elements: its one sample is an empty file */
    if (!f->typed) {
        if (nb && f->nbytes && f->nbytes % nb == 0)
            return f->nbytes / nb;
        snprintf(err, errlen, "'%s' has %zu bytes; the model's %s '%s' (%s %s) takes %zu per sample", f->path,
                 f->nbytes, role, name, ir_dtype_name(t->dtype), ts, nb);
        return 0;
    }
    shape_str(fs, sizeof fs, f->rank, f->shape);
    if (f->dtype != t->dtype) {
        snprintf(err, errlen, "'%s' is %s; the model's %s '%s' is %s", f->path, ir_dtype_name(f->dtype), role,
                 name, ir_dtype_name(t->dtype));
        return 0;
    }
    if (f->nbytes == nb && nb)
        return 1;
    bool batch = false;
    if (f->rank == t->rank && t->rank >= 1 && t->shape[0] == 1)
        batch = !memcmp(f->shape + 1, t->shape + 1, sizeof(int64_t) * (size_t)(t->rank - 1));
    if (f->rank == t->rank + 1)
        batch = batch || !memcmp(f->shape + 1, t->shape, sizeof(int64_t) * (size_t)t->rank);
    if (batch && f->shape[0] > 0)
        return (size_t)f->shape[0];
    snprintf(err, errlen, "'%s' has shape %s; the model's %s '%s' is %s %s: give one sample of that shape, "
             "or N samples along a leading dimension ([N,...])", f->path, fs, role, name,
             ir_dtype_name(t->dtype), ts);
    return 0;
}

/* count_samples with the model's name made safe for one line (util/term.h). */
static size_t samples_in(const vfile *f, const ir_tensor *t, const char *role, char *err, size_t errlen)
{
    sbuf nm = {0};
    size_t n = count_samples(f, t, term_name(&nm, t->name), role, err, errlen);
    sb_free(&nm);
    return n;
}

/* Puts each file's samples of the listed tensors into buf, sample-major with
 * `stride` bytes per sample; files[k] holds tensors[k] (or, with one_raw,
 * files[0] holds all of them concatenated per sample).  Sets or checks *n. */
static bool gather(const vfile *const *files, int nt, const ir_tensor *const *tensors, bool one_raw,
                   const char *role, size_t *n, size_t stride, uint8_t **buf, char *err, size_t errlen)
{
    const vfile *first = NULL;
    size_t nfirst = 0;
    for (int k = 0; k < nt && !one_raw; k++) {
        size_t m = samples_in(files[k], tensors[k], role, err, errlen);
        if (!m)
            return false;
        if (first && m != nfirst) {
            snprintf(err, errlen, "'%s' holds %zu sample%s but '%s' holds %zu; every file must hold the same "
                     "number", first->path, nfirst, nfirst == 1 ? "" : "s", files[k]->path, m);
            return false;
        }
        if (!first) {
            first = files[k];
            nfirst = m;
        }
    }
    if (one_raw) {
        if (!stride || files[0]->nbytes == 0 || files[0]->nbytes % stride) {
            snprintf(err, errlen, "'%s' has %zu bytes; the model's %ss take %zu per sample", files[0]->path,
                     files[0]->nbytes, role, stride);
            return false;
        }
        first = files[0];
        nfirst = files[0]->nbytes / stride;
    }
    if (*n && first && nfirst != *n) {
        snprintf(err, errlen, "'%s' holds %zu sample%s but the inputs hold %zu", first->path, nfirst,
                 nfirst == 1 ? "" : "s", *n);
        return false;
    }
    *n = first ? nfirst : *n;
    *buf = xcalloc(*n * stride + 1, 1);
    if (one_raw) {
        memcpy(*buf, files[0]->data, *n * stride);
        return true;
    }
    size_t off = 0;
    for (int k = 0; k < nt; k++) {
        size_t nb = ir_nbytes(tensors[k]);
        for (size_t s = 0; s < *n; s++)
            memcpy(*buf + s * stride + off, files[k]->data + s * nb, nb);
        off += nb;
    }
    return true;
}

/* The inputs generator of ../shared/reference/README.md (TFLite-Micro's
 * reference runs), so a seed means the same input everywhere. */
static void random_fill(uint32_t *state, const ir_tensor *t, uint8_t *dst)
{
    int64_t n = ir_numel(t);
    for (int64_t i = 0; i < n; i++) {
        *state = (uint32_t)(((uint64_t)*state * 1103515245u + 12345u) & 0x7FFFFFFFu);
        uint32_t s = *state;
        switch (t->dtype) {
        case IR_DT_F32: {
            float v = (float)((double)(s >> 8) / 4194304.0 - 1.0);
            memcpy(dst + 4 * i, &v, 4);
            break;
        }
        case IR_DT_S8: case IR_DT_U8:
            dst[i] = (uint8_t)((s >> 16) & 0xFF);
            break;
        case IR_DT_BOOL:
            dst[i] = (uint8_t)((s >> 16) & 1);
            break;
        case IR_DT_S16: case IR_DT_U16: {
            uint16_t v = (uint16_t)(s >> 8);
            memcpy(dst + 2 * i, &v, 2);
            break;
        }
        case IR_DT_S32: case IR_DT_U32: {
            int32_t v = (int32_t)((s >> 16) & 0xFF) - 128;
            memcpy(dst + 4 * i, &v, 4);
            break;
        }
        case IR_DT_S64: case IR_DT_U64: {
            int64_t v = (int64_t)((s >> 16) & 0xFF) - 128;
            memcpy(dst + 8 * i, &v, 8);
            break;
        }
        default:
            memset(dst + ir_dtype_size(t->dtype) * (size_t)i, 0, ir_dtype_size(t->dtype));
        }
    }
}

static void io_bytes(const ir_graph *g, vbatch *b)
{
    b->in_bytes = b->out_bytes = 0;
    for (int i = 0; i < g->n_inputs; i++)
        b->in_bytes += ir_nbytes(&g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        b->out_bytes += ir_nbytes(&g->tensors[g->outputs[i]]);
}

/* The number of --input files the model takes: its declared inputs,
 * including those frozen into constants at import. */
static int declared_inputs(const ir_graph *g)
{
    int n = g->n_declared_inputs;
    for (int i = 0; i < g->n_inputs; i++)
        if (g->input_src[i] + 1 > n)
            n = g->input_src[i] + 1;
    return n;
}

bool vfiles_inputs(const vopts *o, const vfileset *fs, const ir_graph *g, vbatch *b, char *err,
                   size_t errlen)
{
    io_bytes(g, b);
    int declared = declared_inputs(g);
    if (!fs->n_in && o->n_expected && declared) {
        /* Random inputs cannot match files of expected outputs. */
        snprintf(err, errlen, "--expected needs the --input it belongs to (the model has %d input%s; give "
                 "one --input per input)", declared, declared == 1 ? "" : "s");
        return false;
    }
    if (!fs->n_in) {
        b->samples = (size_t)o->samples;
        b->in = xcalloc(b->in_bytes * b->samples + 1, 1);
        uint32_t state = (uint32_t)o->seed;
        for (size_t k = 0; k < b->samples; k++) {
            size_t off = k * b->in_bytes;
            for (int i = 0; i < g->n_inputs; i++) {
                random_fill(&state, &g->tensors[g->inputs[i]], b->in + off);
                off += ir_nbytes(&g->tensors[g->inputs[i]]);
            }
        }
        return true;
    }
    bool one_raw = fs->n_in == 1 && !fs->in[0].typed && g->n_inputs > 1;
    if (!one_raw && fs->n_in != declared) {
        snprintf(err, errlen, "the model has %d input%s but %d --input file%s given%s", declared,
                 declared == 1 ? "" : "s", fs->n_in, fs->n_in == 1 ? " was" : "s were",
                 fs->n_in > declared ? " (one per input, in order; a file holds 1 or N samples)" : "");
        return false;
    }
    const vfile *files[VALIDATE_MAX_FILES];
    const ir_tensor *tensors[VALIDATE_MAX_FILES];
    for (int i = 0; i < g->n_inputs; i++) {
        files[i] = &fs->in[one_raw ? 0 : g->input_src[i]];
        tensors[i] = &g->tensors[g->inputs[i]];
    }
    b->samples = 0;
    if (g->n_inputs == 0) {     /* every input frozen into a constant: one run */
        b->samples = 1;
        b->in = xcalloc(1, 1);
        return true;
    }
    return gather(files, g->n_inputs, tensors, one_raw, "input", &b->samples, b->in_bytes, &b->in, err,
                  errlen);
}

bool vfiles_expected(const vfileset *fs, const ir_graph *g, vbatch *b, char *err, size_t errlen)
{
    bool one_raw = fs->n_exp == 1 && !fs->exp[0].typed && g->n_outputs > 1;
    if (!one_raw && fs->n_exp != g->n_outputs) {
        snprintf(err, errlen, "the model has %d output%s but %d --expected file%s given", g->n_outputs,
                 g->n_outputs == 1 ? "" : "s", fs->n_exp, fs->n_exp == 1 ? " was" : "s were");
        return false;
    }
    const vfile *files[VALIDATE_MAX_FILES];
    const ir_tensor *tensors[VALIDATE_MAX_FILES];
    for (int i = 0; i < g->n_outputs; i++) {
        files[i] = &fs->exp[one_raw ? 0 : i];
        tensors[i] = &g->tensors[g->outputs[i]];
    }
    return gather(files, g->n_outputs, tensors, one_raw, "output", &b->samples, b->out_bytes, &b->ref, err,
                  errlen);
}

void vbatch_free(vbatch *b)
{
    free(b->in);
    free(b->ref);
    free(b->out);
    free(b->count);
    memset(b, 0, sizeof *b);
}
