"""ort.py - onnxruntime on the same host, model and input as Kiln, for the float ONNX models.

onnxruntime-node (npm, pinned in tools/ort/package.json) runs the model with
one intra-op and one inter-op thread and every graph optimization an
onnxruntime user gets (bench/ort_time.mjs).  It is timed in rounds
alternating with Kiln's host build (kbench/host.py time_runs), so the ratio
of the two medians is measured under the same machine load.  Its outputs on
the bench input are compared with the committed reference outputs (which
onnxruntime made), so a wrong model or input shows.  Without node or the
package the bench runs on and records why onnxruntime was not timed.
"""
import json
import os
import shutil
import struct
import subprocess

from .util import BenchError

MODULES = os.path.join("tools", "ort", "node_modules")
INSTALL = "cd tools/ort && ONNXRUNTIME_NODE_INSTALL=skip npm ci"


def missing(root):
    """Why onnxruntime cannot be timed here, or None when it can."""
    if not shutil.which("node"):
        return "node is not installed"
    if not os.path.isdir(os.path.join(root, MODULES, "onnxruntime-node")):
        return f"onnxruntime-node is not installed (install it with: {INSTALL})"
    return None


class Runner:
    """Times one model with onnxruntime; run(n) returns the ns of n runs after warm-up."""

    def __init__(self, root, model, inp, warmup, log_dir):
        self.root, self.model, self.inp, self.warmup, self.log_dir = root, model, inp, warmup, log_dir
        self.version, self.rounds = None, 0

    def run(self, runs, out_dir=None):
        argv = ["node", os.path.join(self.root, "bench", "ort_time.mjs"), self.model, self.inp,
                "--runs", str(runs), "--warmup", str(self.warmup)] + (["--out", out_dir] if out_dir else [])
        log = os.path.join(self.log_dir, f"ort-{self.rounds}.log")
        self.rounds += 1
        env = dict(os.environ, NODE_PATH=os.path.join(self.root, MODULES))
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=3600)
        with open(log, "w") as f:
            f.write("+ " + " ".join(argv) + "\n" + p.stdout + p.stderr)
        if p.returncode != 0:
            raise BenchError(f"onnxruntime exited with {p.returncode} (log {log}): {p.stderr.strip()[:300]}")
        res = json.loads(p.stdout)
        self.version = res.get("version")
        return res["ns"]


def read_npy_f32(path):
    """(shape, values) of a little-endian float32 .npy file (no numpy needed)."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[1:6] != b"NUMPY":
        raise BenchError(f"{path}: not a .npy file")
    hlen = struct.unpack("<H", buf[8:10])[0] if buf[6] == 1 else struct.unpack("<I", buf[8:12])[0]
    start = 10 if buf[6] == 1 else 12
    header = buf[start:start + hlen].decode("latin1")
    if "'<f4'" not in header or "True" in header:
        raise BenchError(f"{path}: not a C-order little-endian float32 array")
    shape = tuple(int(s) for s in header.split("(")[1].split(")")[0].split(",") if s.strip())
    body = buf[start + hlen:]
    return shape, struct.unpack(f"<{len(body) // 4}f", body)


def max_abs_diff(dir_out, expected):
    """Largest |onnxruntime - reference| over the outputs (files named <output>.npy in dir_out)."""
    worst = 0.0
    for path in expected:
        name = os.path.basename(path).rsplit("_", 1)[0] + ".npy"
        _, want = read_npy_f32(path)
        _, got = read_npy_f32(os.path.join(dir_out, name))
        if len(want) != len(got):
            raise BenchError(f"onnxruntime's {name} has {len(got)} values, the reference {len(want)}")
        worst = max([worst] + [abs(a - b) for a, b in zip(got, want)])
    return worst
