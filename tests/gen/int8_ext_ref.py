#!/usr/bin/env python3
"""int8_ext_ref.py - inputs and expected outputs for tests/e2e/tflite_int8_ext.sh.

An independent model of TFLite-Micro's integer kernels for the int8 forms of
the extended operator set, written from TFLite's definitions in plain Python
integers (no code shared with Kiln): QuantizeMultiplier (frexp, round half
away from zero), gemmlowp's SaturatingRoundingDoublingHighMul and
RoundingDivideByPOT, the double-rounding MultiplyByQuantizedMultiplier,
ComparisonWithScaling (left shift 8, multiplier = the input's scale),
AbsEvalQuantized, RsqrtEvalQuantized (GetInvSqrtQuantizedMultiplierExp's
Newton-Raphson in gemmlowp's Q3), SquaredDifference<int8_t>, ELU's and GELU's float tables (LUTPopulate),
the quantized CumSum (start value and int32 wrap included), Prelu, BatchMatMul<int8_t>, and
the stored-value ops (GATHER, SELECT_V2, REDUCE_MAX/MIN,
ARG_MAX/MIN with the first index on ties, MAXIMUM/MINIMUM, EXPAND_DIMS).
The scales and zero points are tflite_int8_mkmodel.c's.

    int8_ext_ref.py OUTDIR   -> OUTDIR/NAME/in_K.npy, OUTDIR/NAME/out.npy
"""
import ctypes
import ctypes.util
import math
import os
import sys

import numpy as np

F32 = np.float32


def quantize_multiplier(m):
    """TFLite QuantizeMultiplier: (q, shift) with m = q * 2^(shift - 31)."""
    if m == 0.0:
        return 0, 0
    frac, e = math.frexp(m)
    q = frac * (1 << 31)
    q = int(math.floor(abs(q) + 0.5)) * (1 if q >= 0 else -1)   # std::round
    if q == 1 << 31:
        q //= 2
        e += 1
    if e < -31:
        return 0, 0
    return q, e


def srdhm(a, b):
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    v = ab + nudge
    q = abs(v) >> 31                      # C division truncates toward zero
    return q if v >= 0 else -q


def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > threshold else 0)


def wrap32(v):
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def mbqm(x, q, shift):
    left, right = max(shift, 0), max(-shift, 0)
    return rdbpot(srdhm(wrap32(x * (1 << left)), q), right)


def f32(v):
    return float(F32(v))


def compare(a, za, sa, b, zb, sb, fn):
    """TFLM ComparisonWithScaling, b broadcast to a's shape."""
    qa, sha = quantize_multiplier(f32(sa))
    qb, shb = quantize_multiplier(f32(sb))
    assert sha <= 0 and shb <= 0
    b = np.broadcast_to(b, a.shape)
    out = np.zeros(a.shape, dtype=bool)
    for i in np.ndindex(a.shape):
        va = rdbpot(srdhm((int(a[i]) - za) * 256, qa), -sha)
        vb = rdbpot(srdhm((int(b[i]) - zb) * 256, qb), -shb)
        out[i] = fn(va, vb)
    return out


def abs_s8(x, zx, sx, zy, sy):
    rescale = f32(sx) != f32(sy)
    if rescale:
        q, sh = quantize_multiplier(float(F32(F32(sx) / F32(sy))))   # float division, as TFLM
    out = np.zeros(x.shape, dtype=np.int8)
    for i in np.ndindex(x.shape):
        v = abs(int(x[i]) - zx)
        r = (mbqm(v, q, sh) if rescale else v) + zy
        out[i] = min(max(r, -128), 127)
    return out


def squared_difference(a, za, sa, b, zb, sb, zy, sy):
    """TFLM SquaredDifference<int8_t>: left shift 7, inputs by s / (2 max), the
    int32 square by (2 max)^2 / (2^14 s_y) (float product in the denominator)."""
    tm = 2.0 * max(f32(sa), f32(sb))
    qa, sha = quantize_multiplier(f32(sa) / tm)
    qb, shb = quantize_multiplier(f32(sb) / tm)
    qo, sho = quantize_multiplier(tm * tm / f32(16384 * F32(sy)))
    b = np.broadcast_to(b, a.shape)
    out = np.zeros(a.shape, dtype=np.int8)
    for i in np.ndindex(a.shape):
        va = rdbpot(srdhm((int(a[i]) - za) * 128, qa), -sha)
        vb = rdbpot(srdhm((int(b[i]) - zb) * 128, qb), -shb)
        out[i] = min(max(mbqm((va - vb) ** 2, qo, sho) + zy, -128), 127)
    return out


