#!/usr/bin/env bash
# san: yes
# qdq_models.sh - quantized ONNX models as real tools write them (QDQ format)
# compile to the int8 kernels and agree with onnxruntime bit for bit.
#
# Models and references (tests/models/gen_qdq_*.py; onnxruntime-node ran at
# generation time, its outputs are committed, nothing here needs node):
#   qdq_torch_cnn   the small CNN of gen_small_cnn.py quantized by PyTorch
#                   (FX, qnnpack) and exported at opset 13
#   qdq_ort_resnet  a residual CNN in onnxruntime quantize_static's QDQ style
#                   (per-channel int8 weights, uint8 activations, int32
#                   biases; Conv, MaxPool, Add, AveragePool, GlobalAveragePool,
#                   Flatten, MatMul, Gemm)
#   qdq_ops_u8/s8   one group per op onnxruntime computes in float or rounds
#                   its own way, on thousands of elements (many exact ties)
#   *_taps          the same models with every QuantizeLinear output exposed
# Checked: (1) no float kernel is left but the QuantizeLinear /
# DequantizeLinear at the boundary; (2) every output, and with the taps every
# quantized layer, equals onnxruntime's exactly (float outputs: --atol 0
# --rtol 0; integer outputs: --max-lsb 0), with external and inline weights,
# which also give byte-identical outputs, and on the Cortex-M7 (qemu); (3) the logits against the quantized
# PyTorch model's own (qnnpack) outputs, within 1 LSB of the output scale (the
# exported biases are truncated where qnnpack rounds; see gen_qdq_torch.py):
# the measured difference is printed.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=tests/models
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     | /' "$2" | tail -30; }

# validate NAME LOGTAG ARGS...: one `kiln validate` that must pass.
validate() {
    local what="$1"; shift
    if "$KILN" validate "$@" > "$tmp/log" 2>&1; then
        ok "$what: $(grep -m1 -E '^result' "$tmp/log")"
    else
        bad "$what" "$tmp/log"
    fi
}

