#!/usr/bin/env bash
# stream.sh - stream mode (docs/streaming.md) against TFLite-Micro's outputs.
#
#   - kiln validate --weights stream on the host and on the emulated
#     Cortex-M7 (blob read by semihosting, not in the address space), for KWS
#     and IC: bit-exact with TFLM's seed2.out, and "external flash bytes read
#     per inference: N" with N no larger than the blob;
#   - stream_app.c, a user application of the generated KWS code: reads in
#     address order, each byte once; a read failing midway gives KILN_E_IO
#     with the output untouched and the next run works; a weight changed in
#     storage after init is refused;
#   - --stage-double with a start/wait pair whose transfers land late
#     (stream_async_app.c): bit-exact, each byte once in address order,
#     one transfer in flight at most, layers computed while the next read is
#     in flight; a start or wait failing at each transfer gives KILN_E_IO,
#     no output, and the next run works;
#   - --internal-budget: the report places each constant and shows fewer
#     bytes read than without the budget; still bit-exact.
#   - --stage-bytes: a staging buffer smaller than the largest layer (the
#     layer read in tiles of output channels: int8 conv/FC/depthwise, float
#     packed conv/FC/depthwise) stays bit-exact on host and qemu (float:
#     within validate's tolerance), the buffer within the cap and the bytes
#     read no more than the blob; a cap below one tile is refused naming the
#     layer and the least.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
KILN=${KILN:-$PWD/build/kiln}
SH=../shared
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

if [ ! -f $SH/models/mlperf_tiny/kws_ref_model.tflite ]; then
    echo "summary: 0/0 passed (../shared models missing)"; exit 0
fi

# validate MODEL TARGET [extra args]: PASS and bytes read <= blob size.
validate() {
    local m=$1 t=$2; shift 2
    local R=$SH/reference/tflm/$m out
    out=$("$KILN" validate $SH/models/mlperf_tiny/$m.tflite --target $t --weights stream \
          --input $R/seed2.in --expected $R/seed2.out "$@" 2>&1)
    local n blob stage cap=${CAP:-4294967295}
    n=$(sed -n 's/^external flash bytes read per inference: \([0-9]*\).*/\1/p' <<<"$out")
    blob=$(sed -n 's/.*; blob \([0-9]*\) bytes.*/\1/p' <<<"$out")
    stage=$(sed -n 's/.*staging buffer \([0-9]*\) bytes.*/\1/p' <<<"$out" | head -1)
    if grep -q "^result: PASS" <<<"$out" && [ -n "$n" ] && [ "$n" -le "$blob" ] && [ -n "$stage" ] \
       && [ "$stage" -le "$cap" ]; then
        ok "$m on $t, stream${*:+ $*}: bit-exact with TFLM, $n bytes read per inference (blob $blob)"
    else
        bad "$m on $t, stream${*:+ $*}:"; echo "$out" | tail -15 | sed 's/^/     /'
    fi
}

validate kws_ref_model host
validate pretrainedResnet_quant host
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null; then
    validate kws_ref_model qemu
    validate pretrainedResnet_quant qemu
else
    echo "skip qemu: arm-none-eabi-gcc or qemu-system-arm missing"
fi
validate kws_ref_model host --internal-budget 16K --integrity crc32

# --stage-bytes: layers above the cap read in tiles of output channels.
CAP=4096 validate kws_ref_model host --stage-bytes 4K
CAP=4096 validate pretrainedResnet_quant host --stage-bytes 4K
CAP=4096 validate kws_ref_model host --stage-bytes 4K --kernels compact
CAP=16384 validate ad01_int8 host --stage-bytes 16K
# Depthwise (int8 3x3, 3x3c4, 3x3c4s2, any window; float packed) and float conv/FC
# layers tiled too: their input (depthwise) or residual gathered per tile,
# a float layer's biases read with its first tile.
CAP=4096 validate vww_96_int8 host --stage-bytes 4K
CAP=10240 validate vww_96_float host --stage-bytes 10K
CAP=20480 validate pretrainedResnet host --stage-bytes 20K
# The any-window int8 depthwise (str_ww's 3x1..15x1; its 15x1 layer is
# 6,400 bytes of weights) tiled by blocks of 4 channels.
CAP=2048 validate str_ww_ref_model host --stage-bytes 2K
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null; then
    CAP=4096 validate kws_ref_model qemu --stage-bytes 4K
    CAP=4096 validate pretrainedResnet_quant qemu --stage-bytes 4K
    CAP=4096 validate vww_96_int8 qemu --stage-bytes 4K
    CAP=10240 validate vww_96_float qemu --stage-bytes 10K
    CAP=20480 validate pretrainedResnet qemu --stage-bytes 20K
    CAP=2048 validate str_ww_ref_model qemu --stage-bytes 2K
fi
out=$("$KILN" generate $SH/models/mlperf_tiny/vww_96_float.tflite -o "$tmp/fsmall" --weights stream \
      --stage-bytes 4K 2>&1); rc=$?
[ $rc = 2 ] && grep -q "layer 14 (Conv.*4096 bytes of weights, after the layer's 512 bytes of biases.*give --stage-bytes 4608 or more" <<<"$out" \
    && [ ! -e "$tmp/fsmall" ] && ok "float conv below one tile and its biases refused: give --stage-bytes 4608" \
    || { bad "vww_96_float --stage-bytes 4K: exit $rc"; echo "$out" | tail -3; }
out=$("$KILN" generate $SH/models/mlperf_tiny/kws_ref_model.tflite -o "$tmp/small" --weights stream \
      --stage-bytes 200 2>&1); rc=$?
