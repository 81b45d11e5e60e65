#!/usr/bin/python3
"""make_onnx_extra.py - writes tests/data/onnx_extra/*.onnx and expected.tsv.

Small models for what the ONNX conformance cases do not cover: the old
attribute forms (opsets 6-12), Upsample, Resize 10/11/13, Dropout, Cast and
Constant chains, Gemm with constant weights, bidirectional LSTM, ...  The
expected output dtypes and shapes come from onnx's own shape inference
(onnx.shape_inference, strict mode), not from Kiln; models Kiln must refuse
carry the word their message has to contain.  Run with Debian's python3:
    /usr/bin/python3 tests/data/make_onnx_extra.py
"""
import os
import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as T, shape_inference

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_extra")
NAMES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool"}
rows = []

def vi(name, dt, shape):
    return h.make_tensor_value_info(name, dt, shape)

def model(name, opset, nodes, inputs, outputs, inits=(), refuse=None, by_hand=None):
    """by_hand: expected outputs worked out by hand, for the few cases onnx
    1.12's shape inference leaves open (the working is in a comment)."""
    g = h.make_graph(nodes, name, [vi(*i) for i in inputs], [vi(o, T.UNDEFINED, None) for o in outputs],
                     initializer=[nh.from_array(np.asarray(v), k) for k, v in inits])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)], producer_name="kiln-tests")
    m.ir_version = 7
    path = os.path.join(OUT, name + ".onnx")
    if refuse:
        onnx.save(m, path)
        rows.append((name, "-", "refuse:" + refuse))
        return
    inf = shape_inference.infer_shapes(m, strict_mode=True)
    want = []
    for o in outputs:
        t = [v for v in list(inf.graph.value_info) + list(inf.graph.output)
             if v.name == o and v.type.tensor_type.HasField("shape")]
        if not t or any(not d.HasField("dim_value") for d in t[-1].type.tensor_type.shape.dim):
            if by_hand is None:
                raise SystemExit("%s: onnx cannot infer %s; give it by hand" % (name, o))
            want = by_hand
            break
        tt = t[-1].type.tensor_type
        want.append("%s[%s]" % (NAMES[tt.elem_type], ",".join(str(d.dim_value) for d in tt.shape.dim)))
    # keep the file's own output declarations empty: Kiln must infer them itself
    onnx.save(m, path)
    rows.append((name, " ".join(want), "ok"))

f32 = np.float32
i64 = np.int64
X = lambda *s: ("x", T.FLOAT, list(s))

os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))

# --- resizing
model("upsample9_nearest", 9, [h.make_node("Upsample", ["x", "s"], ["y"])], [X(1, 2, 3, 4)], ["y"],
      [("s", f32([1, 1, 2, 3]))])
model("upsample7_linear", 7, [h.make_node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 2.0], mode="linear")],
      [X(1, 1, 3, 5)], ["y"])
model("resize10_down", 10, [h.make_node("Resize", ["x", "s"], ["y"])], [X(1, 1, 4, 6)], ["y"],
      [("s", f32([1, 1, 0.5, 0.5]))])
model("resize11_sizes_cubic", 11, [h.make_node("Resize", ["x", "roi", "sc", "sz"], ["y"], mode="cubic",
      coordinate_transformation_mode="align_corners")], [X(1, 1, 4, 4)], ["y"],
      [("roi", f32([])), ("sc", f32([])), ("sz", i64([1, 1, 5, 7]))])
