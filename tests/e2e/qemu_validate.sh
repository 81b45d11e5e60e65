#!/usr/bin/env bash
# slow: yes
# qemu_validate.sh - the PyTorch CNN (tests/models/small_cnn.onnx) validates
# on the emulated Cortex-M7 (`kiln validate --target qemu`: QEMU mps2-an500,
# weights blob at 0x60000000) against PyTorch's own outputs, with external and
# with inline weights, both giving identical outputs and a cycle count; and the
# guard holds on target: an erased blob, a zeroed one, another model's blob
# and no blob loaded at all are each refused with the cause named (exit 2).
# Prints SKIP and passes only when qemu-system-arm or arm-none-eabi-gcc is
# not installed.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "SKIP: qemu-system-arm or arm-none-eabi-gcc not installed"; echo "summary: 0 passed, 0 failed (skipped)"; exit 0
fi
M=tests/models/small_cnn.onnx
D=tests/models/small_cnn
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ref() { echo --input $D/input_$1.npy --expected $D/logits_$1.npy --expected $D/probs_$1.npy; }

for seed in 1 2 3; do
    for w in external inline; do
        if "$KILN" validate $M --target qemu --weights $w $(ref $seed) --keep "$tmp/$w$seed" \
               --json "$tmp/j.json" > "$tmp/log" 2>&1 &&
           grep -qE '^instructions per inference: [1-9][0-9]* \(counter: qemu_instructions' "$tmp/log" &&
           python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["per_inference"]
assert p["counter"] == "qemu_instructions" and p["unit"] == "instructions" and p["mean"] > 0, p' "$tmp/j.json"; then
            pass=$((pass+1)); echo "ok   seed $seed, weights $w: $(grep -m1 max_abs "$tmp/log" | sed 's/^ *//'); $(grep -m1 '^instructions' "$tmp/log")"
        else
            fail=$((fail+1)); echo "FAIL seed $seed, weights $w"; cat "$tmp/log"
        fi
    done
    if cmp -s "$tmp/external$seed/output.bin" "$tmp/inline$seed/output.bin"; then
        pass=$((pass+1)); echo "ok   seed $seed: inline and external outputs identical on target"
    else
        fail=$((fail+1)); echo "FAIL seed $seed: inline and external outputs differ on target"
    fi
done

# The guard, on target.
check() { # name pattern args...
    local name=$1 pat=$2; shift 2
    local out rc
    out=$("$KILN" validate $M --target qemu $(ref 1) "$@" 2>&1); rc=$?
    if [ "$rc" = 2 ] && grep -qiE "$pat" <<<"$out"; then
        pass=$((pass+1)); echo "ok   $name: $(grep -m1 -iE "$pat" <<<"$out" | cut -c1-160)"
    else
        fail=$((fail+1)); echo "FAIL $name: exit $rc (want 2), output:"; echo "$out" | sed 's/^/     /' | head -20
    fi
}
"$KILN" generate $M -o "$tmp/gen" -q >/dev/null || { echo "FAIL generate"; exit 1; }
"$KILN" generate tests/models/small_cnn_retrained.onnx -o "$tmp/retrained" --name small_cnn -q >/dev/null || exit 1
size=$(stat -c %s "$tmp/gen/small_cnn_data.bin")
head -c "$size" /dev/zero | tr '\0' '\377' > "$tmp/erased.bin"
head -c "$size" /dev/zero > "$tmp/zero.bin"
: > "$tmp/nothing.bin"
check "erased flash (0xFF)"    "KILN_E_BLOB_ERASED: .*erased"    --blob "$tmp/erased.bin"
check "all zeros"              "KILN_E_BLOB_ZERO: .*all zeros"   --blob "$tmp/zero.bin"
check "another model's blob"   "KILN_E_BLOB_SIGNATURE: .*(another model|signature)" --blob "$tmp/retrained/small_cnn_data.bin"
check "no blob loaded at all"  "refused .*KILN_E_BLOB_ZERO: .*nothing was loaded" --blob "$tmp/nothing.bin"
payload=$((size - 64))
python3 tests/e2e/lib/blob_craft.py "$tmp/gen/small_cnn_data.bin" "$tmp/crafted.bin" payload_size=0
check "crafted payload_size 0"  "KILN_E_BLOB_MISMATCH: .*header field payload_size: found 0, expected $payload" \
      --blob "$tmp/crafted.bin"
data=$(python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(), 40)[0])" "$tmp/gen/small_cnn_data.bin")
python3 tests/e2e/lib/blob_craft.py "$tmp/gen/small_cnn_data.bin" "$tmp/forged.bin" forge=$((data + 100))
check "weight edited, CRC kept" "KILN_E_BLOB_DIGEST: .*payload SHA-256: found 0x" --blob "$tmp/forged.bin"
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
