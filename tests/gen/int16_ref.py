#!/usr/bin/python3
"""int16_ref.py - an independent numpy model of TFLite-Micro's 16x8 integer
kernels (int16 activations, int8 weights), for Kiln's int16 tests.  Written
from TFLM's reference kernels' documented behaviour (reference/integer_ops
conv.h, depthwise_conv.h, fully_connected.h, pooling.h; common.h;
conv_common.cc, fully_connected_common.cc), sharing no code with Kiln:

  CONV_2D:   acc = sum x * w (+ bias).  int64 bias: int64 accumulator and
             the int64 MultiplyByQuantizedMultiplier (multiplier rounded to
             16 bits, one rounding shift by 15 - shift, ties up); int32 bias
             or none: int32 accumulator and the int32 one (double rounding),
             as TFLM's ConvPerChannel<int32_t>.
  DEPTHWISE: int64 accumulator and bias always.
  FULLY_CONNECTED: int64 accumulator and bias (an int32 bias widened).
  Multipliers: conv/depthwise per channel QuantizeMultiplier(double(s_x) *
  double(s_w[c]) / double(s_y)); per-tensor FC QuantizeMultiplier(
  double(float(s_x * s_w)) / double(s_y)).  Zero points are 0.
  Fused activations: [round(lo / s_y), round(hi / s_y)] in float32,
  intersected with [-32768, 32767].
  ADD / SUB (pot_scale_int16 = false, TFLM's general scaling, as for int8
  with a left shift of 15): twice = 2 * max(s_a, s_b); each input
  x << 15 goes through the int32 MBQM by QuantizeMultiplier(s / twice),
  then the sum (difference) by QuantizeMultiplier(twice / (2^15 * s_y)).
  MUL: the int32 MBQM of the raw product by QuantizeMultiplier(s_a * s_b /
  s_y).  numpy broadcasting; the fused activation clamp.
  Pools: over the window positions inside the input; average
  (sum +- count/2) / count truncated; max; then the activation clamp.

  int16_ref.py MODEL.tflite INPUT.bin OUT.bin
      runs MODEL on the raw int16 input and writes the raw int16 output.
"""
import math
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from svdf_ref import quantize_multiplier, mbqm  # noqa: E402  (the int32 path)
from tflite_reader import TFLiteModel  # noqa: E402

def wrap32(v):
    return ((int(v) + (1 << 31)) % (1 << 32)) - (1 << 31)


def mbqm64(x, q, shift):
    """TFLite MultiplyByQuantizedMultiplier(int64_t x, ...)."""
    reduced = (q + (1 << 15)) >> 16 if q < 0x7FFF0000 else 0x7FFF
    total = 15 - shift
    assert total >= 1
    return wrap32((int(x) * reduced + (1 << (total - 1))) >> total)


def act_range(act, scale):
    lo, hi = -32768, 32767
    def qv(f):
        v = np.float32(f) / np.float32(scale)
        return int(math.copysign(math.floor(abs(float(v)) + 0.5), float(v)))
    if act in (1, 3):
        lo = max(lo, qv(0.0))
    if act == 2:
        lo, hi = max(lo, qv(-1.0)), min(hi, qv(1.0))
    if act == 3:
        hi = min(hi, qv(6.0))
    return lo, hi


class Model(TFLiteModel):
    """Constant data as int64, for exact integer arithmetic."""
    def __init__(self, path):
        super().__init__(path)
        for t in self.tensors:
            if t['data'] is not None:
                t['data'] = t['data'].astype(np.int64)


def out_size(n, k, stride, dil, same):
    ek = (k - 1) * dil + 1
    if same:
        out = (n + stride - 1) // stride
        pad = max((out - 1) * stride + ek - n, 0) // 2
    else:
        out, pad = (n - ek) // stride + 1, 0
    return out, pad


