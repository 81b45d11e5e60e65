#!/usr/bin/python3
"""make_blocked_quant.py - writes tests/data/blocked_quant/<case>/: a model.onnx
with one blocked QuantizeLinear or DequantizeLinear (opset 21, block_size;
one per-tensor case for the rounding of the plain path),
its input and its expected output as ONNX TensorProto files
(test_data_set_0/input_0.pb, output_0.pb), the layout of the ONNX
conformance cases, so `kiln validate` and the unit tests read them alike.

The expected outputs are worked out by hand (the working is beside each
case) and checked here against a plain numpy transcription of the ONNX
definition: scale and zero point repeated block_size times along the axis
and cut to X's length, then
    QuantizeLinear:   saturate(rint(x / scale) + zero_point)   (float32 division)
    DequantizeLinear: (float32(x) - zero_point) * scale
None of it calls Kiln.  onnx 1.12 (Debian's) cannot check opset 21 models,
so the files are written without the checker.
    /usr/bin/python3 tests/data/make_blocked_quant.py
"""
import os
import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as T

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "blocked_quant")
RANGE = {np.uint8: (0, 255), np.int8: (-128, 127), np.int16: (-32768, 32767), np.uint16: (0, 65535)}


def expand(p, shape, axis, bs):
    if bs == 0:   # per tensor
        return p
    return np.take(np.repeat(p, bs, axis=axis), range(shape[axis]), axis=axis)


def case(name, op, x, scale, zp, axis, bs, by_hand, out_type=None):
    s = expand(scale, x.shape, axis, bs)
    z = expand(zp, x.shape, axis, bs) if zp is not None else 0
    if op == "QuantizeLinear":
        dt = zp.dtype.type if zp is not None else out_type
        lo, hi = RANGE[dt]
        y = np.clip(np.rint(x / s).astype(np.int64) + z, lo, hi).astype(dt)
    else:
        y = ((x.astype(np.float32) - z) * s).astype(np.float32)
    by_hand = np.asarray(by_hand, y.dtype).reshape(y.shape)
    assert np.array_equal(y, by_hand), (name, y, by_hand)
    inits = [nh.from_array(scale, "s")] + ([nh.from_array(zp, "z")] if zp is not None else [])
    attrs = {"axis": axis, "block_size": bs} if bs else {}
    if out_type is not None:
        attrs["output_dtype"] = {np.int16: T.INT16, np.uint16: T.UINT16, np.int8: T.INT8}[out_type]
    node = h.make_node(op, ["x", "s"] + (["z"] if zp is not None else []), ["y"], **attrs)
    xt = nh.from_array(x, "x").data_type
    yt = nh.from_array(y, "y").data_type
    g = h.make_graph([node], name, [h.make_tensor_value_info("x", xt, list(x.shape))],
                     [h.make_tensor_value_info("y", yt, list(y.shape))], initializer=inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21)], producer_name="kiln-tests")
    m.ir_version = 10
    d = os.path.join(OUT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for f, t in (("input_0.pb", nh.from_array(x, "x")), ("output_0.pb", nh.from_array(y, "y"))):
        with open(os.path.join(d, "test_data_set_0", f), "wb") as fh:
            fh.write(t.SerializeToString())


f32 = np.float32

# Ties, uint8, blocks of 2 along axis 1 of a [2, 4] tensor.
#   row 0: scales (1, 0.5), zero points (1, 3)
#     2.5/1 = 2.5 -> rint 2 -> +1 = 3      (rounding after adding: rint(3.5) = 4)
#    -0.5/1 = -0.5 -> -0 -> +1 = 1         (rint(0.5) = 0)
#     1.25/0.5 = 2.5 -> 2 -> +3 = 5        (rint(5.5) = 6)
#     0.75/0.5 = 1.5 -> 2 -> +3 = 5
#   row 1: scales (2, 4), zero points (0, 255)
#     5/2 = 2.5 -> 2;  -3/2 = -1.5 -> -2 -> saturates to 0
#     1020/4 = 255 -> +255 = 510 -> 255;  -1e6/4 = -250000 -> +255 -> 0
case("quantize_blocked_ties_u8", "QuantizeLinear",
     f32([[2.5, -0.5, 1.25, 0.75], [5.0, -3.0, 1020.0, -1e6]]),
     f32([[1.0, 0.5], [2.0, 4.0]]), np.uint8([[1, 3], [0, 255]]), 1, 2,
     [3, 1, 5, 5, 2, 0, 255, 0])

# int16 through the zero point: 40000 rounds to 40000 and -10000 brings it
# back in range (30000); saturating to int16 before adding would give 22767.
#   2.5 -> 2 - 10000 = -9998;  -0.5/0.5 = -1 + 7 = 6;  -40000.5/0.5 = -80001 + 7 -> -32768
case("quantize_blocked_int16_wide", "QuantizeLinear",
     f32([[40000.0, 2.5, -0.5, -40000.5]]), f32([[1.0, 0.5]]), np.int16([[-10000, 7]]), 1, 2,
     [30000, -9998, 6, -32768])

# No zero point, output_dtype int8, blocks of 3 along axis 0 of a [4, 2]
# tensor (the last block holds one row): scales [[0.5, 1], [2, 4]].
#   rows 0-2 / (0.5, 1): 0.25 -> 0.5 -> 0; 1.5 -> 2; -0.75 -> -1.5 -> -2; 2.5 -> 2;
#                        100 -> 200 -> 127; -3.5 -> -4
#   row 3 / (2, 4): 5 -> 2.5 -> 2; -10 -> -2.5 -> -2
case("quantize_blocked_axis0_remainder_s8", "QuantizeLinear",
     f32([[0.25, 1.5], [-0.75, 2.5], [100.0, -3.5], [5.0, -10.0]]), f32([[0.5, 1.0], [2.0, 4.0]]), None, 0, 3,
     [0, 2, -2, 2, 127, -4, 2, -2], out_type=np.int8)

# Dequantize with a remainder block: x [1, 5], blocks of 2 -> 3 scales.
#   (10-10)*0.5 = 0, (20-10)*0.5 = 5, (30-0)*2 = 60, (40-0)*2 = 80, (50-2)*0.25 = 12
case("dequantize_blocked_remainder_u8", "DequantizeLinear",
     np.uint8([[10, 20, 30, 40, 50]]), f32([[0.5, 2.0, 0.25]]), np.uint8([[10, 0, 2]]), 1, 2,
     [0, 5, 60, 80, 12])

# The same ties without blocks (per-tensor scale 1, zero point 1, int8): the
# plain QuantizeLinear rounds half to even too: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2,
# -2.5 -> -2, -0.5 -> -0, 3.5 -> 4; each + 1.
case("quantize_per_tensor_ties_s8", "QuantizeLinear", f32([0.5, 1.5, 2.5, -2.5, -0.5, 3.5]), f32(1.0),
     np.int8(1), 1, 0, [1, 3, 3, -1, 1, 5])

print("wrote the blocked quantization cases to %s" % OUT)
