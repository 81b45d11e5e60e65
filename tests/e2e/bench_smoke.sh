#!/usr/bin/env bash
# bench_smoke.sh - the benchmark scripts still run and still write what
# bench/README.md promises, so `make bench` cannot rot between the times
# someone measures.  Runs `bench/run.sh --quick` (one model, kws_ref_model,
# few host runs; without QEMU when it is not installed) into a scratch
# directory and checks the results JSON: every key, with a sane type, and
# the figures that must agree exactly (instructions per MAC is instructions /
# MACs; the per-layer profile's calls plus what runs outside them add up to
# the profiling build's count, tick for tick; the layers' MACs add up to the
# model's).  No timing thresholds: speed is the bench's business, not a test's.
# Also: an unknown model and a partial --record are refused with exit 2.
set -u
cd "$(dirname "$0")/../.."
export KILN=${KILN:-$PWD/build/kiln}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2" | head -20; }

if [ ! -d ../shared/reference/tflm/kws_ref_model ]; then
    echo "SKIP: no ../shared/reference/tflm/kws_ref_model"; echo "summary: 0 passed, 0 failed (skipped)"; exit 0
fi
qemu=1
command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null || qemu=0
opts=(--quick --out "$tmp/out")
[ $qemu = 1 ] || opts+=(--no-qemu)

if out=$(bench/run.sh "${opts[@]}" 2>&1); then ok "bench/run.sh ${opts[*]} ran"; else bad "bench/run.sh ${opts[*]} failed" "$out"; fi
[ -s "$tmp/out/results.md" ] && grep -q "kws_ref_model" "$tmp/out/results.md" \
    && ok "results.md names the model" || bad "no results.md with the model"

# Every check prints "ok <what>" or "FAIL <what>: <why>".
checks=$("$PY" - "$tmp/out/results.json" $qemu <<'PY'
import json, re, sys
res, qemu = json.load(open(sys.argv[1])), sys.argv[2] == "1"
def check(what, cond, why=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f": {why}"))
def typed(obj, key, types, where):
    v = obj.get(key) if isinstance(obj, dict) else None
    good = isinstance(v, types) and (bool in types or not isinstance(v, bool))
    check(f"{where}.{key} is {'/'.join(t.__name__ for t in types)}", good, repr(v))
    return v
