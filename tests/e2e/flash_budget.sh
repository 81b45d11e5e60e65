#!/usr/bin/env bash
# flash_budget.sh - `kiln flash write|verify|export|update --model M` compile M
# with the options the blob was generated with, --weights and
# --internal-budget included (docs/streaming.md): a blob generated with
# --internal-budget (its hot constants moved into NET.c, so a smaller blob
# with another signature) is accepted with the same options, in stream and
# memory-mapped mode, and refused, with nothing written, when --model is
# compiled without the budget or with the other weights mode.  --weights
# inline (no blob) and compile options without --model are refused.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=examples/models/kws/kws_ref_model.tflite
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export KILN_BOARDS_DIR=$PWD/boards
BOARD="--board stm32h747i-disco"
pass=0 fail=0
ok()  { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2" | head -10; }

# expect NAME WANT-EXIT PATTERN CMD...: CMD exits WANT-EXIT with output matching PATTERN.
expect() {
    local name=$1 want=$2 pat=$3; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then
        ok "$name: $(grep -m1 -E -- "$pat" <<<"$out" | sed 's/^ *//' | cut -c1-120)"
    else
        bad "$name: exit $rc (want $want), pattern '$pat'" "$out"
    fi
}

"$KILN" generate $M -o "$tmp/s" --name kws --weights stream --internal-budget 16K -q >/dev/null \
    && "$KILN" generate $M -o "$tmp/x" --name kws --weights external --internal-budget 8K -q >/dev/null \
    && "$KILN" generate $M -o "$tmp/p" --name kws --weights stream -q >/dev/null \
    || { echo "FAIL generate"; echo "summary: 0/1 passed"; exit 1; }
S=$tmp/s/kws_data.bin X=$tmp/x/kws_data.bin
[ "$(stat -c %s "$S")" -lt "$(stat -c %s "$tmp/p/kws_data.bin")" ] \
    && ok "the budget's blob is smaller than the plain one ($(stat -c %s "$S") < $(stat -c %s "$tmp/p/kws_data.bin") bytes)" \
    || bad "the budget's blob is not smaller"

SB="--weights stream --internal-budget 16K"
expect "stream + budget: flash write --model" 0 "verify: +OK" \
    "$KILN" flash write "$S" $BOARD --device "$tmp/dev.img" --model $M $SB --quiet
expect "stream + budget: flash verify --model" 0 "verify: +OK" \
    "$KILN" flash verify "$S" $BOARD --device "$tmp/dev.img" --model $M $SB
expect "stream + budget: flash export --model" 0 "Intel HEX" \
    "$KILN" flash export "$S" --address 0x90000000 -o "$tmp/s.hex" --model $M $SB
expect "stream + budget: flash update --model (--opt=value form)" 0 "commit:" \
    "$KILN" flash update "$S" $BOARD --device "$tmp/ab.img" --model $M --weights=stream --internal-budget=16K --quiet
expect "memory-mapped + budget: flash write --model" 0 "verify: +OK" \
    "$KILN" flash write "$X" $BOARD --device "$tmp/devx.img" --model $M --internal-budget 8K --quiet

expect "without the budget: flash write --model refuses" 2 "not the blob .*KILN_E_BLOB_SIGNATURE" \
    "$KILN" flash write "$S" $BOARD --device "$tmp/no.img" --model $M --weights stream --quiet
[ -e "$tmp/no.img" ] && bad "flash write --model left a device image"
expect "another budget: flash export --model refuses" 2 "not the blob .*KILN_E_BLOB_SIGNATURE" \
    "$KILN" flash export "$S" --address 0x90000000 -o "$tmp/no.hex" --model $M --weights stream --internal-budget 8K
[ -e "$tmp/no.hex" ] && bad "flash export --model left $tmp/no.hex"
expect "the other weights mode: flash update --model refuses" 2 "not the blob .*KILN_E_BLOB_SIGNATURE" \
    "$KILN" flash update "$S" $BOARD --device "$tmp/ab2.img" --model $M --internal-budget 16K --quiet
expect "--weights inline refused" 2 "no blob to flash" \
    "$KILN" flash write "$S" $BOARD --device "$tmp/no.img" --model $M --weights inline
expect "a bad --internal-budget refused" 2 "--internal-budget wants a byte count" \
    "$KILN" flash write "$S" $BOARD --device "$tmp/no.img" --model $M --internal-budget 16X
expect "--internal-budget without --model refused" 2 "give --model too" \
    "$KILN" flash write "$S" $BOARD --device "$tmp/no.img" --internal-budget 16K
[ -e "$tmp/no.img" ] && bad "a refused flash write left a device image"
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
