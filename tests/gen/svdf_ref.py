#!/usr/bin/python3
"""svdf_ref.py - an independent numpy model of TFLite-Micro's SVDF (and the
few integer ops around it in TFLM's keyword_scrambled models), for Kiln's
SVDF tests.  Written from TFLM's reference kernels' documented behaviour
(svdf_common.cc, fully_connected, quantize), sharing no code with Kiln:

  SVDF, per invocation:
    1. the state [batch][filters][memory] shifts left by one element, as one
       flat array;
    2. state[b][f][memory-1] = W_feature[f] . X[b]
         float: float32, summed from 0 in index order;
         int:   q = MBQM(sum W_f * (x - zp_x), M1) clamped to the state type,
                then + zp_state, narrowed modulo 2^bits (TFLM adds the zero
                point after the clamp);
    3. t[b][f] = W_time[f] . state[b][f]   (int: state - zp_state)
    4. y[b][u] = bias[u] + sum_r t[b][u*rank + r]; float: fused activation;
       int: clamp(MBQM(y, M2) + zp_y, -128, 127) (activation ignored).
    M1 = QuantizeMultiplier(double(float(s_x * s_wf / s_state))),
    M2 = QuantizeMultiplier(double(float(s_state * s_wt / s_y))).
  State after init: int8 -> its zero point, anything else -> 0.
  MBQM is TFLite's MultiplyByQuantizedMultiplier with double rounding.

Usable as a module (gen_svdf_cases.py) and as a program:

  svdf_ref.py MODEL.tflite INPUT.bin SAMPLES OUT.bin
      runs MODEL (ops QUANTIZE int->int, SVDF, FULLY_CONNECTED int8 per
      tensor) on SAMPLES concatenated raw inputs, one invocation after the
      other with the state kept, and writes the raw subgraph outputs.
  svdf_ref.py --retarget MODEL.tflite TENSOR OUT.tflite
      copies MODEL with its (single) subgraph output replaced by tensor
      TENSOR, so an intermediate activation can be compared.
"""
import math
import struct
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from tflite_reader import TFLiteModel  # noqa: E402

I32MIN, I32MAX = -(1 << 31), (1 << 31) - 1


# ---- TFLite fixed point (Python integers, exact) ---------------------------

def wrap32(v):
    return ((int(v) + (1 << 31)) % (1 << 32)) - (1 << 31)


def quantize_multiplier(m):
    """TFLite QuantizeMultiplier: m = q * 2^(shift - 31), q in [2^30, 2^31)."""
    if m == 0.0:
        return 0, 0
    frac, e = math.frexp(m)
    q = int(math.floor(abs(frac) * (1 << 31) + 0.5))    # round half away from zero
    q = q if frac >= 0 else -q
    if q == (1 << 31):
        q //= 2
        e += 1
    if e < -31:
        e, q = 0, 0
    return q, e


def srdhm(a, b):
    if a == b == I32MIN:
        return I32MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    s = ab + nudge
    q = abs(s) >> 31
    return q if s >= 0 else -q


def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def mbqm(x, mult, shift):
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rdbpot(srdhm(wrap32(x * (1 << left)), mult), right)


def narrow(v, bits):
    m = 1 << bits
    v %= m
    return v - m if v >= m // 2 else v


# ---- SVDF ---------------------------------------------------------------------

def svdf_float(x, wf, wt, bias, state, rank, act=(None, None)):
    """x [B][I], wf [F][I], wt [F][M], bias [U] or None, state [B*F*M] float32
    (updated in place).  Returns y [B][U] float32."""
    B, I = x.shape
    F, M = wt.shape
    U = F // rank
    f32 = np.float32
    state[:-1] = state[1:].copy()
    for b in range(B):
        for f in range(F):
            acc = f32(0)
            for i in range(I):
                acc = f32(acc + f32(wf[f, i] * x[b, i]))
            state[(b * F + f) * M + M - 1] = acc
    y = np.zeros((B, U), np.float32)
    lo, hi = act
    for b in range(B):
        t = np.zeros(F, np.float32)
        for f in range(F):
            acc = f32(0)
            for m in range(M):
                acc = f32(acc + f32(wt[f, m] * state[(b * F + f) * M + m]))
            t[f] = acc
        for u in range(U):
            v = f32(bias[u]) if bias is not None else f32(0)
            for r in range(rank):
                v = f32(v + t[u * rank + r])
            if lo is not None and v < lo:
                v = f32(lo)
            if hi is not None and v > hi:
                v = f32(hi)
            y[b, u] = v
    return y


