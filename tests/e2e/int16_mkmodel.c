/*
 * int16_mkmodel.c - writes the small TFLite 16x8 models (int16 activations,
 * int8 weights) tests/e2e/int16_models.sh runs, with the test flatbuffer
 * writer (tests/unit/tfl_builder.h, which shares no code with the
 * importer).  Weights and biases come from a fixed LCG.
 *
 *   int16_mkmodel DIR     writes DIR/s16_cnn.tflite, s16_b32.tflite,
 *                         s16_add.tflite and s16_pot.tflite
 *
 * s16_cnn: X [1,8,8,3] -> CONV_2D 3x3 SAME (4 per-channel scales, int64 bias,
 *          RELU; channel 3 has a tiny scale and a bias beyond int32) ->
 *          DEPTHWISE_CONV_2D 3x3 stride 2 SAME, multiplier 2 (int64 bias) ->
 *          MAX_POOL_2D 2x2 VALID -> AVERAGE_POOL_2D 2x2 SAME, RELU6 ->
 *          FULLY_CONNECTED per tensor (int64 bias) -> Y [1,5].
 * s16_b32: X [1,7,7,2] -> CONV_2D 3x3 stride 2 VALID, dilation 1, int32 bias,
 *          RELU_N1_TO_1 -> CONV_2D 1x1 without bias (both int32 accumulators
 *          in TFLM) -> DEPTHWISE_CONV_2D 1x1 stride 2 VALID without bias
 *          (int64) -> FULLY_CONNECTED with int32 bias (widened) -> Y [1,3].
 * s16_add: X [1,4,4,3] -> CONV_2D 1x1 (t1) and DEPTHWISE_CONV_2D 3x3 SAME
 *          (t2), two branches with different scales -> ADD(t1, t2) (t3) ->
 *          ADD(t3, C), C a constant [3] broadcast over the channels, RELU
 *          (t4) -> SUB(t4, t1) (t5) -> MUL(t5, G), G a constant [1,4,1,1]
 *          gain within +-0.5 broadcast over rows -> Y [1,4,4,3]; ADD and
 *          SUB with pot_scale_int16 = false (general scaling), no scale a
 *          power of two.
 * s16_pot: one int16 ADD with pot_scale_int16 left at its default (true),
 *          which Kiln refuses.
 * The scales put most activations mid-range, with some saturation.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit/tfl_builder.h"

enum { ADD = 0, AVGPOOL = 1, CONV = 3, DWCONV = 4, FC = 9, MAXPOOL = 17, MUL = 18, SUB = 41 };
enum { T_I32 = 2, T_I64 = 4, T_I16 = 7, T_I8 = 9 };
enum { OPT_CONV = 1, OPT_DW = 2, OPT_POOL = 5, OPT_FC = 8, OPT_ADD = 11, OPT_MUL = 21, OPT_SUB = 28 };
enum { SAME = 0, VALID = 1, RELU = 1, RELU_N1_TO_1 = 2, RELU6 = 3 };

static uint32_t lcg = 2024;
static double rnd(void) /* uniform in [-1, 1) */
{
    lcg = lcg * 1103515245u + 12345u;
    return (double)(lcg >> 8) / 8388608.0 - 1.0;
}

static void fill8(int8_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w[i] = (int8_t)(127 * rnd());
}

static tb_op conv_op(int x, int w, int b, int y, int pad, int stride, int act)
{
    tb_op op = {CONV, 4, b >= 0 ? 3 : 2, {x, w, b}, 1, {y}, OPT_CONV, 4,
                {{0, 1, (uint64_t)pad, 0}, {1, 4, (uint64_t)stride, 0},
                 {2, 4, (uint64_t)stride, 0}, {3, 1, (uint64_t)act, 0}}, NULL};
    return op;
}

static tb_op dw_op(int x, int w, int b, int y, int pad, int stride, int mult, int act)
{
    tb_op op = {DWCONV, 5, b >= 0 ? 3 : 2, {x, w, b}, 1, {y}, OPT_DW, 5,
                {{0, 1, (uint64_t)pad, 0}, {1, 4, (uint64_t)stride, 0},
                 {2, 4, (uint64_t)stride, 0}, {3, 4, (uint64_t)mult, 0},
                 {4, 1, (uint64_t)act, 0}}, NULL};
    return op;
}

