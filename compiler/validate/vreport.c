/*
 * vreport.c - `kiln validate`'s verdict: per output, the metrics of every
 * sample and of all samples together, what the inputs and the reference
 * were, the tolerance applied and why, and the JSON of it all.
 *
 * Integer outputs are compared as integers (max_lsb); the error metrics are
 * on their real values.  Float outputs: |out - ref| <= atol + rtol*|ref|,
 * NaN only equal to NaN.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/fileio.h"
#include "util/sbuf.h"
#include "util/term.h"
#include "validate/validate.h"

/* Per-sample lines printed before "... N more"; the JSON has all. */
#define SAMPLE_LINES 20

typedef struct metrics {
    double max_abs, rmse, mae, l2r, cos, acc;
    bool has_acc;
    int64_t max_lsb;        /* integer outputs */
    int64_t n_bad;          /* elements outside tolerance */
    int64_t first_bad;
    double bad_out, bad_ref;
    bool pass;
} metrics;

typedef struct tolerance {
    double atol, rtol;
    uint64_t max_lsb;
} tolerance;

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

static bool classifier_like(const ir_tensor *t)
{
    if (t->rank == 0 || t->shape[t->rank - 1] < 2)
        return false;
    return t->rank <= 2 || ir_numel(t) == t->shape[t->rank - 1];
}

/* Top-1 agreement over the rows of a classifier-shaped output. */
static double top1_agreement(const ir_tensor *t, const uint8_t *out, const uint8_t *ref, size_t n)
{
    int64_t classes = t->shape[t->rank - 1];
    size_t rows = n / (size_t)classes, agree = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t ba = 0, bb = 0, base = r * (size_t)classes;
        for (int64_t k = 1; k < classes; k++) {
            if (elem(out, t->dtype, base + (size_t)k) > elem(out, t->dtype, base + ba))
                ba = (size_t)k;
            if (elem(ref, t->dtype, base + (size_t)k) > elem(ref, t->dtype, base + bb))
                bb = (size_t)k;
        }
        agree += ba == bb;
    }
    return rows ? (double)agree / (double)rows : 0;
}

/* n elements of output t: out against ref. */
static metrics compare(const ir_tensor *t, const uint8_t *out, const uint8_t *ref, size_t n, const tolerance *tol)
{
    metrics m;
    memset(&m, 0, sizeof m);
    m.first_bad = -1;
    bool integer = !is_float(t->dtype), quant = t->q.n == 1 && integer;
    double scale = quant ? t->q.scale[0] : 1.0, zp = quant ? t->q.zero_point[0] : 0.0;
    double se = 0, ae = 0, rr = 0, oo = 0, ro = 0;
    for (size_t i = 0; i < n; i++) {
        double a = elem(out, t->dtype, i), b = elem(ref, t->dtype, i);
        bool bad;
        if (integer) {
            int64_t d = (int64_t)fabs(a - b);
            m.max_lsb = d > m.max_lsb ? d : m.max_lsb;
            bad = (uint64_t)d > tol->max_lsb;
            a = (a - zp) * scale;
            b = (b - zp) * scale;
        } else if (isnan(a) || isnan(b)) {
            bad = !(isnan(a) && isnan(b));
        } else {
            /* a == b first: infinities of one sign match (inf - inf is NaN) */
            bad = !(a == b || fabs(a - b) <= tol->atol + tol->rtol * fabs(b));
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
        m.max_abs = d > m.max_abs ? d : m.max_abs;
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
        m.has_acc = n >= (size_t)t->shape[t->rank - 1];
        m.acc = top1_agreement(t, out, ref, n);
    }
    m.pass = m.n_bad == 0;
    return m;
}

static void print_metrics(FILE *f, const char *lead, const ir_tensor *t, const metrics *m)
{
    fprintf(f, "%smax_abs %.3e  rmse %.3e  mae %.3e  l2r %.3e  cos %.6f", lead, m->max_abs, m->rmse, m->mae,
            m->l2r, m->cos);
    if (m->has_acc)
        fprintf(f, "  acc %.2f%%", 100.0 * m->acc);
    if (!is_float(t->dtype))
        fprintf(f, "  max_lsb %lld", (long long)m->max_lsb);
}

static cJSON *metrics_json(const ir_tensor *t, const metrics *m)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "max_abs", m->max_abs);
    cJSON_AddNumberToObject(j, "rmse", m->rmse);
    cJSON_AddNumberToObject(j, "mae", m->mae);
    cJSON_AddNumberToObject(j, "l2r", isfinite(m->l2r) ? m->l2r : -1);
    cJSON_AddNumberToObject(j, "cos", m->cos);
    if (m->has_acc)
        cJSON_AddNumberToObject(j, "acc", m->acc);
    if (!is_float(t->dtype))
        cJSON_AddNumberToObject(j, "max_lsb", (double)m->max_lsb);
    cJSON_AddNumberToObject(j, "elements_outside_tolerance", (double)m->n_bad);
    cJSON_AddBoolToObject(j, "pass", m->pass);
    return j;
}