def sat_shl(x, e):
    """gemmlowp SaturatingRoundingMultiplyByPOT<e>, e > 0."""
    lim = (1 << (31 - e)) - 1
    if x > lim:
        return (1 << 31) - 1
    if x < -lim:
        return -(1 << 31)
    return x << e


def clz32(v):
    return 32 - v.bit_length()


def inv_sqrt_multiplier(v):
    """TFLite GetInvSqrtQuantizedMultiplierExp(v, reverse_shift = -1)."""
    if v <= 1:
        return (1 << 31) - 1, 0
    sh = 11
    while v >= 1 << 29:
        v //= 4
        sh += 1
    pairs = (clz32(v) - 1) // 2 - 1
    sh -= pairs
    v <<= 2 * pairs
    half_in = rdbpot(v >> 1, 1)              # F3 input / 2
    x = 1 << 28                              # F3 one
    for _ in range(5):
        x3 = sat_shl(srdhm(srdhm(x, x), x), 6)
        x = sat_shl(srdhm((1 << 28) + (1 << 27), x) - srdhm(half_in, x3), 3)
    x = srdhm(x, 1518500250)                 # sqrt(2)/2 in Q0
    if sh < 0:
        x = wrap32(x << -sh)
        sh = 0
    return x, -sh


def rsqrt_s8(x, zx, sx, zy, sy):
    """TFLM RsqrtEvalQuantized; 0 gives 127."""
    q, sh = quantize_multiplier(1.0 / float(F32(np.sqrt(F32(sx))) * F32(sy)))    # float sqrt and product
    out = np.zeros(x.shape, dtype=np.int8)
    for i in np.ndindex(x.shape):
        v = int(x[i]) - zx
        assert v >= 0
        if v == 0:
            out[i] = 127
            continue
        m, s = inv_sqrt_multiplier(v)
        data = mbqm(1, m, s + 20)
        out[i] = min(max(mbqm(data, q, sh - 20) + zy, -128), 127)
    return out


def elu_s8(x, zx, sx, zy, sy):
    """TFLM ELU Prepare's table, in float32: round(f(s_in (q - zp)) / s_out) + zp."""
    inv = F32(1) / F32(sy)
    out = np.zeros(x.shape, dtype=np.int8)
    for i in np.ndindex(x.shape):
        v = F32(sx) * F32(int(x[i]) - zx)
        e = F32(np.exp(v)) - F32(1) if v < 0 else v
        t = F32(e * inv)
        r = F32(math.floor(abs(float(t)) + 0.5) * (1 if t >= 0 else -1))   # std::round
        out[i] = min(max(int(F32(r + F32(zy))), -128), 127)
    return out


_libm = ctypes.CDLL(ctypes.util.find_library("m"))
for _fn in ("erfcf", "tanhf"):
    getattr(_libm, _fn).restype = ctypes.c_float
    getattr(_libm, _fn).argtypes = [ctypes.c_float]


def gelu_fn(v, approximate):
    """TFLite reference/gelu.h in float32: GeluTransform 0.5 v erfc(-v/sqrt 2),
    GeluTransformApproximate 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))).
    erfcf/tanhf are the C library's float functions, which TFLite calls."""
    v = F32(v)
    if approximate:
        k = F32(1.12837916709551257390 * 0.70710678118654752440)
        inner = F32(k * F32(v + F32(F32(F32(F32(0.044715) * v) * v) * v)))
        return F32(F32(F32(0.5) * v) * F32(F32(1) + F32(_libm.tanhf(float(inner)))))
    return F32(F32(F32(0.5) * v) * F32(_libm.erfcf(float(F32(v * F32(-0.70710678118654752440))))))


def float_table_s8(x, zx, sx, zy, sy, fn):
    """TFLite LUTPopulate<int8_t>: round(fn(s_in (q - zp)) * (1 / s_out)) + zp, in float32."""
    inv = F32(1) / F32(sy)
    out = np.zeros(x.shape, dtype=np.int8)
    for i in np.ndindex(x.shape):
        e = fn(F32(sx) * F32(int(x[i]) - zx))
        t = F32(e * inv)
        r = F32(math.floor(abs(float(t)) + 0.5) * (1 if t >= 0 else -1))   # std::round
        out[i] = min(max(int(F32(r + F32(zy))), -128), 127)
    return out