static tb_op pool_op(int code, int x, int y, int pad, int k, int act)
{
    tb_op op = {code, 3, 1, {x}, 1, {y}, OPT_POOL, 6,
                {{0, 1, (uint64_t)pad, 0}, {1, 4, 1, 0}, {2, 4, 1, 0}, {3, 4, (uint64_t)k, 0},
                 {4, 4, (uint64_t)k, 0}, {5, 1, (uint64_t)act, 0}}, NULL};
    return op;
}

static tb_op fc_op(int x, int w, int b, int y, int act)
{
    tb_op op = {FC, 7, b >= 0 ? 3 : 2, {x, w, b}, 1, {y}, OPT_FC, 1,
                {{0, 1, (uint64_t)act, 0}}, NULL};
    return op;
}

static bool cnn_model(const char *dir)
{
    static int8_t w1[4 * 3 * 3 * 3], w2[9 * 8], w3[5 * 72];
    static int64_t b1[4], b2[8], b3[5];
    fill8(w1, sizeof w1);
    fill8(w2, sizeof w2);
    fill8(w3, sizeof w3);
    const float sx = 1.0f / 4096, s1 = 1.0f / 1024, s2 = 1.0f / 512, sy = 1.0f / 256;
    tb_tensor t[12] = {
        {"x", T_I16, 4, {1, 8, 8, 3}, 0, 1, {sx}, {0}},
        {"w1", T_I8, 4, {4, 3, 3, 3}, 1, 4, {0}, {0}, 0},
        {"b1", T_I64, 1, {4}, 2, 4, {0}, {0}, 0},
        {"t1", T_I16, 4, {1, 8, 8, 4}, 0, 1, {s1}, {0}},
        {"w2", T_I8, 4, {1, 3, 3, 8}, 3, 8, {0}, {0}, 3},
        {"b2", T_I64, 1, {8}, 4, 8, {0}, {0}, 0},
        {"t2", T_I16, 4, {1, 4, 4, 8}, 0, 1, {s2}, {0}},
        {"t3", T_I16, 4, {1, 3, 3, 8}, 0, 1, {s2}, {0}},
        {"t4", T_I16, 4, {1, 3, 3, 8}, 0, 1, {s2}, {0}},
        {"w3", T_I8, 2, {5, 72}, 5, 1, {0.0021f}, {0}},
        {"b3", T_I64, 1, {5}, 6, 1, {s2 * 0.0021f}, {0}},
        {"y", T_I16, 2, {1, 5}, 0, 1, {sy}, {0}},
    };
    /* Effective multipliers around 1e-3 (1e-6 for conv channel 3, whose
     * bias of ~3e9 then still lands inside int16). */
    for (int c = 0; c < 4; c++) {
        const double eff = c == 3 ? 1e-6 : 0.0013 * (1 + 0.4 * c);
        t[1].scale[c] = (float)(eff * s1 / sx);
        t[2].scale[c] = sx * t[1].scale[c];
        b1[c] = c == 3 ? 3000000000LL + (int64_t)(1e6 * rnd()) : (int64_t)(3e6 * rnd());
    }
    for (int c = 0; c < 8; c++) {
        const double eff = 0.0004 * (1 + 0.25 * c);
        t[4].scale[c] = (float)(eff * s2 / s1);
        t[5].scale[c] = s1 * t[4].scale[c];
        b2[c] = (int64_t)(4e6 * rnd());
    }
    for (int c = 0; c < 5; c++)
        b3[c] = (int64_t)(2e6 * rnd());
    const tb_buf bufs[7] = {{0}, {w1, sizeof w1, 0}, {b1, sizeof b1, 0}, {w2, sizeof w2, 0},
                            {b2, sizeof b2, 0}, {w3, sizeof w3, 0}, {b3, sizeof b3, 0}};
    const tb_op ops[5] = {conv_op(0, 1, 2, 3, SAME, 1, RELU), dw_op(3, 4, 5, 6, SAME, 2, 2, 0),
                          pool_op(MAXPOOL, 6, 7, VALID, 2, 0), pool_op(AVGPOOL, 7, 8, SAME, 2, RELU6),
                          fc_op(8, 9, 10, 11, 0)};
    tb_model m = {12, t, 5, ops, 7, bufs, 1, {0}, 1, {11}};
    return tb_write(&m, dir, "s16_cnn.tflite");
}

