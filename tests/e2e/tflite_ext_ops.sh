#!/usr/bin/env bash
# tflite_ext_ops.sh - the TFLite builtins of the extended operator set
# (issue 11) through `kiln validate --target host`, each on a one-operator
# model built by tests/e2e/tflite_ext_mkmodel.c, with inputs and expected
# outputs computed here by NumPy (an independent reference): float math,
# POW/DIV/SQUARED_DIFFERENCE/MAXIMUM, comparisons into bool, LOGICAL_*,
# SELECT_V2, SUM/REDUCE_MAX, ARG_MAX, GATHER, BATCH_MATMUL.  An int8 LOG
# must be refused (exit 2) naming the op.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Itests -Icompiler -Iinclude \
    -o "$tmp/mk" tests/e2e/tflite_ext_mkmodel.c || { echo "FAIL tflite_ext_mkmodel does not build"; exit 1; }
"$tmp/mk" "$tmp" || { echo "FAIL tflite_ext_mkmodel"; exit 1; }

# Inputs and expected outputs, one directory per model: in_K.npy, out.npy.
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL numpy reference"; exit 1; }
import math, os, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(11)
f32 = np.float32
def save(name, ins, out):
    os.makedirs(f"{d}/cases/{name}", exist_ok=True)
    for k, v in enumerate(ins):
        np.save(f"{d}/cases/{name}/in_{k}.npy", v)
    np.save(f"{d}/cases/{name}/out.npy", out)
x = rng.uniform(-3, 3, (2, 3)).astype(f32)
x[0, 0], x[0, 1] = 2.5, -0.5              # ROUND: halves go to even
pos = rng.uniform(0.25, 4, (2, 3)).astype(f32)
erf = np.vectorize(math.erf)
un = {"abs": (x, np.abs(x)), "neg": (x, -x), "exp": (x, np.exp(x)), "log": (pos, np.log(pos)),
      "sqrt": (pos, np.sqrt(pos)), "rsqrt": (pos, 1 / np.sqrt(pos)), "square": (x, x * x),
      "sin": (x, np.sin(x)), "cos": (x, np.cos(x)), "ceil": (x, np.ceil(x)), "floor": (x, np.floor(x)),
      "round": (x, np.round(x)), "elu": (x, np.where(x < 0, np.exp(x) - 1, x))}
for k, (i, o) in un.items():
    save(k, [i], o.astype(f32))
a = rng.uniform(0.5, 2, (2, 3)).astype(f32)
b = rng.uniform(-2, 2, (3,)).astype(f32)
b[1] = a[1, 1]                            # one equal pair for the comparisons
save("pow", [a, b], np.power(a, b).astype(f32))
save("div", [a, b], (a / b).astype(f32))
save("squared_difference", [a, b], ((a - b) ** 2).astype(f32))
save("maximum", [a, b], np.maximum(a, b))
save("less", [a, b], a < b)
save("greater_equal", [a, b], a >= b)
save("equal", [a, b], a == b)
save("not_equal", [a, b], a != b)
p = rng.integers(0, 2, (2, 3)).astype(bool)
q = rng.integers(0, 2, (2, 3)).astype(bool)
save("logical_and", [p, q], p & q)
save("logical_or", [p, q], p | q)
save("logical_not", [p], ~p)
c1 = np.array([7.5], dtype=f32)
save("select_v2", [p, a, c1], np.where(p, a, c1))
x3 = rng.uniform(-1, 1, (2, 3, 4)).astype(f32)
save("sum", [x3], x3.sum(axis=1))
save("reduce_max", [x3], x3.max(axis=1))
x5 = rng.uniform(-1, 1, (2, 5)).astype(f32)
save("arg_max", [x5], x5.argmax(axis=1).astype(np.int64))
x4 = rng.uniform(-1, 1, (4, 3)).astype(f32)
save("gather", [x4], x4[[3, 0]])
m1 = rng.uniform(-1, 1, (2, 2, 3)).astype(f32)
m2 = rng.uniform(-1, 1, (2, 3, 4)).astype(f32)
save("batch_matmul", [m1, m2], np.matmul(m1, m2))
PY

pass=0 fail=0
for dir in "$tmp"/cases/*/; do
    name=$(basename "$dir")
    args=()
    for f in "$dir"in_*.npy; do args+=(--input "$f"); done
    if "$KILN" validate "$tmp/$name.tflite" "${args[@]}" --expected "$dir/out.npy" >"$tmp/run.txt" 2>&1 &&
        grep -q 'result: PASS' "$tmp/run.txt"; then
        pass=$((pass+1))
    else
        fail=$((fail+1)); echo "FAIL $name:"; tail -6 "$tmp/run.txt" | sed 's/^/    /'
    fi
done
"$KILN" generate "$tmp/log_int8.tflite" -o "$tmp/out" >"$tmp/run.txt" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q 'LOG v1): unsupported: LOG on quantized int8' "$tmp/run.txt"; then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL int8 LOG must be refused: rc=$rc $(cat "$tmp/run.txt")"; fi
echo "summary: $pass/$((pass+fail)) TFLite extended-op models match NumPy or are refused as required"
[ $fail -eq 0 ] && [ $pass -ge 30 ]
