"""baseline.py - a baseline checkout built from a commit of this repository, for the host speed-up.

`git archive REV` is extracted into OUT/baseline-REV (no worktree: nothing
is registered in the repository) and `make kiln` builds it there; a tree
whose stamp names the same full commit and that has build/kiln is reused.
The bench then compiles that tree's runtime and generated code with this
tree's host flags (kbench/host.py), so the ratio compares code, not flags.
"""
import os
import shutil
import subprocess

from .util import BenchError, output, run

# main before the int8 work of issue 9 (the merge of 'scale'): what "before" means in its host target.
DEFAULT = "cf32a7d"


def describe(root, rev):
    """'<full hash>: <subject>' of rev."""
    return output(["git", "log", "-1", "--format=%H: %s", rev], cwd=root)


def checkout(root, rev, out):
    """The directory of a built checkout of rev under out."""
    full = output(["git", "rev-parse", "--verify", "--quiet", rev + "^{commit}"], cwd=root)
    if not full:
        raise BenchError(f"--baseline-commit {rev}: not a commit of {root} (git rev-parse found none)")
    d = os.path.join(os.path.abspath(out), "baseline-" + full[:12])
    stamp = os.path.join(d, ".kiln-bench-commit")
    if os.path.exists(stamp) and open(stamp).read().strip() == full and os.access(os.path.join(d, "build", "kiln"), os.X_OK):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    arch = subprocess.Popen(["git", "archive", full], cwd=root, stdout=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", d], stdin=arch.stdout)
    arch.stdout.close()
    if arch.wait() != 0 or tar.returncode != 0:
        raise BenchError(f"--baseline-commit {rev}: git archive | tar failed")
    jobs = str(min(os.cpu_count() or 1, 4))
    run(["make", "-C", d, "-j" + jobs, "kiln"], os.path.join(d, "build-kiln.log"))
    with open(stamp, "w") as f:
        f.write(full + "\n")
    return d
