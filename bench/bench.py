"""bench.py - Kiln's benchmark: every MLPerf Tiny model with TFLM reference data, in one run.

Per model: MACs, blob bytes, arena and its lower bound (kiln analyze);
instructions per inference and per MAC on the emulated Cortex-M7 and a
per-layer profile (kbench/qemu.py); code size (kbench/codesize.py); host
latency and the bytes one inference loads from the weights blob
(kbench/host.py); TFLM's figures from ../shared/reference next to Kiln's
(kbench/reference.py); the issues' targets (kbench/targets.py).  Writes
OUT/results.json and OUT/results.md; with --record (make bench) also
bench/results/latest.json and docs/performance.md, and only after a complete,
error-free run of every model.  Numbers, not pass/fail: exit 0 when every
step ran, 1 when one failed (its error is in the results), 2 on bad usage.

Run through bench/run.sh; see bench/README.md.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import sys

from kbench import baseline, codesize, host, ort, qemu, reference, render, requant, targets
from kbench.util import BenchError, output, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
QUICK_MODEL = "kws_ref_model"


def parse_args():
    p = argparse.ArgumentParser(prog="bench/run.sh", description="Kiln's benchmark (bench/README.md).")
    p.add_argument("--quick", action="store_true", help=f"one model ({QUICK_MODEL} unless --models), few host runs")
    p.add_argument("--models", help="comma-separated model names (default: every model with TFLM reference data, "
                   "and the float ONNX models timed against onnxruntime)")
    p.add_argument("--no-qemu", action="store_true", help="skip the emulated Cortex-M7 (instructions, profile, code size)")
    p.add_argument("--weights", choices=("external", "inline", "stream"), default="external",
                   help="where the weights go (default external: a memory-mapped blob; stream: read through a "
                   "callback, docs/streaming.md)")
    p.add_argument("--internal-budget", type=int, default=0, metavar="BYTES",
                   help="kiln's --internal-budget (external or stream weights): the hottest constants stay inline; "
                   "ext_flash_bytes_read is then also measured without it")
    p.add_argument("--budget-probe", type=int, default=16384, metavar="BYTES",
                   help="also count each model's external-flash bytes read with kiln's --internal-budget BYTES, "
                   "memory-mapped and streamed (default 16384; 0: not); a run with --internal-budget skips it")
    p.add_argument("--baseline", metavar="DIR", help="another Kiln checkout with build/kiln built: its generated code "
                   "and runtime are timed on the host in the same run, for the speed-up column")
    p.add_argument("--baseline-commit", metavar="REV", help="the baseline as a commit of this repository: "
                   "extracted with git archive into OUT/baseline-REV and built there (make kiln) unless already built; "
                   f"make bench uses {baseline.DEFAULT} (main before the int8 kernels of issue 9)")
    p.add_argument("--runs", type=int, help="timed host runs per model (default 101, quick 11)")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"), help="where results go (default build/bench)")
    p.add_argument("--note", help="a sentence recorded with the results (what this run measures, e.g. a baseline)")
    p.add_argument("--record", action="store_true",
                   help="also write bench/results/latest.json and docs/performance.md (a full, error-free run only)")
    a = p.parse_args()
    if a.record and (a.quick or a.models or a.no_qemu or a.weights != "external" or a.internal_budget):
        p.error("--record takes a full run: no --quick, --models, --no-qemu, --weights inline|stream or "
                "--internal-budget")
    if a.internal_budget and a.weights == "inline":
        p.error("--internal-budget takes --weights external or stream")
    if a.baseline and a.baseline_commit:
        p.error("give --baseline or --baseline-commit, not both")
    if a.budget_probe < 0:
        p.error("--budget-probe must be 0 or more")
    if a.runs is not None and a.runs < 1:
        p.error("--runs must be at least 1")
    return a


def tools_and_facts(args, shared):
    kiln = os.environ.get("KILN", os.path.join(ROOT, "build", "kiln"))
    if not os.access(kiln, os.X_OK):
        raise BenchError(f"{kiln} is not built (run make)")
    need = ["gcc"] + ([] if args.no_qemu else ["arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-objdump",
                                                "qemu-system-arm"])
    missing = [t for t in need if not shutil.which(t)]
    if missing:
        raise BenchError(f"missing tools: {', '.join(missing)} (scripts/install-deps.sh installs them)")
    if args.baseline and not os.access(os.path.join(args.baseline, "build", "kiln"), os.X_OK):
        raise BenchError(f"--baseline {args.baseline}: no build/kiln there (run make in that checkout)")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.processor())
    commit = output(["git", "rev-parse", "HEAD"], cwd=ROOT)
    facts = {
        "schema": 1,
        "commit": commit,
        "commit_subject": output(["git", "log", "-1", "--format=%s"], cwd=ROOT),
        "dirty": bool(output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT)),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": {"cpu": cpu, "cpus": os.cpu_count(), "os": f"{platform.system()} {platform.release()}"},
        "qemu": {"version": output(["qemu-system-arm", "--version"]).splitlines()[0] if not args.no_qemu else None,
                 "machine": "mps2-an500"},
        "tools": {"kiln": kiln, "shared": shared, "arm_cc": "arm-none-eabi-gcc", "arm_size": "arm-none-eabi-size",
                  "arm_objdump": "arm-none-eabi-objdump"},
    }
    return kiln, facts


def weights_args(args, budget=True):
    """The kiln options that place the weights."""
    return ["--weights", args.weights] + (["--internal-budget", str(args.internal_budget)]
                                          if budget and args.internal_budget else [])


def analyze(kiln, files, weights, work):
    out = os.path.join(work, "analyze.json")
    run([kiln, "analyze", files["model"], *weights, "--json", out], os.path.join(work, "analyze.log"))
    with open(out) as f:
        return json.load(f)


def qemu_part(ctx, name, files, work, an, r):
    q = qemu.measure(ctx["kiln"], files, weights_args(ctx["args"]), work, an)
    fw = q.pop("firmware")
    r.update(q)
    r["instructions_per_mac"] = round(r["target_instructions"] / r["macc"], 3) if r["macc"] else None
    ctx["flags"].setdefault("firmware_arch", fw["arch"])
    ctx["flags"].setdefault("firmware_cflags", fw["cflags"])
    r["requant"] = requant.summary(r.get("layers"))
    r.update(codesize.measure(ctx["facts"]["tools"], fw, os.path.join(ROOT, "bench", "size_probe.c"),
                              os.path.join(ROOT, "include"), an["name"], os.path.join(work, "size")))


def host_runtime(ctx, key, root, counting):
    """The runtime of checkout `root` at the host flags, built once per run."""
    if key not in ctx["runtimes"]:
        ctx["runtimes"][key] = host.Runtime(root, ctx["host_cc"], ctx["host_flags"], counting,
                                            os.path.join(ctx["args"].out, "rt", key), os.cpu_count() or 1)
    return ctx["runtimes"][key]


def count_weights(ctx, files, work, weights, tag):
    """ext_flash_bytes_read with these weights options (a counting build of its own)."""
    gen = os.path.join(work, "gen-" + tag)
    cname, blob = host.generate(ctx["kiln"], files["model"], weights, gen, gen + ".log")
    exe = host.build_bench(host_runtime(ctx, "kiln-count", ROOT, True), gen, cname,
                           os.path.join(ROOT, "bench", "host_bench.c"), os.path.join(work, "count-" + tag))
    return host.count_loads(exe, blob, files["raw_input"], os.path.join(work, "count-" + tag + ".log"))["blob_bytes_read"]


def count_without_budget(ctx, files, work):
    """ext_flash_bytes_read of the same weights mode without --internal-budget (counting build)."""
    return count_weights(ctx, files, work, weights_args(ctx["args"], budget=False), "nobudget")


def count_by_mode(ctx, files, work, counted):
    """ext_flash_bytes_read for every weights mode, the run's budget with each: memory-mapped
    counted by the instrumented build's loads, streamed by the callback, inline 0 (nothing is
    external).  counted: the run's own mode's count, not measured twice."""
    args, by = ctx["args"], {"inline": 0}
    for mode in ("external", "stream"):
        if mode == args.weights:
            by[mode] = counted
            continue
        budget = ["--internal-budget", str(args.internal_budget)] if args.internal_budget else []
        by[mode] = count_weights(ctx, files, work, ["--weights", mode] + budget, "mode-" + mode)
    return by


def count_budget_probe(ctx, files, work):
    """External-flash bytes read with --internal-budget PROBE, memory-mapped and streamed, next to the
    run's unbudgeted by-mode counts: what keeping the hottest PROBE bytes inline saves."""
    probe = ctx["args"].budget_probe
    by = {"internal_budget": probe}
    for mode in ("external", "stream"):
        by[mode] = count_weights(ctx, files, work, ["--weights", mode, "--internal-budget", str(probe)],
                                 "probe-" + mode)
    return by


