/*
 * hostile_mkmodel.c - writes the models tests/e2e/hostile_names.sh feeds to
 * kiln: small valid networks whose tensor and node names try to change the
 * meaning of the generated C (end a comment, splice a line, hide a trigraph,
 * leave a string literal), in ONNX (protobuf written by hand below) and
 * TFLite (tests/unit/tfl_builder.h).  Nothing here shares code with Kiln's
 * importers.
 *
 *   hostile_mkmodel DIR
 *
 * For each name H in `names` (case K = 0, 1, ...):
 *   DIR/onnx_K.onnx    X=H"#in" [1,4] -> MatMul(W=H"#w" [4,3]) node H"#mm" -> T=H"#t"
 *                      -> Relu node H -> Y=H   (float32, opset 13)
 *   DIR/tflite_K.tflite X=H"#in" -> FULLY_CONNECTED(W=H"#w", B=H"#b") -> T=H"#t" -> RELU -> Y=H
 *                      (TFLite names a node after its output tensor)
 *   DIR/K.in, DIR/K.out the exact bytes of the input and output names, for the
 *                      check that the generated kiln_io_desc holds them.
 * and DIR/no_inputs.onnx: Y = Relu(C), C an initializer, no graph input at
 * all (the generated invoke() then reads none of its `in` argument);
 * DIR/global.onnx: the onnx graph above with plain names except the MatMul
 * node's, which closes the generated function, defines a global and opens a
 * function again (with the old emitter it compiled into an object defining
 * kiln_injected_global).
 * The references, worked out here in double from the same constants:
 *   DIR/x.bin          the input X = [1, 0.5, 2, -0.25] (raw float32)
 *   DIR/onnx_y.bin     relu(X W), W [4,3]
 *   DIR/tflite_y.bin   relu(X W^T + B), the same 12 weights read as [3,4]
 *   DIR/no_inputs_y.bin relu(B)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/tfl_builder.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const names[] = {
    "y */ int kiln_injected_symbol = 42; /*",
    "a /* b /* c",
    "nl\nint kiln_injected_newline = 1;\r\n// \\",
    "x*\\\n/ int kiln_injected_splice = 7; /*",
    "x*?\?/\n/ int kiln_injected_trigraph = 7; /*",
    "?\?/\", 0 } }; int kiln_injected_string = 1; /* ?\?= ?\?( ?\?) ?\?' ?\?< ?\?! ?\?> ?\?- ?\?\?",
    "\xc3\xb1" "ame \xe6\x97\xa5\xe6\x9c\xac \xe2\x80\xae rtl \x01\x1b[31m \x7f \xff end",
    "100% %41 %2A/ trailing backslash \\",
    NULL, /* the long name, built in main() */
};
enum { N_NAMES = sizeof names / sizeof *names, LONG_BYTES = 10240 };

static const char global_node[] =
    "mm */ } int kiln_injected_global = 42; "
    "void kiln_injected_fn(const uint8_t *w, uint8_t *arena, const uint8_t *x0, uint8_t *y0) { /*";

static char *long_name(void)
{
    static const char piece[] = "*/ int kiln_injected_long = 1; /* ?\?/\n";
    char *s = malloc(LONG_BYTES + 1);
    for (size_t i = 0; i < LONG_BYTES; i++)
        s[i] = piece[i % (sizeof piece - 1)];
    s[LONG_BYTES] = '\0';
    return s;
}

static char *cat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

/* ---- a protobuf writer, just enough for ONNX ------------------------------ */

typedef struct pb {
    uint8_t *b;
    size_t n, cap;
} pb;

static void pb_put(pb *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->b = realloc(w->b, w->cap);
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void pb_varint(pb *w, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        pb_put(w, &c, 1);
    } while (v);
}

static void pb_int(pb *w, unsigned field, uint64_t v)
{
    pb_varint(w, (uint64_t)field << 3);
    pb_varint(w, v);
}

