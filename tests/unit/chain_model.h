/*
 * chain_model.h - an ONNX model of N chained float nodes, for the
 * compile-time scaling test (test_compile_scale.c) and
 * bench/compile_scale.sh.
 *
 *   x [1,8] -> Add(c0) -> Relu -> Add(c2) -> Relu -> ... -> y [1,8]
 *
 * Node i is an Add of its own initializer c<i> (8 floats, so the blob gets
 * one tensor per Add) when i is even, a Relu when i is odd.  Kiln fuses each
 * Relu into the Add before it, so N nodes become about N/2 kernel calls.
 * Written with onnx_builder.h (no code under test).
 */
#ifndef KILN_TEST_CHAIN_MODEL_H
#define KILN_TEST_CHAIN_MODEL_H

#include "unit/onnx_builder.h"

enum { CHAIN_WIDTH = 8 };

/* Writes the n-node chain to path (opset 13). */
static inline bool chain_write(int n, const char *path)
{
    ob_buf g = {0};
    const int64_t dims[2] = {1, CHAIN_WIDTH}, cdims[1] = {CHAIN_WIDTH};
    char x[32], y[32], c[32], name[32];
    snprintf(x, sizeof x, "a0");
    ob_input(&g, x, OB_FLOAT, 2, dims);
    for (int i = 0; i < n; i++) {
        snprintf(y, sizeof y, "a%d", i + 1);
        snprintf(name, sizeof name, "n%d", i);
        if (i % 2 == 0) {
            float v[CHAIN_WIDTH];
            for (int j = 0; j < CHAIN_WIDTH; j++)
                v[j] = (float)((i + j) % 7) * 0.125f - 0.375f;
            snprintf(c, sizeof c, "c%d", i);
            ob_init(&g, c, OB_FLOAT, 1, cdims, v, sizeof v);
            const char *in[2] = {x, c}, *out[1] = {y};
            ob_node(&g, "Add", name, 2, in, 1, out, NULL);
        } else {
            const char *in[1] = {x}, *out[1] = {y};
            ob_node(&g, "Relu", name, 1, in, 1, out, NULL);
        }
        memcpy(x, y, sizeof x);
    }
    ob_output(&g, x, OB_FLOAT, 2, dims);
    return ob_write(&g, 13, path);
}

#endif