def host_part(ctx, name, files, work, r):
    args = ctx["args"]
    cc, flags, ok = host.validate_flags(ctx["kiln"], files, weights_args(args), work)
    r["host_outputs_match"] = ok
    if "host_flags" not in ctx:
        ctx["host_cc"], ctx["host_flags"] = cc, flags
        ctx["flags"].update(host_cc=host.cc_version(cc), host_cflags=["-std=c99"] + flags)
    src = os.path.join(ROOT, "bench", "host_bench.c")
    contenders = {}
    for label, kiln, root in [("kiln", ctx["kiln"], ROOT)] + ([("baseline", os.path.join(args.baseline, "build", "kiln"),
                                                              args.baseline)] if args.baseline else []):
        gen = os.path.join(work, "gen-" + label)
        cname, blob = host.generate(kiln, files["model"], weights_args(args), gen, gen + ".log")
        tgen, tblob = gen, blob
        if label == "kiln":
            # Timed as `kiln validate --target host` builds it (--cpu host: the host's own
            # layouts); the loads are counted on the default (Cortex-M) code below.
            tgen = os.path.join(work, "gen-kiln-host")
            _, tblob = host.generate(kiln, files["model"], weights_args(args), tgen, tgen + ".log", cpu="host")
        exe = host.build_bench(host_runtime(ctx, label + "-time", root, False), tgen, cname, src,
                               os.path.join(work, "host-" + label))
        contenders[label] = (exe, tblob)
        if label == "kiln":
            cexe = host.build_bench(host_runtime(ctx, "kiln-count", root, True), gen, cname, src,
                                    os.path.join(work, "count-kiln"))
            cnt = host.count_loads(cexe, blob, files["raw_input"], os.path.join(work, "count.log"))
            r["weights_bytes_read"] = cnt["blob_bytes_read"]
            r["ext_flash_bytes_read"] = cnt["blob_bytes_read"] if args.weights != "inline" else 0
            r["internal_budget"] = args.internal_budget
            if args.internal_budget:
                r["ext_flash_bytes_read_without_budget"] = count_without_budget(ctx, files, work)
            r["ext_flash_bytes_read_by_mode"] = count_by_mode(ctx, files, work, r["ext_flash_bytes_read"])
            if args.budget_probe and not args.internal_budget:
                r["ext_flash_bytes_read_budget_probe"] = count_budget_probe(ctx, files, work)
    rounds = ctx["rounds"]
    if files.get("onnx"):
        rounds = ort_contender(ctx, files, work, contenders, r) or rounds
    t = host.time_runs(contenders, files["raw_input"], ctx["runs"], rounds, ctx["warmup"], work)
    r["host_us"] = round(t["kiln"]["median_ns"] / 1000, 1)
    if "onnxruntime" in t:
        r["onnxruntime"]["host_us"] = round(t["onnxruntime"]["median_ns"] / 1000, 1)
        r["onnxruntime"]["host_min_us"] = round(t["onnxruntime"]["min_ns"] / 1000, 1)
        r["onnxruntime"]["runs"] = t["onnxruntime"]["runs"]
        r["host_vs_onnxruntime"] = round(t["kiln"]["median_ns"] / t["onnxruntime"]["median_ns"], 3)
    r["host_min_us"] = round(t["kiln"]["min_ns"] / 1000, 1)
    r["host_runs"] = t["kiln"]["runs"]
    if "baseline" in t:
        r["baseline_host_us"] = round(t["baseline"]["median_ns"] / 1000, 1)
        r["host_speedup_vs_baseline"] = round(t["baseline"]["median_ns"] / t["kiln"]["median_ns"], 3)


