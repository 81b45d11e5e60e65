/*
 * requant_onnx_s8.c - the ONNX-flavour requantization of an int32
 * accumulator: (float)acc * scale, rounded half to even.
 *
 * One of the few places a float appears in the int8 kernels, on purpose
 * (the others: quantize_s8.c, and pool_onnx_q8.c / add_onnx_q8.c, which
 * reproduce onnxruntime's float QLinear pooling and add):
 * the ONNX operators (QLinearConv, QLinearMatMul) are *defined* by a float
 * multiply with round-half-to-even, and onnxruntime computes exactly that
 * in float32, so an integer fixed-point multiplier would disagree with the
 * reference by an LSB now and then.  TFLite-flavour models never reach this
 * file.  No libm: the rounding uses the float format itself.
 */
#include "kiln/kernels_s8.h"

/* Round half to even of |v| < 2^22: adding and subtracting 1.5*2^23 leaves
 * no fraction bits, and IEEE-754 addition rounds to nearest even. */
static int32_t round_half_even(float v)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    volatile float t = v + magic;    /* volatile: no reassociation of the trick */
    return (int32_t)(t - magic);
}

int32_t kiln_requant_onnx(int32_t acc, int32_t scale_bits)
{
    union {
        int32_t i;
        float f;
    } u;
    u.i = scale_bits;
    float v = (float)acc * u.f;
    /* A NaN scale (only a forged blob carries one) gives the zero point. */
    if (v != v)
        v = 0.0f;
    /* Outputs are 8-bit; anything beyond +-2^20 saturates the same way. */
    if (v > 1048576.0f)
        v = 1048576.0f;
    if (v < -1048576.0f)
        v = -1048576.0f;
    return round_half_even(v);
}
