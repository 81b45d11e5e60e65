"""gen_ref_extra.py - reference-evaluator cases the ONNX conformance data lacks.

Used by gen_ref_cases.py.  Each case's expected output is computed here by an
independent implementation: torch (convolutions, pooling, LSTM/GRU with
bidirectional runs and sequence lengths), the LSTM/GRU numpy helpers that ONNX
ships with its backend tests (peepholes over several steps, GRU without
linear_before_reset), or a few lines of plain numpy written from ir_ops.def
(quantization, broadcasting, softmax over several axes with beta, negative
and wide pads, casts).  None of it calls Kiln.

Quantized expectations are the real function: dequantize, compute it in
float64, clamp with the fused activation's quantized range (bounds rounded
half away from zero, as TFLite does), quantize with round half to even,
saturate.  The evaluator computes what ir_ops.def specifies instead, TFLite's
integer arithmetic (fixed-point multipliers, averages rounded half away from
zero), which can land one step away: cases where it does allow 1 LSB (qtol),
and the QUANTIZE cases that test ties to even are ONNX-flavour nodes.
tests/unit/test_ref_int.c pins the integer arithmetic itself with values
worked out by hand.
"""
import numpy as np
import torch
import torch.nn.functional as F
from onnx.backend.test.case.node.gru import GRU_Helper
from onnx.backend.test.case.node.lstm import LSTM_Helper

from gen_ref_cases import Case, T, conv_attr_lines, act_line, slice_lines

RNG = np.random.RandomState(20240601)

QRANGE = {np.int8: (-128, 127), np.uint8: (0, 255), np.int16: (-32768, 32767)}


def fs(v):
    """A scale as the IR stores it (float32), widened back to double."""
    return np.asarray(v, np.float32).astype(np.float64)


def q_of(real, s, zp, dtype, act=None):
    """Quantize real values (per-tensor s/zp, or arrays broadcastable to real)."""
    lo, hi = QRANGE[dtype]
    lo, hi = np.full(np.shape(real), lo, np.float64), np.full(np.shape(real), hi, np.float64)
    s = fs(s)
    zp = np.asarray(zp, np.float64)
    if act is not None:
        def away(v):
            return np.sign(v) * np.floor(np.abs(v) + 0.5)
        if act[0] != -np.inf:
            lo = np.maximum(lo, zp + away(np.float64(act[0]) / s))
        if act[1] != np.inf:
            hi = np.minimum(hi, zp + away(np.float64(act[1]) / s))
    return np.clip(np.rint(real / s) + zp, lo, hi).astype(dtype)


def rand_q(shape, dtype):
    lo, hi = QRANGE[dtype]
    return RNG.randint(lo, hi + 1, size=shape).astype(dtype)


def qt(arr, s, zp, axis=0):
    s = np.atleast_1d(np.asarray(s, np.float32))
    zp = np.atleast_1d(np.asarray(zp, np.int64))
    if zp.size == 1 and s.size > 1:
        zp = np.repeat(zp, s.size)
    return T(arr, q=(s, zp, axis if s.size > 1 else 0))


def f32(a):
    return np.asarray(a, np.float32)


def to_nhwc(a):
    return np.transpose(a, [0] + list(range(2, a.ndim)) + [1])


def nhwc_case(c):
    """The same case with activations channels-last."""
    ins = [T(to_nhwc(c.ins[0].arr), c.ins[0].dtype, c.ins[0].q)] + c.ins[1:]
    outs = [T(to_nhwc(c.outs[0].arr), c.outs[0].dtype, c.outs[0].q)]
    attrs = [l.replace('IR_LAYOUT_NCHW', 'IR_LAYOUT_NHWC') for l in c.attrs]
    return Case(c.name + '/nhwc', c.op, attrs, ins, outs, c.qtol)


# ---- quantized convolutions (torch, float64) -------------------------------------