def ort_contender(ctx, files, work, contenders, r):
    """Adds onnxruntime to the host timing of an ONNX model (rounds to use), or records why not."""
    why = ort.missing(ROOT)
    r["onnxruntime"] = {"error": why} if why else {}
    if why:
        print(f"bench: onnxruntime not timed: {why}", file=sys.stderr, flush=True)
        return None
    runner = ort.Runner(ROOT, files["model"], files["input"], ctx["warmup"], work)
    out_dir = os.path.join(work, "ort-out")
    try:
        runner.run(1, out_dir)
        r["onnxruntime"]["max_abs_diff_vs_reference"] = ort.max_abs_diff(out_dir, files["expected"])
    except BenchError as e:
        r["onnxruntime"]["error"] = str(e)
        return None
    contenders["onnxruntime"] = runner.run
    r["onnxruntime"]["version"] = runner.version
    return 3 if ctx["runs"] >= 3 else 1


def bench_model(ctx, name):
    shared, args = ctx["facts"]["tools"]["shared"], ctx["args"]
    work = os.path.join(args.out, "work", name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if name in reference.ONNX_MODELS:
        files = reference.onnx_files(ROOT, name)
        files["raw_input"] = host.raw_input(files["input"], os.path.join(work, "input.bin"))
        info = {"dtype": "float32"}
    else:
        files = reference.files(shared, name)
        files["raw_input"] = files["input"]
        info = reference.seed_log(files["log"])
    anchor = ctx["anchors"].get(name, {})
    r = {"dtype": info.get("dtype"), "errors": [],
         "tflm": {"arena_used_bytes": info.get("arena_used_bytes"),
                  "cmsis_nn_instructions": anchor.get("cmsis_nn_instructions"),
                  "reference_kernel_instructions": anchor.get("reference_kernel_instructions"),
                  "host_invoke_us_reference_machine": anchor.get("host_invoke_us")}}
    keys = ("target_instructions", "instructions_per_mac", "qemu_outputs_match", "host_us", "host_outputs_match",
            "code_bytes", "code", "layers", "profile", "requant", "ext_flash_bytes_read", "weights_bytes_read",
            "ext_flash_bytes_read_by_mode", "ext_flash_bytes_read_budget_probe")
    r.update({k: None for k in keys})
    if files.get("onnx"):
        r.update(onnxruntime=None, host_vs_onnxruntime=None)
    try:
        an = analyze(ctx["kiln"], files, weights_args(args), work)
    except BenchError as e:
        r["errors"].append(f"analyze: {e}")
        return r
    r.update({k: an[k] for k in ("macc", "blob_bytes", "arena_bytes", "arena_lower_bound_bytes",
                                 "arena_lower_bound_without_inplace_bytes", "kernel_calls") if k in an})
    if an.get("external_flash"):
        # What the compiler planned (stream) or estimated (memory-mapped), with and without the budget.
        r["ext_flash_planned"] = {k: v for k, v in an["external_flash"].items() if k != "tensors"}
    steps = [("host", lambda: host_part(ctx, name, files, work, r))]
    if not args.no_qemu:
        steps.insert(0, ("qemu", lambda: qemu_part(ctx, name, files, work, an, r)))
    for step, fn in steps:
        print(f"bench: {name}: {step}", file=sys.stderr, flush=True)
        try:
            fn()
        except BenchError as e:
            r["errors"].append(f"{step}: {e}")
    if r.get("tflm", {}).get("arena_used_bytes") and r.get("arena_bytes"):
        r["arena_vs_tflm"] = round(r["arena_bytes"] / r["tflm"]["arena_used_bytes"], 3)
    for k, t in (("cmsis_nn", "cmsis_nn_instructions"), ("tflm_reference", "reference_kernel_instructions")):
        a, b = r.get("target_instructions"), r["tflm"].get(t)
        r[f"instructions_vs_{k}"] = round(a / b, 3) if a and b else None
    return r


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    args = parse_args()
    shared = os.path.abspath(os.environ.get("SHARED", os.path.join(ROOT, "..", "shared")))
    try:
        if args.baseline_commit:
            args.baseline = baseline.checkout(ROOT, args.baseline_commit, args.out)
        kiln, facts = tools_and_facts(args, shared)
        known = reference.models(shared) + list(reference.ONNX_MODELS)
        names = args.models.split(",") if args.models else ([QUICK_MODEL] if args.quick else known)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise BenchError(f"no reference data for {', '.join(unknown)} (known: {', '.join(known)})")
        anchors = reference.anchors(shared)
    except BenchError as e:
        print(f"bench/run.sh: {e}", file=sys.stderr)
        return 2
    runs = args.runs or (11 if args.quick else 101)
    rounds = 3 if args.baseline and runs >= 3 else 1
    flags = {"firmware_cc": output(["arm-none-eabi-gcc", "--version"]).split("\n")[0] if not args.no_qemu else None}
    ctx = {"args": args, "kiln": kiln, "facts": facts, "anchors": anchors, "flags": flags, "runtimes": {},
           "runs": runs, "rounds": rounds, "warmup": 1 if args.quick else 3}
    res = dict(facts)
    res["options"] = {"quick": args.quick, "models": names, "qemu": not args.no_qemu, "weights": args.weights,
                      "internal_budget": args.internal_budget, "budget_probe": args.budget_probe,
                      "baseline": os.path.abspath(args.baseline) if args.baseline else None,
                      "baseline_commit": baseline.describe(ROOT, args.baseline_commit) if args.baseline_commit else None,
                      "host_runs": runs, "host_rounds": rounds}
    res["flags"] = flags
    res["note"] = args.note or ""
    res["models"] = {}
    for name in names:
        res["models"][name] = bench_model(ctx, name)
    res["targets"] = targets.evaluate(res["models"])
    del res["tools"]
    write_json(os.path.join(args.out, "results.json"), res)
    write_text(os.path.join(args.out, "results.md"), render.markdown(res))
    print(render.markdown(res))
    failed = [n for n, r in res["models"].items() if r["errors"]]
    if failed:
        print(f"bench/run.sh: errors in {', '.join(failed)} (see Errors above); nothing recorded", file=sys.stderr)
        return 1
    if args.record:
        write_json(os.path.join(ROOT, "bench", "results", "latest.json"), res)
        write_text(os.path.join(ROOT, "docs", "performance.md"), render.performance_doc(res))
        print("bench/run.sh: recorded bench/results/latest.json and docs/performance.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
