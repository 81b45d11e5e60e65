#!/usr/bin/python3
"""gen_lower_cases.py - writes tests/unit/lower_cases_f32.h, the cases of
test_lower_exec_f32.c: small IR graphs (as C builder functions) with inputs
and the expected outputs computed here, independently of Kiln's kernels:

  * torch (conv, conv-transpose, pools, softmax, ...) or plain numpy written
    from the op definitions in compiler/ir/ir_ops.def;
  * ONNX conformance data (../shared/conformance/onnx-node and the
    single-node onnx-pytorch-converted models) for Resize, the pools, LSTM,
    GRU, Conv, ConvTranspose, Softmax, BatchNorm and the simple ops, whose
    attributes are resolved here the way an importer would (auto_pad,
    output_shape, sizes -> scales, axes, roi, Slice clamping; weights fed as
    inputs are frozen to constants).

Run with the Debian python (numpy, torch, onnx):
    /usr/bin/python3 tests/gen/gen_lower_cases.py
Random inputs use a fixed seed, so the header is reproducible.
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "..", "shared", "conformance", "onnx-node")
OUT = os.path.join(ROOT, "tests", "unit", "lower_cases_f32.h")

rng = np.random.default_rng(20261124)

DT = {np.float32: "IR_DT_F32", np.int8: "IR_DT_S8", np.uint8: "IR_DT_U8", np.int16: "IR_DT_S16",
      np.int32: "IR_DT_S32", np.int64: "IR_DT_S64", np.uint16: "IR_DT_U16", np.uint32: "IR_DT_U32",
      np.uint64: "IR_DT_U64", np.bool_: "IR_DT_BOOL"}
CT = {np.float32: "float", np.int8: "int8_t", np.uint8: "uint8_t", np.int16: "int16_t",
      np.int32: "int32_t", np.int64: "int64_t", np.uint16: "uint16_t", np.uint32: "uint32_t",
      np.uint64: "uint64_t", np.bool_: "uint8_t"}


def c_elem(v, t):
    if t is np.float32:
        f = float(v)
        if math.isnan(f):
            return "NAN"
        if math.isinf(f):
            return "HUGE_VALF" if f > 0 else "-HUGE_VALF"
        return f.hex() + "f"
    if t is np.int64:
        return "(int64_t)%dULL" % (int(v) & 0xFFFFFFFFFFFFFFFF)
    if t is np.uint64:
        return "%dULL" % int(v)
    if t is np.bool_:
        return "1" if v else "0"
    return "(%d)" % int(v)


class Case:
    def __init__(self, name, rtol=1e-4, atol=1e-5, kernel=None):
        self.name, self.rtol, self.atol, self.kernel = name, rtol, atol, kernel
        self.lines, self.n = [], 0

    def _arr(self, a):
        a = np.asarray(a)
        t = a.dtype.type
        self.n += 1
        flat = a.reshape(-1)
        body = ", ".join(c_elem(v, t) for v in flat) if flat.size else "0"
        self.lines.append("    static const %s d%d[] = {%s};" % (CT[t], self.n, body))
        return "d%d" % self.n

    @staticmethod
    def _shape(shape):
        return "(const int64_t[]){%s}" % (", ".join(str(int(s)) for s in shape) if len(shape) else "0")

    def _var(self):
        self.n += 1
        return "t%d" % self.n

    def inp(self, a):
        a = np.asarray(a)
        d, v = self._arr(a), self._var()
        self.lines.append('    int %s = T_in(c, g, "%s", %s, %d, %s, %s);' % (
            v, v, DT[a.dtype.type], a.ndim, self._shape(a.shape), d))
        return v

    def const(self, a):
        a = np.asarray(a)
        d, v = self._arr(a), self._var()
        self.lines.append('    int %s = T_const(g, "%s", %s, %d, %s, %s);' % (
            v, v, DT[a.dtype.type], a.ndim, self._shape(a.shape), d))
        return v

    def mid(self, shape, t=np.float32):
        v = self._var()
        self.lines.append('    int %s = T_mid(g, "%s", %s, %d, %s);' % (
            v, v, DT[t], len(shape), self._shape(shape)))
        return v

    def out(self, a):
        a = np.asarray(a)
        d, v = self._arr(a), self._var()
        self.lines.append('    int %s = T_out(c, g, "%s", %s, %d, %s, %s);' % (
            v, v, DT[a.dtype.type], a.ndim, self._shape(a.shape), d))
        return v

    def node(self, op, ins, outs, *attrs):
        ins_c = ", ".join(i if i is not None else "-1" for i in ins)
        outs_c = ", ".join(o if o is not None else "-1" for o in outs)
        self.lines.append("    { ir_attr *a = N(g, IR_OP_%s, %d, (const int[]){%s}, %d, (const int[]){%s});"
                          % (op, len(ins), ins_c, len(outs), outs_c))
        for s in attrs:
            self.lines.append("      %s;" % s)
        self.lines.append("      (void)a; }")

    def emit(self):
        return "static void build_%s(ir_graph *g, tctx *c)\n{\n%s\n    (void)c;\n}\n" % (
            self.name, "\n".join(self.lines))


CASES = []


def add(case):
    CASES.append(case)
    return case


def f32(a):
    return np.asarray(a, dtype=np.float32)


def randn(*shape):
    return f32(rng.standard_normal(shape))


def conv_attrs(nsp, k, stride=None, dil=None, pb=None, pe=None, group=1, layout="NCHW",
               act=None, op_pad=None, cip=None, storage=None):
    at = ["a->conv.nspatial = %d" % nsp, "a->conv.group = %d" % group,
          "a->conv.layout = IR_LAYOUT_%s" % layout]
    for i in range(nsp):
        at.append("a->conv.kernel[%d] = %d" % (i, k[i]))
        if stride: at.append("a->conv.stride[%d] = %d" % (i, stride[i]))
        if dil: at.append("a->conv.dilation[%d] = %d" % (i, dil[i]))
        if pb: at.append("a->conv.pad_begin[%d] = %d" % (i, pb[i]))
        if pe: at.append("a->conv.pad_end[%d] = %d" % (i, pe[i]))
        if op_pad: at.append("a->conv.output_padding[%d] = %d" % (i, op_pad[i]))
    if act:
        at += ["a->act.on = true", "a->act.lo = %s" % c_act(act[0]), "a->act.hi = %s" % c_act(act[1])]
    if cip is not None:
        at.append("a->conv.count_include_pad = %s" % ("true" if cip else "false"))
    if storage is not None:
        at.append("a->conv.storage_order = %d" % storage)
    return at


def c_act(v):
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return float(v).hex() + "f"


def clampnp(y, act):
    return y if act is None else np.clip(y, act[0], act[1])


def to_nhwc(a):
    return np.moveaxis(a, 1, -1)


# ---- convolution ------------------------------------------------------------

def torch_conv(x, w, b, stride, dil, pb, pe, group):
    nsp = x.ndim - 2
    pad = []
    for i in reversed(range(nsp)):
        pad += [pb[i], pe[i]]
    xt = F.pad(torch.from_numpy(x), pad)
    fn = [None, F.conv1d, F.conv2d, F.conv3d][nsp]
    y = fn(xt, torch.from_numpy(w), None if b is None else torch.from_numpy(b),
           stride=stride, dilation=dil, groups=group)
    return y.numpy()


def conv_case(name, xs, m, k, stride, dil, pb, pe, group, bias=True, act=None, layout="NCHW",
              kernel=None):
    x = randn(*xs)
    c = xs[1]
    w = randn(m, c // group, *k)
    b = randn(m) if bias else None
    y = clampnp(torch_conv(x, w, b, stride, dil, pb, pe, group), act)
    cs = add(Case(name, kernel=kernel))
    if layout == "NHWC":
        x, y = to_nhwc(x), to_nhwc(y)
    xi = cs.inp(np.ascontiguousarray(x))
    wi = cs.const(w)
    bi = cs.const(b) if bias else None
    yi = cs.out(np.ascontiguousarray(y))
    cs.node("CONV", [xi, wi, bi], [yi], *conv_attrs(len(k), k, stride, dil, pb, pe, group, layout, act))


conv_case("conv2d_asym_pads", (2, 3, 7, 6), 4, (3, 2), (2, 1), (1, 1), (1, 0), (2, 1), 1,
          kernel="kiln_conv_f32")
conv_case("conv2d_groups_dil_relu6", (1, 4, 8, 7), 6, (3, 3), (1, 2), (2, 1), (2, 1), (2, 1), 2,
          bias=False, act=(0.0, 6.0))
conv_case("conv2d_depthwise_mult2", (1, 3, 6, 6), 6, (3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 3,
          kernel="kiln_depthwise_conv_f32")
conv_case("conv1d_stride_dil", (2, 3, 11), 5, (3,), (2,), (2,), (1,), (0,), 1)
conv_case("conv3d_pads", (1, 2, 4, 5, 4), 3, (2, 3, 2), (1, 2, 1), (1, 1, 2), (1, 0, 1), (0, 1, 1), 1)
conv_case("conv3d_groups", (1, 4, 3, 4, 4), 4, (1, 2, 2), (1, 1, 1), (1, 1, 1), (0, 0, 0), (0, 1, 1), 2)
conv_case("conv2d_nhwc", (1, 3, 7, 6), 4, (3, 2), (2, 1), (1, 1), (1, 0), (2, 1), 1, layout="NHWC",
          act=(-0.5, 0.5))
conv_case("conv2d_nhwc_depthwise_mult3", (2, 2, 5, 6), 6, (3, 3), (2, 1), (1, 2), (1, 2), (1, 2), 2,
          layout="NHWC", kernel="kiln_depthwise_conv_f32")
conv_case("conv2d_nhwc_depthwise", (1, 4, 5, 5), 4, (3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 4,
          layout="NHWC", act=(0.0, math.inf))
conv_case("conv1d_nhwc_groups", (1, 6, 9), 4, (2,), (1,), (3,), (2,), (1,), 2, layout="NHWC")


def conv_transpose_case(name, xs, m, k, stride, dil, pb, pe, opad, group, bias=True, layout="NCHW"):
    x = randn(*xs)
    c = xs[1]
    w = randn(c, m // group, *k)
    b = randn(m) if bias else None
    nsp = len(k)
    fn = [None, F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][nsp]
    full = fn(torch.from_numpy(x), torch.from_numpy(w), None, stride=stride, dilation=dil,
              groups=group).numpy()
    # Extend by output_padding zeros at the end, crop the pads.
    pad = [(0, 0), (0, 0)] + [(0, opad[i]) for i in range(nsp)]
    full = np.pad(full, pad)
    sl = [slice(None), slice(None)]
    for i in range(nsp):
        n = stride[i] * (xs[2 + i] - 1) + opad[i] + dil[i] * (k[i] - 1) + 1 - pb[i] - pe[i]
        sl.append(slice(pb[i], pb[i] + n))
    y = full[tuple(sl)]
    if bias:
        y = y + b.reshape((1, m) + (1,) * nsp)
    y = f32(y)
    cs = add(Case(name, kernel="kiln_conv_transpose_f32"))
    if layout == "NHWC":
        x, y = to_nhwc(x), to_nhwc(y)
    xi = cs.inp(np.ascontiguousarray(x))
    wi = cs.const(w)
    bi = cs.const(b) if bias else None
    yi = cs.out(np.ascontiguousarray(y))
    cs.node("CONV_TRANSPOSE", [xi, wi, bi], [yi],
            *conv_attrs(nsp, k, stride, dil, pb, pe, group, layout, None, op_pad=opad))


conv_transpose_case("convtr2d_groups_pads_opad", (1, 4, 3, 4), 6, (3, 2), (2, 3), (1, 2), (1, 0),
                    (2, 1), (1, 2), 2)
conv_transpose_case("convtr1d", (2, 3, 5), 2, (4,), (3,), (1,), (2,), (1,), (0,), 1, bias=False)
conv_transpose_case("convtr3d", (1, 2, 2, 3, 2), 3, (2, 2, 3), (2, 1, 2), (1, 2, 1), (0, 1, 1),
                    (1, 0, 1), (1, 0, 1), 1)
conv_transpose_case("convtr2d_nhwc", (1, 3, 3, 3), 2, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), (1, 1), 1,
                    layout="NHWC")

# ---- dense ------------------------------------------------------------------

x, w, b = randn(3, 5), randn(4, 5), randn(4)
cs = add(Case("fully_connected_bias_act", kernel="kiln_fully_connected_f32"))
cs.node("FULLY_CONNECTED", [cs.inp(x), cs.const(w), cs.const(b)],
        [cs.out(np.clip(x @ w.T + b, -1, 1))], "a->act.on = true", "a->act.lo = -1.0f",
        "a->act.hi = 1.0f")


def matmul_case(name, sa, sb):
    a, b = randn(*sa), randn(*sb)
    cs = add(Case(name, kernel="kiln_matmul_f32"))
    cs.node("MATMUL", [cs.inp(a), cs.inp(b)], [cs.out(f32(np.matmul(a, b)))])


matmul_case("matmul_batch_bcast", (2, 1, 3, 4), (5, 4, 2))
matmul_case("matmul_rank1_a", (4,), (2, 4, 3))
matmul_case("matmul_rank1_b", (2, 3, 4), (4,))
matmul_case("matmul_rank1_both", (6,), (6,))
matmul_case("matmul_2d", (7, 5), (5, 3))

# ---- elementwise ------------------------------------------------------------

BIN = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide,
       "MIN": np.minimum, "MAX": np.maximum}


def binary_case(name, op, sa, sb, act=None):
    a, b = randn(*sa), randn(*sb)
    if op == "DIV":
        b = f32(np.sign(b) * (np.abs(b) + 0.5))
    y = clampnp(BIN[op](a, b), act)
    cs = add(Case(name, kernel="kiln_%s_f32" % op.lower()))
    at = []
    if act:
        at = ["a->act.on = true", "a->act.lo = %s" % c_act(act[0]), "a->act.hi = %s" % c_act(act[1])]
    cs.node(op, [cs.inp(a), cs.const(b) if len(sb) < 2 else cs.inp(b)], [cs.out(f32(y))], *at)


binary_case("add_bcast_3d", "ADD", (2, 3, 4), (3, 1))
binary_case("sub_scalar", "SUB", (2, 5), ())
binary_case("mul_outer", "MUL", (1, 4), (3, 1), act=(-0.25, 0.25))
binary_case("div_bcast_lead", "DIV", (3, 1, 5), (2, 1, 1, 5))
binary_case("min_same", "MIN", (2, 3, 4, 5), (2, 3, 4, 5))
binary_case("max_mid", "MAX", (2, 3, 4), (1, 3, 1), act=(0.0, math.inf))

x = f32(np.linspace(-8, 8, 37))


def unary_case(name, op, y, *attrs):
    cs = add(Case(name, kernel="kiln_%s_f32" % op.lower()))
    cs.node(op, [cs.inp(x)], [cs.out(f32(y))], *attrs)


xt = torch.from_numpy(x)
unary_case("clip", "CLIP", np.clip(x, -1.5, 2.25), "a->act.on = true", "a->act.lo = -1.5f",
           "a->act.hi = 2.25f")
unary_case("leaky_relu", "LEAKY_RELU", F.leaky_relu(xt, 0.1).numpy(), "a->alpha = 0.1f")
unary_case("sigmoid", "SIGMOID", torch.sigmoid(xt).numpy())
unary_case("tanh", "TANH", torch.tanh(xt).numpy())
unary_case("hard_sigmoid", "HARD_SIGMOID", np.clip(0.3 * x.astype(np.float64) + 0.4, 0, 1),
           "a->alpha = 0.3f", "a->beta = 0.4f")
unary_case("hard_swish", "HARD_SWISH", F.hardswish(xt).numpy())
# numpy's float32 sqrt is correctly rounded (IEEE 754), so the kernel must
# match it exactly; -0 stays -0 and negatives give NaN.
with np.errstate(invalid="ignore"):
    unary_case("sqrt", "SQRT", np.sqrt(x))


def softmax_case(name, shape, axis, end, beta=1.0, log=False):
    x = randn(*shape) * 3
    s = list(shape)
    flat = x.reshape(int(np.prod(s[:axis])), int(np.prod(s[axis:end])), int(np.prod(s[end:])))
    t = torch.from_numpy(flat.astype(np.float64) * beta)
    y = (torch.log_softmax(t, 1) if log else torch.softmax(t, 1)).numpy().reshape(shape)
    cs = add(Case(name, kernel="kiln_softmax_f32"))
    cs.node("SOFTMAX", [cs.inp(x)], [cs.out(f32(y))], "a->axis = %d" % axis, "a->axis_end = %d" % end,
            "a->beta = %s" % c_act(beta), "a->log = %s" % ("true" if log else "false"))


softmax_case("softmax_mid_axis", (2, 3, 4), 1, 2)
softmax_case("softmax_flat_tail", (2, 3, 4), 1, 3)
softmax_case("log_softmax_last", (3, 5), 1, 2, log=True)
softmax_case("softmax_beta", (4, 6), 1, 2, beta=0.5)

# ---- pools (numpy, from the ir_ops.def definition) -------------------------


def pool_ref(x, kind, k, stride, dil, pb, pe, out, cip):
    n, c = x.shape[:2]
    nsp = len(k)
    y = np.zeros((n, c) + tuple(out), np.float64)
    idx = np.zeros(y.shape, np.int64)
    sp_in = x.shape[2:]
    for o in np.ndindex(*out):
        taps = [[o[i] * stride[i] - pb[i] + t * dil[i] for t in range(k[i])] for i in range(nsp)]
        inside = [[p for p in taps[i] if 0 <= p < sp_in[i]] for i in range(nsp)]
        if kind == "avg":
            if cip:
                cnt = np.prod([len([p for p in taps[i] if -pb[i] <= p < sp_in[i] + pe[i]])
                               for i in range(nsp)])
            else:
                cnt = np.prod([len(v) for v in inside])
        for b in range(n):
            for ch in range(c):
                vals = [(float(x[(b, ch) + pos]), pos) for pos in np.ndindex(*[len(v) for v in inside])
                        for pos in [tuple(inside[i][pos[i]] for i in range(nsp))]]
                if kind == "max":
                    best, at = -np.inf, None
                    for v, pos in vals:
                        if at is None or v > best:
                            best, at = v, pos
                    y[(b, ch) + o] = best
                    flat = 0
                    for i in range(nsp):
                        flat = flat * sp_in[i] + at[i]
                    idx[(b, ch) + o] = (b * c + ch) * int(np.prod(sp_in)) + flat
                else:
                    s = sum(v for v, _ in vals)
                    y[(b, ch) + o] = s / cnt if cnt else 0.0
    return f32(y), idx


def pool_case(name, kind, xs, k, stride, dil, pb, pe, out, cip=False, layout="NCHW", indices=False):
    x = randn(*xs)
    y, idx = pool_ref(x, kind, k, stride, dil, pb, pe, out, cip)
    cs = add(Case(name, kernel="kiln_%spool_f32" % kind))
    if layout == "NHWC":
        x, y = to_nhwc(x), to_nhwc(y)
    xi = cs.inp(np.ascontiguousarray(x))
    outs = [cs.out(np.ascontiguousarray(y))]
    if indices:
        outs.append(cs.out(idx))
    cs.node("MAXPOOL" if kind == "max" else "AVGPOOL", [xi], outs,
            *conv_attrs(len(k), k, stride, dil, pb, pe, layout=layout, cip=cip))


# ceil-mode style outputs that reach past the pads:
pool_case("maxpool2d_ceil_dil_idx", "max", (1, 2, 7, 6), (3, 2), (2, 2), (1, 2), (1, 0), (1, 1), (4, 3),
          indices=True)
pool_case("avgpool2d_cip_ceil", "avg", (1, 2, 6, 5), (3, 3), (2, 2), (1, 1), (1, 1), (1, 0), (4, 3),
          cip=True)
pool_case("avgpool2d_nocip", "avg", (2, 3, 5, 5), (2, 3), (2, 1), (1, 1), (1, 1), (0, 1), (3, 5))
pool_case("avgpool1d_nhwc", "avg", (1, 4, 9), (3,), (2,), (1,), (1,), (1,), (5,), layout="NHWC")
pool_case("maxpool3d", "max", (1, 2, 4, 4, 5), (2, 2, 3), (2, 1, 2), (1, 2, 1), (0, 1, 1), (0, 0, 1),
          (2, 2, 3))
pool_case("maxpool2d_nhwc", "max", (1, 3, 5, 5), (2, 2), (2, 2), (1, 1), (0, 0), (1, 1), (3, 3),
          layout="NHWC")
pool_case("global_avgpool", "avg", (2, 3, 4, 5), (4, 5), (1, 1), (1, 1), (0, 0), (0, 0), (1, 1))

# maxpool Indices, storage_order 1 (column-major over the spatial dims)
x = randn(1, 2, 4, 3)
y, _ = pool_ref(x, "max", (2, 2), (2, 1), (1, 1), (0, 0), (0, 0), (2, 2), False)
idx = np.zeros(y.shape, np.int64)
for ch in range(2):
    for oh in range(2):
        for ow in range(2):
            win = x[0, ch, oh * 2:oh * 2 + 2, ow:ow + 2]
            h, w_ = np.unravel_index(np.argmax(win), win.shape)
            idx[0, ch, oh, ow] = ch * 12 + (oh * 2 + h) + (ow + w_) * 4
cs = add(Case("maxpool_storage_order_1"))
cs.node("MAXPOOL", [cs.inp(x)], [cs.out(y), cs.out(idx)],
        *conv_attrs(2, (2, 2), (2, 1), storage=1))

# ---- batchnorm, reduce_mean ------------------------------------------------


def bn_case(name, xs, layout="NCHW"):
    x = randn(*xs)
    c = xs[1]
    sc, bb, mean, var = randn(c), randn(c), randn(c), f32(rng.uniform(0.5, 2, c))
    eps = 1e-3
    shp = (1, c) + (1,) * (len(xs) - 2)
    y = (x.astype(np.float64) - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + np.float32(eps)) \
        * sc.reshape(shp) + bb.reshape(shp)
    y = f32(y)
    cs = add(Case(name, kernel="kiln_batchnorm_f32"))
    if layout == "NHWC":
        x, y = to_nhwc(x), to_nhwc(y)
    cs.node("BATCHNORM", [cs.inp(np.ascontiguousarray(x)), cs.const(sc), cs.const(bb), cs.const(mean),
                          cs.const(var)], [cs.out(np.ascontiguousarray(y))],
            "a->epsilon = %s" % c_act(np.float32(eps)), "a->conv.layout = IR_LAYOUT_%s" % layout)


bn_case("batchnorm_nchw", (2, 3, 4, 5))
bn_case("batchnorm_nhwc", (2, 3, 4, 5), "NHWC")
bn_case("batchnorm_2d_input", (4, 6))


def reduce_case(name, xs, axes, keep=True):
    x = randn(*xs)
    y = x.astype(np.float64).mean(axis=tuple(axes), keepdims=keep)
    cs = add(Case(name, kernel="kiln_reduce_mean_f32"))
    cs.node("REDUCE_MEAN", [cs.inp(x)], [cs.out(f32(y))], "a->axes_mask = %du" % sum(1 << a for a in axes))


reduce_case("reduce_mean_hw", (2, 3, 4, 5), (2, 3))
reduce_case("reduce_mean_0_2", (3, 4, 5), (0, 2), keep=False)
reduce_case("reduce_mean_all", (2, 3, 4), (0, 1, 2))
reduce_case("reduce_mean_mid", (2, 3, 4, 5), (1,))

# ---- data movement ----------------------------------------------------------

x = randn(2, 3, 4)
cs = add(Case("transpose_201", kernel="kiln_copy_strided"))
cs.node("TRANSPOSE", [cs.inp(x)], [cs.out(np.ascontiguousarray(x.transpose(2, 0, 1)))],
        "a->perm[0] = 2", "a->perm[1] = 0", "a->perm[2] = 1")

x = np.arange(2 * 3 * 4 * 5, dtype=np.int64).reshape(2, 3, 4, 5)
cs = add(Case("transpose_int64_0321", kernel="kiln_copy_strided"))
cs.node("TRANSPOSE", [cs.inp(x)], [cs.out(np.ascontiguousarray(x.transpose(0, 3, 2, 1)))],
        "a->perm[1] = 3", "a->perm[2] = 2", "a->perm[3] = 1")

x = randn(5, 6, 7)
cs = add(Case("slice_negative_step", kernel="kiln_copy_strided"))
cs.node("SLICE", [cs.inp(x)], [cs.out(np.ascontiguousarray(x[4:0:-2, 1:6:2, ::-1]))],
        "a->begin[0] = 4", "a->step[0] = -2", "a->begin[1] = 1", "a->step[1] = 2", "a->begin[2] = 6",
        "a->step[2] = -1")

xs = [randn(2, 1, 3), randn(2, 4, 3), randn(2, 2, 3)]
cs = add(Case("concat_axis1", kernel="kiln_concat"))
cs.node("CONCAT", [cs.inp(v) for v in xs], [cs.out(np.concatenate(xs, 1))], "a->axis = 1")

xs = [np.full((1, 2), i, dtype=np.int64) for i in range(11)]
cs = add(Case("concat_11_int64_chained", kernel="kiln_concat"))
cs.node("CONCAT", [cs.inp(v) for v in xs], [cs.out(np.concatenate(xs, 0))], "a->axis = 0")


def pad_case(name, x, pads_b, pads_e, mode, value=0.0):
    npm = {"CONSTANT": "constant", "REFLECT": "reflect", "EDGE": "edge", "WRAP": "wrap"}[mode]
    # Negative pads crop first, then numpy pads the rest.
    sl = tuple(slice(-min(b, 0), x.shape[i] + min(e, 0)) for i, (b, e) in enumerate(zip(pads_b, pads_e)))
    xc = x[sl]
    pw = [(max(b, 0), max(e, 0)) for b, e in zip(pads_b, pads_e)]
    kw = {"constant_values": value} if mode == "CONSTANT" else {}
    if mode == "WRAP":
        # ONNX: "as if the data tensor forms a torus" - strictly periodic.
        # (numpy < 2.0 pads wider-than-data wrap pads differently.)
        y = xc
        for ax, (b, e) in enumerate(pw):
            src = [(o - b) % xc.shape[ax] for o in range(xc.shape[ax] + b + e)]
            y = np.take(y, src, axis=ax)
    else:
        y = np.pad(xc, pw, mode=npm, **kw)
    cs = add(Case(name, kernel="kiln_gather_axes"))
    at = ["a->pad_mode = IR_PAD_%s" % mode, "a->pad_value = %r" % value]
    for i, (b, e) in enumerate(zip(pads_b, pads_e)):
        at += ["a->begin[%d] = %d" % (i, b), "a->end[%d] = %d" % (i, e)]
    cs.node("PAD", [cs.inp(x)], [cs.out(y.astype(x.dtype))], *at)


pad_case("pad_constant_crop", randn(2, 3, 4), (0, 1, -1), (1, -1, 2), "CONSTANT", 1.5)
pad_case("pad_reflect", randn(1, 3, 4), (0, 2, 3), (0, 2, 3), "REFLECT")
pad_case("pad_edge", randn(2, 3), (1, 4), (2, 0), "EDGE")
pad_case("pad_wrap", randn(2, 3), (1, 4), (3, 5), "WRAP")
pad_case("pad_int8_constant", rng.integers(-100, 100, (3, 4)).astype(np.int8), (1, 0), (0, 2),
         "CONSTANT", -7.0)

x = f32([-2.7, -1.5, -0.2, 0.0, 0.6, 3.99, 1e10, -1e10, 65.5])
cs = add(Case("cast_f32_to_int64", kernel="kiln_cast"))
cs.node("CAST", [cs.inp(x)], [cs.out(np.clip(np.trunc(x.astype(np.float64)), -2**63, 2**63 - 1)
                                      .astype(np.int64))])
x8 = f32([-2.7, -1.5, 0.6, 127.9, 200.0, -300.0])
cs = add(Case("cast_f32_to_int8_saturates", kernel="kiln_cast"))
cs.node("CAST", [cs.inp(x8)], [cs.out(np.clip(np.trunc(x8), -128, 127).astype(np.int8))])
xi = np.array([-5, 0, 7, 1 << 24 | 1, -(1 << 30)], dtype=np.int32)
cs = add(Case("cast_int32_to_f32", kernel="kiln_cast"))
cs.node("CAST", [cs.inp(xi)], [cs.out(xi.astype(np.float32))])
xb = f32([0.0, -0.0, 2.0, np.nan])
cs = add(Case("cast_f32_to_bool", kernel="kiln_cast"))
cs.node("CAST", [cs.inp(xb)], [cs.out(np.array([False, False, True, True]))])


def int_binary_case(name, op, a, b):
    with np.errstate(all="ignore"):
        if op == "DIV":
            y = np.where(b == 0, 0, np.trunc(a.astype(np.float64) / np.where(b == 0, 1, b))).astype(a.dtype)
        else:
            y = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "MIN": np.minimum,
                 "MAX": np.maximum}[op](a, b)
    cs = add(Case(name))
    cs.node(op, [cs.inp(a), cs.inp(b)], [cs.out(y.astype(a.dtype))])


int_binary_case("add_int8_wraps", "ADD", np.array([[100, -100, 5]], np.int8), np.array([[100], [-100]], np.int8))
int_binary_case("div_int32_truncates", "DIV", np.array([7, -7, 7, -7, 5], np.int32),
                np.array([2, 2, -2, -2, 0], np.int32))
int_binary_case("mul_uint16_wraps", "MUL", np.array([65535, 300, 2], np.uint16), np.array([65535, 300, 3], np.uint16))
int_binary_case("sub_int64", "SUB", np.array([[1, 2], [3, 4]], np.int64), np.array([10, -(1 << 40)], np.int64))
int_binary_case("max_uint8", "MAX", np.array([1, 200, 3], np.uint8), np.array([100], np.uint8))

# CLIP on plain integers (ONNX Clip on int8): bounds rounded inward.
xi8 = np.array([-128, -6, -5, 0, 10, 11, 127], np.int8)
cs = add(Case("clip_int8", kernel="kiln_min_int8"))
cs.node("CLIP", [cs.inp(xi8)], [cs.out(np.clip(xi8, -5, 10).astype(np.int8))], "a->act.on = true",
        "a->act.lo = -5.5f", "a->act.hi = 10.0f")
xi64 = np.array([-(1 << 40), 3, 1 << 40], np.int64)
cs = add(Case("clip_int64_upper_only", kernel="kiln_min_int64"))
cs.node("CLIP", [cs.inp(xi64)], [cs.out(np.minimum(xi64, 7))], "a->act.on = true",
        "a->act.lo = -INFINITY", "a->act.hi = 7.0f")
cs = add(Case("clip_uint8_open", kernel="kiln_min_uint8"))
xu8 = np.array([0, 7, 255], np.uint8)
cs.node("CLIP", [cs.inp(xu8)], [cs.out(xu8)])

# RESHAPE alias chained into an op: Y = reshape(X) + 1
x = randn(2, 6)
cs = add(Case("reshape_alias_then_add", kernel="kiln_add_f32"))
xi = cs.inp(x)
mid = cs.mid((3, 4))
cs.node("RESHAPE", [xi], [mid])
cs.node("ADD", [mid, cs.const(f32([1.0]))], [cs.out(x.reshape(3, 4) + np.float32(1))])

# ---- ONNX conformance cases ----------------------------------------------


def load_case(name):
    d = os.path.join(CONF, name)
    m = onnx.load(os.path.join(d, "model.onnx"))
    ds = os.path.join(d, "test_data_set_0")
    ins, outs = [], []
    for fn in sorted(os.listdir(ds)):
        t = onnx.TensorProto()
        with open(os.path.join(ds, fn), "rb") as f:
            t.ParseFromString(f.read())
        (ins if fn.startswith("input") else outs).append(numpy_helper.to_array(t))
    return m, ins, outs


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


COORD = {"half_pixel": "HALF_PIXEL", "half_pixel_symmetric": "HALF_PIXEL_SYMMETRIC",
         "pytorch_half_pixel": "PYTORCH_HALF_PIXEL", "align_corners": "ALIGN_CORNERS",
         "asymmetric": "ASYMMETRIC", "tf_crop_and_resize": "TF_CROP_AND_RESIZE",
         "tf_half_pixel_for_nn": "TF_HALF_PIXEL_FOR_NN"}
NEAREST = {"round_prefer_floor": "ROUND_PREFER_FLOOR", "round_prefer_ceil": "ROUND_PREFER_CEIL",
           "floor": "FLOOR", "ceil": "CEIL"}


def s(v):
    return v.decode() if isinstance(v, bytes) else v


def resize_conf(name):
    m, ins, outs = load_case(name)
    node = m.graph.node[0]
    at = attrs_of(node)
    inames = list(node.input)
    feed = {n.name: a for n, a in zip(m.graph.input, ins)}
    for init in m.graph.initializer:
        feed[init.name] = numpy_helper.to_array(init)
    x = feed[inames[0]]
    roi = feed.get(inames[1]) if len(inames) > 1 and inames[1] else None
    scales = feed.get(inames[2]) if len(inames) > 2 and inames[2] else None
    sizes = feed.get(inames[3]) if len(inames) > 3 and inames[3] else None
    r = x.ndim
    axes = list(at.get("axes", range(r)))
    sc = [1.0] * r
    rs, re_ = [0.0] * r, [1.0] * r
    if scales is not None and scales.size:
        for i, a in enumerate(axes):
            sc[a] = float(scales[i])
    else:
        pol = s(at.get("keep_aspect_ratio_policy", "stretch"))
        ratios = [float(sizes[i]) / x.shape[a] for i, a in enumerate(axes)]
        if pol == "not_larger":
            ratios = [min(ratios)] * len(axes)
        elif pol == "not_smaller":
            ratios = [max(ratios)] * len(axes)
        for i, a in enumerate(axes):
            sc[a] = ratios[i]
    if roi is not None and roi.size:
        n = len(axes)
        for i, a in enumerate(axes):
            rs[a], re_[a] = float(roi[i]), float(roi[n + i])
    y = outs[0]
    mode = s(at.get("mode", "nearest")).upper()
    cs = add(Case(name[5:], rtol=1e-4, atol=1e-5,
                  kernel="kiln_gather_axes" if mode == "NEAREST" else "kiln_resize_f32"))
    atl = ["a->resize.mode = IR_RESIZE_%s" % mode,
           "a->resize.coord = IR_COORD_%s" % COORD[s(at.get("coordinate_transformation_mode", "half_pixel"))],
           "a->resize.nearest = IR_NEAREST_%s" % NEAREST[s(at.get("nearest_mode", "round_prefer_floor"))],
           "a->resize.cubic_a = %s" % c_act(np.float32(at.get("cubic_coeff_a", -0.75))),
           "a->resize.exclude_outside = %s" % ("true" if at.get("exclude_outside", 0) else "false"),
           "a->resize.antialias = %s" % ("true" if at.get("antialias", 0) else "false"),
           "a->resize.extrapolation_value = %s" % c_act(np.float32(at.get("extrapolation_value", 0.0)))]
    for i in range(r):
        atl += ["a->resize.scale[%d] = %r" % (i, sc[i]), "a->resize.roi_start[%d] = %r" % (i, rs[i]),
                "a->resize.roi_end[%d] = %r" % (i, re_[i])]
    cs.node("RESIZE", [cs.inp(x)], [cs.out(y)], *atl)


for nm in sorted(os.listdir(CONF)):
    if nm.startswith("test_resize_"):
        resize_conf(nm)


def pool_conf(name):
    m, ins, outs = load_case(name)
    node = m.graph.node[0]
    at = attrs_of(node)
    x = ins[0]
    nsp = x.ndim - 2
    glob = node.op_type.startswith("Global")
    k = list(x.shape[2:]) if glob else list(at["kernel_shape"])
    st = list(at.get("strides", [1] * nsp))
    dl = list(at.get("dilations", [1] * nsp))
    pads = list(at.get("pads", [0] * 2 * nsp))
    pb, pe = pads[:nsp], pads[nsp:]
    ap = s(at.get("auto_pad", "NOTSET"))
    if ap in ("SAME_UPPER", "SAME_LOWER"):
        for i in range(nsp):
            o = -(-x.shape[2 + i] // st[i])
            tot = max(0, (o - 1) * st[i] + (k[i] - 1) * dl[i] + 1 - x.shape[2 + i])
            small, big = tot // 2, tot - tot // 2
            pb[i], pe[i] = (small, big) if ap == "SAME_UPPER" else (big, small)
    if x.size > 4096:
        return   # the big random cases add megabytes and no new edge case
    kind = "max" if "Max" in node.op_type else "avg"
    # rtol 1e-3 as ONNX's backend tests: some expected data is printed to 4 digits.
    cs = add(Case(name[5:], rtol=1e-3, atol=1e-6, kernel="kiln_%spool_f32" % kind))
    outs_t = [cs.out(outs[0])]
    if len(outs) > 1:
        outs_t.append(cs.out(outs[1]))
    cs.node("MAXPOOL" if kind == "max" else "AVGPOOL", [cs.inp(x)], outs_t,
            *conv_attrs(nsp, k, st, dl, pb, pe, cip=bool(at.get("count_include_pad", 0)),
                        storage=at.get("storage_order", 0)))


for nm in sorted(os.listdir(CONF)):
    if (nm.startswith("test_maxpool") or nm.startswith("test_averagepool") or
            nm.startswith("test_global")) and "uint8" not in nm:
        pool_conf(nm)


def rnn_conf(name):
    m, ins, outs = load_case(name)
    node = m.graph.node[0]
    at = attrs_of(node)
    lstm = node.op_type == "LSTM"
    names = list(node.input)
    feed = {n.name: a for n, a in zip(m.graph.input, ins)}
    cs = add(Case(name[5:], rtol=1e-4, atol=1e-5, kernel="kiln_lstm_f32" if lstm else "kiln_gru_f32"))
    tin = []
    for nm_ in names:
        tin.append(cs.inp(feed[nm_]) if nm_ else None)
    onames = list(node.output)
    tout = []
    oi = 0
    for o in onames:
        if o:
            tout.append(cs.out(outs[oi]))
            oi += 1
        else:
            tout.append(None)
    dirn = {"forward": "FORWARD", "reverse": "REVERSE", "bidirectional": "BIDIRECTIONAL"}[
        s(at.get("direction", "forward"))]
    cs.node("LSTM" if lstm else "GRU", tin, tout,
            "a->rnn.direction = IR_RNN_%s" % dirn, "a->rnn.hidden_size = %d" % at["hidden_size"],
            "a->rnn.layout = %d" % at.get("layout", 0),
            "a->rnn.linear_before_reset = %s" % ("true" if at.get("linear_before_reset", 0) else "false"),
            "a->rnn.input_forget = %s" % ("true" if at.get("input_forget", 0) else "false"))


for nm in sorted(os.listdir(CONF)):
    if nm.startswith("test_lstm") or nm.startswith("test_gru"):
        rnn_conf(nm)

# Conv, ConvTranspose, Softmax, LogSoftmax and BatchNormalization conformance
# cases (onnx-node and the single-node onnx-pytorch-converted ones), with the
# attributes resolved as an importer does.
PT = os.path.join(ROOT, "..", "shared", "conformance", "onnx-pytorch-converted")


def same_pads(in_sz, k, st, dl, ap):
    o = -(-in_sz // st)
    tot = max(0, (o - 1) * st + (k - 1) * dl + 1 - in_sz)
    return (tot // 2, tot - tot // 2) if ap == "SAME_UPPER" else (tot - tot // 2, tot // 2)


def generic_conf(path, name):
    m, ins, outs = load_case_at(path)
    if len(m.graph.node) != 1:
        return
    node = m.graph.node[0]
    op = node.op_type
    if op not in ("Conv", "ConvTranspose", "Softmax", "LogSoftmax", "BatchNormalization") + SIMPLE:
        return
    at = attrs_of(node)
    opset = m.opset_import[0].version
    feed = {n.name: a for n, a in zip([i for i in m.graph.input
                                       if i.name not in {t.name for t in m.graph.initializer}], ins)}
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    if op not in SIMPLE and any(a.dtype != np.float32 for a in list(feed.values()) + outs):
        return
    if op in SIMPLE:
        simple_conf(m, node, at, feed, inits, outs, name)
        return
    cs = add(Case(name, rtol=1e-3, atol=1e-5))

    def tin(nm_, frozen=False):
        # Weights that the test feeds as inputs are frozen to constants, as
        # the importer does for models compiled with their weights.
        if not nm_:
            return None
        if nm_ in inits:
            return cs.const(inits[nm_])
        return cs.const(feed[nm_]) if frozen else cs.inp(feed[nm_])
    x = feed.get(node.input[0], inits.get(node.input[0]))
    if op in ("Softmax", "LogSoftmax"):
        r = x.ndim
        axis = at.get("axis", -1 if opset >= 13 else 1)
        axis = axis + r if axis < 0 else axis
        end = axis + 1 if opset >= 13 else r
        cs.node("SOFTMAX", [tin(node.input[0])], [cs.out(outs[0])], "a->axis = %d" % axis,
                "a->axis_end = %d" % end, "a->log = %s" % ("true" if op == "LogSoftmax" else "false"))
        return
    if op == "BatchNormalization":
        cs.node("BATCHNORM", [tin(n_, i > 0) for i, n_ in enumerate(node.input[:5])], [cs.out(outs[0])],
                "a->epsilon = %s" % c_act(np.float32(at.get("epsilon", 1e-5))))
        return
    w = inits.get(node.input[1], feed.get(node.input[1]))
    nsp = x.ndim - 2
    k = list(at.get("kernel_shape", w.shape[2:]))
    st = list(at.get("strides", [1] * nsp))
    dl = list(at.get("dilations", [1] * nsp))
    pads = list(at.get("pads", [0] * 2 * nsp))
    pb, pe = pads[:nsp], pads[nsp:]
    ap = s_(at.get("auto_pad", "NOTSET"))
    group = at.get("group", 1)
    y = outs[0]
    opad = list(at.get("output_padding", [0] * nsp))
    if op == "Conv":
        if ap in ("SAME_UPPER", "SAME_LOWER"):
            for i in range(nsp):
                pb[i], pe[i] = same_pads(x.shape[2 + i], k[i], st[i], dl[i], ap)
        elif ap == "VALID":
            pb, pe = [0] * nsp, [0] * nsp
    else:
        for i in range(nsp):
            full = st[i] * (x.shape[2 + i] - 1) + opad[i] + (k[i] - 1) * dl[i] + 1
            if "output_shape" in at or ap in ("SAME_UPPER", "SAME_LOWER"):
                tot = full - y.shape[2 + i]
                if ap == "SAME_UPPER":
                    pb[i], pe[i] = tot // 2, tot - tot // 2
                else:
                    pb[i], pe[i] = tot - tot // 2, tot // 2
            elif ap == "VALID":
                pb[i], pe[i] = 0, 0
            # Whatever the output is beyond full - pads is output padding.
            opad[i] = y.shape[2 + i] - (full - opad[i] - pb[i] - pe[i])
    cs.node("CONV" if op == "Conv" else "CONV_TRANSPOSE", [tin(n_, i > 0) for i, n_ in enumerate(node.input)],
            [cs.out(y)],
            *conv_attrs(nsp, k, st, dl, pb, pe, group, op_pad=opad if op != "Conv" else None))


SIMPLE = ("Add", "Sub", "Mul", "Div", "MatMul", "Transpose", "LeakyRelu", "HardSigmoid", "HardSwish",
          "Sigmoid", "Tanh", "Relu", "Clip", "ReduceMean", "Concat", "Pad", "Slice")
OKT = (np.float32, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64)


def simple_conf(m, node, at, feed, inits, outs, name):
    op = node.op_type
    opset = m.opset_import[0].version
    vals = []
    for n_ in node.input:
        vals.append(None if not n_ else inits.get(n_, feed.get(n_)))
    if any(v is not None and v.dtype.type not in OKT for v in vals) or outs[0].dtype.type not in OKT:
        return
    x = vals[0]
    cs = add(Case(name, rtol=1e-3, atol=1e-6))
    y = outs[0]
    if op in ("Add", "Sub", "Mul", "Div", "MatMul"):
        ir = {"Add": "ADD", "Sub": "SUB", "Mul": "MUL", "Div": "DIV", "MatMul": "MATMUL"}[op]
        cs.node(ir, [cs.inp(vals[0]), cs.inp(vals[1])], [cs.out(y)])
    elif op == "Transpose":
        perm = list(at.get("perm", reversed(range(x.ndim))))
        cs.node("TRANSPOSE", [cs.inp(x)], [cs.out(y)], *["a->perm[%d] = %d" % (i, v) for i, v in enumerate(perm)])
    elif op in ("LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh"):
        ir = {"LeakyRelu": "LEAKY_RELU", "HardSigmoid": "HARD_SIGMOID", "HardSwish": "HARD_SWISH",
              "Sigmoid": "SIGMOID", "Tanh": "TANH"}[op]
        alpha = at.get("alpha", 0.01 if op == "LeakyRelu" else 0.2)
        cs.node(ir, [cs.inp(x)], [cs.out(y)], "a->alpha = %s" % c_act(np.float32(alpha)),
                "a->beta = %s" % c_act(np.float32(at.get("beta", 0.5))))
    elif op in ("Relu", "Clip"):
        if op == "Relu":
            lo, hi = 0.0, math.inf
        elif opset < 11:
            lo, hi = at.get("min", -math.inf), at.get("max", math.inf)
        else:
            lo = float(vals[1]) if len(vals) > 1 and vals[1] is not None else -math.inf
            hi = float(vals[2]) if len(vals) > 2 and vals[2] is not None else math.inf
        cs.node("CLIP", [cs.inp(x)], [cs.out(y)], "a->act.on = true", "a->act.lo = %s" % c_act(lo),
                "a->act.hi = %s" % c_act(hi))
    elif op == "ReduceMean":
        axes = at.get("axes", None)
        if axes is None and len(vals) > 1 and vals[1] is not None:
            axes = list(vals[1])
        if axes is None or len(axes) == 0:
            axes = [] if at.get("noop_with_empty_axes", 0) else list(range(x.ndim))
        axes = [a + x.ndim if a < 0 else a for a in axes]
        cs.node("REDUCE_MEAN", [cs.inp(x)], [cs.out(y)], "a->axes_mask = %du" % sum(1 << a for a in axes))
    elif op == "Concat":
        ax = at["axis"] + (x.ndim if at["axis"] < 0 else 0)
        cs.node("CONCAT", [cs.inp(v) for v in vals], [cs.out(y)], "a->axis = %d" % ax)
    elif op == "Slice":
        r = x.ndim
        starts, ends = list(vals[1]), list(vals[2])
        axes = list(vals[3]) if len(vals) > 3 and vals[3] is not None else list(range(len(starts)))
        steps = list(vals[4]) if len(vals) > 4 and vals[4] is not None else [1] * len(starts)
        begin, step = [0] * r, [1] * r
        for i, a in enumerate(axes):
            a = a + r if a < 0 else a
            d = x.shape[a]
            st_ = int(starts[i])
            st_ = st_ + d if st_ < 0 else st_
            st_ = max(0, min(st_, d if steps[i] > 0 else d - 1))
            begin[a], step[a] = st_, int(steps[i])
        if y.size == 0:
            begin = [0] * r
        at_ = []
        for i in range(r):
            at_ += ["a->begin[%d] = %d" % (i, begin[i]), "a->step[%d] = %d" % (i, step[i])]
        cs.node("SLICE", [cs.inp(x)], [cs.out(y)], *at_)
    elif op == "Pad":
        mode = s_(at.get("mode", "constant")).upper()
        r = x.ndim
        if opset < 11:
            pads = list(at["pads"])
            value = at.get("value", 0.0)
        else:
            pv = list(vals[1])
            value = float(vals[2]) if len(vals) > 2 and vals[2] is not None and vals[2].size else 0.0
            axes = list(vals[3]) if len(vals) > 3 and vals[3] is not None else list(range(r))
            axes = [a + r if a < 0 else a for a in axes]
            pads = [0] * (2 * r)
            for i, a in enumerate(axes):
                pads[a], pads[r + a] = pv[i], pv[len(axes) + i]
        at_ = ["a->pad_mode = IR_PAD_%s" % mode, "a->pad_value = %r" % float(value)]
        for i in range(r):
            at_ += ["a->begin[%d] = %d" % (i, pads[i]), "a->end[%d] = %d" % (i, pads[r + i])]
        cs.node("PAD", [cs.inp(x)], [cs.out(y)], *at_)


def load_case_at(path):
    m = onnx.load(os.path.join(path, "model.onnx"))
    ds = os.path.join(path, "test_data_set_0")
    ins, outs = [], []
    for fn in sorted(os.listdir(ds)):
        t = onnx.TensorProto()
        with open(os.path.join(ds, fn), "rb") as f:
            t.ParseFromString(f.read())
        (ins if fn.startswith("input") else outs).append(numpy_helper.to_array(t))
    return m, ins, outs


def s_(v):
    return v.decode() if isinstance(v, bytes) else v


for base, prefix in ((CONF, "onnx_"), (PT, "pt_")):
    for nm in sorted(os.listdir(base)):
        if nm.startswith("test_") and os.path.isdir(os.path.join(base, nm)):
            low = nm.lower()
            if any(k in low for k in ("conv", "softmax", "batchnorm", "add", "sub", "mul", "div", "matmul",
                                      "transpose", "relu", "sigmoid", "tanh", "hardswish", "clip",
                                      "reduce_mean", "concat", "pad", "slice")) and "integer" not in low \
                    and "training_mode" not in low \
                    and "qlinear" not in low:
                generic_conf(os.path.join(base, nm), prefix + nm[5:])

# Bidirectional GRU and LSTM with torch (linear_before_reset = 1 is torch's GRU).
torch.manual_seed(7)
for kind in ("GRU", "LSTM"):
    I, H, T, B = 3, 4, 5, 2
    mod = (torch.nn.GRU if kind == "GRU" else torch.nn.LSTM)(I, H, bidirectional=True)
    xin = torch.randn(T, B, I)
    h0 = torch.randn(2, B, H)
    with torch.no_grad():
        if kind == "GRU":
            yt, hn = mod(xin, h0)
        else:
            c0 = torch.randn(2, B, H)
            yt, (hn, cn) = mod(xin, (h0, c0))
    G = 3 if kind == "GRU" else 4
    # torch gate order: GRU r,z,n; LSTM i,f,g,o.  ONNX: GRU z,r,h; LSTM i,o,f,c.
    order = [1, 0, 2] if kind == "GRU" else [0, 3, 1, 2]

    def reorder(wm):
        return np.concatenate([wm[g * H:(g + 1) * H] for g in order], 0)

    Ws, Rs, Bs = [], [], []
    for sfx in ("", "_reverse"):
        Ws.append(reorder(getattr(mod, "weight_ih_l0" + sfx).detach().numpy()))
        Rs.append(reorder(getattr(mod, "weight_hh_l0" + sfx).detach().numpy()))
        Bs.append(np.concatenate([reorder(getattr(mod, "bias_ih_l0" + sfx).detach().numpy()),
                                  reorder(getattr(mod, "bias_hh_l0" + sfx).detach().numpy())]))
    y = yt.numpy().reshape(T, B, 2, H).transpose(0, 2, 1, 3)  # [T, dirs, B, H]
    cs = add(Case("torch_%s_bidirectional" % kind.lower()))
    ins = [cs.inp(xin.numpy()), cs.const(f32(np.stack(Ws))), cs.const(f32(np.stack(Rs))),
           cs.const(f32(np.stack(Bs))), None, cs.inp(h0.numpy())]
    outs = [cs.out(f32(y)), cs.out(hn.numpy())]
    if kind == "LSTM":
        ins += [cs.inp(c0.numpy()), None]
        outs.append(cs.out(cn.numpy()))
    cs.node(kind, ins, outs, "a->rnn.direction = IR_RNN_BIDIRECTIONAL", "a->rnn.hidden_size = %d" % H,
            "a->rnn.linear_before_reset = %s" % ("true" if kind == "GRU" else "false"))

# LSTM with clip, input_forget, reverse direction and sequence_lens: a plain
# numpy transcription of the ONNX LSTM equations (no peepholes).
def sigm(v):
    return 1.0 / (1.0 + np.exp(-v))


T_, B_, I_, H_ = 4, 2, 3, 2
X = randn(T_, B_, I_)
W = randn(1, 4 * H_, I_)
R = randn(1, 4 * H_, H_)
Bb = randn(1, 8 * H_)
lens = np.array([3, 1], np.int32)
clipv = 0.5
Y = np.zeros((T_, 1, B_, H_))
Yh = np.zeros((1, B_, H_))
Yc = np.zeros((1, B_, H_))
for b in range(B_):
    h = np.zeros(H_)
    c = np.zeros(H_)
    for t in reversed(range(lens[b])):
        g = W[0].astype(np.float64) @ X[t, b] + R[0].astype(np.float64) @ h + Bb[0, :4 * H_] + Bb[0, 4 * H_:]
        g = np.clip(g, -clipv, clipv)
        i = sigm(g[0:H_])
        o = sigm(g[H_:2 * H_])
        f = 1.0 - i   # input_forget couples the gates
        cc = np.tanh(g[3 * H_:])
        c = f * c + i * cc
        h = o * np.tanh(c)
        Y[t, 0, b] = h
    Yh[0, b] = h
    Yc[0, b] = c
cs = add(Case("lstm_clip_input_forget_reverse_seqlens", kernel="kiln_lstm_f32"))
cs.node("LSTM", [cs.inp(X), cs.const(W), cs.const(R), cs.const(Bb), cs.const(lens)],
        [cs.out(f32(Y)), cs.out(f32(Yh)), cs.out(f32(Yc))],
        "a->rnn.direction = IR_RNN_REVERSE", "a->rnn.hidden_size = %d" % H_, "a->rnn.clip = 0.5f",
        "a->rnn.input_forget = true")

# ---- integer max pooling (data family), numpy pool_ref from ir_ops.def --------
# Small value ranges make ties: the first maximum in window order must win,
# in Y and in Indices.  int8 covers the sign (the kernel compares bytes).


def int_pool_case(name, dt, xs, k, stride, dil, pb, pe, out, layout="NCHW", indices=False):
    lo, hi = (-128, 127) if dt == np.int8 else (0, 255)
    x = rng.integers(lo, hi + 1, size=xs).astype(dt)
    x.flat[::7] = hi   # ties at the top of the range
    x.flat[3::11] = lo
    y, idx = pool_ref(x, "max", k, stride, dil, pb, pe, out, False)
    y = y.astype(dt)
    cs = add(Case(name, rtol=0, atol=0, kernel="kiln_maxpool_%s" % ("int8" if dt == np.int8 else "uint8")))
    if layout == "NHWC":
        x, y = to_nhwc(x), to_nhwc(y)
    outs = [cs.out(np.ascontiguousarray(y))]
    if indices:
        outs.append(cs.out(idx))
    cs.node("MAXPOOL", [cs.inp(np.ascontiguousarray(x))], outs,
            *conv_attrs(len(k), k, stride, dil, pb, pe, layout=layout))


int_pool_case("maxpool2d_u8_ceil_dil_idx", np.uint8, (1, 2, 7, 6), (3, 2), (2, 2), (1, 2), (1, 0), (1, 1),
              (4, 3), indices=True)
int_pool_case("maxpool2d_s8_pads_idx", np.int8, (2, 3, 5, 5), (3, 3), (1, 1), (1, 1), (1, 1), (1, 1),
              (5, 5), indices=True)
int_pool_case("maxpool3d_s8", np.int8, (1, 2, 4, 4, 5), (2, 2, 3), (2, 1, 2), (1, 2, 1), (0, 1, 1),
              (0, 0, 1), (2, 2, 3))
int_pool_case("maxpool1d_u8_nhwc", np.uint8, (1, 4, 9), (3,), (2,), (1,), (1,), (1,), (5,), layout="NHWC")
int_pool_case("maxpool2d_s8_nhwc", np.int8, (1, 3, 5, 5), (2, 2), (2, 2), (1, 1), (0, 0), (1, 1), (3, 3),
              layout="NHWC")

# ---- write ------------------------------------------------------------------

with open(OUT, "w") as f:
    f.write("/* lower_cases_f32.h - GENERATED by tests/gen/gen_lower_cases.py; do not edit.\n"
            " * Cases of test_lower_exec_f32.c: IR builders with inputs and expected\n"
            " * outputs from torch/numpy/ONNX conformance data. */\n\n")
    for c in CASES:
        f.write(c.emit() + "\n")
    f.write("static const tcase cases[] = {\n")
    for c in CASES:
        f.write('    {"%s", build_%s, %r, %r, %s},\n' % (c.name, c.name, c.rtol, c.atol,
                                                       '"%s"' % c.kernel if c.kernel else "NULL"))
    f.write("};\n")
print("wrote %d cases to %s" % (len(CASES), OUT))