def conv_s8(name, x_shape, m, k, stride, dil, pads, group, act, dtype=np.int8, per_channel=True):
    """pads: (begin..., end...) per spatial dim."""
    nsp = len(x_shape) - 2
    c_in = x_shape[1]
    sx, zx = fs(0.05), (-3 if dtype == np.int8 else 120)
    xq = rand_q(x_shape, dtype)
    wq = rand_q((m, c_in // group) + tuple(k), np.int8)
    wq[wq == -128] = -127
    sw = f32(RNG.uniform(0.002, 0.02, m)) if per_channel else f32([0.01])
    bq = RNG.randint(-3000, 3000, m).astype(np.int32)
    sy, zy = 0.08, (5 if dtype == np.int8 else 128)
    xr = sx * (xq.astype(np.float64) - zx)
    swm = np.asarray(sw, np.float64).reshape((-1,) + (1,) * (nsp + 1))
    wr = swm * wq.astype(np.float64)
    br = bq * np.float64(sx) * np.asarray(sw, np.float64).reshape(-1)
    tx = torch.from_numpy(xr)
    # torch pads symmetrically; pad the real input with real zeros first.
    fp = []
    for i in reversed(range(nsp)):
        fp += [pads[i], pads[nsp + i]]
    tx = F.pad(tx, fp)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nsp]
    y = conv(tx, torch.from_numpy(wr), torch.from_numpy(br), stride=stride, dilation=dil, groups=group).numpy()
    yq = q_of(y, sy, zy, dtype, act)
    lines = conv_attr_lines(nsp, list(k), list(stride), list(dil), list(pads[:nsp]), list(pads[nsp:]), group)
    if act is not None:
        lines.append(act_line(*act))
    ins = [qt(xq, sx, zx), qt(wq, sw, 0, 0), qt(bq, np.float64(sx) * np.asarray(sw, np.float64), 0, 0)]
    return Case(name, 'IR_OP_CONV', lines, ins, [qt(yq, sy, zy)], 0)


def conv_transpose_s8(name):
    xq = rand_q((1, 2, 3, 4), np.int8)
    wq = rand_q((2, 3, 3, 3), np.int8)
    sx, zx, sw, sy, zy = fs(0.04), 2, f32([0.01]), 0.1, -4
    bq = RNG.randint(-2000, 2000, 3).astype(np.int32)
    xr = sx * (xq.astype(np.float64) - zx)
    wr = np.float64(sw[0]) * wq.astype(np.float64)
    br = bq * np.float64(sx) * np.float64(sw[0])
    y = F.conv_transpose2d(torch.from_numpy(xr), torch.from_numpy(wr), torch.from_numpy(br), stride=2,
                           padding=1, output_padding=1).numpy()
    lines = conv_attr_lines(2, [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], 1,
                            ['a->conv.output_padding[0] = 1;', 'a->conv.output_padding[1] = 1;'])
    return Case(name, 'IR_OP_CONV_TRANSPOSE', lines,
                [qt(xq, sx, zx), qt(wq, sw, 0), T(bq)], [qt(q_of(y, sy, zy, np.int8), sy, zy)], 0)


def avgpool_s8(name):
    xq = rand_q((1, 3, 5, 6), np.int8)
    # A power-of-two scale keeps every mean exact, so halves are true ties
    # (to even) in both implementations, not float noise either way.
    sx, zx = 0.03125, -10
    xr = sx * (xq.astype(np.float64) - zx)
    y = F.avg_pool2d(torch.from_numpy(xr), 3, stride=2, padding=1, count_include_pad=False).numpy()
    lines = conv_attr_lines(2, [3, 3], [2, 2], [1, 1], [1, 1], [1, 1])
    # TFLite's average rounds those ties away from zero: 1 LSB allowed.
    return Case(name, 'IR_OP_AVGPOOL', lines, [qt(xq, sx, zx)], [qt(q_of(y, sx, zx, np.int8), sx, zx)], 1)


def maxpool_f32_nhwc_dilated(name):
    x = f32(RNG.randn(2, 3, 7, 6))
    y = F.max_pool2d(torch.from_numpy(x.astype(np.float64)), (3, 2), stride=(2, 1), padding=(1, 1),
                     dilation=(2, 2), ceil_mode=True).numpy()
    lines = conv_attr_lines(2, [3, 2], [2, 1], [2, 2], [1, 1], [1, 1])
    return Case(name, 'IR_OP_MAXPOOL', lines, [T(x)], [T(f32(y))], 0)


# ---- fully connected, matmul, elementwise (numpy) ------------------------------------

def fc_s8(name):
    xq = rand_q((3, 10), np.int8)
    wq = rand_q((4, 10), np.int8)
    sx, zx, sy, zy = fs(0.02), 7, 0.05, -2
    sw = f32(RNG.uniform(0.005, 0.02, 4))
    bq = RNG.randint(-500, 500, 4).astype(np.int32)
    y = (sx * (xq.astype(np.float64) - zx)) @ (np.asarray(sw, np.float64)[:, None] * wq).T + \
        bq * np.float64(sx) * np.asarray(sw, np.float64)
    act = (-1.0, 1.0)
    return Case(name, 'IR_OP_FULLY_CONNECTED', [act_line(*act)],
                [qt(xq, sx, zx), qt(wq, sw, 0, 0), T(bq)], [qt(q_of(y, sy, zy, np.int8, act), sy, zy)], 0)


def matmul_cases():
    a = f32(RNG.randn(2, 1, 3, 4))
    b = f32(RNG.randn(3, 4, 5))
    out = [Case('numpy/matmul_batch_broadcast', 'IR_OP_MATMUL', [], [T(a), T(b)],
                [T(f32(np.matmul(a.astype(np.float64), b)))])]
    v = f32(RNG.randn(4))
    out.append(Case('numpy/matmul_3d_1d', 'IR_OP_MATMUL', [], [T(b.transpose(0, 2, 1).copy()), T(v)],
                    [T(f32(np.matmul(b.transpose(0, 2, 1).astype(np.float64), v)))]))
    aq, bq = rand_q((2, 3, 6), np.uint8), rand_q((6, 2), np.uint8)
    sa, za, sb, zb, sy, zy = fs(0.02), 130, fs(0.03), 120, 0.05, 128
    y = np.matmul(sa * (aq - np.float64(za)), sb * (bq - np.float64(zb)))
    out.append(Case('numpy/matmul_u8_quant', 'IR_OP_MATMUL', [],
                    [qt(aq, sa, za), qt(bq, sb, zb)], [qt(q_of(y, sy, zy, np.uint8), sy, zy)], 0))
    return out


def binary_cases():
    out = []
    a, b = rand_q((2, 3, 4), np.int8), rand_q((4,), np.int8)
    sa, za, sb, zb, sy, zy = fs(0.1), -5, fs(0.07), 3, 0.15, 2
    ra, rb = sa * (a - np.float64(za)), sb * (b - np.float64(zb))
    for op, f in (('ADD', np.add), ('SUB', np.subtract), ('MUL', np.multiply), ('MIN', np.minimum),
                  ('MAX', np.maximum)):
        act = (0.0, np.inf) if op == 'ADD' else None
        ys, yz = (0.6, -10) if op == 'MUL' else (sy, zy)
        out.append(Case('numpy/%s_s8_quant_broadcast' % op.lower(), 'IR_OP_' + op,
                        [act_line(*act)] if act else [], [qt(a, sa, za), qt(b, sb, zb)],
                        [qt(q_of(f(ra, rb), ys, yz, np.int8, act), ys, yz)], 1))
    x, y = f32(RNG.randn(3, 1, 5)), f32(RNG.randn(4, 1))
    for op, f in (('MIN', np.minimum), ('MAX', np.maximum), ('DIV', np.divide)):
        out.append(Case('numpy/%s_f32_broadcast' % op.lower(), 'IR_OP_' + op, [], [T(x), T(y)],
                        [T(f32(f(x.astype(np.float64), y.astype(np.float64))))]))
    # Plain integers: numpy's wrap-around on overflow, truncating division.
    i = np.array([2147483000, -2147483000, 7, -7], np.int32)
    j = np.array([1000, -1000, -2, 2], np.int32)
    with np.errstate(over='ignore'):
        out.append(Case('numpy/add_s32_wraps', 'IR_OP_ADD', [], [T(i), T(j)], [T(i + j)]))
        out.append(Case('numpy/mul_s32_wraps', 'IR_OP_MUL', [], [T(i), T(j)], [T(i * j)]))
    out.append(Case('numpy/div_s32_truncates', 'IR_OP_DIV', [], [T(i), T(j)],
                    [T((np.trunc(i.astype(np.float64) / j)).astype(np.int32))]))
    k = np.array([100, -100, 127, -128], np.int8)
    with np.errstate(over='ignore'):
        out.append(Case('numpy/sub_s8_wraps', 'IR_OP_SUB', [], [T(k), T(k[::-1].copy())], [T(k - k[::-1])]))
    return out


def unary_cases():
    out = []
    xq = rand_q((2, 10), np.int8)
    sx, zx = fs(0.05), -1
    xr = sx * (xq - np.float64(zx))
    sig = 1 / (1 + np.exp(-xr))
    out.append(Case('numpy/sigmoid_s8', 'IR_OP_SIGMOID', [], [qt(xq, sx, zx)],
                    [qt(q_of(sig, 1 / 256, -128, np.int8), 1 / 256, -128)], 0))
    out.append(Case('numpy/tanh_s8', 'IR_OP_TANH', [], [qt(xq, sx, zx)],
                    [qt(q_of(np.tanh(xr), 1 / 128, 0, np.int8), 1 / 128, 0)], 0))
    lr = np.where(xr >= 0, xr, 0.2 * xr)
    out.append(Case('numpy/leaky_relu_s8', 'IR_OP_LEAKY_RELU', ['a->alpha = 0.2f;'], [qt(xq, sx, zx)],
                    [qt(q_of(lr, 0.04, 3, np.int8), 0.04, 3)], 1))
    act = (0.0, 6.0)
    out.append(Case('numpy/clip_relu6_s8', 'IR_OP_CLIP', [act_line(*act)], [qt(xq, sx, zx)],
                    [qt(q_of(xr, 0.03, -100, np.int8, act), 0.03, -100)], 0))
    hs = xr * np.clip(xr / 6 + 0.5, 0, 1)
    out.append(Case('numpy/hard_swish_s8', 'IR_OP_HARD_SWISH', [], [qt(xq, sx, zx)],
                    [qt(q_of(hs, 0.03, -20, np.int8), 0.03, -20)], 0))
    return out


def sqrt_cases():
    # sqrt in float64 rounded once to float32 is the correctly rounded float
    # sqrt; -0 stays -0, negatives give NaN, inf stays inf.
    xs = f32([0.0, -0.0, 0.25, 2.0, 3.0, 1e-30, 3e38, np.inf, -1.0, 1e-45])
    with np.errstate(invalid='ignore'):
        ys = f32(np.sqrt(xs.astype(np.float64)))
    return [Case('numpy/sqrt_f32', 'IR_OP_SQRT', [], [T(xs)], [T(ys)])]


def softmax_cases():
    out = []
    x = f32(RNG.randn(2, 3, 4, 2) * 3)
    xd = x.astype(np.float64)
    for log in (False, True):
        z = 0.5 * xd
        z = z - z.max(axis=(1, 2), keepdims=True)
        e = np.exp(z)
        y = z - np.log(e.sum(axis=(1, 2), keepdims=True)) if log else e / e.sum(axis=(1, 2), keepdims=True)
        out.append(Case('numpy/%ssoftmax_axes_1_3_beta' % ('log' if log else ''), 'IR_OP_SOFTMAX',
                        ['a->axis = 1; a->axis_end = 3; a->beta = 0.5f; a->log = %s;' % ('true' if log else 'false')],
                        [T(x)], [T(f32(y))]))
    xq = rand_q((2, 6), np.int8)
    xr = fs(0.1) * (xq - np.float64(4))
    e = np.exp(xr - xr.max(axis=1, keepdims=True))
    out.append(Case('numpy/softmax_s8', 'IR_OP_SOFTMAX', ['a->axis = 1; a->axis_end = 2;'], [qt(xq, 0.1, 4)],
                    [qt(q_of(e / e.sum(axis=1, keepdims=True), 1 / 256, -128, np.int8), 1 / 256, -128)], 0))
    return out


def pad_case(name, x, begin, end, mode, value=0.0, q=None):
    """Expected: crop the negative pads, then numpy.pad the positive ones."""
    sl = tuple(slice(max(-b, 0), x.shape[d] - max(-e, 0)) for d, (b, e) in enumerate(zip(begin, end)))
    xc = x[sl]
    pw = [(max(b, 0), max(e, 0)) for b, e in zip(begin, end)]
    npmode = {'IR_PAD_CONSTANT': 'constant', 'IR_PAD_REFLECT': 'reflect', 'IR_PAD_EDGE': 'edge',
              'IR_PAD_WRAP': 'wrap'}[mode]
    if npmode == 'constant':
        fill = value if q is None else np.rint(value / fs(q[0])) + q[1]
        y = np.pad(xc, pw, mode='constant', constant_values=fill)
    else:
        y = np.pad(xc, pw, mode=npmode)
    lines = ['a->pad_mode = %s; a->pad_value = %r;' % (mode, float(value))]
    lines += ['a->begin[%d] = %d; a->end[%d] = %d;' % (d, begin[d], d, end[d]) for d in range(x.ndim)]
    if q is None:
        return Case(name, 'IR_OP_PAD', lines, [T(x)], [T(y.astype(x.dtype))])
    return Case(name, 'IR_OP_PAD', lines, [qt(x, *q)], [qt(y.astype(x.dtype), *q)])


def shape_cases():
    out = []
    x = f32(RNG.randn(3, 4, 5))
    out.append(pad_case('numpy/pad_constant_negative', x, [-1, 2, 0], [1, -2, -3], 'IR_PAD_CONSTANT', 1.5))
    out.append(pad_case('numpy/pad_reflect_wide', x[:1, :3, :2].copy(), [0, 5, 3], [0, 4, 6], 'IR_PAD_REFLECT'))
    out.append(pad_case('numpy/pad_wrap_wide', x[:1, :3, :2].copy(), [1, 7, 0], [2, 4, 5], 'IR_PAD_WRAP'))
    out.append(pad_case('numpy/pad_edge_after_crop', x, [0, -1, 2], [0, 3, -2], 'IR_PAD_EDGE'))
    out.append(pad_case('numpy/pad_reflect_after_crop', x, [-1, 2, 0], [0, 2, -1], 'IR_PAD_REFLECT'))
    out.append(pad_case('numpy/pad_s8_zero_is_zero_point', rand_q((1, 3, 3, 2), np.int8), [0, 1, 1, 0],
                        [0, 1, 2, 0], 'IR_PAD_CONSTANT', 0.0, (0.1, -7)))
    # CONCAT requantizes inputs with other parameters (TFLite semantics).
    a, b = rand_q((2, 2, 3), np.int8), rand_q((2, 1, 3), np.int8)
    ra, rb = fs(0.1) * (a - np.float64(1)), fs(0.05) * (b - np.float64(-3))
    y = q_of(np.concatenate([ra, rb], axis=1), 0.12, 2, np.int8)
    out.append(Case('numpy/concat_s8_requantizes', 'IR_OP_CONCAT', ['a->axis = 1;'],
                    [qt(a, 0.1, 1), qt(b, 0.05, -3)], [qt(y, 0.12, 2)], 1))
    # REDUCE_MEAN over non-adjacent axes, float and quantized.
    x4 = f32(RNG.randn(2, 3, 4, 5))
    out.append(Case('numpy/reduce_mean_axes_0_2', 'IR_OP_REDUCE_MEAN', ['a->axes_mask = 0x5;'], [T(x4)],
                    [T(f32(x4.astype(np.float64).mean(axis=(0, 2))))]))
    xq = rand_q((1, 4, 4, 3), np.int8)
    m = (fs(0.2) * (xq - np.float64(-5))).mean(axis=(1, 2), keepdims=True)
    out.append(Case('numpy/reduce_mean_s8_keepdims', 'IR_OP_REDUCE_MEAN', ['a->axes_mask = 0x6;'],
                    [qt(xq, 0.2, -5)], [qt(q_of(m, 0.1, 3, np.int8), 0.1, 3)], 0))
    x5 = f32(RNG.randn(2, 1, 3, 2, 2))
    perm = [4, 2, 0, 3, 1]
    out.append(Case('numpy/transpose_rank5', 'IR_OP_TRANSPOSE', ['a->perm[%d] = %d;' % (i, p) for i, p in enumerate(perm)],
                    [T(x5)], [T(np.transpose(x5, perm))]))
    out.append(Case('numpy/slice_negative_steps', 'IR_OP_SLICE', slice_lines([2, 3, 0], [-1, -2, 2]),
                    [T(x)], [T(x[2::-1, 3::-2, 0::2])]))
    out.append(Case('numpy/reshape_s8_requantizes', 'IR_OP_RESHAPE', [], [qt(xq, 0.2, -5)],
                    [qt(q_of(fs(0.2) * (xq.reshape(4, 12) - np.float64(-5)), 0.3, 1, np.int8), 0.3, 1)], 0))
    return out


def conversion_cases():
    out = []
    s = 0.5
    x = f32([0.25, 0.75, -0.25, -0.75, 1.25, -1.25, 63.75, 300, -300, 0])
    onnx_q = ['a->qmode = IR_QMODE_ONNX;']    # QuantizeLinear: ties to even (TFLite's: away)
    out.append(Case('numpy/quantize_s8_ties_to_even', 'IR_OP_QUANTIZE', onnx_q, [T(x)],
                    [qt(q_of(x.astype(np.float64), s, 0, np.int8), s, 0)], 0))
    out.append(Case('numpy/quantize_u8_zero_point', 'IR_OP_QUANTIZE', onnx_q, [T(x)],
                    [qt(q_of(x.astype(np.float64), s, 100, np.uint8), s, 100)], 0))
    xq = rand_q((2, 3, 4), np.int8)
    sc, zp = f32([0.1, 0.02, 0.5]), np.array([1, -2, 0])
    out.append(Case('numpy/dequantize_s8_per_channel_axis1', 'IR_OP_DEQUANTIZE', [], [qt(xq, sc, zp, 1)],
                    [T(f32(sc.astype(np.float64)[None, :, None] * (xq - zp[None, :, None])))]))
    xs = f32(RNG.randn(2, 3) * 4)
    out.append(Case('numpy/quantize_s8_per_channel_axis1', 'IR_OP_QUANTIZE', [], [T(xs)],
                    [qt(q_of(xs.astype(np.float64), sc.astype(np.float64), zp, np.int8), sc, zp, 1)], 0))
    r = rand_q((3, 5), np.int8)
    real = fs(0.05) * (r - np.float64(3))
    out.append(Case('numpy/requantize_s8_to_u8', 'IR_OP_REQUANTIZE', [], [qt(r, 0.05, 3)],
                    [qt(q_of(real, 0.05, 131, np.uint8), 0.05, 131)], 0))
    out.append(Case('numpy/requantize_s8_rescale', 'IR_OP_REQUANTIZE', [], [qt(r, 0.05, 3)],
                    [qt(q_of(real, 0.031, -9, np.int8), 0.031, -9)], 0))
    f = f32([-2.7, -0.5, 0.0, 0.5, 2.7, 100.9, -100.9, 65519.0, 1e-5, 70000.0])
    out.append(Case('numpy/cast_f32_to_s32_truncates', 'IR_OP_CAST', [], [T(f)], [T(np.trunc(f).astype(np.int32))]))
    out.append(Case('numpy/cast_f32_to_bool', 'IR_OP_CAST', [], [T(f)], [T(f != 0)]))
    with np.errstate(over='ignore'):     # 70000 becomes inf, as it should
        out.append(Case('numpy/cast_f32_to_f16', 'IR_OP_CAST', [], [T(f)], [T(f.astype(np.float16))]))
    i64 = np.array([300, -129, 255, -1, 1 << 40], np.int64)
    out.append(Case('numpy/cast_s64_to_s8_wraps', 'IR_OP_CAST', [], [T(i64)], [T(i64.astype(np.int8))]))
    out.append(Case('numpy/cast_s64_to_f32', 'IR_OP_CAST', [], [T(i64)], [T(i64.astype(np.float32))]))
    u8 = np.array([0, 127, 128, 255], np.uint8)
    out.append(Case('numpy/cast_u8_to_s8_wraps', 'IR_OP_CAST', [], [T(u8)], [T(u8.astype(np.int8))]))
    return out


# ---- recurrent (torch, onnx helpers, numpy) ---------------------------------------------

def onnx_to_torch_gates(w, onnx_order, torch_order, h):
    parts = {g: w[i * h:(i + 1) * h] for i, g in enumerate(onnx_order)}
    return np.concatenate([parts[g] for g in torch_order], axis=0)


def rnn_torch(name, kind, layout, lens):
    S, B, I, H = 4, 3, 3, 2
    G = 4 if kind == 'LSTM' else 3
    W = f32(RNG.randn(2, G * H, I) * 0.5)
    R = f32(RNG.randn(2, G * H, H) * 0.5)
    Bb = f32(RNG.randn(2, 2 * G * H) * 0.3)
    h0 = f32(RNG.randn(2, B, H) * 0.5)
    c0 = f32(RNG.randn(2, B, H) * 0.5)
    x = f32(RNG.randn(S, B, I))
    onnx_order, torch_order = (('i', 'o', 'f', 'c'), ('i', 'f', 'c', 'o')) if kind == 'LSTM' else \
        (('z', 'r', 'h'), ('r', 'z', 'h'))
    mod = (torch.nn.LSTM if kind == 'LSTM' else torch.nn.GRU)(I, H, bidirectional=True).double()
    with torch.no_grad():
        for d, suf in enumerate(('', '_reverse')):
            getattr(mod, 'weight_ih_l0' + suf).copy_(torch.from_numpy(onnx_to_torch_gates(W[d], onnx_order, torch_order, H).astype(np.float64)))
            getattr(mod, 'weight_hh_l0' + suf).copy_(torch.from_numpy(onnx_to_torch_gates(R[d], onnx_order, torch_order, H).astype(np.float64)))
            getattr(mod, 'bias_ih_l0' + suf).copy_(torch.from_numpy(onnx_to_torch_gates(Bb[d, :G * H], onnx_order, torch_order, H).astype(np.float64)))
            getattr(mod, 'bias_hh_l0' + suf).copy_(torch.from_numpy(onnx_to_torch_gates(Bb[d, G * H:], onnx_order, torch_order, H).astype(np.float64)))
        packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x.astype(np.float64)), lens,
                                                         enforce_sorted=False)
        state = (torch.from_numpy(h0.astype(np.float64)), torch.from_numpy(c0.astype(np.float64)))
        res, st = mod(packed, state if kind == 'LSTM' else state[0])
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(res, total_length=S)
    y = y.numpy().reshape(S, B, 2, H).transpose(0, 2, 1, 3)       # [S, D, B, H]
    yh = (st[0] if kind == 'LSTM' else st).numpy()                  # [D, B, H]
    yc = st[1].numpy() if kind == 'LSTM' else None
    lines = ['a->rnn.direction = IR_RNN_BIDIRECTIONAL;', 'a->rnn.hidden_size = %d;' % H,
             'a->rnn.layout = %d;' % layout]
    if kind == 'GRU':
        lines.append('a->rnn.linear_before_reset = true;')
    xin, h0in, c0in = x, h0, c0
    if layout:
        xin = x.transpose(1, 0, 2).copy()
        h0in, c0in = h0.transpose(1, 0, 2).copy(), c0.transpose(1, 0, 2).copy()
        y = y.transpose(2, 0, 1, 3)
        yh = yh.transpose(1, 0, 2)
        yc = yc.transpose(1, 0, 2) if yc is not None else None
    ins = [T(xin), T(W), T(R), T(Bb), T(np.array(lens, np.int32)), T(h0in)]
    outs = [T(f32(y)), T(f32(yh))]
    if kind == 'LSTM':
        ins += [T(c0in), None]
        outs.append(T(f32(yc)))
    return Case(name, 'IR_OP_' + kind, lines, ins, outs)


