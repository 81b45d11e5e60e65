/*
 * test_lower_exec_f32.c - end-to-end checks of the float and data-movement
 * lowerings with their kernels: small IR graphs are lowered, printed as a C
 * program exactly as lower.h says the emitter prints calls, compiled with
 * the host compiler against the runtime kernel sources, run, and their
 * outputs compared with values computed independently at development time
 * (tests/gen/gen_lower_cases.py: torch, numpy, and ONNX conformance data for
 * Resize, LSTM and GRU).
 *
 * This is a stand-in for the real planner/emitter (each tensor gets its own
 * static array; aliases share their root's array), so it tests lowering and
 * kernels, not memory planning.  All cases are compiled as one program.
 */
#define _DEFAULT_SOURCE 1 /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit/c_init.h"
#include "ir/ir.h"
#include "passes/lower.h"
#include "util/sbuf.h"

/* ---- case-building helpers used by the generated header ---------------- */

#define MAX_IO 16
typedef struct tctx {
    int n_out;
    int out_t[MAX_IO];
    const void *expected[MAX_IO];
    int n_in;
    int in_t[MAX_IO];
    const void *in_data[MAX_IO];
} tctx;

static int T_in(tctx *c, ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                const void *data)
{
    int t = ir_add_tensor(g, name, dt, rank, shape);
    ir_mark_input(g, t, c->n_in);
    c->in_t[c->n_in] = t;
    c->in_data[c->n_in++] = data;
    return t;
}

static int T_const(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                   const void *data)
{
    ir_tensor tmp = {0};
    tmp.dtype = dt;
    tmp.rank = rank;
    for (int i = 0; i < rank; i++)
        tmp.shape[i] = shape[i];
    return ir_add_const(g, name, dt, rank, shape, data, ir_nbytes(&tmp));
}

static int T_mid(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape)
{
    return ir_add_tensor(g, name, dt, rank, shape);
}

static int T_out(tctx *c, ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                 const void *expected)
{
    int t = ir_add_tensor(g, name, dt, rank, shape);
    ir_mark_output(g, t);
    c->out_t[c->n_out] = t;
    c->expected[c->n_out++] = expected;
    return t;
}

static ir_attr *N(ir_graph *g, ir_op op, int n_in, const int *in, int n_out, const int *out)
{
    int n = ir_add_node(g, op, "n", NULL, g->n_nodes, n_in, in, n_out, out);
    return &g->nodes[n].attr;
}

typedef struct tcase {
    const char *name;
    void (*build)(ir_graph *g, tctx *c);
    double rtol, atol;
    const char *kernel;     /* a kernel the lowering must choose, or NULL */
} tcase;

#include "lower_cases_f32.h"

#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* ---- the stand-in emitter ---------------------------------------------- */

static const char *ctype(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_F32: return "float";
    case IR_DT_S8: return "int8_t";
    case IR_DT_U8: case IR_DT_BOOL: return "uint8_t";
    case IR_DT_S16: return "int16_t";
    case IR_DT_S32: return "int32_t";
    case IR_DT_S64: return "int64_t";
    case IR_DT_U16: return "uint16_t";
    case IR_DT_U32: return "uint32_t";
    case IR_DT_U64: return "uint64_t";
    default: return "unsigned char";
    }
}

static void put_elem(sbuf *b, ir_dtype dt, const unsigned char *p)
{
    switch (dt) {
    case IR_DT_F32: {
        float f;
        memcpy(&f, p, 4);
        if (isnan(f))
            sb_printf(b, "NAN");
        else if (isinf(f))
            sb_printf(b, "%sHUGE_VALF", f < 0 ? "-" : "");
        else
            sb_printf(b, "%af", (double)f);
        break;
    }
    case IR_DT_S8: sb_printf(b, "%d", (int)*(const int8_t *)p); break;
    case IR_DT_U8: case IR_DT_BOOL: sb_printf(b, "%u", (unsigned)*p); break;
    case IR_DT_S16: { int16_t v; memcpy(&v, p, 2); sb_printf(b, "%d", v); break; }
    case IR_DT_U16: { uint16_t v; memcpy(&v, p, 2); sb_printf(b, "%u", v); break; }
    case IR_DT_S32: { int32_t v; memcpy(&v, p, 4); sb_printf(b, "(%lldL)", (long long)v); break; }
    case IR_DT_U32: { uint32_t v; memcpy(&v, p, 4); sb_printf(b, "%luUL", (unsigned long)v); break; }
    case IR_DT_S64: { uint64_t v; memcpy(&v, p, 8); sb_printf(b, "(int64_t)%lluULL", (unsigned long long)v); break; }
    case IR_DT_U64: { uint64_t v; memcpy(&v, p, 8); sb_printf(b, "%lluULL", (unsigned long long)v); break; }
    default: sb_printf(b, "0"); break;
    }
}

/* Storage root of tensor t through the alias table. */
static int root_of(const lir_program *p, int t)
{
    while (t < p->n_alias && p->alias[t] >= 0)
        t = p->alias[t];
    return t;
}

