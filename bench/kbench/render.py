"""render.py - markdown tables from a bench results JSON (build/bench/results.md, docs/performance.md).

Prints the results as they are: nothing is measured or typed in here, so a
table can always be regenerated from the JSON it came from.  Host times are
printed, but only their ratio to a baseline timed in the same run is a claim.
"""
from .targets import instructions_per_mac_target


def grp(v):
    return "" if v is None else f"{int(round(v)):,}"


def ratio(a, b, digits=2):
    return "" if not a or not b else f"{a / b:.{digits}f}x"


def fixed(v, digits=2):
    return "" if v is None else f"{v:.{digits}f}"


def met(v):
    return "not measured" if v is None else ("met" if v else "**not met**")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def speed_table(res):
    rows = []
    for name, r in res["models"].items():
        t = r.get("tflm") or {}
        ipm, tgt = r.get("instructions_per_mac"), instructions_per_mac_target(name)
        target = f"{tgt[0].replace('<=', '≤')} {tgt[1]}" if tgt else ""
        ok = "" if not tgt or ipm is None else ("met" if ipm <= tgt[1] else "**not met**")
        rows.append([name, r.get("dtype", ""), grp(r.get("macc")), grp(r.get("target_instructions")), fixed(ipm),
                     target, ok, grp(t.get("cmsis_nn_instructions")),
                     ratio(r.get("target_instructions"), t.get("cmsis_nn_instructions")),
                     grp(t.get("reference_kernel_instructions")),
                     ratio(r.get("target_instructions"), t.get("reference_kernel_instructions")),
                     fixed(r.get("host_us"), 0), fixed(r.get("host_speedup_vs_baseline")),
                     ort_cell(r), fixed(r.get("host_vs_onnxruntime"))])
    return table(["model", "type", "MACs", "Kiln instructions", "instr/MAC", "target", "met",
                  "TFLM + CMSIS-NN", "Kiln ÷ CMSIS-NN", "TFLM ref. kernels", "Kiln ÷ ref.",
                  "host µs (median)", "speed-up vs baseline", "onnxruntime µs (median)", "Kiln ÷ onnxruntime"], rows)


def ort_cell(r):
    """onnxruntime's median, or why it was not timed (ONNX models only)."""
    o = r.get("onnxruntime")
    if not o:
        return ""
    return fixed(o.get("host_us"), 0) if o.get("host_us") is not None else f"not timed: {o.get('error', '')}"


def memory_table(res):
    rows = []
    for name, r in res["models"].items():
        c = r.get("code") or {}
        rk, gen = c.get("runtime_kernels") or {}, c.get("generated") or {}
        tf = (r.get("tflm") or {}).get("arena_used_bytes")
        rows.append([name, grp(r.get("arena_bytes")), grp(r.get("arena_lower_bound_bytes")), grp(tf),
                     ratio(r.get("arena_bytes"), tf),
                     "/".join(grp(rk.get(k)) for k in ("text", "data", "bss")) if rk else "",
                     "/".join(grp(gen.get(k)) for k in ("text", "data", "bss")) if gen else "",
                     grp(r.get("code_bytes")), grp(r.get("blob_bytes")), grp(r.get("ext_flash_bytes_read")),
                     ratio(r.get("ext_flash_bytes_read"), r.get("blob_bytes"), 1),
                     grp((r.get("ext_flash_bytes_read_by_mode") or {}).get("stream")), probe_cell(r)])
    return table(["model", "arena", "lower bound", "TFLM arena", "Kiln ÷ TFLM", "runtime + kernels text/data/bss",
                  "generated text/data/bss", "code bytes", "blob bytes", "ext. flash bytes read / inference",
                  "÷ blob", "streamed (--weights stream)",
                  "with --internal-budget: memory-mapped / streamed"], rows)