def lstm_peepholes_helper():
    S, B, I, H = 3, 2, 3, 2
    x = f32(RNG.randn(S, B, I))
    W, R = f32(RNG.randn(1, 4 * H, I) * 0.5), f32(RNG.randn(1, 4 * H, H) * 0.5)
    Bb, P = f32(RNG.randn(1, 8 * H) * 0.3), f32(RNG.randn(1, 3 * H))
    h0, c0 = f32(RNG.randn(1, B, H)), f32(RNG.randn(1, B, H))
    y, yh = LSTM_Helper(X=x, W=W, R=R, B=Bb, P=P, initial_h=h0, initial_c=c0).step()
    lines = ['a->rnn.direction = IR_RNN_FORWARD;', 'a->rnn.hidden_size = %d;' % H]
    return Case('onnx-helper/lstm_peepholes_3_steps', 'IR_OP_LSTM', lines,
                [T(x), T(W), T(R), T(Bb), None, T(h0), T(c0), T(P)], [T(f32(y)), T(f32(yh))])


def gru_reverse_helper():
    """GRU reverse, linear_before_reset 0: the forward helper on the reversed sequence."""
    S, B, I, H = 3, 2, 2, 3
    x = f32(RNG.randn(S, B, I))
    W, R = f32(RNG.randn(1, 3 * H, I) * 0.5), f32(RNG.randn(1, 3 * H, H) * 0.5)
    Bb, h0 = f32(RNG.randn(1, 6 * H) * 0.3), f32(RNG.randn(1, B, H))
    y, yh = GRU_Helper(X=x[::-1].copy(), W=W, R=R, B=Bb, initial_h=h0).step()
    lines = ['a->rnn.direction = IR_RNN_REVERSE;', 'a->rnn.hidden_size = %d;' % H]
    return Case('onnx-helper/gru_reverse', 'IR_OP_GRU', lines, [T(x), T(W), T(R), T(Bb), None, T(h0)],
                [T(f32(y[::-1])), T(f32(yh))])


