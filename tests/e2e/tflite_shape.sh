#!/usr/bin/env bash
# san: yes
# tflite_shape.sh - --shape and --const on TFLite models (issue 11): inputs
# with a -1 in their shape_signature, every operator's output shape worked
# out again for the size given, shape arithmetic on a --const input folded,
# IF on a --const flag inlined (one branch compiled), bad --shape values
# refused, and files whose shapes contradict themselves refused.
#
# Models come from tests/e2e/tflite_shape_mkmodel.c (see its header).  The
# expected outputs are computed here by NumPy from the weights read out of
# the file by tests/gen/tflite_reader.py (no Kiln code); the expected shapes
# are worked out by hand: dyn.tflite with N frames gives sm [1,2,Q] with
# H1 = ceil(N/2) (conv SAME stride 2), H2 = H1-2 (depthwise VALID 3),
# H3 = (H2-2)/2+1 (pool 2 stride 2 VALID), Q = H3+2 (PAD 1,1): N=12 -> Q=4,
# N=20 -> Q=6.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Itests -Icompiler -Iinclude \
    -o "$tmp/mk" tests/e2e/tflite_shape_mkmodel.c || { echo "FAIL tflite_shape_mkmodel does not build"; exit 1; }
"$tmp/mk" "$tmp" || { echo "FAIL tflite_shape_mkmodel"; exit 1; }

/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL numpy reference"; exit 1; }
import sys
import numpy as np
sys.path.insert(0, "tests/gen")
from tflite_reader import TFLiteModel
d = sys.argv[1]
m = TFLiteModel(d + "/dyn.tflite")
W = lambda i: m.tensors[i]["data"].astype(np.float64)
w1, b1, wc, bc, wd, bd, w2, b2 = W(1), W(2), W(6), W(7), W(9), W(10), W(28), W(29)
rng = np.random.default_rng(11)

