#!/usr/bin/env bash
# san: yes
# flash_update_gdb.sh - `kiln flash update --gdb` and `kiln flash slots
# --gdb`: the A/B update through a GDB server, with the power-cut guarantee
# of the device-image update.
#
#  1. Against tests/e2e/flash_fake_gdb_server.py (flash in its memory map,
#     vFlash packets, 16 KiB blocks): the server drops the connection in the
#     middle of each write packet of an update in turn (cut:N applies half
#     of the packet's bytes first); after every cut the runtime's choice,
#     read back through a fresh connection, is the old blob, byte for byte,
#     and the update run again completes.
#  2. Against QEMU's gdbstub (mps2-an500, RAM at 0x60000000 given the
#     board's NOR geometry): updates alternate slots; gdb-multiarch, an
#     independent reader, dumps each slot; kiln-side link cuts
#     (--inject-power-cut) leave the old blob picked.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
S="$ROOT/tests/e2e/flash_fake_gdb_server.py"
SPID="" QPID=""
# (an empty pid must not reach `wait`, which would wait for every child)
cleanup_hooks+=('if [ -n "$SPID" ]; then kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; fi')
cleanup_hooks+=('if [ -n "$QPID" ]; then kill $QPID 2>/dev/null; wait $QPID 2>/dev/null; fi')
RUNNER="timeout 60"
# serve MODE IMAGE: (re)starts the fake server on IMAGE; sets $PORT.
serve() {
    [ -n "$SPID" ] && { kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; }
    rm -f port
    /usr/bin/python3 "$S" port "$@" &
    SPID=$!
    for i in $(seq 100); do [ -s port ] && break; sleep 0.05; done
    PORT=$(cat port)
}
stop_server() { kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; SPID=""; }

# ---- 1. fake server: cuts inside the write packets of an update ----
# 128 KiB of flash at 0x08000000, 16 KiB blocks; blobs of 40128
# bytes take slots of 48 KiB: record areas 0x08000000/0x08004000, slot A
# 0x08008000, slot B 0x08014000 (the layout of docs/ab-update.md); c is
# 30128 bytes.
mkblob a.bin 40000 1
mkblob b.bin 40000 2
mkblob c.bin 30000 3
A=0x08000000 SA=0x08008000 SB=0x08014000
serve flash base.img
run_kiln 0 "commit:      record 1 -> slot A" "update a through vFlash" \
    flash update a.bin --gdb 127.0.0.1:$PORT --address $A --quiet
check "region sized for the blob: 128 KiB" grep -q "A/B region 0x08000000 + 128 KiB" "$T/out"
run_kiln 0 "commit:      record 2 -> slot B" "update b" \
    flash update b.bin --gdb 127.0.0.1:$PORT --address $A --quiet
run_kiln 0 "picks slot B \(record 2\)" "slots --gdb: b is live" flash slots --gdb 127.0.0.1:$PORT --address $A
run_kiln 0 "slot A 0x08008000, slot B 0x08014000 \(48 KiB each\)" "slots --gdb prints the layout" \
    flash slots --gdb 127.0.0.1:$PORT --address $A
stop_server

# c goes into slot A over a: erases, programs, then the record.  Cut at
# write packet N = 1, 5, 9, ... until an update runs to its end (N = K),
# then at K-3..K-1: the last write packet, the commit record, is among them.
# (Every packet would take minutes here; test_ab_powercut cuts at every
# operation of the simulator.)
cuts=0 held=0 K=0
# cut_at N: one cut update and what it left; sets $rc.
cut_at() {
    cp base.img n.img
    serve cut:$1 n.img
    ${RUNNER} "$KILN" flash update c.bin --gdb 127.0.0.1:$PORT --address $A --quiet >out.txt 2>&1
    rc=$?
    [ $rc -eq 0 ] && return
    cuts=$((cuts + 1))
    cp out.txt last_cut.txt
    grep -q "closed the connection" out.txt || { bad "cut $1: not a dropped link"; cat out.txt; }
    # The runtime's choice now: b in slot B (record 2), byte for byte.
    ${RUNNER} "$KILN" flash slots --gdb 127.0.0.1:$PORT --address $A >slots.txt 2>&1
    ${RUNNER} "$KILN" flash verify b.bin --gdb 127.0.0.1:$PORT --address $SB >verify.txt 2>&1
    if [ $? -eq 0 ] && grep -q "picks slot B (record 2)" slots.txt; then
        held=$((held + 1))
    else
        bad "after the cut at write packet $1 the old blob is not the one picked"
        sed 's/^/      | /' slots.txt verify.txt
    fi
    if [ $1 -eq 1 ]; then   # power back: the update runs again and completes
        run_kiln 0 "commit:      record 3 -> slot A" "after the cut at $1 the update completes" \
            flash update c.bin --gdb 127.0.0.1:$PORT --address $A --quiet
        run_kiln 0 "picks slot A \(record 3\)" "and c is picked" flash slots --gdb 127.0.0.1:$PORT --address $A
    fi
}
for n in $(seq 1 4 400); do
    cut_at $n
    if [ $rc -eq 0 ]; then K=$n; break; fi
