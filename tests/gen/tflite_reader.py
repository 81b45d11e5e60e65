"""tflite_reader.py - a minimal reader of the .tflite flatbuffer subset the
tests' generated models use (one subgraph; tensors with shape, type, buffer,
quantization and the variable flag; operators with their options table).
Shared by the independent numpy reference models (svdf_ref.py, int16_ref.py);
it shares no code with Kiln's importer.
"""
import struct

import numpy as np

# TensorType -> (short name, numpy dtype)
TYPES = {0: ('f32', np.float32), 2: ('i32', np.int32), 4: ('i64', np.int64),
         7: ('i16', np.int16), 9: ('i8', np.int8)}


class TFLiteModel:
    """tensors: dicts type, np, shape, scales, zps, data (numpy, native dtype,
    or None), var; ops: dicts code (builtin), ins, outs, opts (field -> offset
    of the options table's fields 0..7); inputs, outputs: tensor indices."""

    def __init__(self, path):
        d = open(path, 'rb').read()
        self.d = d
        u32 = lambda o: struct.unpack_from('<I', d, o)[0]
        i32 = lambda o: struct.unpack_from('<i', d, o)[0]

        def table(o):
            vt = o - i32(o)
            vl = struct.unpack_from('<H', d, vt)[0]

            def field(i):
                if 4 + 2 * i >= vl:
                    return None
                x = struct.unpack_from('<H', d, vt + 4 + 2 * i)[0]
                return o + x if x else None
            return field

        def ref(o):
            return o + u32(o)

        def vec(o):
            o = ref(o)
            return u32(o), o + 4

        root = table(ref(0))
        n, p = vec(root(1))
        codes = []
        for k in range(n):
            t = table(ref(p + 4 * k))
            dep = d[t(0)] if t(0) else 0
            code = i32(t(3)) if t(3) else 0
            codes.append(max(dep, code))
        bn, bp = vec(root(4))
        bufs = []
        for k in range(bn):
            t = table(ref(bp + 4 * k))
            if t(0):
                ln, lp = vec(t(0))
                bufs.append(d[lp:lp + ln])
            else:
                bufs.append(b'')
        _, sp = vec(root(2))
        sg = table(ref(sp))
        n, p = vec(sg(0))
        self.tensors = []
        for k in range(n):
            t = table(ref(p + 4 * k))
            sn, spp = vec(t(0))
            shape = [i32(spp + 4 * j) for j in range(sn)]
            ty = d[t(1)] if t(1) else 0
            buf = u32(t(2)) if t(2) else 0
            scales, zps = [], []
            if t(4):
                q = table(ref(t(4)))
                if q(2):
                    qn, qp = vec(q(2))
                    scales = [struct.unpack_from('<f', d, qp + 4 * j)[0] for j in range(qn)]
                if q(3):
                    zn, zp = vec(q(3))
                    zps = [struct.unpack_from('<q', d, zp + 8 * j)[0] for j in range(zn)]
            name, npy = TYPES[ty]
            data = None
            if buf < len(bufs) and bufs[buf]:
                data = np.frombuffer(bufs[buf], npy).reshape(shape)
            var = bool(d[t(5)]) if t(5) else False
            self.tensors.append(dict(type=name, np=npy, shape=shape, scales=scales, zps=zps,
                                     data=data, var=var))
        n, p = vec(sg(3))
        self.ops = []
        for k in range(n):
            t = table(ref(p + 4 * k))
            opcode = u32(t(0)) if t(0) else 0
            inn, ip = vec(t(1))
            on, op = vec(t(2))
            opts = {}
            if t(4):
                o = table(ref(t(4)))
                opts = {i: o(i) for i in range(8)}
            self.ops.append(dict(code=codes[opcode], ins=[i32(ip + 4 * j) for j in range(inn)],
                                 outs=[i32(op + 4 * j) for j in range(on)], opts=opts))
        n, p = vec(sg(1))
        self.inputs = [i32(p + 4 * j) for j in range(n)]
        n, p = vec(sg(2))
        self.outputs = [i32(p + 4 * j) for j in range(n)]

    def opt(self, op, i, fmt, default=0):
        """Field i of op's options table, unpacked with struct format fmt."""
        o = op['opts'].get(i)
        return struct.unpack_from(fmt, self.d, o)[0] if o else default