def lstm_clip_input_forget():
    """ONNX LSTM with clip and input_forget, in plain numpy (gates i, o, f, c)."""
    S, B, I, H = 3, 1, 2, 2
    clip = 0.7
    x = f32(RNG.randn(S, B, I) * 2)
    W, R = f32(RNG.randn(1, 4 * H, I)), f32(RNG.randn(1, 4 * H, H))
    Bb = f32(RNG.randn(1, 8 * H) * 0.3)
    w, r = W[0].astype(np.float64), R[0].astype(np.float64)
    b = Bb[0, :4 * H].astype(np.float64) + Bb[0, 4 * H:]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    ys = []
    sig = lambda v: 1 / (1 + np.exp(-v))
    for t in range(S):
        g = np.clip(x[t].astype(np.float64) @ w.T + h @ r.T + b, -clip, clip)
        gi, go, gc = g[:, 0:H], g[:, H:2 * H], g[:, 3 * H:4 * H]
        i = sig(gi)
        c = (1 - i) * c + i * np.tanh(gc)
        h = sig(go) * np.tanh(c)
        ys.append(h)
    y = np.stack(ys)[:, None]
    lines = ['a->rnn.direction = IR_RNN_FORWARD;', 'a->rnn.hidden_size = %d;' % H, 'a->rnn.clip = %rf;' % clip,
             'a->rnn.input_forget = true;']
    return Case('numpy/lstm_clip_input_forget', 'IR_OP_LSTM', lines, [T(x), T(W), T(R), T(Bb)],
                [T(f32(y)), T(f32(h[None])), T(f32(c[None]))])


