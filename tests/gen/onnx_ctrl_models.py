#!/usr/bin/python3
"""onnx_ctrl_models.py - ONNX models for If, Loop, Einsum and integer Pow, with
NumPy / hand-computed answers.

Writes, into OUTDIR, each model as NAME.onnx and, for the models Kiln must
compile, its inputs NAME.in0.npy ... and the expected outputs NAME.out0.npy
... computed here with NumPy (np.einsum, np.where, a Python loop) or
Python integers (Pow): an
independent reference, never Kiln's output.  Models Kiln must refuse get no
data; the e2e scripts check their messages.

    python3 tests/gen/onnx_ctrl_models.py OUTDIR ctrl|einsum|pow

Uses tests/gen/onnx_mini.py's protobuf writer.
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_mini import FLOAT, INT64, BOOL, f_bytes, f_int, graph, model, node, tensor, value_info  # noqa: E402

RNG = np.random.default_rng(11)


def bool_tensor(name, v):
    return f_int(2, BOOL) + f_bytes(8, name) + f_bytes(9, struct.pack("<B", int(v)))


def write(out, name, m, inputs=(), outputs=()):
    if m is not None:
        open(os.path.join(out, name + ".onnx"), "wb").write(m)
    for k, a in enumerate(inputs):
        np.save(os.path.join(out, "%s.in%d.npy" % (name, k)), a)
    for k, a in enumerate(outputs):
        np.save(os.path.join(out, "%s.out%d.npy" % (name, k)), a)


def if_models(out):
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    # y0, y1 = If(flag) then (Neg(x), Add(x, x)) else (Abs(x), Mul(x, x))
    then_g = graph("then", [node("Neg", ["x"], ["t0"]), node("Add", ["x", "x"], ["t1"])], [], ["t0", "t1"])
    else_g = graph("else", [node("Abs", ["x"], ["e0"]), node("Mul", ["x", "x"], ["e1"])], [], ["e0", "e1"])
    m = model("if_select", [
        node("If", ["flag"], ["y0", "y1"], then_branch=("graph", then_g), else_branch=("graph", else_g)),
    ], [("x", FLOAT, [2, 3]), ("flag", BOOL, [])], ["y0", "y1"])
    write(out, "if_select", m)
    for flag in (True, False):
        want = (-x, x + x) if flag else (np.abs(x), x * x)
        write(out, "if_select_%d" % flag, None, [x, np.array(flag)], want)
    # the else branch gives [3, 2]: no select is possible
    else_t = graph("else", [node("Transpose", ["x"], ["e0"], perm=[1, 0])], [], ["e0"])
    then_n = graph("then", [node("Neg", ["x"], ["t0"])], [], ["t0"])
    write(out, "if_mismatch", model("if_mismatch", [
        node("If", ["flag"], ["y"], then_branch=("graph", then_n), else_branch=("graph", else_t)),
    ], [("x", FLOAT, [2, 3]), ("flag", BOOL, [])], ["y"]))


def loop_body(cond_nodes):
    # (i, cond, s) -> (cond_out, s + x, (s + x) * float(i))
    return graph("body", [
        node("Add", ["s", "x"], ["s_next"]),
        node("Cast", ["i"], ["i_f"], to=FLOAT),
        node("Mul", ["s_next", "i_f"], ["scan"]),
    ] + cond_nodes, [("i", INT64, []), ("cond", BOOL, []), ("s", FLOAT, [3])], ["cond_out", "s_next", "scan"])


def typed_graph(name, nodes, inputs, outputs):
    """onnx_mini.graph with typed outputs: (name, dtype, dims) each."""
    g = b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, name)
    g += b"".join(f_bytes(11, value_info(*i)) for i in inputs)
    return g + b"".join(f_bytes(12, value_info(*o)) for o in outputs)


def loop_models(out):
    x = RNG.standard_normal(3).astype(np.float32)
    s0 = RNG.standard_normal(3).astype(np.float32)
    body = loop_body([node("Identity", ["cond"], ["cond_out"])])
    m = model("loop_const", [
        node("Loop", ["trips", "go", "s0"], ["s_final", "scans"], body=("graph", body)),
    ], [("x", FLOAT, [3]), ("s0", FLOAT, [3])], ["s_final", "scans"],
        [tensor("trips", INT64, [], [4]), bool_tensor("go", 1)])
    s, scans = s0.copy(), []
    for i in range(4):
        s = (s + x).astype(np.float32)
        scans.append((s * np.float32(i)).astype(np.float32))
    write(out, "loop_const", m, [x, s0], [s, np.stack(scans)])
    # zero iterations: s_final = s0, scans empty [0, 3] as the body declares
    typed = typed_graph("body", [
        node("Identity", ["cond"], ["cond_out"]),
        node("Add", ["s", "x"], ["s_next"]),
        node("Identity", ["s_next"], ["scan"]),
    ], [("i", INT64, []), ("cond", BOOL, []), ("s", FLOAT, [3])],
        [("cond_out", BOOL, []), ("s_next", FLOAT, [3]), ("scan", FLOAT, [3])])
    write(out, "loop_zero", model("loop_zero", [
        node("Loop", ["trips", "", "s0"], ["s_final", "scans"], body=("graph", typed)),
    ], [("x", FLOAT, [3]), ("s0", FLOAT, [3])], ["s_final", "scans"], [tensor("trips", INT64, [], [0])]),
        [x, s0], [s0])
    # the trip count is a graph input nobody gives a value
    write(out, "loop_runtime_count", model("loop_runtime_count", [
        node("Loop", ["trips", "", "s0"], ["s_final", "scans"], body=("graph", body)),
    ], [("x", FLOAT, [3]), ("s0", FLOAT, [3]), ("trips", INT64, [])], ["s_final", "scans"]))
    # the body decides to go on from the data: sum(s + x) < 10
    data_body = loop_body([
        node("ReduceSum", ["s_next"], ["total"], keepdims=0),
        node("Less", ["total", "ten"], ["cond_out"]),
    ])
    write(out, "loop_data_cond", model("loop_data_cond", [
        node("Loop", ["trips", "", "s0"], ["s_final", "scans"], body=("graph", data_body)),
    ], [("x", FLOAT, [3]), ("s0", FLOAT, [3])], ["s_final", "scans"],
        [tensor("trips", INT64, [], [4]), tensor("ten", FLOAT, [], [10.0])], opset=11))


# (name, equation, operand shapes): each compiled and checked against np.einsum
EINSUM_OK = [
    ("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
    ("batched", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("transpose", "ij->ji", [(3, 4)]),
    ("rowsum", "ij->i", [(3, 4)]),
    ("dot", "i,i->", [(7,), (7,)]),
    ("outer", "i,j->ij", [(3,), (4,)]),
    ("attention", "bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ("implicit", "ij,jk", [(2, 3), (3, 4)]),
    ("summed_only", "ij,k->i", [(3, 4), (5,)]),
    ("permuted_out", "bij,bjk->kib", [(2, 3, 4), (2, 4, 5)]),
]
# (name, equation, operand shapes, words the refusal must contain)
EINSUM_REFUSED = [
    ("diagonal", "ii->i", [(3, 3)], "repeated"),
    ("ellipsis", "...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)], "ellipsis"),
    ("three", "i,i,i->", [(3,), (3,), (3,)], "3 operands"),
]


def einsum_models(out):
    for name, eq, shapes in EINSUM_OK + [(n, e, s) for n, e, s, _ in EINSUM_REFUSED]:
        names = ["x%d" % k for k in range(len(shapes))]
        m = model("einsum_" + name, [node("Einsum", names, ["y"], equation=eq)],
                  [(n, FLOAT, list(s)) for n, s in zip(names, shapes)], ["y"], opset=12)
        ins = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
        ok = any(name == n for n, _, _ in EINSUM_OK)
        want = [np.ascontiguousarray(np.einsum(eq, *[a.astype(np.float64) for a in ins]), dtype=np.float32)] if ok else []
        write(out, "einsum_" + name, m, ins if ok else [], want)
    with open(os.path.join(out, "einsum_refused.txt"), "w") as f:
        for name, _, _, words in EINSUM_REFUSED:
            f.write("einsum_%s\t%s\n" % (name, words))


def ipow(a, e, bits):
    """ONNX integer Pow by hand, in Python integers: a**e kept to `bits` as
    two's complement (numpy's wrap); e < 0 truncates 1/a**|e|."""
    if e < 0:
        return 1 if a == 1 else (-1 if e % 2 else 1) if a == -1 else 0
    r = pow(a, e, 1 << bits)
    return r - (1 << bits) if r >> (bits - 1) else r


def fpow(a, e, bits):
    """Integer base, float exponent: the real power truncated, saturated."""
    lim = 1 << (bits - 1)
    try:
        v = float(a) ** float(e)
    except (ZeroDivisionError, OverflowError):
        v = float("inf")
    if isinstance(v, complex) or v != v:
        return 0
    return lim - 1 if v >= lim else -lim if v < -lim else int(v)


def pow_models(out):
    base = [2, -3, 7, 0, 1, -1, -1, 5, 3, 10]
    ints = [10, 3, 0, -2, -5, 7, -4, 30, 41, 19]       # 5^30, 3^41, 10^19 wrap
    flts = [0.5, 2.0, 1.5, -1.0, 3.0, 2.0, 0.5, 12.0, 2.5, 30.0]
    for bits, dt, code in ((32, np.int32, 6), (64, np.int64, 7)):
        a = np.array(base, dtype=dt)
        for kind, e, et, ecode in (("int", np.array(ints, dtype=dt), dt, code),
                                   ("float", np.array(flts, dtype=np.float32), np.float32, FLOAT)):
            name = "pow_int%d_%s" % (bits, kind)
            f = ipow if kind == "int" else fpow
            want = np.array([f(int(x), (int(y) if kind == "int" else float(y)), bits) for x, y in zip(a, e)], dtype=dt)
            m = model(name, [node("Pow", ["a", "e"], ["y"])], [("a", code, [10]), ("e", ecode, [10])], ["y"], opset=15)
            write(out, name, m, [a, e.astype(et)], [want])


if __name__ == "__main__":
    out, suite = sys.argv[1], sys.argv[2]
    if suite == "ctrl":
        if_models(out)
        loop_models(out)
    elif suite == "pow":
        pow_models(out)
    else:
        einsum_models(out)
