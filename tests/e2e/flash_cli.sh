#!/usr/bin/env bash
# san: yes
# flash_cli.sh - `kiln boards` and `kiln flash write/verify/read/erase` on
# simulated devices: bytes land where they should, unchanged sectors are
# skipped, verify finds the first differing address, and every error leaves
# the device image exactly as it was.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
Q=qemu-mps2-an500          # 16 MiB at 0x60000000, 4 KiB subsectors
F7=stm32f746g-disco        # N25Q128A, 16 MiB at 0x90000000

# --- boards ---
run_kiln 0 "" "kiln boards runs" boards
for b in stm32h747i-disco stm32h745i-disco stm32h7b3i-dk stm32f746g-disco stm32f769i-disco \
         b-u585i-iot02a stm32n6570-dk qemu-mps2-an500; do
    check "kiln boards lists $b" grep -q "^$b " "$T/out"
done
run_kiln 0 "0x90000000\.\.0x97ffffff \(128 MiB\)" "kiln boards NAME shows the mapping" \
    boards stm32h747i-disco
check "kiln boards NAME shows assumptions" grep -q "assumption:  flash.subsector_size" "$T/out"
(unset KILN_BOARDS_DIR; "$KILN" boards >"$T/out2" 2>&1)
check "boards/ found next to the executable" grep -q "^stm32n6570-dk " "$T/out2"
mkdir myboards
sed -e 's/"stm32f746g-disco"/"my-board"/' "$ROOT/boards/stm32f746g-disco.json" >myboards/my-board.json
run_kiln 0 "^my-board " "a board is added by adding one file" boards --boards-dir myboards
sed -e 's/"page_size": 256/"page_sise": 256/' myboards/my-board.json >myboards/bad.json
sed -i 's/"my-board"/"bad"/' myboards/bad.json
run_kiln 2 "bad.json: unknown field 'flash.page_sise'" "a misspelt descriptor field is named" \
    boards --boards-dir myboards
rm myboards/bad.json
sed -e 's/"sector_size": "64 KiB"/"sector_size": "48 KiB"/' -e 's/"my-board"/"odd"/' \
    myboards/my-board.json >myboards/odd.json
run_kiln 2 "odd.json: field 'flash.sector_size' is 49152; it must be a power of two" \
    "a bad sector size is refused" boards odd --boards-dir myboards
rm myboards/odd.json

# --- write to a new image ---
mkblob a.bin 100000 1
mkblob b.bin 120000 2
A=$(fsize a.bin) B=$(fsize b.bin)
run_kiln 0 "verify: +OK: $A bytes at 0x60000000" "write creates an erased image and verifies" \
    flash write a.bin --board $Q --device dev.img
check "image is the board's flash size" [ "$(fsize dev.img)" -eq 16777216 ]
slice dev.img 0 "$A" got.bin
check "blob bytes at offset 0" cmp -s got.bin a.bin
ff_file ff.bin $((16777216 - A))
slice dev.img "$A" $((16777216 - A)) rest.bin
check "everything after the blob still erased (0xFF)" cmp -s rest.bin ff.bin
# ceil(A / 4096) units, all erased before: programmed without erase.
U=$(((A + 4095) / 4096))
check "no erase on an erased chip" grep -Eq "erase units: $U in range: 0 unchanged \(skipped\), $U programmed without erase, 0 erased" "$T/out"

# --- re-write: nothing to do ---
m=$(md5 dev.img)
run_kiln 0 "erase units: $U in range: $U unchanged \(skipped\)" "re-write skips every unchanged unit" \
    flash write a.bin --board $Q --device dev.img
check "re-write reports nothing written" grep -q "nothing written" "$T/out"
check "re-write leaves the image identical" [ "$(md5 dev.img)" = "$m" ]

# --- a different blob: only what changed is erased ---
run_kiln 0 "verify: +OK" "write of a changed blob" flash write b.bin --board $Q --device dev.img
check "changed units were erased" grep -Eq "erased:      1 sector, [0-9]+ subsectors" "$T/out"
slice dev.img 0 "$B" got.bin
check "new blob in place" cmp -s got.bin b.bin
# Flip one byte on the device in unit 12 (0xC000..0xCFFF) and write b.bin
# again: exactly that subsector is erased and programmed back.
flip_byte dev.img $((0xC123))
U=$(((B + 4095) / 4096))
run_kiln 0 "erase units: $U in range: $((U - 1)) unchanged \(skipped\), 0 programmed without erase, 1 erased" \
    "one changed byte costs one subsector erase" flash write b.bin --board $Q --device dev.img
check "the plan erased exactly one subsector" grep -q "erased:      0 sectors, 1 subsector$" "$T/out"

# --- verify ---
run_kiln 0 "verify: +OK: $B bytes at 0x60000000 match" "verify passes" flash verify b.bin --board $Q --device dev.img
# First differing byte between a.bin and b.bin, from cmp (1-based).
first=$(cmp a.bin b.bin | awk '{print $5}' | tr -d ,)
addr=$(printf '0x%08x' $((0x60000000 + first - 1)))
run_kiln 1 "MISMATCH: first difference at $addr" "verify of another blob fails at the first differing address" \
    flash verify a.bin --board $Q --device dev.img
cp dev.img bad.img
flip_byte bad.img 5000
run_kiln 1 "MISMATCH: first difference at 0x60001388: .*1 of $B bytes differ" \
    "verify against a corrupted image names the corrupted address" flash verify b.bin --board $Q --device bad.img
run_kiln 2 "does not exist" "verify of a missing image fails" flash verify b.bin --board $Q --device none.img

