/*
 * cmd_validate.c - `kiln validate`: compile a model, build the generated C
 * into a harness for the target, run it, and compare its outputs with a
 * reference.
 *
 * The reference is, in order of preference, the user's expected outputs
 * (--expected, e.g. ONNX conformance data or TFLite-Micro's outputs) or the
 * reference evaluator (ref/eval.c) run on the model as imported, before any
 * pass touched it.  The generated code is built with -Wall -Wextra -Werror
 * -pedantic, so a warning in generated code fails validation too.
 *
 * Exit codes: 0 every output within tolerance, 1 some output outside it,
 * 2 any error (bad arguments, model refused, the blob refused at init, a
 * crash of the generated code).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cmd_common.h"
#include "emit/emit_c.h"
#include "ref/eval.h"
#include "util/args.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "util/sbuf.h"
#include "target/target.h"
#include "import/tensor_file.h"

static const char usage[] =
    "usage: kiln validate MODEL [options]\n"
    "Builds the generated code for the target, runs it and compares with a reference.\n"
    "  --target host|qemu        where to run: host (the machine's C compiler) or qemu\n"
    "                            (Cortex-M7 firmware on an emulated mps2-an500 board)\n"
    "  --input FILE              an input (.npy, .pb TensorProto, or raw bytes); once per model input\n"
    "  --expected FILE           an expected output (.npy, .pb, or raw; one raw file may hold all\n"
    "                            outputs concatenated); default: the reference evaluator\n"
    "  --seed N --samples K      K random inputs from seed N (default seed 1, 1 sample)\n"
    "  --blob FILE               run on this weights blob instead of the generated one\n"
    "  --no-crc                  skip the payload CRC check at init\n"
    "  --atol A --rtol R         float tolerance |out-ref| <= A + R*|ref| (default 1e-7, 1e-3)\n"
    "  --max-lsb N               allowed difference of integer outputs (default 0: exact)\n"
    "  --json FILE               write the metrics as JSON\n"
    "  --keep DIR                build in DIR and keep it (default: a temporary directory)\n"
    "  -v                        print the build commands and the harness output\n" COMPILE_OPTS_HELP;

typedef struct vopts {
    const char *model, *target, *blob, *json, *keep;
    const char *inputs[64];
    int n_inputs;
    const char *expected[64];
    int n_expected;
    uint64_t seed, samples;
    double atol, rtol;
    uint64_t max_lsb;
    bool no_crc, verbose;
    compile_opts co;
} vopts;

/* A tensor as read from a file: typed (.npy/.pb: dtype and shape known) or raw bytes. */
typedef struct tval {
    ir_dtype dtype;
    int rank;
    int64_t shape[IR_MAX_DIMS];
    void *data;
    size_t nbytes;
} tval;

typedef struct vfile {
    bool typed;
    tval v;
} vfile;

static bool read_typed_tensor(const char *path, tval *v, char *err, size_t errlen)
{
    tensor_value t;
    if (!tensor_file_read(path, &t, err, errlen))
        return false;
    v->dtype = t.dtype;
    v->rank = t.rank;
    memcpy(v->shape, t.shape, sizeof v->shape);
    v->data = t.data;
    v->nbytes = t.nbytes;
    free(t.name);
    return true;
}

static bool load_vfile(const char *path, vfile *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    const char *ext = path_ext(path);
    if (!strcmp(ext, "npy") || !strcmp(ext, "pb")) {
        f->typed = true;
        return read_typed_tensor(path, &f->v, err, errlen);
    }
    uint8_t *d;
    size_t n;
    if (!read_file(path, &d, &n, err, errlen))
        return false;
    f->v.data = d;
    f->v.nbytes = n;
    return true;
}

static void free_vfile(vfile *f)
{
    free(f->v.data);
}

/* ---- element access for comparison ---------------------------------------- */