def probe_cell(r):
    """External bytes read with the run's --budget-probe inline (memory-mapped / streamed)."""
    p = r.get("ext_flash_bytes_read_budget_probe")
    if not p:
        return ""
    return f"{grp(p.get('external'))} / {grp(p.get('stream'))} ({grp(p.get('internal_budget'))} B inline)"


def targets_table(res):
    rows = []
    for t in res["targets"]:
        lim, v = t["limit"], t["measured"]
        shown = (fixed(v, 3) if isinstance(v, float) else
                 ("yes" if v is True else "no" if v is False else grp(v) if v is not None else ""))
        rows.append([t["issue"], t["target"], t["model"], f"{t['comparison'].replace('<=', '≤').replace('>=', '≥')} "
                     f"{'yes' if lim is True else lim}", shown, met(t["met"])])
    return table(["issue", "target", "model", "limit", "measured", ""], rows)


def requant_table(res):
    rows = []
    for name, r in res["models"].items():
        for p in (r.get("requant") or {}).get("pairs", []):
            rows.append([name, p["kernel"], "x".join(str(d) for d in p["output_shape"]),
                         f"{p['layers'][0]} / {p['layers'][1]}", f"{p['k'][0]} / {p['k'][1]}",
                         f"{fixed(p['per_output'][0])} / {fixed(p['per_output'][1])}", fixed(p["slope"], 3),
                         f"**{fixed(p['fixed'])}**"])
    if not rows:
        return "Not measured in this run (no profile, or no two layers to compare).\n"
    return ("Per output, a conv or FC layer costs `fixed + slope × K` instructions (K: MACs per output). Two layers "
            "of one kernel with the same output shape and different K give both (`kbench/requant.py`); `fixed` is "
            "the requantization plus the loops' per-output share, an upper bound on the requantization.\n\n"
            + table(["model", "kernel", "output", "layers", "K", "instructions per output", "slope (per K)",
                     "fixed per output"], rows))


def layer_tables(res):
    out = []
    for name, r in res["models"].items():
        if not r.get("layers"):
            continue
        p = r.get("profile") or {}
        out.append(f"### {name}\n\nSum of the calls {grp(sum(l['instructions'] for l in r['layers']))} "
                   f"instructions (profiling build: {grp(p.get('run_instructions'))} for the whole run, "
                   f"{grp(p.get('overhead_instructions'))} more than the plain build; "
                   f"resolution {p.get('resolution_instructions', '')} instructions per call).\n")
        rows = [[l["index"], l["source_op"] or l["op"], l["kernel"],
                 "x".join(str(d) for d in l["weight_shape"]) if l.get("weight_shape") else "",
                 grp(l["macc"]) if l["macc"] else "", grp(l["instructions"]), fixed(l["instructions_per_mac"]),
                 f"{100 * l['share']:.1f} %" if l.get("share") is not None else ""] for l in r["layers"]]
        out.append(table(["layer", "op", "kernel", "weights", "MACs", "instructions", "instr/MAC", "share"], rows))
    return "\n".join(out) if out else "Not measured in this run.\n"


def run_facts(res):
    h, f, q = res["host"], res["flags"], res["qemu"]
    base = res["options"].get("baseline")
    lines = [
        f"- commit `{res['commit'][:12]}`{' (with uncommitted changes)' if res.get('dirty') else ''}: {res.get('commit_subject', '')}",
        f"- date {res['date']}; machine: {h['cpu']}, {h['cpus']} CPUs, {h['os']}",
        (f"- QEMU: {q['version']}, `{q['machine']}`, `-icount shift=0` (instructions, not cycles)" if q.get("version")
         else "- QEMU: not run (`--no-qemu`)"),
        f"- firmware: {f.get('firmware_cc')} `{' '.join(f.get('firmware_arch', []) + f.get('firmware_cflags', []))}`",
        f"- host: {f.get('host_cc')} `{' '.join(f.get('host_cflags', []))}`, {res['options']['host_runs']} timed runs per model"
        + (f", in {res['options']['host_rounds']} rounds alternating with the baseline `{base}`" if base else "")
        + (f" (commit {res['options']['baseline_commit']}, built by the bench with `git archive`; both trees' "
           "runtime and generated code compiled with these flags)" if res["options"].get("baseline_commit") else "")
        + ort_fact(res),
        f"- weights: {res['options']['weights']}"
        + ("; ext. flash bytes counted with gcc load callbacks (`bench/host_bench.c`)" if res["options"]["weights"] == "external" else ""),
    ]
    if res.get("note"):
        lines.insert(0, f"- {res['note']}")
    return "\n".join(lines) + "\n"