# --- read ---
run_kiln 0 "content:     a valid Kiln blob of $B bytes" "read says a valid blob is there" \
    flash read --board $Q --device dev.img --address 0x60000000 --size "$B" -o rb.bin
check "read returns the blob" cmp -s rb.bin b.bin
run_kiln 0 "not a valid Kiln blob: .*erased flash" "read of erased flash says so" \
    flash read --board $Q --device dev.img --address 0x60800000 --size 4096 -o e.bin
ff_file ff4k.bin 4096
check "erased flash reads 0xFF" cmp -s e.bin ff4k.bin

# --- erase ---
m=$(md5 dev.img)
run_kiln 0 "plan \(dry run" "erase --dry-run" flash erase --board $Q --device dev.img --address 0x60000000 --size 64K --dry-run
check "dry run leaves the image" [ "$(md5 dev.img)" = "$m" ]
run_kiln 0 "erased:      1 sector, 0 subsectors" "erase of one sector" \
    flash erase --board $Q --device dev.img --address 0x60000000 --size 64K
slice dev.img 0 65536 s0.bin
ff_file ff64k.bin 65536
check "sector reads erased" cmp -s s0.bin ff64k.bin
slice dev.img 65536 $((B - 65536)) tail.bin
slice b.bin 65536 $((B - 65536)) btail.bin
check "bytes after the erased sector kept" cmp -s tail.bin btail.bin
run_kiln 0 "erase units: 16 in range: 16 unchanged" "erasing erased flash skips it" \
    flash erase --board $Q --device dev.img --address 0x60000000 --size 64K
m=$(md5 dev.img)
run_kiln 2 "not aligned to the .* 4096-byte erase unit" "misaligned erase refused" \
    flash erase --board $Q --device dev.img --address 0x60000100 --size 4K
check "misaligned erase left the image" [ "$(md5 dev.img)" = "$m" ]
run_kiln 0 "the whole chip" "erase --all" flash erase --board $Q --device dev.img --all
ff_file ff16m.bin 16777216
check "erase --all leaves an erased chip" cmp -s dev.img ff16m.bin

# --- dry run and what other tools would do ---
run_kiln 0 "plan \(dry run, nothing written\)" "write --dry-run prints the plan" \
    flash write b.bin --board $F7 --device f7.img --dry-run
check "dry run creates no image" [ ! -e f7.img ]
check "STM32CubeProgrammer command printed" grep -q 'STM32_Programmer_CLI -c port=SWD -el ".*/N25Q128A_STM32F746G-DISCO.stldr" -d b.bin 0x90000000 -v' "$T/out"
check "OpenOCD command printed" grep -q 'openocd -f board/stm32f746g-disco.cfg -c "program b.bin 0x90000000 verify reset exit"' "$T/out"
check "J-Link command printed" grep -q 'JLinkExe -device STM32F746NG' "$T/out"
# Modelled time on the N25Q128A (page 0.5 / 5 ms): an erased chip needs only
# page programs: ceil(B / 256) of them.
P=$(((B + 255) / 256))
typ=$(awk -v p="$P" 'BEGIN { printf "%.3g", p * 0.5 }')
max=$(awk -v p="$P" 'BEGIN { printf "%.3g", p * 5 / 1000 }')
run_kiln 0 "modelled time on N25Q128A: $typ ms typical, $max s worst case \($P operations\)" \
    "modelled time = pages x page-program time" flash write b.bin --board $F7 --device f7.img

# --- errors leave the image as it was ---
m=$(md5 f7.img)
run_kiln 2 "unknown board 'nope'; known boards" "unknown board" flash write b.bin --board nope --device f7.img
run_kiln 2 "0x90000100 is not aligned to the N25Q128A's smallest erase unit \(4096 bytes\)" \
    "misaligned address" flash write b.bin --board $F7 --device f7.img --address 0x90000100
run_kiln 2 "only 65536 bytes of flash remain from 0x90ff0000" "blob not fitting at the address" \
    flash write b.bin --board $F7 --device f7.img --address 0x90FF0000
mkblob huge.bin 17000000 3
run_kiln 2 "larger than stm32f746g-disco's whole flash \(16777216 bytes" "blob larger than the flash" \
    flash write huge.bin --board $F7 --device f7.img
run_kiln 2 "outside stm32f746g-disco's flash .* did you mean 0x90001000" "address outside the flash" \
    flash write b.bin --board $F7 --device f7.img --address 0x1000
cp b.bin corrupt.bin
flip_byte corrupt.bin 70000
run_kiln 2 "corrupt.bin is not a valid Kiln blob: .*payload is corrupted" "corrupted blob file refused" \
    flash write corrupt.bin --board $F7 --device f7.img
run_kiln 2 "cannot open 'missing.bin'" "missing blob file" flash write missing.bin --board $F7 --device f7.img
run_kiln 2 "f7.img is 16777216 bytes but stm32h7b3i-dk's flash is 67108864 bytes" \
    "image of another board refused" flash write b.bin --board stm32h7b3i-dk --device f7.img
run_kiln 2 "unknown option '--adress'" "unknown option" flash write b.bin --board $F7 --device f7.img --adress 0
check "no error changed the image" [ "$(md5 f7.img)" = "$m" ]

# --- a simulated power cut is saved as the device's real state ---
run_kiln 2 "simulated power loss" "power cut during a write" \
    flash write a.bin --board $F7 --device f7.img --inject-power-cut ops:7
check "the cut left a changed image" [ "$(md5 f7.img)" != "$m" ]
run_kiln 1 "MISMATCH" "the torn write does not verify" flash verify a.bin --board $F7 --device f7.img
run_kiln 0 "verify: +OK" "writing again after the cut repairs it" flash write a.bin --board $F7 --device f7.img

finish
