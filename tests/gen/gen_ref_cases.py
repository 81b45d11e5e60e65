#!/usr/bin/python3
"""gen_ref_cases.py - turns ONNX conformance cases into tests/unit/ref_cases.h.

The reference evaluator's unit test (tests/unit/test_ref_eval.c) rebuilds each
case as one IR node and compares the evaluator's result with the expected
output stored in the conformance case.  The expected values come from the ONNX
project (../shared/conformance, onnx v1.22.0 backend tests), never from Kiln.

This script is a small importer for the test only: it reads each case's
model.onnx (attributes, initializers) and test_data_set_0/*.pb, resolves what
ir_ops.def says importers resolve (auto_pad, Gemm transposes and alpha/beta,
Slice clamping, Resize scales from sizes, ...) and writes C data: inputs,
expected outputs and a function setting the IR attributes.  Conv, pool and
batchnorm cases are written a second time in NHWC layout (inputs and expected
outputs transposed) so the channels-last paths are checked against the same
data.

Run with the Debian python that has onnx and numpy:
    /usr/bin/python3 tests/gen/gen_ref_cases.py [--conformance DIR] [--out FILE]
It prints every case it skipped and why.
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

# ir_dtype values (compiler/ir/ir.h)
DT = {
    np.dtype('float32'): 'IR_DT_F32', np.dtype('int8'): 'IR_DT_S8', np.dtype('uint8'): 'IR_DT_U8',
    np.dtype('int16'): 'IR_DT_S16', np.dtype('int32'): 'IR_DT_S32', np.dtype('int64'): 'IR_DT_S64',
    np.dtype('uint16'): 'IR_DT_U16', np.dtype('uint32'): 'IR_DT_U32', np.dtype('bool'): 'IR_DT_BOOL',
    np.dtype('uint64'): 'IR_DT_U64', np.dtype('float16'): 'IR_DT_F16', np.dtype('float64'): 'IR_DT_F64',
}

MAX_ELEMS = 6000        # per case (inputs + outputs): keeps the header small
MAX_NHWC_ELEMS = 1500   # NHWC copies only of the smaller cases
# Larger cases worth their size: ceil_mode windows past the end pad, with
# count_include_pad and dilation, in 3-D.
# Cases whose expected values were written by hand to 4 decimals: compared
# with the ONNX backend test's own tolerance (atol 1e-7, rtol 1e-3).
LOOSE = {'onnx-node/test_averagepool_2d_ceil_last_window_starts_on_pad': (1e-7, 1e-3)}
ALLOW_LARGE = {'onnx-node/test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True'}


class Skip(Exception):
    pass


class T:
    """A tensor of a case: values, IR dtype, optional quantization."""

    def __init__(self, arr, dtype=None, q=None):
        self.arr = np.asarray(arr)
        self.dtype = dtype or DT.get(self.arr.dtype)
        if self.dtype is None:
            raise Skip('dtype %s' % self.arr.dtype)
        self.q = q          # (scales list, zero points list, axis) or None


def tq(arr, scale, zp, axis=0):
    scale = np.asarray(scale, dtype=np.float32).reshape(-1)
    zp = np.zeros(scale.shape, np.int64) if zp is None else np.asarray(zp).astype(np.int64).reshape(-1)
    if zp.size == 1 and scale.size > 1:
        zp = np.repeat(zp, scale.size)
    return T(arr, q=(scale, zp, axis if scale.size > 1 else 0))


class Case:
    def __init__(self, name, op, attrs, ins, outs, qtol=0):
        self.name, self.op, self.attrs, self.ins, self.outs, self.qtol = name, op, attrs, ins, outs, qtol


# ---- reading a conformance case ----------------------------------------------

def read_pb(path):
    t = onnx.TensorProto()
    with open(path, 'rb') as f:
        t.ParseFromString(f.read())
    try:
        return numpy_helper.to_array(t)
    except (KeyError, ValueError, TypeError) as e:   # fp8, int4, ... unknown to this onnx
        raise Skip('tensor type %d unreadable (%s)' % (t.data_type, type(e).__name__))


def load(case_dir):
    m = onnx.load(os.path.join(case_dir, 'model.onnx'))
    g = m.graph
    if len(g.node) != 1:
        raise Skip('%d nodes' % len(g.node))
    try:
        vals = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    except (KeyError, ValueError, TypeError):
        raise Skip('initializer type unreadable')
    ds = os.path.join(case_dir, 'test_data_set_0')
    feeds = [i.name for i in g.input if i.name not in vals]
    for k, name in enumerate(feeds):
        vals[name] = read_pb(os.path.join(ds, 'input_%d.pb' % k))
    outs = {}
    for k, o in enumerate(g.output):
        outs[o.name] = read_pb(os.path.join(ds, 'output_%d.pb' % k))
    node = g.node[0]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    for k, v in list(attrs.items()):
        if isinstance(v, bytes):
            attrs[k] = v.decode()
    opset = max(o.version for o in m.opset_import if o.domain in ('', 'ai.onnx'))
    ins = [vals.get(n) if n else None for n in node.input]
    outv = [outs.get(n) if n else None for n in node.output]
    return node.op_type, attrs, ins, outv, opset


# ---- attribute helpers -----------------------------------------------------------

def conv_pads(attrs, in_sp, k, strides, dil):
    n = len(in_sp)
    ap = attrs.get('auto_pad', 'NOTSET')
    if ap in ('SAME_UPPER', 'SAME_LOWER'):
        pb, pe = [], []
        for i in range(n):
            out = -(-in_sp[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + (k[i] - 1) * dil[i] + 1 - in_sp[i])
            small = total // 2
            pb.append(small if ap == 'SAME_UPPER' else total - small)
            pe.append(total - pb[-1])
        return pb, pe
    if ap == 'VALID':
        return [0] * n, [0] * n
    pads = attrs.get('pads', [0] * (2 * n))
    return list(pads[:n]), list(pads[n:])


def conv_attr_lines(nsp, k, strides, dil, pb, pe, group=1, extra=()):
    L = ['a->conv.layout = IR_LAYOUT_NCHW;', 'a->conv.nspatial = %d;' % nsp]
    for i in range(nsp):
        L.append('a->conv.kernel[%d] = %d; a->conv.stride[%d] = %d; a->conv.dilation[%d] = %d;'
                 % (i, k[i], i, strides[i], i, dil[i]))
        L.append('a->conv.pad_begin[%d] = %d; a->conv.pad_end[%d] = %d;' % (i, pb[i], i, pe[i]))
    L.append('a->conv.group = %d;' % group)
    L.extend(extra)
    return L


def f32(v):
    return np.asarray(v, dtype=np.float32)


# ---- one function per ONNX op: returns (ir op, attr lines, ins, outs, qtol) ----------

def op_conv(at, ins, outs, opset):
    x, w = ins[0], ins[1]
    nsp = x.ndim - 2
    k = list(w.shape[2:])
    st = at.get('strides', [1] * nsp)
    dil = at.get('dilations', [1] * nsp)
    pb, pe = conv_pads(at, list(x.shape[2:]), k, st, dil)
    lines = conv_attr_lines(nsp, k, st, dil, pb, pe, at.get('group', 1))
    i = [T(x), T(w)] + ([T(ins[2])] if len(ins) > 2 and ins[2] is not None else [])
    return 'IR_OP_CONV', lines, i, [T(outs[0])], 0


def op_conv_integer(at, ins, outs, opset):
    x, w = ins[0], ins[1]
    xz = ins[2] if len(ins) > 2 and ins[2] is not None else 0
    wz = ins[3] if len(ins) > 3 and ins[3] is not None else 0
    nsp = x.ndim - 2
    k = list(w.shape[2:])
    st = at.get('strides', [1] * nsp)
    dil = at.get('dilations', [1] * nsp)
    pb, pe = conv_pads(at, list(x.shape[2:]), k, st, dil)
    lines = conv_attr_lines(nsp, k, st, dil, pb, pe, at.get('group', 1))
    wz = np.asarray(wz).reshape(-1)
    return ('IR_OP_CONV', lines, [tq(x, [1.0], [xz]), tq(w, [1.0] * wz.size, wz, 0)],
            [T(outs[0])], 0)


def op_qlinear_conv(at, ins, outs, opset):
    x, xs, xz, w, ws, wz, ys, yz = ins[:8]
    b = ins[8] if len(ins) > 8 else None
    nsp = x.ndim - 2
    k = list(w.shape[2:])
    st = at.get('strides', [1] * nsp)
    dil = at.get('dilations', [1] * nsp)
    pb, pe = conv_pads(at, list(x.shape[2:]), k, st, dil)
    lines = conv_attr_lines(nsp, k, st, dil, pb, pe, at.get('group', 1))
    lines.append('a->qmode = IR_QMODE_ONNX;')
    i = [tq(x, xs, xz), tq(w, ws, wz, 0)] + ([T(b)] if b is not None else [])
    return 'IR_OP_CONV', lines, i, [tq(outs[0], ys, yz)], 1


def op_conv_transpose(at, ins, outs, opset):
    x, w = ins[0], ins[1]
    nsp = x.ndim - 2
    k = list(w.shape[2:])
    st = at.get('strides', [1] * nsp)
    dil = at.get('dilations', [1] * nsp)
    op = list(at.get('output_padding', [0] * nsp))
    ap = at.get('auto_pad', 'NOTSET')
    out_shape = at.get('output_shape')
    if ap in ('SAME_UPPER', 'SAME_LOWER') and out_shape is None:
        out_shape = [x.shape[2 + i] * st[i] for i in range(nsp)]
    if out_shape is not None:
        pb, pe = [], []
        for i in range(nsp):
            total = st[i] * (x.shape[2 + i] - 1) + op[i] + (k[i] - 1) * dil[i] + 1 - out_shape[i]
            if total < 0:           # the requested size is larger: extra output padding
                op[i] -= total
                total = 0
            if ap == 'SAME_UPPER':
                pb.append(total // 2)
            else:
                pb.append(total - total // 2)
            pe.append(total - pb[-1])
    else:
        pads = at.get('pads', [0] * (2 * nsp))
        pb, pe = list(pads[:nsp]), list(pads[nsp:])
    extra = ['a->conv.output_padding[%d] = %d;' % (i, op[i]) for i in range(nsp)]
    lines = conv_attr_lines(nsp, k, st, dil, pb, pe, at.get('group', 1), extra)
    i = [T(x), T(w)] + ([T(ins[2])] if len(ins) > 2 and ins[2] is not None else [])
    return 'IR_OP_CONV_TRANSPOSE', lines, i, [T(outs[0])], 0


def op_gemm(at, ins, outs, opset):
    a, b = ins[0], ins[1]
    c = ins[2] if len(ins) > 2 else None
    if at.get('transA', 0):
        a = a.T.copy()
    bb = b.T if at.get('transB', 0) else b                  # [K, N]
    w = (float(at.get('alpha', 1.0)) * bb.astype(np.float64)).T     # [N, K]
    n = w.shape[0]
    i = [T(a), T(w.astype(np.float64), 'IR_DT_F32')]
    if c is not None:
        if c.ndim == 2 and c.shape[0] != 1:
            raise Skip('matrix bias (not a FULLY_CONNECTED)')
        bias = np.broadcast_to(float(at.get('beta', 1.0)) * c.astype(np.float64).reshape(-1), (n,))
        i.append(T(np.array(bias), 'IR_DT_F32'))
    return 'IR_OP_FULLY_CONNECTED', [], i, [T(outs[0])], 0


def op_matmul(at, ins, outs, opset):
    return 'IR_OP_MATMUL', [], [T(ins[0]), T(ins[1])], [T(outs[0])], 0


def op_matmul_integer(at, ins, outs, opset):
    a, b = ins[0], ins[1]
    az = ins[2] if len(ins) > 2 and ins[2] is not None else 0
    bz = np.asarray(ins[3] if len(ins) > 3 and ins[3] is not None else 0).reshape(-1)
    return ('IR_OP_MATMUL', [], [tq(a, [1.0], [az]), tq(b, [1.0] * bz.size, bz, b.ndim - 1)],
            [T(outs[0])], 0)


def op_qlinear_matmul(at, ins, outs, opset):
    a, as_, az, b, bs, bz, ys, yz = ins
    if a.dtype == np.float16 or as_.dtype == np.float16:
        raise Skip('float16 scales')
    return ('IR_OP_MATMUL', ['a->qmode = IR_QMODE_ONNX;'],
            [tq(a, as_, az), tq(b, bs, bz, b.ndim - 1)], [tq(outs[0], ys, yz)], 1)


def binary(irop):
    def f(at, ins, outs, opset):
        return irop, [], [T(ins[0]), T(ins[1])], [T(outs[0])], 0
    return f


def act_line(lo, hi):
    def c(v):
        if v == math.inf:
            return 'INFINITY'
        if v == -math.inf:
            return '-INFINITY'
        return repr(float(v)) + 'f'
    return 'a->act.on = true; a->act.lo = %s; a->act.hi = %s;' % (c(lo), c(hi))


def op_relu(at, ins, outs, opset):
    return 'IR_OP_CLIP', [act_line(0, math.inf)], [T(ins[0])], [T(outs[0])], 0


def op_clip(at, ins, outs, opset):
    lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
    hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
    lo = float(lo) if lo is not None else at.get('min', -math.inf)
    hi = float(hi) if hi is not None else at.get('max', math.inf)
    return 'IR_OP_CLIP', [act_line(lo, hi)], [T(ins[0])], [T(outs[0])], 0


def unary(irop, alpha=None, beta=None):
    def f(at, ins, outs, opset):
        lines = []
        if alpha is not None:
            lines.append('a->alpha = %sf;' % repr(float(at.get('alpha', alpha))))
        if beta is not None:
            lines.append('a->beta = %sf;' % repr(float(at.get('beta', beta))))
        return irop, lines, [T(ins[0])], [T(outs[0])], 0
    return f


def softmax(log):
    def f(at, ins, outs, opset):
        r = ins[0].ndim
        axis = at.get('axis', -1 if opset >= 13 else 1)
        axis = axis + r if axis < 0 else axis
        end = axis + 1 if opset >= 13 else r
        lines = ['a->axis = %d; a->axis_end = %d; a->log = %s;' % (axis, end, 'true' if log else 'false')]
        return 'IR_OP_SOFTMAX', lines, [T(ins[0])], [T(outs[0])], 0
    return f


def pool(irop, global_=False):
    def f(at, ins, outs, opset):
        x = ins[0]
        nsp = x.ndim - 2
        if global_:
            k, st, dil, pb, pe = list(x.shape[2:]), [1] * nsp, [1] * nsp, [0] * nsp, [0] * nsp
        else:
            k = at['kernel_shape']
            st = at.get('strides', [1] * nsp)
            dil = at.get('dilations', [1] * nsp)
            pb, pe = conv_pads(at, list(x.shape[2:]), k, st, dil)
        extra = []
        if at.get('count_include_pad', 0):
            extra.append('a->conv.count_include_pad = true;')
        if at.get('storage_order', 0):
            extra.append('a->conv.storage_order = 1;')
        lines = conv_attr_lines(nsp, k, st, dil, pb, pe, 1, extra)
        o = [T(outs[0])] + ([T(outs[1])] if len(outs) > 1 and outs[1] is not None else [])
        return irop, lines, [T(x)], o, 0
    return f


def op_batchnorm(at, ins, outs, opset):
    if at.get('training_mode', 0) or len(outs) > 1:
        raise Skip('training mode')
    lines = ['a->epsilon = %sf;' % repr(float(at.get('epsilon', 1e-5)))]
    return 'IR_OP_BATCHNORM', lines, [T(v) for v in ins[:5]], [T(outs[0])], 0


def op_reshape(at, ins, outs, opset):
    return 'IR_OP_RESHAPE', [], [T(ins[0])], [T(outs[0])], 0


def op_transpose(at, ins, outs, opset):
    r = ins[0].ndim
    perm = at.get('perm', list(range(r))[::-1])
    lines = ['a->perm[%d] = %d;' % (i, p) for i, p in enumerate(perm)]
    return 'IR_OP_TRANSPOSE', lines, [T(ins[0])], [T(outs[0])], 0


def op_concat(at, ins, outs, opset):
    r = ins[0].ndim
    axis = at['axis'] + r if at['axis'] < 0 else at['axis']
    return 'IR_OP_CONCAT', ['a->axis = %d;' % axis], [T(v) for v in ins], [T(outs[0])], 0


def op_pad(at, ins, outs, opset):
    x = ins[0]
    r = x.ndim
    if opset < 11:
        pads, value, axes = at['pads'], at.get('value', 0.0), None
    else:
        pads = list(ins[1])
        value = ins[2] if len(ins) > 2 and ins[2] is not None else 0
        axes = list(ins[3]) if len(ins) > 3 and ins[3] is not None else None
    begin, end = [0] * r, [0] * r
    axes = [a + r if a < 0 else a for a in (axes if axes is not None else range(r))]
    n = len(axes)
    for i, a in enumerate(axes):
        begin[a], end[a] = int(pads[i]), int(pads[n + i])
    mode = {'constant': 'IR_PAD_CONSTANT', 'reflect': 'IR_PAD_REFLECT', 'edge': 'IR_PAD_EDGE',
            'wrap': 'IR_PAD_WRAP'}[at.get('mode', 'constant')]
    lines = ['a->pad_mode = %s; a->pad_value = %r;' % (mode, float(value))]
    lines += ['a->begin[%d] = %d; a->end[%d] = %d;' % (d, begin[d], d, end[d]) for d in range(r)]
    return 'IR_OP_PAD', lines, [T(x)], [T(outs[0])], 0


def slice_lines(begin, step):
    return ['a->begin[%d] = %d; a->step[%d] = %d;' % (d, b, d, s) for d, (b, s) in enumerate(zip(begin, step))]


def op_slice(at, ins, outs, opset):
    x = ins[0]
    r = x.ndim
    starts, ends = list(ins[1]), list(ins[2])
    axes = list(ins[3]) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
    steps = list(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    begin, step = [0] * r, [1] * r
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = a + r if a < 0 else a
        dim = x.shape[a]
        s = s + dim if s < 0 else s
        if st > 0:
            s = min(max(s, 0), dim)
        else:
            s = min(max(s, 0), dim - 1)
        begin[a], step[a] = int(s), int(st)
    return 'IR_OP_SLICE', slice_lines(begin, step), [T(x)], [T(outs[0])], 0


def op_reduce_mean(at, ins, outs, opset):
    x = ins[0]
    r = x.ndim
    if opset >= 18:
        axes = list(ins[1]) if len(ins) > 1 and ins[1] is not None else []
    else:
        axes = list(at.get('axes', []))
    if not axes:
        if at.get('noop_with_empty_axes', 0):
            raise Skip('noop_with_empty_axes')
        axes = list(range(r))
    mask = 0
    for a in axes:
        mask |= 1 << (a + r if a < 0 else a)
    return 'IR_OP_REDUCE_MEAN', ['a->axes_mask = 0x%x;' % mask], [T(x)], [T(outs[0])], 0


COORD = {'half_pixel': 'IR_COORD_HALF_PIXEL', 'half_pixel_symmetric': 'IR_COORD_HALF_PIXEL_SYMMETRIC',
         'pytorch_half_pixel': 'IR_COORD_PYTORCH_HALF_PIXEL', 'align_corners': 'IR_COORD_ALIGN_CORNERS',
         'asymmetric': 'IR_COORD_ASYMMETRIC', 'tf_crop_and_resize': 'IR_COORD_TF_CROP_AND_RESIZE',
         'tf_half_pixel_for_nn': 'IR_COORD_TF_HALF_PIXEL_FOR_NN'}
NEAREST = {'round_prefer_floor': 'IR_NEAREST_ROUND_PREFER_FLOOR', 'round_prefer_ceil': 'IR_NEAREST_ROUND_PREFER_CEIL',
           'floor': 'IR_NEAREST_FLOOR', 'ceil': 'IR_NEAREST_CEIL'}
RMODE = {'nearest': 'IR_RESIZE_NEAREST', 'linear': 'IR_RESIZE_LINEAR', 'cubic': 'IR_RESIZE_CUBIC'}


def op_resize(at, ins, outs, opset, perm=None):
    """perm: also rewrite the case with axes permuted (e.g. to NHWC): X and Y
    transposed by perm, per-axis scale and ROI moved with their axes."""
    x = ins[0]
    r = x.ndim
    roi = ins[1] if len(ins) > 1 and ins[1] is not None and ins[1].size else None
    scales = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].size else None
    sizes = ins[3] if len(ins) > 3 and ins[3] is not None and ins[3].size else None
    axes = [a + r if a < 0 else a for a in at.get('axes', range(r))]
    scale = [1.0] * r
    if scales is not None:
        for i, a in enumerate(axes):
            scale[a] = float(scales[i])
    else:
        for i, a in enumerate(axes):
            scale[a] = float(sizes[i]) / x.shape[a]
        pol = at.get('keep_aspect_ratio_policy', 'stretch')
        if pol != 'stretch':
            pick = min if pol == 'not_larger' else max
            s = pick(scale[a] for a in axes)
            for a in axes:
                scale[a] = s
    rs, re_ = [0.0] * r, [1.0] * r
    if roi is not None:
        n = len(axes)
        for i, a in enumerate(axes):
            rs[a], re_[a] = float(roi[i]), float(roi[n + i])
    perm = perm or list(range(r))
    L = ['a->resize.mode = %s;' % RMODE[at.get('mode', 'nearest')],
         'a->resize.coord = %s;' % COORD[at.get('coordinate_transformation_mode', 'half_pixel')],
         'a->resize.nearest = %s;' % NEAREST[at.get('nearest_mode', 'round_prefer_floor')],
         'a->resize.cubic_a = %rf;' % float(at.get('cubic_coeff_a', -0.75)),
         'a->resize.exclude_outside = %s;' % ('true' if at.get('exclude_outside', 0) else 'false'),
         'a->resize.antialias = %s;' % ('true' if at.get('antialias', 0) else 'false'),
         'a->resize.extrapolation_value = %rf;' % float(at.get('extrapolation_value', 0.0))]
    for d in range(r):
        p = perm[d]
        L.append('a->resize.scale[%d] = %r; a->resize.roi_start[%d] = %r; a->resize.roi_end[%d] = %r;'
                 % (d, scale[p], d, rs[p], d, re_[p]))
    return ('IR_OP_RESIZE', L, [T(np.transpose(x, perm))], [T(np.transpose(outs[0], perm))], 0)


def rnn(irop, ngates_in):
    def f(at, ins, outs, opset):
        for k in ('activations', 'activation_alpha', 'activation_beta'):
            if k in at:
                raise Skip('custom activations')
        dirs = {'forward': 'IR_RNN_FORWARD', 'reverse': 'IR_RNN_REVERSE', 'bidirectional': 'IR_RNN_BIDIRECTIONAL'}
        L = ['a->rnn.direction = %s;' % dirs[at.get('direction', 'forward')],
             'a->rnn.hidden_size = %d;' % at['hidden_size'],
             'a->rnn.clip = %rf;' % float(at.get('clip', 0.0)),
             'a->rnn.input_forget = %s;' % ('true' if at.get('input_forget', 0) else 'false'),
             'a->rnn.linear_before_reset = %s;' % ('true' if at.get('linear_before_reset', 0) else 'false'),
             'a->rnn.layout = %d;' % at.get('layout', 0)]
        i = [T(v) if v is not None else None for v in ins[:ngates_in]]
        o = [T(v) if v is not None else None for v in outs]
        return irop, L, i, o, 0
    return f


def op_quantize(at, ins, outs, opset):
    x, s = ins[0], ins[1]
    z = ins[2] if len(ins) > 2 else None
    if at.get('block_size', 0):
        raise Skip('blocked quantization')
    if x.dtype != np.float32 or outs[0].dtype not in DT:
        raise Skip('dtype %s -> %s' % (x.dtype, outs[0].dtype))
    axis = at.get('axis', 1)
    axis = axis + x.ndim if axis < 0 else axis
    return 'IR_OP_QUANTIZE', ['a->qmode = IR_QMODE_ONNX;'], [T(x)], [tq(outs[0], s, z, axis)], 0


def op_dequantize(at, ins, outs, opset):
    x, s = ins[0], ins[1]
    z = ins[2] if len(ins) > 2 else None
    if at.get('block_size', 0):
        raise Skip('blocked quantization')
    if x.dtype not in DT or outs[0].dtype != np.float32:
        raise Skip('dtype %s -> %s' % (x.dtype, outs[0].dtype))
    axis = at.get('axis', 1)
    axis = axis + x.ndim if axis < 0 else axis
    return 'IR_OP_DEQUANTIZE', [], [tq(x, s, z, axis)], [T(outs[0])], 0


OPS = {
    'Conv': op_conv, 'ConvInteger': op_conv_integer, 'QLinearConv': op_qlinear_conv,
    'ConvTranspose': op_conv_transpose, 'Gemm': op_gemm, 'MatMul': op_matmul,
    'MatMulInteger': op_matmul_integer, 'QLinearMatMul': op_qlinear_matmul,
    'Add': binary('IR_OP_ADD'), 'Sub': binary('IR_OP_SUB'), 'Mul': binary('IR_OP_MUL'),
    'Div': binary('IR_OP_DIV'), 'Relu': op_relu, 'Clip': op_clip,
    'LeakyRelu': unary('IR_OP_LEAKY_RELU', alpha=0.01), 'Sigmoid': unary('IR_OP_SIGMOID'),
    'Tanh': unary('IR_OP_TANH'), 'HardSigmoid': unary('IR_OP_HARD_SIGMOID', alpha=0.2, beta=0.5),
    'HardSwish': unary('IR_OP_HARD_SWISH'), 'Softmax': softmax(False), 'LogSoftmax': softmax(True),
    'MaxPool': pool('IR_OP_MAXPOOL'), 'AveragePool': pool('IR_OP_AVGPOOL'),
    'GlobalMaxPool': pool('IR_OP_MAXPOOL', True), 'GlobalAveragePool': pool('IR_OP_AVGPOOL', True),
    'BatchNormalization': op_batchnorm, 'Reshape': op_reshape, 'Flatten': op_reshape,
    'Squeeze': op_reshape, 'Unsqueeze': op_reshape, 'Transpose': op_transpose, 'Concat': op_concat,
    'Pad': op_pad, 'Slice': op_slice, 'ReduceMean': op_reduce_mean, 'Resize': op_resize,
    'LSTM': rnn('IR_OP_LSTM', 8), 'GRU': rnn('IR_OP_GRU', 6),
    'QuantizeLinear': op_quantize, 'DequantizeLinear': op_dequantize,
}


def split_cases(name, at, ins, outs, opset):
    """Split imports as one SLICE per output: one case each."""
    x = ins[0]
    r = x.ndim
    axis = at.get('axis', 0)
    axis = axis + r if axis < 0 else axis
    cases, off = [], 0
    for k, o in enumerate(outs):
        begin = [0] * r
        begin[axis] = off
        off += o.shape[axis]
        cases.append(Case('%s/out%d' % (name, k), 'IR_OP_SLICE', slice_lines(begin, [1] * r),
                          [T(x)], [T(o)]))
    return cases


# ---- NHWC variants -------------------------------------------------------------

def to_nhwc(a):
    r = a.ndim
    return np.transpose(a, [0] + list(range(2, r)) + [1])


def nhwc_variant(c):
    if any(o is not None and o.arr.dtype == np.int64 for o in c.outs):
        return None     # MaxPool Indices are NCHW flat indices
    ins = [T(to_nhwc(c.ins[0].arr), c.ins[0].dtype, c.ins[0].q)] + c.ins[1:]
    outs = [T(to_nhwc(c.outs[0].arr), c.outs[0].dtype, c.outs[0].q)]
    attrs = [l.replace('IR_LAYOUT_NCHW', 'IR_LAYOUT_NHWC') for l in c.attrs]
    if c.op == 'IR_OP_BATCHNORM':
        attrs.append('a->conv.layout = IR_LAYOUT_NHWC;')
    return Case(c.name + '/nhwc', c.op, attrs, ins, outs, c.qtol)


# ---- writing C ------------------------------------------------------------------

def cnum(v, dtype):
    if dtype in ('IR_DT_F32', 'IR_DT_F16', 'IR_DT_F64'):
        v = float(v)
        if math.isnan(v):
            return 'NAN'
        if math.isinf(v):
            return 'INFINITY' if v > 0 else '-INFINITY'
        if dtype == 'IR_DT_F32':
            s = np.format_float_positional(np.float32(v), unique=True, trim='0')
            s2 = np.format_float_scientific(np.float32(v), unique=True, trim='0')
        else:
            s = repr(v)
            s2 = s
        s = min(s, s2, key=len)
        return s[:-1] if s.endswith('.') else s
    return str(int(v))


def cfloat(v):
    """A float literal (1.0f, not the invalid 1f)."""
    s = cnum(v, 'IR_DT_F32')
    if not any(ch in s for ch in '.eEN'):
        s += '.0'
    return s + 'f' if s[0].isdigit() or s[0] == '-' and s[1].isdigit() else s


def carray(ctype, name, vals, per_line=12):
    if len(vals) == 0:
        return 'static const %s %s[1] = {0};\n' % (ctype, name)
    lines = []
    for i in range(0, len(vals), per_line):
        lines.append('    ' + ','.join(vals[i:i + per_line]) + ',')
    return 'static const %s %s[%d] = {\n%s\n};\n' % (ctype, name, len(vals), '\n'.join(lines))


def emit(cases, out_path, sources):
    parts = ['/* ref_cases.h - generated by tests/gen/gen_ref_cases.py; do not edit.\n'
             ' *\n'
             ' * ONNX backend conformance cases (onnx v1.22.0, Apache-2.0; see\n'
             ' * ../shared/conformance/LICENSE.onnx) rewritten as one IR node each:\n'
             ' * inputs, expected outputs (computed by the ONNX project) and the IR\n'
             ' * attributes.  %d cases from: %s.\n */\n' % (len(cases), ', '.join(sources)),
             '#ifndef REF_CASES_H\n#define REF_CASES_H\n\n#include <math.h>\n#include <stdint.h>\n'
             '#include "ir/ir.h"\n\n',
             'typedef struct rc_tensor {\n'
             '    int dtype;              /* ir_dtype; 0 = absent optional tensor */\n'
             '    int rank;\n'
             '    int64_t shape[IR_MAX_DIMS];\n'
             '    const double *data;     /* row-major values; expected values for outputs */\n'
             '    int qn, qaxis;          /* quantization (qn == 0: none) */\n'
             '    const float *qscale;\n'
             '    const int32_t *qzp;\n'
             '} rc_tensor;\n\n'
             'typedef struct rc_case {\n'
             '    const char *name;\n'
             '    ir_op op;\n'
             '    void (*attr)(ir_attr *a);\n'
             '    int n_in, n_out;\n'
             '    const rc_tensor *in, *out;\n'
             '    int qtol;               /* LSBs allowed on quantized outputs */\n'
             '    double atol, rtol;      /* float tolerance; 0, 0: the test\'s default */\n'
             '} rc_case;\n\n']
    table = []
    seen = {}       # identical arrays are written once

    def array(ctype, nm, vals):
        key = (ctype, tuple(vals))
        if key not in seen:
            seen[key] = nm
            parts.append(carray(ctype, nm, vals))
        return seen[key]

    for ci, c in enumerate(cases):
        pre = 'rc%d' % ci
        parts.append('/* %s */\n' % c.name)
        descs = []
        for role, lst in (('in', c.ins), ('out', c.outs)):
            dl = []
            for k, t in enumerate(lst):
                if t is None:
                    dl.append('{ 0 }')
                    continue
                nm = '%s_%s%d' % (pre, role, k)
                flat = t.arr.reshape(-1)
                data = array('double', nm, [cnum(v, t.dtype) for v in flat])
                qn, qaxis, qs, qz = 0, 0, 'NULL', 'NULL'
                if t.q is not None:
                    s, z, qaxis = t.q
                    qn = len(s)
                    qs = array('float', nm + '_qs', [cfloat(v) for v in s])
                    qz = array('int32_t', nm + '_qz', [str(int(v)) for v in z])
                shape = ', '.join(str(int(d)) for d in t.arr.shape) or '0'
                dl.append('{ %s, %d, { %s }, %s, %d, %d, %s, %s }'
                          % (t.dtype, t.arr.ndim, shape, data, qn, qaxis, qs, qz))
            parts.append('static const rc_tensor %s_%s[] = {\n    %s\n};\n'
                         % (pre, role, ',\n    '.join(dl) if dl else '{ 0 }'))
            descs.append(len(lst))
        parts.append('static void %s_attr(ir_attr *a)\n{\n%s}\n\n'
                     % (pre, ''.join('    %s\n' % l for l in c.attrs) or '    (void)a;\n'))
        tol = LOOSE.get(c.name.replace('/nhwc', ''), (0, 0))
        table.append('    { "%s", %s, %s_attr, %d, %d, %s_in, %s_out, %d, %r, %r },'
                     % (c.name, c.op, pre, descs[0], descs[1], pre, pre, c.qtol, tol[0], tol[1]))
    parts.append('static const rc_case rc_cases[] = {\n%s\n};\n\n#endif\n' % '\n'.join(table))
    with open(out_path + '.tmp', 'w') as f:
        f.write(''.join(parts))
    os.replace(out_path + '.tmp', out_path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, '..', '..'))
    ap = argparse.ArgumentParser()
    ap.add_argument('--conformance', default=os.path.join(root, '..', 'shared', 'conformance'))
    ap.add_argument('--out', default=os.path.join(root, 'tests', 'unit', 'ref_cases.h'))
    args = ap.parse_args()
    cases, skipped = [], []
    sources = ['onnx-node', 'onnx-pytorch-converted']
    for src in sources:
        base = os.path.join(args.conformance, src)
        for d in sorted(os.listdir(base)):
            name = '%s/%s' % (src, d)
            try:
                op, at, ins, outs, opset = load(os.path.join(base, d))
                n = sum(v.size for v in ins if v is not None) + sum(v.size for v in outs if v is not None)
                if n > MAX_ELEMS and name not in ALLOW_LARGE:
                    raise Skip('%d elements (limit %d)' % (n, MAX_ELEMS))
                if op == 'Split':
                    cases.extend(split_cases(name, at, ins, outs, opset))
                    continue
                if op not in OPS:
                    raise Skip('op %s not in the IR' % op)
                irop, lines, i, o, qtol = OPS[op](at, ins, outs, opset)
                c = Case(name, irop, lines, i, o, qtol)
                cases.append(c)
                if op == 'Resize' and ins[0].ndim == 4 and n <= MAX_NHWC_ELEMS:
                    cases.append(Case(name + '/nhwc', *op_resize(at, ins, outs, opset, [0, 2, 3, 1])))
                if irop in ('IR_OP_CONV', 'IR_OP_CONV_TRANSPOSE', 'IR_OP_MAXPOOL', 'IR_OP_AVGPOOL',
                            'IR_OP_BATCHNORM') and ins[0].ndim >= 3 and n <= MAX_NHWC_ELEMS:
                    v = nhwc_variant(c)
                    if v:
                        cases.append(v)
            except Skip as e:
                skipped.append((name, str(e)))
    import gen_ref_extra
    extra = gen_ref_extra.cases()
    cases.extend(extra)
    emit(cases, args.out, sources + ['%d cases computed with torch / numpy / onnx\'s numpy helpers '
                                     'by tests/gen/gen_ref_extra.py' % len(extra)])
    for name, why in skipped:
        print('skipped %-70s %s' % (name, why))
    print('wrote %d cases to %s (%d skipped)' % (len(cases), args.out, len(skipped)))


if __name__ == '__main__':
    sys.exit(main())
