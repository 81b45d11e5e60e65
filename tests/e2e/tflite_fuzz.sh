#!/usr/bin/env bash
# tflite_fuzz.sh - damaged copies of every bundled .tflite through `kiln analyze`
# (import, passes, lowering, memory plan and blob: a whole compile, no files written).
# san: yes
#
# For each model: truncations at spread-out lengths and copies with a few bits
# flipped or bytes overwritten (deterministic: a fixed LCG seed), biased toward
# the file's first and last KiB where converters put the flatbuffer tables.
# Every variant must end in a valid import (exit 0) or an error message on
# stderr with exit 2: never a crash, a sanitizer report, another exit status or
# a timeout.  The unmodified models must import (or be refused) first, so a
# `kiln analyze` that refuses everything cannot pass.
set -u
KILN=${KILN:-build/kiln}
MODELS=../shared/models
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# Per model, on top of 24 truncations; fewer under the sanitizers, whose
# process start-up dominates (about 3,400 and 1,900 variants in all).
if [ "${KILN_SAN:-0}" = 1 ]; then VARIANTS=${TFLITE_FUZZ_VARIANTS:-100}; else VARIANTS=${TFLITE_FUZZ_VARIANTS:-200}; fi

exec "$PY" - "$KILN" "$MODELS" "$VARIANTS" <<'EOF'
import concurrent.futures, glob, os, subprocess, sys, tempfile

kiln, models, nvar = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(os.path.join(models, "*", "*.tflite")))
if len(files) < 15:
    print(f"FAIL: found only {len(files)} models under {models}")
    print("summary: 0 variants, setup failed")
    sys.exit(1)

state = 12345
def rnd(n):
    """Next value in [0, n) from a fixed LCG, so every run tests the same bytes."""
    global state
    state = (state * 1103515245 + 12345) % 2**31
    return (state >> 8) % n if n > 0 else 0

def variants(data):
    n = len(data)
    for k in range(24):                      # truncations, short ones included
        cut = [0, 3, 4, 7, 8, 12, 16, 24, 32, 64][k] if k < 10 else rnd(n)
        yield ("trunc", data[:min(cut, n)])
    for _ in range(nvar):
        b = bytearray(data)
        region = rnd(3)
        for _ in range(1 + rnd(4)):
            if region == 0:
                pos = rnd(min(n, 1024))
            elif region == 1:
                pos = n - 1 - rnd(min(n, 1024))
            else:
                pos = rnd(n)
            if rnd(4) == 0:
                b[pos] = rnd(256)            # overwrite a byte
            else:
                b[pos] ^= 1 << rnd(8)        # flip a bit
        yield ("flip", bytes(b))

tmpdir = tempfile.mkdtemp()
def run(job):
    idx, path, kind, data = job
    f = os.path.join(tmpdir, f"v{idx}.tflite")
    with open(f, "wb") as fh:
        fh.write(data)
    # LeakSanitizer's exit scan costs more than the import: run it on every
    # 16th variant (the in-process unit test checks leaks on many more).
    env = dict(os.environ)
    if idx % 16:
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    try:
        p = subprocess.run([kiln, "analyze", f], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=30, env=env)
        rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, err = "timeout", ""
    os.unlink(f)
    return idx, path, kind, rc, err

# The unmodified models first: exit 0, or 2 with a message (refused models).
bad = 0
for path in files:
    p = subprocess.run([kiln, "analyze", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode not in (0, 2) or (p.returncode == 2 and "operator" not in p.stderr.decode()):
        print(f"FAIL: {path} (unmodified): exit {p.returncode}: {p.stderr.decode()[:300]}")
        bad += 1
ok_models = sum(1 for path in files
                if subprocess.run([kiln, "analyze", path], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode == 0)
if ok_models < 10:
    print(f"FAIL: only {ok_models} unmodified models import; `kiln analyze` cannot be tested")
    bad += 1

jobs, idx = [], 0
for path in files:
    with open(path, "rb") as fh:
        data = fh.read()
    for kind, v in variants(data):
        jobs.append((idx, path, kind, v))
        idx += 1

counts = {"imported": 0, "refused": 0}
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
    for idx, path, kind, rc, err in ex.map(run, jobs):
        problem = None
        if rc == "timeout":
            problem = "timeout"
        elif "Sanitizer" in err or "runtime error" in err:
            problem = "sanitizer report"
        elif rc == 0:
            counts["imported"] += 1
        elif rc == 2 and err.strip():
            counts["refused"] += 1
        else:
            problem = f"exit {rc}" + ("" if err.strip() else " without a message")
        if problem:
            bad += 1
            if bad <= 20:
                print(f"FAIL: variant {idx} ({kind} of {os.path.basename(path)}): {problem}: {err[:600]}")
os.rmdir(tmpdir)
print(f"summary: {len(jobs)} variants of {len(files)} models: {counts['imported']} imported, "
      f"{counts['refused']} refused with a message, {bad} failures")
sys.exit(1 if bad else 0)
EOF
