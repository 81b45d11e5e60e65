"""qemu.py - instructions per inference and per kernel call on the emulated Cortex-M7.

Runs `kiln validate --target qemu` twice on a model's TFLM reference input:
once as a user would (the headline count: SysTick under -icount shift=0, 40
instructions per tick, see docs/validation-protocol.md; the outputs must match
TFLM's), once with KILN_PROFILE=FILE (the generated code built with
-DKILN_PROFILE, the firmware stamping every kernel call; the per-call
counts, and their outputs checked too).  Both keep their build directory: the
plain one's objects give the code size (codesize.py), and its echoed build
commands say which object came from which source and at which flags.
"""
import json
import os
import shlex

from .util import BenchError, run


def expected_args(files):
    """--expected for each reference output (one file for TFLM's, one per output for ONNX models)."""
    exp = files["expected"] if isinstance(files["expected"], list) else [files["expected"]]
    return [a for e in exp for a in ("--expected", e)]


def _validate(kiln, files, weights, keep, log, json_out, env=None):
    rc = run([kiln, "validate", files["model"], "--target", "qemu", *weights,
              "--input", files["input"]] + expected_args(files) + ["--json", json_out,
              "--keep", keep, "-v"], log, env=env, check=False)
    if rc not in (0, 1) or not os.path.exists(json_out):
        raise BenchError(f"kiln validate --target qemu failed (exit {rc}, log {log})")
    with open(json_out) as f:
        res = json.load(f)
    if not res.get("instructions_per_inference"):
        raise BenchError(f"kiln validate printed no instruction count (log {log})")
    return res


def firmware_build(log):
    """{objects: {obj: src}, arch: [...], cflags: [...]} from the commands validate -v echoed."""
    objects, arch, cflags = {}, [], []
    with open(log, errors="replace") as f:
        for line in f:
            if not line.startswith("+ ") or " -c " not in line:
                continue
            argv = shlex.split(line[2:])
            src, obj = argv[argv.index("-c") + 1], argv[argv.index("-o") + 1]
            objects[obj] = src
            if not arch:
                flags = [a for i, a in enumerate(argv[1:], 1)
                         if a.startswith("-") and a not in ("-c", "-o") and argv[i - 1] not in ("-c", "-o")
                         and not a.startswith(("-I", "-D"))]
                arch = [a for a in flags if a.startswith("-m")]
                cflags = [a for a in flags if not a.startswith("-m")]
    if not objects:
        raise BenchError(f"{log}: no firmware compile commands (was validate run with -v?)")
    return {"objects": objects, "arch": arch, "cflags": cflags}


def layers(profile, analyze):
    """Per-layer rows: the profile's calls summed per IR node, named from the analysis."""
    info = {l["index"]: l for l in analyze["layers"]}
    rows, total = {}, 0.0
    for c in profile["calls"]:
        node = c["node"]
        r = rows.setdefault(node, {"index": node, "name": c["layer"], "op": c["op"],
                                   "source_op": c["source_op"], "kernels": [], "macc": 0,
                                   "instructions": 0.0, "weight_shape": c.get("weight_shape"),
                                   "output_shape": c.get("output_shape")})
        if c["kernel"] not in r["kernels"]:
            r["kernels"].append(c["kernel"])
        r["macc"] = info[node]["macc"] if node in info else r["macc"] + c["macc"]
        r["instructions"] += c["instructions"]
        total += c["instructions"]
    out = []
    for r in rows.values():
        r["kernel"] = "+".join(r.pop("kernels"))
        r["instructions"] = int(round(r["instructions"]))
        r["instructions_per_mac"] = round(r["instructions"] / r["macc"], 3) if r["macc"] else None
        r["share"] = round(r["instructions"] / total, 4) if total else None
        out.append(r)
    return out


def measure(kiln, files, weights, work, analyze, profile=True):
    """The QEMU part of one model's results (see the module comment)."""
    plain_dir, prof_dir = os.path.join(work, "qemu"), os.path.join(work, "qemu-profile")
    plain_log = os.path.join(work, "qemu.log")
    res = _validate(kiln, files, weights, plain_dir, plain_log, os.path.join(work, "qemu.json"))
    out = {
        "target_instructions": int(res["instructions_per_inference"]),
        "qemu_outputs_match": bool(res.get("pass")),
        "firmware": dict(firmware_build(plain_log), dir=plain_dir),
    }
    if profile:
        prof_file = os.path.join(work, "profile.json")
        pres = _validate(kiln, files, weights, prof_dir, os.path.join(work, "qemu-profile.log"),
                         os.path.join(work, "qemu-profile.json"), env={"KILN_PROFILE": prof_file})
        with open(prof_file) as f:
            prof = json.load(f)
        out["layers"] = layers(prof, analyze)
        out["profile"] = {
            "run_instructions": int(prof["run_instructions"]),
            "overhead_instructions": int(prof["run_instructions"]) - out["target_instructions"],
            "outside_calls_instructions": int(prof["before_first_call_instructions"]
                                              + prof["after_last_call_instructions"]),
            "resolution_instructions": int(prof["instructions_per_tick"]),
            "outputs_match": bool(pres.get("pass")),
        }
    return out
