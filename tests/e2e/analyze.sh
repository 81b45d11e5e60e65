#!/usr/bin/env bash
# san: yes
# analyze.sh - `kiln analyze` reports what the issue asks, with numbers that
# agree with counts worked out by hand.
#
# small_cnn MACs (conv/depthwise/FC), by hand:
#   conv 3->16 k3 at 32x32:      16*32*32*3*9  = 442,368
#   depthwise 16 k3 s2 at 16x16: 16*16*16*9    =  36,864
#   pointwise 16->32 at 16x16:   32*16*16*16   = 131,072
#   depthwise 32 k3 at 8x8:      32*8*8*9      =  18,432
#   pointwise 32->48 at 8x8:     48*8*8*32     =  98,304
#   linear 48->10:               48*10         =     480
#   total                                        727,520
# Weights after BatchNorm folding (float32): conv 16*27+16, dw 16*9+16, pw 32*16+32,
#   dw 32*9+32, pw 48*32+48, fc 480+10 = 448+160+544+320+1584+490 = 3,546 floats
#   (the params column); as stored for the packed kernels (docs/kernels.md), in
#   panels of 8 output channels: every layer fills its panels except the fc,
#   whose 10 outputs take two panels, (48+1)*16 = 784 floats: 3,840 floats
#   = 15,360 bytes.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

"$KILN" analyze tests/models/small_cnn.onnx --json "$tmp/r.json" > "$tmp/r.txt" 2>&1 || { cat "$tmp/r.txt"; exit 1; }
cat "$tmp/r.txt"
for key in macc weights_bytes arena_bytes arena_lower_bound_bytes layers; do
    grep -q "\"$key\"" "$tmp/r.json" && ok "json has $key" || bad "json lacks $key"
done
num() { grep -m1 "\"$1\"" "$tmp/r.json" | sed 's/[^0-9]//g'; }
[ "$(num macc)" = 727520 ] && ok "macc 727520" || bad "macc $(num macc), want 727520"
[ "$(num weights_bytes)" = 15360 ] && ok "weights_bytes 15360" || bad "weights_bytes $(num weights_bytes), want 15360"
lb=$(num arena_lower_bound_bytes); ar=$(num arena_bytes)
# Largest live set by hand: the depthwise conv reads 16*32*32*4 = 65,536 B and
# writes 16*16*16*4 = 16,384 B (conv1 only 12,288 + 65,536).
[ "$lb" = 81920 ] && ok "lower bound 81920" || bad "lower bound $lb, want 81920"
[ "$ar" -ge "$lb" ] && [ "$ar" -le $((lb + 16)) ] && ok "arena $ar within alignment of the bound" || bad "arena $ar vs bound $lb"
grep -q "total MACC *727,520" "$tmp/r.txt" && ok "text report total" || bad "text report total"
# Bad input: a clear message and exit 2, never a crash.
printf 'not a model' > "$tmp/bad.onnx"
"$KILN" analyze "$tmp/bad.onnx" > "$tmp/o" 2>&1; rc=$?
[ $rc = 2 ] && [ -s "$tmp/o" ] && ok "malformed model: exit 2, $(head -c 100 "$tmp/o")" || bad "malformed model: exit $rc"
"$KILN" analyze "$tmp/missing.onnx" > "$tmp/o" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "cannot open" "$tmp/o" && ok "missing file named" || bad "missing file: exit $rc"
"$KILN" generate tests/models/small_cnn.onnx --weights sideways -o "$tmp/x" > "$tmp/o" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "inline" "$tmp/o" && ok "bad --weights value named" || bad "bad --weights: exit $rc"
"$KILN" generate tests/models/small_cnn.onnx --address 0x90000003 -o "$tmp/x" > "$tmp/o" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "aligned" "$tmp/o" && ok "misaligned --address named" || bad "misaligned address: exit $rc"
[ ! -e "$tmp/x" ] && ok "no output left after a refused command" || bad "output directory created by a refused command"
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