def prelu_s8(x, zx, sx, a, za, sa, zy, sy):
    """TFLM's quantized Prelu: v = q - zp; v >= 0 by s_x / s_y, else v (q_a - zp_a)
    by s_x s_a / s_y (both QuantizeMultiplier of a double), plus zp_y."""
    q1, sh1 = quantize_multiplier(f32(sx) / f32(sy))
    q2, sh2 = quantize_multiplier(f32(sx) * f32(sa) / f32(sy))
    a = np.broadcast_to(a, x.shape)
    out = np.zeros(x.shape, dtype=np.int8)
    for i in np.ndindex(x.shape):
        v = int(x[i]) - zx
        r = mbqm(v, q1, sh1) if v >= 0 else mbqm(v * (int(a[i]) - za), q2, sh2)
        out[i] = min(max(r + zy, -128), 127)
    return out


def cumsum_s8(x, axis, exclusive, reverse, zx, sx, zy, sy):
    """TFLM's quantized CumSum: (q - zp) << 20 scaled by s / (2 s) (SmallerThanOneExp),
    an int32 accumulator that starts at the scaling of -zp (TFLM's start value)
    and wraps, each output requantized by 2 s_x / (2^20 s_y)."""
    qi, shi = quantize_multiplier(f32(sx) / (2 * f32(sx)))
    qo, sho = quantize_multiplier(2 * f32(sx) / ((1 << 20) * f32(sy)))
    assert shi <= 0 and sho <= 0

    def scaled(v):
        return rdbpot(srdhm(v * (1 << 20), qi), -shi)

    moved = np.moveaxis(x, axis, -1)
    out = np.zeros(moved.shape, dtype=np.int8)
    for i in np.ndindex(moved.shape[:-1]):
        line = moved[i]
        order = range(len(line) - 1, -1, -1) if reverse else range(len(line))
        acc = scaled(-zx)
        for k in order:
            s = scaled(int(line[k]) - zx)
            total = acc if exclusive else wrap32(acc + s)
            acc = wrap32(acc + s)
            out[i + (k,)] = min(max(rdbpot(srdhm(total, qo), -sho) + zy, -128), 127)
    return np.moveaxis(out, -1, axis)


def batch_matmul(a, za, sa, b, zb, sb, zy, sy):
    """TFLM BatchMatMul<int8_t, int32_t>: int32 sums of (a - za)(b - zb), then
    MultiplyByQuantizedMultiplier by double(sa) double(sb) / double(sy)."""
    q, sh = quantize_multiplier(f32(sa) * f32(sb) / f32(sy))
    acc = np.matmul(a.astype(np.int64) - za, b.astype(np.int64) - zb)
    out = np.zeros(acc.shape, dtype=np.int8)
    for i in np.ndindex(acc.shape):
        out[i] = min(max(mbqm(int(acc[i]), q, sh) + zy, -128), 127)
    return out


