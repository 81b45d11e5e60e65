#!/usr/bin/env bash
# slow: yes
# qemu_protocol.sh - the QEMU target and its validation protocol, on a
# hand-written stand-in network (tests/data/qemu_fake_net: y = x*w + b + k0,
# s = {k0+k1+k2, 10000*k2}, w and b from its weights blob), driven through
# compiler/target/qemu.c by tests/data/qemu_fake_net/drive.c.
#
# Outputs must equal values worked out here from the formula (all exactly
# representable in float32), with external and inline weights; the tick
# counter must see the firmware's 2-instruction busy loop as exactly 40
# instructions per tick, repeatably, across SysTick wraps; every bad blob is refused with its cause; a fault,
# a hang, garbled frames, a missing emulator and a broken build are reported
# as errors, and QEMU never outlives a run.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
BUILD=$(dirname "$KILN")
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "SKIP: qemu-system-arm or arm-none-eabi-gcc not installed"; echo "summary: 0 passed, 0 failed (skipped)"; exit 0
fi
PY=/usr/bin/python3
F=tests/data/qemu_fake_net
SIG=0x6b696c6e66616b65
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2" | head -20; }

CFLAGS="-std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Iinclude -Icompiler -I."
[ -n "${KILN_SAN:-}" ] && CFLAGS="$CFLAGS -fsanitize=address,undefined -fno-sanitize-recover=all"
for p in make_blob drive; do
    cc $CFLAGS -o "$tmp/$p" $F/$p.c "$BUILD/libkilnc.a" "$BUILD/libkilnrt.a" -lcjson -lm \
        || { echo "FAIL cannot build $p"; exit 1; }
done

# Work directories: external weights, inline weights.
mkdir -p "$tmp/ext" "$tmp/inl" "$tmp/other"
cp $F/fake.c $F/fake.h "$tmp/ext/"
cp $F/fake.c "$tmp/inl/"
sed 's/^#define fake_WEIGHTS_INLINE 0$/#define fake_WEIGHTS_INLINE 1/' $F/fake.h > "$tmp/inl/fake.h"
"$tmp/make_blob" "$tmp/ext" $SIG && "$tmp/make_blob" "$tmp/inl" $SIG --c && "$tmp/make_blob" "$tmp/other" 0x1111222233334444 \
    || { echo "FAIL make_blob"; exit 1; }
blob=$tmp/ext/fake_data.bin
size=$(stat -c %s "$blob")

# in.bin: samples of x f32[16] (multiples of 1/8 in [-4, 4)) and k s8[3];
# want.bin: y = x*w + b + k0 with w[i] = (i+1)/2, b[i] = i - 8; s = {k0+k1+k2, 10000*(k2 & 255)}.
gen() { # out-prefix k1 k2-list...
    $PY - "$@" <<'PY'
import struct, sys
prefix, k1, k2s = sys.argv[1], int(sys.argv[2]), [int(v) for v in sys.argv[3:]]
ins, outs = b"", b""
state = 12345
for n, k2 in enumerate(k2s):
    x = []
    for i in range(16):
        state = (state * 1103515245 + 12345) % 2**31
        x.append(((state >> 16) % 64 - 32) / 8.0)
    k0 = n * 7 - 9
    ins += struct.pack("<16f3b", *x, k0, k1, k2)
    y = [x[i] * ((i + 1) / 2.0) + (i - 8) + k0 for i in range(16)]
    outs += struct.pack("<16f2i", *y, k0 + k1 + k2, 10000 * (k2 & 255))
open(prefix + "in.bin", "wb").write(ins)
open(prefix + "want.bin", "wb").write(outs)
PY
}
gen "$tmp/" 0 0 1 2 3           # 4 samples: caller buffers (even) and arena slots (odd)
gen "$tmp/loop0_" 0 0
gen "$tmp/loop100_" 0 100
gen "$tmp/fault_" 1 0
gen "$tmp/hang_" 2 0
gen "$tmp/long_" 3 0

drive() { "$tmp/drive" run "$@" 2>&1; }

# 1-3. Outputs equal the hand-derived values.
out=$(drive "$tmp/ext" --blob "$blob" --samples 4 "$tmp/in.bin" "$tmp/out.bin")
if [ $? = 0 ] && cmp -s "$tmp/out.bin" "$tmp/want.bin"; then ok "external weights at 0x60000000: 4 samples exact ($out)"
else bad "external weights" "$out"; fi
out=$(drive "$tmp/inl" --inline --samples 4 "$tmp/in.bin" "$tmp/out_inl.bin")
if [ $? = 0 ] && cmp -s "$tmp/out_inl.bin" "$tmp/want.bin"; then ok "inline weights: 4 samples exact ($out)"
else bad "inline weights" "$out"; fi
out=$(drive "$tmp/inl" --inline --blob "$blob" --samples 4 "$tmp/in.bin" "$tmp/out_ib.bin")
if [ $? = 0 ] && cmp -s "$tmp/out_ib.bin" "$tmp/want.bin"; then ok "inline build told to use the external blob: exact"
else bad "inline build with --blob" "$out"; fi