model("resize13_scales_linear", 13, [h.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear")],
      [X(1, 2, 4, 4)], ["y"], [("sc", f32([1, 1, 1.5, 2.5]))])
# --- old attribute forms
# axis 1: 1..min(1000,10) -> 9; axis 0: -3..-1 = 2..4 -> 2
model("slice9_attrs", 9, [h.make_node("Slice", ["x"], ["y"], starts=[1, -3], ends=[1000, -1], axes=[1, 0])],
      [X(5, 10)], ["y"], by_hand=["float32[2,9]"])
model("split11_attr", 11, [h.make_node("Split", ["x"], ["a", "b"], axis=1, split=[2, 3])], [X(4, 5)], ["a", "b"])
model("split11_equal", 11, [h.make_node("Split", ["x"], ["a", "b", "c"], axis=-1)], [X(4, 6)], ["a", "b", "c"])
model("squeeze11_attr", 11, [h.make_node("Squeeze", ["x"], ["y"], axes=[1, -1])], [X(3, 1, 4, 1)], ["y"])
# no axes: every 1 goes -> [3,4]
model("squeeze11_all", 11, [h.make_node("Squeeze", ["x"], ["y"])], [X(1, 3, 1, 4)], ["y"], by_hand=["float32[3,4]"])
model("unsqueeze11_attr", 11, [h.make_node("Unsqueeze", ["x"], ["y"], axes=[0, 3])], [X(3, 4)], ["y"])
model("reducemean13_attr", 13, [h.make_node("ReduceMean", ["x"], ["y"], axes=[1, -2], keepdims=0)],
      [X(2, 3, 4, 5)], ["y"])
model("reducemean11_all", 11, [h.make_node("ReduceMean", ["x"], ["y"])], [X(2, 3, 4)], ["y"])
model("pad11_reflect", 11, [h.make_node("Pad", ["x", "p"], ["y"], mode="reflect")], [X(1, 1, 4, 4)], ["y"],
      [("p", i64([0, 0, 1, 1, 0, 0, 2, 2]))])
model("pad2_attr_edge", 6, [h.make_node("Pad", ["x"], ["y"], mode="edge", pads=[0, 1, 0, 2])], [X(3, 4)], ["y"])
model("clip6_attr", 6, [h.make_node("Clip", ["x"], ["y"], min=0.0, max=6.0)], [X(2, 3)], ["y"])
model("clip11_min_only", 11, [h.make_node("Clip", ["x", "lo"], ["y"])], [X(2, 3)], ["y"], [("lo", f32(-1.0))])
model("batchnorm7_spatial", 7, [h.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=1)],
      [X(2, 3, 4)], ["y"], [("s", f32([1, 2, 3])), ("b", f32([0, 0, 1])), ("m", f32([0, 1, 0])), ("v", f32([1, 1, 2]))])
model("maxpool8_indices", 8, [h.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], strides=[2, 2],
      storage_order=1)], [X(1, 2, 5, 5)], ["y", "i"])
model("maxpool10_ceil", 10, [h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2], ceil_mode=1)],
      [X(1, 2, 10)], ["y"])
model("avgpool7_include_pad", 7, [h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3, 3],
      pads=[1, 1, 1, 1, 1, 1], count_include_pad=1)], [X(1, 1, 4, 4, 4)], ["y"])
model("add6_legacy_broadcast", 6, [h.make_node("Add", ["x", "b"], ["y"], broadcast=1, axis=1)],
      [X(2, 3, 4, 5), ("b", T.FLOAT, [3, 4])], ["y"])
model("softmax11_axis", 11, [h.make_node("Softmax", ["x"], ["y"], axis=-2)], [X(2, 3, 4)], ["y"])
model("flatten9_axis0", 9, [h.make_node("Flatten", ["x"], ["y"], axis=0)], [X(2, 3, 4)], ["y"])
model("concat6", 6, [h.make_node("Concat", ["x", "z"], ["y"], axis=2)], [X(1, 2, 3), ("z", T.FLOAT, [1, 2, 5])],
      ["y"])
model("transpose_default", 13, [h.make_node("Transpose", ["x"], ["y"])], [X(2, 3, 4)], ["y"])
model("reshape13_zero", 13, [h.make_node("Reshape", ["x", "s"], ["y"])], [X(2, 3, 4)], ["y"],
      [("s", i64([0, -1]))])
# --- constants, casts, identities
# before opset 10 the mask has the input's type
model("dropout7_mask", 7, [h.make_node("Dropout", ["x"], ["y", "m"], ratio=0.3)], [X(2, 3)], ["y", "m"],
      by_hand=["float32[2,3]", "float32[2,3]"])
model("dropout12_mask", 12, [h.make_node("Dropout", ["x", "r"], ["y", "m"])], [X(2, 3)], ["y", "m"],
      [("r", f32(0.5))])