static bool b32_model(const char *dir)
{
    static int8_t w1[3 * 3 * 3 * 2], w2[4 * 3], w3[4], w4[3 * 16];
    static int32_t b1[3], b4[3];
    fill8(w1, sizeof w1);
    fill8(w2, sizeof w2);
    fill8(w3, sizeof w3);
    fill8(w4, sizeof w4);
    const float sx = 1.0f / 8192, s1 = 1.0f / 16384, s2 = 1.0f / 8192, s3 = 1.0f / 4096;
    const float sy = 1.0f / 2048;
    tb_tensor t[11] = {
        {"x", T_I16, 4, {1, 7, 7, 2}, 0, 1, {sx}, {0}},
        {"w1", T_I8, 4, {3, 3, 3, 2}, 1, 3, {0}, {0}, 0},
        {"b1", T_I32, 1, {3}, 2, 3, {0}, {0}, 0},
        {"t1", T_I16, 4, {1, 3, 3, 3}, 0, 1, {s1}, {0}},
        {"w2", T_I8, 4, {4, 1, 1, 3}, 3, 4, {0}, {0}, 0},
        {"t2", T_I16, 4, {1, 3, 3, 4}, 0, 1, {s2}, {0}},
        {"w3", T_I8, 4, {1, 1, 1, 4}, 4, 4, {0}, {0}, 3},
        {"t3", T_I16, 4, {1, 2, 2, 4}, 0, 1, {s3}, {0}},
        {"w4", T_I8, 2, {3, 16}, 5, 1, {0.003f}, {0}},
        {"b4", T_I32, 1, {3}, 6, 1, {s3 * 0.003f}, {0}},
        {"y", T_I16, 2, {1, 3}, 0, 1, {sy}, {0}},
    };
    for (int c = 0; c < 3; c++) {
        t[1].scale[c] = (float)(0.0015 * (1 + 0.5 * c) * s1 / sx);
        t[2].scale[c] = sx * t[1].scale[c];
        b1[c] = (int32_t)(5e6 * rnd());
    }
    for (int c = 0; c < 4; c++) {
        t[4].scale[c] = (float)(0.004 * (1 + 0.3 * c) * s2 / s1);
        t[6].scale[c] = (float)(0.01 * (1 + 0.2 * c) * s3 / s2);
    }
    for (int c = 0; c < 3; c++)
        b4[c] = (int32_t)(1e6 * rnd());
    const tb_buf bufs[7] = {{0}, {w1, sizeof w1, 0}, {b1, sizeof b1, 0}, {w2, sizeof w2, 0},
                            {w3, sizeof w3, 0}, {w4, sizeof w4, 0}, {b4, sizeof b4, 0}};
    /* The depthwise step is 1x1 with stride 2 VALID: 3x3 -> 2x2. */
    const tb_op ops[4] = {conv_op(0, 1, 2, 3, VALID, 2, RELU_N1_TO_1), conv_op(3, 4, -1, 5, SAME, 1, 0),
                          dw_op(5, 6, -1, 7, VALID, 2, 1, 0), fc_op(7, 8, 9, 10, 0)};
    tb_model m = {11, t, 4, ops, 7, bufs, 1, {0}, 1, {10}};
    return tb_write(&m, dir, "s16_b32.tflite");
}

/* ADD (version 3) / SUB (version 5): TFLite's int16 general scaling, which
 * pot_scale_int16 = false selects; pot < 0 leaves the field out (default
 * true).  MUL (version 4) has no such field. */
static tb_op binary_op(int code, int a, int b, int y, int act, int pot)
{
    const int version = pot < 0 ? 1 : code == ADD ? 3 : code == SUB ? 5 : 4;
    const int opt = code == ADD ? OPT_ADD : code == SUB ? OPT_SUB : OPT_MUL;
    tb_op op = {code, version, 2, {a, b}, 1, {y}, opt, pot >= 0 && code != MUL ? 2 : 1,
                {{0, 1, (uint64_t)act, 0}, {1, 1, (uint64_t)(pot > 0), 0}}, NULL};
    return op;
}

