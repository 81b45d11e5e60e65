#!/usr/bin/env bash
# san: yes
# onnx_einsum.sh - ONNX Einsum (issue 11) on models tests/gen/onnx_ctrl_models.py
# builds: matmul, batched matmul, attention scores (bhqd,bhkd->bhqk),
# transpose, row sum, dot, outer product, the implicit output form, an index
# summed in one operand only and a permuted output, each through generated C
# with `kiln validate --target host` against np.einsum (in double, rounded to
# float32).  The forms Kiln does not lower (a repeated index, an ellipsis,
# three operands) must exit 2 with `unsupported:` and the reason.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

"$PY" tests/gen/onnx_ctrl_models.py "$tmp" einsum || { echo "summary: 0/1 (model generator failed)"; exit 1; }

for m in "$tmp"/einsum_*.onnx; do
    b=${m%.onnx} name=$(basename "$b")
    refusal=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$tmp/einsum_refused.txt")
    if [ -n "$refusal" ]; then
        "$KILN" generate "$m" -o "$tmp/gen_$name" >"$tmp/out" 2>&1; rc=$?
        [ $rc -eq 2 ] && grep -q "(Einsum, ai.onnx opset 12): unsupported: .*$refusal" "$tmp/out" && ok \
            || bad "$name: rc=$rc, wanted a refusal with '$refusal': $(head -c 300 "$tmp/out")"
        continue
    fi
    args=()
    for f in "$b".in*.npy; do args+=(--input "$f"); done
    "$KILN" validate "$m" "${args[@]}" --expected "$b.out0.npy" >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" \
        && ok || bad "$name: $(tail -4 "$tmp/out")"
done
[ $((pass + fail)) -eq 13 ] || bad "expected 13 einsum models, found $((pass + fail))"
echo "summary: $pass/$((pass+fail)) Einsum checks passed"
[ $fail -eq 0 ]
