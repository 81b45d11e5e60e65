#!/usr/bin/python3
"""gen_float_cnn.py - makes tests/models/float_cnn.onnx, a float32 NCHW CNN of
30.7 M MACs for the float kernels' bench and tests, and its input.

The network (opset 13) has what a float feature extractor has, and what the
float fusions look for: an explicit Pad before a strided conv, conv + Relu,
a depthwise conv, a pointwise conv + LeakyRelu, MaxPool, conv + BatchNorm +
Relu, a residual conv + Add + Relu, a conv + Clip(0, 6),
GlobalAveragePool, Flatten, Gemm, Softmax; the outputs are the logits and
the probabilities:

  x [1,3,96,96] -> Pad 1 -> Conv 3x3/2 3->32 -> Relu                 [1,32,48,48]
    -> Conv dw 3x3 32 -> Relu -> Conv 1x1 32->48 -> LeakyRelu 0.1      [1,48,48,48]
    -> MaxPool 2x2/2 = p                                             [1,48,24,24]
    -> Conv 3x3 48->48 -> BatchNorm -> Relu -> Conv 3x3 48->48 -> Add p -> Relu
    -> Conv 1x1/2 48->96 -> Clip 0..6 -> GlobalAveragePool -> Flatten -> Gemm 96->10
    = logits -> Softmax = probs                                      [1,10]

No onnx/torch package is needed: the protobuf is written by hand below
(field numbers from onnx.proto).  Weights come from numpy's generator with a
fixed seed, so rerunning writes the same bytes.  The reference outputs
(tests/models/float_cnn/{logits,probs}_S.npy for input_S.npy) come from onnxruntime
(npm onnxruntime-node 1.30, tools/ort), an independent implementation:

    (cd tools/ort && ONNXRUNTIME_NODE_INSTALL=skip npm ci)
    /usr/bin/python3 tests/models/gen_float_cnn.py
"""
import os
import struct
import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(HERE, "float_cnn")
SEEDS = (1, 2)


# ---- a minimal protobuf writer (varints, length-delimited fields) ----------

def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def f_int(field, v):
    return key(field, 0) + varint(v)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return key(field, 2) + varint(len(b)) + b


def f_float(field, v):
    return key(field, 5) + struct.pack("<f", v)


# ---- ONNX messages ---------------------------------------------------------

FLOAT, INT64 = 1, 7


def tensor(name, arr):
    arr = np.ascontiguousarray(arr)
    dt = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}[arr.dtype]
    return (b"".join(f_int(1, d) for d in arr.shape) + f_int(2, dt) + f_bytes(8, name) +
            f_bytes(9, arr.astype(arr.dtype.newbyteorder("<")).tobytes()))


def attr_int(name, v):
    return f_bytes(1, name) + f_int(3, v) + f_int(20, 2)


def attr_float(name, v):
    return f_bytes(1, name) + f_float(2, v) + f_int(20, 1)


def attr_ints(name, vs):
    return f_bytes(1, name) + b"".join(f_int(8, v) for v in vs) + f_int(20, 7)


def node(op, inputs, outputs, name, attrs=()):
    return (b"".join(f_bytes(1, i) for i in inputs) + b"".join(f_bytes(2, o) for o in outputs) +
            f_bytes(3, name) + f_bytes(4, op) + b"".join(f_bytes(5, a) for a in attrs))


def value_info(name, shape):
    dims = b"".join(f_bytes(1, f_int(1, d)) for d in shape)
    tensor_type = f_int(1, FLOAT) + f_bytes(2, dims)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, tensor_type))


def model(nodes, inits, inputs, outputs):
    graph = (b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, "float_cnn") +
             b"".join(f_bytes(5, t) for t in inits) +
             b"".join(f_bytes(11, value_info(*i)) for i in inputs) +
             b"".join(f_bytes(12, value_info(*o)) for o in outputs))
    opset = f_bytes(1, "") + f_int(2, 13)
    return f_int(1, 7) + f_bytes(2, "kiln-tests gen_float_cnn.py") + f_bytes(7, graph) + f_bytes(8, opset)


# ---- the network -------------------------------------------------------------

