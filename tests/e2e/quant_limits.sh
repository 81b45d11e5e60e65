#!/usr/bin/env bash
# san: yes
# quant_limits.sh - quantization scales that are finite but extreme (1e10,
# 3e38, 1e-38) in TFLite and ONNX models: a rescale factor the kernels'
# fixed-point multiply cannot take (a shift beyond -31..30, TFLite's own
# limit) or that overflows float is refused with exit 2, naming the node,
# the tensors and the value, and nothing is written; the extremes that do
# fit compile and run (under UBSan in the san run) to outputs worked out by
# hand.  Models: tests/e2e/quant_mkmodel.c (the list and the arithmetic are
# there).  Before these checks every refused model below was generated, with
# shifts of 34 to 256 bits that are undefined behaviour in the kernels.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Itests -Icompiler -Iinclude \
    -o "$tmp/mk" tests/e2e/quant_mkmodel.c || { echo "FAIL quant_mkmodel does not build"; exit 1; }
"$tmp/mk" "$tmp" || { echo "FAIL quant_mkmodel"; exit 1; }

# model, then what the message must contain
refused() {
    local model=$1; shift
    rm -rf "$tmp/out"
    "$KILN" generate "$tmp/$model" -o "$tmp/out" >"$tmp/log" 2>&1
    local rc=$? missing=""
    for want in "$@"; do grep -qF -- "$want" "$tmp/log" || missing+=" '$want'"; done
    if [ $rc -eq 2 ] && [ -z "$missing" ] && [ ! -e "$tmp/out" ]; then
        ok "$model refused: $(grep -m1 'kiln generate' "$tmp/log" | cut -c16-200)"
    else
        bad "$model: exit $rc, missing$missing, output $( [ -e "$tmp/out" ] && echo written || echo none)"
        tail -3 "$tmp/log" | sed 's/^/     /'
    fi
}

refused conv_1e10.tflite "'x_q' scale 1e+10" "'w_q'" "'y_q'" "left shift of 34 bits" "-31..30"
refused conv_perch.tflite "channel 1" "'w_q' scale 1e+10" "left shift of 34 bits"
refused fc_3e38.tflite "'x_q' scale 3e+38" "'w_q' scale 3e+38" "inf"
refused mul_1e-38.tflite "'a_q'" "'b_q'" "'y_q' scale 1e-38" "left shift of 127 bits"
refused zp_300.tflite "'a_q'" "zero point 300"
refused qdq_conv_3e38.onnx "'conv'" "'x_q' scale 3e+38" "'w_q' scale 3e+38" "overflows float32"
refused qdq_bias_3e38.onnx "'conv'" "bias 'bias'" "'x_q' scale 3e+38" "beyond float32"
refused qlinear_conv_3e38.onnx "'qconv'" "'x_u8' scale 3e+38" "'w_s8'" "overflows float32"

# The accepted extremes, run.  int8 files: raw bytes in NHWC order.
# conv_shift30: factor 0.75 * 2^30 (shift 30).  Input 1 at pixel 0, channel
# 1, else 0; w = [[3, -2], [5, 1]]: pixel 0 accumulates -2 and 1, times
# 8.05e8 saturates to -128 and 127; the other pixels stay 0.
printf '\x00\x01\x00\x00\x00\x00\x00\x00' >"$tmp/c30.in"
printf '\x80\x7f\x00\x00\x00\x00\x00\x00' >"$tmp/c30.exp"
# conv_flush: factor 1e-38 flushes to 0: every output is the zero point 0,
# whatever the input.
printf '\x7f\x80\x01\xff\x40\xc0\x00\x05' >"$tmp/cf.in"
printf '\x00\x00\x00\x00\x00\x00\x00\x00' >"$tmp/cf.exp"
# mul_shift-31: factor 2^-32 (shift -31): |a * b| <= 2^14 rounds to 0.
printf '\x80\x7f\x80\x01' >"$tmp/ma.in"
printf '\x80\x7f\x7f\xff' >"$tmp/mb.in"
printf '\x00\x00\x00\x00' >"$tmp/m.exp"
runs() { # model, then validate's --input/--expected arguments
    local model=$1; shift
    "$KILN" validate "$tmp/$model" "$@" --max-lsb 0 >"$tmp/log" 2>&1
    local rc=$?
    if [ $rc -eq 0 ]; then
        ok "$model runs: $(grep -m1 'result:' "$tmp/log")"
    else
        bad "$model: validate exit $rc"; tail -5 "$tmp/log" | sed 's/^/     /'
    fi
}
runs conv_shift30.tflite --input "$tmp/c30.in" --expected "$tmp/c30.exp"
runs conv_flush.tflite --input "$tmp/cf.in" --expected "$tmp/cf.exp"
runs mul_shift-31.tflite --input "$tmp/ma.in" --input "$tmp/mb.in" --expected "$tmp/m.exp"

echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
