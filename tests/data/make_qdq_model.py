#!/usr/bin/python3
"""make_qdq_model.py - writes tests/data/qdq_conv_gemm.onnx, a small model in
the QDQ form onnxruntime's static quantizer produces (opset 13):

  x (float [1,3,8,8]) -> QuantizeLinear -> DequantizeLinear
    -> Conv(W = DQ(int8, per output channel), B = DQ(int32, scale s_x*s_w))
    -> Relu -> QuantizeLinear -> DequantizeLinear
    -> GlobalAveragePool -> QuantizeLinear -> DequantizeLinear -> Flatten
    -> Gemm(B = DQ(int8 [K,N], per column), C = DQ(int32)) -> QuantizeLinear
    -> DequantizeLinear -> y (float [1,5])

Weights are fixed small integers so the file is reproducible.  Run with
Debian's python3 (it has the onnx package): /usr/bin/python3 tests/data/make_qdq_model.py
"""
import os
import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as T

def init(name, arr):
    return nh.from_array(np.asarray(arr), name)

s_x, z_x = np.float32(0.02), np.int8(-3)
w = (np.arange(8 * 3 * 3 * 3).reshape(8, 3, 3, 3) % 11 - 5).astype(np.int8)
s_w = np.array([0.01 * (i + 1) for i in range(8)], np.float32)
b = np.arange(-4, 4).astype(np.int32) * 7
s_b = (s_x * s_w).astype(np.float32)
s_c, z_c = np.float32(0.05), np.int8(-128)
s_p, z_p = np.float32(0.05), np.int8(-128)
g = (np.arange(8 * 5).reshape(8, 5) % 7 - 3).astype(np.int8)          # [K, N]
s_g = np.array([0.02, 0.03, 0.04, 0.05, 0.06], np.float32)
s_gb = (s_p * s_g).astype(np.float32)
gb = np.array([5, -5, 10, -10, 0], np.int32)
s_y, z_y = np.float32(0.1), np.int8(0)

inits = [
    init("s_x", s_x), init("z_x", z_x), init("w_q", w), init("s_w", s_w), init("z_w", np.zeros(8, np.int8)),
    init("b_q", b), init("s_b", s_b), init("z_b", np.zeros(8, np.int32)),
    init("s_c", s_c), init("z_c", z_c), init("s_p", s_p), init("z_p", z_p),
    init("g_q", g), init("s_g", s_g), init("z_g", np.zeros(5, np.int8)),
    init("gb_q", gb), init("s_gb", s_gb), init("z_gb", np.zeros(5, np.int32)),
    init("s_y", s_y), init("z_y", z_y),
]
nodes = [
    h.make_node("QuantizeLinear", ["x", "s_x", "z_x"], ["x_q"]),
    h.make_node("DequantizeLinear", ["x_q", "s_x", "z_x"], ["x_dq"]),
    h.make_node("DequantizeLinear", ["w_q", "s_w", "z_w"], ["w_dq"], axis=0),
    h.make_node("DequantizeLinear", ["b_q", "s_b", "z_b"], ["b_dq"], axis=0),
    h.make_node("Conv", ["x_dq", "w_dq", "b_dq"], ["c"], pads=[1, 1, 1, 1], name="conv"),
    h.make_node("Relu", ["c"], ["r"], name="relu"),
    h.make_node("QuantizeLinear", ["r", "s_c", "z_c"], ["r_q"]),
    h.make_node("DequantizeLinear", ["r_q", "s_c", "z_c"], ["r_dq"]),
    h.make_node("GlobalAveragePool", ["r_dq"], ["p"], name="gap"),
    h.make_node("QuantizeLinear", ["p", "s_p", "z_p"], ["p_q"]),
    h.make_node("DequantizeLinear", ["p_q", "s_p", "z_p"], ["p_dq"]),
    h.make_node("Flatten", ["p_dq"], ["f"]),
    h.make_node("DequantizeLinear", ["g_q", "s_g", "z_g"], ["g_dq"], axis=1),
    h.make_node("DequantizeLinear", ["gb_q", "s_gb", "z_gb"], ["gb_dq"], axis=0),
    h.make_node("Gemm", ["f", "g_dq", "gb_dq"], ["m"], name="fc"),
    h.make_node("QuantizeLinear", ["m", "s_y", "z_y"], ["m_q"]),
    h.make_node("DequantizeLinear", ["m_q", "s_y", "z_y"], ["y"]),
]
graph = h.make_graph(nodes, "qdq_conv_gemm", [h.make_tensor_value_info("x", T.FLOAT, [1, 3, 8, 8])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 5])], initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], producer_name="kiln-tests")
model.ir_version = 7
onnx.checker.check_model(model)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qdq_conv_gemm.onnx")
onnx.save(model, out)
print("wrote", out)
