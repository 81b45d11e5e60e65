"""host.py - the generated code on this machine: median latency, and bytes read from the blob.

The generated code, the runtime sources and bench/host_bench.c are compiled
with the flags `kiln validate --target host` uses (read from its echoed build
command, so the bench follows the host target when its flags change), once
plain for timing and once with gcc's -fsanitize=kernel-address load
callbacks for counting the bytes loaded from the weights blob per inference
(host_bench.c says exactly what is counted).  A baseline checkout (another
Kiln tree with build/kiln built) is compiled the same way, from its own
sources, and timed in alternating rounds with the current one in the same
run, so their ratio is what the claims use; absolute host times depend on
the machine and its load.
"""
import json
import os
import shlex
import subprocess

from .qemu import expected_args
from .util import BenchError, median, output, parallel, run

COUNT_FLAGS = ["-fsanitize=kernel-address", "--param", "asan-instrumentation-with-call-threshold=0",
               "--param", "asan-stack=0", "--param", "asan-globals=0"]


def validate_flags(kiln, files, weights, work):
    # weights: the weights options, e.g. ["--weights", "stream", "--internal-budget", "16384"]
    """(cc, optimisation flags, outputs matched) of `kiln validate --target host` on this model."""
    log = os.path.join(work, "host-validate.log")
    rc = run([kiln, "validate", files["model"], "--target", "host", *weights, "--input",
              files["input"]] + expected_args(files) + ["--keep", os.path.join(work, "host-validate"), "-v"],
             log, check=False)
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("+ ") and "-std=c99" in line and "harness" in line:
                argv = shlex.split(line[2:])
                flags = [a for a in argv[1:] if a.startswith(("-O", "-m", "-f")) and "sanitize" not in a]
                return argv[0], flags, rc == 0
    raise BenchError(f"kiln validate --target host did not build (exit {rc}, log {log})")


class Runtime:
    """The runtime of one checkout compiled with one set of flags, into objects (built once per run)."""

    def __init__(self, root, cc, flags, counting, out, cpus):
        self.root, self.cc, self.flags, self.counting, self.out, self.cpus = root, cc, flags, counting, out, cpus
        self.objects = None

    def cflags(self):
        """What the runtime and the generated code are compiled with."""
        return ["-std=c99"] + self.flags + (COUNT_FLAGS if self.counting else [])

    def build(self):
        if self.objects is None:
            srcs = sorted(os.path.join(d, f) for d in (os.path.join(self.root, "runtime"),
                                                       os.path.join(self.root, "runtime", "kernels"))
                          for f in os.listdir(d) if f.endswith(".c"))
            jobs, objs = [], []
            for s in srcs:
                o = os.path.join(self.out, os.path.relpath(s, self.root).replace("/", "_")[:-2] + ".o")
                jobs.append(([self.cc] + self.cflags() + ["-I" + os.path.join(self.root, "include"),
                                                          "-c", s, "-o", o], o + ".log"))
                objs.append(o)
            parallel(jobs, self.cpus)
            self.objects = objs
        return self.objects


def generate(kiln, model, weights, out, log, cpu=None):
    """kiln generate into out (for --cpu cpu, else kiln's default); returns (C name, blob path or None)."""
    run([kiln, "generate", model, "-o", out, *weights, *(["--cpu", cpu] if cpu else [])], log)
    names = [f[:-2] for f in os.listdir(out) if f.endswith(".c") and not f.endswith("_data.c")]
    if len(names) != 1:
        raise BenchError(f"{out}: expected one generated NET.c, found {names}")
    blob = os.path.join(out, names[0] + "_data.bin")
    return names[0], (blob if os.path.exists(blob) else None)


def build_bench(rt, gen_dir, name, bench_src, exe):
    """host_bench linked with the generated code and the runtime rt."""
    srcs = [os.path.join(gen_dir, name + ".c")]
    if os.path.exists(os.path.join(gen_dir, name + "_data.c")):
        srcs.append(os.path.join(gen_dir, name + "_data.c"))
    inc = ["-I" + os.path.join(rt.root, "include"), "-I" + gen_dir]
    objs = []
    for s in srcs:
        o = exe + "-" + os.path.basename(s)[:-2] + ".o"
        run([rt.cc] + rt.cflags() + inc + ["-c", s, "-o", o], o + ".log")
        objs.append(o)
    main_flags = list(rt.flags)
    if rt.counting:
        main_flags += ["-DBENCH_COUNT_LOADS", "-fno-builtin", "-fno-tree-loop-distribute-patterns"]
    run([rt.cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"] + main_flags + inc +
        [f"-DKILN_MODEL={name}_model", bench_src] + objs + rt.build() + ["-lm", "-o", exe], exe + ".log")
    return exe


def _run_bench(exe, blob, inp, args, log):
    argv = [exe] + (["--blob", blob] if blob else []) + ["--input", inp] + args
    p = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    with open(log, "w") as f:
        f.write("+ " + " ".join(argv) + "\n" + p.stdout + p.stderr)
    if p.returncode != 0:
        raise BenchError(f"{os.path.basename(exe)} exited with {p.returncode} (log {log}): {p.stderr.strip()[:300]}")
    return json.loads(p.stdout)


def count_loads(exe, blob, inp, log):
    return _run_bench(exe, blob, inp, [], log)


def time_runs(contenders, inp, runs, rounds, warmup, log_dir):
    """Median ns per contender {label: (exe, blob) or a function of the run count returning ns},
    timed in alternating rounds."""
    times = {k: [] for k in contenders}
    per_round = max(1, runs // rounds)
    for r in range(rounds):
        for label, c in contenders.items():
            if callable(c):
                times[label] += c(per_round)
                continue
            exe, blob = c
            res = _run_bench(exe, blob, inp, ["--runs", str(per_round), "--warmup", str(warmup)],
                             os.path.join(log_dir, f"time-{label}-{r}.log"))
            times[label] += res["ns"]
    return {k: {"median_ns": median(v), "min_ns": min(v), "runs": len(v)} for k, v in times.items()}


def raw_input(npy, out):
    """The raw bytes host_bench reads, from a float32 .npy input."""
    from .ort import read_npy_f32
    import struct
    _, vals = read_npy_f32(npy)
    with open(out, "wb") as f:
        f.write(struct.pack(f"<{len(vals)}f", *vals))
    return out


def cc_version(cc):
    return output([cc, "--version"]).splitlines()[0] if output([cc, "--version"]) else cc