/* ---- what was compared with what ------------------------------------------ */

static void describe_inputs(FILE *f, const vopts *o, const vbatch *b, int n_model_inputs, cJSON *json)
{
    if (!o->n_inputs && !n_model_inputs) {
        fprintf(f, "inputs: none (the model has no inputs)\n");
        cJSON_AddStringToObject(json, "inputs", "none");
        return;
    }
    if (o->n_inputs) {
        fprintf(f, "inputs: %zu sample%s from %s%s\n", b->samples, b->samples == 1 ? "" : "s", o->inputs[0],
                o->n_inputs > 1 ? " and the other --input files" : "");
        cJSON_AddStringToObject(json, "inputs", "files");
        return;
    }
    fprintf(f, "inputs: %zu random sample%s from seed %llu (not real data: every int8 value, or uniform in "
            "[-1, 1) for float; give real inputs with --input)\n", b->samples, b->samples == 1 ? "" : "s",
            (unsigned long long)o->seed);
    cJSON_AddStringToObject(json, "inputs", "random");
    cJSON_AddNumberToObject(json, "seed", (double)o->seed);
}

static void describe_reference(FILE *f, const vopts *o, const vref_info *r, const tolerance *tol, cJSON *json)
{
    if (!strcmp(r->kind, "expected files")) {
        fprintf(f, "reference: the --expected files (%s%s)\n", o->expected[0],
                o->n_expected > 1 ? ", ..." : "");
    } else {
        fprintf(f, "reference: Kiln's reference evaluator (compiler/ref/, written independently of the runtime "
                "kernels) on the model as imported: ");
        if (r->n_quant_nodes > r->n_approx)
            fprintf(f, "%d quantized node%s in the integer arithmetic the IR specifies (TFLite's fixed point, "
                    "onnxruntime's requantization), ", r->n_quant_nodes - r->n_approx,
                    r->n_quant_nodes - r->n_approx == 1 ? "" : "s");
        fprintf(f, "float in double\n");
        if (r->n_approx)
            fprintf(f, "note: %d quantized node%s computed in double, which can differ from integer kernels "
                    "by a rounding step: %s\n", r->n_approx, r->n_approx == 1 ? " is" : "s are", r->approx);
    }
    cJSON_AddStringToObject(json, "reference", r->kind);
    cJSON_AddNumberToObject(json, "reference_approximated_nodes", r->n_approx);
    fprintf(f, "tolerance: integer outputs within %llu LSB%s; float outputs |out-ref| <= %g + %g*|ref|\n",
            (unsigned long long)tol->max_lsb,
            o->max_lsb_given ? " (--max-lsb)"
            : tol->max_lsb ? " (default when the reference approximates: the rounding step above; --max-lsb "
                             "0 to insist on exact)"
                           : " (default: exact)",
            tol->atol, tol->rtol);
}

/* ---- one output ------------------------------------------------------------ */

