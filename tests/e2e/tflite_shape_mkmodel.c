/*
 * tflite_shape_mkmodel.c - writes the TFLite models of tests/e2e/tflite_shape.sh:
 * inputs with a -1 in their shape_signature, for --shape and --const.
 *
 *   tflite_shape_mkmodel DIR
 *
 * Every stored `shape` is what a converter tracing the model with the
 * sizes in brackets would write; the signature has -1 where the size is
 * open.  Builtin codes, option tables and field numbers are schema.fbs's.
 *
 *   dyn.tflite    x [1,-1,4] (traced with 8 frames):
 *                 FULLY_CONNECTED keep_num_dims (3 units) -> RESHAPE [1,-1,1,3]
 *                 -> CONV_2D 2x(3x1) SAME stride 2 ReLU -> DEPTHWISE 3x1 VALID
 *                 -> MAX_POOL 2x1 stride 2 VALID -> PAD 1,1 on H -> MEAN H keep
 *                 -> SUB (broadcast) -> CONCATENATION (SUB, PAD) on C
 *                 -> TRANSPOSE 0,3,1,2 -> STRIDED_SLICE (masks, shrink)
 *                 -> SOFTMAX = sm [1,2,-1];  MEAN over the last axis
 *                 -> FULLY_CONNECTED = o2 [1,2]
 *   chain.tflite  x [1,-1] (traced with 8), k int32 [1] (traced with 4):
 *                 z = RESHAPE(x, CONCATENATION(STRIDED_SLICE(SHAPE(x), 1:2), [1]))
 *                 y = RESHAPE(x, CONCATENATION([-1], k))
 *   if.tflite     x [1,-1] (traced 4), flag bool [1]: y = IF(flag, x), the
 *                 then branch (subgraph 1) NEG, the else branch (subgraph 2) ABS
 *   bad_sig.tflite  x's shape [1,8] contradicts its signature [1,9]
 *   bad_out.tflite  x [1,-1] -> RELU -> y whose signature fixes [1,8]
 *   bad_relu.tflite x [1,8] -> RELU -> y stored [1,9] (no signatures)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/tfl_builder.h"

enum { F32 = 0, I32 = 2, BOOL = 6 };
enum { FC = 9, RESHAPE = 22, CONV = 3, DW = 4, MAXPOOL = 17, PAD = 34, MEAN = 40, SUB = 41, CONCAT = 2,
       TRANSPOSE = 39, SSLICE = 45, SOFTMAX = 25, SHAPE = 77, RELU = 19, IF = 118, NEG = 59, ABS = 101 };

static int fails;

/* Deterministic small weights: k-th value of a fixed pattern. */
static void fill(float *w, int n, int seed)
{
    for (int i = 0; i < n; i++)
        w[i] = (float)(((i * 7 + seed * 3) % 11) - 5) * 0.125f;
}