static double elem(const void *p, ir_dtype dt, size_t i)
{
    switch (dt) {
    case IR_DT_F32: { float v; memcpy(&v, (const char *)p + 4 * i, 4); return v; }
    case IR_DT_F64: { double v; memcpy(&v, (const char *)p + 8 * i, 8); return v; }
    case IR_DT_S8: return ((const int8_t *)p)[i];
    case IR_DT_U8: case IR_DT_BOOL: return ((const uint8_t *)p)[i];
    case IR_DT_S16: { int16_t v; memcpy(&v, (const char *)p + 2 * i, 2); return v; }
    case IR_DT_U16: { uint16_t v; memcpy(&v, (const char *)p + 2 * i, 2); return v; }
    case IR_DT_S32: { int32_t v; memcpy(&v, (const char *)p + 4 * i, 4); return v; }
    case IR_DT_U32: { uint32_t v; memcpy(&v, (const char *)p + 4 * i, 4); return v; }
    case IR_DT_S64: { int64_t v; memcpy(&v, (const char *)p + 8 * i, 8); return (double)v; }
    case IR_DT_U64: { uint64_t v; memcpy(&v, (const char *)p + 8 * i, 8); return (double)v; }
    default: return 0;
    }
}

static bool is_float(ir_dtype dt)
{
    return dt == IR_DT_F32 || dt == IR_DT_F64 || dt == IR_DT_F16;
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

/* ---- metrics ------------------------------------------------------------- */

typedef struct metrics {
    double max_abs, rmse, mae, l2r, cos, acc;
    bool has_acc;
    int64_t max_lsb;        /* integer outputs */
    int64_t n_bad;          /* elements outside tolerance */
    int64_t first_bad;
    double bad_out, bad_ref;
    bool pass;
} metrics;

static bool classifier_like(const ir_tensor *t)
{
    if (t->rank == 0 || t->shape[t->rank - 1] < 2)
        return false;
    return t->rank <= 2 || ir_numel(t) == t->shape[t->rank - 1];
}

static metrics compare(const ir_tensor *t, const uint8_t *out, const uint8_t *ref, size_t samples,
                       const vopts *o)
{
    metrics m;
    memset(&m, 0, sizeof m);
    m.first_bad = -1;
    size_t n = (size_t)ir_numel(t) * samples;
    bool quant = t->q.n == 1 && !is_float(t->dtype);
    bool integer = !is_float(t->dtype);
    double scale = quant ? t->q.scale[0] : 1.0, zp = quant ? t->q.zero_point[0] : 0.0;
    double se = 0, ae = 0, rr = 0, oo = 0, ro = 0;
    for (size_t i = 0; i < n; i++) {
        double a = elem(out, t->dtype, i), b = elem(ref, t->dtype, i);
        bool bad;
        if (integer) {
            int64_t d = (int64_t)fabs(a - b);
            if (d > m.max_lsb)
                m.max_lsb = d;
            bad = (uint64_t)d > o->max_lsb;
            a = (a - zp) * scale;
            b = (b - zp) * scale;
        } else if (isnan(a) || isnan(b)) {
            bad = !(isnan(a) && isnan(b));
        } else {
            bad = !(fabs(a - b) <= o->atol + o->rtol * fabs(b));
        }
        if (bad) {
            if (m.first_bad < 0) {
                m.first_bad = (int64_t)i;
                m.bad_out = elem(out, t->dtype, i);
                m.bad_ref = elem(ref, t->dtype, i);
            }
            m.n_bad++;
        }
        if (isnan(a) || isnan(b))
            continue;
        double d = fabs(a - b);
        if (d > m.max_abs)
            m.max_abs = d;
        se += d * d;
        ae += d;
        rr += b * b;
        oo += a * a;
        ro += a * b;
    }
    m.rmse = n ? sqrt(se / (double)n) : 0;
    m.mae = n ? ae / (double)n : 0;
    m.l2r = rr > 0 ? sqrt(se) / sqrt(rr) : (se > 0 ? INFINITY : 0);
    m.cos = (rr > 0 && oo > 0) ? ro / (sqrt(rr) * sqrt(oo)) : (rr == oo ? 1.0 : 0.0);
    if (classifier_like(t)) {
        int64_t classes = t->shape[t->rank - 1];
        size_t rows = n / (size_t)classes, agree = 0;
        for (size_t r = 0; r < rows; r++) {
            size_t ba = 0, bb = 0;
            for (int64_t k = 1; k < classes; k++) {
                if (elem(out, t->dtype, r * (size_t)classes + (size_t)k) > elem(out, t->dtype, r * (size_t)classes + ba))
                    ba = (size_t)k;
                if (elem(ref, t->dtype, r * (size_t)classes + (size_t)k) > elem(ref, t->dtype, r * (size_t)classes + bb))
                    bb = (size_t)k;
            }
            agree += ba == bb;
        }
        m.has_acc = rows > 0;
        m.acc = rows ? (double)agree / (double)rows : 0;
    }
    m.pass = m.n_bad == 0;
    return m;
}

/* ---- option parsing --------------------------------------------------------- */

static int parse(int argc, char **argv, vopts *o)
{
    memset(o, 0, sizeof *o);
    o->target = "host";
    o->seed = 1;
    o->samples = 1;
    o->atol = 1e-7;
    o->rtol = 1e-3;
    bool seed_given = false;
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r = parse_compile_opt(argc, argv, &i, "validate", &o->co, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-v")) {
            o->verbose = true;
        } else if (!strcmp(a, "--no-crc")) {
            o->no_crc = true;
        } else if (!strcmp(a, "--input") || !strcmp(a, "--expected")) {
            bool in = !strcmp(a, "--input");
            if (!(v = arg_value(argc, argv, &i, "validate")))
                return 2;
            if ((in ? o->n_inputs : o->n_expected) == 64) {
                fprintf(stderr, "kiln validate: more than 64 %s files\n", a);
                return 2;
            }
            if (in)
                o->inputs[o->n_inputs++] = v;
            else
                o->expected[o->n_expected++] = v;
        } else if (!strcmp(a, "--target") || !strcmp(a, "--blob") || !strcmp(a, "--json") ||
                   !strcmp(a, "--keep")) {
            if (!(v = arg_value(argc, argv, &i, "validate")) || !arg_once(&seen, a, v, "validate"))
                return 2;
            if (!*v) {
                fprintf(stderr, "kiln validate: %s needs a %s, not an empty string\n", a,
                        !strcmp(a, "--keep") ? "directory" : !strcmp(a, "--target") ? "target" : "file");
                return 2;
            }
            *(!strcmp(a, "--target") ? &o->target : !strcmp(a, "--blob") ? &o->blob :
              !strcmp(a, "--json") ? &o->json : &o->keep) = v;
        } else if (!strcmp(a, "--seed") || !strcmp(a, "--samples") || !strcmp(a, "--max-lsb")) {
            uint64_t n;
            if (!(v = arg_value(argc, argv, &i, "validate")) || !arg_once(&seen, a, v, "validate"))
                return 2;
            if (!parse_count(v, &n)) {
                fprintf(stderr, "kiln validate: %s '%s' is not a decimal count (digits, no leading zeros)\n", a, v);
                return 2;
            }
            if (!strcmp(a, "--seed")) {
                if (n > UINT32_MAX) {
                    fprintf(stderr, "kiln validate: --seed %s is larger than 4294967295\n", v);
                    return 2;
                }
                o->seed = n;
                seed_given = true;
            } else if (!strcmp(a, "--samples")) {
                if (n < 1 || n > 100000) {
                    fprintf(stderr, "kiln validate: --samples must be 1..100000, not %s\n", v);
                    return 2;
                }
                o->samples = n;
            } else
                o->max_lsb = n;
        } else if (!strcmp(a, "--atol") || !strcmp(a, "--rtol")) {
            double d;
            if (!(v = arg_value(argc, argv, &i, "validate")) || !arg_once(&seen, a, v, "validate"))
                return 2;
            if (!parse_double(v, &d) || d < 0) {
                fprintf(stderr, "kiln validate: %s '%s' is not a non-negative number\n", a, v);
                return 2;
            }
            *(!strcmp(a, "--atol") ? &o->atol : &o->rtol) = d;
        } else if (a[0] == '-') {
            fprintf(stderr, "kiln validate: unknown option '%s'\n%s", a, usage);
            return 2;
        } else if (!o->model) {
            o->model = a;
        } else {
            fprintf(stderr, "kiln validate: more than one model given ('%s', '%s')\n", o->model, a);
            return 2;
        }
    }
    if (!o->model) {
        fprintf(stderr, "kiln validate: no model given\n%s", usage);
        return 2;
    }
    if (strcmp(o->target, "host") && strcmp(o->target, "qemu")) {
        fprintf(stderr, "kiln validate: unknown --target '%s' (host or qemu)\n", o->target);
        return 2;
    }
    if (o->n_inputs && (seed_given || o->samples > 1)) {
        fprintf(stderr, "kiln validate: --seed/--samples make random inputs; do not combine them with --input\n");
        return 2;
    }
    if (o->n_expected && !o->n_inputs) {
        fprintf(stderr, "kiln validate: --expected needs the --input it belongs to\n");
        return 2;
    }
    return -1;
}