def svdf_int(x, wf, wt, bias, state, rank, zp_x, zp_s, zp_y, m1, m2, bits):
    """Integer SVDF.  x [B][I] int, wf [F][I], wt [F][M] ints, bias [U] or
    None, state: list of Python ints (stored values), updated in place;
    m1, m2 = (mult, shift).  Returns y [B][U] int8 values."""
    B, I = x.shape
    F, M = wt.shape
    U = F // rank
    smax = (1 << (bits - 1)) - 1
    smin = -smax - 1
    state[:-1] = state[1:]
    for b in range(B):
        for f in range(F):
            acc = sum(int(wf[f, i]) * (int(x[b, i]) - zp_x) for i in range(I))
            q = mbqm(wrap32(acc), *m1)
            q = min(max(q, smin), smax)
            state[(b * F + f) * M + M - 1] = narrow(q + zp_s, bits)
    y = np.zeros((B, U), np.int64)
    for b in range(B):
        for u in range(U):
            acc = int(bias[u]) if bias is not None else 0
            for r in range(rank):
                f = u * rank + r
                acc += sum(int(wt[f, m]) * (state[(b * F + f) * M + m] - zp_s) for m in range(M))
            v = mbqm(wrap32(acc), *m2) + zp_y
            y[b, u] = min(max(v, -128), 127)
    return y


def svdf_multipliers(sx, swf, swt, ss, sy):
    f32 = np.float32
    e1 = float(f32(f32(sx) * f32(swf)) / f32(ss))
    e2 = float(f32(f32(ss) * f32(swt)) / f32(sy))
    return quantize_multiplier(e1), quantize_multiplier(e2)


def state_init(dtype, zp, n):
    fill = zp if dtype == 'i8' else 0
    return [fill] * n


# ---- the model ---------------------------------------------------------------

class Model(TFLiteModel):
    """Per-tensor quantization as `scale` (None when unquantized) and `zp`."""
    def __init__(self, path):
        super().__init__(path)
        for t in self.tensors:
            t['scale'] = t['scales'][0] if t['scales'] else None
            t['zp'] = t['zps'][0] if t['scales'] and t['zps'] else 0

    def opt_i32(self, op, i, default=0):
        return self.opt(op, i, '<i', default)

    def opt_i8(self, op, i, default=0):
        return self.opt(op, i, '<b', default)


ACTS = {0: (None, None), 1: (0.0, None), 2: (-1.0, 1.0), 3: (0.0, 6.0)}


