#!/usr/bin/env bash
# shape_const.sh - --shape and --const (issue 11): fixing symbolic input
# dimensions and freezing inputs so shape arithmetic and If fold; and the
# refusal that lists every unsupported op of a model at once.
#
# Models come from tests/gen/onnx_mini.py (a minimal ONNX writer):
#   symbolic     x [1, "samples"] -> Reshape(x, Gather(Shape(x), 1)) -> Abs,
#                ReduceMax (y, a scalar) and Neg (z, [samples])
#   const_range  gain [1], n int64 scalar -> y = float(Range(0, n, 1)) * gain
# Expected shapes and values are worked out by hand here; validate also
# checks the generated code against the reference evaluator.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

python3 tests/gen/onnx_mini.py "$tmp/sym.onnx" symbolic
python3 tests/gen/onnx_mini.py "$tmp/cr.onnx" const_range
python3 tests/gen/onnx_mini.py "$tmp/if.onnx" if_flag
python3 tests/gen/onnx_mini.py "$tmp/gaps.onnx" gaps

# expect_out NAME WANT ARGS...: kiln dump's output lines must equal WANT
expect_out() {
    local what=$1 want=$2; shift 2
    local got
    got=$("$KILN" dump "$@" 2>"$tmp/err" | sed -n 's/^  output %\(.*\)$/\1/p' | tr '\n' ' ')
    [ "$got" = "$want" ] && ok || bad "$what: outputs '$got', expected '$want' ($(head -c 300 "$tmp/err"))"
}
# expect_err NAME WORDS ARGS...: exit 2 with a message containing WORDS
expect_err() {
    local what=$1 words=$2; shift 2
    "$KILN" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    [ $rc -eq 2 ] && grep -qF -- "$words" "$tmp/err" && ok || bad "$what: rc=$rc, wanted '$words' in: $(head -c 300 "$tmp/err")"
}

# --- --shape by name and by position, on dump, analyze, generate, validate ---
expect_out "shape by name" "y:float32[] z:float32[1280] " "$tmp/sym.onnx" --shape x=1x1280
expect_out "shape by position" "y:float32[] z:float32[64] " "$tmp/sym.onnx" --shape 0=1x64
"$KILN" dump "$tmp/sym.onnx" >/dev/null 2>"$tmp/err"
grep -qF -- "--shape x=" "$tmp/err" && ok || bad "a symbolic dimension's note must name --shape: $(cat "$tmp/err")"
"$KILN" analyze "$tmp/sym.onnx" --shape x=1x300 >"$tmp/out" 2>&1 && grep -q 'z float32 \[300\]' "$tmp/out" && ok \
    || bad "analyze --shape: $(head -c 400 "$tmp/out")"
"$KILN" generate "$tmp/sym.onnx" --shape x=1x300 -o "$tmp/gen" >"$tmp/out" 2>&1 && grep -q '300' "$tmp/gen/sym.h" && ok \
    || bad "generate --shape: $(head -c 400 "$tmp/out")"
"$KILN" validate "$tmp/sym.onnx" --shape x=1x300 >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
    || bad "validate --shape: $(tail -3 "$tmp/out")"

# --- wrong --shape: exit 2 naming the problem ---
expect_err "unknown input" "the model's inputs are 'x'" dump "$tmp/sym.onnx" --shape samples=1x5
expect_err "position past the inputs" "declares 1 input" dump "$tmp/sym.onnx" --shape 3=1x5
expect_err "wrong rank" "the model declares rank 2" dump "$tmp/sym.onnx" --shape x=2x3x4
expect_err "fixed dim contradicted" "dimension 0 = 2, the model declares 1" dump "$tmp/sym.onnx" --shape x=2x300
expect_err "bad dims text" "joined by 'x'" dump "$tmp/sym.onnx" --shape x=1xab
expect_err "no =" "--shape needs INPUT=" analyze "$tmp/sym.onnx" --shape x

# --- --const freezes an input: Range's length folds ---
expect_err "Range on an unknown input names --const" "--const n=VALUE" dump "$tmp/cr.onnx"
expect_out "const by name" "y:float32[5] " "$tmp/cr.onnx" --const n=5
expect_out "const by position" "y:float32[3] " "$tmp/cr.onnx" --const 1=3
expect_err "const not an integer" "is not an integer" dump "$tmp/cr.onnx" --const n=1.5
expect_err "const count" "needs 1" dump "$tmp/cr.onnx" --const n=1,2
/usr/bin/python3 - "$tmp" <<'PY'
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/n.npy", np.array(4, dtype=np.int64))
PY
"$KILN" validate "$tmp/cr.onnx" --const n=4 >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
    || bad "validate --const n=4: $(tail -4 "$tmp/out")"
expect_out "const from a file" "y:float32[4] " "$tmp/cr.onnx" --const n="$tmp/n.npy"
# Range(0, 3, 1) * gain with gain frozen too: the whole graph folds into
# one constant output of 3 elements.
"$KILN" dump "$tmp/cr.onnx" --const n=3 --const gain=2 >"$tmp/out" 2>&1
grep -q 'output #y:float32\[3\]' "$tmp/out" && ok || bad "fully frozen graph: $(head -c 300 "$tmp/out")"

# --- If on a frozen flag: the taken branch is inlined, the other never compiled ---
# a run-time flag: both branches compiled, selected (onnx_control_flow.sh checks values and refusals)
"$KILN" dump "$tmp/if.onnx" >"$tmp/out" 2>&1 && grep -q ' Neg ' "$tmp/out" && grep -q ' Abs ' "$tmp/out" \
    && grep -q ' Where ' "$tmp/out" && ok || bad "If on a run-time flag: $(head -c 400 "$tmp/out")"
"$KILN" dump "$tmp/if.onnx" --const flag=1 >"$tmp/out" 2>&1 && grep -q ' Neg ' "$tmp/out" && ! grep -q ' Abs ' "$tmp/out" \
    && ok || bad "If then-branch: $(head -c 400 "$tmp/out")"
"$KILN" dump "$tmp/if.onnx" --const flag=0 >"$tmp/out" 2>&1 && grep -q ' Abs ' "$tmp/out" && ! grep -q ' Neg ' "$tmp/out" \
    && ok || bad "If else-branch: $(head -c 400 "$tmp/out")"
"$KILN" validate "$tmp/if.onnx" --const flag=1 >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
    || bad "validate If --const flag=1: $(tail -3 "$tmp/out")"

# --- every gap at once: both op types, their counts and first nodes ---
"$KILN" analyze "$tmp/gaps.onnx" >"$tmp/out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q '2 operator types Kiln does not compile (3 nodes)' "$tmp/out" \
    && grep -q 'Hardmax at opset 17: 2 nodes, first node 1' "$tmp/out" \
    && grep -q 'Det at opset 17: 1 node, first node 2' "$tmp/out" && ok \
    || bad "all gaps at once: rc=$rc $(cat "$tmp/out")"

echo "summary: $pass/$((pass+fail)) --shape/--const checks passed"
[ $fail -eq 0 ]
