#!/usr/bin/env bash
# san: yes
# onnx_blocked_quant.sh - blocked QuantizeLinear / DequantizeLinear (opset 21,
# block_size) through `kiln validate`: the generated C against outputs worked
# out by hand and checked with numpy by tests/data/make_blocked_quant.py
# (ties rounded half to even before the zero point is added, int16 values
# that only fit through the zero point, remainder blocks, blocks along axis 0).
# One per-tensor case checks the plain path rounds ties the same way.
# Integer outputs must match exactly (validate's default --max-lsb 0).
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-build/kiln}
DIR=tests/data/blocked_quant
pass=0 failed=0
for d in "$DIR"/*/; do
    name=$(basename "$d")
    log=$("$KILN" validate "$d/model.onnx" --input "$d/test_data_set_0/input_0.pb" \
          --expected "$d/test_data_set_0/output_0.pb" 2>&1)
    if [ $? -eq 0 ]; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1)); echo "FAIL $name:"; echo "$log" | tail -8 | sed 's/^/    /'
    fi
done
echo "summary: $pass passed, $failed failed"
[ $failed -eq 0 ] && [ $pass -ge 5 ]