static void dyn(const char *dir)
{
    static float w1[12], b1[3], wc[18], bc[2], wd[6], bd[2], w2[4], b2[2];
    static const int32_t rs[4] = {1, -1, 1, 3}, pads[8] = {0, 0, 1, 1, 0, 0, 0, 0}, ax1[1] = {1},
                         perm[4] = {0, 3, 1, 2}, sb[4] = {0, 1, 0, 0}, se[4] = {0, 3, 0, 1},
                         ss[4] = {1, 1, 1, 1}, ax2[1] = {2};
    fill(w1, 12, 1); fill(b1, 3, 2); fill(wc, 18, 3); fill(bc, 2, 4);
    fill(wd, 6, 5); fill(bd, 2, 6); fill(w2, 4, 7); fill(b2, 2, 8);
    const tb_tensor t[31] = {
        {.name = "x", .type = F32, .rank = 3, .shape = {1, 8, 4}, .sig_rank = 3, .sig = {1, -1, 4}},
        {.name = "w1", .type = F32, .rank = 2, .shape = {3, 4}, .buffer = 1},
        {.name = "b1", .type = F32, .rank = 1, .shape = {3}, .buffer = 2},
        {.name = "a", .type = F32, .rank = 3, .shape = {1, 8, 3}, .sig_rank = 3, .sig = {1, -1, 3}},
        {.name = "rs", .type = I32, .rank = 1, .shape = {4}, .buffer = 3},
        {.name = "r", .type = F32, .rank = 4, .shape = {1, 8, 1, 3}, .sig_rank = 4, .sig = {1, -1, 1, 3}},
        {.name = "wc", .type = F32, .rank = 4, .shape = {2, 3, 1, 3}, .buffer = 4},
        {.name = "bc", .type = F32, .rank = 1, .shape = {2}, .buffer = 5},
        {.name = "c1", .type = F32, .rank = 4, .shape = {1, 4, 1, 2}, .sig_rank = 4, .sig = {1, -1, 1, 2}},
        {.name = "wd", .type = F32, .rank = 4, .shape = {1, 3, 1, 2}, .buffer = 6},
        {.name = "bd", .type = F32, .rank = 1, .shape = {2}, .buffer = 7},
        {.name = "d1", .type = F32, .rank = 4, .shape = {1, 2, 1, 2}, .sig_rank = 4, .sig = {1, -1, 1, 2}},
        {.name = "p1", .type = F32, .rank = 4, .shape = {1, 1, 1, 2}, .sig_rank = 4, .sig = {1, -1, 1, 2}},
        {.name = "pads", .type = I32, .rank = 2, .shape = {4, 2}, .buffer = 8},
        {.name = "pd", .type = F32, .rank = 4, .shape = {1, 3, 1, 2}, .sig_rank = 4, .sig = {1, -1, 1, 2}},
        {.name = "ax1", .type = I32, .rank = 1, .shape = {1}, .buffer = 9},
        {.name = "m", .type = F32, .rank = 4, .shape = {1, 1, 1, 2}},
        {.name = "sb", .type = F32, .rank = 4, .shape = {1, 3, 1, 2}, .sig_rank = 4, .sig = {1, -1, 1, 2}},
        {.name = "cat", .type = F32, .rank = 4, .shape = {1, 3, 1, 4}, .sig_rank = 4, .sig = {1, -1, 1, 4}},
        {.name = "perm", .type = I32, .rank = 1, .shape = {4}, .buffer = 10},
        {.name = "tr", .type = F32, .rank = 4, .shape = {1, 4, 3, 1}, .sig_rank = 4, .sig = {1, 4, -1, 1}},
        {.name = "s_begin", .type = I32, .rank = 1, .shape = {4}, .buffer = 11},
        {.name = "s_end", .type = I32, .rank = 1, .shape = {4}, .buffer = 12},
        {.name = "s_strides", .type = I32, .rank = 1, .shape = {4}, .buffer = 13},
        {.name = "ss", .type = F32, .rank = 3, .shape = {1, 2, 3}, .sig_rank = 3, .sig = {1, 2, -1}},
        {.name = "sm", .type = F32, .rank = 3, .shape = {1, 2, 3}, .sig_rank = 3, .sig = {1, 2, -1}},
        {.name = "ax2", .type = I32, .rank = 1, .shape = {1}, .buffer = 14},
        {.name = "g", .type = F32, .rank = 2, .shape = {1, 2}},
        {.name = "w2", .type = F32, .rank = 2, .shape = {2, 2}, .buffer = 15},
        {.name = "b2", .type = F32, .rank = 1, .shape = {2}, .buffer = 16},
        {.name = "o2", .type = F32, .rank = 2, .shape = {1, 2}},
    };
    const tb_op ops[14] = {
        {FC, 5, 3, {0, 1, 2}, 1, {3}, 8, 1, {{2, 1, 1, 0}}},                      /* keep_num_dims */
        {RESHAPE, 1, 2, {3, 4}, 1, {5}},
        {CONV, 1, 3, {5, 6, 7}, 1, {8}, 1, 6,
         {{0, 1, 0, 0}, {1, 4, 1, 0}, {2, 4, 2, 0}, {3, 1, 1, 0}, {4, 4, 1, 0}, {5, 4, 1, 0}}}, /* SAME, s 2x1, ReLU */
        {DW, 1, 3, {8, 9, 10}, 1, {11}, 2, 6,
         {{0, 1, 1, 0}, {1, 4, 1, 0}, {2, 4, 1, 0}, {3, 4, 1, 0}, {5, 4, 1, 0}, {6, 4, 1, 0}}}, /* VALID */
        {MAXPOOL, 1, 1, {11}, 1, {12}, 5, 5,
         {{0, 1, 1, 0}, {1, 4, 1, 0}, {2, 4, 2, 0}, {3, 4, 1, 0}, {4, 4, 2, 0}}},  /* VALID 2x1 s 2x1 */
        {PAD, 1, 2, {12, 13}, 1, {14}},
        {MEAN, 1, 2, {14, 15}, 1, {16}, 27, 1, {{0, 1, 1, 0}}},                   /* keep_dims */
        {SUB, 1, 2, {14, 16}, 1, {17}},
        {CONCAT, 1, 2, {17, 14}, 1, {18}, 10, 1, {{0, 4, 3, 0}}},                 /* axis 3 */
        {TRANSPOSE, 1, 2, {18, 19}, 1, {20}},
        {SSLICE, 1, 4, {20, 21, 22, 23}, 1, {24}, 32, 3,
         {{0, 4, 5, 0}, {1, 4, 5, 0}, {4, 4, 8, 0}}},                             /* masks 0101, shrink 3 */
        {SOFTMAX, 1, 1, {24}, 1, {25}, 9, 1, {{0, 4, 0x3f800000u, 0}}},           /* beta 1 */
        {MEAN, 1, 2, {24, 26}, 1, {27}, 27, 1, {{0, 1, 0, 0}}},
        {FC, 1, 3, {27, 28, 29}, 1, {30}},
    };
    const tb_buf bufs[17] = {
        {0}, {w1, sizeof w1, false}, {b1, sizeof b1, false}, {rs, sizeof rs, false}, {wc, sizeof wc, false},
        {bc, sizeof bc, false}, {wd, sizeof wd, false}, {bd, sizeof bd, false}, {pads, sizeof pads, false},
        {ax1, sizeof ax1, false}, {perm, sizeof perm, false}, {sb, sizeof sb, false}, {se, sizeof se, false},
        {ss, sizeof ss, false}, {ax2, sizeof ax2, false}, {w2, sizeof w2, false}, {b2, sizeof b2, false},
    };
    tb_model m = {31, t, 14, ops, 17, bufs, 1, {0}, 2, {25, 30}};
    fails += !tb_write(&m, dir, "dyn.tflite");
}

