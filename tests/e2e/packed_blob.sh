#!/usr/bin/env bash
# packed_blob.sh - the packed int8 weights in the blob: format version 2,
# every packed tensor's layout named in the directory (`kiln blob info`), and
# the signature covering the packing: code generated with one packing
# (--kernels fast: int16 slices) refuses the blob of another (compact: int8
# slices) of the same model, and a blob of format version 1 is refused by
# name.  On the host, with kws_ref_model and TFLM's seed 1.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=../shared/models/mlperf_tiny/kws_ref_model.tflite
R=../shared/reference/tflm/kws_ref_model
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/     /' | head -12; }

for k in fast compact; do
    "$KILN" generate $M --kernels $k -o "$tmp/$k" -q >/dev/null || { echo "generate --kernels $k failed"; exit 1; }
done
info=$("$KILN" blob info "$tmp/fast/kws_ref_model_data.bin" --tensors 2>&1)
if grep -qE '^version +2$' <<<"$info" && [ "$(grep -c ' gemm16x2 ' <<<"$info")" -eq 5 ] &&
   [ "$(grep -c ' dw3x3t ' <<<"$info")" -eq 4 ] && [ "$(grep -c ' gemm16x4 ' <<<"$info")" -eq 1 ]; then
    ok "fast blob: version 2, 5 conv streams gemm16x2, 4 depthwise dw3x3t, the FC gemm16x4"
else
    bad "fast blob directory" "$info"
fi
info=$("$KILN" blob info "$tmp/compact/kws_ref_model_data.bin" --tensors 2>&1)
if [ "$(grep -c ' gemm8x2 ' <<<"$info")" -eq 5 ] && [ "$(grep -c ' gemm8x4 ' <<<"$info")" -eq 1 ]; then
    ok "compact blob: the conv and FC streams are gemm8x2 / gemm8x4"
else
    bad "compact blob directory" "$info"
fi
# str_ww's four Kx1 depthwise layers (3x1 to 15x1): the any-window stream,
# 4 channels a block of 80 + 8 x taps bytes (40 channels of 3 taps: 1,040).
SW=../shared/models/mlperf_tiny/str_ww_ref_model.tflite
"$KILN" generate $SW -o "$tmp/sw" -q >/dev/null || { echo "generate str_ww_ref_model failed"; exit 1; }
info=$("$KILN" blob info "$tmp/sw/str_ww_ref_model_data.bin" --tensors 2>&1)
if [ "$(grep -c ' dwany ' <<<"$info")" -eq 4 ] && grep -qE ' 1040 u8 +derived +dwany ' <<<"$info"; then
    ok "str_ww blob: its 4 depthwise layers are dwany streams (layer 0: 1,040 bytes)"
else
    bad "str_ww blob directory (want 4 dwany)" "$info"
fi

# The blobs above are generate's default --cpu (cortex-m7); validate on the host defaults to
# --cpu host, whose FC layout differs (fc8host), so the code is built for cortex-m7 here.
val() { "$KILN" validate $M --cpu cortex-m7 --input $R/seed1.in --expected $R/seed1.out "$@" 2>&1; }
out=$(val --kernels fast --blob "$tmp/fast/kws_ref_model_data.bin"); rc=$?
[ $rc -eq 0 ] && ok "fast code on its own blob passes" || bad "fast code on its own blob: exit $rc" "$out"
out=$(val --kernels fast --blob "$tmp/compact/kws_ref_model_data.bin"); rc=$?
if [ $rc -eq 2 ] && grep -qi 'signature' <<<"$out"; then
    ok "fast code refuses the compact blob: $(grep -m1 -i signature <<<"$out" | cut -c1-110)"
else
    bad "fast code on the compact blob: exit $rc (want 2, signature)" "$out"
fi
# The same blob claiming format version 1 (header CRC fixed up): refused.
python3 - "$tmp/fast/kws_ref_model_data.bin" "$tmp/v1.bin" <<'PY'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], 'rb').read())
b[4:6] = struct.pack('<H', 1)
b[60:64] = struct.pack('<I', zlib.crc32(bytes(b[:60])) & 0xffffffff)
open(sys.argv[2], 'wb').write(b)
PY
out=$(val --kernels fast --blob "$tmp/v1.bin"); rc=$?
if [ $rc -eq 2 ] && grep -qi 'version' <<<"$out"; then
    ok "a version 1 blob is refused: $(grep -m1 -i version <<<"$out" | cut -c1-110)"
else
    bad "version 1 blob: exit $rc (want 2, version)" "$out"
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
