#!/usr/bin/python3
"""gen_qdq_ort.py - makes tests/models/qdq_ort_resnet.onnx, a small residual CNN
quantized the way onnxruntime's quantize_static writes QDQ models, and its
reference outputs computed by onnxruntime.

The float network (weights from a fixed seed):

  x [1,3,16,16] -> Conv 3->8 k3 + ReLU -> MaxPool 2x2          (8x8)
     -> Conv 8->8 k3 + ReLU -> Conv 8->8 k3 -> Add(skip) -> AveragePool 2x2 (4x4)
     -> Conv 1x1 8->16 + ReLU -> GlobalAveragePool -> Flatten
     -> MatMul [16,12] -> Gemm (transB) [12->10] + bias -> y [1,10]

Quantized as quantize_static does with its defaults for x86 (QDQ format,
QUInt8 activations, QInt8 weights, per_channel=True, MinMax calibration):
  - activations: uint8, asymmetric, range [min(0,lo), max(0,hi)] over the
    calibration inputs, scale = (hi-lo)/255, zero point = round(-lo/scale);
  - weights: int8 symmetric per output channel (Conv axis 0, Gemm with
    transB axis 0, MatMul B per column, axis 1): scale = max|w|/127, zp 0;
  - biases: int32 = round(b / (s_x*s_w[c])) with scale s_x*s_w[c], zp 0;
  - a ReLU after a Conv is not kept: the Conv's output is quantized with the
    ReLU's output range (zero point 0), which clamps negatives the same way;
  - MaxPool's output reuses its input's quantization (as the quantizer does
    for ops that only move data); every other op gets its own.
Each op therefore reads DequantizeLinear outputs and feeds one
QuantizeLinear: Conv, MaxPool, Add, AveragePool, GlobalAveragePool, Flatten,
MatMul and Gemm.  The graph has two outputs: y (the final DequantizeLinear,
float) and y_q (the uint8 tensor before it), so a test can compare the
integers exactly.

Reference outputs (tests/models/qdq_ort_resnet/): onnxruntime (npm package
onnxruntime-node, default session options, so its QDQ fusion runs the
QLinear* kernels) through tests/gen/ort_run.mjs:
    input_S.npy -> ort_y_S.npy, ort_y_q_S.npy     for S in 1 2 3
The float network's own outputs (no quantization) are float_y_S.npy, to show
how far quantization moves the result.  qdq_ort_resnet_taps.onnx is the same
model with every QuantizeLinear output also a graph output;
qdq_ort_resnet/taps_1/ holds onnxruntime's values of all of them for input 1
(expected.txt lists them in output order), so every layer can be compared.

Needs Debian's python3 (numpy, torch, onnx) and node with onnxruntime-node:
    mkdir -p /tmp/ort && cd /tmp/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
    ORT_NODE_MODULES=/tmp/ort/node_modules /usr/bin/python3 tests/models/gen_qdq_ort.py
The outputs are committed; tests never need node.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qdq_taps import ort_run, write_taps  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "qdq_ort_resnet"


def float_weights(seed):
    g = torch.Generator().manual_seed(seed)

    def w(*shape, fan_in):
        return (torch.rand(*shape, generator=g) * 2 - 1) * (1.5 / fan_in ** 0.5)

    return {
        "c1_w": w(8, 3, 3, 3, fan_in=27), "c1_b": w(8, fan_in=27),
        "c2_w": w(8, 8, 3, 3, fan_in=72), "c2_b": w(8, fan_in=72),
        "c3_w": w(8, 8, 3, 3, fan_in=72), "c3_b": w(8, fan_in=72),
        "c4_w": w(16, 8, 1, 1, fan_in=8), "c4_b": w(16, fan_in=8),
        "mm_w": w(16, 12, fan_in=16),
        "fc_w": w(10, 12, fan_in=12), "fc_b": w(10, fan_in=12),
    }


def forward(W, x, fq=None):
    """The float network; fq(name, t) is applied to every activation the
    quantized model quantizes (identity for the float run, a recorder for
    calibration)."""
    fq = fq or (lambda name, t: t)
    a = fq("x", x)
    c1 = fq("c1", F.relu(F.conv2d(a, W["c1_w"], W["c1_b"], padding=1)))
    p1 = F.max_pool2d(c1, 2)                          # same quantization as c1
    c2 = fq("c2", F.relu(F.conv2d(p1, W["c2_w"], W["c2_b"], padding=1)))
    c3 = fq("c3", F.conv2d(c2, W["c3_w"], W["c3_b"], padding=1))
    s = fq("add", c3 + p1)
    p2 = fq("avg", F.avg_pool2d(s, 2))
    c4 = fq("c4", F.relu(F.conv2d(p2, W["c4_w"], W["c4_b"])))
    g = fq("gap", F.adaptive_avg_pool2d(c4, 1))
    f = torch.flatten(g, 1)                           # same quantization as gap
    m = fq("mm", f @ W["mm_w"])
    y = fq("y", F.linear(m, W["fc_w"], W["fc_b"]))
    return y


def act_qparams(lo, hi):
    lo, hi = min(0.0, lo), max(0.0, hi)
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(np.round(-lo / np.float64(scale)), 0, 255))
    return scale, np.uint8(zp)


def weight_qparams(w, axis):
    """Symmetric int8 per channel along axis: scale = max|w|/127."""
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.abs(w).max(axis=red)
    scale = (np.maximum(amax, 1e-8) / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def build(W, qp):
    inits, nodes = [], []

    def const(name, arr):
        inits.append(nh.from_array(np.asarray(arr), name))
        return name

    def act_params(act):
        """The scale and zero point initializers of activation `act`, made once."""
        if act not in names:
            names.add(act)
            const(f"{act}_scale", qp[act][0])
            const(f"{act}_zp", qp[act][1])
        return f"{act}_scale", f"{act}_zp"

    def q(src, act, out=None):
        sn, zn = act_params(act)
        out = out or f"{src}_q"
        nodes.append(h.make_node("QuantizeLinear", [src, sn, zn], [out], name=f"{src}_QuantizeLinear"))
        return out

    def dq(src, act, out=None):
        out = out or f"{src}_dq"
        nodes.append(h.make_node("DequantizeLinear", [src, f"{act}_scale", f"{act}_zp"], [out],
                                 name=f"{src}_DequantizeLinear"))
        return out

    def dq_weight(name, w, axis):
        wq, ws = weight_qparams(w, axis)
        const(f"{name}_quantized", wq)
        const(f"{name}_scale", ws)
        const(f"{name}_zero_point", np.zeros(ws.shape, np.int8))
        nodes.append(h.make_node("DequantizeLinear", [f"{name}_quantized", f"{name}_scale",
                                                      f"{name}_zero_point"], [f"{name}_dq"], axis=axis,
                                 name=f"{name}_DequantizeLinear"))
        return f"{name}_dq", ws

    def dq_bias(name, b, s_x, s_w):
        s_b = (np.float32(s_x) * s_w).astype(np.float32)
        bq = np.round(b / s_b.astype(np.float64)).astype(np.int32)
        const(f"{name}_quantized", bq)
        const(f"{name}_scale", s_b)
        const(f"{name}_zero_point", np.zeros(s_b.shape, np.int32))
        nodes.append(h.make_node("DequantizeLinear", [f"{name}_quantized", f"{name}_scale",
                                                      f"{name}_zero_point"], [f"{name}_dq"], axis=0,
                                 name=f"{name}_DequantizeLinear"))
        return f"{name}_dq"

    def conv(name, x_act, src_dq, out_act, pads):
        w, ws = dq_weight(f"{name}_w", W[f"{name}_w"], 0)
        b = dq_bias(f"{name}_b", W[f"{name}_b"], qp[x_act][0], ws)
        k = W[f"{name}_w"].shape[2]
        nodes.append(h.make_node("Conv", [src_dq, w, b], [f"{name}_out"], kernel_shape=[k, k], pads=[pads] * 4,
                                 name=name))
        return dq(q(f"{name}_out", out_act), out_act)

    names = set()
    xd = dq(q("x", "x"), "x")
    c1 = conv("c1", "x", xd, "c1", 1)
    nodes.append(h.make_node("MaxPool", [c1], ["p1_out"], kernel_shape=[2, 2], strides=[2, 2], name="p1"))
    p1 = dq(q("p1_out", "c1"), "c1", "p1_dq")
    c2 = conv("c2", "c1", p1, "c2", 1)
    c3 = conv("c3", "c2", c2, "c3", 1)
    nodes.append(h.make_node("Add", [c3, p1], ["add_out"], name="add"))
    s = dq(q("add_out", "add"), "add")
    nodes.append(h.make_node("AveragePool", [s], ["avg_out"], kernel_shape=[2, 2], strides=[2, 2], name="avg"))
    a = dq(q("avg_out", "avg"), "avg")
    c4 = conv("c4", "avg", a, "c4", 0)
    nodes.append(h.make_node("GlobalAveragePool", [c4], ["gap_out"], name="gap"))
    g = dq(q("gap_out", "gap"), "gap")
    nodes.append(h.make_node("Flatten", [g], ["flat_out"], axis=1, name="flat"))
    f = dq(q("flat_out", "gap"), "gap", "flat_dq")
    mw, _ = dq_weight("mm_w", W["mm_w"], 1)
    nodes.append(h.make_node("MatMul", [f, mw], ["mm_out"], name="mm"))
    m = dq(q("mm_out", "mm"), "mm")
    fw, fs = dq_weight("fc_w", W["fc_w"], 0)
    fb = dq_bias("fc_b", W["fc_b"], qp["mm"][0], fs)
    nodes.append(h.make_node("Gemm", [m, fw, fb], ["fc_out"], transB=1, name="fc"))
    q("fc_out", "y", "y_q")
    dq("y_q", "y", "y")
    graph = h.make_graph(nodes, NAME, [h.make_tensor_value_info("x", T.FLOAT, [1, 3, 16, 16])],
                         [h.make_tensor_value_info("y", T.FLOAT, [1, 10]),
                          h.make_tensor_value_info("y_q", T.UINT8, [1, 10])], initializer=inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], producer_name="kiln-tests")
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def to_np(W):
    return {k: v.numpy().astype(np.float32) for k, v in W.items()}


def main():
    W = float_weights(2024)
    # Calibration: MinMax over 16 fixed random inputs.
    rng = np.random.default_rng(100)
    ranges = {}

    def record(name, t):
        lo, hi = float(t.min()), float(t.max())
        a, b = ranges.get(name, (lo, hi))
        ranges[name] = (min(a, lo), max(b, hi))
        return t

    with torch.no_grad():
        for _ in range(16):
            forward(W, torch.from_numpy(rng.uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)), record)
    qp = {k: act_qparams(*v) for k, v in ranges.items()}
    model = build(to_np(W), qp)
    path = os.path.join(HERE, NAME + ".onnx")
    onnx.save(model, path)
    print("wrote", path, "ops:", ", ".join(sorted({n.op_type for n in model.graph.node})))

    out = os.path.join(HERE, NAME)
    os.makedirs(out, exist_ok=True)
    for seed in (1, 2, 3):
        x = np.random.default_rng(seed).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
        inp = os.path.join(out, f"input_{seed}.npy")
        np.save(inp, x)
        with torch.no_grad():
            np.save(os.path.join(out, f"float_y_{seed}.npy"), forward(W, torch.from_numpy(x)).numpy())
        files = ort_run(path, out, str(seed), [inp])
        for o in ("y", "y_q"):
            os.replace(files[o], os.path.join(out, f"ort_{o}_{seed}.npy"))
    write_taps(path, os.path.join(HERE, NAME + "_taps.onnx"), [os.path.join(out, "input_1.npy")],
               os.path.join(out, "taps_1"))
    print("wrote", out)


if __name__ == "__main__":
    main()