model("dropout6_is_test", 6, [h.make_node("Dropout", ["x"], ["y"], is_test=1)], [X(2, 3)], ["y"])
model("identity13", 13, [h.make_node("Identity", ["x"], ["y"])], [X(2, 3)], ["y"])
# Cast(Constant [3.0, 8.0]) -> int64 [3, 8] as Reshape's shape: [2,12] -> [3,8]
model("cast_chain", 13, [h.make_node("Constant", [], ["c"], value=nh.from_array(f32([3.0, 8.0]))),
      h.make_node("Cast", ["c"], ["ci"], to=T.INT64), h.make_node("Reshape", ["x", "ci"], ["y"]),
      h.make_node("Cast", ["y"], ["z"], to=T.INT32)], [X(2, 12)], ["y", "z"],
      by_hand=["float32[3,8]", "int32[3,8]"])
# [1,2,3] reshaped to [1,3], added to [2,1,3] -> [2,1,3]
model("constant_forms", 13, [h.make_node("Constant", [], ["a"], value_floats=[1.0, 2.0, 3.0]),
      h.make_node("Constant", [], ["k"], value_ints=[1, 3]),
      h.make_node("Reshape", ["a", "k"], ["ar"]), h.make_node("Add", ["x", "ar"], ["y"])], [X(2, 1, 3)], ["y"],
      by_hand=["float32[2,1,3]"])
model("hardswish14", 14, [h.make_node("HardSwish", ["x"], ["y"])], [X(1, 8)], ["y"])
model("activations", 13, [h.make_node("LeakyRelu", ["x"], ["a"], alpha=0.2), h.make_node("Sigmoid", ["a"], ["b"]),
      h.make_node("Tanh", ["b"], ["c"]), h.make_node("HardSigmoid", ["c"], ["d"]),
      h.make_node("Relu", ["d"], ["y"])], [X(4, 5)], ["y"])
# --- dense and conv with constant weights
model("gemm11_const_b", 11, [h.make_node("Gemm", ["x", "w", "c"], ["y"], alpha=0.5, beta=2.0)], [X(2, 3)], ["y"],
      [("w", f32(np.arange(12).reshape(3, 4))), ("c", f32([1, 2, 3, 4]))])
model("gemm11_transa_matrix_c", 11, [h.make_node("Gemm", ["x", "w", "c"], ["y"], transA=1, transB=1)],
      [X(3, 2)], ["y"], [("w", f32(np.ones((4, 3)))), ("c", f32(np.ones((2, 4))))])
model("matmul_const_3d", 13, [h.make_node("MatMul", ["x", "w"], ["y"])], [X(2, 5, 3)], ["y"],
      [("w", f32(np.ones((3, 7))))])
model("conv1d_group_dilated", 11, [h.make_node("Conv", ["x", "w"], ["y"], group=2, dilations=[2], auto_pad="VALID")],
      [X(1, 4, 20)], ["y"], [("w", f32(np.ones((6, 2, 3))))])
model("conv3d_strided", 11, [h.make_node("Conv", ["x", "w", "b"], ["y"], strides=[2, 1, 2], pads=[1, 0, 1, 1, 0, 1])],
      [X(1, 2, 5, 6, 7)], ["y"], [("w", f32(np.ones((3, 2, 3, 3, 3)))), ("b", f32([1, 2, 3]))])
model("convtranspose11_outpad", 11, [h.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2],
      output_padding=[1, 0], group=2, dilations=[1, 2], pads=[1, 1, 0, 0])], [X(1, 4, 3, 3)], ["y"],
      [("w", f32(np.ones((4, 3, 3, 3))))])
model("globalmaxpool_1d", 11, [h.make_node("GlobalMaxPool", ["x"], ["y"])], [X(2, 3, 9)], ["y"])
# --- recurrent
H = 4
model("lstm7_bidirectional", 7, [h.make_node("LSTM", ["x", "w", "r", "b"], ["y", "yh", "yc"], hidden_size=H,
      direction="bidirectional")], [X(5, 2, 3)], ["y", "yh", "yc"],
      [("w", f32(np.zeros((2, 4 * H, 3)))), ("r", f32(np.zeros((2, 4 * H, H)))), ("b", f32(np.zeros((2, 8 * H))))])