check("commit is a git hash", re.fullmatch(r"[0-9a-f]{40}", res.get("commit", "")), res.get("commit"))
check("date is ISO 8601 UTC", re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", res.get("date", "")), res.get("date"))
typed(res.get("host"), "cpu", (str,), "host")
typed(res.get("flags"), "host_cflags", (list,), "flags")
if qemu:
    typed(res.get("qemu"), "version", (str,), "qemu")
    typed(res.get("flags"), "firmware_cflags", (list,), "flags")
m = res.get("models", {}).get("kws_ref_model", {})
check("no errors", m.get("errors") == [], m.get("errors"))
for k in ("macc", "blob_bytes", "arena_bytes", "arena_lower_bound_bytes", "ext_flash_bytes_read"):
    typed(m, k, (int,), "kws")
check("arena is at least its lower bound", m.get("arena_bytes", 0) >= m.get("arena_lower_bound_bytes", 1))
typed(m, "host_us", (int, float), "kws")
check("host_us > 0", (m.get("host_us") or 0) > 0, m.get("host_us"))
check("host outputs match TFLM", m.get("host_outputs_match") is True, m.get("host_outputs_match"))
check("ext. flash bytes read > 0 with external weights", (m.get("ext_flash_bytes_read") or 0) > 0)
by = m.get("ext_flash_bytes_read_by_mode") or {}
check("ext. flash bytes read for every mode: the run's own, streamed each byte at most once, inline 0",
      by.get("external") == m.get("ext_flash_bytes_read") and isinstance(by.get("stream"), int)
      and 0 < by["stream"] <= m.get("blob_bytes", 0) < by["external"] and by.get("inline") == 0, by)
typed(m.get("tflm"), "cmsis_nn_instructions", (int,), "kws.tflm")
check("targets list the model", any(t.get("model") == "kws_ref_model" and "met" in t for t in res.get("targets", [])))
if qemu:
    ins, macc = typed(m, "target_instructions", (int,), "kws"), m.get("macc")
    ipm = typed(m, "instructions_per_mac", (float,), "kws")
    if isinstance(ins, int) and isinstance(ipm, float):
        check("instructions_per_mac = target_instructions / macc", abs(ipm - ins / macc) < 1e-3, (ipm, ins / macc))
    check("QEMU outputs match TFLM", m.get("qemu_outputs_match") is True, m.get("qemu_outputs_match"))
    typed(m, "code_bytes", (int,), "kws")
    for part in ("network", "runtime_kernels", "generated"):
        c = (m.get("code") or {}).get(part) or {}
        check(f"code.{part} has text/data/bss", all(isinstance(c.get(k), int) for k in ("text", "data", "bss")), c)
    c = m.get("code") or {}
    if c:
        check("code_bytes = network text + data", m["code_bytes"] == c["network"]["text"] + c["network"]["data"])
    layers, prof = m.get("layers") or [], m.get("profile") or {}
    check("per-layer profile present", len(layers) > 0)
    for l in layers:
        ok_keys = all(k in l for k in ("index", "op", "kernel", "macc", "instructions", "instructions_per_mac"))
        if not ok_keys or not isinstance(l["instructions"], int) or not l["kernel"].startswith("kiln_"):
            check(f"layer {l.get('index')} has index/op/kernel/macc/instructions", False, l)
            break
    else:
        check("every layer has index, op, kernel, MACs, instructions", bool(layers))
    total = sum(l["instructions"] for l in layers) + prof.get("outside_calls_instructions", 0)
    check("layers + outside the calls = the profiling build's count", total == prof.get("run_instructions"),
          (total, prof.get("run_instructions")))
    check("layers' MACs add up to the model's", sum(l["macc"] for l in layers) == macc,
          (sum(l["macc"] for l in layers), macc))
    check("profiling build outputs match TFLM", prof.get("outputs_match") is True)
    check("kws has a requant entry (null: no two layers to compare)", "requant" in m, sorted(m))
PY
)
# The requantization fit on layers made up with a known answer: per output
# 7 + 0.5 K (K = 16 and 48) and 3 + 2 K on another output shape: fixed 7 and 3.
fit=$(cd bench && "$PY" - <<'PY'
from kbench import requant
L = lambda i, k, outs, ins, ws: {"index": i, "kernel": "kiln_conv_s8_p16", "source_op": "CONV_2D", "macc": k * outs,
                                  "output_shape": [1, outs], "weight_shape": ws, "instructions": ins}
layers = [L(0, 16, 100, (7 + 8) * 100, [100, 16, 1, 1]), L(1, 48, 100, (7 + 24) * 100, [100, 48, 1, 1]),
          L(2, 4, 10, (3 + 8) * 10, [10, 4, 1, 1]), L(3, 8, 10, (3 + 16) * 10, [10, 8, 1, 1]),
          L(4, 63, 100, 999999, [100, 7, 3, 3])]
s = requant.summary(layers)
fixed = sorted(p["fixed"] for p in (s or {}).get("pairs", []))
print(("ok   " if fixed == [3.0, 7.0] and s["instructions_per_output"] == 7.0 else "FAIL ")
      + "requant fit: fixed parts 3 and 7, worst 7, a 3x3 layer not paired with 1x1 ones" + ("" if fixed == [3.0, 7.0] else f": {s}"))
print(("ok   " if requant.summary(layers[:1]) is None else "FAIL ") + "requant: one layer alone gives no figure")
PY
)
checks="$checks"$'\n'"$fit"
while IFS= read -r line; do
    case "$line" in
        ok*) ok "${line#ok   }" ;;
        FAIL*) bad "${line#FAIL }" ;;
    esac
done <<<"$checks"
[ -n "$checks" ] || bad "the JSON checks did not run"

out=$(bench/run.sh --models no_such_model --out "$tmp/bad" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "no_such_model" <<<"$out" && ok "unknown model refused (exit 2)" || bad "unknown model: exit $rc" "$out"
out=$(bench/run.sh --models ad01_int8 --no-qemu --baseline-commit no-such-rev --out "$tmp/bad" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "no-such-rev: not a commit" <<<"$out" && ok "unknown --baseline-commit refused (exit 2)" || bad "--baseline-commit no-such-rev: exit $rc" "$out"
out=$(bench/run.sh --quick --record --out "$tmp/bad" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "record" <<<"$out" && ok "--record of a partial run refused (exit 2)" || bad "--quick --record: exit $rc" "$out"

echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
