#!/usr/bin/env bash
# tflite_ext_ops.sh - the TFLite builtins of the extended operator set
# (issue 11) through `kiln validate --target host`, each on a one-operator
# model built by tests/e2e/tflite_ext_mkmodel.c, with inputs and expected
# outputs computed here by NumPy (an independent reference): float math,
# POW/DIV/SQUARED_DIFFERENCE/MAXIMUM, comparisons into bool, LOGICAL_*,
# SELECT_V2, SUM/REDUCE_MAX, ARG_MAX, GATHER, BATCH_MATMUL, DEPTH_TO_SPACE,
# SPACE_TO_DEPTH, TILE, BROADCAST_TO, PRELU, GELU, CUMSUM, GATHER_ND.  The
# int8 data-movement models (i8_*) must match at 0 LSB; GATHER_ND with
# indices computed at run time (int32, float32 and int8 data, indices out of
# range clamped by the kernel and refused by validate's own reference); an
# int8 LOG, an int8 PRELU with a per-channel alpha and int64 run-time
# GATHER_ND indices must be refused (exit 2) naming the op (int8 PRELU, GELU, CUMSUM themselves:
# tflite_int8_ext.sh).  A chain of the new ops on an input with a -1 height runs
# under --shape (their output-shape rules).
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
# DEPTH_TO_SPACE / SPACE_TO_DEPTH by their NHWC definitions, element by element.
def d2s(x, b):
    n, h, w, c = x.shape
    oc = c // (b * b)
    y = np.zeros((n, h * b, w * b, oc), x.dtype)
    for i in np.ndindex(n, h, w, b, b, oc):
        y[i[0], i[1] * b + i[3], i[2] * b + i[4], i[5]] = x[i[0], i[1], i[2], (i[3] * b + i[4]) * oc + i[5]]
    return y