/* ---- work directory ------------------------------------------------------------ */

static char *make_workdir(const vopts *o, char *err, size_t errlen)
{
    if (o->keep) {
        if (!make_dirs(o->keep, err, errlen))
            return NULL;
        return xstrdup(o->keep);
    }
    const char *tmp = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/kiln-validate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        snprintf(err, errlen, "cannot create a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

static void remove_workdir(const char *dir)
{
    char *cmd[] = {"rm", "-rf", (char *)dir, NULL};
    proc_result r;
    char err[64];
    proc_run(cmd, NULL, 60, &r, err, sizeof err);
}

/* ---- the command -------------------------------------------------------------- */

int cmd_validate(int argc, char **argv)
{
    vopts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    char err[2048];
    int status = 2;
    compiled c;
    memset(&c, 0, sizeof c);
    ir_graph *gref = NULL;
    char *dir = NULL;
    vfile in_files[64], exp_files[64];
    int n_in_loaded = 0, n_exp_loaded = 0;
    uint8_t *in_buf = NULL, *out_buf = NULL, *ref_buf = NULL;
    cJSON *json = NULL;
    bool keep_dir = o.keep != NULL;

    if (o.blob) {
        /* Checked here, not left to the harness: a directory or a FIFO
         * would otherwise reach the runtime as an empty blob (KILN_E_BLOB_NULL). */
        char why[1024];
        int fd = open_regular(o.blob, 0, NULL, why, sizeof why);
        if (fd < 0) {
            snprintf(err, sizeof err, "--blob: %s", why);
            goto fail;
        }
        close(fd);
    }
    /* 1. Input and expected files: read them first, they may fix shapes. */
    const import_value *values[64];
    import_value ivals[64];
    for (int i = 0; i < o.n_inputs; i++) {
        if (!load_vfile(o.inputs[i], &in_files[i], err, sizeof err))
            goto fail;
        n_in_loaded++;
        values[i] = NULL;
        if (in_files[i].typed) {
            tval *v = &in_files[i].v;
            memset(&ivals[i], 0, sizeof ivals[i]);
            ivals[i].dtype = v->dtype;
            ivals[i].rank = v->rank;
            memcpy(ivals[i].shape, v->shape, sizeof ivals[i].shape);
            ivals[i].data = v->data;
            ivals[i].nbytes = v->nbytes;
            values[i] = &ivals[i];
        }
    }
    for (int i = 0; i < o.n_expected; i++) {
        if (!load_vfile(o.expected[i], &exp_files[i], err, sizeof err))
            goto fail;
        n_exp_loaded++;
    }
    o.co.imp.n_values = o.n_inputs;
    o.co.imp.values = values;

    /* 2. Compile; import once more, untouched, for the reference evaluator. */
    if (!compile_model(o.model, &o.co, &c, err, sizeof err))
        goto fail;
    if (!check_compiled_address(&c, "validate")) {
        status = 2;
        goto done;
    }
    ir_graph *g = c.g;
    if (!o.n_expected) {
        gref = import_model(o.model, &o.co.imp, err, sizeof err);
        if (!gref)
            goto fail;
    }

    /* 3. Inputs, sample-major: [sample][input][bytes]. */
    size_t in_bytes = 0, out_bytes = 0;
    for (int i = 0; i < g->n_inputs; i++)
        in_bytes += ir_nbytes(&g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        out_bytes += ir_nbytes(&g->tensors[g->outputs[i]]);
    size_t samples = (size_t)o.samples;
    in_buf = xcalloc(in_bytes * samples + 1, 1);
    if (o.n_inputs) {
        int declared = 0;
        for (int i = 0; i < g->n_inputs; i++)
            if (g->input_src[i] + 1 > declared)
                declared = g->input_src[i] + 1;
        bool one_raw = o.n_inputs == 1 && !in_files[0].typed && g->n_inputs > 1;
        if (!one_raw && o.n_inputs < declared) {
            snprintf(err, sizeof err, "the model has %d inputs but %d --input files were given", declared,
                     o.n_inputs);
            goto fail;
        }
        size_t off = 0;
        for (int i = 0; i < g->n_inputs; i++) {
            const ir_tensor *t = &g->tensors[g->inputs[i]];
            size_t nb = ir_nbytes(t);
            const vfile *f = &in_files[one_raw ? 0 : g->input_src[i]];
            const char *path = o.inputs[one_raw ? 0 : g->input_src[i]];
            if (one_raw) {
                if (f->v.nbytes != in_bytes) {
                    snprintf(err, sizeof err, "'%s' has %zu bytes; the model's inputs take %zu", path,
                             f->v.nbytes, in_bytes);
                    goto fail;
                }
                memcpy(in_buf + off, (const uint8_t *)f->v.data + off, nb);
            } else {
                if (f->typed && f->v.dtype != t->dtype) {
                    snprintf(err, sizeof err, "input '%s' (%s) is %s, the model's input '%s' is %s", path,
                             f->typed ? "typed" : "raw", ir_dtype_name(f->v.dtype), t->name,
                             ir_dtype_name(t->dtype));
                    goto fail;
                }
                if (f->v.nbytes != nb) {
                    snprintf(err, sizeof err, "input '%s' has %zu bytes; the model's input '%s' (%s) takes %zu",
                             path, f->v.nbytes, t->name, ir_dtype_name(t->dtype), nb);
                    goto fail;
                }
                memcpy(in_buf + off, f->v.data, nb);
            }
            off += nb;
        }
    } else {
        uint32_t state = (uint32_t)o.seed;
        for (size_t k = 0; k < samples; k++) {
            size_t off = k * in_bytes;
            for (int i = 0; i < g->n_inputs; i++) {
                const ir_tensor *t = &g->tensors[g->inputs[i]];
                random_fill(&state, t, in_buf + off);
                off += ir_nbytes(t);
            }
        }
    }

    /* 4. Reference outputs, sample-major like the harness writes them. */
    ref_buf = xcalloc(out_bytes * samples + 1, 1);
    const char *ref_name;
    if (o.n_expected) {
        ref_name = "expected files";
        bool one_raw = o.n_expected == 1 && !exp_files[0].typed && g->n_outputs > 1;
        if (!one_raw && o.n_expected != g->n_outputs) {
            snprintf(err, sizeof err, "the model has %d outputs but %d --expected files were given",
                     g->n_outputs, o.n_expected);
            goto fail;
        }
        size_t off = 0;
        for (int i = 0; i < g->n_outputs; i++) {
            const ir_tensor *t = &g->tensors[g->outputs[i]];
            size_t nb = ir_nbytes(t);
            const vfile *f = &exp_files[one_raw ? 0 : i];
            const char *path = o.expected[one_raw ? 0 : i];
            if (one_raw) {
                if (f->v.nbytes != out_bytes) {
                    snprintf(err, sizeof err, "'%s' has %zu bytes; the model's outputs take %zu", path,
                             f->v.nbytes, out_bytes);
                    goto fail;
                }
                memcpy(ref_buf + off, (const uint8_t *)f->v.data + off, nb);
            } else {
                if (f->typed && f->v.dtype != t->dtype) {
                    snprintf(err, sizeof err, "expected '%s' is %s, the model's output '%s' is %s", path,
                             ir_dtype_name(f->v.dtype), t->name, ir_dtype_name(t->dtype));
                    goto fail;
                }
                if (f->v.nbytes != nb) {
                    snprintf(err, sizeof err, "expected '%s' has %zu bytes; output '%s' takes %zu", path,
                             f->v.nbytes, t->name, nb);
                    goto fail;
                }
                memcpy(ref_buf + off, f->v.data, nb);
            }
            off += nb;
        }
    } else {
        ref_name = "reference evaluator (double precision)";
        if (gref->n_inputs != g->n_inputs || gref->n_outputs != g->n_outputs) {
            snprintf(err, sizeof err, "internal: reference graph has %d/%d inputs/outputs, compiled %d/%d",
                     gref->n_inputs, gref->n_outputs, g->n_inputs, g->n_outputs);
            goto fail;
        }
        const void *ins[64];
        void *outs[64];
        /* One session for all samples: a stateful model's reference evolves
         * its state sample by sample, as the generated code does. */
        ref_session *rs = ref_session_new(gref);
        for (size_t k = 0; k < samples; k++) {
            size_t off = k * in_bytes;
            for (int i = 0; i < g->n_inputs; i++) {
                ins[i] = in_buf + off;
                off += ir_nbytes(&g->tensors[g->inputs[i]]);
            }
            off = k * out_bytes;
            for (int i = 0; i < g->n_outputs; i++) {
                outs[i] = ref_buf + off;
                off += ir_nbytes(&g->tensors[g->outputs[i]]);
            }
            if (!ref_session_run(rs, ins, outs, err, sizeof err)) {
                ref_session_free(rs);
                goto fail;
            }
        }
        ref_session_free(rs);
    }

    /* 5. Generate, build and run on the target. */
    dir = make_workdir(&o, err, sizeof err);
    if (!dir)
        goto fail;
    if (!emit_all(&c, dir, err, sizeof err))
        goto fail;
    out_buf = xcalloc(out_bytes * samples + 1, 1);
    char *blob_path = o.blob ? xstrdup(o.blob)
                             : (c.weights == WEIGHTS_EXTERNAL ? xasprintf("%s/%s_data.bin", dir, c.name) : NULL);
    target_opts to = {dir, blob_path, o.no_crc, o.verbose, 600};
    target_io io = {in_buf, out_buf, samples, 0};
    char msg[1536];
    target_result tr = !strcmp(o.target, "qemu") ? target_qemu_run(&c, &to, &io, msg, sizeof msg)
                                                 : target_host_run(&c, &to, &io, msg, sizeof msg);
    if (tr == TARGET_REFUSED)
        snprintf(err, sizeof err, "the generated code refused the weights blob %s: %s",
                 blob_path ? blob_path : "(inline)", msg);
    else if (tr == TARGET_ERROR) {
        /* The message names logs in the work directory: keep it. */
        snprintf(err, sizeof err, "%s\n(work directory %s kept for inspection)", msg, dir);
        keep_dir = true;
    }
    free(blob_path);
    if (tr != TARGET_OK)
        goto fail;

    /* 6. Compare, output by output. */
    printf("kiln validate: %s on %s, weights %s, %zu sample%s, reference: %s\n", o.model, o.target,
           c.weights == WEIGHTS_INLINE ? "inline" : "external", samples, samples > 1 ? "s" : "", ref_name);
    json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "model", o.model);
    cJSON_AddStringToObject(json, "target", o.target);
    cJSON_AddStringToObject(json, "weights", c.weights == WEIGHTS_INLINE ? "inline" : "external");
    cJSON_AddStringToObject(json, "reference", ref_name);
    cJSON_AddNumberToObject(json, "samples", (double)samples);
    if (io.cflags) {
        printf("host build: %s (generated code and runtime; %s)\n", io.cflags,
               strstr(io.cflags, "-march=native") ? "-march=native: for this machine's CPU only"
                                                  : "portable");
        cJSON_AddStringToObject(json, "host_cflags", io.cflags);
    }
    if (io.insns) {
        /* qemu: guest instructions per inference, measured on the target (see target/qemu.c). */
        printf("instructions per inference: %" PRIu64 " (counted on the target; QEMU models no pipeline or caches, so not cycles)\n", io.insns);
        cJSON_AddNumberToObject(json, "instructions_per_inference", (double)io.insns);
    }
    cJSON *jouts = cJSON_AddArrayToObject(json, "outputs");
    int n_pass = 0;
    for (int i = 0; i < g->n_outputs; i++) {
        const ir_tensor *t = &g->tensors[g->outputs[i]];
        size_t nb = ir_nbytes(t), off = 0;
        for (int j = 0; j < i; j++)
            off += ir_nbytes(&g->tensors[g->outputs[j]]);
        /* Gather this output's samples contiguously. */
        uint8_t *a = xmalloc(nb * samples + 1), *b = xmalloc(nb * samples + 1);
        for (size_t k = 0; k < samples; k++) {
            memcpy(a + k * nb, out_buf + k * out_bytes + off, nb);
            memcpy(b + k * nb, ref_buf + k * out_bytes + off, nb);
        }
        metrics m = compare(t, a, b, samples, &o);
        n_pass += m.pass;
        printf("output %d '%s' %s [", i, t->name, ir_dtype_name(t->dtype));
        for (int d = 0; d < t->rank; d++)
            printf("%s%lld", d ? "," : "", (long long)t->shape[d]);
        printf("]%s\n", t->q.n == 1 ? " (quantized; metrics on real values)" : "");
        printf("  max_abs %.3e  rmse %.3e  mae %.3e  l2r %.3e  cos %.6f", m.max_abs, m.rmse, m.mae, m.l2r,
               m.cos);
        if (m.has_acc)
            printf("  acc %.2f%%", 100.0 * m.acc);
        if (!is_float(t->dtype))
            printf("  max_lsb %lld", (long long)m.max_lsb);
        printf("\n");
        if (m.pass)
            printf("  ok: %s\n", is_float(t->dtype) ? "every element within tolerance" : "integers within --max-lsb");
        else
            printf("  FAIL: %lld of %lld elements outside tolerance; first at flat index %lld: got %.9g, reference %.9g\n",
                   (long long)m.n_bad, (long long)(ir_numel(t) * (int64_t)samples), (long long)m.first_bad,
                   m.bad_out, m.bad_ref);
        cJSON *jo = cJSON_CreateObject();
        cJSON_AddStringToObject(jo, "name", t->name);
        cJSON_AddStringToObject(jo, "dtype", ir_dtype_name(t->dtype));
        cJSON_AddNumberToObject(jo, "max_abs", m.max_abs);
        cJSON_AddNumberToObject(jo, "rmse", m.rmse);
        cJSON_AddNumberToObject(jo, "mae", m.mae);
        cJSON_AddNumberToObject(jo, "l2r", isfinite(m.l2r) ? m.l2r : -1);
        cJSON_AddNumberToObject(jo, "cos", m.cos);
        if (m.has_acc)
            cJSON_AddNumberToObject(jo, "acc", m.acc);
        if (!is_float(t->dtype))
            cJSON_AddNumberToObject(jo, "max_lsb", (double)m.max_lsb);
        cJSON_AddNumberToObject(jo, "elements_outside_tolerance", (double)m.n_bad);
        cJSON_AddBoolToObject(jo, "pass", m.pass);
        cJSON_AddItemToArray(jouts, jo);
        free(a);
        free(b);
    }
    bool pass = n_pass == g->n_outputs;
    printf("result: %s (%d/%d outputs within tolerance: atol %g, rtol %g, max-lsb %llu)\n",
           pass ? "PASS" : "FAIL", n_pass, g->n_outputs, o.atol, o.rtol, (unsigned long long)o.max_lsb);
    cJSON_AddBoolToObject(json, "pass", pass);
    cJSON_AddNumberToObject(json, "atol", o.atol);
    cJSON_AddNumberToObject(json, "rtol", o.rtol);
    cJSON_AddNumberToObject(json, "max_lsb", (double)o.max_lsb);
    status = pass ? 0 : 1;
    if (o.json) {
        char *s = cJSON_Print(json);
        if (!write_file_atomic(o.json, s, strlen(s), err, sizeof err)) {
            fprintf(stderr, "kiln validate: %s\n", err);
            status = 2;
        }
        free(s);
    }
    goto done;

fail:
    fprintf(stderr, "kiln validate: %s\n", err);
    status = 2;
done:
    if (dir && !keep_dir)
        remove_workdir(dir);
    free(dir);
    for (int i = 0; i < n_in_loaded; i++)
        free_vfile(&in_files[i]);
    for (int i = 0; i < n_exp_loaded; i++)
        free_vfile(&exp_files[i]);
    free(in_buf);
    free(out_buf);
    free(ref_buf);
    cJSON_Delete(json);
    ir_free(gref);
    compiled_free(&c);
    return status;
}
