/*
 * tflite_int8_mkmodel.c - writes one small int8 TFLite model per int8 form
 * of the extended operator set (issue 11), for tests/e2e/tflite_int8_ext.sh.
 *
 *   tflite_int8_mkmodel DIR
 *
 * Movement with one quantization: GATHER rows {3, 0, 2} of [4,3], SELECT_V2
 * (bool [2,3], [2,3], [1]), REDUCE_MAX/MIN over axis 1 of [2,3,4],
 * ARG_MAX/MIN over axis 1 of [2,5] into int32, MAXIMUM/MINIMUM [2,3] with
 * [3], EXPAND_DIMS [2,3] -> [2,1,3].  Comparisons [2,3] with [3] into bool,
 * with one quantization (EQUAL) and with two different ones and negative
 * zero points (NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL).  ABS
 * with one scale (saturating at 127) and with two.  Refusals: a comparison
 * with scale 1.5, a REDUCE_MAX whose output quantization differs, an int8
 * LOG (TFLM has no int8 LOG).  SQUARED_DIFFERENCE with one input scale
 * (output zero point -128) and with two (broadcast).  The scales and zero
 * points are repeated in tests/gen/int8_ext_ref.py, the reference.  RSQRT
 * [2,4] over inputs 0..255 above the zero point, with two quantizations;
 * ELU [2,4] (negative side, zero point, saturation); BATCH_MATMUL
 * [2,2,3] x [2,3,4]; GELU [2,8] exact and tanh (TFLite's float table);
 * CUMSUM plain, exclusive + reverse on a middle axis, and past int32; PRELU
 * with a constant per-channel alpha and with a broadcast alpha input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/tfl_builder.h"

enum { I32 = 2, BOOL = 6, I8 = 9 };

static int fails;

#define Q(s, z) 1, {s}, {z}

/* a [2,3] (s 0.05, zp -3) and b [3] (sb, zb) into y of ytype (int8: ys, yz). */
static void binary_q(const char *dir, const char *name, int builtin, int ytype, float sb, int zb, float ys, int yz)
{
    tb_tensor t[3] = {{"a", I8, 2, {2, 3}, 0, Q(0.05f, -3)}, {"b", I8, 1, {3}, 0, Q(sb, zb)},
                      {"y", ytype, 2, {2, 3}, 0, ytype == I8 ? 1 : 0, {ys}, {yz}}};
    tb_op op = {builtin, 2, 2, {0, 1}, 1, {2}};
    tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

/* binary_q with y (0.05, -3) when int8. */
static void binary(const char *dir, const char *name, int builtin, int ytype, float sb, int zb)
{
    binary_q(dir, name, builtin, ytype, sb, zb, 0.05f, -3);
}

static void reduce(const char *dir, const char *name, int builtin, float ys)
{
    static const int32_t axes[1] = {1};
    tb_tensor t[3] = {{"x", I8, 3, {2, 3, 4}, 0, Q(0.1f, -5)}, {"axes", I32, 1, {1}, 1},
                      {"y", I8, 2, {2, 4}, 0, Q(ys, -5)}};
    tb_op op = {builtin, 2, 2, {0, 1}, 1, {2}, 27, 1, {{0, 1, 0, 0}}};   /* ReducerOptions keep_dims false */
    tb_buf bufs[2] = {{0}, {axes, sizeof axes, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

static void arg(const char *dir, const char *name, int builtin)
{
    static const int32_t axis[1] = {1};
    tb_tensor t[3] = {{"x", I8, 2, {2, 5}, 0, Q(0.1f, 4)}, {"axis", I32, 1, {1}, 1}, {"y", I32, 1, {2}}};
    tb_op op = {builtin, 2, 2, {0, 1}, 1, {2}};
    tb_buf bufs[2] = {{0}, {axis, sizeof axis, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

static void abs_model(const char *dir, const char *name, float ys, int yz)
{
    tb_tensor t[2] = {{"x", I8, 2, {2, 3}, 0, Q(0.02f, -10)}, {"y", I8, 2, {2, 3}, 0, Q(ys, yz)}};
    tb_op op = {101, 2, 1, {0}, 1, {1}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    fails += !tb_write(&m, dir, name);
}

static void movement(const char *d)
{
    {   /* GATHER x [4,3], indices {3, 0, 2} (constant), axis 0 -> [3,3] */
        static const int32_t idx[3] = {3, 0, 2};
        tb_tensor t[3] = {{"x", I8, 2, {4, 3}, 0, Q(0.05f, -3)}, {"idx", I32, 1, {3}, 1},
                          {"y", I8, 2, {3, 3}, 0, Q(0.05f, -3)}};
        tb_op op = {36, 2, 2, {0, 1}, 1, {2}, 23, 1, {{0, 4, 0, 0}}};
        tb_buf bufs[2] = {{0}, {idx, sizeof idx, false}};
        tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
        fails += !tb_write(&m, d, "gather_s8.tflite");
    }
    {   /* SELECT_V2 c [2,3] bool, a [2,3], b [1] */
        tb_tensor t[4] = {{"c", BOOL, 2, {2, 3}}, {"a", I8, 2, {2, 3}, 0, Q(0.05f, -3)},
                          {"b", I8, 1, {1}, 0, Q(0.05f, -3)}, {"y", I8, 2, {2, 3}, 0, Q(0.05f, -3)}};
        tb_op op = {123, 1, 3, {0, 1, 2}, 1, {3}};
        tb_model m = {4, t, 1, &op, 1, NULL, 3, {0, 1, 2}, 1, {3}};
        fails += !tb_write(&m, d, "select_v2_s8.tflite");
    }
    {   /* EXPAND_DIMS x [2,3], axis 1 -> [2,1,3] */
        static const int32_t axis[1] = {1};
        tb_tensor t[3] = {{"x", I8, 2, {2, 3}, 0, Q(0.05f, -3)}, {"axis", I32, 1, {1}, 1},
                          {"y", I8, 3, {2, 1, 3}, 0, Q(0.05f, -3)}};
        tb_op op = {70, 1, 2, {0, 1}, 1, {2}};
        tb_buf bufs[2] = {{0}, {axis, sizeof axis, false}};
        tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
        fails += !tb_write(&m, d, "expand_dims_s8.tflite");
    }
    reduce(d, "reduce_max_s8.tflite", 82, 0.1f);
    reduce(d, "reduce_min_s8.tflite", 89, 0.1f);
    arg(d, "arg_max_s8.tflite", 56);
    arg(d, "arg_min_s8.tflite", 79);
    binary(d, "maximum_s8.tflite", 55, I8, 0.05f, -3);
    binary(d, "minimum_s8.tflite", 57, I8, 0.05f, -3);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tflite_int8_mkmodel DIR\n");
        return 2;
    }
    const char *d = argv[1];
    movement(d);
    binary(d, "equal_s8.tflite", 71, BOOL, 0.05f, -3);
    binary(d, "not_equal_s8.tflite", 72, BOOL, 0.1f, -7);
    binary(d, "greater_s8.tflite", 61, BOOL, 0.1f, -7);
    binary(d, "greater_equal_s8.tflite", 62, BOOL, 0.1f, -7);
    binary(d, "less_s8.tflite", 58, BOOL, 0.0173f, 11);
    binary(d, "less_equal_s8.tflite", 63, BOOL, 0.0173f, 11);
    abs_model(d, "abs_s8.tflite", 0.02f, 100);      /* same scale: |x - zp| + 100 saturates */
    abs_model(d, "abs_rescale_s8.tflite", 0.03f, -128);
    {   /* RSQRT [2,4]: (0.01, -128) -> (0.1, -128) and (0.002, -5) -> (0.3, 10) */
        static const struct { const char *name; float xs, ys; int xz, yz; } rs[] = {
            {"rsqrt_s8.tflite", 0.01f, 0.1f, -128, -128}, {"rsqrt_rescale_s8.tflite", 0.002f, 0.3f, -5, 10}};
        for (int k = 0; k < 2; k++) {
            tb_tensor t[2] = {{"x", I8, 2, {2, 4}, 0, Q(rs[k].xs, rs[k].xz)}, {"y", I8, 2, {2, 4}, 0, Q(rs[k].ys, rs[k].yz)}};
            tb_op op = {76, 2, 1, {0}, 1, {1}};
            tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
            fails += !tb_write(&m, d, rs[k].name);
        }
    }
    {   /* ELU [2,4]: (0.05, 10) -> (0.03, -40) */
        tb_tensor t[2] = {{"x", I8, 2, {2, 4}, 0, Q(0.05f, 10)}, {"y", I8, 2, {2, 4}, 0, Q(0.03f, -40)}};
        tb_op op = {111, 1, 1, {0}, 1, {1}};
        tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
        fails += !tb_write(&m, d, "elu_s8.tflite");
    }
    {   /* GELU [2,8] (exact and tanh): (0.04, 5) -> (0.02, -60) */
        static const char *const names[2] = {"gelu_s8.tflite", "gelu_tanh_s8.tflite"};
        for (int k = 0; k < 2; k++) {
            tb_tensor t[2] = {{"x", I8, 2, {2, 8}, 0, Q(0.04f, 5)}, {"y", I8, 2, {2, 8}, 0, Q(0.02f, -60)}};
            tb_op op = {150, 1, 1, {0}, 1, {1}, 116, 1, {{0, 1, (uint64_t)k, 0}}};   /* GeluOptions.approximate */
            tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
            fails += !tb_write(&m, d, names[k]);
        }
    }
    {   /* PRELU (54): x [1,2,2,3] (0.05, -3), constant per-channel alpha [3] (0.02, 4) -> (0.04, 10) */
        static const int8_t alpha[3] = {-100, 4, 127};        /* -2.08, 0, 2.46 */
        tb_tensor t[3] = {{"x", I8, 4, {1, 2, 2, 3}, 0, Q(0.05f, -3)}, {"alpha", I8, 1, {3}, 1, Q(0.02f, 4)},
                          {"y", I8, 4, {1, 2, 2, 3}, 0, Q(0.04f, 10)}};
        tb_op op = {54, 1, 2, {0, 1}, 1, {2}};
        tb_buf bufs[2] = {{0}, {alpha, sizeof alpha, false}};
        tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
        fails += !tb_write(&m, d, "prelu_s8.tflite");
    }
    {   /* PRELU x [2,2,3] (0.1, 20) with alpha [2,1,3] (0.005, -10) a second input -> (0.03, -5):
         * the identity multiplier above 1 */
        tb_tensor t[3] = {{"x", I8, 3, {2, 2, 3}, 0, Q(0.1f, 20)}, {"alpha", I8, 3, {2, 1, 3}, 0, Q(0.005f, -10)},
                          {"y", I8, 3, {2, 2, 3}, 0, Q(0.03f, -5)}};
        tb_op op = {54, 1, 2, {0, 1}, 1, {2}};
        tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
        fails += !tb_write(&m, d, "prelu_bcast_s8.tflite");
    }
    {   /* CUMSUM (128; CumsumOptions 102): [2,5] axis 1 (0.1, -7) -> (0.25, 3); [3,2,4] axis -2
         * exclusive + reverse (0.05, 12) -> (0.2, -20); [1,24] axis 1 (0.5, 127) -> (0.5, 0),
         * whose sums pass int32's range (TFLM's accumulator wraps) */
        static const struct { const char *name; int rank, shape[3], axis, excl, rev; float xs, ys; int xz, yz; } cs[] = {
            {"cumsum_s8.tflite", 2, {2, 5}, 1, 0, 0, 0.1f, 0.25f, -7, 3},
            {"cumsum_excl_rev_s8.tflite", 3, {3, 2, 4}, -2, 1, 1, 0.05f, 0.2f, 12, -20},
            {"cumsum_wrap_s8.tflite", 2, {1, 24}, 1, 0, 0, 0.5f, 0.5f, 127, 0}};
        for (int k = 0; k < 3; k++) {
            const int32_t ax[1] = {cs[k].axis};
            tb_tensor t[3] = {{"x", I8, cs[k].rank, {cs[k].shape[0], cs[k].shape[1], cs[k].shape[2]}, 0,
                               Q(cs[k].xs, cs[k].xz)},
                              {"axis", I32, 0, {0}, 1},
                              {"y", I8, cs[k].rank, {cs[k].shape[0], cs[k].shape[1], cs[k].shape[2]}, 0,
                               Q(cs[k].ys, cs[k].yz)}};
            tb_op op = {128, 1, 2, {0, 1}, 1, {2}, 102, 2,
                        {{0, 1, (uint64_t)cs[k].excl, 0}, {1, 1, (uint64_t)cs[k].rev, 0}}};
            tb_buf bufs[2] = {{0}, {ax, sizeof ax, false}};
            tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
            fails += !tb_write(&m, d, cs[k].name);
        }
    }
    {   /* BATCH_MATMUL a [2,2,3] (0.05, -3) x b [2,3,4] (0.02, 5) -> [2,2,4] (0.4, 7) */
        tb_tensor t[3] = {{"a", I8, 3, {2, 2, 3}, 0, Q(0.05f, -3)}, {"b", I8, 3, {2, 3, 4}, 0, Q(0.02f, 5)},
                          {"y", I8, 3, {2, 2, 4}, 0, Q(0.4f, 7)}};
        tb_op op = {126, 1, 2, {0, 1}, 1, {2}, 101, 0};
        tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
        fails += !tb_write(&m, d, "batch_matmul_s8.tflite");
    }
    binary_q(d, "squared_difference_s8.tflite", 99, I8, 0.05f, -3, 0.02f, -128);
    binary_q(d, "squared_difference_rescale_s8.tflite", 99, I8, 0.1f, -7, 0.05f, -100);
    /* refused */
    binary(d, "bad_greater_scale.tflite", 61, BOOL, 1.5f, 0);
    reduce(d, "bad_reduce_max_quant.tflite", 82, 0.2f);
    {   /* int8 LOG: TFLM has no int8 LOG kernel either */
        tb_tensor t[2] = {{"x", I8, 2, {2, 3}, 0, Q(0.1f, 0)}, {"y", I8, 2, {2, 3}, 0, Q(0.05f, 0)}};
        tb_op op = {73, 1, 1, {0}, 1, {1}};
        tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
        fails += !tb_write(&m, d, "bad_log.tflite");
    }
    return fails ? 1 : 0;
}
