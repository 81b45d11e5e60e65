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
 * importer must refuse.  Then the ops imported into their ONNX counterparts'
 * IR: DEPTH_TO_SPACE / SPACE_TO_DEPTH (block 2, several channels), TILE on
 * two axes, BROADCAST_TO, PRELU with per-channel alpha, GELU (exact and
 * tanh), CUMSUM (plain; exclusive + reverse); the data-movement ones also
 * in int8 (same quantization in and out), GATHER_ND with constant indices
 * (float32, int8), and an int8 PRELU with a per-channel alpha to refuse.  Builtin codes and option tables are schema.fbs's.
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

/* One operator x -> y with a block_size option (DEPTH_TO_SPACE 5 /
 * SPACE_TO_DEPTH 26, union members 94 / 19). */
static void depth_space(const char *dir, const char *name, int builtin, int opt, int type, const int32_t *xs,
                        const int32_t *ys)
{
    tb_tensor t[2] = {{"x", type, 4, {xs[0], xs[1], xs[2], xs[3]}, 0, type == I8, {0.05f}, {-3}},
                      {"y", type, 4, {ys[0], ys[1], ys[2], ys[3]}, 0, type == I8, {0.05f}, {-3}}};
    tb_op op = {builtin, 1, 1, {0}, 1, {1}, opt, 1, {{0, 4, 2, 0}}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    fails += !tb_write(&m, dir, name);
}

/* TILE (69) x [2,3] by {2,3} -> [4,9]; BROADCAST_TO (130) x [3,1] to {2,3,4}. */
static void tile_bcast(const char *dir, int type, const char *tile_name, const char *bcast_name)
{
    static const int32_t mult[2] = {2, 3}, shape[3] = {2, 3, 4};
    tb_tensor t[3] = {{"x", type, 2, {2, 3}, 0, type == I8, {0.1f}, {5}}, {"multiples", I32, 1, {2}, 1},
                      {"y", type, 2, {4, 9}, 0, type == I8, {0.1f}, {5}}};
    tb_op op = {69, 1, 2, {0, 1}, 1, {2}};
    tb_buf bufs[2] = {{0}, {mult, sizeof mult, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    fails += !tb_write(&m, dir, tile_name);
    tb_tensor u[3] = {{"x", type, 2, {3, 1}, 0, type == I8, {0.1f}, {5}}, {"shape", I32, 1, {3}, 1},
                      {"y", type, 3, {2, 3, 4}, 0, type == I8, {0.1f}, {5}}};
    tb_op op2 = {130, 1, 2, {0, 1}, 1, {2}};
    tb_buf bufs2[2] = {{0}, {shape, sizeof shape, false}};
    tb_model m2 = {3, u, 1, &op2, 2, bufs2, 1, {0}, 1, {2}};
    fails += !tb_write(&m2, dir, bcast_name);
}

/* PRELU (54) x [1,2,2,3] with a constant per-channel alpha [3]; in int8
 * the alpha is quantized per channel (3 scales), which Kiln refuses. */
static void prelu(const char *dir, const char *name, int type)
{
    static const float alpha[3] = {0.25f, -0.5f, 2.0f};
    static const int8_t alpha8[3] = {10, -20, 80};
    tb_tensor t[3] = {{"x", type, 4, {1, 2, 2, 3}, 0, type == I8, {0.05f}, {0}},
                      {"alpha", type, 1, {3}, 1, type == I8 ? 3 : 0, {0.025f, 0.02f, 0.03f}, {0, 0, 0}},
                      {"y", type, 4, {1, 2, 2, 3}, 0, type == I8, {0.05f}, {0}}};
    tb_op op = {54, 1, 2, {0, 1}, 1, {2}};
    tb_buf bufs[2] = {{0}, {type == I8 ? (const void *)alpha8 : alpha, type == I8 ? sizeof alpha8 : sizeof alpha,
                            false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

static void gelu(const char *dir, const char *name, int approximate)
{
    tb_tensor t[2] = {{"x", F32, 2, {2, 3}}, {"y", F32, 2, {2, 3}}};
    tb_op op = {150, 1, 1, {0}, 1, {1}, 116, 1, {{0, 1, (uint64_t)approximate, 0}}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    fails += !tb_write(&m, dir, name);
}

/* CUMSUM (128) x [2,4] along a constant scalar axis; CumsumOptions 102. */
static void cumsum(const char *dir, const char *name, int32_t axis, int exclusive, int reverse)
{
    const int32_t ax[1] = {axis};
    tb_tensor t[3] = {{"x", F32, 2, {2, 4}}, {"axis", I32, 0, {0}, 1}, {"y", F32, 2, {2, 4}}};
    tb_op op = {128, 1, 2, {0, 1}, 1, {2}, 102, 2, {{0, 1, (uint64_t)exclusive, 0}, {1, 1, (uint64_t)reverse, 0}}};
    tb_buf bufs[2] = {{0}, {ax, sizeof ax, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

/* GATHER_ND (107) x [3,4,2] at index pairs {2,1},{0,3},{1,0} -> [3,2]; the
 * indices a constant, or (dyn) a graph input of type itype (int32; int64,
 * which Kiln refuses computed at run time, as TFLite-Micro does). */
static void gather_nd(const char *dir, const char *name, int type, int dyn, int itype)
{
    static const int32_t idx[6] = {2, 1, 0, 3, 1, 0};
    tb_tensor t[3] = {{"x", type, 3, {3, 4, 2}, 0, type == I8, {0.02f}, {7}}, {"idx", itype, 2, {3, 2}, !dyn},
                      {"y", type, 2, {3, 2}, 0, type == I8, {0.02f}, {7}}};
    tb_op op = {107, 1, 2, {0, 1}, 1, {2}};
    tb_buf bufs[2] = {{0}, {idx, sizeof idx, false}};
    tb_model m = {3, t, 1, &op, dyn ? 1 : 2, dyn ? NULL : bufs, dyn ? 2 : 1, {0, 1}, 1, {2}};
    fails += !tb_write(&m, dir, name);
}

/* A chain whose input height is -1 in its shape_signature, for the output
 * shape rules under --shape: x [1,-1,6,3] -> SPACE_TO_DEPTH 2 -> DEPTH_TO_SPACE
 * 2 -> TILE {1,1,2,1} -> PRELU (alpha [3]) -> CUMSUM axis 1 (exclusive) ->
 * GELU -> GATHER_ND {{0}} -> y [1,-1,12,3]. */
static void chain(const char *dir)
{
    static const int32_t mult[4] = {1, 1, 2, 1}, axis[1] = {1}, idx[1] = {0};
    static const float alpha[3] = {0.25f, -0.5f, 2.0f};
    tb_tensor t[13] = {
        {.name = "x", .type = F32, .rank = 4, .shape = {1, 4, 6, 3}, .sig_rank = 4, .sig = {1, -1, 6, 3}},
        {.name = "s2d", .type = F32, .rank = 4, .shape = {1, 2, 3, 12}, .sig_rank = 4, .sig = {1, -1, 3, 12}},
        {.name = "d2s", .type = F32, .rank = 4, .shape = {1, 4, 6, 3}, .sig_rank = 4, .sig = {1, -1, 6, 3}},
        {.name = "multiples", .type = I32, .rank = 1, .shape = {4}, .buffer = 1},
        {.name = "tiled", .type = F32, .rank = 4, .shape = {1, 4, 12, 3}, .sig_rank = 4,
         .sig = {1, -1, 12, 3}},
        {.name = "alpha", .type = F32, .rank = 1, .shape = {3}, .buffer = 2},
        {.name = "prelu", .type = F32, .rank = 4, .shape = {1, 4, 12, 3}, .sig_rank = 4,
         .sig = {1, -1, 12, 3}},
        {.name = "axis", .type = I32, .rank = 0, .buffer = 3},
        {.name = "cumsum", .type = F32, .rank = 4, .shape = {1, 4, 12, 3}, .sig_rank = 4,
         .sig = {1, -1, 12, 3}},
        {.name = "gelu", .type = F32, .rank = 4, .shape = {1, 4, 12, 3}, .sig_rank = 4,
         .sig = {1, -1, 12, 3}},
        {.name = "idx", .type = I32, .rank = 2, .shape = {1, 1}, .buffer = 4},
        {.name = "y", .type = F32, .rank = 4, .shape = {1, 4, 12, 3}, .sig_rank = 4, .sig = {1, -1, 12, 3}},
    };
    tb_op ops[7] = {{26, 1, 1, {0}, 1, {1}, 19, 1, {{0, 4, 2, 0}}}, {5, 1, 1, {1}, 1, {2}, 94, 1, {{0, 4, 2, 0}}},
                    {69, 1, 2, {2, 3}, 1, {4}}, {54, 1, 2, {4, 5}, 1, {6}},
                    {128, 1, 2, {6, 7}, 1, {8}, 102, 1, {{0, 1, 1, 0}}}, {150, 1, 1, {8}, 1, {9}},
                    {107, 1, 2, {9, 10}, 1, {11}}};
    tb_buf bufs[5] = {{0}, {mult, sizeof mult, false}, {alpha, sizeof alpha, false}, {axis, sizeof axis, false},
                      {idx, sizeof idx, false}};
    tb_model m = {12, t, 7, ops, 5, bufs, 1, {0}, 1, {11}};
    fails += !tb_write(&m, dir, "chain_dyn.tflite");
}

static void more_models(const char *d)
{
    static const int32_t d2s_x[4] = {1, 2, 3, 8}, d2s_y[4] = {1, 4, 6, 2};
    static const int32_t s2d_x[4] = {1, 4, 6, 3}, s2d_y[4] = {1, 2, 3, 12};
    depth_space(d, "depth_to_space.tflite", 5, 94, F32, d2s_x, d2s_y);
    depth_space(d, "space_to_depth.tflite", 26, 19, F32, s2d_x, s2d_y);
    depth_space(d, "i8_depth_to_space.tflite", 5, 94, I8, d2s_x, d2s_y);
    depth_space(d, "i8_space_to_depth.tflite", 26, 19, I8, s2d_x, s2d_y);
    tile_bcast(d, F32, "tile.tflite", "broadcast_to.tflite");
    tile_bcast(d, I8, "i8_tile.tflite", "i8_broadcast_to.tflite");
    prelu(d, "prelu.tflite", F32);
    prelu(d, "prelu_int8.tflite", I8);
    gelu(d, "gelu.tflite", 0);
    gelu(d, "gelu_tanh.tflite", 1);
    cumsum(d, "cumsum.tflite", 0, 0, 0);
    cumsum(d, "cumsum_excl_rev.tflite", -1, 1, 1);
    gather_nd(d, "gather_nd.tflite", F32, 0, I32);
    gather_nd(d, "i8_gather_nd.tflite", I8, 0, I32);
    gather_nd(d, "gather_nd_dynamic.tflite", F32, 1, I32);
    gather_nd(d, "gather_nd_clamped.tflite", F32, 1, I32);
    gather_nd(d, "i8_gather_nd_dynamic.tflite", I8, 1, I32);
    gather_nd(d, "gather_nd_dynamic_i64.tflite", F32, 1, I64);
    chain(d);
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
    more_models(d);
    return fails ? 1 : 0;
}
