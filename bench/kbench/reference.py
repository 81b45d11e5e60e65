"""reference.py - what ../shared/reference holds for each model, read at run time.

The models with TFLite-Micro reference data (reference/tflm/<model>/), their
input and output files, and the TFLM figures the bench puts next to Kiln's:
(and the float ONNX models of tests/models, ONNX_MODELS, whose reference
outputs onnxruntime made; the bench times onnxruntime on them too):
arena_used_bytes (seed1.log), TFLM's host invoke time, and, from the README's
"peer on the emulated Cortex-M7" table, TFLM + CMSIS-NN and TFLM reference-kernel
instructions per Invoke() on the same QEMU machine.  Numbers are parsed from
those files, never copied into the bench; a table that cannot be found is an
error, not a silent blank.
"""
import os
import re

from .util import BenchError


# Float ONNX models timed against onnxruntime: name -> (model, input, outputs), under the checkout.
ONNX_MODELS = {
    "float_cnn": ("tests/models/float_cnn.onnx", "tests/models/float_cnn/input_1.npy",
                  ["tests/models/float_cnn/logits_1.npy", "tests/models/float_cnn/probs_1.npy"]),
    "small_cnn": ("tests/models/small_cnn.onnx", "tests/models/small_cnn/input_1.npy",
                  ["tests/models/small_cnn/logits_1.npy", "tests/models/small_cnn/probs_1.npy"]),
}


def onnx_files(root, model):
    m, i, outs = ONNX_MODELS[model]
    return {"model": os.path.join(root, m), "input": os.path.join(root, i),
            "expected": [os.path.join(root, o) for o in outs], "onnx": True}


def models(shared):
    ref = os.path.join(shared, "reference", "tflm")
    if not os.path.isdir(ref):
        raise BenchError(f"no TFLM reference data at {ref}")
    return sorted(d for d in os.listdir(ref) if os.path.isdir(os.path.join(ref, d)))


def files(shared, model):
    d = os.path.join(shared, "reference", "tflm", model)
    return {
        "model": os.path.join(shared, "models", "mlperf_tiny", model + ".tflite"),
        "input": os.path.join(d, "seed1.in"),
        "expected": os.path.join(d, "seed1.out"),
        "log": os.path.join(d, "seed1.log"),
    }


def seed_log(path):
    """dtype of the first input and arena_used_bytes from a seedN.log."""
    info = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"input\[0\]: .*dtype=(\w+)", line)
            if m and "dtype" not in info:
                info["dtype"] = {"INT8": "int8", "FLOAT32": "float32", "INT16": "int16"}.get(m.group(1), m.group(1).lower())
            m = re.match(r"arena_used_bytes: (\d+)", line)
            if m:
                info["arena_used_bytes"] = int(m.group(1))
    return info


def _number(cell):
    s = cell.strip().replace(",", "")
    try:
        return float(s) if "." in s else int(s)
    except ValueError:
        return None


def _table_after(lines, heading_re, header_re):
    """Rows (lists of cells) of the first markdown table whose header matches, after a heading."""
    rows, state = [], 0
    for line in lines:
        if state == 0 and re.search(heading_re, line):
            state = 1
        elif state == 1 and line.startswith("|") and re.search(header_re, line):
            state = 2
        elif state == 2 and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not set(cells[0]) <= set("-: "):
                rows.append(cells)
        elif state == 2:
            break
    return rows


def anchors(shared):
    """{model: {cmsis_nn_instructions, reference_kernel_instructions, host_invoke_us}} from the README."""
    path = os.path.join(shared, "reference", "README.md")
    with open(path) as f:
        lines = f.read().splitlines()
    peer = _table_after(lines, r"^## The peer on the emulated Cortex-M7", r"CMSIS-NN instructions")
    host = _table_after(lines, r"arena_used_bytes", r"TFLM host invoke")
    if not peer or not host:
        raise BenchError(f"{path}: the TFLM tables (peer on the emulated Cortex-M7, host invoke) were not found")
    out = {}
    for cells in peer:
        out.setdefault(cells[0].split()[0], {}).update(
            cmsis_nn_instructions=_number(cells[2]), reference_kernel_instructions=_number(cells[4]))
    for cells in host:
        out.setdefault(cells[0].split()[0], {})["host_invoke_us"] = _number(cells[2])
    return out