def cases():
    out = []
    c = conv_s8('torch/conv2d_s8_per_channel_asym_pads_relu6', (1, 3, 6, 5), 4, (3, 3), (2, 2), (1, 1),
                (1, 0, 2, 1), 1, (0.0, 6.0))
    out += [c, nhwc_case(c)]
    c = conv_s8('torch/depthwise_s8_multiplier2_dilated', (1, 3, 7, 7), 6, (3, 3), (1, 1), (2, 2),
                (1, 1, 1, 1), 3, None)
    out += [c, nhwc_case(c)]
    c = conv_s8('torch/conv1d_u8_groups2', (2, 4, 9), 6, (3,), (2,), (1,), (1, 2), 2, (-np.inf, 3.0),
                dtype=np.uint8, per_channel=False)
    out += [c, nhwc_case(c)]
    c = conv_s8('torch/conv3d_s8', (1, 2, 4, 3, 4), 3, (2, 2, 2), (1, 2, 1), (1, 1, 1), (1, 0, 0, 0, 1, 1), 1, None)
    out += [c, nhwc_case(c)]
    c = conv_transpose_s8('torch/conv_transpose2d_s8')
    out += [c, nhwc_case(c)]
    c = avgpool_s8('torch/avgpool_s8')
    out += [c, nhwc_case(c)]
    c = maxpool_f32_nhwc_dilated('torch/maxpool_dilated_ceil')
    out += [c, nhwc_case(c)]
    out.append(fc_s8('numpy/fully_connected_s8_per_channel_clamp'))
    out += matmul_cases() + binary_cases() + unary_cases() + softmax_cases() + shape_cases()
    out += conversion_cases() + sqrt_cases()
    out.append(rnn_torch('torch/lstm_bidirectional_seq_lens', 'LSTM', 0, [4, 2, 3]))
    out.append(rnn_torch('torch/lstm_bidirectional_seq_lens_batch_first', 'LSTM', 1, [1, 4, 3]))
    out.append(rnn_torch('torch/gru_bidirectional_seq_lens_linear_before_reset', 'GRU', 0, [3, 4, 2]))
    out.append(lstm_peepholes_helper())
    out.append(gru_reverse_helper())
    out.append(lstm_clip_input_forget())
    return out