done
for n in $((K - 3)) $((K - 2)) $((K - 1)); do
    [ $n -ge 1 ] && cut_at $n
done
stop_server
echo "fake server: $cuts cut points, $held left the old blob picked"
check "an uncut update completed (after $cuts cut points)" [ $K -gt 0 ]
check "at least 10 cut points" [ $cuts -ge 10 ]
check "every cut left b in slot B picked" [ $held -eq $cuts ]
# The last cut point was the commit record itself (the last write packet).
check "the last cut fell in the commit record" grep -q "writing the commit record" last_cut.txt

# ---- 2. QEMU's gdbstub: RAM given the board's NOR geometry ----
if ! command -v qemu-system-arm >/dev/null; then
    echo "SKIP: qemu-system-arm is not installed (QEMU half)"; finish; exit $?
fi
start_qemu
G="--gdb 127.0.0.1:$QEMU_PORT --board qemu-mps2-an500"
mkblob q1.bin 100000 4
mkblob q2.bin 100000 5
mkblob q3.bin 90000 6
# 100128 bytes -> slots of 25 x 4 KiB = 102400: slot A 0x60002000, slot B
# 0x6001b000, region 8192 + 2 x 102400 = 212992 bytes.
QA=0x60002000 QB=0x6001b000
run_kiln 2 "give --board B" "RAM through the stub needs the board's geometry" \
    flash update q1.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000
run_kiln 0 "commit:      record 1 -> slot A" "update q1 through QEMU's stub" flash update q1.bin $G --quiet
check "RAM given the NOR geometry" grep -q "RAM, given the board's NOR geometry" "$T/out"
check "the call names the blob-sized region" \
    grep -q "kiln_slots_select((const uint8_t \*)0x60000000, 212992, 4096" "$T/out"
run_kiln 0 "commit:      record 2 -> slot B" "update q2: slot B" flash update q2.bin $G --quiet
run_kiln 0 "nothing written" "q2 again: nothing written" flash update q2.bin $G --quiet
run_kiln 0 "slot A 0x60002000, slot B 0x6001b000.*" "slots --gdb on QEMU: layout" flash slots $G
check "slots --gdb on QEMU: q2 picked" grep -q "picks slot B (record 2)" "$T/out"
if command -v gdb-multiarch >/dev/null; then
    dump() {    # dump ADDR LEN OUT: read by gdb, not by kiln
        gdb-multiarch -nx -batch -ex "target remote 127.0.0.1:$QEMU_PORT" \
            -ex "dump binary memory $3 $1 $(($1 + $2))" -ex disconnect >gdb.log 2>&1
    }
    dump $QA "$(fsize q1.bin)" ga.bin
    check "gdb-multiarch: slot A holds q1" cmp -s ga.bin q1.bin
    dump $QB "$(fsize q2.bin)" gb.bin
    check "gdb-multiarch: slot B holds q2" cmp -s gb.bin q2.bin
else
    echo "note: gdb-multiarch not installed; independent read-back skipped"
fi
# Link cuts from kiln's side (a probe pulled out): q3 into slot A.
# Each cut starts from the same state: slot A rewritten with q1 (what a
# cut changed is inside q1's range), records untouched.
for cut in ops:0 ops:1 ops:7 ops:24 ops:300 bytes:5000 bytes:60000; do
    run_kiln 0 "verify: +OK" "slot A back to q1 before the cut at $cut" \
        flash write q1.bin --gdb 127.0.0.1:$QEMU_PORT --address $QA
    run_kiln 2 "simulated loss of the link" "q3 update, link cut at $cut" \
        flash update q3.bin $G --quiet --inject-power-cut $cut --seed 3
    run_kiln 0 "picks slot B \(record 2\)" "after the cut at $cut q2 is still picked" flash slots $G
    run_kiln 0 "verify: +OK" "and slot B still holds q2" \
        flash verify q2.bin --gdb 127.0.0.1:$QEMU_PORT --address $QB
done
run_kiln 0 "commit:      record 3 -> slot A" "q3 update runs to its end" flash update q3.bin $G --quiet
run_kiln 0 "picks slot A \(record 3\)" "q3 picked" flash slots $G
run_kiln 0 "verify: +OK" "slot A holds q3" flash verify q3.bin --gdb 127.0.0.1:$QEMU_PORT --address $QA
finish
