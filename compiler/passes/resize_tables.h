/*
 * resize_tables.h - ONNX Resize (opset 19) turned into per-axis tables.
 *
 * For one axis, every output index gets `taps` source indices and weights
 * such that the resized tensor is the separable product-sum the ONNX
 * reference computes: coordinate transforms (half_pixel, half_pixel_symmetric,
 * pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
 * tf_crop_and_resize with its ROI), nearest rounding modes, linear and cubic
 * (cubic_coeff_a, exclude_outside), antialias for downscaling, and the
 * reference's edge padding for taps that fall outside the input.  Used by
 * the float lowering (kiln_resize_f32) and by the data lowering (nearest
 * resize of any dtype as a gather).  Host-only; computed in double.
 */
#ifndef KILN_RESIZE_TABLES_H
#define KILN_RESIZE_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

typedef struct resize_axis {
    int taps;
    int32_t *idx;       /* [out][taps]; tap 0 == -1: outside the crop (extrapolate) */
    float *wt;          /* [out][taps] */
    bool identity;      /* out == in and every output copies its own index */
    bool any_outside;   /* some output is outside the crop */
} resize_axis;

/* Builds the table of axis `axis` (sizes in -> out).  Returns false with a
 * message when the attributes cannot be honoured (e.g. a zero size). */
bool resize_axis_build(const ir_resize_attr *ra, int axis, int64_t in, int64_t out,
                       resize_axis *t, char *err, size_t errlen);
void resize_axis_free(resize_axis *t);

#endif
