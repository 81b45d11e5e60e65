#!/usr/bin/env bash
# san: yes
# blob_tamper.sh - a blob crafted the attacker's way (a header field or a
# weight edited, both CRCs recomputed, the real signature kept: see
# tests/e2e/lib/blob_craft.py, which uses Python's zlib, not Kiln) is refused
# with its named status by every consumer:
#   - the runtime, through `kiln validate --blob` (exit 2, "STATUS: ...; field
#     X: found A, expected B"); under the sanitizer build this is also where a
#     kernel would read past a blob whose payload_size was shrunk;
#   - `kiln blob info --model` (exit 1, the same status);
#   - `kiln flash write --model` and `kiln flash export --model` (exit 2, the
#     same status, no device image or export file written).
# Weight edits: resealed (refused in both integrity modes by the pinned payload
# CRC) and CRC-preserving (refused by sha256; accepted by the crc32 runtime
# check, as documented, but refused by the host tools' byte comparison).
# The good blob passes all of them in both modes.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=tests/models/small_cnn.onnx
D=tests/models/small_cnn
CRAFT="python3 tests/e2e/lib/blob_craft.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export KILN_BOARDS_DIR=$PWD/boards
pass=0 fail=0
ok()  { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2" | head -20; }

# expect NAME WANT-EXIT PATTERN CMD...: CMD exits WANT-EXIT with output matching PATTERN.
expect() {
    local name=$1 want=$2 pat=$3; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then
        ok "$name: $(grep -m1 -E -- "$pat" <<<"$out" | sed 's/^ *//' | cut -c1-150)"
    else
        bad "$name: exit $rc (want $want), pattern '$pat'" "$out"
    fi
}
validate() { # [options...]
    "$KILN" validate $M --input $D/input_1.npy --expected $D/logits_1.npy --expected $D/probs_1.npy --atol 1e-5 "$@"
}

"$KILN" generate $M -o "$tmp/gen" -q >/dev/null || { echo "FAIL generate"; exit 1; }
blob=$tmp/gen/small_cnn_data.bin
grep -q '\.integrity = KILN_INTEGRITY_SHA256' "$tmp/gen/small_cnn.c" && ok "default integrity is sha256" \
    || bad "default integrity is sha256"
field() { python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(), int(sys.argv[2]))[0])" "$blob" "$1"; }
P=$(field 24) N=$(field 32) DATA=$(field 40)

# name | edits | status | detail pattern (the field line)
cases=(
  "payload_size halved|payload_size=$((P / 2))|KILN_E_BLOB_MISMATCH|payload_size: found $((P / 2)), expected $P"
  "payload_size halved, file cut to match|payload_size=$((P / 2)) cut=$((64 + P / 2))|KILN_E_BLOB_MISMATCH|payload_size: found $((P / 2)), expected $P"
  "payload_size 0, file cut to the header|payload_size=0 cut=64|KILN_E_BLOB_MISMATCH|payload_size: found 0, expected $P"
  "payload_size grown, bytes appended|payload+=4096|KILN_E_BLOB_MISMATCH|payload_size: found $((P + 4096)), expected $P"
  "tensor_count one less|tensor_count=$((N - 1))|KILN_E_BLOB_MISMATCH|tensor_count: found $((N - 1)), expected $N"
  "dir_offset moved|dir_offset=80|KILN_E_BLOB_MISMATCH|dir_offset: found 80, expected 64"
  "data_offset moved|data_offset=$((DATA + 16))|KILN_E_BLOB_MISMATCH|data_offset: found $((DATA + 16)), expected $DATA"
  "alignment changed|align=32|KILN_E_BLOB_MISMATCH|align: found 32, expected 16"
  "flags cleared|flags=0|KILN_E_BLOB_MISMATCH|flags: found 0x00000000, expected 0x00000001"
  "reserved byte set|reserved=1|KILN_E_BLOB_RESERVED|reserved: found 0x00000001, expected 0x00000000"
  "weight edited, CRCs recomputed|flip=$((DATA + 100))|KILN_E_BLOB_MISMATCH|payload_crc: found 0x[0-9a-f]{8}, expected 0x[0-9a-f]{8}"
  "weight edited, payload CRC kept|forge=$((DATA + 100))|KILN_E_BLOB_DIGEST|payload SHA-256: found 0x[0-9a-f]{8}\\.\\.\\., expected"
)
for c in "${cases[@]}"; do
    IFS='|' read -r name edits status detail <<<"$c"
    f="$tmp/crafted.bin"
    $CRAFT "$blob" "$f" $edits || { bad "$name: blob_craft failed"; continue; }
    expect "runtime refuses $name" 2 "$status: .*; .*$detail" validate --blob "$f"
    expect "blob info --model refuses $name" 1 "FAILED: $status" "$KILN" blob info "$f" --model $M
    rm -f "$tmp/dev.img" "$tmp/out.hex"
    expect "flash write --model refuses $name" 2 "$status" \
        "$KILN" flash write "$f" --board stm32h747i-disco --device "$tmp/dev.img" --model $M --quiet
    [ -e "$tmp/dev.img" ] && bad "flash write --model left a device image for $name"
    expect "flash export --model refuses $name" 2 "$status" \
        "$KILN" flash export "$f" --address 0x90000000 -o "$tmp/out.hex" --model $M
    [ -e "$tmp/out.hex" ] && bad "flash export --model left $tmp/out.hex for $name"