def ort_fact(res):
    """The onnxruntime the float ONNX models were timed against, if any."""
    vers = sorted({(r.get("onnxruntime") or {}).get("version") for r in res["models"].values()} - {None})
    return (f"; the float ONNX models also with onnxruntime-node {', '.join(vers)} (one intra-op thread), "
            "in 3 rounds alternating with Kiln" if vers else "")


def markdown(res, title="Kiln benchmark results", intro=""):
    errors = [f"- {n}: {e}" for n, r in res["models"].items() for e in r.get("errors", [])]
    parts = [f"# {title}\n"] + ([intro] if intro else []) + ["## The run\n", run_facts(res), "## Speed\n", speed_table(res), "## Memory and size\n",
             memory_table(res), "## Requantization per output\n", requant_table(res),
             "## Targets\n", targets_table(res)]
    if errors:
        parts += ["## Errors\n", "\n".join(errors) + "\n"]
    parts += ["## Per layer (QEMU, profiling build)\n", layer_tables(res)]
    return "\n".join(parts)


DOC_INTRO = """\
Generated by `make bench` (`bench/run.sh --record`) from `bench/results/latest.json` by
`bench/render.py`; do not edit by hand.  How each figure is measured: [bench/README.md](../bench/README.md).

- **Instructions** are counted on QEMU's emulated Cortex-M7 (`mps2-an500`) by the validation firmware's
  SysTick under `-icount shift=0` (40 instructions per tick), for one inference on TFLM's `seed1`
  input, with the outputs checked against TFLM's.  They are deterministic, and comparable with the
  TFLM + CMSIS-NN and TFLM reference-kernel figures of `../shared/reference/README.md`, which were
  counted on the same machine model.  QEMU models no pipeline, caches or wait states: these are
  instruction counts, not cycles.
- **Per layer**: the same counter read before every kernel call (the generated code built with
  `-DKILN_PROFILE`); a layer's count includes one profile mark (a few tens of instructions) and is
  exact to one tick.
- **Host µs** is the median of many runs on the machine named below, which other jobs may share:
  compare host times only as ratios within one run (the speed-up column, when a baseline was given).
- **Code** is `arm-none-eabi-size` of the runtime, kernels and generated code linked for that
  network alone (`bench/size_probe.c`, `--gc-sections`, the firmware's flags); "runtime + kernels"
  includes the C library and libgcc functions they pull in.
- **Ext. flash bytes read** is what one inference loads from the memory-mapped weights blob,
  counted by compiler-inserted load callbacks in a host build (`bench/host_bench.c`).
- **onnxruntime** (the float ONNX models `float_cnn`, 30.7 M MACs, and `small_cnn`, 0.73 M): onnxruntime-node
  with one intra-op thread on the same input, timed in rounds alternating with Kiln's host build
  (`-O3 -march=native`, as `kiln validate --target host`); "Kiln ÷ onnxruntime" is the ratio of the
  two medians, so machine load affects both alike.  Issue 12's targets: ≤ 2.0 on `float_cnn`, < 1.0
  on `small_cnn`.
"""


def performance_doc(res):
    """docs/performance.md: the method in brief, then the tables of one recorded run."""
    return markdown(res, "Performance", DOC_INTRO)
