/*
 * f32_cases.h - random cases that hold the packed float32 kernels
 * (kiln_conv_f32_packed, kiln_depthwise_conv_f32_packed,
 * kiln_fully_connected_f32_packed) and kiln_maxpool_f32_fast to the plain
 * ones: NHWC and NCHW, 1-D, 2-D and 3-D, any kernel, stride, dilation and
 * padding (trailing pads included), groups, channel counts that leave
 * partial panels, batch > 1, every input method (in place, im2col, padded
 * copy), and every epilogue (clamps, LeakyReLU, a fused MAX, a residual
 * input).
 *
 * The plain kernels are the reference (they are the ones held to the ONNX
 * conformance data and TFLite-Micro's outputs).  The packed kernels sum in
 * another order and with fused multiply-adds, so a value may differ by the
 * rounding of its sum: each output must lie within 4 * (terms + 4) * 2^-24
 * times the sum of the magnitudes of its terms (the plain kernel run on
 * |x|, |w|, |b|, plus |residual|) of the plain result.  A layout or
 * indexing error is off by a whole term, far outside that bound.  One case
 * in 16 has a NaN in its input; every output it reaches must stay NaN
 * through the epilogue, as in the plain kernels.  Packing
 * goes through compiler/passes/pack_f32.c, the code the lowering uses.
 *
 * Plain C99 with static buffers and no I/O: the same file runs in the host
 * unit test (tests/unit/test_packed_f32.c) and in the Cortex-M7 test
 * firmware (tests/kernels/f32_fw_main.c, tests/e2e/packed_f32_qemu.sh).
 */
#ifndef KILN_F32_CASES_H
#define KILN_F32_CASES_H

#include <stdint.h>

typedef struct fc32_result {
    uint32_t cases;       /* cases run */
    uint32_t values;      /* output values compared */
    uint32_t failures;    /* cases with at least one value outside the bound */
    uint32_t direct;      /* conv cases read in place (no im2col) */
    uint32_t padded;      /* conv cases read from a padded copy (NCHW, no im2col) */
    uint32_t nhwc, nchw;  /* cases per layout */
    /* The first failure: which case (by seed and index) and where. */
    uint32_t fail_seed, fail_index, fail_at;
    float fail_got, fail_want, fail_bound;
} fc32_result;

/* Each runs n cases from seed and adds to *r. */
void fc32_conv(uint32_t seed, uint32_t n, fc32_result *r);
void fc32_depthwise(uint32_t seed, uint32_t n, fc32_result *r);
void fc32_fc(uint32_t seed, uint32_t n, fc32_result *r);
/* kiln_maxpool_f32_fast against kiln_maxpool_f32: equal to the bit. */
void fc32_maxpool(uint32_t seed, uint32_t n, fc32_result *r);

#endif
