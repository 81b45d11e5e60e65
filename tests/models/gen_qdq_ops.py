#!/usr/bin/python3
"""gen_qdq_ops.py - makes tests/models/qdq_ops_u8.onnx and qdq_ops_s8.onnx:
one QDQ group per op whose onnxruntime kernel computes in float (Add,
AveragePool) or rounds ties its own way (GlobalAveragePool), on tensors big
enough (thousands of elements, many exact .5 ties) that any difference in
the order of operations from onnxruntime's would show; plus MaxPool.

Graph inputs are the quantized tensors themselves (a, b [1,8,24,24], c
[1,8,1,1]), so every output comes from exactly one op:
  add_q    DQ(a) + DQ(b)              -> Q    (QLinearAdd)
  addc_q   DQ(a) + DQ(c), c broadcast -> Q    (QLinearAdd, per-channel scalar)
  avg2_q   AveragePool 2x2/2 of DQ(a) -> Q with a's quantization (ties)
  avg3_q   AveragePool 3x3/1 pad 1 (count_include_pad 0) of DQ(b) -> Q
  avg3p_q  the same with count_include_pad 1, other output scale
  gap_q    GlobalAveragePool of DQ(a) -> Q with a's quantization
  max_q    MaxPool 3x3/2 pad 1 of DQ(b) -> Q with b's quantization
qdq_ops_u8 uses uint8 (onnxruntime's x86 default: all groups become QLinear*
kernels); qdq_ops_s8 uses int8 and is run with session.qdqisint8allowed=1,
without which onnxruntime on x86 runs int8 groups in float.

Reference outputs (tests/models/qdq_ops_{u8,s8}/): onnxruntime (npm
onnxruntime-node) through tests/gen/ort_run.mjs: in_{a,b,c}_S.npy ->
ort_<output>_S.npy for S in 1 2.  Run with Debian's python3 and node (see
gen_qdq_ort.py):  /usr/bin/python3 tests/models/gen_qdq_ops.py
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_MODULES = os.environ.get("ORT_NODE_MODULES", "/tmp/ortn/node_modules")
OUTS = ["add_q", "addc_q", "avg2_q", "avg3_q", "avg3p_q", "gap_q", "max_q"]
SHAPES = {"add_q": [1, 8, 24, 24], "addc_q": [1, 8, 24, 24], "avg2_q": [1, 8, 12, 12], "avg3_q": [1, 8, 24, 24],
          "avg3p_q": [1, 8, 24, 24], "gap_q": [1, 8, 1, 1], "max_q": [1, 8, 12, 12]}


def build(signed):
    dt, npdt = (T.INT8, np.int8) if signed else (T.UINT8, np.uint8)
    off = -128 if signed else 0
    qp = {  # scale, zero point (in the unsigned domain; shifted for int8)
        "a": (0.0123, 131), "b": (0.0071, 97), "c": (0.0309, 140),
        "add": (0.0167, 120), "addc": (0.0188, 126), "avg3": (0.0091, 101), "avg3p": (0.0061, 93),
    }
    inits, nodes = [], []
    for k, (s, z) in qp.items():
        inits += [nh.from_array(np.array(s, np.float32), f"{k}_s"), nh.from_array(np.array(z + off, npdt), f"{k}_z")]

    def dq(x, p):
        nodes.append(h.make_node("DequantizeLinear", [x, f"{p}_s", f"{p}_z"], [f"{x}_dq_{len(nodes)}"]))
        return nodes[-1].output[0]

    def op(kind, ins, out, p, **attrs):
        nodes.append(h.make_node(kind, ins, [out + "_f"], name=out, **attrs))
        nodes.append(h.make_node("QuantizeLinear", [out + "_f", f"{p}_s", f"{p}_z"], [out]))

    op("Add", [dq("a", "a"), dq("b", "b")], "add_q", "add")
    op("Add", [dq("a", "a"), dq("c", "c")], "addc_q", "addc")
    op("AveragePool", [dq("a", "a")], "avg2_q", "a", kernel_shape=[2, 2], strides=[2, 2])
    op("AveragePool", [dq("b", "b")], "avg3_q", "avg3", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    op("AveragePool", [dq("b", "b")], "avg3p_q", "avg3p", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
       count_include_pad=1)
    op("GlobalAveragePool", [dq("a", "a")], "gap_q", "a")
    op("MaxPool", [dq("b", "b")], "max_q", "b", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    name = "qdq_ops_s8" if signed else "qdq_ops_u8"
    g = h.make_graph(nodes, name,
                     [h.make_tensor_value_info("a", dt, [1, 8, 24, 24]), h.make_tensor_value_info("b", dt, [1, 8, 24, 24]),
                      h.make_tensor_value_info("c", dt, [1, 8, 1, 1])],
                     [h.make_tensor_value_info(o, dt, SHAPES[o]) for o in OUTS], initializer=inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="kiln-tests")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return name, m, npdt


def main():
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    for signed in (False, True):
        name, m, npdt = build(signed)
        path = os.path.join(HERE, name + ".onnx")
        onnx.save(m, path)
        out = os.path.join(HERE, name)
        os.makedirs(out, exist_ok=True)
        info = np.iinfo(npdt)
        for seed in (1, 2):
            rng = np.random.default_rng(seed + (10 if signed else 0))
            ins = []
            for k, shape in (("a", (1, 8, 24, 24)), ("b", (1, 8, 24, 24)), ("c", (1, 8, 1, 1))):
                f = os.path.join(out, f"in_{k}_{seed}.npy")
                np.save(f, rng.integers(info.min, info.max + 1, shape, dtype=npdt))
                ins.append(f)
            cmd = ["node", os.path.join(ROOT, "tests/gen/ort_run.mjs"), path, out, str(seed)] + ins
            if signed:
                cmd += ["--config", "session.qdqisint8allowed=1"]
            r = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if r.returncode:
                sys.exit("onnxruntime failed:\n" + r.stdout + r.stderr)
            for o in OUTS:
                os.replace(os.path.join(out, f"{o}_{seed}.npy"), os.path.join(out, f"ort_{o}_{seed}.npy"))
        print("wrote", path, "and", out)


if __name__ == "__main__":
    main()