# (1) Kernels: the generated code calls int8 kernels only (the float
# boundary QuantizeLinear/DequantizeLinear aside), and the layers we expect.
kernels() { # model, expected "kernel count" pairs...
    local m="$1"; shift
    rm -rf "$tmp/gen"
    if ! "$KILN" generate "$M/$m.onnx" -o "$tmp/gen" > "$tmp/log" 2>&1; then
        bad "$m: generate" "$tmp/log"; return
    fi
    grep -ho 'kiln_[a-z0-9_]*(' "$tmp/gen"/*.c | sort | uniq -c | awk '{print $2, $1}' | tr -d '(' > "$tmp/calls"
    local floats
    floats=$(grep -v -E '^kiln_(quantize_f32_|dequantize_)' "$tmp/calls" | grep -E '_f32 ' | tr '\n' ' ')
    [ -z "$floats" ] && ok "$m: no float kernels left" || bad "$m: float kernels left: $floats"
    while [ $# -ge 2 ]; do
        local got
        got=$(awk -v k="$1" '$1 == k {print $2}' "$tmp/calls")
        [ "${got:-0}" = "$2" ] && ok "$m: $2 x $1" || bad "$m: ${got:-0} x $1, want $2"
        shift 2
    done
}
kernels qdq_torch_cnn kiln_conv_q8 3 kiln_depthwise_conv_q8 2 kiln_maxpool_q8 1 kiln_avgpool_onnx_q8 1 \
    kiln_fully_connected_q8 1 kiln_quantize_f32_u8 1 kiln_dequantize_u8_f32 1
kernels qdq_ort_resnet kiln_conv_q8 4 kiln_maxpool_q8 1 kiln_add_onnx_q8 1 kiln_avgpool_onnx_q8 2 \
    kiln_matmul_q8 1 kiln_fully_connected_q8 1 kiln_quantize_f32_u8 1 kiln_dequantize_u8_f32 1
kernels qdq_ops_u8 kiln_add_onnx_q8 2 kiln_avgpool_onnx_q8 4 kiln_maxpool_q8 1
# `kiln analyze` agrees: every compute layer has a quantized output.
for m in qdq_torch_cnn qdq_ort_resnet; do
    "$KILN" analyze "$M/$m.onnx" > "$tmp/an" 2>&1
    n=$(awk '$2 ~ /^(Conv|DepthwiseConv|FullyConnected|MatMul|Add|AveragePool|MaxPool)$/' "$tmp/an" | wc -l)
    f=$(awk '$2 ~ /^(Conv|DepthwiseConv|FullyConnected|MatMul|Add|AveragePool|MaxPool)$/ && !/ s=/' "$tmp/an" | wc -l)
    [ "$n" -gt 0 ] && [ "$f" = 0 ] && ok "$m: kiln analyze shows $n quantized compute layers, no float one" \
        || bad "$m: kiln analyze: $f of $n compute layers float" "$tmp/an"
done
# The fused ReLU6 (DequantizeLinear -> Clip -> QuantizeLinear) leaves no clamp
# of its own: it became the convs' activation.
"$KILN" generate "$M/qdq_torch_cnn.onnx" -o "$tmp/gen2" > /dev/null 2>&1
grep -q 'kiln_clip\|kiln_requantize' "$tmp/gen2"/*.c && bad "qdq_torch_cnn: ReLU6 left as a separate clamp" \
    || ok "qdq_torch_cnn: ReLU6 fused into the convs"

# (2) onnxruntime, exactly.
D=$M/qdq_torch_cnn
for seed in 1 2 3; do
    for w in external inline; do
        validate "qdq_torch_cnn seed $seed, $w weights, vs onnxruntime" "$M/qdq_torch_cnn.onnx" --weights $w \
            --input $D/input_$seed.npy --expected $D/ort_logits_$seed.npy --atol 0 --rtol 0 --keep "$tmp/t$w$seed"
    done
    cmp -s "$tmp/texternal$seed/output.bin" "$tmp/tinline$seed/output.bin" \
        && ok "qdq_torch_cnn seed $seed: inline and external outputs identical" \
        || bad "qdq_torch_cnn seed $seed: inline and external outputs differ"
done
D=$M/qdq_ort_resnet
for seed in 1 2 3; do
    for w in external inline; do
        validate "qdq_ort_resnet seed $seed, $w weights, vs onnxruntime" "$M/qdq_ort_resnet.onnx" --weights $w \
            --input $D/input_$seed.npy --expected $D/ort_y_$seed.npy --expected $D/ort_y_q_$seed.npy \
            --atol 0 --rtol 0 --max-lsb 0 --keep "$tmp/r$w$seed"
    done
    cmp -s "$tmp/rexternal$seed/output.bin" "$tmp/rinline$seed/output.bin" \
        && ok "qdq_ort_resnet seed $seed: inline and external outputs identical" \
        || bad "qdq_ort_resnet seed $seed: inline and external outputs differ"
done
for m in qdq_torch_cnn qdq_ort_resnet; do
    exp=()
    while read -r f; do exp+=(--expected "$f"); done < "$M/$m/taps_1/expected.txt"
    validate "$m: all $(wc -l < "$M/$m/taps_1/expected.txt") quantized layers, seed 1, vs onnxruntime" \
        "$M/${m}_taps.onnx" --input "$M/$m/input_1.npy" "${exp[@]}" --atol 0 --rtol 0 --max-lsb 0
done
for v in u8 s8; do
    D=$M/qdq_ops_$v
    for seed in 1 2; do
        exp=()
        for o in add_q addc_q avg2_q avg3_q avg3p_q gap_q max_q; do exp+=(--expected "$D/ort_${o}_$seed.npy"); done
        validate "qdq_ops_$v seed $seed (Add, AveragePool, GlobalAveragePool, MaxPool) vs onnxruntime" \
            "$M/qdq_ops_$v.onnx" --input "$D/in_a_$seed.npy" --input "$D/in_b_$seed.npy" \
            --input "$D/in_c_$seed.npy" "${exp[@]}" --max-lsb 0
    done
done

# (2b) The same on the Cortex-M7 (qemu mps2-an500): the float steps of the
# ONNX-flavour kernels (VFMA, divisions, products rounded before sums) give
# onnxruntime's integers on the target FPU too.
if command -v qemu-system-arm > /dev/null && command -v arm-none-eabi-gcc > /dev/null; then
    D=$M/qdq_ort_resnet
    validate "qdq_ort_resnet seed 1 on Cortex-M7 (qemu) vs onnxruntime" "$M/qdq_ort_resnet.onnx" --target qemu \
        --input $D/input_1.npy --expected $D/ort_y_1.npy --expected $D/ort_y_q_1.npy --atol 0 --rtol 0
    D=$M/qdq_torch_cnn
    validate "qdq_torch_cnn seed 1 on Cortex-M7 (qemu) vs onnxruntime" "$M/qdq_torch_cnn.onnx" --target qemu \
        --input $D/input_1.npy --expected $D/ort_logits_1.npy --atol 0 --rtol 0
    D=$M/qdq_ops_u8
    exp=()
    for o in add_q addc_q avg2_q avg3_q avg3p_q gap_q max_q; do exp+=(--expected "$D/ort_${o}_1.npy"); done
    validate "qdq_ops_u8 seed 1 on Cortex-M7 (qemu) vs onnxruntime" "$M/qdq_ops_u8.onnx" --target qemu \
        --input "$D/in_a_1.npy" --input "$D/in_b_1.npy" --input "$D/in_c_1.npy" "${exp[@]}" --max-lsb 0
else
    echo "skip Cortex-M7 runs: qemu-system-arm or arm-none-eabi-gcc not installed"
fi

# (3) The quantized PyTorch model (qnnpack), within one output LSB (0.00237629).
D=$M/qdq_torch_cnn
for seed in 1 2 3; do
    if "$KILN" validate "$M/qdq_torch_cnn.onnx" --input $D/input_$seed.npy --expected $D/torch_logits_$seed.npy \
           --atol 0.0024 --rtol 0 > "$tmp/log" 2>&1; then
        ok "qdq_torch_cnn seed $seed vs PyTorch qnnpack: $(grep -m1 -o 'max_abs [^ ]*' "$tmp/log") (1 LSB = 2.376e-03)"
    else
        bad "qdq_torch_cnn seed $seed vs PyTorch qnnpack" "$tmp/log"
    fi
done
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