[ $rc = 2 ] && grep -q "layer 0 (Conv.*give --stage-bytes 208 or more" <<<"$out" && [ ! -e "$tmp/small" ] \
    && ok "--stage-bytes below one tile refused: $(sed 's/.*: its/its/' <<<"$out" | cut -c1-60)..." \
    || { bad "--stage-bytes 200: exit $rc"; echo "$out" | tail -3; }

# The application: failing reads, changed storage.
R=$SH/reference/tflm/kws_ref_model
"$KILN" generate $SH/models/mlperf_tiny/kws_ref_model.tflite -o "$tmp/kws" --name kws --weights stream -q \
    >"$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; bad "generate --weights stream"; }
if cc -std=c99 -O2 -Wall -Wextra -Werror -I include -I "$tmp/kws" -DNET=kws -o "$tmp/app" \
       tests/e2e/stream_app.c "$tmp/kws/kws.c" build/libkilnrt.a -lm 2>"$tmp/cc.log"; then
    if "$tmp/app" "$tmp/kws/kws_data.bin" $R/seed2.in $R/seed2.out >"$tmp/app.log" 2>&1; then
        ok "stream_app: $(grep -c '^ok' "$tmp/app.log") checks"; sed 's/^/     /' "$tmp/app.log"
    else
        bad "stream_app (exit $?):"; sed 's/^/     /' "$tmp/app.log"
    fi
else
    bad "stream_app did not build"; head -20 "$tmp/cc.log"
fi
# Double buffering: transfers that complete late (stream_async_app.c), KWS
# tiled and whole, VWW float (its biases kept for every tile).
for c in "kws_ref_model kws --stage-double --stage-bytes 4K" "kws_ref_model kws --stage-double" \
         "vww_96_float vww --stage-double --stage-bytes 10K"; do
    set -- $c; m=$1 n=$2; shift 2
    R=$SH/reference/tflm/$m
    rm -rf "$tmp/d"
    if "$KILN" generate $SH/models/mlperf_tiny/$m.tflite -o "$tmp/d" --name $n --weights stream -q "$@" \
           >"$tmp/gen.log" 2>&1 &&
       cc -std=c99 -O2 -Wall -Wextra -Werror -I include -I "$tmp/d" -DNET=$n -o "$tmp/dapp" \
           tests/e2e/stream_async_app.c "$tmp/d/$n.c" build/libkilnrt.a -lm 2>"$tmp/cc.log" &&
       "$tmp/dapp" "$tmp/d/${n}_data.bin" $R/seed2.in $R/seed2.out >"$tmp/dapp.log" 2>&1; then
        ok "stream_async_app $m $*: $(grep -c '^ok' "$tmp/dapp.log") checks"; sed 's/^/     /' "$tmp/dapp.log"
    else
        bad "stream_async_app $m $*:"; cat "$tmp/gen.log" "$tmp/cc.log" "$tmp/dapp.log" 2>/dev/null | tail -15 | sed 's/^/     /'
    fi
done
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null; then
    CAP=4096 validate kws_ref_model qemu --stage-bytes 4K --stage-double
fi

grep -q "kiln_read_fn\|kiln_stream_stage" "$tmp/kws/kws.c" && ! grep -q "(w + " "$tmp/kws/kws.c" \
    && ok "the generated code stages through the callback and never dereferences the blob" \
    || bad "kws.c still dereferences the blob"

# Refusals through the callback name the cause as memory-mapped init does.
blob=$tmp/kws/kws_data.bin
head -c "$(stat -c %s "$blob")" /dev/zero | tr '\0' '\377' > "$tmp/erased.bin"
cp "$blob" "$tmp/flip.bin"
printf '\125' | dd of="$tmp/flip.bin" bs=1 seek=30000 conv=notrunc status=none
# The blob is generate's default --cpu (cortex-m7); validate's host code is built for it too
# (--cpu host would lay the FC out differently and refuse it for its size, not its digest).
for c in "erased.bin:KILN_E_BLOB_ERASED" "flip.bin:KILN_E_BLOB_DIGEST"; do
    out=$("$KILN" validate $SH/models/mlperf_tiny/kws_ref_model.tflite --cpu cortex-m7 --weights stream \
          --blob "$tmp/${c%%:*}" 2>&1); rc=$?
    [ $rc = 2 ] && grep -q "${c#*:}" <<<"$out" && ok "stream init refuses ${c%%:*}: ${c#*:}" \
        || { bad "stream init on ${c%%:*}: exit $rc"; echo "$out" | tail -3; }
done

# --internal-budget in the report.
"$KILN" generate $SH/models/mlperf_tiny/kws_ref_model.tflite -o "$tmp/b" --name kws --weights stream \
    --internal-budget 16K -q >/dev/null 2>&1
python3 - "$tmp/b/kws_report.json" <<'PY' && ok "report: placement per constant, fewer bytes read with --internal-budget" || bad "report with --internal-budget"
import json, sys
x = json.load(open(sys.argv[1]))["external_flash"]
inl = [t for t in x["tensors"] if t["placement"] == "inline"]
assert inl and x["internal_budget"] == 16384 and x["inline_bytes"] <= 16384, x
assert x["bytes_read_per_inference"] + sum(t["bytes"] for t in inl) == x["bytes_read_per_inference_without_budget"], x
assert all(t["external_bytes_read"] == 0 for t in inl)
print("     bytes read %d with the budget, %d without" % (x["bytes_read_per_inference"], x["bytes_read_per_inference_without_budget"]))
PY
grep -q "where" "$tmp/b/kws_report.txt" && grep -q "inline" "$tmp/b/kws_report.txt" \
    && ok "NET_report.txt lists each constant's placement" || bad "NET_report.txt placement table"
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
