/*
 * lut_s8.h - 256-entry tables for unary int8 ops whose TFLite-Micro kernel
 * maps each input value independently (RSQRT, ELU, GELU), built at compile
 * time with that kernel's steps, for runtime/kernels/ext_s8.c kiln_lut_s8.
 *
 * Host-only, pure: the runtime's fixed-point primitives (fixedpoint_s8.h)
 * evaluated once per possible input value.
 */
#ifndef KILN_LUT_S8_H
#define KILN_LUT_S8_H

#include <stdint.h>

/* TFLite GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1). */
void lut_inv_sqrt_multiplier(int32_t input, int32_t *inv_sqrt, int *shift);

/* TFLM RsqrtEvalQuantized for every int8 x (table[x + 128]): v = x - in_zp;
 * v == 0 gives 127; otherwise 1/sqrt(v) as a fixed-point multiplier, applied
 * to 1 << 20, then MBQM by (mult, shift - 20), plus out_zp, clamped.  v < 0,
 * which TFLM refuses while running, gives 127 here (it documents the table;
 * there is no error path in the kernel). */
void lut_rsqrt_s8(int32_t in_zp, int32_t mult, int shift, int32_t out_zp, int8_t table[256]);

/* The per-value float functions of TFLite's table-filled kernels, in float
 * as TFLite writes them: ELU (alpha 1) v < 0 ? expf(v) - 1 : v; GELU
 * (reference/gelu.h GeluTransform) 0.5f v erfcf(-v / sqrt 2); GELU_TANH
 * (GeluTransformApproximate) 0.5f v (1 + tanhf(sqrt(2/pi) (v + 0.044715f v^3))). */
float lut_fn_elu(float v);
float lut_fn_gelu(float v);
float lut_fn_gelu_tanh(float v);

/* TFLite's LUTPopulate<int8_t> (common.h; ELU's PopulateLookupTable, GELU's
 * Prepare): v = s_in * (x - in_zp), then roundf(fn(v) * (1 / s_out)) + out_zp
 * clamped, a NaN or infinite fn(v) giving -128.  The float steps happen here,
 * at compile time, with the host's <math.h>; the kernel only looks the table
 * up. */
void lut_float_s8(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp, float (*fn)(float),
                  int8_t table[256]);

#endif
