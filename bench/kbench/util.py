"""util.py - running tools and small helpers shared by the bench modules.

Every external command goes through run(): its output is logged to a file
under the bench's work directory, and a failure raises BenchError naming the
command and the log, so one model's failure is reported and the others go on.
"""
import os
import subprocess


class BenchError(Exception):
    """A step of the bench failed; the message says which and where its log is."""


def run(argv, log, env=None, cwd=None, timeout=1800, check=True):
    """Runs argv with stdout+stderr to the file `log`; returns the exit code."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as f:
        f.write("+ " + " ".join(argv) + "\n")
        f.flush()
        try:
            p = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, env=full_env, cwd=cwd,
                               timeout=timeout)
        except FileNotFoundError:
            raise BenchError(f"cannot run {argv[0]}: not found")
        except subprocess.TimeoutExpired:
            raise BenchError(f"{os.path.basename(argv[0])} ran past {timeout} s (log {log})")
    if check and p.returncode != 0:
        raise BenchError(f"{os.path.basename(argv[0])} exited with {p.returncode} (log {log}):\n"
                         + tail(log, 8))
    return p.returncode


def output(argv, cwd=None):
    """stdout of a short command, stripped; '' when it cannot run."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def parallel(jobs, cpus):
    """Runs (argv, log) pairs, at most `cpus` at a time; raises on the first failure."""
    running, pending = [], list(jobs)
    while pending or running:
        while pending and len(running) < cpus:
            argv, log = pending.pop(0)
            os.makedirs(os.path.dirname(log), exist_ok=True)
            f = open(log, "w")
            running.append((subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT), f, argv, log))
        proc, f, argv, log = running.pop(0)
        rc = proc.wait()
        f.close()
        if rc != 0:
            for p, g, _, _ in running:
                p.wait()
                g.close()
            raise BenchError(f"{os.path.basename(argv[0])} failed on {argv[-3] if len(argv) > 3 else argv} "
                             f"(log {log}):\n" + tail(log, 8))


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
