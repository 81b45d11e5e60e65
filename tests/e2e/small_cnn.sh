#!/usr/bin/env bash
# san: yes
# small_cnn.sh - a float CNN exported from PyTorch (tests/models/gen_small_cnn.py:
# conv+BN+ReLU6, depthwise, pointwise, pooling, Linear, softmax; opset 13)
# validates against PyTorch's own outputs, with external and with inline
# weights, and both give byte-identical outputs.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=tests/models/small_cnn.onnx
D=tests/models/small_cnn
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for seed in 1 2 3; do
    for w in external inline; do
        if "$KILN" validate $M --weights $w --input $D/input_$seed.npy --expected $D/logits_$seed.npy \
               --expected $D/probs_$seed.npy --keep "$tmp/$w$seed" > "$tmp/log" 2>&1; then
            pass=$((pass+1)); echo "ok   seed $seed, weights $w: $(grep -m1 max_abs "$tmp/log")"
        else
            fail=$((fail+1)); echo "FAIL seed $seed, weights $w"; cat "$tmp/log"
        fi
    done
    if cmp -s "$tmp/external$seed/output.bin" "$tmp/inline$seed/output.bin"; then
        pass=$((pass+1)); echo "ok   seed $seed: inline and external outputs identical"
    else
        fail=$((fail+1)); echo "FAIL seed $seed: inline and external outputs differ"
    fi
done
# Without --expected: the reference evaluator, on random inputs.
if "$KILN" validate $M --seed 7 --samples 4 > "$tmp/log" 2>&1; then
    pass=$((pass+1)); echo "ok   4 random samples vs the reference evaluator"
else
    fail=$((fail+1)); echo "FAIL random samples vs the reference evaluator"; cat "$tmp/log"
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
