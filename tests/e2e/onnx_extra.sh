#!/usr/bin/env bash
# onnx_extra.sh - importer cases the conformance suites do not cover.
# san: yes
#
# tests/data/onnx_extra/*.onnx (made by tests/data/make_onnx_extra.py): old
# attribute forms, Upsample, Resize 10/11/13, Dropout masks, Cast/Constant
# chains, Gemm with constant weights, bidirectional LSTM, ...  expected.tsv
# holds each model's output dtypes and shapes as computed by onnx's own
# shape inference (or by hand where it cannot, see the generator), or the
# word a refusal message must contain.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-build/kiln}
DIR=tests/data/onnx_extra
ok=0 refused=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while IFS=$'\t' read -r name want result; do
    [[ "$name" == \#* || -z "$name" ]] && continue
    "$KILN" dump "$DIR/$name.onnx" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    err=$(cat "$tmp/err")
    if [[ "$err" == *Sanitizer* || "$err" == *"runtime error"* ]]; then
        failed=$((failed + 1)); echo "FAIL $name: sanitizer report"; echo "$err" | head -20
    elif [ "$result" = ok ]; then
        got=$(sed -n 's/^  output [%#].*:\([a-z0-9]*\[[0-9,]*\]\).*$/\1/p' "$tmp/out" | tr '\n' ' ')
        if [ $rc -eq 0 ] && [ "$got" = "$want " ]; then
            ok=$((ok + 1))
        else
            failed=$((failed + 1)); echo "FAIL $name: exit $rc, outputs '$got', expected '$want' $err"
        fi
    else
        word=${result#refuse:}
        if [ $rc -eq 2 ] && [[ "$err" == *"$word"* ]]; then
            refused=$((refused + 1))
        else
            failed=$((failed + 1)); echo "FAIL $name: exit $rc, expected a refusal naming '$word': $err"
        fi
    fi
done <"$DIR/expected.tsv"
echo "summary: $ok imported with the expected shapes, $refused refused as expected, $failed failed"
[ $failed -eq 0 ] && [ $ok -gt 0 ]
