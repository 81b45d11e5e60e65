/*
 * f32_util.h - small inline helpers shared by the float32 kernels.
 *
 * Internal to runtime/kernels (not installed with include/kiln): the fused
 * clamp and the layout strides every conv-like kernel derives the same way.
 * Pure functions only; no state.
 */
#ifndef KILN_F32_UTIL_H
#define KILN_F32_UTIL_H

#include <stdint.h>
#include "kiln/kernels_f32.h"

/* The fused activation: min(max(v, lo), hi), in that order, so lo > hi
 * gives hi as ONNX Clip specifies.  lo/hi are +-HUGE_VALF when a side is
 * open; NaN passes through unchanged. */
static inline float kiln_clampf(float v, float lo, float hi)
{
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return v;
}

/* Where element (c, pixel) of one batch item lives: c*cs + pixel*ps.
 * NCHW: channels are planes (cs = pixels, ps = 1); NHWC: pixels are rows of
 * channels (cs = 1, ps = channels). */
typedef struct kiln_lstride {
    int32_t cs, ps;
} kiln_lstride;

static inline kiln_lstride kiln_layout_strides(int32_t layout, int32_t channels, int32_t pixels)
{
    kiln_lstride s;
    if (layout == KILN_LAYOUT_NHWC) {
        s.cs = 1;
        s.ps = channels;
    } else {
        s.cs = pixels;
        s.ps = 1;
    }
    return s;
}

#endif