def s2d(x, b):
    n, h, w, c = x.shape
    y = np.zeros((n, h // b, w // b, c * b * b), x.dtype)
    for i in np.ndindex(n, h // b, w // b, b, b, c):
        y[i[0], i[1], i[2], (i[3] * b + i[4]) * c + i[5]] = x[i[0], i[1] * b + i[3], i[2] * b + i[4], i[5]]
    return y
xd = rng.uniform(-1, 1, (1, 2, 3, 8)).astype(f32)
xs = rng.uniform(-1, 1, (1, 4, 6, 3)).astype(f32)
xt = rng.uniform(-1, 1, (2, 3)).astype(f32)
xb = rng.uniform(-1, 1, (3, 1)).astype(f32)
save("depth_to_space", [xd], d2s(xd, 2))
save("space_to_depth", [xs], s2d(xs, 2))
save("tile", [xt], np.tile(xt, (2, 3)))
save("broadcast_to", [xb], np.broadcast_to(xb, (2, 3, 4)).copy())
i8 = lambda shape: rng.integers(-128, 128, shape).astype(np.int8)
qd, qs, qt, qb = i8((1, 2, 3, 8)), i8((1, 4, 6, 3)), i8((2, 3)), i8((3, 1))
save("i8_depth_to_space", [qd], d2s(qd, 2))
save("i8_space_to_depth", [qs], s2d(qs, 2))
save("i8_tile", [qt], np.tile(qt, (2, 3)))
save("i8_broadcast_to", [qb], np.broadcast_to(qb, (2, 3, 4)).copy())
xp = rng.uniform(-2, 2, (1, 2, 2, 3)).astype(f32)
alpha = np.array([0.25, -0.5, 2.0], f32)
save("prelu", [xp], np.where(xp < 0, xp * alpha, xp).astype(f32))
xg = rng.uniform(-3, 3, (2, 3)).astype(f32).astype(np.float64)
save("gelu", [xg.astype(f32)], (xg / 2 * (1 + erf(xg / math.sqrt(2)))).astype(f32))
save("gelu_tanh", [xg.astype(f32)],
     (0.5 * xg * (1 + np.tanh(math.sqrt(2 / math.pi) * (xg + 0.044715 * xg ** 3)))).astype(f32))
xc = rng.uniform(-1, 1, (2, 4)).astype(f32)
save("cumsum", [xc], np.cumsum(xc, axis=0).astype(f32))
ex = np.zeros_like(xc)                    # exclusive + reverse: the sum of what follows
for j in range(4):
    ex[:, j] = xc[:, j + 1:].sum(axis=1)
save("cumsum_excl_rev", [xc], ex)
pairs = [(2, 1), (0, 3), (1, 0)]
xn = rng.uniform(-1, 1, (3, 4, 2)).astype(f32)
qn = i8((3, 4, 2))
save("gather_nd", [xn], np.stack([xn[i, j] for i, j in pairs]))
save("i8_gather_nd", [qn], np.stack([qn[i, j] for i, j in pairs]))
# indices computed at run time (a graph input): the same pairs, and pairs outside the dims, which
# the kernel clamps into them (TFLite-Micro returns an error; Kiln's kernels have no error path)
ip = np.array(pairs, dtype=np.int32)
save("gather_nd_dynamic", [xn, ip], np.stack([xn[i, j] for i, j in pairs]))
save("i8_gather_nd_dynamic", [qn, ip[::-1].copy()], np.stack([qn[i, j] for i, j in pairs[::-1]]))
wild = np.array([[5, -1], [-7, 4], [2, 100]], dtype=np.int32)
save("gather_nd_clamped", [xn, wild], np.stack([xn[min(max(i, 0), 2), min(max(j, 0), 3)] for i, j in wild]))
# chain_dyn under --shape x=1x8x6x3 (height 8, not the stored 4): every output shape worked out again.
xq = rng.uniform(-2, 2, (1, 8, 6, 3)).astype(f32)
h = np.tile(d2s(s2d(xq, 2), 2), (1, 1, 2, 1)).astype(np.float64)
h = np.where(h < 0, h * alpha.astype(np.float64), h)
h = np.cumsum(h, axis=1) - h              # exclusive
h = h / 2 * (1 + erf(h / math.sqrt(2)))
os.makedirs(f"{d}/dyn", exist_ok=True)
np.save(f"{d}/dyn/in_0.npy", xq)
np.save(f"{d}/dyn/out.npy", h[[0]].astype(f32))
PY

pass=0 fail=0
for dir in "$tmp"/cases/*/; do
    name=$(basename "$dir")
    args=()
    for f in "$dir"in_*.npy; do args+=(--input "$f"); done
    case $name in i8_*) args+=(--max-lsb 0) ;; esac
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
"$KILN" generate "$tmp/prelu_int8.tflite" -o "$tmp/out" >"$tmp/run.txt" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q "PRELU v1): unsupported: int8 PRELU with alpha 'alpha' quantized per channel" "$tmp/run.txt"
then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL int8 PRELU with a per-channel alpha must be refused: rc=$rc $(cat "$tmp/run.txt")"; fi
if "$KILN" validate "$tmp/chain_dyn.tflite" --shape x=1x8x6x3 --input "$tmp/dyn/in_0.npy" \
    --expected "$tmp/dyn/out.npy" >"$tmp/run.txt" 2>&1 && grep -q 'result: PASS' "$tmp/run.txt"; then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL chain_dyn under --shape:"; tail -6 "$tmp/run.txt" | sed 's/^/    /'; fi
"$KILN" generate "$tmp/gather_nd_dynamic_i64.tflite" -o "$tmp/out" >"$tmp/run.txt" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q "GATHER_ND v1): unsupported: GATHER_ND with int64 indices 'idx' computed at run time" "$tmp/run.txt"
then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL GATHER_ND with int64 run-time indices must be refused: rc=$rc $(cat "$tmp/run.txt")"; fi
# validate's own reference refuses an index out of range, as TFLite-Micro does
"$KILN" validate "$tmp/gather_nd_clamped.tflite" --input "$tmp/cases/gather_nd_clamped/in_0.npy" \
    --input "$tmp/cases/gather_nd_clamped/in_1.npy" >"$tmp/run.txt" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q "index 5 of tuple 0 is outside \[0, 3)" "$tmp/run.txt"; then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL the reference must refuse an index out of range: rc=$rc $(tail -3 "$tmp/run.txt")"; fi
echo "summary: $pass/$((pass+fail)) TFLite extended-op models match NumPy or are refused as required"
[ $fail -eq 0 ] && [ $pass -ge 53 ]