static bool add_model(const char *dir)
{
    static int8_t w1[3 * 3], w2[9 * 3];
    static int64_t b1[3], b2[3];
    static const int16_t cst[3] = {9000, -12000, 2500}, gain[4] = {8000, -5000, 3000, -8191};
    fill8(w1, sizeof w1);
    fill8(w2, sizeof w2);
    const float sx = 1.0f / 4096, s1 = 1.0f / 2000, s2 = 1.0f / 900, s3 = 1.0f / 1000;
    const float sc = 1.0f / 3000, s4 = 1.0f / 700, s5 = 1.0f / 600, sg = 1.0f / 16384;
    const float sy = 1.0f / 1100;
    tb_tensor t[13] = {
        {"x", T_I16, 4, {1, 4, 4, 3}, 0, 1, {sx}, {0}},
        {"w1", T_I8, 4, {3, 1, 1, 3}, 1, 3, {0}, {0}, 0},
        {"b1", T_I64, 1, {3}, 2, 3, {0}, {0}, 0},
        {"t1", T_I16, 4, {1, 4, 4, 3}, 0, 1, {s1}, {0}},
        {"w2", T_I8, 4, {1, 3, 3, 3}, 3, 3, {0}, {0}, 3},
        {"b2", T_I64, 1, {3}, 4, 3, {0}, {0}, 0},
        {"t2", T_I16, 4, {1, 4, 4, 3}, 0, 1, {s2}, {0}},
        {"t3", T_I16, 4, {1, 4, 4, 3}, 0, 1, {s3}, {0}},
        {"c", T_I16, 1, {3}, 5, 1, {sc}, {0}},
        {"t4", T_I16, 4, {1, 4, 4, 3}, 0, 1, {s4}, {0}},
        {"t5", T_I16, 4, {1, 4, 4, 3}, 0, 1, {s5}, {0}},
        {"y", T_I16, 4, {1, 4, 4, 3}, 0, 1, {sy}, {0}},
        {"g", T_I16, 4, {1, 4, 1, 1}, 6, 1, {sg}, {0}},
    };
    for (int c = 0; c < 3; c++) {
        t[1].scale[c] = (float)(0.0011 * (1 + 0.3 * c) * s1 / sx);
        t[2].scale[c] = sx * t[1].scale[c];
        b1[c] = (int64_t)(2e6 * rnd());
        t[4].scale[c] = (float)(0.0003 * (1 + 0.5 * c) * s2 / sx);
        t[5].scale[c] = sx * t[4].scale[c];
        b2[c] = (int64_t)(3e6 * rnd());
    }
    const tb_buf bufs[7] = {{0}, {w1, sizeof w1, 0}, {b1, sizeof b1, 0}, {w2, sizeof w2, 0},
                            {b2, sizeof b2, 0}, {cst, sizeof cst, 0}, {gain, sizeof gain, 0}};
    const tb_op ops[6] = {conv_op(0, 1, 2, 3, SAME, 1, 0), dw_op(0, 4, 5, 6, SAME, 1, 1, 0),
                          binary_op(ADD, 3, 6, 7, 0, 0), binary_op(ADD, 7, 8, 9, RELU, 0),
                          binary_op(SUB, 9, 3, 10, 0, 0), binary_op(MUL, 10, 12, 11, 0, 0)};
    /* The gain keeps MUL from magnifying the reference evaluator's 1-LSB
     * differences upstream (int16_models.sh compares against it too). */
    tb_model m = {13, t, 6, ops, 7, bufs, 1, {0}, 1, {11}};
    return tb_write(&m, dir, "s16_add.tflite");
}

static bool pot_model(const char *dir)
{
    const float s = 1.0f / 1024;
    tb_tensor t[3] = {
        {"a", T_I16, 2, {1, 4}, 0, 1, {s}, {0}},
        {"b", T_I16, 2, {1, 4}, 0, 1, {s}, {0}},
        {"y", T_I16, 2, {1, 4}, 0, 1, {s}, {0}},
    };
    const tb_op ops[1] = {binary_op(ADD, 0, 1, 2, 0, -1)};
    tb_model m = {3, t, 1, ops, 1, NULL, 2, {0, 1}, 1, {2}};
    return tb_write(&m, dir, "s16_pot.tflite");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: int16_mkmodel DIR\n");
        return 2;
    }
    return cnn_model(argv[1]) && b32_model(argv[1]) && add_model(argv[1]) && pot_model(argv[1])
               ? 0 : 1;
}
