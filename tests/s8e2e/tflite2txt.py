#!/usr/bin/python3
"""tflite2txt.py - dumps a .tflite (int8 MLPerf-Tiny subset) as a line-based
IR description for irtxt_run.c: the int8 kernels' own end-to-end check
against TFLite-Micro's reference outputs, independent of the real TFLite
importer.  Converts TFLite conventions to the IR's (ir_ops.def): conv
weights OHWI -> OIHW, depthwise 1HWO -> [M,1,kh,kw], SAME padding -> explicit
pads, fused activation -> clamp.

  T idx dtype rank dims... qn axis scales... zps... nbytes hexdata|-
  N op nin ins... nout outs... key=value...
  I idx / O idx
"""
import math, struct, sys

def u32(b, o): return struct.unpack_from('<I', b, o)[0]
def i32(b, o): return struct.unpack_from('<i', b, o)[0]

class Table:
    def __init__(s, b, pos):
        s.b, s.pos = b, pos
        vt = pos - i32(b, pos)
        s.vt, s.vlen = vt, struct.unpack_from('<H', b, vt)[0]
    def off(s, i):
        if 4 + 2 * i >= s.vlen: return 0
        o = struct.unpack_from('<H', s.b, s.vt + 4 + 2 * i)[0]
        return s.pos + o if o else 0
    def scalar(s, i, fmt, d=0):
        o = s.off(i)
        return struct.unpack_from(fmt, s.b, o)[0] if o else d
    def table(s, i):
        o = s.off(i)
        return Table(s.b, o + u32(s.b, o)) if o else None
    def vec(s, i, fmt=None):
        o = s.off(i)
        if not o: return []
        p = o + u32(s.b, o); n = u32(s.b, p)
        if fmt is None: return [Table(s.b, p + 4 + 4 * k + u32(s.b, p + 4 + 4 * k)) for k in range(n)]
        sz = struct.calcsize(fmt)
        return [struct.unpack_from(fmt, s.b, p + 4 + sz * k)[0] for k in range(n)]
    def bytes_(s, i):
        o = s.off(i)
        if not o: return b''
        p = o + u32(s.b, o); n = u32(s.b, p)
        return s.b[p + 4:p + 4 + n]
    def string(s, i):
        return s.bytes_(i).decode()

DT = {0: 'f32', 9: 's8', 3: 'u8', 2: 's32', 7: 's16', 4: 's64'}
OPS = {3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 1: 'AVERAGE_POOL_2D', 17: 'MAX_POOL_2D', 9: 'FULLY_CONNECTED',
       22: 'RESHAPE', 25: 'SOFTMAX', 0: 'ADD', 114: 'QUANTIZE', 6: 'DEQUANTIZE'}
ACT = {0: None, 1: (0.0, math.inf), 2: (-1.0, 1.0), 3: (0.0, 6.0)}

def same_pad(inp, k, s, d):
    out = (inp + s - 1) // s
    eff = (k - 1) * d + 1
    tot = max((out - 1) * s + eff - inp, 0)
    return tot // 2, tot - tot // 2