/* Compares output i over every sample; prints and adds it to jouts. */
static bool report_output(FILE *f, const compiled *c, const vbatch *b, int i, const tolerance *tol, cJSON *jouts)
{
    const ir_graph *g = c->g;
    const ir_tensor *t = &g->tensors[g->outputs[i]];
    size_t nb = ir_nbytes(t), off = 0, n = b->samples;
    for (int j = 0; j < i; j++)
        off += ir_nbytes(&g->tensors[g->outputs[j]]);
    /* This output's samples, contiguous. */
    uint8_t *a = xmalloc(nb * n + 1), *r = xmalloc(nb * n + 1);
    for (size_t k = 0; k < n; k++) {
        memcpy(a + k * nb, b->out + k * b->out_bytes + off, nb);
        memcpy(r + k * nb, b->ref + k * b->out_bytes + off, nb);
    }
    sbuf nm = {0};
    fprintf(f, "output %d '%s' %s [", i, term_name(&nm, t->name), ir_dtype_name(t->dtype));
    for (int d = 0; d < t->rank; d++)
        fprintf(f, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    fprintf(f, "]%s\n", t->q.n == 1 ? " (quantized; metrics on real values)" : "");
    cJSON *jo = cJSON_CreateObject();
    cJSON_AddStringToObject(jo, "name", nm.s);
    sb_free(&nm);
    cJSON_AddStringToObject(jo, "dtype", ir_dtype_name(t->dtype));
    cJSON *js = n > 1 ? cJSON_AddArrayToObject(jo, "samples") : NULL;
    size_t elems = (size_t)ir_numel(t);
    for (size_t k = 0; n > 1 && k < n; k++) {
        metrics m = compare(t, a + k * nb, r + k * nb, elems, tol);
        cJSON_AddItemToArray(js, metrics_json(t, &m));
        if (k < SAMPLE_LINES) {
            char lead[48];
            snprintf(lead, sizeof lead, "  sample %zu: ", k + 1);
            print_metrics(f, lead, t, &m);
            fprintf(f, "  %s\n", m.pass ? "ok" : "FAIL");
        } else if (k == SAMPLE_LINES) {
            fprintf(f, "  ... %zu more samples (--json FILE lists each)\n", n - SAMPLE_LINES);
        }
    }
    metrics m = compare(t, a, r, elems * n, tol);
    char lead[48];
    snprintf(lead, sizeof lead, n > 1 ? "  all %zu samples: " : "  ", n);
    print_metrics(f, lead, t, &m);
    fprintf(f, "\n");
    if (m.pass)
        fprintf(f, "  ok: %s\n", is_float(t->dtype) ? "every element within tolerance" : "integers within tolerance");
    else
        fprintf(f, "  FAIL: %lld of %zu elements outside tolerance; first in sample %zu at flat index %zu: got "
                "%.9g, reference %.9g\n", (long long)m.n_bad, elems * n, (size_t)m.first_bad / elems + 1,
                (size_t)m.first_bad % elems, m.bad_out, m.bad_ref);
    cJSON *agg = metrics_json(t, &m);
    for (cJSON *it = agg->child; it; it = agg->child) {
        cJSON_DetachItemViaPointer(agg, it);
        cJSON_AddItemToObject(jo, it->string, it);
    }
    cJSON_Delete(agg);
    cJSON_AddItemToArray(jouts, jo);
    free(a);
    free(r);
    return m.pass;
}

/* Instructions (QEMU) or cycles (DWT on a real core) per inference, said as
 * what they are: the text names the counter, the JSON carries it in
 * "counter" beside the count. */
static void report_count(FILE *f, cJSON *json, const target_count *n, uint64_t insns)
{
    if (!n && !insns)
        return;
    const char *counter = n ? n->counter : "qemu_instructions";
    uint64_t mean = n ? n->mean : insns;
    bool cycles = !strcmp(counter, "dwt_cycles");
    if (cycles)
        fprintf(f, "cycles per inference: %" PRIu64 " (counter: dwt_cycles, the core's DWT CYCCNT)", mean);
    else
        fprintf(f, "instructions per inference: %" PRIu64 " (counter: qemu_instructions; QEMU models no "
                "pipeline or caches, so not cycles)", mean);
    if (n && n->max)
        fprintf(f, "; min %" PRIu64 ", max %" PRIu64, n->min, n->max);
    fprintf(f, "\n");
    cJSON *o = cJSON_AddObjectToObject(json, "per_inference");
    cJSON_AddStringToObject(o, "counter", counter);
    cJSON_AddStringToObject(o, "unit", cycles ? "cycles" : "instructions");
    cJSON_AddNumberToObject(o, "mean", (double)mean);
    if (n && n->max) {
        cJSON_AddNumberToObject(o, "min", (double)n->min);
        cJSON_AddNumberToObject(o, "max", (double)n->max);
    }
    cJSON_AddNumberToObject(json, cycles ? "cycles_per_inference" : "instructions_per_inference",
                            (double)mean);
}

int vreport(const vopts *o, const compiled *c, const vbatch *b, const vref_info *ref, uint64_t insns)
{
    bool json_stdout = o->json && !strcmp(o->json, "-");
    FILE *f = json_stdout ? stderr : stdout;
    tolerance tol = {o->atol, o->rtol, o->max_lsb};
    if (!o->max_lsb_given && ref->n_approx)
        tol.max_lsb = 1;
    const ir_graph *g = c->g;
    cJSON *json = cJSON_CreateObject();
    fprintf(f, "kiln validate: %s on %s, weights %s, %zu sample%s\n", o->model, o->target,
            weights_mode_name(c->weights), b->samples, b->samples > 1 ? "s" : "");
    cJSON_AddStringToObject(json, "model", o->model);
    cJSON_AddStringToObject(json, "target", o->target);
    cJSON_AddStringToObject(json, "weights", weights_mode_name(c->weights));
    cJSON_AddNumberToObject(json, "samples", (double)b->samples);
    describe_inputs(f, o, b, g->n_inputs, json);
    describe_reference(f, o, ref, &tol, json);
    if (b->host_cflags) {
        fprintf(f, "host build: %s (generated code and runtime; %s)\n", b->host_cflags,
                strstr(b->host_cflags, "-march=native") ? "-march=native: for this machine's CPU only"
                                                        : "portable");
        cJSON_AddStringToObject(json, "host_cflags", b->host_cflags);
    }
    report_count(f, json, b->count, insns);
    cJSON *jouts = cJSON_AddArrayToObject(json, "outputs");
    int n_pass = 0;
    for (int i = 0; i < g->n_outputs; i++)
        n_pass += report_output(f, c, b, i, &tol, jouts);
    bool pass = n_pass == g->n_outputs;
    fprintf(f, "result: %s (%d/%d outputs within tolerance: atol %g, rtol %g, max-lsb %llu; %zu sample%s)\n",
            pass ? "PASS" : "FAIL", n_pass, g->n_outputs, tol.atol, tol.rtol, (unsigned long long)tol.max_lsb,
            b->samples, b->samples == 1 ? "" : "s");
    cJSON_AddBoolToObject(json, "pass", pass);
    cJSON_AddNumberToObject(json, "atol", tol.atol);
    cJSON_AddNumberToObject(json, "rtol", tol.rtol);
    cJSON_AddNumberToObject(json, "max_lsb", (double)tol.max_lsb);
    int status = pass ? 0 : 1;
    if (o->json) {
        char *s = cJSON_Print(json);
        char err[1024];
        if (json_stdout) {
            fputs(s, stdout);
            fputc('\n', stdout);
        } else if (!write_file_atomic(o->json, s, strlen(s), err, sizeof err)) {
            fprintf(stderr, "kiln validate: %s\n", err);
            status = 2;
        }
        free(s);
    }
    cJSON_Delete(json);
    return status;
}
