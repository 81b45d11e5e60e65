#!/usr/bin/env bash
# san: yes
# flash_gdb_fake.sh - `kiln flash --gdb` against servers that behave like
# OpenOCD and J-Link (a memory map marking flash, vFlashErase/vFlashWrite/
# vFlashDone, no-ack mode, run-length encoded replies) and against servers
# that misbehave (silent, NAK everything, refuse writes).  The server is
# tests/e2e/flash_fake_gdb_server.py; it refuses to program bytes that were
# not erased, so a client that skips an erase fails.  Hostile servers: a
# reply that never ends (slowly, or as a flood), a memory map with a 2 GiB
# block size, overlapping regions, or no end at all; each must fail with a
# named cause, bounded in memory and by --timeout.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
S="$ROOT/tests/e2e/flash_fake_gdb_server.py"
SPID=""
cleanup_hooks+=('[ -n "$SPID" ] && kill $SPID 2>/dev/null; wait $SPID 2>/dev/null')
# serve MODE [IMAGE]: starts the server; sets $PORT.
serve() {
    [ -n "$SPID" ] && { kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; }
    rm -f port
    /usr/bin/python3 "$S" port "$@" &
    SPID=$!
    for i in $(seq 100); do [ -s port ] && break; sleep 0.05; done
    PORT=$(cat port)
}

mkblob f1.bin 50000 1
mkblob f2.bin 60000 2
serve flash flash.img
run_kiln 0 "verify: +OK" "write into flash listed in the memory map" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000
check "vFlash packets used" grep -q "flash in its memory map: vFlashErase/vFlashWrite/vFlashDone" "$T/out"
check "no-ack mode negotiated" grep -q "no-ack mode, vFlash packets" "$T/out"
check "erased flash needs no erase" grep -q "erased:      0 sectors, 0 subsectors" "$T/out"
sleep 0.2
slice flash.img 0 "$(fsize f1.bin)" got.bin
check "the server's flash holds the blob" cmp -s got.bin f1.bin
run_kiln 0 "verify: +OK" "a changed blob: erase then program" \
    flash write f2.bin --gdb 127.0.0.1:$PORT --address 0x08000000
check "16 KiB blocks erased (4 of them)" grep -q "erased:      0 sectors, 4 subsectors" "$T/out"
sleep 0.2
slice flash.img 0 "$(fsize f2.bin)" got.bin
check "the server's flash holds the new blob" cmp -s got.bin f2.bin
run_kiln 0 "4 in range: 4 unchanged" "re-write skips unchanged blocks" \
    flash write f2.bin --gdb 127.0.0.1:$PORT --address 0x08000000
run_kiln 1 "MISMATCH" "verify of the old blob fails" flash verify f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000
run_kiln 0 "verify: +OK" "RAM in the memory map takes X packets" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x20000000
check "X packets used" grep -q "X packets" "$T/out"
run_kiln 0 "erased:      0 sectors, 1 subsector" "erase one block through vFlashErase" \
    flash erase --gdb 127.0.0.1:$PORT --address 0x08004000 --size 16K
sleep 0.2
slice flash.img 16384 16384 blk.bin
ff_file ff16k.bin 16384
check "the block reads erased" cmp -s blk.bin ff16k.bin
run_kiln 2 "has no erase operation .*does not list 0x20000000 as flash" "erase of RAM refused" \
    flash erase --gdb 127.0.0.1:$PORT --address 0x20000000 --size 16K
run_kiln 2 "do not fit" "blob past the end of the flash region" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x0801C000

serve silent
start=$SECONDS
run_kiln 2 "did not answer qSupported within 1000 ms" "a server that never answers times out" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 1
check "and does so within the timeout" [ $((SECONDS - start)) -le 5 ]
serve nak
run_kiln 2 "rejected qSupported 4 times \(NAK" "a server that NAKs everything" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 2
serve error
run_kiln 2 "refused to program .* at 0x8000000 \(reply E01\)" "a server that refuses flash writes" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 2
run_kiln 2 "refused to write .* at 0x20000000 \(reply E01\)" "a server that refuses RAM writes" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x20000000 --timeout 2

# --- hostile servers; RUNNER bounds a regression to a failure, not a hang ---
RUNNER="timeout 60"
serve trickle
run_kiln 2 "did not complete its answer to qSupported within 1000 ms \([0-9]+ bytes came" \
    "a reply that trickles in forever hits the --timeout deadline" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 1
serve flood
run_kiln 2 "sent a reply to qSupported longer than 4608 bytes" \
    "a packet that never ends is refused at the packet limit" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 5
serve bigblock
run_kiln 2 "blocksize 2147483648 is outside 1\.\.1048576" "a 2 GiB flash block size is refused" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x00000000 --timeout 5
serve overlap
run_kiln 2 "regions 0x8000000 \+ 0x20000 and 0x8004000 \+ 0x1000 overlap" \
    "overlapping memory-map regions are refused" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 5
serve emptymap
run_kiln 2 "empty part of its memory map" "a memory map sent as endless empty parts is refused" \
    flash write f1.bin --gdb 127.0.0.1:$PORT --address 0x08000000 --timeout 5
RUNNER=""
finish
