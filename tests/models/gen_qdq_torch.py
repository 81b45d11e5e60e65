#!/usr/bin/python3
"""gen_qdq_torch.py - makes tests/models/qdq_torch_cnn.onnx: the small CNN of
gen_small_cnn.py (same builder, same seed) quantized by PyTorch and exported
to ONNX, as a PyTorch user would do it, and its reference outputs.

Quantization: post-training static quantization in FX mode (prepare_fx /
convert_fx) with the qnnpack qconfig (quint8 activations with HistogramObserver,
qint8 symmetric per-tensor weights), calibrated on 32 fixed random inputs.
BatchNorm folds into the convs, ReLU6 stays a separate quantized op, the last
conv's ReLU fuses into it.  torch.onnx.export (opset 13) then writes the QDQ
form with PyTorch's quirks: QuantizeLinear -> Cast -> DequantizeLinear
chains, int32 biases behind DequantizeLinear whose zero point is
ConstantOfShape -> Cast, ReLU6 as DequantizeLinear -> Clip -> QuantizeLinear
with equal scales, Flatten between DequantizeLinear and QuantizeLinear.

Reference outputs (tests/models/qdq_torch_cnn/, for seeds S = 1, 2, 3):
  input_S.npy       the input, uniform in [-1, 1)
  ort_logits_S.npy  onnxruntime's output for the exported model (npm
                    onnxruntime-node, default session options: its QDQ
                    fusion runs QLinearConv, QGemm, QLinearGlobalAveragePool)
  torch_logits_S.npy  the quantized PyTorch model's own output (qnnpack
                    arithmetic: an implementation independent of onnxruntime),
                    computed after the export with each ReLU6 given a
                    contiguous input: torch 1.13's ReLU6 on a quantized
                    channels-last tensor (what qnnpack's convs return)
                    returns the elements in the wrong order (its result,
                    read as NCHW, is the input's channels-last buffer
                    clamped), which moves the logits by up to ~40 LSB.
                    Clamping is order-free, so the fix changes no arithmetic.
  float_logits_S.npy  the float model's output, for scale
  taps_1/           onnxruntime's value of every QuantizeLinear output for
                    input 1, on qdq_torch_cnn_taps.onnx (the model with those
                    as extra graph outputs; expected.txt lists the files in
                    output order), so every layer can be compared
The exported model's int32 biases are the float biases divided by s_x*s_w
and truncated toward zero (the exporter's Cast), while qnnpack rounds them to
nearest at run time: up to one count apart, so a few conv outputs in ten
thousand land one LSB apart between PyTorch and the exported model.
Needs Debian's python3 (torch 1.13 with the qnnpack engine, onnx, numpy) and
node with onnxruntime-node (see gen_qdq_ort.py):
    ORT_NODE_MODULES=/tmp/ort/node_modules /usr/bin/python3 tests/models/gen_qdq_torch.py
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from torch.ao.quantization import QConfigMapping, get_default_qconfig
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_small_cnn  # noqa: E402
from qdq_taps import ort_run, write_taps  # noqa: E402

NAME = "qdq_torch_cnn"


class ContiguousReLU6(nn.Module):
    """ReLU6 on a contiguous copy of its quantized input (see the docstring)."""

    def forward(self, x):
        return torch.nn.functional.relu6(x.contiguous())


def fix_relu6(qmodel):
    for name, mod in list(qmodel.named_modules()):
        if isinstance(mod, nn.ReLU6):
            parent, _, leaf = name.rpartition(".")
            setattr(qmodel.get_submodule(parent) if parent else qmodel, leaf, ContiguousReLU6())


class Logits(nn.Module):
    """The classifier's logits only: the softmax stays float in PyTorch's
    quantized flow and would end the graph in float arithmetic."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)[0]


def main():
    torch.backends.quantized.engine = "qnnpack"
    torch.manual_seed(0)
    fmodel = Logits(gen_small_cnn.make_model(1234)).eval()
    qmap = QConfigMapping().set_global(get_default_qconfig("qnnpack"))
    example = torch.zeros(1, 3, 32, 32)
    prepared = prepare_fx(Logits(gen_small_cnn.make_model(1234)).eval(), qmap, example_inputs=(example,))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for _ in range(32):
            prepared(torch.from_numpy(rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32)))
    qmodel = convert_fx(prepared)

    path = os.path.join(HERE, NAME + ".onnx")
    torch.onnx.export(qmodel, example, path, opset_version=13, input_names=["image"],
                      output_names=["logits"])
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print("wrote", path, "ops:", ", ".join(sorted({n.op_type for n in m.graph.node})))
    fix_relu6(qmodel)

    out = os.path.join(HERE, NAME)
    os.makedirs(out, exist_ok=True)
    for seed in (1, 2, 3):
        x = np.random.default_rng(seed).uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32)
        inp = os.path.join(out, f"input_{seed}.npy")
        np.save(inp, x)
        with torch.no_grad():
            np.save(os.path.join(out, f"torch_logits_{seed}.npy"), qmodel(torch.from_numpy(x)).numpy())
            np.save(os.path.join(out, f"float_logits_{seed}.npy"), fmodel(torch.from_numpy(x)).numpy())
        files = ort_run(path, out, str(seed), [inp])
        os.replace(files["logits"], os.path.join(out, f"ort_logits_{seed}.npy"))
    write_taps(path, os.path.join(HERE, NAME + "_taps.onnx"), [os.path.join(out, "input_1.npy")],
               os.path.join(out, "taps_1"))
    print("wrote", out)


if __name__ == "__main__":
    main()
