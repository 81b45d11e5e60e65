#!/usr/bin/env bash
# san: yes
# flash_gdb_qemu.sh - `kiln flash write --gdb` against QEMU's gdbstub on the
# emulated mps2-an500: a blob written through the stub at 0x60000000 reads
# back identical (through kiln, and through gdb-multiarch when installed as an
# independent reader); the same blob through --device then verify against a
# corrupted image fails; errors for a server that is not there.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
if ! command -v qemu-system-arm >/dev/null; then
    echo "SKIP: qemu-system-arm is not installed"; exit 0
fi
QPID=""
cleanup_hooks+=('[ -n "$QPID" ] && kill $QPID 2>/dev/null; wait $QPID 2>/dev/null')
start_qemu
echo "QEMU pid $QPID, gdbstub on 127.0.0.1:$QEMU_PORT"

mkblob w.bin 300000 4
W=$(fsize w.bin)
run_kiln 0 "verify: +OK: $W bytes at 0x60000000 match" "write through QEMU's gdbstub at 0x60000000" \
    flash write w.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000
check "QEMU has no memory map: written as RAM" grep -q "no memory map: written as RAM" "$T/out"
check "QEMU's stub takes M packets, not X" grep -q "M packets: the server takes no X" "$T/out"
run_kiln 0 "a valid Kiln blob of $W bytes" "read back through the stub" \
    flash read --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000 --size "$W" -o back.bin
check "read back identical" cmp -s back.bin w.bin
run_kiln 0 "verify: +OK" "verify through the stub" flash verify w.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000
if command -v gdb-multiarch >/dev/null; then
    # `disconnect` leaves the target halted (a detach would run it).
    gdb-multiarch -nx -batch -ex "target remote 127.0.0.1:$QEMU_PORT" \
        -ex "dump binary memory gdb.bin 0x60000000 $((0x60000000 + W))" -ex disconnect >gdb.log 2>&1
    check "gdb-multiarch reads the same bytes" cmp -s gdb.bin w.bin
else
    echo "note: gdb-multiarch not installed; independent read-back skipped"
fi
mkblob w2.bin 200000 5
run_kiln 0 "verify: +OK" "a second blob over the first" flash write w2.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000
run_kiln 1 "MISMATCH" "verify of the old blob now fails" \
    flash verify w.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000
run_kiln 0 "modelled time on NOR model \(QEMU PSRAM\)" "with --board the chip's time is modelled" \
    flash write w.bin --gdb 127.0.0.1:$QEMU_PORT --board qemu-mps2-an500
# QEMU accepts writes past its RAM; the read-back catches it.
run_kiln 2 "cannot read .* at 0x61000000" "write to unmapped memory is caught" \
    flash write w.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x61000000
run_kiln 2 "outside qemu-mps2-an500's flash" "address outside the board" \
    flash write w.bin --gdb 127.0.0.1:$QEMU_PORT --board qemu-mps2-an500 --address 0x50000000

# The same blob through --device, then verify against a corrupted image.
run_kiln 0 "verify: +OK" "write the same blob to a device image" flash write w.bin --board qemu-mps2-an500 --device d.img
flip_byte d.img 123457
run_kiln 1 "MISMATCH: first difference at 0x6001e241" "verify against the corrupted image fails" \
    flash verify w.bin --board qemu-mps2-an500 --device d.img

kill $QPID; wait $QPID 2>/dev/null; QPID=""
run_kiln 2 "cannot connect to GDB server at 127.0.0.1:$QEMU_PORT" "no server: clear error" \
    flash write w.bin --gdb 127.0.0.1:$QEMU_PORT --address 0x60000000 --timeout 2
run_kiln 2 "not HOST:PORT" "malformed server address" flash write w.bin --gdb localhost --address 0x60000000
finish
