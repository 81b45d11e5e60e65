"""qdq_taps.py - shared by gen_qdq_torch.py and gen_qdq_ort.py: runs a model
through onnxruntime (tests/gen/ort_run.mjs), and writes a "taps" copy of a
QDQ model whose graph outputs also include every QuantizeLinear output, with
onnxruntime's values for them, so a test can compare every quantized layer,
not only the last one.

  ort_run(model, out_dir, suffix, inputs)  -> {output name: .npy path}
  write_taps(model_path, taps_path, input_paths, out_dir)
      writes taps_path (the model with the extra outputs), out_dir/*.npy and
      out_dir/expected.txt: the .npy files in graph-output order, one a line,
      relative to the repository root.
"""
import os
import subprocess
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_MODULES = os.environ.get("ORT_NODE_MODULES", "/tmp/ortn/node_modules")


def safe(name):
    return "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in name)


def ort_run(model, out_dir, suffix, inputs, extra=()):
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    cmd = ["node", os.path.join(ROOT, "tests/gen/ort_run.mjs"), model, out_dir, suffix] + list(inputs) + list(extra)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit("onnxruntime failed:\n" + r.stdout + r.stderr)
    m = onnx.load(model)
    return {o.name: os.path.join(out_dir, f"{safe(o.name)}_{suffix}.npy") for o in m.graph.output}


def write_taps(model_path, taps_path, input_paths, out_dir):
    m = onnx.load(model_path)
    have = {o.name for o in m.graph.output}
    elem = {i.name: i.data_type for i in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Constant":
            elem[n.output[0]] = n.attribute[0].t.data_type
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear" and n.output[0] not in have:
            zp_type = elem.get(n.input[2], onnx.TensorProto.UINT8) if len(n.input) > 2 else onnx.TensorProto.UINT8
            m.graph.output.append(onnx.helper.make_tensor_value_info(n.output[0], zp_type, None))
            have.add(n.output[0])
    onnx.save(m, taps_path)
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, f))
    files = ort_run(taps_path, out_dir, "tap", input_paths)
    with open(os.path.join(out_dir, "expected.txt"), "w") as f:
        for o in m.graph.output:
            f.write(os.path.relpath(files[o.name], ROOT) + "\n")
