/*
 * size_mkmodel.c - writes models whose tensors or arena exceed what the
 * generated code can describe (32-bit sizes), for tests/e2e/size_limits.sh.
 * Shapes are declared, not stored: the files are a few hundred bytes.
 *
 *   size_mkmodel DIR   writes
 *     DIR/input_19gb.onnx      x_huge [1,70000,70000] float -> Relu -> y
 *     DIR/input_19gb.tflite    the same in TFLite (RELU)
 *     DIR/arena_7gb.onnx       x_big + x_big2 [1,30000,30000] float (3.6 GB each)
 *                              -> Add -> y_big: three tensors live during the one
 *                              call; the Add runs in place (y_big on x_big's
 *                              bytes), so 7.2 GB of arena
 *     DIR/arena_5gb.tflite     x_a, x_b [1,20000,20000] float (1.6 GB each, within
 *                              TFLite's 2 GiB per tensor) -> POW -> y_sum: three
 *                              tensors live during the call (POW has no in-place
 *                              rule; ADD now runs in place), 4.8 GB of arena
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit/onnx_builder.h"
#include "unit/tfl_builder.h"

static bool relu_onnx(const char *dir, const char *file, const char *x, const char *y,
                      const int64_t *dims)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    ob_buf g = {0};
    const char *in[1] = {x}, *out[1] = {y};
    ob_input(&g, x, OB_FLOAT, 3, dims);
    ob_node(&g, "Relu", "relu", 1, in, 1, out, NULL);
    ob_output(&g, y, OB_FLOAT, 3, dims);
    return ob_write(&g, 13, path);
}

static bool add_onnx(const char *dir, const char *file, const int64_t *dims)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    ob_buf g = {0};
    const char *in[2] = {"x_big", "x_big2"}, *out[1] = {"y_big"};
    ob_input(&g, in[0], OB_FLOAT, 3, dims);
    ob_input(&g, in[1], OB_FLOAT, 3, dims);
    ob_node(&g, "Add", "add", 2, in, 1, out, NULL);
    ob_output(&g, out[0], OB_FLOAT, 3, dims);
    return ob_write(&g, 13, path);
}

static bool relu_tflite(const char *dir, const char *file, const char *x, const char *y,
                        int32_t side)
{
    tb_tensor t[2] = {{x, 0, 3, {1, side, side}, 0, 0}, {y, 0, 3, {1, side, side}, 0, 0}};
    tb_op op = {19, 1, 1, {0}, 1, {1}, 0, 0, {{0}}, NULL}; /* RELU */
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    return tb_write(&m, dir, file);
}

static bool pow_tflite(const char *dir, const char *file)
{
    tb_tensor t[3] = {{"x_a", 0, 3, {1, 20000, 20000}, 0, 0}, {"x_b", 0, 3, {1, 20000, 20000}, 0, 0},
                      {"y_sum", 0, 3, {1, 20000, 20000}, 0, 0}};
    tb_op op = {78, 1, 2, {0, 1}, 1, {2}, 0, 0, {{0}}, NULL}; /* POW, no options */
    tb_model m = {3, t, 1, &op, 1, NULL, 2, {0, 1}, 1, {2}};
    return tb_write(&m, dir, file);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: size_mkmodel DIR\n");
        return 2;
    }
    const int64_t huge[3] = {1, 70000, 70000}, big[3] = {1, 30000, 30000};
    bool ok = relu_onnx(argv[1], "input_19gb.onnx", "x_huge", "y", huge) &&
              relu_tflite(argv[1], "input_19gb.tflite", "x_huge", "y", 70000) &&
              add_onnx(argv[1], "arena_7gb.onnx", big) &&
              pow_tflite(argv[1], "arena_5gb.tflite");
    return ok ? 0 : 1;
}