model("gru7_reverse", 7, [h.make_node("GRU", ["x", "w", "r"], ["y", "yh"], hidden_size=H, direction="reverse",
      linear_before_reset=1)], [X(5, 2, 3)], ["y", "yh"],
      [("w", f32(np.zeros((1, 3 * H, 3)))), ("r", f32(np.zeros((1, 3 * H, H))))])
model("lstm14_layout1", 14, [h.make_node("LSTM", ["x", "w", "r"], ["y", "yh"], hidden_size=H, layout=1)],
      [X(2, 5, 3)], ["y", "yh"], [("w", f32(np.zeros((1, 4 * H, 3)))), ("r", f32(np.zeros((1, 4 * H, H))))])
# --- quantization
model("quantize10_default_uint8", 10, [h.make_node("QuantizeLinear", ["x", "s"], ["y"])], [X(2, 3)], ["y"],
      [("s", f32(0.1))])
model("dequantize13_axis0", 13, [h.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=0)],
      [("q", T.INT8, [3, 4])], ["y"], [("s", f32([0.1, 0.2, 0.3])), ("z", np.int8([0, 1, -1]))])
model("matmulinteger_per_row", 10, [h.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])],
      [("a", T.UINT8, [3, 4])], ["y"], [("b", np.uint8(np.ones((4, 2)))), ("za", np.uint8([1, 2, 3])),
      ("zb", np.uint8([5, 6]))])
model("convinteger_per_channel", 10, [h.make_node("ConvInteger", ["x", "w", "zx", "zw"], ["y"], pads=[1, 1, 1, 1])],
      [("x", T.UINT8, [1, 2, 5, 5])], ["y"], [("w", np.uint8(np.ones((3, 2, 3, 3)))), ("zx", np.uint8(3)),
      ("zw", np.uint8([1, 2, 3]))])
# QOperator form: raw uint8 moves through Pad and MaxPool between QLinear ops
model("qop_pad_conv_pool", 13, [h.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
      h.make_node("Pad", ["xq", "p"], ["xp"]),
      h.make_node("QLinearConv", ["xp", "sx", "zx", "w", "sw", "zw", "sy", "zy"], ["yq"]),
      h.make_node("MaxPool", ["yq"], ["mq"], kernel_shape=[2, 2], strides=[2, 2]),
      h.make_node("DequantizeLinear", ["mq", "sy", "zy"], ["y"])], [X(1, 1, 6, 6)], ["y"],
      [("sx", f32(0.5)), ("zx", np.uint8(10)), ("p", i64([0, 0, 1, 1, 0, 0, 1, 1])),
       ("w", np.uint8(np.ones((2, 1, 3, 3)))), ("sw", f32(0.25)), ("zw", np.uint8(0)),
       ("sy", f32(2.0)), ("zy", np.uint8(3))])
# --- refusals (message must contain the word given)
model("refuse_lstm_relu", 7, [h.make_node("LSTM", ["x", "w", "r"], ["y"], hidden_size=H,
      activations=["Relu", "Tanh", "Tanh"])], [X(5, 2, 3)], ["y"],
      [("w", f32(np.zeros((1, 4 * H, 3)))), ("r", f32(np.zeros((1, 4 * H, H))))], refuse="Relu")
model("refuse_pad_wrap_opset11", 11, [h.make_node("Pad", ["x", "p"], ["y"], mode="wrap")], [X(2, 3)], ["y"],
      [("p", i64([0, 1, 0, 1]))], refuse="wrap")
model("refuse_opset5", 5, [h.make_node("Relu", ["x"], ["y"])], [X(2, 3)], ["y"], refuse="opset 5")
model("refuse_custom_domain", 13, [h.make_node("Gelu", ["x"], ["y"], domain="com.microsoft")], [X(2, 3)], ["y"],
      refuse="com.microsoft")
model("refuse_resize_dynamic", 13, [h.make_node("Resize", ["x", "", "sc"], ["y"])], [X(1, 1, 2, 2),
      ("sc", T.FLOAT, [4])], ["y"], refuse="compile time")
model("refuse_string_constant", 13, [h.make_node("Constant", [], ["y"], value_string="hi")], [X(1)], ["y"],
      refuse="value_string")

with open(os.path.join(OUT, "expected.tsv"), "w") as f:
    f.write("# model\texpected outputs (onnx shape inference)\tresult\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print("wrote %d models to %s" % (len(rows), OUT))