# 4. Ticks: the busy loop is 1,000,000 iterations of 2 instructions; at 40
#    instructions per tick the difference must be 2,000,000 instructions, to
#    the tick.  The same run gives the same count, and a 700,000,000-instruction
#    run (past SysTick's 2^24-tick wrap) is counted in full.
cyc() { drive "$tmp/ext" --blob "$blob" "$1" "$tmp/o.bin" | sed -n 's/^ok insns //p'; }
a=$(cyc "$tmp/loop0_in.bin"); b=$(cyc "$tmp/loop100_in.bin"); b2=$(cyc "$tmp/loop100_in.bin"); l=$(cyc "$tmp/long_in.bin")
if [ -n "$a" ] && [ -n "$b" ] && [ $((b - a)) = 2000000 ]; then
    ok "tick counter: a 2,000,000-instruction loop measures $((b - a)) instructions ($a -> $b)"
else bad "tick counter: loop measured as $a -> $b"; fi
if [ -n "$b" ] && [ "$b" = "$b2" ]; then ok "tick counts repeat exactly under -icount shift=0 ($b = $b2)"
else bad "tick counts differ between identical runs: $b vs $b2"; fi
if [ -n "$l" ] && [ $((l - a)) = 700000000 ]; then ok "SysTick wraps counted: 700,000,000-instruction loop measures $((l - a))"
else bad "long run measured as $a -> $l"; fi

# 5. The guard on target.
refused() { # name pattern args...
    local name=$1 pat=$2; shift 2
    local out rc
    out=$(drive "$tmp/ext" "$@" "$tmp/loop0_in.bin" "$tmp/o.bin"); rc=$?
    if [ $rc = 3 ] && grep -qE "$pat" <<<"$out"; then ok "$name: $(cut -c1-140 <<<"$out")"
    else bad "$name (exit $rc)" "$out"; fi
}
head -c "$size" /dev/zero | tr '\0' '\377' > "$tmp/erased.bin"
head -c "$size" /dev/zero > "$tmp/zero.bin"
: > "$tmp/empty.bin"
cp "$blob" "$tmp/flip.bin"
printf '\x01' | dd of="$tmp/flip.bin" bs=1 seek=$((size - 20)) conv=notrunc status=none
refused "erased flash (0xFF)"         "KILN_E_BLOB_ERASED: .*erased"        --blob "$tmp/erased.bin"
refused "all zeros"                   "KILN_E_BLOB_ZERO: .*all zeros"       --blob "$tmp/zero.bin"
refused "nothing loaded (PSRAM zero)" "KILN_E_BLOB_ZERO"                    --blob "$tmp/empty.bin"
refused "another model's blob"        "KILN_E_BLOB_SIGNATURE: .*blob signature 0x1111222233334444, model signature $SIG" \
                                      --blob "$tmp/other/fake_data.bin"
refused "payload bit flipped"         "KILN_E_BLOB_PAYLOAD_CRC: .*stored CRC 0x[0-9a-f]+, computed" --blob "$tmp/flip.bin"
out=$(drive "$tmp/inl" --inline --blob "$tmp/other/fake_data.bin" "$tmp/loop0_in.bin" "$tmp/o.bin")
if [ $? = 3 ] && grep -q KILN_E_BLOB_SIGNATURE <<<"$out"; then ok "inline build with --blob checks that blob, not its own"
else bad "inline build with another model's --blob" "$out"; fi

# 6-7. A fault and a hang are errors; QEMU is gone afterwards.
out=$(drive "$tmp/ext" --blob "$blob" "$tmp/fault_in.bin" "$tmp/o.bin"); rc=$?
if [ $rc = 2 ] && grep -q "HardFault" <<<"$out" && grep -q "undefined instruction" <<<"$out" && grep -q "fake_invoke" <<<"$out"; then
    ok "HardFault reported with cause and place: $(cut -c1-150 <<<"$out")"
else bad "HardFault (exit $rc)" "$out"; fi
t0=$SECONDS
out=$(drive "$tmp/ext" --blob "$blob" --timeout 3 "$tmp/hang_in.bin" "$tmp/o.bin"); rc=$?
if [ $rc = 2 ] && grep -q "timed out after 3 s" <<<"$out" && ! pgrep -f "$tmp/ext/fw.elf" >/dev/null; then
    ok "hung firmware: timed out, QEMU killed ($((SECONDS - t0)) s)"