static void chain(const char *dir)
{
    static const int32_t one[1] = {1}, two[1] = {2}, neg[1] = {-1};
    const tb_tensor t[13] = {
        {.name = "x", .type = F32, .rank = 2, .shape = {1, 8}, .sig_rank = 2, .sig = {1, -1}},
        {.name = "k", .type = I32, .rank = 1, .shape = {1}},
        {.name = "s", .type = I32, .rank = 1, .shape = {2}},
        {.name = "b0", .type = I32, .rank = 1, .shape = {1}, .buffer = 1},
        {.name = "e0", .type = I32, .rank = 1, .shape = {1}, .buffer = 2},
        {.name = "st", .type = I32, .rank = 1, .shape = {1}, .buffer = 1},
        {.name = "n", .type = I32, .rank = 1, .shape = {1}},
        {.name = "one", .type = I32, .rank = 1, .shape = {1}, .buffer = 1},
        {.name = "d1", .type = I32, .rank = 1, .shape = {2}},
        {.name = "z", .type = F32, .rank = 2, .shape = {8, 1}, .sig_rank = 2, .sig = {-1, 1}},
        {.name = "neg", .type = I32, .rank = 1, .shape = {1}, .buffer = 3},
        {.name = "d2", .type = I32, .rank = 1, .shape = {2}},
        {.name = "y", .type = F32, .rank = 2, .shape = {2, 4}, .sig_rank = 2, .sig = {-1, -1}},
    };
    const tb_op ops[6] = {
        {SHAPE, 1, 1, {0}, 1, {2}},
        {SSLICE, 1, 4, {2, 3, 4, 5}, 1, {6}},
        {CONCAT, 1, 2, {6, 7}, 1, {8}, 10, 1, {{0, 4, 0, 0}}},
        {RESHAPE, 1, 2, {0, 8}, 1, {9}},
        {CONCAT, 1, 2, {10, 1}, 1, {11}, 10, 1, {{0, 4, 0, 0}}},
        {RESHAPE, 1, 2, {0, 11}, 1, {12}},
    };
    const tb_buf bufs[4] = {{0}, {one, sizeof one, false}, {two, sizeof two, false}, {neg, sizeof neg, false}};
    tb_model m = {13, t, 6, ops, 4, bufs, 2, {0, 1}, 2, {9, 12}};
    fails += !tb_write(&m, dir, "chain.tflite");
}