done

# Without a model the structural check still refuses an inconsistent header.
$CRAFT "$blob" "$tmp/half.bin" payload_size=$((P / 2))
expect "blob info (no model) refuses a shrunk payload" 1 "FAILED: KILN_E_BLOB_(LAYOUT|DIRECTORY)" \
    "$KILN" blob info "$tmp/half.bin"
$CRAFT "$blob" "$tmp/dres.bin" dir_layout=3
# the highest layout code the format defines: the last entry before KILN_BLOB_LAYOUT_COUNT
last_layout=$(grep -B1 'KILN_BLOB_LAYOUT_COUNT' include/kiln/blob.h | grep -oE '= *[0-9]+' | tr -dc 0-9)
expect "blob info (no model) refuses a directory entry's unknown layout" 1 \
    "directory entry 3 layout: found 255, expected at most ${last_layout:-?}" "$KILN" blob info "$tmp/dres.bin"

# The crc32 mode: the pinned CRC refuses a resealed edit; a CRC-preserving
# one passes the runtime (the documented limit) but not the host tools.
"$KILN" generate $M -o "$tmp/crc" --integrity crc32 -q >/dev/null || bad "generate --integrity crc32"
grep -q '\.integrity = KILN_INTEGRITY_CRC32' "$tmp/crc/small_cnn.c" && ok "--integrity crc32 is carried by the code" \
    || bad "--integrity crc32 is carried by the code"
cmp -s "$blob" "$tmp/crc/small_cnn_data.bin" && ok "the blob is the same in both modes" || bad "the blob differs between modes"
$CRAFT "$blob" "$tmp/reseal.bin" flip=$((DATA + 100))
expect "crc32 runtime refuses a resealed edit" 2 "KILN_E_BLOB_MISMATCH: .*payload_crc" \
    validate --integrity crc32 --blob "$tmp/reseal.bin"
$CRAFT "$blob" "$tmp/forged.bin" forge=$((DATA + 100))
expect "crc32 blob info --model refuses a CRC-preserving edit byte for byte" 1 \
    "FAILED: not the blob .* byte $((DATA + 100)) \(tensor 0 .*\) differs" \
    "$KILN" blob info "$tmp/forged.bin" --model $M --integrity crc32
expect "crc32 flash write --model refuses a CRC-preserving edit" 2 "byte $((DATA + 100)) .* differs" \
    "$KILN" flash write "$tmp/forged.bin" --board stm32h747i-disco --device "$tmp/dev.img" --model $M \
    --integrity crc32 --quiet

# The good blob passes everything, in both modes.
expect "good blob: runtime (sha256)" 0 "result: PASS" validate --blob "$blob"
expect "good blob: runtime (sha256, --no-crc does not skip the digest)" 0 "result: PASS" validate --blob "$blob" --no-crc
expect "good blob: runtime (crc32)" 0 "result: PASS" validate --integrity crc32 --blob "$blob"
expect "good blob: blob info --model" 0 "check +ok: identical .* by sha256" "$KILN" blob info "$blob" --model $M
expect "good blob: blob info --model --integrity crc32" 0 "by crc32" "$KILN" blob info "$blob" --model $M --integrity crc32
rm -f "$tmp/dev.img"
expect "good blob: flash write --model" 0 "verify: +OK" \
    "$KILN" flash write "$blob" --board stm32h747i-disco --device "$tmp/dev.img" --model $M --quiet
expect "good blob: flash verify --model" 0 "verify: +OK" \
    "$KILN" flash verify "$blob" --board stm32h747i-disco --device "$tmp/dev.img" --model $M
expect "good blob: flash update --model" 0 "commit:" \
    "$KILN" flash update "$blob" --board stm32h747i-disco --device "$tmp/ab.img" --model $M --quiet
expect "good blob: flash export --model" 0 "Intel HEX" \
    "$KILN" flash export "$blob" --address 0x90000000 -o "$tmp/good.hex" --model $M
expect "another model's blob: flash write --model" 2 "KILN_E_BLOB_SIGNATURE" \
    "$KILN" flash write "$tmp/forged.bin" --board stm32h747i-disco --device "$tmp/dev2.img" \
    --model tests/models/small_cnn_retrained.onnx --quiet
expect "compile options without --model are refused" 2 "give --model too" \
    "$KILN" flash write "$blob" --board stm32h747i-disco --device "$tmp/dev.img" --integrity crc32
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