else bad "hung firmware (exit $rc)" "$out"; fi

# 8. Garbled serial data is refused, never computed on; the target resynchronises.
out=$("$tmp/drive" raw "$tmp/ext" "$blob" "$tmp/raw_out.bin" 2>&1)
head -c 72 "$tmp/want.bin" > /dev/null
$PY - "$tmp/raw_want.bin" <<'PY'
import struct, sys
x = [i / 8.0 - 1 for i in range(16)]
y = [x[i] * ((i + 1) / 2.0) + (i - 8) + 3 for i in range(16)]
open(sys.argv[1], "wb").write(struct.pack("<16f2i", *y, 3, 0))
PY
expect() { if grep -qE "$2" <<<"$out"; then ok "$1: $(grep -m1 -E "$2" <<<"$out" | cut -c1-120)"; else bad "$1" "$out"; fi; }
expect "flipped payload bit refused"   '^flipped-bit: ERROR seq 1 code 1 '
expect "wrong length refused"          '^wrong-length: ERROR seq 2 code 2 a 68 b 67 '
expect "unknown frame type refused"    '^unknown-type: ERROR seq 3 code 3 a 7 '
expect "QUIT answered, exit status 0"  '^exit: exit status 0$'
if grep -q '^good-after-noise: OUTPUT seq 4' <<<"$out" && cmp -s "$tmp/raw_out.bin" "$tmp/raw_want.bin"; then
    ok "good frame after line noise computed exactly"
else bad "good frame after line noise" "$out"; fi

# ... and in the other direction: a stand-in emulator garbles the OUTPUT frame.
for g in crc length seq; do
    out=$(GARBLE=$g KILN_QEMU=$PWD/$F/garbling_qemu.py drive "$tmp/ext" --blob "$blob" "$tmp/loop0_in.bin" "$tmp/o.bin"); rc=$?
    case $g in
        crc) pat="failed its CRC .*garbled; its contents were not used" ;;
        length) pat="claims 1073741824 payload bytes .*garbled" ;;
        seq) pat="answered sample 0 with OUTPUT seq 1 .*expected OUTPUT seq 0" ;;
    esac
    if [ $rc = 2 ] && grep -qE "$pat" <<<"$out" && ! pgrep -f garbling_qemu.py >/dev/null; then
        ok "garbled OUTPUT ($g) is an error, stand-in killed: $(cut -c1-110 <<<"$out")"
    else bad "garbled OUTPUT ($g) (exit $rc)" "$out"; fi
done

# 9. No heap in the firmware.
heap=$(arm-none-eabi-nm "$tmp/ext/fw.elf" | grep -E ' (malloc|_malloc_r|calloc|realloc|free|_free_r|_sbrk|_sbrk_r)$')
if [ -z "$heap" ]; then ok "firmware links no heap function"; else bad "heap in firmware" "$heap"; fi

# 10-12. A missing emulator, a broken build and a model too big for the board are clear errors.
out=$(KILN_QEMU=/nonexistent/qemu-system-arm drive "$tmp/ext" --blob "$blob" "$tmp/loop0_in.bin" "$tmp/o.bin"); rc=$?
if [ $rc = 2 ] && grep -q "/nonexistent/qemu-system-arm, which is not on PATH" <<<"$out"; then ok "missing QEMU: $(cut -c1-100 <<<"$out")"
else bad "missing QEMU (exit $rc)" "$out"; fi
mkdir -p "$tmp/broken" && cp "$tmp/ext/"fake* "$tmp/broken/" && echo "int broken(void) { return }" >> "$tmp/broken/fake.c"
out=$(drive "$tmp/broken" --blob "$blob" "$tmp/loop0_in.bin" "$tmp/o.bin"); rc=$?
if [ $rc = 2 ] && grep -q "did not build" <<<"$out" && grep -q "fake.c:.*error" <<<"$out"; then ok "broken build reported with the compiler's message"
else bad "broken build (exit $rc)" "$out"; fi

mkdir -p "$tmp/big" && cp "$tmp/ext/"fake* "$tmp/big/"
sed -i 's/^#define fake_ARENA_BYTES 160u$/#define fake_ARENA_BYTES 5000000u/' "$tmp/big/fake.h"
out=$(drive "$tmp/big" --blob "$blob" "$tmp/loop0_in.bin" "$tmp/o.bin"); rc=$?
if [ $rc = 2 ] && grep -q "did not link" <<<"$out" && grep -q "region .SRAM. overflowed" <<<"$out"; then
    ok "a 5 MB arena does not fit the 4 MiB SRAM: link error says so"
else bad "oversized arena (exit $rc)" "$out"; fi

echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