def arg(x, axis, is_min):
    moved = np.moveaxis(x, axis, -1)
    out = np.zeros(moved.shape[:-1], dtype=np.int32)
    for i in np.ndindex(out.shape):
        line = moved[i]
        best = 0
        for k in range(1, len(line)):
            if (line[k] < line[best]) if is_min else (line[k] > line[best]):
                best = k
        out[i] = best
    return out


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(8)

    def save(name, ins, out):
        os.makedirs(f"{d}/{name}", exist_ok=True)
        for k, v in enumerate(ins):
            np.save(f"{d}/{name}/in_{k}.npy", v)
        np.save(f"{d}/{name}/out.npy", out)

    def i8(*shape):
        return rng.integers(-128, 128, shape).astype(np.int8)

    x43 = i8(4, 3)
    save("gather_s8", [x43], x43[[3, 0, 2]])
    c = rng.integers(0, 2, (2, 3)).astype(bool)
    a, b1 = i8(2, 3), i8(1)
    save("select_v2_s8", [c, a, b1], np.where(c, a, b1))
    save("expand_dims_s8", [a], a.reshape(2, 1, 3))
    x3 = i8(2, 3, 4)
    x3[0, :, 0] = -128                    # a column of the type minimum
    x3[1, :, 1] = 127
    save("reduce_max_s8", [x3], x3.max(axis=1))
    save("reduce_min_s8", [x3], x3.min(axis=1))
    x5 = i8(2, 5)
    x5[0] = [3, 9, 9, -2, 9]              # ties: the first index wins
    x5[1] = [-128, -128, 5, -128, 5]
    save("arg_max_s8", [x5], arg(x5, 1, False))
    save("arg_min_s8", [x5], arg(x5, 1, True))
    bb = i8(3)
    save("maximum_s8", [a, bb], np.maximum(a, bb))
    save("minimum_s8", [a, bb], np.minimum(a, bb))

    # comparisons: a (0.05, -3) with b [3]
    ca = np.array([[-3, 17, -128], [127, 0, 5]], dtype=np.int8)
    save("equal_s8", [ca, np.array([-3, 18, -128], dtype=np.int8)],
         compare(ca, -3, 0.05, np.array([-3, 18, -128], dtype=np.int8), -3, 0.05, lambda p, q: p == q))
    cb = np.array([-7, 3, -64], dtype=np.int8)      # 0.1 * (b + 7): 0, 1.0, -5.7
    cmp2 = {"not_equal_s8": lambda p, q: p != q, "greater_s8": lambda p, q: p > q,
            "greater_equal_s8": lambda p, q: p >= q}
    ca2 = np.array([[-3, 17, -117], [-1, 23, -128]], dtype=np.int8)   # 0.05 * (a + 3): 0, 1.0, -5.7, ...
    for name, fn in cmp2.items():
        save(name, [ca2, cb], compare(ca2, -3, 0.05, cb, -7, 0.1, fn))
    cc = i8(3)
    for name, fn in {"less_s8": lambda p, q: p < q, "less_equal_s8": lambda p, q: p <= q}.items():
        save(name, [a, cc], compare(a, -3, 0.05, cc, 11, 0.0173, fn))

    xa = np.array([[-128, -10, 127], [-11, -9, 60]], dtype=np.int8)
    save("abs_s8", [xa], abs_s8(xa, -10, 0.02, 100, 0.02))
    save("abs_rescale_s8", [xa], abs_s8(xa, -10, 0.02, -128, 0.03))

    xr = np.array([[-128, -127, -126, -100], [-60, 0, 100, 127]], dtype=np.int8)   # v = 0, 1, 2 .. 255
    save("rsqrt_s8", [xr], rsqrt_s8(xr, -128, 0.01, -128, 0.1))
    xr2 = np.array([[-5, -4, 0, 20], [50, 90, 126, 127]], dtype=np.int8)
    save("rsqrt_rescale_s8", [xr2], rsqrt_s8(xr2, -5, 0.002, 10, 0.3))

    ma, mb = i8(2, 2, 3), i8(2, 3, 4)
    save("batch_matmul_s8", [ma, mb], batch_matmul(ma, -3, 0.05, mb, 5, 0.02, 7, 0.4))

    xe = np.array([[-128, -60, 0, 9], [10, 11, 50, 127]], dtype=np.int8)
    save("elu_s8", [xe], elu_s8(xe, 10, 0.05, -40, 0.03))

    xg = np.arange(-128, 128, 16).astype(np.int8).reshape(2, 8)
    xg[0, 1] = 5                                                      # the zero point
    for name, approx in (("gelu_s8", False), ("gelu_tanh_s8", True)):
        save(name, [xg], float_table_s8(xg, 5, 0.04, -60, 0.02, lambda v, a=approx: gelu_fn(v, a)))

    xp = i8(1, 2, 2, 3)
    xp[0, 0, 0] = [-3, -4, -128]                                       # zero, just below, the minimum
    save("prelu_s8", [xp], prelu_s8(xp, -3, 0.05, np.array([-100, 4, 127], dtype=np.int8), 4, 0.02, 10, 0.04))
    xq, aq = i8(2, 2, 3), i8(2, 1, 3)
    save("prelu_bcast_s8", [xq, aq], prelu_s8(xq, 20, 0.1, aq, -10, 0.005, -5, 0.03))
    xc = i8(2, 5)
    save("cumsum_s8", [xc], cumsum_s8(xc, 1, False, False, -7, 0.1, 3, 0.25))
    xc3 = i8(3, 2, 4)
    save("cumsum_excl_rev_s8", [xc3], cumsum_s8(xc3, 1, True, True, 12, 0.05, -20, 0.2))
    xw = np.full((1, 24), -128, dtype=np.int8)                         # -255 each: past -2^31 after 17
    save("cumsum_wrap_s8", [xw], cumsum_s8(xw, 1, False, False, 127, 0.5, 0, 0.5))

    sa = np.array([[-128, 127, -3], [0, 40, -40]], dtype=np.int8)
    sb = np.array([127, -128, -3], dtype=np.int8)                      # saturates at 127
    save("squared_difference_s8", [sa, sb], squared_difference(sa, -3, 0.05, sb, -3, 0.05, -128, 0.02))
    sa2 = np.array([[-3, 0, 10], [-20, 5, -8]], dtype=np.int8)        # small differences: no saturation
    sb2 = np.array([-7, 0, -15], dtype=np.int8)
    save("squared_difference_rescale_s8", [sa2, sb2], squared_difference(sa2, -3, 0.05, sb2, -7, 0.1, -100, 0.05))


if __name__ == "__main__":
    main()