def conv(m, op, depthwise):
    x_t, w_t, y_t = (m.tensors[op['ins'][0]], m.tensors[op['ins'][1]], m.tensors[op['outs'][0]])
    b_t = m.tensors[op['ins'][2]] if len(op['ins']) > 2 and op['ins'][2] >= 0 else None
    assert not any(x_t['zps']) and not any(y_t['zps']) and not any(w_t['zps'])
    same = m.opt(op, 0, '<b') == 0
    sw, sh = m.opt(op, 1, '<i', 1), m.opt(op, 2, '<i', 1)
    act = m.opt(op, 4 if depthwise else 3, '<b')
    dw_, dh = m.opt(op, 5 if depthwise else 4, '<i', 1), m.opt(op, 6 if depthwise else 5, '<i', 1)
    x, w = m.vals[op['ins'][0]], w_t['data']
    n, ih, iw, ic = x.shape
    _, kh, kw, _ = w.shape
    oc = w.shape[3] if depthwise else w.shape[0]
    oh, pt = out_size(ih, kh, sh, dh, same)
    ow, pl = out_size(iw, kw, sw, dw_, same)
    acc64 = depthwise or (b_t is not None and b_t['np'] == np.int64)
    sx, sy = x_t['scales'][0], y_t['scales'][0]
    lo, hi = act_range(act, sy)
    per = w.shape[3] if not depthwise else 1
    groups = ic // per if not depthwise else ic
    y = np.zeros((n, oh, ow, oc), np.int64)
    for c in range(oc):
        s_w = w_t['scales'][c if len(w_t['scales']) > 1 else 0]
        q, s = quantize_multiplier(float(sx) * float(s_w) / float(sy))
        for b in range(n):
            for yy in range(oh):
                for xx in range(ow):
                    acc = 0
                    for ky in range(kh):
                        iy = yy * sh - pt + ky * dh
                        if iy < 0 or iy >= ih:
                            continue
                        for kx in range(kw):
                            ix = xx * sw - pl + kx * dw_
                            if ix < 0 or ix >= iw:
                                continue
                            if depthwise:
                                acc += int(x[b, iy, ix, c // (oc // ic)]) * int(w[0, ky, kx, c])
                            else:
                                g = c // (oc // groups)
                                for i in range(per):
                                    acc += int(x[b, iy, ix, g * per + i]) * int(w[c, ky, kx, i])
                    if b_t is not None:
                        acc += int(b_t['data'][c])
                    v = mbqm64(acc, q, s) if acc64 else mbqm(wrap32(acc), q, s)
                    y[b, yy, xx, c] = min(max(v, lo), hi)
    return y


def pool(m, op, avg):
    x_t, y_t = m.tensors[op['ins'][0]], m.tensors[op['outs'][0]]
    same = m.opt(op, 0, '<b') == 0
    sw, sh = m.opt(op, 1, '<i', 1), m.opt(op, 2, '<i', 1)
    fw, fh = m.opt(op, 3, '<i', 1), m.opt(op, 4, '<i', 1)
    act = m.opt(op, 5, '<b')
    x = m.vals[op['ins'][0]]
    n, ih, iw, ch = x.shape
    oh, pt = out_size(ih, fh, sh, 1, same)
    ow, pl = out_size(iw, fw, sw, 1, same)
    lo, hi = act_range(act, y_t['scales'][0])
    y = np.zeros((n, oh, ow, ch), np.int64)
    for b in range(n):
        for yy in range(oh):
            for xx in range(ow):
                y0, x0 = yy * sh - pt, xx * sw - pl
                win = x[b, max(y0, 0):min(y0 + fh, ih), max(x0, 0):min(x0 + fw, iw), :]
                win = win.reshape(-1, ch)
                for c in range(ch):
                    if avg:
                        s, cnt = int(win[:, c].sum()), win.shape[0]
                        v = (s + cnt // 2) // cnt if s > 0 else -((-s + cnt // 2) // cnt)
                    else:
                        v = int(win[:, c].max())
                    y[b, yy, xx, c] = min(max(v, lo), hi)
    return y


def fully_connected(m, op):
    x_t, w_t, y_t = (m.tensors[op['ins'][0]], m.tensors[op['ins'][1]], m.tensors[op['outs'][0]])
    b_t = m.tensors[op['ins'][2]] if len(op['ins']) > 2 and op['ins'][2] >= 0 else None
    assert not any(x_t['zps']) and not any(y_t['zps'])
    act = m.opt(op, 0, '<b')
    w = w_t['data']
    k = w.shape[1]
    x = m.vals[op['ins'][0]].reshape(-1, k)
    sx, sy = x_t['scales'][0], y_t['scales'][0]
    lo, hi = act_range(act, sy)
    w_off = -w_t['zps'][0] if len(w_t['zps']) == 1 else 0
    y = np.zeros((x.shape[0], w.shape[0]), np.int64)
    for o in range(w.shape[0]):
        if len(w_t['scales']) > 1:
            q, s = quantize_multiplier(float(sx) * float(w_t['scales'][o]) / float(sy))
        else:
            q, s = quantize_multiplier(float(np.float32(sx) * np.float32(w_t['scales'][0])) / float(sy))
        for b in range(x.shape[0]):
            acc = sum(int(x[b, d]) * (int(w[o, d]) + w_off) for d in range(k))
            if b_t is not None:
                acc += int(b_t['data'][o])
            y[b, o] = min(max(mbqm64(acc, q, s), lo), hi)
    return y.reshape(y_t['shape'])


def binary(m, op, code):
    a_t, b_t, y_t = (m.tensors[op['ins'][0]], m.tensors[op['ins'][1]], m.tensors[op['outs'][0]])
    assert not any(a_t['zps']) and not any(b_t['zps']) and not any(y_t['zps'])
    sa, sb, sy = (float(np.float32(t['scales'][0])) for t in (a_t, b_t, y_t))
    lo, hi = act_range(m.opt(op, 0, '<b'), y_t['scales'][0])
    val = lambda i, t: m.vals[i] if i in m.vals else t['data']
    a, b = np.broadcast_arrays(val(op['ins'][0], a_t), val(op['ins'][1], b_t))
    if code == 18:
        q, s = quantize_multiplier(sa * sb / sy)
        f = lambda u, v: mbqm(int(u) * int(v), q, s)
    else:
        assert m.opt(op, 1, '<B', 1) == 0, 'pot_scale_int16 must be false'
        twice = 2 * max(sa, sb)
        qa, ea = quantize_multiplier(sa / twice)
        qb, eb = quantize_multiplier(sb / twice)
        qo, eo = quantize_multiplier(twice / ((1 << 15) * sy))
        sign = 1 if code == 0 else -1
        f = lambda u, v: mbqm(mbqm(int(u) << 15, qa, ea) + sign * mbqm(int(v) << 15, qb, eb),
                              qo, eo)
    y = np.array([f(u, v) for u, v in zip(a.ravel(), b.ravel())], np.int64)
    return np.clip(y, lo, hi).reshape(y_t['shape'])


def run(m, x):
    m.vals = {m.inputs[0]: x.reshape(m.tensors[m.inputs[0]]['shape']).astype(np.int64)}
    for op in m.ops:
        c = op['code']
        if c == 3:
            y = conv(m, op, False)
        elif c == 4:
            y = conv(m, op, True)
        elif c in (1, 17):
            y = pool(m, op, c == 1)
        elif c == 9:
            y = fully_connected(m, op)
        elif c in (0, 18, 41):
            y = binary(m, op, c)
        else:
            raise SystemExit('int16_ref: builtin %d is not modelled' % c)
        m.vals[op['outs'][0]] = y
    return m.vals[m.outputs[0]]


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    m = Model(argv[1])
    x = np.fromfile(argv[2], np.int16)
    y = run(m, x)
    assert y.min() >= -32768 and y.max() <= 32767
    y.astype('<i2').tofile(argv[3])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