def main(path, out):
    b = open(path, 'rb').read()
    m = Table(b, u32(b, 0))
    codes = []
    for oc in m.vec(1):
        codes.append(max(oc.scalar(0, '<b'), oc.scalar(3, '<i')))
    bufs = m.vec(4)
    sg = m.vec(2)[0]
    tens = sg.vec(0)
    lines = []
    T = []  # (dtype, shape, q)
    extra = []
    def tensor_line(idx, dt, shape, qs, qz, axis, data):
        h = data.hex() if data else '-'
        return 'T %d %s %d %s %d %d %s %s %d %s' % (idx, dt, len(shape), ' '.join(map(str, shape)), len(qs), axis,
               ' '.join('%.9g' % x for x in qs), ' '.join(map(str, qz)), len(data) if data else 0, h)
    info = []
    for k, t in enumerate(tens):
        shape = t.vec(0, '<i'); dt = DT[t.scalar(1, '<b')]
        q = t.table(4)
        qs = q.vec(2, '<f') if q else []
        qz = q.vec(3, '<q') if q else []
        axis = q.scalar(6, '<i') if q else 0
        buf = bufs[t.scalar(2, '<I')]
        data = buf.bytes_(0)
        info.append([dt, list(shape), qs, qz, axis, data])
    # operators
    nodes = []
    for op in sg.vec(3):
        code = codes[op.scalar(0, '<I')]
        name = OPS.get(code)
        if name is None: raise SystemExit('unsupported op code %d' % code)
        ins = op.vec(1, '<i'); outs = op.vec(2, '<i')
        opt = op.table(4)
        nodes.append((name, ins, outs, opt))
    # convert weights
    for name, ins, outs, opt in nodes:
        if name == 'CONV_2D':
            w = info[ins[1]]
            o, kh, kw, ci = w[1]
            dat = w[5]
            nd = bytearray(len(dat))
            for a in range(o):
                for y in range(kh):
                    for x in range(kw):
                        for c in range(ci):
                            nd[((a * ci + c) * kh + y) * kw + x] = dat[((a * kh + y) * kw + x) * ci + c]
            w[1] = [o, ci, kh, kw]; w[5] = bytes(nd); w[4] = 0
        if name == 'DEPTHWISE_CONV_2D':
            w = info[ins[1]]
            _, kh, kw, mo = w[1]
            dat = w[5]
            nd = bytearray(len(dat))
            for a in range(mo):
                for y in range(kh):
                    for x in range(kw):
                        nd[(a * kh + y) * kw + x] = dat[(y * kw + x) * mo + a]
            w[1] = [mo, 1, kh, kw]; w[5] = bytes(nd); w[4] = 0
    for k, (dt, shape, qs, qz, axis, data) in enumerate(info):
        lines.append(tensor_line(k, dt, shape, qs, qz, axis, data))
    for name, ins, outs, opt in nodes:
        attrs = []
        def act(a):
            r = ACT[a]
            if r: attrs.append('act=%r,%r' % r)
        if name in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            x = info[ins[0]][1]; w = info[ins[1]][1]
            pad = opt.scalar(0, '<b'); sw = opt.scalar(1, '<i'); sh = opt.scalar(2, '<i')
            if name == 'CONV_2D':
                a = opt.scalar(3, '<b'); dw = opt.scalar(4, '<i', 1); dh = opt.scalar(5, '<i', 1); group = 1
            else:
                a = opt.scalar(4, '<b'); dw = opt.scalar(5, '<i', 1); dh = opt.scalar(6, '<i', 1); group = x[3]
            kh, kw = w[2], w[3]
            pt, pb = same_pad(x[1], kh, sh, dh) if pad == 0 else (0, 0)
            pl, pr = same_pad(x[2], kw, sw, dw) if pad == 0 else (0, 0)
            act(a)
            attrs += ['op=CONV', 'stride=%d,%d' % (sh, sw), 'dil=%d,%d' % (dh, dw), 'pad=%d,%d,%d,%d' % (pt, pl, pb, pr),
                      'group=%d' % group, 'k=%d,%d' % (kh, kw)]
        elif name in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
            x = info[ins[0]][1]
            pad = opt.scalar(0, '<b'); sw = opt.scalar(1, '<i'); sh = opt.scalar(2, '<i')
            fw = opt.scalar(3, '<i'); fh = opt.scalar(4, '<i'); a = opt.scalar(5, '<b')
            pt, pb = same_pad(x[1], fh, sh, 1) if pad == 0 else (0, 0)
            pl, pr = same_pad(x[2], fw, sw, 1) if pad == 0 else (0, 0)
            act(a)
            attrs += ['op=' + ('AVGPOOL' if name[0] == 'A' else 'MAXPOOL'), 'stride=%d,%d' % (sh, sw),
                      'dil=1,1', 'pad=%d,%d,%d,%d' % (pt, pl, pb, pr), 'k=%d,%d' % (fh, fw)]
        elif name == 'FULLY_CONNECTED':
            act(opt.scalar(0, '<b') if opt else 0)
            attrs.append('op=FC')
            ins = ins[:3] if len(ins) > 2 and ins[2] >= 0 else ins[:2]
        elif name == 'SOFTMAX':
            attrs += ['op=SOFTMAX', 'beta=%r' % opt.scalar(0, '<f', 1.0)]
        elif name == 'ADD':
            act(opt.scalar(0, '<b') if opt else 0)
            attrs.append('op=ADD')
        elif name == 'RESHAPE':
            attrs.append('op=RESHAPE'); ins = ins[:1]
        elif name == 'QUANTIZE':
            attrs.append('op=' + ('QUANTIZE' if info[ins[0]][0] == 'f32' else 'REQUANTIZE'))
        elif name == 'DEQUANTIZE':
            attrs.append('op=DEQUANTIZE')
        lines.append('N %d %s %d %s %s' % (len(ins), ' '.join(map(str, ins)), len(outs), ' '.join(map(str, outs)),
                                          ' '.join(attrs)))
    for i in sg.vec(1, '<i'): lines.append('I %d' % i)
    for o in sg.vec(2, '<i'): lines.append('O %d' % o)
    open(out, 'w').write('\n'.join(lines) + '\n')

main(sys.argv[1], sys.argv[2])
