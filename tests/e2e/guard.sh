#!/usr/bin/env bash
# san: yes
# guard.sh - the generated code refuses every bad blob, and says why.
#
# For tests/models/small_cnn.onnx, `kiln validate --blob FILE` must exit 2
# with the cause named, for: erased flash (0xFF), zeros, a truncated blob,
# one flipped bit in the payload, one flipped bit in the header, another
# model's blob, and the same network's blob with retrained weights (stale).
# The good blob must pass, and must pass with the CRC check skipped.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=tests/models/small_cnn.onnx
D=tests/models/small_cnn
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name expected-exit pattern args...
    local name=$1 want=$2 pat=$3; shift 3
    local out rc
    out=$("$KILN" validate "$M" --input $D/input_1.npy --expected $D/logits_1.npy --expected $D/probs_1.npy \
          --atol 1e-5 "$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && grep -qiE "$pat" <<<"$out"; then
        pass=$((pass+1)); echo "ok   $name: $(grep -m1 -iE "$pat" <<<"$out" | cut -c1-150)"
    else
        fail=$((fail+1)); echo "FAIL $name: exit $rc (want $want), output:"; echo "$out" | sed 's/^/     /' | head -20
    fi
}

"$KILN" generate $M -o "$tmp/gen" -q >/dev/null || { echo "generate failed"; exit 1; }
"$KILN" generate tests/models/small_cnn_retrained.onnx -o "$tmp/retrained" --name small_cnn -q >/dev/null || exit 1
blob=$tmp/gen/small_cnn_data.bin
size=$(stat -c %s "$blob")

head -c "$size" /dev/zero | tr '\0' '\377' > "$tmp/erased.bin"
head -c "$size" /dev/zero > "$tmp/zero.bin"
head -c $((size - 100)) "$blob" > "$tmp/truncated.bin"
flip() { # file offset -> copy with bit 3 of that byte flipped
    cp "$blob" "$2"
    local b; b=$(od -An -tu1 -j "$1" -N1 "$blob" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 8)))" | dd of="$2" bs=1 seek="$1" conv=notrunc status=none
}
flip $((size / 2)) "$tmp/flip_payload.bin"
flip 20 "$tmp/flip_header.bin"
other=$tmp/retrained/small_cnn_data.bin

check "good blob passes"          0 "result: PASS" --blob "$blob"
check "good blob, CRC skipped"    0 "result: PASS" --blob "$blob" --no-crc
check "erased flash (0xFF)"       2 "erased"       --blob "$tmp/erased.bin"
check "all zeros"                 2 "all zeros"    --blob "$tmp/zero.bin"
check "truncated blob"            2 "larger than the memory given|truncated" --blob "$tmp/truncated.bin"
check "one bit flipped (payload)" 2 "payload is corrupted" --blob "$tmp/flip_payload.bin"
check "one bit flipped (header)"  2 "header is corrupted"  --blob "$tmp/flip_header.bin"
check "retrained weights (stale)" 2 "another model|signature" --blob "$other"
if [ -f ../shared/models/mlperf_tiny/kws_ref_model.tflite ]; then
    "$KILN" generate ../shared/models/mlperf_tiny/kws_ref_model.tflite -o "$tmp/kws" --name kws -q >/dev/null
    check "another model's blob"  2 "another model|signature" --blob "$tmp/kws/kws_data.bin"
fi
check "missing blob file"         2 "cannot open" --blob "$tmp/nope.bin"
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