static void emit_array(sbuf *b, const ir_graph *g, int ci, int t, const void *data, bool is_const)
{
    const ir_tensor *tt = &g->tensors[t];
    const size_t n = (size_t)ir_numel(tt), es = ir_dtype_size(tt->dtype);
    sb_printf(b, "static _Alignas(16) %s%s c%d_t%d[%zu]", is_const ? "const " : "", ctype(tt->dtype),
              ci, t, n ? n : 1);
    if (data && n) {
        sb_printf(b, " = {");
        for (size_t i = 0; i < n; i++) {
            sb_printf(b, "%s", i == 0 ? "\n  " : i % 8 ? ", " : ",\n  ");
            put_elem(b, tt->dtype, (const unsigned char *)data + i * es);
        }
        sb_printf(b, "}");
    }
    sb_printf(b, ";\n");
}

/* Emits case ci as a function run_ci() that writes its outputs to `f`. */
static void emit_case(sbuf *b, int ci, ir_graph *g, const lir_program *p, const tctx *c)
{
    char *seen = calloc((size_t)g->n_tensors + 1, 1);
    size_t scratch = 0;
    for (int k = 0; k < p->n_calls; k++)
        if (p->calls[k].scratch_bytes > scratch)
            scratch = p->calls[k].scratch_bytes;
    /* Every root tensor touched by a call, an input or an output. */
    for (int i = 0; i < c->n_in; i++) {
        const int t = c->in_t[i];
        seen[t] = 1;
        emit_array(b, g, ci, t, c->in_data[i], false);
    }
    for (int k = 0; k < p->n_calls; k++)
        for (int a = 0; a < p->calls[k].n_args; a++) {
            if (p->calls[k].args[a].kind != LIR_ARG_TENSOR)
                continue;
            const int t = root_of(p, p->calls[k].args[a].tensor);
            if (seen[t])
                continue;
            seen[t] = 1;
            emit_array(b, g, ci, t, g->tensors[t].data, g->tensors[t].data != NULL);
        }
    for (int i = 0; i < c->n_out; i++) {
        const int t = root_of(p, c->out_t[i]);
        if (!seen[t]) {
            seen[t] = 1;
            emit_array(b, g, ci, t, g->tensors[t].data, g->tensors[t].data != NULL);
        }
    }
    if (scratch)
        sb_printf(b, "static _Alignas(16) unsigned char c%d_scratch[%zu];\n", ci, scratch);
    for (int k = 0; k < p->n_calls; k++)
        if (p->calls[k].ptype) {
            sb_printf(b, "static const %s c%d_p%d = ", p->calls[k].ptype->name, ci, k);
            c_init_print(b, p->calls[k].ptype, p->calls[k].params, 0);
            sb_printf(b, ";\n");
        }
    sb_printf(b, "static void run_%d(FILE *f)\n{\n", ci);
    for (int k = 0; k < p->n_calls; k++) {
        const lir_call *call = &p->calls[k];
        sb_printf(b, "    %s(", call->kernel);
        int first = 1;
        if (call->ptype) {
            sb_printf(b, "&c%d_p%d", ci, k);
            first = 0;
        }
        for (int a = 0; a < call->n_args; a++) {
            const lir_arg *arg = &call->args[a];
            sb_printf(b, "%s", first ? "" : ", ");
            first = 0;
            if (arg->kind == LIR_ARG_NULL)
                sb_printf(b, "0");
            else if (arg->kind == LIR_ARG_INT)
                sb_printf(b, "%lld", (long long)arg->value);
            else
                sb_printf(b, "(%s%s *)c%d_t%d", arg->is_output ? "" : "const ",
                          ctype(g->tensors[arg->tensor].dtype), ci, root_of(p, arg->tensor));
        }
        if (call->scratch_bytes)
            sb_printf(b, "%sc%d_scratch", first ? "" : ", ", ci);
        sb_printf(b, ");\n");
    }
    for (int i = 0; i < c->n_out; i++) {
        const ir_tensor *t = &g->tensors[c->out_t[i]];
        sb_printf(b, "    fwrite(c%d_t%d, 1, %zu, f);\n", ci, root_of(p, c->out_t[i]), ir_nbytes(t));
    }
    sb_printf(b, "}\n\n");
    free(seen);
}

/* ---- comparison ---------------------------------------------------------- */

