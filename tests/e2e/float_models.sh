#!/usr/bin/env bash
# san: yes
# float_models.sh - the packed float32 kernels and the float fusions end to
# end, against independent references: float_cnn.onnx (30.7 M MACs, NCHW;
# tests/models/gen_float_cnn.py) on the host (both committed inputs) and on
# the emulated Cortex-M7 (the first) against onnxruntime's outputs.  Its Pad is
# folded into the conv window and its Add and LeakyRelu into conv
# epilogues (the report must say so: a fusion that stopped happening would
# otherwise still pass); the host build is -O3 -march=native (validate must
# say so).  The blob's directory names the float packing (layouts f32panel,
# f32dw, f32bias; the signature hashes it).  The TFLite float models against TFLM's outputs are
# tflm_reference.sh's.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=tests/models/float_cnn.onnx
D=tests/models/float_cnn
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2" | tail -20; }

"$KILN" analyze $M > "$tmp/an" 2>&1 || bad "analyze" "$tmp/an"
grep -q "1 Pads folded into conv windows, 2 Add/LeakyRelu/Max fused" "$tmp/an" \
    && ok "the Pad, the Add and the LeakyRelu are fused" || bad "fusions missing from the report" "$tmp/an"
grep -q "kernel calls        10" "$tmp/an" && ok "10 kernel calls (13 nodes, 3 fused away)" \
    || bad "kernel calls" "$tmp/an"

"$KILN" generate $M -o "$tmp/gen" -q > "$tmp/gen.log" 2>&1 || bad "generate" "$tmp/gen.log"
"$KILN" blob info "$tmp/gen/float_cnn_data.bin" --tensors > "$tmp/info" 2>&1
if [ "$(grep -c ' f32panel ' "$tmp/info")" -eq 6 ] && [ "$(grep -c ' f32dw ' "$tmp/info")" -eq 1 ] &&
   [ "$(grep -c ' f32bias ' "$tmp/info")" -eq 7 ]; then
    ok "blob directory: 6 conv/FC weights f32panel, the depthwise f32dw, 7 biases f32bias"
else
    bad "blob directory layouts" "$tmp/info"
fi

targets=(host)
command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null && [ -z "${KILN_SAN:-}" ] \
    && targets+=(qemu)
# Both inputs on the host; QEMU (a firmware build per run) on the first only.
for t in "${targets[@]}"; do
    inputs=(1 2); [ $t = qemu ] && inputs=(1)
    for s in "${inputs[@]}"; do
        if "$KILN" validate $M --target $t --input $D/input_$s.npy --expected $D/logits_$s.npy \
               --expected $D/probs_$s.npy > "$tmp/log" 2>&1; then
            ok "$t, input $s: $(grep -m1 max_abs "$tmp/log" | sed 's/^ *//')"
        else
            bad "$t, input $s" "$tmp/log"
        fi
        if [ $t = host ]; then
            grep -q "^host build: -O3 -march=native" "$tmp/log" && ok "host build stated: -O3 -march=native" \
                || bad "validate did not state the host build" "$tmp/log"
        fi
    done
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
