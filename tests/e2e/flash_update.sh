#!/usr/bin/env bash
# san: yes
# flash_update.sh - `kiln flash update` (A/B slots, commit record last) and
# `kiln flash slots` (what the runtime's kiln_slots_select would pick), on a
# simulated STM32F746G-DISCO (N25Q128A, 4 KiB subsectors): updates alternate
# slots, an interrupted update leaves the old blob selected, a corrupted slot
# makes the runtime fall back.  The exhaustive power-cut test is the unit
# test test_ab_powercut; this checks the same through the command line.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
F7=stm32f746g-disco
SIG=0x1122334455667788
mkblob v1.bin 200000 1 $SIG
mkblob v2.bin 210000 2 $SIG
mkblob v3.bin 190000 3 $SIG
# Layout of 16 MiB with 4 KiB units (docs/ab-update.md): record areas at
# 0x90000000 and 0x90001000, slot A at 0x90002000, each slot
# (16777216 - 8192) / 2 = 8384512 bytes, slot B at 0x90002000 + 8384512 =
# 0x90801000.
SLOT_A=0x90002000 SLOT_B=0x90801000

run_kiln 0 "commit:      record 1 -> slot A" "first update writes slot A" \
    flash update v1.bin --board $F7 --device d.img --size 16M
check "first update: no valid slot before" grep -q "before:      no valid slot" "$T/out"
run_kiln 0 "slot A 0x90002000, slot B 0x90801000 \(8188 KiB each\)" "slots prints the layout" \
    flash slots --board $F7 --device d.img --size 16M
check "runtime picks slot A" grep -q "runtime:     picks slot A (record 1)" "$T/out"
run_kiln 0 "commit:      record 2 -> slot B" "second update writes slot B" \
    flash update v2.bin --board $F7 --device d.img --size 16M
check "second update saw slot A live" grep -q "before:      slot A is live (record 1)" "$T/out"
check "on-target call printed" grep -q "kiln_slots_select((const uint8_t \*)0x90000000, 16777216, 4096" "$T/out"
run_kiln 0 "picks slot B \(record 2\)" "runtime picks slot B" flash slots --board $F7 --device d.img --size 16M --signature $SIG
run_kiln 0 "content:     a valid Kiln blob" "slot B holds v2" \
    flash read --board $F7 --device d.img --address $SLOT_B --size "$(fsize v2.bin)" -o b.bin
check "slot B bytes are v2" cmp -s b.bin v2.bin
run_kiln 1 "belongs to another model" "a firmware with another signature gets no slot" \
    flash slots --board $F7 --device d.img --size 16M --signature 0x42

m=$(md5 d.img)
run_kiln 0 "nothing written" "updating to the live blob does nothing" flash update v2.bin --board $F7 --device d.img --size 16M
check "image unchanged" [ "$(md5 d.img)" = "$m" ]
run_kiln 0 "plan \(dry run, nothing written\): slot A" "update --dry-run plans slot A" \
    flash update v3.bin --board $F7 --device d.img --size 16M --dry-run
check "dry run leaves the image" [ "$(md5 d.img)" = "$m" ]

# Power cuts at a few points of the v3 update (slot A over v1: erases and
# programs, then the record): the runtime still picks v2 in slot B.
for cut in ops:0 ops:1 ops:30 ops:200 bytes:1000 bytes:150000; do
    cp d.img c.img
    run_kiln 2 "simulated power loss" "update cut at $cut" \
        flash update v3.bin --board $F7 --device c.img --size 16M --inject-power-cut $cut --seed 7
    run_kiln 0 "picks slot B \(record 2\)" "after the cut at $cut the old blob is picked" \
        flash slots --board $F7 --device c.img --size 16M --signature $SIG
