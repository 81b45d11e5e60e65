#!/usr/bin/env bash
# resize_width1.sh - ONNX Resize to an output axis of one element with
# coordinate_transformation_mode pytorch_half_pixel has one answer in Kiln:
# onnxruntime's.  onnxruntime maps such an axis to input coordinate 0 when
# the integer output size is 1 (Operators.md: length_resized > 1 ? ... : 0);
# ONNX's Python reference maps it to -0.5 when scale*in == 1.  Before this
# test the generated code (passes/resize_tables.c) took -0.5 and the
# reference evaluator (ref/eval_resize.c) 0, so `kiln validate` without
# --expected failed these models.
#
# Models from tests/gen/onnx_mini.py: x [1,1,1,4] = [1,2,4,8], Resize cubic
# (a = -0.75) to width 1, once by sizes and once by scale 0.3 (4*0.3 = 1.2,
# one element).  Expected, by hand: coordinate 0 is an integer, so the cubic
# taps at distances 1,0,1,2 weigh 0,1,0,0 and y = x[0] = 1.  (At -0.5 the
# taps at 1.5,0.5,0.5,1.5 over the clamped indices 0,0,0,1 give
# 1.09375*1 - 0.09375*2 = 0.90625.)
# Each model: validate against that value, and against the evaluator.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

/usr/bin/python3 -c '
import sys, numpy as np
np.save(sys.argv[1] + "/x.npy", np.array([1, 2, 4, 8], np.float32).reshape(1, 1, 1, 4))
np.save(sys.argv[1] + "/y.npy", np.array([1], np.float32).reshape(1, 1, 1, 1))
' "$tmp" || { echo "FAIL numpy"; exit 1; }
for kind in sizes scales; do
    m=$tmp/resize_one_$kind.onnx
    python3 tests/gen/onnx_mini.py "$m" "resize_one_$kind" || { bad "$kind: model"; continue; }
    "$KILN" validate "$m" --input "$tmp/x.npy" --expected "$tmp/y.npy" --atol 0 --rtol 0 >"$tmp/log" 2>&1; rc=$?
    [ $rc = 0 ] && ok "$kind: width 1 reads x[0] = 1 exactly (onnxruntime's coordinate 0)" \
        || { bad "$kind: against the hand value (exit $rc)"; grep -E 'max_abs|result' "$tmp/log" | sed 's/^/     /'; }
    "$KILN" validate "$m" --input "$tmp/x.npy" >"$tmp/log" 2>&1; rc=$?
    [ $rc = 0 ] && ok "$kind: generated code agrees with the reference evaluator" \
        || { bad "$kind: against the evaluator (exit $rc)"; grep -E 'max_abs|result' "$tmp/log" | sed 's/^/     /'; }
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
