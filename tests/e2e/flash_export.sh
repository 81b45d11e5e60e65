#!/usr/bin/env bash
# san: yes
# flash_export.sh - `kiln flash export` writes Intel HEX and S-record files
# that binutils reads back into the blob, at the right absolute address.
# objcopy is the independent reader: it rejects bad checksums and record
# types, and `objdump -h` shows where it places the bytes.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
if ! command -v objcopy >/dev/null || ! command -v objdump >/dev/null; then
    echo "SKIP: binutils (objcopy, objdump) not installed"; exit 0
fi
mkblob x.bin 150000 9
X=$(fsize x.bin)

# lowest_vma FILE FORMAT: the lowest section address objdump reports.
lowest_vma() {
    objdump -h -b "$2" "$1" | awk '$2 ~ /^\.sec/ {print $4}' | sort | head -1
}

for fmt in ihex srec; do
    for rec in 16 32; do
        for addr in 0x90000000 0x9000F000 0x6000FFC0; do
            out=x.$fmt
            run_kiln 0 "-> $out" "export $fmt, $rec-byte records, at $addr" \
                flash export x.bin --address $addr --format $fmt --record-size $rec -o $out
            rm -f back.bin
            objcopy -I $fmt -O binary $out back.bin
            check "objcopy -I $fmt gives the blob back ($rec, $addr)" cmp -s back.bin x.bin
            vma=$(lowest_vma $out $fmt)
            check "bytes start at $addr ($fmt, $rec)" [ $((0x$vma)) -eq $((addr)) ]
        done
    done
done
# Intel HEX structure: one type-04 record per 64 KiB touched, 00 records no
# longer than asked, the end-of-file record last.
run_kiln 0 "" "export ihex at 0x9000F000" flash export x.bin --address 0x9000F000 --format ihex -o y.hex
# 0x9000F000 + X (X = 150144 < 0x31000) spans the 64 KiB pages 0x9000,
# 0x9001, 0x9002 and 0x9003.
check "extended linear address records" [ "$(grep -c '^:02000004' y.hex)" -eq 4 ]
check "first ELA record is 0x9000" grep -q '^:0200000490006A$' y.hex
check "end-of-file record last" [ "$(tail -1 y.hex)" = ":00000001FF" ]
check "data records of at most 16 bytes" [ -z "$(grep -E '^:......00' y.hex | cut -c2-3 | grep -v '^0.$\|^10$')" ]
# S-record structure: S0 header, S3 data, S7 end.
run_kiln 0 "" "export srec" flash export x.bin --address 0x90000000 -o y.srec
check "srec format chosen from the extension" grep -q '^S3' y.srec
check "S0 header first" [ "$(head -c 2 y.srec)" = "S0" ]
check "S7 terminator last" grep -q '^S7' <(tail -1 y.srec)
# The board default address and its checks.
run_kiln 0 "at 0x70000000" "export at the board's base" flash export x.bin --board b-u585i-iot02a -o z.hex
# Errors.
run_kiln 2 "not aligned to the blob's alignment" "address not aligned to the blob" \
    flash export x.bin --address 0x90000010 -o e.hex
run_kiln 2 "past the 32-bit address space" "past 4 GiB" flash export x.bin --address 0xFFFFF000 -o e.hex
run_kiln 2 "unknown --format 'bin'" "unknown format" flash export x.bin --address 0x0 --format bin -o e.hex
run_kiln 2 "only .* bytes of flash remain" "does not fit the board" \
    flash export x.bin --board stm32f746g-disco --address 0x90FF0000 -o e.hex
check "no output file after errors" [ ! -e e.hex ]

# --ab: the A/B region's first state, for a vendor programmer.  On the
# STM32F746G-DISCO (4 KiB units) x (150144 bytes) takes slots of 151552: the
# record areas at 0x90000000 and 0x90001000, slot A at 0x90002000, region
# 8192 + 2 x 151552 = 311296 bytes.  The expected bytes are built here with
# Python (struct, zlib.crc32 = CRC-32/IEEE): docs/ab-update.md's record, not
# kiln's encoder.
F7=stm32f746g-disco
/usr/bin/python3 - x.bin expect.bin <<'PY'
import struct, sys, zlib
blob = open(sys.argv[1], 'rb').read()
hcrc = struct.unpack_from('<I', blob, 60)[0]
rec = b'KLNC' + struct.pack('<HHIB3xIII', 1, 32, 1, 0, len(blob), hcrc, 0)
rec += struct.pack('<I', zlib.crc32(rec))
area = rec + b'\xff' * (4096 - 32)
open(sys.argv[2], 'wb').write(area + b'\xff' * 4096 + blob)
PY
for fmt in ihex srec; do
    run_kiln 0 "record 1 at 0x90000000 names slot A at 0x90002000" "export --ab ($fmt)" \
        flash export x.bin --ab --board $F7 --format $fmt -o ab.$fmt
    check "it prints the region size for the firmware ($fmt)" \
        grep -q "kiln_slots_select((const uint8_t \*)0x90000000, 311296, 4096" "$T/out"
    rm -f ab.bin
    objcopy -I $fmt -O binary ab.$fmt ab.bin
    check "objcopy reads back record, erased areas and slot A byte for byte ($fmt)" cmp -s ab.bin expect.bin
    check "starting at the region ($fmt)" [ $((0x$(lowest_vma ab.$fmt $fmt))) -eq $((0x90000000)) ]
done
# The same bytes in a device image: the runtime's choice is slot A, record
# 1, and `kiln flash update` on an erased image leaves the same region.
ff_file img.bin $((16 * 1024 * 1024))
dd if=ab.bin of=img.bin conv=notrunc status=none
run_kiln 0 "picks slot A \(record 1\)" "the exported state: the runtime picks slot A" \
    flash slots --board $F7 --device img.bin
check "with the region size from the record" grep -q "A/B region 0x90000000 + 311296" "$T/out"
run_kiln 0 "record 1 -> slot A" "update of an erased image" flash update x.bin --board $F7 --device up.img
slice up.img 0 "$(fsize ab.bin)" up.bin
check "update and export --ab leave the same bytes" cmp -s up.bin ab.bin
run_kiln 2 "--board B is required" "export --ab needs the board's erase unit" \
    flash export x.bin --ab --address 0x90000000 -o e.hex
run_kiln 2 "does not fit an A/B slot" "a region too small for the blob" \
    flash export x.bin --ab --board $F7 --size 64K -o e.hex
check "no output file after --ab errors" [ ! -e e.hex ]
finish