done
# The last operation of the update is the record: count the operations of a
# clean run, then cut inside the record itself.
cp d.img c.img
run_kiln 0 "record 3 -> slot A" "clean v3 update" flash update v3.bin --board $F7 --device c.img --size 16M
n=$(sed -n 's/.*(\([0-9]*\) operations).*/\1/p' "$T/out")
cp d.img c.img
run_kiln 2 "simulated power loss" "update cut inside the commit record (op $((n - 1)))" \
    flash update v3.bin --board $F7 --device c.img --size 16M --inject-power-cut ops:$((n - 1))
run_kiln 0 "picks slot B \(record 2\)" "a torn commit record is ignored" \
    flash slots --board $F7 --device c.img --size 16M --signature $SIG
run_kiln 0 "record 3 -> slot A" "the update after the power comes back completes" \
    flash update v3.bin --board $F7 --device c.img --size 16M
run_kiln 0 "picks slot A \(record 3\)" "then the new blob is picked" \
    flash slots --board $F7 --device c.img --size 16M --signature $SIG

# A bit flip in the live slot: the runtime falls back to the older one.
flip_byte c.img $((0x2000 + 100000))
run_kiln 0 "picks slot B \(record 2; fell back" "corrupted live slot falls back" \
    flash slots --board $F7 --device c.img --size 16M --signature $SIG
check "the corrupted slot is named" grep -q "slot A:      weights blob payload is corrupted" "$T/out"

# Errors leave the image as it was.
m=$(md5 d.img)
mkblob big.bin 8400000 4 $SIG
run_kiln 2 "each A/B slot holds 8384512" "blob larger than a slot" flash update big.bin --board $F7 --device d.img --size 16M
run_kiln 2 "not aligned to the N25Q128A's 4096-byte erase unit" "misaligned A/B region" \
    flash update v3.bin --board $F7 --device d.img --address 0x90000800 --size 1M
run_kiln 2 "unknown board" "unknown board" flash update v3.bin --board nope --device d.img --size 16M
check "errors left the image" [ "$(md5 d.img)" = "$m" ]

# A smaller region inside the flash.
run_kiln 0 "record 1 -> slot A" "update into a 1 MiB region at 0x90400000" \
    flash update v1.bin --board $F7 --device r.img --address 0x90400000 --size 1M
run_kiln 0 "picks slot A \(record 1\)" "slots of that region" \
    flash slots --board $F7 --device r.img --address 0x90400000 --size 1M

# Without --size the region is two slots of the blob's size rounded to the
# erase unit, not the chip: v1 (200128 bytes) -> slots of 200704 = 49 x 4 KiB
# after the two 4 KiB record areas: 8192 + 2 x 200704 = 409600 bytes.
run_kiln 0 "A/B region 0x90000000 \+ 400 KiB" "default region: sized for the blob" \
    flash update v1.bin --board $F7 --device e.img
check "the call printed has that size" \
    grep -q "kiln_slots_select((const uint8_t \*)0x90000000, 409600, 4096" "$T/out"
run_kiln 0 "slot A 0x90002000, slot B 0x90033000 \(196 KiB each\)" \
    "slots reads the layout from the records" flash slots --board $F7 --device e.img
# v3 (190128 bytes) would get smaller slots of its own; the records keep v1's.
run_kiln 0 "record 2 -> slot B" "a smaller blob keeps the layout in use" \
    flash update v3.bin --board $F7 --device e.img
check "slot B where the layout put it" grep -q "wrote:       slot B at 0x90033000" "$T/out"
run_kiln 0 "slot A at 0x90002000, then record 3" "and the next update too" \
    flash update v1.bin --board $F7 --device e.img --dry-run
m=$(md5 e.img)
run_kiln 2 "each A/B slot holds 200704" "a larger blob than the slots: refused, --size needed" \
    flash update v2.bin --board $F7 --device e.img
check "refusal left the image" [ "$(md5 e.img)" = "$m" ]
run_kiln 2 "match no layout sized for their blobs.*give --size" \
    "records written with another size are not guessed at" flash update v1.bin --board $F7 --device d.img

finish