def dyn(x):
    n = x.shape[1]
    a = x.astype(np.float64) @ w1.T + b1                 # FULLY_CONNECTED keep_num_dims
    r = a.reshape(1, n, 1, 3)
    h1 = -(-n // 2)                                      # CONV_2D SAME, stride 2, kernel 3
    total = max((h1 - 1) * 2 + 3 - n, 0)
    rp = np.zeros((1, n + total, 1, 3))
    rp[:, total // 2:total // 2 + n] = r
    c1 = np.zeros((1, h1, 1, 2))
    for i in range(h1):
        for o in range(2):
            c1[0, i, 0, o] = max(0.0, (rp[0, 2 * i:2 * i + 3, 0, :] * wc[o, :, 0, :]).sum() + bc[o])
    h2 = h1 - 2                                          # DEPTHWISE VALID 3x1
    d1 = np.array([[(c1[0, i:i + 3, 0, :] * wd[0, :, 0, :]).sum(axis=0) + bd for i in range(h2)]])
    d1 = d1.reshape(1, h2, 1, 2)
    h3 = (h2 - 2) // 2 + 1                               # MAX_POOL 2x1 stride 2 VALID
    p1 = np.maximum(d1[:, 0:2 * h3:2], d1[:, 1:2 * h3:2])
    pd = np.pad(p1, ((0, 0), (1, 1), (0, 0), (0, 0)))
    sb = pd - pd.mean(axis=1, keepdims=True)
    tr = np.concatenate([sb, pd], axis=3).transpose(0, 3, 1, 2)
    ss = tr[0:1, 1:3, :, 0]
    e = np.exp(ss - ss.max(axis=-1, keepdims=True))
    sm = e / e.sum(axis=-1, keepdims=True)
    o2 = ss.mean(axis=2) @ w2.T + b2
    return sm.astype(np.float32), o2.astype(np.float32)

for n in (12, 20):
    x = rng.uniform(-2, 2, (1, n, 4)).astype(np.float32)
    sm, o2 = dyn(x)
    np.save(f"{d}/x{n}.npy", x)
    np.save(f"{d}/sm{n}.npy", np.ascontiguousarray(sm))
    np.save(f"{d}/o2_{n}.npy", np.ascontiguousarray(o2))
x = rng.uniform(-2, 2, (1, 12)).astype(np.float32)
np.save(d + "/cx.npy", x)
np.save(d + "/cz.npy", x.reshape(12, 1))
np.save(d + "/cy.npy", x.reshape(4, 3))
np.save(d + "/k.npy", np.array([6], dtype=np.int32))
np.save(d + "/k3.npy", np.array([3], dtype=np.int32))
x = rng.uniform(-2, 2, (1, 6)).astype(np.float32)
np.save(d + "/ix.npy", x)
np.save(d + "/iflag.npy", np.array([True]))
np.save(d + "/ineg.npy", -x)
PY

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
dyn=$tmp/dyn.tflite chain=$tmp/chain.tflite

# --- a -1 frame count: refused without --shape, worked out with it ---
expect_err "no --shape names the option" "--shape x=1xNx4" dump "$dyn"
expect_out "shape by name" "sm:float32[1,2,4] o2:float32[1,2] " "$dyn" --shape x=1x12x4
expect_out "shape by position" "sm:float32[1,2,6] o2:float32[1,2] " "$dyn" --shape 0=1x20x4
"$KILN" analyze "$dyn" --shape x=1x12x4 >"$tmp/out" 2>&1 && grep -q 'sm float32 \[1,2,4\]' "$tmp/out" && ok \
    || bad "analyze --shape: $(head -c 400 "$tmp/out")"
"$KILN" generate "$dyn" --shape x=1x20x4 -o "$tmp/gen" >"$tmp/out" 2>&1 \
    && grep -q 'INPUT0_BYTES 320u' "$tmp/gen/dyn.h" && grep -q 'OUTPUT0_BYTES 48u' "$tmp/gen/dyn.h" && ok \
    || bad "generate --shape: $(head -c 400 "$tmp/out")"
for n in 12 20; do
    "$KILN" validate "$dyn" --shape x=1x${n}x4 --input "$tmp/x$n.npy" --expected "$tmp/sm$n.npy" \
        --expected "$tmp/o2_$n.npy" --atol 1e-5 >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
        || bad "validate --shape x=1x${n}x4 against NumPy: $(tail -5 "$tmp/out")"
done
# Without --shape, validate's --input value fixes the -1 frame count.
"$KILN" validate "$dyn" --input "$tmp/x12.npy" --expected "$tmp/sm12.npy" --expected "$tmp/o2_12.npy" \
    --atol 1e-5 >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
    || bad "validate with the shape from --input: $(tail -5 "$tmp/out")"
# A real exporter's model: the open batch of hello_world (signature [-1,1]).
expect_out "batch of a published model" "StatefulPartitionedCall:0:float32[3,1] " \
    ../shared/models/tflm/hello_world_float.tflite --shape 0=3x1
# Without --shape the open batch keeps its stored size 1, and a note says so (once, also under
# validate, which imports the model twice); with --shape there is no note.
hw=../shared/models/tflm/hello_world_float.tflite hwin=serving_default_dense_input:0
note="note: input '$hwin' has an open batch dimension (shape_signature [-1,1]); using the stored size 1 (change it with --shape $hwin=Nx1"
expect_out "open batch keeps its stored size" "StatefulPartitionedCall:0:float32[1,1] " "$hw"
[ "$(grep -cF -- "$note" "$tmp/err")" = 1 ] && ok || bad "open batch note: $(head -c 400 "$tmp/err")"
expect_out "no note under --shape" "StatefulPartitionedCall:0:float32[3,1] " "$hw" --shape 0=3x1
! grep -q 'note:' "$tmp/err" && ok || bad "note despite --shape: $(head -c 300 "$tmp/err")"
"$KILN" validate "$hw" >"$tmp/out" 2>"$tmp/err" && [ "$(grep -cF -- "$note" "$tmp/err")" = 1 ] && ok \
    || bad "validate prints the open batch note once: $(head -c 400 "$tmp/err")"

# --- wrong --shape: exit 2 naming the problem ---
expect_err "wrong rank" "the model declares rank 3" dump "$dyn" --shape x=1x12
expect_err "zero dimension" "dimension 1 = 0; dimensions must be at least 1" dump "$dyn" --shape x=1x0x4
expect_err "unknown input" "the model's inputs are 'x'" dump "$dyn" --shape frames=1x12x4
expect_err "position past the inputs" "declares 1 input" dump "$dyn" --shape 1=1x12x4
expect_err "fixed dim contradicted" "dimension 2 = 5, the model declares 4" dump "$dyn" --shape x=1x12x5
expect_err "bad dims text" "joined by 'x'" dump "$dyn" --shape x=1xabx4

# --- --const: SHAPE -> STRIDED_SLICE -> CONCATENATION -> RESHAPE, and a frozen k ---
expect_err "shape operand from an input names --const" "--const INPUT=VALUE" dump "$chain" --shape x=1x12
grep -qF "RESHAPE" "$tmp/err" && ok || bad "the error names the operator: $(cat "$tmp/err")"
expect_out "const by name" "z:float32[12,1] y:float32[3,4] " "$chain" --shape x=1x12 --const k=4
expect_out "const by position" "z:float32[12,1] y:float32[4,3] " "$chain" --shape x=1x12 --const 1=3
expect_out "const from a file" "z:float32[12,1] y:float32[2,6] " "$chain" --shape x=1x12 --const k="$tmp/k.npy"
expect_err "const count" "needs 1" dump "$chain" --shape x=1x12 --const k=1,2
expect_err "const not an integer" "is not an integer" dump "$chain" --shape x=1x12 --const k=1.5
"$KILN" dump "$chain" --shape x=1x12 --const k=4 >"$tmp/out" 2>&1
! grep -qE ' (Shape|Concat|Slice) ' "$tmp/out" && grep -q '2 nodes' "$tmp/out" && ok \
    || bad "the shape arithmetic folds away: $(head -c 500 "$tmp/out")"
# validate takes one --input per declared input, the frozen k's included.
"$KILN" validate "$chain" --shape x=1x12 --const k=3 --input "$tmp/cx.npy" --input "$tmp/k3.npy" --expected "$tmp/cz.npy" \
    --expected "$tmp/cy.npy" >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
    || bad "validate --const k=3 against NumPy: $(tail -5 "$tmp/out")"

# --- IF on a frozen flag: the branch taken is inlined, the other never compiled ---
iff=$tmp/if.tflite
expect_err "IF on a run-time condition names --const" "--const INPUT=VALUE" dump "$iff" --shape x=1x6
"$KILN" dump "$iff" --shape x=1x6 --const flag=1 >"$tmp/out" 2>&1 && grep -q ' Neg ' "$tmp/out" \
    && ! grep -q ' Abs ' "$tmp/out" && grep -q 'output %y:float32\[1,6\]' "$tmp/out" && ok \
    || bad "IF then-branch: $(head -c 400 "$tmp/out")"
"$KILN" dump "$iff" --shape x=1x6 --const 1=0 >"$tmp/out" 2>&1 && grep -q ' Abs ' "$tmp/out" \
    && ! grep -q ' Neg ' "$tmp/out" && ok || bad "IF else-branch: $(head -c 400 "$tmp/out")"
"$KILN" validate "$iff" --shape x=1x6 --const flag=1 --input "$tmp/ix.npy" --input "$tmp/iflag.npy" \
    --expected "$tmp/ineg.npy" >"$tmp/out" 2>&1 && grep -q 'result: PASS' "$tmp/out" && ok \
    || bad "validate IF --const flag=1 against NumPy: $(tail -5 "$tmp/out")"

# --- files whose shapes contradict themselves ---
expect_err "shape vs signature" "contradicts its shape_signature" dump "$tmp/bad_sig.tflite"
expect_err "fixed output signature vs --shape" "the file's shapes are inconsistent" \
    dump "$tmp/bad_out.tflite" --shape x=1x5
expect_err "stored output shape vs the operator" "differ" dump "$tmp/bad_relu.tflite"

echo "summary: $pass/$((pass+fail)) TFLite --shape/--const checks passed"
[ $fail -eq 0 ]
