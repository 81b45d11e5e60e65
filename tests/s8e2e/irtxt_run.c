/*
 * irtxt_run.c - test tool: reads the line-based IR dump written by
 * tflite2txt.py, builds the IR, lowers every node with lower_s8 (RESHAPE
 * becomes a copy), and prints a self-contained C program that runs the
 * network on an input file and writes the outputs - a miniature of the real
 * emitter, so the int8 lowering and kernels can be checked end to end
 * against TFLite-Micro's outputs before the importer and emitter land.
 *
 *   irtxt_run MODEL.txt > net.c
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "passes/lower.h"

static ir_dtype dt_of(const char *s)
{
    if (!strcmp(s, "f32")) return IR_DT_F32;
    if (!strcmp(s, "s8")) return IR_DT_S8;
    if (!strcmp(s, "u8")) return IR_DT_U8;
    if (!strcmp(s, "s16")) return IR_DT_S16;
    if (!strcmp(s, "s32")) return IR_DT_S32;
    if (!strcmp(s, "s64")) return IR_DT_S64;
    fprintf(stderr, "bad dtype %s\n", s);
    exit(2);
}

static const char *ctype(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_F32: return "float";
    case IR_DT_S8: return "int8_t";
    case IR_DT_U8: return "uint8_t";
    case IR_DT_S16: return "int16_t";
    case IR_DT_S32: return "int32_t";
    case IR_DT_S64: return "int64_t";
    default: return "uint8_t";
    }
}

static void parse_pair(const char *v, int *a, int *b) { sscanf(v, "%d,%d", a, b); }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: irtxt_run MODEL.txt\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    ir_graph *g = ir_new("net");
    static char line[1 << 24];
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        if (!tok)
            continue;
        if (!strcmp(tok, "T")) {
            int idx = atoi(strtok_r(NULL, " \n", &save));
            ir_dtype dt = dt_of(strtok_r(NULL, " \n", &save));
            int rank = atoi(strtok_r(NULL, " \n", &save));
            int64_t shape[IR_MAX_DIMS];
            for (int i = 0; i < rank; i++)
                shape[i] = atoll(strtok_r(NULL, " \n", &save));
            int qn = atoi(strtok_r(NULL, " \n", &save));
            int axis = atoi(strtok_r(NULL, " \n", &save));
            float *sc = calloc((size_t)qn + 1, sizeof(float));
            int32_t *zp = calloc((size_t)qn + 1, sizeof(int32_t));
            for (int i = 0; i < qn; i++)
                sc[i] = strtof(strtok_r(NULL, " \n", &save), NULL);
            for (int i = 0; i < qn; i++)
                zp[i] = atoi(strtok_r(NULL, " \n", &save));
            size_t nb = (size_t)atoll(strtok_r(NULL, " \n", &save));
            char *hex = strtok_r(NULL, " \n", &save);
            char name[32];
            snprintf(name, sizeof name, "t%d", idx);
            int t;
            if (nb) {
                uint8_t *d = malloc(nb);
                for (size_t i = 0; i < nb; i++) {
                    unsigned v;
                    sscanf(hex + 2 * i, "%2x", &v);
                    d[i] = (uint8_t)v;
                }
                t = ir_add_const(g, name, dt, rank, shape, d, nb);
                free(d);
            } else {
                t = ir_add_tensor(g, name, dt, rank, shape);
            }
            if (qn)
                ir_set_quant(g, t, qn, axis, sc, zp);
            free(sc);
            free(zp);
        } else if (!strcmp(tok, "N")) {
            int nin = atoi(strtok_r(NULL, " \n", &save)), in[8], out[8];
            for (int i = 0; i < nin; i++)
                in[i] = atoi(strtok_r(NULL, " \n", &save));
            int nout = atoi(strtok_r(NULL, " \n", &save));
            for (int i = 0; i < nout; i++)
                out[i] = atoi(strtok_r(NULL, " \n", &save));
            ir_attr a;
            ir_attr_init(&a);
            ir_op op = IR_OP_COUNT;
            char *kv;
            while ((kv = strtok_r(NULL, " \n", &save))) {
                char *v = strchr(kv, '=');
                *v++ = 0;
                if (!strcmp(kv, "op")) {
                    for (int o = 0; o < IR_OP_COUNT; o++)
                        if (!strcmp(v, "CONV") ? o == IR_OP_CONV
                            : !strcmp(v, "FC") ? o == IR_OP_FULLY_CONNECTED
                            : !strcmp(v, "AVGPOOL") ? o == IR_OP_AVGPOOL
                            : !strcmp(v, "MAXPOOL") ? o == IR_OP_MAXPOOL
                            : !strcmp(v, "SOFTMAX") ? o == IR_OP_SOFTMAX
                            : !strcmp(v, "ADD") ? o == IR_OP_ADD
                            : !strcmp(v, "RESHAPE") ? o == IR_OP_RESHAPE
                            : !strcmp(v, "QUANTIZE") ? o == IR_OP_QUANTIZE
                            : !strcmp(v, "REQUANTIZE") ? o == IR_OP_REQUANTIZE
                            : !strcmp(v, "DEQUANTIZE") ? o == IR_OP_DEQUANTIZE : 0)
                            op = (ir_op)o;
                } else if (!strcmp(kv, "act")) {
                    a.act.on = true;
                    sscanf(v, "%f,%f", &a.act.lo, &a.act.hi);
                    if (strstr(v, "inf"))
                        a.act.hi = INFINITY;
                } else if (!strcmp(kv, "stride")) {
                    parse_pair(v, &a.conv.stride[0], &a.conv.stride[1]);
                } else if (!strcmp(kv, "dil")) {
                    parse_pair(v, &a.conv.dilation[0], &a.conv.dilation[1]);
                } else if (!strcmp(kv, "k")) {
                    parse_pair(v, &a.conv.kernel[0], &a.conv.kernel[1]);
                } else if (!strcmp(kv, "group")) {
                    a.conv.group = atoi(v);
                } else if (!strcmp(kv, "pad")) {
                    sscanf(v, "%d,%d,%d,%d", &a.conv.pad_begin[0], &a.conv.pad_begin[1],
                           &a.conv.pad_end[0], &a.conv.pad_end[1]);
                } else if (!strcmp(kv, "beta")) {
                    a.beta = strtof(v, NULL);
                }
            }
            a.conv.layout = IR_LAYOUT_NHWC;
            a.conv.nspatial = 2;
            a.qmode = IR_QMODE_TFLITE;
            if (op == IR_OP_SOFTMAX) {
                a.axis = g->tensors[in[0]].rank - 1;
                a.axis_end = a.axis + 1;
            }
            int n = ir_add_node(g, op, "n", "tflite", g->n_nodes, nin, in, nout, out);
            g->nodes[n].attr = a;
        } else if (!strcmp(tok, "I")) {
            ir_mark_input(g, atoi(strtok_r(NULL, " \n", &save)), g->n_inputs);
        } else if (!strcmp(tok, "O")) {
            ir_mark_output(g, atoi(strtok_r(NULL, " \n", &save)));
        }
    }
    fclose(f);

    lir_program p;
    memset(&p, 0, sizeof p);
    char err[1024];
    for (int n = 0; n < g->n_nodes; n++) {
        if (g->nodes[n].op == IR_OP_RESHAPE) {
            lir_call *c = lir_begin(&p, n, "memcpy", NULL, NULL);
            lir_out(c, g->nodes[n].out[0]);
            lir_in(c, g->nodes[n].in[0]);
            lir_int(c, (int64_t)ir_nbytes(&g->tensors[g->nodes[n].in[0]]));
            continue;
        }
        int r = lower_s8(g, n, &p, err, sizeof err);
        if (r <= 0) {
            fprintf(stderr, "node %d: %s\n", n, r < 0 ? err : "not claimed by lower_s8");
            return 1;
        }
    }

    printf("#include <stdio.h>\n#include <string.h>\n#include <math.h>\n#include \"kiln/kernels.h\"\n");
    for (int t = 0; t < g->n_tensors; t++) {
        const ir_tensor *ts = &g->tensors[t];
        size_t n = (size_t)ir_numel(ts);
        if (ir_is_const(ts)) {
            printf("static const %s T%d[%zu] = {", ctype(ts->dtype), t, n ? n : 1);
            for (size_t i = 0; i < n; i++) {
                if (i % 16 == 0)
                    printf("\n");
                switch (ts->dtype) {
                case IR_DT_S8: printf("%d,", ((int8_t *)ts->data)[i]); break;
                case IR_DT_U8: printf("%u,", ((uint8_t *)ts->data)[i]); break;
                case IR_DT_S32: printf("%d,", ((int32_t *)ts->data)[i]); break;
                case IR_DT_F32: printf("%s,", lir_f32(((float *)ts->data)[i])); break;
                default: printf("0,"); break;
                }
            }
            printf("};\n");
        } else {
            printf("static %s T%d[%zu];\n", ctype(ts->dtype), t, n ? n : 1);
        }
    }
    for (int i = 0; i < p.n_calls; i++)
        if (p.calls[i].ptype)
            printf("static const %s p%d = %s;\n", p.calls[i].ptype, i, p.calls[i].pinit);
    printf("int main(int argc, char **argv)\n{\n    FILE *f = fopen(argv[1], \"rb\");\n");
    for (int i = 0; i < g->n_inputs; i++)
        printf("    if (fread(T%d, 1, sizeof T%d, f) != sizeof T%d) return 3;\n", g->inputs[i],
               g->inputs[i], g->inputs[i]);
    printf("    fclose(f);\n");
    for (int i = 0; i < p.n_calls; i++) {
        const lir_call *c = &p.calls[i];
        printf("    %s(", c->kernel);
        int first = 1;
        if (c->ptype) {
            printf("&p%d", i);
            first = 0;
        }
        for (int k = 0; k < c->n_args; k++) {
            printf("%s", first ? "" : ", ");
            first = 0;
            const lir_arg *a = &c->args[k];
            if (a->kind == LIR_ARG_NULL)
                printf("NULL");
            else if (a->kind == LIR_ARG_INT)
                printf("%lld", (long long)a->value);
            else
                printf("T%d", a->tensor);
        }
        printf(");\n");
    }
    printf("    f = fopen(argv[2], \"wb\");\n");
    for (int i = 0; i < g->n_outputs; i++)
        printf("    fwrite(T%d, 1, sizeof T%d, f);\n", g->outputs[i], g->outputs[i]);
    printf("    fclose(f);\n    return 0;\n}\n");
    return 0;
}
