#!/usr/bin/env bash
# san: yes
# board_serial.sh - validation on a board, with QEMU standing in for the board:
# `kiln firmware --board qemu-mps2-an500` builds the ELF/bin/hex; QEMU runs it
# halted under its gdbstub with the UART on a pty (as a board under a probe
# with a USB UART); `kiln validate --target serial --gdb` programs the KWS
# blob through the GDB client, verifies it, starts the target and gets
# TFLite-Micro's outputs bit-exactly over the pty (three reference inputs).
# The guard holds on that path: an empty --blob programs nothing and is
# refused naming KILN_E_BLOB_ZERO; another model's blob is refused with both
# signatures; a firmware built with other compile options is caught by
# HELLO's signature.  Serial errors: a missing port, a non-terminal, a board
# that never sends HELLO (a timeout, exit 2).  --json names the counter.
# Then the STM32H747I-DISCO firmware builds warning-free: entry and vector
# table in internal flash (0x08000000), nothing linked in the QSPI window
# 0x90000000, no undefined symbols, no heap.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "SKIP: qemu-system-arm or arm-none-eabi-gcc not installed"; echo "summary: 0 passed, 0 failed (skipped)"; exit 0
fi
M=../shared/models/mlperf_tiny/kws_ref_model.tflite
R=../shared/reference/tflm/kws_ref_model
[ -f "$M" ] || M=examples/models/kws/kws_ref_model.tflite
tmp=$(mktemp -d)
QPID=""
cleanup() { [ -n "$QPID" ] && kill "$QPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# board ELF: QEMU halted (-S), gdbstub on a free port, UART0 on a new pty;
# sets PORT and PTS.
board() {
    local elf=$1
    for try in 1 2 3; do
        PORT=$(free_port)
        qemu-system-arm -M mps2-an500 -nographic -monitor none -serial pty -icount shift=0 \
            -semihosting-config enable=on,target=native -S -gdb tcp:127.0.0.1:$PORT -kernel "$elf" \
            > "$tmp/qemu.log" 2>&1 &
        QPID=$!
        for i in $(seq 50); do
            PTS=$(grep -o '/dev/pts/[0-9]*' "$tmp/qemu.log" | head -1)
            if [ -n "$PTS" ] && (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then return 0; fi
            kill -0 $QPID 2>/dev/null || break
            sleep 0.1
        done
        kill $QPID 2>/dev/null; wait $QPID 2>/dev/null; QPID=""
    done
    echo "cannot start QEMU:"; cat "$tmp/qemu.log"; exit 1
}
board_done() { kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; QPID=""; }
# serial NAME WANT_RC PATTERN ELF [validate args...]: one validation on a fresh board.
serial() {
    local name=$1 want=$2 pat=$3 elf=$4; shift 4
    board "$elf"
    "$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port "$PTS" --gdb 127.0.0.1:$PORT "$@" \
        > "$tmp/out" 2>&1
    local rc=$?
    board_done
    if [ "$rc" = "$want" ] && grep -qE "$pat" "$tmp/out"; then
        ok "$name: $(grep -m1 -E "$pat" "$tmp/out" | cut -c1-170)"
    else
        bad "$name: exit $rc (want $want), no /$pat/ in:"; sed 's/^/     /' "$tmp/out" | head -20
    fi
}

# 0. the command is there and documents itself; bad arguments are refused.
"$KILN" firmware --help > "$tmp/h1" 2>&1 && "$KILN" help firmware > "$tmp/h2" 2>&1 && grep -q "^usage: kiln firmware" "$tmp/h1" &&
    cmp -s "$tmp/h1" "$tmp/h2" && ok "kiln firmware --help = kiln help firmware" || bad "kiln firmware --help"
out=$("$KILN" firmware "$M" --board stm32f746g-disco -o "$tmp/nope" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "no validation firmware port for board 'stm32f746g-disco'" <<<"$out" && [ ! -e "$tmp/nope" ] &&
    ok "a board without a port is refused, nothing written" || { bad "board without a port: exit $rc"; echo "$out"; }

# 1. the firmware for the emulated board.
if "$KILN" firmware "$M" --board qemu-mps2-an500 -o "$tmp/fw" > "$tmp/fw.log" 2>&1; then
    ok "kiln firmware --board qemu-mps2-an500: $(ls "$tmp/fw" | grep -v build | tr '\n' ' ')"
else
    bad "kiln firmware --board qemu-mps2-an500"; cat "$tmp/fw.log"; echo "summary: $pass passed, $fail failed"; exit 1
fi
ELF=$tmp/fw/kws_ref_model-qemu-mps2-an500.elf
grep -q -- "--target serial --board qemu-mps2-an500 --port /dev/pts/N --gdb" "$tmp/fw.log" &&
    grep -q "qemu-system-arm -M mps2-an500" "$tmp/fw.log" && ok "flash and validate steps printed" ||
    { bad "flash steps missing"; cat "$tmp/fw.log"; }
# The .bin and .hex hold what the ELF loads (checked by objcopy itself, from the hex).
arm-none-eabi-objcopy -I ihex -O binary "$tmp/fw/kws_ref_model-qemu-mps2-an500.hex" "$tmp/fromhex.bin" &&
    cmp -s "$tmp/fromhex.bin" "$tmp/fw/kws_ref_model-qemu-mps2-an500.bin" && ok "hex and bin hold the same image" ||
    bad "hex and bin differ"

# counter_named JSON: validate's --json says what its count counts.
counter_named() {
    python3 - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
p = j["per_inference"]
assert p["counter"] == "qemu_instructions" and p["unit"] == "instructions", p
assert 0 < p["min"] <= p["mean"] <= p["max"], p
assert j["instructions_per_inference"] == p["mean"] and "cycles_per_inference" not in j, j
PY
}

# 2. validate over the pty, blob programmed through the gdbstub; TFLM outputs bit-exact.
for s in 1 2 3; do
    serial "TFLM seed $s over the serial port" 0 "^result: PASS .*max-lsb 0" "$ELF" \
        --input $R/seed$s.in --expected $R/seed$s.out --json "$tmp/v$s.json"
    # The count is named for its counter, in the text and in the JSON.
    grep -qE "^instructions per inference: [1-9][0-9]* \(counter: qemu_instructions" "$tmp/out" &&
        counter_named "$tmp/v$s.json" &&
        ok "seed $s: --json names the counter (qemu_instructions), min <= mean <= max" ||
        { bad "seed $s: counter not named"; cat "$tmp/out" "$tmp/v$s.json"; }
    grep -q "programmed [0-9]* bytes at 0x60000000 through the GDB server .*read back: OK" "$tmp/out" &&
        grep -q "HELLO from 'kws_ref_model' on /dev/pts/[0-9]*: model signature 0x[0-9a-f]\{16\}, blob in external flash: KILN_OK" "$tmp/out" &&
        grep -q "instructions per inference (QEMU -icount; not cycles)" "$tmp/out" &&
        ok "seed $s: blob programmed and read back, HELLO with status and signature, counts named as instructions" ||
        { bad "seed $s: programming/HELLO/count lines missing"; cat "$tmp/out"; }
done

# Without --gdb the board is taken as programmed (here QEMU's loader placed the blob) and kiln
# waits for HELLO; gdb-multiarch stands in for the reset button by detaching (the core runs).
if command -v gdb-multiarch >/dev/null; then
    board_args=(-device loader,file=$tmp/fw/kws_ref_model_data.bin,addr=0x60000000,force-raw=on)
    PORT=$(free_port)
    qemu-system-arm -M mps2-an500 -nographic -monitor none -serial pty -icount shift=0 \
        -semihosting-config enable=on,target=native -S -gdb tcp:127.0.0.1:$PORT -kernel "$ELF" \
        "${board_args[@]}" > "$tmp/qemu.log" 2>&1 &
    QPID=$!
    for i in $(seq 50); do PTS=$(grep -o '/dev/pts/[0-9]*' "$tmp/qemu.log" | head -1); [ -n "$PTS" ] && break; sleep 0.1; done
    "$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port "$PTS" \
        --input $R/seed2.in --expected $R/seed2.out > "$tmp/out" 2>&1 &
    VPID=$!
    for i in $(seq 100); do grep -q "reset the board now" "$tmp/out" && break; sleep 0.1; done
    gdb-multiarch -nx -batch -ex "target remote 127.0.0.1:$PORT" -ex detach > "$tmp/gdb.log" 2>&1
    wait $VPID; rc=$?
    board_done
    [ $rc = 0 ] && grep -q "^result: PASS" "$tmp/out" && grep -q "reset the board now" "$tmp/out" &&
        ! grep -q "programmed" "$tmp/out" && ok "no --gdb: waits for the board's HELLO, programs nothing, PASS" ||
        { bad "no --gdb: exit $rc"; cat "$tmp/out" "$tmp/gdb.log"; }
else
    echo "note: gdb-multiarch not installed; the no---gdb case is skipped"
fi

# 3. the guard on the same path.
: > "$tmp/empty.bin"
serial "empty --blob: nothing programmed, refused" 2 "refused .*KILN_E_BLOB_ZERO: .*0x60000000" "$ELF" \
    --input $R/seed1.in --expected $R/seed1.out --blob "$tmp/empty.bin"
grep -q "the blob file is empty: nothing programmed" "$tmp/out" && ok "empty blob: says nothing was programmed" ||
    bad "empty blob: no 'nothing programmed' line"
"$KILN" generate tests/models/small_cnn.onnx --board qemu-mps2-an500 -o "$tmp/other" -q > /dev/null ||
    { bad "generate the other model"; }
serial "another model's blob" 2 "KILN_E_BLOB_SIGNATURE: .*blob signature 0x[0-9a-f]{16}, model signature 0x[0-9a-f]{16}" \
    "$ELF" --input $R/seed1.in --expected $R/seed1.out --blob "$tmp/other/small_cnn_data.bin"
# The firmware's own blob (so init accepts it), validated as if built with --kernels plain.
serial "firmware built with other options (--kernels plain)" 2 "the board runs 'kws_ref_model' \(signature 0x[0-9a-f]{16}.*not the compiled" \
    "$ELF" --input $R/seed1.in --expected $R/seed1.out --kernels plain --blob "$tmp/fw/kws_ref_model_data.bin"
out=$("$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port "$tmp/no-such-tty" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "serial port .*no-such-tty does not exist" <<<"$out" && ok "missing port: named" ||
    { bad "missing port: exit $rc"; echo "$out"; }
out=$("$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port /dev/null 2>&1); rc=$?
[ $rc = 2 ] && grep -q "/dev/null is not a serial port" <<<"$out" && ok "not a terminal: named" ||
    { bad "not a terminal: exit $rc"; echo "$out"; }
# A board that never says HELLO: a clear timeout, exit 2, not a hang (`timeout 60` turns a
# hang into a failure).  First a pty with nothing behind it, then the firmware halted under
# QEMU's gdbstub with no --gdb to start it (a board never reset).
python3 -c 'import os, pty, sys, time
m, s = pty.openpty(); print(os.ttyname(s), flush=True); time.sleep(120)' > "$tmp/pty" &
PTYPID=$!
for i in $(seq 50); do [ -s "$tmp/pty" ] && break; sleep 0.1; done
out=$(timeout 60 "$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port "$(cat "$tmp/pty")" \
      --hello-timeout 2 --input $R/seed1.in --expected $R/seed1.out 2>&1); rc=$?
kill $PTYPID 2>/dev/null; wait $PTYPID 2>/dev/null
[ $rc = 2 ] && grep -q "timed out while waiting for the firmware's HELLO (2 s) on /dev/pts/" <<<"$out" &&
    ! grep -q "^result:" <<<"$out" && ok "silent pty: $(grep -m1 'timed out' <<<"$out" | cut -c1-120)" ||
    { bad "silent pty: exit $rc"; echo "$out"; }
board "$ELF"
out=$(timeout 60 "$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port "$PTS" \
      --hello-timeout 3 --input $R/seed1.in --expected $R/seed1.out 2>&1); rc=$?
board_done
[ $rc = 2 ] && grep -q "timed out while waiting for the firmware's HELLO (3 s)" <<<"$out" &&
    ok "firmware that never starts: timeout named, exit 2" || { bad "halted firmware: exit $rc"; echo "$out"; }
out=$("$KILN" validate "$M" --target serial --board qemu-mps2-an500 --port /dev/null --hello-timeout 0 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- "--hello-timeout '0'" <<<"$out" && ok "--hello-timeout 0 refused" ||
    { bad "--hello-timeout 0: exit $rc"; echo "$out"; }
out=$("$KILN" validate "$M" --target qemu --port /dev/ttyACM0 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- "--port is for --target serial" <<<"$out" && ok "--port without --target serial refused" ||
    { bad "--port with --target qemu: exit $rc"; echo "$out"; }

# 4. the STM32H747I-DISCO firmware (not run: no board here) links where the board needs it.
if "$KILN" firmware "$M" --board stm32h747i-disco -o "$tmp/h7" > "$tmp/h7.log" 2>&1; then
    ok "kiln firmware --board stm32h747i-disco builds (-Wall -Wextra -Werror)"
    H7=$tmp/h7/kws_ref_model-stm32h747i-disco.elf
    entry=$(arm-none-eabi-readelf -h "$H7" | awk '/Entry point/{print $4}')
    (( entry >= 0x08000000 && entry < 0x08100000 )) && ok "entry point $entry in internal flash bank 1" ||
        bad "entry point $entry"
    vec=$(arm-none-eabi-nm "$H7" | awk '$3=="vectors"{print $1}')
    [ "$vec" = 08000000 ] && ok "vector table at 0x$vec" || bad "vector table at '$vec', want 08000000"
    # No loadable segment, by virtual or load address, and no section in 0x90000000-0x9fffffff.
    q=$(arm-none-eabi-readelf -lW "$H7" | awk '$1=="LOAD" && ($3 ~ /^0x9/ || $4 ~ /^0x9/)')
    s=$(arm-none-eabi-readelf -SW "$H7" | awk '{for(i=1;i<=NF;i++) if ($i ~ /^[0-9a-f]{8}$/ && $i ~ /^9/) {print; break}}')
    [ -z "$q$s" ] && ok "nothing linked in the QSPI window 0x90000000" || bad "QSPI window used: $q $s"
    u=$(arm-none-eabi-nm -u "$H7")
    [ -z "$u" ] && ok "no undefined symbols" || bad "undefined symbols: $u"
    heap=$(arm-none-eabi-nm "$H7" | grep -E ' (malloc|_malloc_r|calloc|realloc|free|_free_r|_sbrk)$' || true)
    [ -z "$heap" ] && ok "no heap function linked" || bad "heap symbols linked: $heap"
    grep -q "not yet run on a STM32H747I-DISCO" "$tmp/h7.log" && ok "says it has not run on hardware" ||
        bad "no not-yet-run note"
else
    bad "kiln firmware --board stm32h747i-disco"; sed 's/^/     /' "$tmp/h7.log" | head -30
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
