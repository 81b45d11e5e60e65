#!/usr/bin/python3
"""onnx_mini.py - writes small ONNX models without the onnx package.

A minimal protobuf encoder for the few ModelProto fields the tests need
(onnx.proto field numbers): graph inputs with fixed or symbolic (dim_param)
dimensions, nodes with int / ints / float / tensor attributes, int64 and
float initializers.  Used by tests/e2e/shape_const.sh to build models whose
meaning the test states by hand.

    python3 tests/gen/onnx_mini.py OUT.onnx MODEL_NAME
"""
import struct
import sys

FLOAT, INT64, BOOL = 1, 7, 9


def varint(v):
    v &= (1 << 64) - 1
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


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


def tensor(name, dt, dims, vals):
    raw = b"".join(struct.pack("<q" if dt == INT64 else "<f", v) for v in vals)
    return b"".join(f_int(1, d) for d in dims) + f_int(2, dt) + f_bytes(8, name) + f_bytes(9, raw)


def value_info(name, dt, dims):
    shape = b""
    for d in dims:
        shape += f_bytes(1, f_bytes(2, d) if isinstance(d, str) else f_int(1, d))
    ttype = f_int(1, dt) + f_bytes(2, shape)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, ttype))


def attr(name, v):
    if isinstance(v, float):
        return f_bytes(1, name) + f_float(2, v) + f_int(20, 1)
    if isinstance(v, int):
        return f_bytes(1, name) + f_int(3, v) + f_int(20, 2)
    if isinstance(v, tuple):                                  # ("graph", GraphProto bytes)
        return f_bytes(1, name) + f_bytes(6, v[1]) + f_int(20, 5)
    if isinstance(v, list):
        return f_bytes(1, name) + b"".join(f_int(8, x) for x in v) + f_int(20, 7)
    if isinstance(v, str):
        return f_bytes(1, name) + f_bytes(4, v) + f_int(20, 3)
    return f_bytes(1, name) + f_bytes(5, v) + f_int(20, 4)   # a TensorProto


def node(op, ins, outs, **attrs):
    return (b"".join(f_bytes(1, i) for i in ins) + b"".join(f_bytes(2, o) for o in outs) +
            f_bytes(3, outs[0] + "_node") + f_bytes(4, op) + b"".join(f_bytes(5, attr(k, v)) for k, v in attrs.items()))


def graph(name, nodes, inputs, outputs, inits=()):
    g = b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, name)
    g += b"".join(f_bytes(5, t) for t in inits)
    g += b"".join(f_bytes(11, value_info(*i)) for i in inputs)
    g += b"".join(f_bytes(12, f_bytes(1, o)) for o in outputs)
    return g


def model(name, nodes, inputs, outputs, inits=(), opset=17):
    g = graph(name, nodes, inputs, outputs, inits)
    return f_int(1, 8) + f_bytes(2, "kiln-tests") + f_bytes(7, g) + f_bytes(8, f_int(2, opset))


def models():
    m = {}
    # x [1, "samples"]: y = Reshape(x, Gather(Shape(x), [1])) -> [samples], z = ReduceMax(Abs(x))
    m["symbolic"] = model("symbolic", [
        node("Shape", ["x"], ["s"]),
        node("Gather", ["s", "one"], ["n"], axis=0),
        node("Reshape", ["x", "n"], ["flat"]),
        node("Abs", ["flat"], ["a"]),
        node("ReduceMax", ["a"], ["y"], keepdims=0),
        node("Neg", ["flat"], ["z"]),
    ], [("x", FLOAT, [1, "samples"])], ["y", "z"], [tensor("one", INT64, [1], [1])])
    # x [1, 4] float, n int64 scalar: r = Range(0, n, 1) as float; y = x * 2 when
    # If(n > 2) takes its then-branch (not compiled here: Range only).
    m["const_range"] = model("const_range", [
        node("Range", ["zero", "n", "step"], ["r"]),
        node("Cast", ["r"], ["rf"], to=FLOAT),
        node("Mul", ["rf", "gain"], ["y"]),
    ], [("gain", FLOAT, [1]), ("n", INT64, [])], ["y"],
        [tensor("zero", INT64, [], [0]), tensor("step", INT64, [], [1])])
    # x [2,3], flag bool scalar: y = If(flag) then Neg(x) else Abs(x)
    then_g = graph("then", [node("Neg", ["x"], ["t_out"])], [], ["t_out"])
    else_g = graph("else", [node("Abs", ["x"], ["e_out"])], [], ["e_out"])
    m["if_flag"] = model("if_flag", [
        node("If", ["flag"], ["y"], then_branch=("graph", then_g), else_branch=("graph", else_g)),
    ], [("x", FLOAT, [2, 3]), ("flag", BOOL, [])], ["y"])
    # three gaps: Hardmax twice, Det once, between ops Kiln has
    m["gaps"] = model("gaps", [
        node("Abs", ["x"], ["a"]),
        node("Hardmax", ["a"], ["h1"]),
        node("Det", ["h1"], ["d"]),
        node("Hardmax", ["d"], ["y"]),
    ], [("x", FLOAT, [2, 2, 2])], ["y"])
    # x [1,1,1,4] -> Resize cubic, pytorch_half_pixel, to width 1: by sizes,
    # and by a scale 0.3 (4 * 0.3 = 1.2, floored to one element)
    for kind, extra in (("sizes", ["", "", "size"]), ("scales", ["", "scale"])):
        inits = [tensor("size", INT64, [4], [1, 1, 1, 1]), tensor("scale", FLOAT, [4], [1, 1, 1, 0.3])]
        m["resize_one_" + kind] = model("resize_one_" + kind, [
            node("Resize", ["x"] + extra, ["y"], mode="cubic", coordinate_transformation_mode="pytorch_half_pixel"),
        ], [("x", FLOAT, [1, 1, 1, 4])], ["y"], inits[:1] if kind == "sizes" else inits[1:], opset=13)
    return m


if __name__ == "__main__":
    open(sys.argv[1], "wb").write(models()[sys.argv[2]])
