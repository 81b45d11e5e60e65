/*
 * quant_mkmodel.c - writes small quantized models whose scales are finite
 * but extreme, for tests/e2e/quant_limits.sh, with the test writers
 * (tests/unit/tfl_builder.h, onnx_builder.h; no code under test).
 *
 *   quant_mkmodel DIR     writes DIR/NAME.tflite and DIR/NAME.onnx:
 *
 * Refused (the factor s_x * s_w / s_y, or a scale product, does not fit):
 *   conv_1e10.tflite     x [1,2,2,2] int8 scale 1e10 -> CONV_2D 1x1 (w scale 1)
 *                        -> y scale 1: factor 1e10, shift 34
 *   conv_perch.tflite    the same with per-channel weight scales {0.5, 1e10}:
 *                        channel 1 needs shift 34
 *   fc_3e38.tflite       FULLY_CONNECTED per tensor, x and w scale 3e38: their
 *                        float product (TFLite's rule) is inf
 *   mul_1e-38.tflite     MUL of two int8 inputs (scale 1) into y scale 1e-38:
 *                        factor 1e38, shift 127
 *   zp_300.tflite        an int8 tensor with zero point 300
 *   qdq_conv_3e38.onnx   QDQ Conv (onnxruntime's form, no bias), x and w
 *                        scale 3e38: the float factor is inf
 *   qdq_bias_3e38.onnx   the same with a float bias: the int32 bias scale
 *                        3e38 * 3e38 is beyond float
 *   qlinear_conv_3e38.onnx  QLinearConv with x_scale = w_scale = 3e38
 * Accepted (the extremes that fit; they must also run clean under UBSan):
 *   conv_shift30.tflite  x scale 1.5 * 2^29, w 1, y 1: factor 0.75 * 2^30, shift 30
 *   conv_flush.tflite    x scale 1e-38: factor flushed to 0 (TFLite's rule)
 *   mul_shift-31.tflite  MUL 2^-16 * 2^-16 / 1 = 2^-32: shift -31
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit/onnx_builder.h"
#include "unit/tfl_builder.h"

enum { CONV = 3, FC = 9, MUL = 18 };
enum { T_I32 = 2, T_I8 = 9 };
enum { OPT_CONV = 1, OPT_FC = 8, OPT_MUL = 21 };

static const int8_t W4[4] = {3, -2, 5, 1}; /* [2,1,1,2] */

/* x [1,2,2,2] -> 1x1 CONV_2D, VALID, stride 1 -> y [1,2,2,2]; nw weight
 * scales (1 per tensor, 2 per channel). */