def build():
    rng = np.random.default_rng(20261205)
    nodes, inits = [], []
    macs = [0]

    def const(name, arr):
        inits.append(tensor(name, arr))
        return name

    def conv(name, x, cin, cout, k, hw_out, stride=1, pad=None, group=1, bias=True):
        fan_in = cin // group * k * k
        w = rng.standard_normal((cout, cin // group, k, k)).astype(np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        ins = [x, const(name + ".w", w)]
        if bias:
            ins.append(const(name + ".b", (rng.standard_normal(cout) * 0.1).astype(np.float32)))
        p = k // 2 if pad is None else pad
        attrs = [attr_ints("kernel_shape", [k, k]), attr_ints("strides", [stride, stride]),
                 attr_ints("pads", [p, p, p, p]), attr_int("group", group)]
        nodes.append(node("Conv", ins, [name], name, attrs))
        macs[0] += hw_out * hw_out * cout * (cin // group) * k * k
        return name

    def op(kind, ins, name, attrs=()):
        nodes.append(node(kind, ins, [name], name, attrs))
        return name

    pads = const("pad1.pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))
    t = op("Pad", ["x", pads], "pad1")
    t = op("Relu", [conv("conv1", t, 3, 32, 3, 48, stride=2, pad=0)], "relu1")
    t = op("Relu", [conv("dw2", t, 32, 32, 3, 48, group=32)], "relu2")
    t = op("LeakyRelu", [conv("pw3", t, 32, 48, 1, 48)], "lrelu3", [attr_float("alpha", 0.1)])
    p = op("MaxPool", [t], "pool4", [attr_ints("kernel_shape", [2, 2]), attr_ints("strides", [2, 2])])
    t = conv("conv5", p, 48, 48, 3, 24, bias=False)
    bn = [const("bn5." + n, v.astype(np.float32)) for n, v in (
        ("gamma", rng.uniform(0.5, 1.5, 48)), ("beta", rng.standard_normal(48) * 0.1),
        ("mean", rng.standard_normal(48) * 0.1), ("var", rng.uniform(0.5, 1.5, 48)))]
    t = op("BatchNormalization", [t] + bn, "bn5", [attr_float("epsilon", 1e-5)])
    t = op("Relu", [t], "relu5")
    t = conv("conv6", t, 48, 48, 3, 24)
    t = op("Relu", [op("Add", [t, p], "add6")], "relu6")
    t = conv("conv7", t, 48, 96, 1, 12, stride=2)
    t = op("Clip", [t, const("clip.lo", np.array(0, np.float32)), const("clip.hi", np.array(6, np.float32))], "clip7")
    t = op("Flatten", [op("GlobalAveragePool", [t], "gap8")], "flat8")
    gw = const("fc.w", (rng.standard_normal((10, 96)) * np.sqrt(1 / 96)).astype(np.float32))
    gb = const("fc.b", (rng.standard_normal(10) * 0.1).astype(np.float32))
    t = op("Gemm", [t, gw, gb], "logits", [attr_int("transB", 1)])
    macs[0] += 960
    op("Softmax", [t], "probs", [attr_int("axis", 1)])
    return model(nodes, inits, [("x", [1, 3, 96, 96])], [("logits", [1, 10]), ("probs", [1, 10])]), macs[0]


def main():
    m, macs = build()
    path = os.path.join(HERE, "float_cnn.onnx")
    with open(path, "wb") as f:
        f.write(m)
    print(f"wrote {path}: {len(m)} bytes, {macs:,} MACs")
    os.makedirs(OUT_DIR, exist_ok=True)
    modules = os.path.join(ROOT, "tools", "ort", "node_modules")
    for s in SEEDS:
        x = np.random.default_rng(s).standard_normal((1, 3, 96, 96)).astype(np.float32)
        inp = os.path.join(OUT_DIR, f"input_{s}.npy")
        np.save(inp, x)
        subprocess.run(["node", os.path.join(ROOT, "tests", "gen", "ort_run.mjs"), path, OUT_DIR, str(s), inp],
                       check=True, env=dict(os.environ, NODE_PATH=modules))


if __name__ == "__main__":
    main()