class Runner:
    """Runs a model invocation after invocation, keeping the variables."""

    def __init__(self, model):
        self.m = model
        self.state = {}
        for i, t in enumerate(model.tensors):
            if t['var']:
                n = int(np.prod(t['shape']))
                if t['type'] == 'f32':
                    self.state[i] = np.zeros(n, np.float32)
                else:
                    self.state[i] = state_init(t['type'], t['zp'], n)

    def invoke(self, inputs):
        m = self.m
        val = dict(zip(m.inputs, inputs))
        for op in m.ops:
            T = [m.tensors[i] if i >= 0 else None for i in op['ins']]
            Y = m.tensors[op['outs'][0]]
            get = lambda k: (val[op['ins'][k]] if op['ins'][k] in val else T[k]['data'])
            if op['code'] == 114:                      # QUANTIZE, integer -> integer
                x = get(0)
                mult = quantize_multiplier(float(T[0]['scale']) / float(Y['scale']))
                info = np.iinfo(Y['np'])
                out = [min(max(mbqm(wrap32(int(v) - T[0]['zp']), *mult) + Y['zp'], info.min),
                           info.max) for v in x.reshape(-1)]
                val[op['outs'][0]] = np.array(out, Y['np']).reshape(Y['shape'])
            elif op['code'] == 9:                      # FULLY_CONNECTED int8, per tensor
                x, w = get(0), get(1)
                b = get(2) if len(op['ins']) > 2 and op['ins'][2] >= 0 else None
                f32 = np.float32
                real = float(f32(f32(T[0]['scale']) * f32(T[1]['scale']))) / float(Y['scale'])
                mult = quantize_multiplier(real)
                lo, hi = -128, 127
                act = m.opt_i8(op, 0)
                if act in (1, 3):
                    lo = max(lo, Y['zp'])
                if act == 3:
                    hi = min(hi, Y['zp'] + int(round(6.0 / Y['scale'])))
                xs = x.reshape(-1, w.shape[1]).astype(np.int64)
                out = np.zeros((xs.shape[0], w.shape[0]), np.int64)
                for r in range(xs.shape[0]):
                    for n in range(w.shape[0]):
                        acc = int(np.dot(xs[r] - T[0]['zp'], w[n].astype(np.int64)))
                        acc += int(b[n]) if b is not None else 0
                        out[r, n] = min(max(mbqm(wrap32(acc), *mult) + Y['zp'], lo), hi)
                val[op['outs'][0]] = out.astype(np.int8).reshape(Y['shape'])
            elif op['code'] == 27:                     # SVDF
                x, wf, wt = get(0), get(1), get(2)
                b = get(3) if op['ins'][3] >= 0 else None
                rank = m.opt_i32(op, 0)
                st = self.state[op['ins'][4]]
                S = T[4]
                if T[0]['type'] == 'f32':
                    y = svdf_float(x.reshape(x.shape[0], -1), wf, wt, b, st, rank,
                                   ACTS[m.opt_i8(op, 1)])
                else:
                    m1, m2 = svdf_multipliers(T[0]['scale'], T[1]['scale'], T[2]['scale'],
                                              S['scale'], Y['scale'])
                    bits = 8 if S['type'] == 'i8' else 16
                    y = svdf_int(x.reshape(x.shape[0], -1), wf, wt, b, st, rank, T[0]['zp'],
                                 S['zp'], Y['zp'], m1, m2, bits)
                val[op['outs'][0]] = y.astype(Y['np']).reshape(Y['shape'])
            else:
                raise SystemExit('svdf_ref.py: operator %d not modelled' % op['code'])
            if all(o in val for o in m.outputs):
                break
        return [val[o] for o in m.outputs]


def retarget(src, tensor, dst):
    d = bytearray(open(src, 'rb').read())
    u32 = lambda o: struct.unpack_from('<I', d, o)[0]
    i32 = lambda o: struct.unpack_from('<i', d, o)[0]

    def field(o, i):
        vt = o - i32(o)
        x = struct.unpack_from('<H', d, vt + 4 + 2 * i)[0]
        return o + x

    root = u32(0)
    subgraphs = field(root, 2)
    sg = subgraphs + u32(subgraphs) + 4
    sg += u32(sg)
    outs = field(sg, 2)
    outs += u32(outs)
    if u32(outs) != 1:
        raise SystemExit('svdf_ref.py: the model has %d outputs; --retarget needs one' % u32(outs))
    struct.pack_into('<i', d, outs + 4, tensor)
    open(dst, 'wb').write(bytes(d))


def main(argv):
    if len(argv) == 5 and argv[1] == '--retarget':
        return retarget(argv[2], int(argv[3]), argv[4])
    if len(argv) != 5:
        raise SystemExit(__doc__)
    model = Model(argv[1])
    samples = int(argv[3])
    raw = open(argv[2], 'rb').read()
    ins = [model.tensors[i] for i in model.inputs]
    sizes = [int(np.prod(t['shape'])) * np.dtype(t['np']).itemsize for t in ins]
    if len(raw) != sum(sizes) * samples:
        raise SystemExit('svdf_ref.py: %s has %d bytes, expected %d' % (argv[2], len(raw),
                                                                      sum(sizes) * samples))
    run = Runner(model)
    out = bytearray()
    off = 0
    for _ in range(samples):
        xs = []
        for t, n in zip(ins, sizes):
            xs.append(np.frombuffer(raw[off:off + n], t['np']).reshape(t['shape']))
            off += n
        for y in run.invoke(xs):
            out += np.ascontiguousarray(y).tobytes()
    open(argv[4], 'wb').write(bytes(out))


if __name__ == '__main__':
    main(sys.argv)