static void pb_bytes(pb *w, unsigned field, const void *p, size_t n)
{
    pb_varint(w, (uint64_t)field << 3 | 2);
    pb_varint(w, n);
    pb_put(w, p, n);
}

static void pb_str(pb *w, unsigned field, const char *s) { pb_bytes(w, field, s, strlen(s)); }

/* Appends sub as a length-delimited field and frees it. */
static void pb_msg(pb *w, unsigned field, pb *sub)
{
    pb_bytes(w, field, sub->b, sub->n);
    free(sub->b);
    memset(sub, 0, sizeof *sub);
}

enum { ONNX_FLOAT = 1 };

/* ValueInfoProto: name, float tensor of the given shape. */
static void value_info(pb *g, unsigned field, const char *name, int rank, const int64_t *shape)
{
    pb vi = {0}, type = {0}, tt = {0}, sh = {0};
    for (int d = 0; d < rank; d++) {
        pb dim = {0};
        pb_int(&dim, 1, (uint64_t)shape[d]);
        pb_msg(&sh, 1, &dim);
    }
    pb_int(&tt, 1, ONNX_FLOAT);
    pb_msg(&tt, 2, &sh);
    pb_msg(&type, 1, &tt);
    pb_str(&vi, 1, name);
    pb_msg(&vi, 2, &type);
    pb_msg(g, field, &vi);
}

static void initializer(pb *g, const char *name, int rank, const int64_t *shape, const float *v, size_t n)
{
    pb t = {0};
    for (int d = 0; d < rank; d++)
        pb_int(&t, 1, (uint64_t)shape[d]);
    pb_int(&t, 2, ONNX_FLOAT);
    pb_str(&t, 8, name);
    pb_bytes(&t, 9, v, n * sizeof *v);      /* raw_data, little-endian like the host */
    pb_msg(g, 5, &t);
}

static void node(pb *g, const char *op, const char *name, int nin, const char *const *in, const char *out)
{
    pb n = {0};
    for (int i = 0; i < nin; i++)
        pb_str(&n, 1, in[i]);
    pb_str(&n, 2, out);
    pb_str(&n, 3, name);
    pb_str(&n, 4, op);
    pb_msg(g, 1, &n);
}

static int write_bytes(const char *dir, const char *file, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f)
        ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "cannot write %s\n", path);
    return ok;
}

/* ModelProto around graph g (ir_version 7, opset 13); frees g. */
static int write_onnx(const char *dir, const char *file, pb *g)
{
    pb m = {0}, ops = {0};
    pb_int(&m, 1, 7);
    pb_str(&m, 2, "kiln-tests");
    pb_int(&ops, 2, 13);
    pb_msg(&m, 8, &ops);
    pb_msg(&m, 7, g);
    int ok = write_bytes(dir, file, m.b, m.n);
    free(m.b);
    return ok;
}

/* ---- the models ------------------------------------------------------------ */

static const float W[12] = {0.5f, -1.0f, 0.25f, 1.5f, 0.75f, -0.5f, -0.25f, 1.0f, 2.0f, 0.125f, -1.5f, 0.5f};
static const float B[3] = {0.1f, -0.2f, 0.3f};

/* X=in [1,4] -> MatMul(W=w [4,3]) node mm -> T=t -> Relu node relu -> Y=out */
static int onnx_graph(const char *dir, const char *file, const char *in, const char *w, const char *t,
                      const char *mm, const char *relu, const char *out)
{
    static const int64_t xs[2] = {1, 4}, ws[2] = {4, 3}, ys[2] = {1, 3};
    pb g = {0};
    const char *mm_in[2] = {in, w};
    node(&g, "MatMul", mm, 2, mm_in, t);
    node(&g, "Relu", relu, 1, &t, out);
    pb_str(&g, 2, relu);                    /* the graph's name */
    initializer(&g, w, 2, ws, W, 12);
    value_info(&g, 11, in, 2, xs);
    value_info(&g, 12, out, 2, ys);
    return write_onnx(dir, file, &g);
}