static int compare(const char *name, int oi, const ir_tensor *t, const void *got, const void *want,
                   double rtol, double atol)
{
    const size_t n = (size_t)ir_numel(t);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (t->dtype == IR_DT_F32) {
            float gv, wv;   /* outputs follow each other unaligned in the file */
            memcpy(&gv, (const char *)got + 4 * i, 4);
            memcpy(&wv, (const char *)want + 4 * i, 4);
            const bool ok = (isnan(gv) && isnan(wv)) || (isinf(wv) && gv == wv) ||
                            fabs((double)gv - (double)wv) <= atol + rtol * fabs((double)wv);
            if (!ok && bad++ < 5)
                fprintf(stderr, "%s: output %d [%zu]: got %.9g, want %.9g\n", name, oi, i, (double)gv,
                        (double)wv);
        } else {
            const size_t es = ir_dtype_size(t->dtype);
            if (memcmp((const char *)got + i * es, (const char *)want + i * es, es) != 0 && bad++ < 5) {
                long long gv = 0, wv = 0;
                memcpy(&gv, (const char *)got + i * es, es);
                memcpy(&wv, (const char *)want + i * es, es);
                fprintf(stderr, "%s: output %d [%zu]: got %lld, want %lld (raw)\n", name, oi, i, gv, wv);
            }
        }
    }
    return bad;
}

/* ---- the test ------------------------------------------------------------ */

static void lowered_cases_match_references(void **state)
{
    (void)state;
    ir_graph *graphs[N_CASES];
    lir_program progs[N_CASES];
    tctx ctx[N_CASES];
    sbuf src = {0};
    sb_printf(&src, "#include <math.h>\n#include <stdio.h>\n#include <stdint.h>\n"
                    "#include \"kiln/kernels.h\"\n\n");
    int failures = 0;
    for (int i = 0; i < N_CASES; i++) {
        char err[512];
        memset(&ctx[i], 0, sizeof ctx[i]);
        graphs[i] = ir_new(cases[i].name);
        cases[i].build(graphs[i], &ctx[i]);
        if (!ir_verify(graphs[i], err, sizeof err)) {
            fprintf(stderr, "%s: bad test graph: %s\n", cases[i].name, err);
            fail();
        }
        if (!lower_graph(graphs[i], &progs[i], err, sizeof err)) {
            fprintf(stderr, "%s: lowering failed: %s\n", cases[i].name, err);
            fail();
        }
        if (cases[i].kernel) {
            bool found = false;
            for (int k = 0; k < progs[i].n_calls; k++)
                found |= strcmp(progs[i].calls[k].kernel, cases[i].kernel) == 0;
            if (!found) {
                fprintf(stderr, "%s: expected a call to %s\n", cases[i].name, cases[i].kernel);
                failures++;
            }
        }
        emit_case(&src, i, graphs[i], &progs[i], &ctx[i]);
    }
    sb_printf(&src, "int main(void)\n{\n");
    for (int i = 0; i < N_CASES; i++)
        sb_printf(&src, "    run_%d(stdout);\n", i);
    sb_printf(&src, "    return 0;\n}\n");

    char dir[] = "/tmp/kiln-lower-exec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cpath = xasprintf("%s/cases.c", dir), *exe = xasprintf("%s/cases", dir);
    char *outp = xasprintf("%s/out.bin", dir);
    FILE *f = fopen(cpath, "w");
    assert_non_null(f);
    fputs(src.s, f);
    fclose(f);
    char *cmd = xasprintf("%s %s -std=c11 -Wall -Wextra -Werror -Wno-unused-variable -I%s/include "
                          "-o %s %s %s/runtime/kernels/*.c -lm",
                          KILN_HOST_CC, KILN_HOST_CFLAGS, KILN_ROOT, exe, cpath, KILN_ROOT);
    if (system(cmd) != 0) {
        fprintf(stderr, "compiling the lowered cases failed: %s\n", cmd);
        fail();
    }
    char *run = xasprintf("%s > %s", exe, outp);
    assert_int_equal(system(run), 0);

    size_t len = 0;
    FILE *o = fopen(outp, "rb");
    assert_non_null(o);
    fseek(o, 0, SEEK_END);
    len = (size_t)ftell(o);
    fseek(o, 0, SEEK_SET);
    unsigned char *bytes = malloc(len ? len : 1);
    assert_int_equal(fread(bytes, 1, len, o), len);
    fclose(o);
    size_t pos = 0;
    int passed = 0;
    for (int i = 0; i < N_CASES; i++) {
        int bad = 0;
        for (int k = 0; k < ctx[i].n_out; k++) {
            const ir_tensor *t = &graphs[i]->tensors[ctx[i].out_t[k]];
            const size_t nb = ir_nbytes(t);
            assert_true(pos + nb <= len);
            bad += compare(cases[i].name, k, t, bytes + pos, ctx[i].expected[k], cases[i].rtol,
                           cases[i].atol);
            pos += nb;
        }
        if (bad) {
            fprintf(stderr, "FAIL %s (%d mismatches)\n", cases[i].name, bad);
            failures++;
        } else {
            passed++;
        }
    }
    printf("summary: %d of %d lowered cases match their references\n", passed, N_CASES);
    if (!getenv("KILN_KEEP_TMP")) {
        remove(cpath);
        remove(exe);
        remove(outp);
        rmdir(dir);
    }
    free(bytes);
    free(cpath);
    free(exe);
    free(outp);
    free(cmd);
    free(run);
    sb_free(&src);
    for (int i = 0; i < N_CASES; i++) {
        lir_free(&progs[i]);
        ir_free(graphs[i]);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lowered_cases_match_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