static void if_model(const char *dir)
{
    const tb_tensor io[2] = {{.name = "a", .type = F32, .rank = 2, .shape = {1, 4}, .sig_rank = 2, .sig = {1, -1}},
                             {.name = "b", .type = F32, .rank = 2, .shape = {1, 4}, .sig_rank = 2, .sig = {1, -1}}};
    const tb_op neg = {NEG, 1, 1, {0}, 1, {1}}, abs_ = {ABS, 1, 1, {0}, 1, {1}};
    const tb_model subs[2] = {{2, io, 1, &neg, 0, NULL, 1, {0}, 1, {1}},
                              {2, io, 1, &abs_, 0, NULL, 1, {0}, 1, {1}}};
    const tb_tensor t[3] = {
        {.name = "x", .type = F32, .rank = 2, .shape = {1, 4}, .sig_rank = 2, .sig = {1, -1}},
        {.name = "flag", .type = BOOL, .rank = 1, .shape = {1}},
        {.name = "y", .type = F32, .rank = 2, .shape = {1, 4}, .sig_rank = 2, .sig = {1, -1}},
    };
    const tb_op op = {IF, 1, 2, {1, 0}, 1, {2}, 92, 2, {{0, 4, 1, 0}, {1, 4, 2, 0}}};  /* IfOptions then 1, else 2 */
    tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}, 2, subs};
    fails += !tb_write(&m, dir, "if.tflite");
}

/* x -> RELU -> y with the given shapes and signatures. */
static void relu(const char *dir, const char *name, const tb_tensor *x, const tb_tensor *y)
{
    const tb_tensor t[2] = {*x, *y};
    const tb_op op = {RELU, 1, 1, {0}, 1, {1}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    fails += !tb_write(&m, dir, name);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tflite_shape_mkmodel DIR\n");
        return 2;
    }
    dyn(argv[1]);
    chain(argv[1]);
    if_model(argv[1]);
    const tb_tensor x8 = {.name = "x", .type = F32, .rank = 2, .shape = {1, 8}};
    const tb_tensor y8 = {.name = "y", .type = F32, .rank = 2, .shape = {1, 8}};
    tb_tensor x_sig9 = x8, x_dyn = x8, y_fixed = y8, y9 = y8;
    x_sig9.sig_rank = 2, x_sig9.sig[0] = 1, x_sig9.sig[1] = 9;
    x_dyn.sig_rank = 2, x_dyn.sig[0] = 1, x_dyn.sig[1] = -1;
    y_fixed.sig_rank = 2, y_fixed.sig[0] = 1, y_fixed.sig[1] = 8;
    y9.shape[1] = 9;
    relu(argv[1], "bad_sig.tflite", &x_sig9, &y8);
    relu(argv[1], "bad_out.tflite", &x_dyn, &y_fixed);
    relu(argv[1], "bad_relu.tflite", &x8, &y9);
    return fails ? 1 : 0;
}