static int onnx_model(const char *dir, int k, const char *h)
{
    char *in = cat(h, "#in"), *w = cat(h, "#w"), *t = cat(h, "#t"), *mm = cat(h, "#mm");
    char file[64];
    snprintf(file, sizeof file, "onnx_%d.onnx", k);
    int ok = onnx_graph(dir, file, in, w, t, mm, h, h);
    free(in), free(w), free(t), free(mm);
    return ok;
}

enum { TFL_FC = 9, TFL_RELU = 19, TFL_F32 = 0, TFL_OPT_FC = 8 };

static int tflite_model(const char *dir, int k, const char *h)
{
    char *in = cat(h, "#in"), *w = cat(h, "#w"), *b = cat(h, "#b"), *t = cat(h, "#t");
    const tb_buf bufs[3] = {{0}, {W, sizeof W, 0}, {B, sizeof B, 0}};
    const tb_tensor ts[5] = {
        {in, TFL_F32, 2, {1, 4}, 0}, {w, TFL_F32, 2, {3, 4}, 1}, {b, TFL_F32, 1, {3}, 2},
        {t, TFL_F32, 2, {1, 3}, 0},  {h, TFL_F32, 2, {1, 3}, 0},
    };
    const tb_op ops[2] = {
        {TFL_FC, 1, 3, {0, 1, 2}, 1, {3}, TFL_OPT_FC, 1, {{0, 1, 0, 0}}, NULL},
        {TFL_RELU, 1, 1, {3}, 1, {4}, 0, 0, {{0}}, NULL},
    };
    tb_model m = {5, ts, 2, ops, 3, bufs, 1, {0}, 1, {4}};
    char file[64];
    snprintf(file, sizeof file, "tflite_%d.tflite", k);
    int ok = tb_write(&m, dir, file);
    free(in), free(w), free(b), free(t);
    return ok;
}

static int no_inputs_model(const char *dir)
{
    static const int64_t cs[2] = {1, 3};
    pb g = {0};
    const char *in[1] = {"c"};
    node(&g, "Relu", "relu", 1, in, "y");
    pb_str(&g, 2, "no_inputs");
    initializer(&g, "c", 2, cs, B, 3);
    value_info(&g, 12, "y", 2, cs);
    return write_onnx(dir, "no_inputs.onnx", &g);
}

static const float X[4] = {1.0f, 0.5f, 2.0f, -0.25f};

static double relu(double v) { return v > 0 ? v : 0; }

static int references(const char *dir)
{
    float yo[3], yt[3], yc[3];
    for (int j = 0; j < 3; j++) {
        double so = 0, st = B[j];
        for (int i = 0; i < 4; i++) {
            so += (double)X[i] * W[i * 3 + j];
            st += (double)X[i] * W[j * 4 + i];
        }
        yo[j] = (float)relu(so);
        yt[j] = (float)relu(st);
        yc[j] = (float)relu(B[j]);
    }
    return write_bytes(dir, "x.bin", X, sizeof X) && write_bytes(dir, "onnx_y.bin", yo, sizeof yo) &&
           write_bytes(dir, "tflite_y.bin", yt, sizeof yt) && write_bytes(dir, "no_inputs_y.bin", yc, sizeof yc);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hostile_mkmodel DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char *longest = long_name();
    int ok = no_inputs_model(dir) && references(dir) &&
             onnx_graph(dir, "global.onnx", "x", "w", "t", global_node, "relu", "y");
    for (int k = 0; k < (int)N_NAMES; k++) {
        const char *h = names[k] ? names[k] : longest;
        char *in = cat(h, "#in"), file[32];
        ok = onnx_model(dir, k, h) && ok;
        ok = tflite_model(dir, k, h) && ok;
        snprintf(file, sizeof file, "%d.in", k);
        ok = write_bytes(dir, file, in, strlen(in)) && ok;
        snprintf(file, sizeof file, "%d.out", k);
        ok = write_bytes(dir, file, h, strlen(h)) && ok;
        free(in);
    }
    free(longest);
    printf("%d\n", (int)N_NAMES);
    return ok ? 0 : 1;
}
