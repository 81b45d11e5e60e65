/*
 * svdf_mkmodel.c - writes the small SVDF models tests/e2e/svdf_models.sh
 * runs, with the test flatbuffer writer (tests/unit/tfl_builder.h, which
 * shares no code with the importer).  Weights come from a fixed LCG.
 *
 *   svdf_mkmodel DIR     writes DIR/svdf_f32.tflite, svdf_s8.tflite, svdf_s16.tflite
 *
 * svdf_f32: X [2,12] -> SVDF(filters 8, rank 2, memory 5, bias, RELU) ->
 *           SVDF(filters 6, rank 3, memory 3, no bias) -> Y [2,2]; float32.
 * svdf_s8:  X int8 [2,12] -> SVDF(filters 8, rank 2, memory 5) -> Y int8 [2,4],
 *           int8 state with zero point -20 (so the reset value and TFLM's
 *           add-after-clamp wrap both matter) and int8 time weights.
 * svdf_s16: the same with an int16 state and int16 time weights.
 * The scales put the activations mid-range, with some saturation.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit/tfl_builder.h"

enum { SVDF = 27, T_F32 = 0, T_I32 = 2, T_I16 = 7, T_I8 = 9, OPT_SVDF = 6 };

static uint32_t lcg = 12345;
static double rnd(void) /* uniform in [-1, 1) */
{
    lcg = lcg * 1103515245u + 12345u;
    return (double)(lcg >> 8) / 8388608.0 - 1.0;
}

static tb_op svdf_op(int version, int x, int wf, int wt, int b, int s, int y, int rank, int act)
{
    tb_op op = {SVDF, version, 5, {x, wf, wt, b, s}, 1, {y}, OPT_SVDF, 2,
                {{0, 4, (uint64_t)(uint32_t)rank, 0}, {1, 1, (uint64_t)act, 0}}, NULL};
    return op;
}

static bool float_model(const char *dir)
{
    static float wf1[8 * 12], wt1[8 * 5], b1[4], wf2[6 * 4], wt2[6 * 3];
    for (size_t i = 0; i < sizeof wf1 / sizeof *wf1; i++)
        wf1[i] = (float)(0.4 * rnd());
    for (size_t i = 0; i < sizeof wt1 / sizeof *wt1; i++)
        wt1[i] = (float)(0.5 * rnd());
    for (size_t i = 0; i < 4; i++)
        b1[i] = (float)(0.2 * rnd());
    for (size_t i = 0; i < sizeof wf2 / sizeof *wf2; i++)
        wf2[i] = (float)(0.6 * rnd());
    for (size_t i = 0; i < sizeof wt2 / sizeof *wt2; i++)
        wt2[i] = (float)(0.7 * rnd());
    const tb_buf bufs[6] = {{0}, {wf1, sizeof wf1, 0}, {wt1, sizeof wt1, 0}, {b1, sizeof b1, 0},
                            {wf2, sizeof wf2, 0}, {wt2, sizeof wt2, 0}};
    const tb_tensor t[10] = {
        {"x", T_F32, 2, {2, 12}, 0},
        {"wf1", T_F32, 2, {8, 12}, 1},
        {"wt1", T_F32, 2, {8, 5}, 2},
        {"b1", T_F32, 1, {4}, 3},
        {"state1", T_F32, 2, {2, 40}, 0, .is_variable = 1},
        {"h", T_F32, 2, {2, 4}, 0},
        {"wf2", T_F32, 2, {6, 4}, 4},
        {"wt2", T_F32, 2, {6, 3}, 5},
        {"state2", T_F32, 2, {2, 18}, 0, .is_variable = 1},
        {"y", T_F32, 2, {2, 2}, 0},
    };
    const tb_op ops[2] = {svdf_op(1, 0, 1, 2, 3, 4, 5, 2, 1), svdf_op(1, 5, 6, 7, -1, 8, 9, 3, 0)};
    tb_model m = {10, t, 2, ops, 6, bufs, 1, {0}, 1, {9}};
    return tb_write(&m, dir, "svdf_f32.tflite");
}

/* bits: 8 or 16 for the state and time weights. */
static bool int_model(const char *dir, const char *name, int bits)
{
    static int8_t wf[8 * 12], wt8[8 * 5];
    static int16_t wt16[8 * 5];
    static int32_t bias[4];
    for (size_t i = 0; i < sizeof wf; i++)
        wf[i] = (int8_t)(127 * rnd());
    for (size_t i = 0; i < 40; i++) {
        wt8[i] = (int8_t)(127 * rnd());
        wt16[i] = (int16_t)(20000 * rnd());
    }
    for (size_t i = 0; i < 4; i++)
        bias[i] = (int32_t)((bits == 8 ? 2000 : 200000) * rnd());
    const float sx = 1.0f / 32, swf = 1.0f / 256;
    const float ss = bits == 8 ? 0.04f : 0.0003f, swt = bits == 8 ? 1.0f / 256 : 1.0f / 65536;
    const tb_buf bufs[4] = {{0}, {wf, sizeof wf, 0},
                            {bits == 8 ? (const void *)wt8 : (const void *)wt16,
                             bits == 8 ? sizeof wt8 : sizeof wt16, 0},
                            {bias, sizeof bias, 0}};
    const int st = bits == 8 ? T_I8 : T_I16;
    const tb_tensor t[6] = {
        {"x", T_I8, 2, {2, 12}, 0, 1, {sx}, {3}},
        {"wf", T_I8, 2, {8, 12}, 1, 1, {swf}, {0}},
        {"wt", st, 2, {8, 5}, 2, 1, {swt}, {0}},
        {"b", T_I32, 1, {4}, 3, 1, {ss * swt}, {0}},
        {"state", st, 2, {2, 40}, 0, 1, {ss}, {bits == 8 ? -20 : 0}, .is_variable = 1},
        {"y", T_I8, 2, {2, 4}, 0, 1, {bits == 8 ? 0.04f : 0.06f}, {-5}},
    };
    const tb_op op = svdf_op(3, 0, 1, 2, 3, 4, 5, 2, 0);
    tb_model m = {6, t, 1, &op, 4, bufs, 1, {0}, 1, {5}};
    return tb_write(&m, dir, name);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: svdf_mkmodel DIR\n");
        return 2;
    }
    bool ok = float_model(argv[1]) && int_model(argv[1], "svdf_s8.tflite", 8) &&
              int_model(argv[1], "svdf_s16.tflite", 16);
    return ok ? 0 : 1;
}
