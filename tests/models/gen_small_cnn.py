#!/usr/bin/python3
"""gen_small_cnn.py - makes tests/models/small_cnn.onnx and its reference data.

A small float CNN of the kind Kiln targets: conv + BatchNorm + ReLU6, depthwise
and pointwise convs, max and global average pooling, a Linear classifier and a
softmax.  Exported from PyTorch (Debian's python3-torch) at opset 13 with
BatchNorm kept as its own node, so Kiln's BatchNorm folding is exercised.

Reference outputs come from PyTorch itself (an independent implementation):
tests/models/small_cnn/input_S.npy, logits_S.npy, probs_S.npy for seeds S.

small_cnn_retrained.onnx is the same network with other weights: a blob made
for one must be refused by the code generated for the other (the stale-blob case).

Run with Debian's python (it has torch, onnx, numpy):
    /usr/bin/python3 tests/models/gen_small_cnn.py
The outputs are committed; rerunning rewrites them (weights come from a fixed seed).
"""
import os

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def conv_bn(cin, cout, k, stride=1, groups=1, act=nn.ReLU6):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        act(),
    )


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 16, 3),                       # 32x32
            conv_bn(16, 16, 3, stride=2, groups=16), # depthwise, 16x16
            conv_bn(16, 32, 1),                      # pointwise
            nn.MaxPool2d(2),                         # 8x8
            conv_bn(32, 32, 3, groups=32),           # depthwise
            conv_bn(32, 48, 1, act=nn.ReLU),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(48, 10)

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        logits = self.classifier(x)
        return logits, torch.softmax(logits, dim=1)


def make_model(seed):
    torch.manual_seed(seed)
    model = SmallCNN()
    # Non-trivial BatchNorm statistics, as a trained model would have.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    return model


def export(model, path):
    x = torch.zeros(1, 3, 32, 32)
    torch.onnx.export(model, x, path, opset_version=13, input_names=["image"],
                      output_names=["logits", "probs"],
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def main():
    model = make_model(1234)
    export(make_model(4321), os.path.join(HERE, "small_cnn_retrained.onnx"))
    path = os.path.join(HERE, "small_cnn.onnx")
    m = export(model, path)
    ops = sorted({n.op_type for n in m.graph.node})
    print("ops:", ", ".join(ops))

    out = os.path.join(HERE, "small_cnn")
    os.makedirs(out, exist_ok=True)
    for seed in (1, 2, 3):
        rng = np.random.default_rng(seed)
        inp = rng.uniform(-1.0, 1.0, size=(1, 3, 32, 32)).astype(np.float32)
        with torch.no_grad():
            logits, probs = model(torch.from_numpy(inp))
        np.save(os.path.join(out, f"input_{seed}.npy"), inp)
        np.save(os.path.join(out, f"logits_{seed}.npy"), logits.numpy().astype(np.float32))
        np.save(os.path.join(out, f"probs_{seed}.npy"), probs.numpy().astype(np.float32))
    print("wrote", path, "and", out)


if __name__ == "__main__":
    main()
