/*
 * tflite_ext_mkmodel.c - writes one small TFLite model per builtin of the
 * extended operator set (issue 11), for tests/e2e/tflite_ext_ops.sh.
 *
 *   tflite_ext_mkmodel DIR
 *
 * Each model is one operator: float32 math on x [2,3]; binary ops on
 * a [2,3] and b [3] (broadcast); comparisons into bool; SELECT_V2; SUM and
 * REDUCE_MAX over axis 1 of [2,3,4]; ARG_MAX over axis 1 of [2,5]; GATHER
 * rows {3, 0} of [4,3]; BATCH_MATMUL [2,2,3] x [2,3,4]; and an int8 LOG the
 * importer must refuse.  Builtin codes and option tables are schema.fbs's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/tfl_builder.h"

enum { F32 = 0, I32 = 2, I64 = 4, BOOL = 6, I8 = 9 };

static int fails;

static void unary(const char *dir, const char *name, int builtin)
{
    tb_tensor t[2] = {{"x", F32, 2, {2, 3}}, {"y", F32, 2, {2, 3}}};
    tb_op op = {builtin, 1, 1, {0}, 1, {1}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    fails += !tb_write(&m, dir, name);
}

static void binary(const char *dir, const char *name, int builtin, int ytype)
{
    tb_tensor t[3] = {{"a", F32, 2, {2, 3}}, {"b", F32, 1, {3}}, {"y", ytype, 2, {2, 3}}};
    tb_op op = {builtin, 1, 2, {0, 1}, 1, {2}};
    tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

static void logic(const char *dir, const char *name, int builtin, int nin)
{
    tb_tensor t[3] = {{"a", BOOL, 2, {2, 3}}, {"b", BOOL, 2, {2, 3}}, {"y", BOOL, 2, {2, 3}}};
    tb_op op = {builtin, 1, nin, {0, 1}, 1, {2}};
    tb_model m = {3, t, 1, &op, 1, NULL, nin, {0, 1}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

static void reduce(const char *dir, const char *name, int builtin)
{
    static const int32_t axes[1] = {1};
    tb_tensor t[3] = {{"x", F32, 3, {2, 3, 4}}, {"axes", I32, 1, {1}, 1}, {"y", F32, 2, {2, 4}}};
    tb_op op = {builtin, 1, 2, {0, 1}, 1, {2}, 27, 1, {{0, 1, 0, 0}}};   /* ReducerOptions keep_dims false */
    tb_buf bufs[2] = {{0}, {axes, sizeof axes, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tflite_ext_mkmodel DIR\n");
        return 2;
    }
    const char *d = argv[1];
    static const struct { const char *name; int code; } un[] = {
        {"abs", 101}, {"neg", 59}, {"exp", 47}, {"log", 73}, {"sqrt", 75}, {"rsqrt", 76}, {"square", 92},
        {"sin", 66}, {"cos", 108}, {"ceil", 104}, {"floor", 8}, {"round", 116}, {"elu", 111}};
    char fn[64];
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++) {
        snprintf(fn, sizeof fn, "%s.tflite", un[i].name);
        unary(d, fn, un[i].code);
    }
    binary(d, "pow.tflite", 78, F32);
    binary(d, "div.tflite", 42, F32);
    binary(d, "squared_difference.tflite", 99, F32);
    binary(d, "maximum.tflite", 55, F32);
    binary(d, "less.tflite", 58, BOOL);
    binary(d, "greater_equal.tflite", 62, BOOL);
    binary(d, "equal.tflite", 71, BOOL);
    binary(d, "not_equal.tflite", 72, BOOL);
    logic(d, "logical_and.tflite", 86, 2);
    logic(d, "logical_or.tflite", 84, 2);
    {   /* LOGICAL_NOT a -> y */
        tb_tensor t[2] = {{"a", BOOL, 2, {2, 3}}, {"y", BOOL, 2, {2, 3}}};
        tb_op op = {87, 1, 1, {0}, 1, {1}};
        tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
        fails += !tb_write(&m, d, "logical_not.tflite");
    }
    {   /* SELECT_V2 c [2,3] bool, a [2,3], b [1] */
        tb_tensor t[4] = {{"c", BOOL, 2, {2, 3}}, {"a", F32, 2, {2, 3}}, {"b", F32, 1, {1}}, {"y", F32, 2, {2, 3}}};
        tb_op op = {123, 1, 3, {0, 1, 2}, 1, {3}};
        tb_model m = {4, t, 1, &op, 1, NULL, 3, {0, 1, 2}, 1, {3}};
        fails += !tb_write(&m, d, "select_v2.tflite");
    }
    reduce(d, "sum.tflite", 74);
    reduce(d, "reduce_max.tflite", 82);
    {   /* ARG_MAX x [2,5], axis 1 -> int64 [2] */
        static const int32_t axis[1] = {1};
        tb_tensor t[3] = {{"x", F32, 2, {2, 5}}, {"axis", I32, 1, {1}, 1}, {"y", I64, 1, {2}}};
        tb_op op = {56, 1, 2, {0, 1}, 1, {2}};
        tb_buf bufs[2] = {{0}, {axis, sizeof axis, false}};
        tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
        fails += !tb_write(&m, d, "arg_max.tflite");
    }
    {   /* GATHER x [4,3], indices {3, 0} (constant), axis 0 -> [2,3] */
        static const int32_t idx[2] = {3, 0};
        tb_tensor t[3] = {{"x", F32, 2, {4, 3}}, {"idx", I32, 1, {2}, 1}, {"y", F32, 2, {2, 3}}};
        tb_op op = {36, 1, 2, {0, 1}, 1, {2}, 23, 1, {{0, 4, 0, 0}}};     /* GatherOptions axis 0 */
        tb_buf bufs[2] = {{0}, {idx, sizeof idx, false}};
        tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
        fails += !tb_write(&m, d, "gather.tflite");
    }
    {   /* BATCH_MATMUL a [2,2,3] x b [2,3,4] -> [2,2,4] */
        tb_tensor t[3] = {{"a", F32, 3, {2, 2, 3}}, {"b", F32, 3, {2, 3, 4}}, {"y", F32, 3, {2, 2, 4}}};
        tb_op op = {126, 1, 2, {0, 1}, 1, {2}, 101, 0};
        tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
        fails += !tb_write(&m, d, "batch_matmul.tflite");
    }
    {   /* int8 LOG: refused (no bit-exact int8 kernel in Kiln) */
        tb_tensor t[2] = {{"x", I8, 2, {2, 3}, 0, 1, {0.1f}, {0}}, {"y", I8, 2, {2, 3}, 0, 1, {0.05f}, {0}}};
        tb_op op = {73, 1, 1, {0}, 1, {1}};
        tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
        fails += !tb_write(&m, d, "log_int8.tflite");
    }
    return fails ? 1 : 0;
}