static bool conv_tflite(const char *dir, const char *name, float sx, int nw, float sw0,
                        float sw1, float sy)
{
    tb_tensor t[3] = {{"x_q", T_I8, 4, {1, 2, 2, 2}, 0, 1, {sx}, {0}},
                      {"w_q", T_I8, 4, {2, 1, 1, 2}, 1, nw, {sw0, sw1}, {0, 0}, 0},
                      {"y_q", T_I8, 4, {1, 2, 2, 2}, 0, 1, {sy}, {0}}};
    tb_op op = {CONV, 3, 2, {0, 1}, 1, {2}, OPT_CONV, 4,
                {{0, 1, 1, 0}, {1, 4, 1, 0}, {2, 4, 1, 0}, {3, 1, 0, 0}}, NULL};
    tb_buf bufs[2] = {{0}, {W4, sizeof W4, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    return tb_write(&m, dir, name);
}

static bool fc_tflite(const char *dir, const char *name, float sx, float sw, float sy)
{
    tb_tensor t[3] = {{"x_q", T_I8, 2, {1, 2}, 0, 1, {sx}, {0}},
                      {"w_q", T_I8, 2, {2, 2}, 1, 1, {sw}, {0}},
                      {"y_q", T_I8, 2, {1, 2}, 0, 1, {sy}, {0}}};
    tb_op op = {FC, 7, 2, {0, 1}, 1, {2}, OPT_FC, 1, {{0, 1, 0, 0}}, NULL};
    tb_buf bufs[2] = {{0}, {W4, sizeof W4, false}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    return tb_write(&m, dir, name);
}

static bool mul_tflite(const char *dir, const char *name, float sa, float sb, float sy, int zp_a)
{
    tb_tensor t[3] = {{"a_q", T_I8, 2, {1, 4}, 0, 1, {sa}, {zp_a}},
                      {"b_q", T_I8, 2, {1, 4}, 0, 1, {sb}, {0}},
                      {"y_q", T_I8, 2, {1, 4}, 0, 1, {sy}, {0}}};
    tb_op op = {MUL, 2, 2, {0, 1}, 1, {2}, OPT_MUL, 1, {{0, 1, 0, 0}}, NULL};
    tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
    return tb_write(&m, dir, name);
}

static bool save(ob_buf *g, const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return ob_write(g, 13, path);
}

/* x float [1,2,2,2] -> QuantizeLinear(s_x) -> DequantizeLinear -> Conv 1x1
 * (W = DequantizeLinear(w_q int8, s_w), optional float bias) ->
 * QuantizeLinear(s_y) -> DequantizeLinear -> y: onnxruntime's QDQ form. */
static bool qdq_conv(const char *dir, const char *name, float sx, float sw, float sy, bool bias)
{
    ob_buf g = {0};
    const int64_t xd[4] = {1, 2, 2, 2}, wd[4] = {2, 2, 1, 1}, bd[1] = {2};
    const float b[2] = {0.5f, -0.25f};
    ob_input(&g, "x", OB_FLOAT, 4, xd);
    ob_init_f32(&g, "s_x", sx);
    ob_init_i8(&g, "z_x", OB_INT8, 0);
    ob_init(&g, "w_q", OB_INT8, 4, wd, W4, sizeof W4);
    ob_init_f32(&g, "s_w", sw);
    ob_init_i8(&g, "z_w", OB_INT8, 0);
    ob_init_f32(&g, "s_y", sy);
    ob_init_i8(&g, "z_y", OB_INT8, 0);
    if (bias)
        ob_init(&g, "bias", OB_FLOAT, 1, bd, b, sizeof b);
    const char *q1[3] = {"x", "s_x", "z_x"}, *o1[1] = {"x_q"};
    const char *q2[3] = {"x_q", "s_x", "z_x"}, *o2[1] = {"x_dq"};
    const char *q3[3] = {"w_q", "s_w", "z_w"}, *o3[1] = {"w_dq"};
    const char *cv[3] = {"x_dq", "w_dq", "bias"}, *o4[1] = {"c"};
    const char *q5[3] = {"c", "s_y", "z_y"}, *o5[1] = {"y_q"};
    const char *q6[3] = {"y_q", "s_y", "z_y"}, *o6[1] = {"y"};
    ob_node(&g, "QuantizeLinear", "q_x", 3, q1, 1, o1, NULL);
    ob_node(&g, "DequantizeLinear", "dq_x", 3, q2, 1, o2, NULL);
    ob_node(&g, "DequantizeLinear", "dq_w", 3, q3, 1, o3, NULL);
    ob_node(&g, "Conv", "conv", bias ? 3 : 2, cv, 1, o4, NULL);
    ob_node(&g, "QuantizeLinear", "q_y", 3, q5, 1, o5, NULL);
    ob_node(&g, "DequantizeLinear", "dq_y", 3, q6, 1, o6, NULL);
    ob_output(&g, "y", OB_FLOAT, 4, xd);
    return save(&g, dir, name);
}

/* QLinearConv on uint8 x [1,2,2,2] with 1x1 int8 weights. */
static bool qlinear_conv(const char *dir, const char *name, float sx, float sw, float sy)
{
    ob_buf g = {0};
    const int64_t xd[4] = {1, 2, 2, 2}, wd[4] = {2, 2, 1, 1};
    ob_input(&g, "x_u8", OB_UINT8, 4, xd);
    ob_init_f32(&g, "x_scale", sx);
    ob_init_i8(&g, "x_zp", OB_UINT8, 128);
    ob_init(&g, "w_s8", OB_INT8, 4, wd, W4, sizeof W4);
    ob_init_f32(&g, "w_scale", sw);
    ob_init_i8(&g, "w_zp", OB_INT8, 0);
    ob_init_f32(&g, "y_scale", sy);
    ob_init_i8(&g, "y_zp", OB_UINT8, 128);
    const char *in[8] = {"x_u8", "x_scale", "x_zp", "w_s8", "w_scale", "w_zp", "y_scale", "y_zp"};
    const char *out[1] = {"y_u8"};
    ob_node(&g, "QLinearConv", "qconv", 8, in, 1, out, NULL);
    ob_output(&g, "y_u8", OB_UINT8, 4, xd);
    return save(&g, dir, name);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: quant_mkmodel DIR\n");
        return 2;
    }
    const char *d = argv[1];
    bool ok = conv_tflite(d, "conv_1e10.tflite", 1e10f, 1, 1.0f, 0.0f, 1.0f) &&
              conv_tflite(d, "conv_perch.tflite", 1.0f, 2, 0.5f, 1e10f, 1.0f) &&
              fc_tflite(d, "fc_3e38.tflite", 3e38f, 3e38f, 1.0f) &&
              mul_tflite(d, "mul_1e-38.tflite", 1.0f, 1.0f, 1e-38f, 0) &&
              mul_tflite(d, "zp_300.tflite", 1.0f, 1.0f, 1.0f, 300) &&
              qdq_conv(d, "qdq_conv_3e38.onnx", 3e38f, 3e38f, 1.0f, false) &&
              qdq_conv(d, "qdq_bias_3e38.onnx", 3e38f, 3e38f, 1.0f, true) &&
              qlinear_conv(d, "qlinear_conv_3e38.onnx", 3e38f, 3e38f, 1.0f) &&
              conv_tflite(d, "conv_shift30.tflite", 805306368.0f, 1, 1.0f, 0.0f, 1.0f) &&
              conv_tflite(d, "conv_flush.tflite", 1e-38f, 1, 1.0f, 0.0f, 1.0f) &&
              mul_tflite(d, "mul_shift-31.tflite", 1.0f / 65536, 1.0f / 65536, 1.0f, 0);
    return ok ? 0 : 1;
}
