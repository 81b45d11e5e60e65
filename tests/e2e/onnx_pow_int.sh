#!/usr/bin/env bash
# san: yes
# onnx_pow_int.sh - ONNX Pow with an int32/int64 base (issue 11), past what
# the conformance cases reach: powers that wrap (5^30, 3^41, 10^19),
# negative exponents (1, -1 and others truncate 1/a^|e|), 0^0, and float32
# exponents (truncated, saturated at the type's range, 0^-1 included).
# Models and answers from tests/gen/onnx_ctrl_models.py (Python integers,
# by hand), checked through generated C with `kiln validate --target host`.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
"$PY" tests/gen/onnx_ctrl_models.py "$tmp" pow || { echo "summary: 0/1 (model generator failed)"; exit 1; }
for n in pow_int32_int pow_int32_float pow_int64_int pow_int64_float; do
    if "$KILN" validate "$tmp/$n.onnx" --input "$tmp/$n.in0.npy" --input "$tmp/$n.in1.npy" \
        --expected "$tmp/$n.out0.npy" >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out"; then
        pass=$((pass+1))
    else
        fail=$((fail+1)); echo "FAIL: $n: $(tail -4 "$tmp/out")"
    fi
done
echo "summary: $pass/$((pass+fail)) integer Pow models passed"
[ $fail -eq 0 ]
