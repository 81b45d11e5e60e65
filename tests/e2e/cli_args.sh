#!/usr/bin/env bash
# san: yes
# cli_args.sh - the command line refuses what it cannot take, with exit 2 and
# the option and value named: empty output paths, numbers in a form the docs
# do not name (octal-looking and plain decimal addresses), values out of
# range, single-valued options given twice, a directory where a file is
# expected; and `kiln validate` keeps the log its failure message points to;
# a signal that ends `generate` mid-write leaves no temporary behind.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
M="$ROOT/tests/models/small_cnn.onnx"

# --- empty paths (used to overflow the heap in make_dirs) ---
run_kiln 2 "-o needs a directory, not an empty string" "generate -o '' refused" \
    generate "$M" -o ""
run_kiln 2 "--keep needs a directory, not an empty string" "validate --keep '' refused" \
    validate "$M" --keep ""

# --- numbers: addresses and signatures in 0x-hex only, no octal anywhere ---
run_kiln 2 "--address '022000000000' has no 0x prefix \(a leading 0 makes it neither octal" \
    "generate: an octal-looking address is refused" generate "$M" -o g --address 022000000000
run_kiln 2 "--address '90000000' has no 0x prefix \(as decimal it would be 0x055d4a80; did you mean 0x90000000" \
    "generate: a decimal address is refused, naming what was probably meant" \
    generate "$M" -o g --address 90000000
run_kiln 2 "--address '90000000' has no 0x prefix" "validate: a decimal address is refused" \
    validate "$M" --address 90000000
run_kiln 2 "--address '0x9000000g' is not a hex number" "generate: junk after the digits" \
    generate "$M" -o g --address 0x9000000g
run_kiln 2 "--address 0x100000000 is beyond the 32-bit address space" "generate: an address past 4 GiB" \
    generate "$M" -o g --address 0x100000000
run_kiln 2 "blob at --address 0xfffff000 would end at 0x1000[0-9a-f]{5}, past the 32-bit address space" \
    "generate: address + blob past 4 GiB" generate "$M" -o g --address 0xFFFFF000
run_kiln 2 "blob at --address 0xfffff000 would end at" "validate: address + blob past 4 GiB" \
    validate "$M" --address 0xFFFFF000
run_kiln 0 "" "generate: a 0x address is taken" generate "$M" -o g --address 0x90000000 -q
check "  and recorded in the header" grep -q "small_cnn_BLOB_ADDRESS 0x90000000u" g/small_cnn.h
mkblob a.bin 100000 1
run_kiln 2 "--address '022000000000' has no 0x prefix" "flash export: an octal-looking address is refused" \
    flash export a.bin --address 022000000000 -o a.hex
check "  and no output was written" [ ! -e a.hex ]
run_kiln 2 "--address '90000000' has no 0x prefix \(as decimal it would be 0x055d4a80" \
    "flash write: a decimal address is refused" \
    flash write a.bin --board stm32f746g-disco --device d.img --address 90000000
run_kiln 2 "--size '010': give 1 byte to 4 GiB" "flash read: a size with a leading zero is refused" \
    flash read --board stm32f746g-disco --device d.img --address 0x90000000 --size 010 -o r.bin
run_kiln 2 "--timeout '1.5': give 1 to 3600 seconds" "flash: a fractional timeout is refused" \
    flash write a.bin --gdb 127.0.0.1:1 --address 0x20000000 --timeout 1.5
run_kiln 2 "--signature '1234' has no 0x prefix" "blob info: a decimal signature is refused" \
    blob info a.bin --signature 1234
run_kiln 2 "--seed '010' is not a decimal count" "validate: a seed with a leading zero is refused" \
    validate "$M" --seed 010
run_kiln 2 "--seed 4294967296 is larger than 4294967295" "validate: a seed past 32 bits is refused" \
    validate "$M" --seed 4294967296

# --- single-valued options given twice ---
run_kiln 2 "-o given twice \('a' and 'b'\); give it once" "generate -o twice" generate "$M" -o a -o b
run_kiln 2 "--name given twice \('x' and 'y'\)" "generate --name twice" generate "$M" -o a --name x --name y
run_kiln 2 "--address given twice \('0x90000000' and '0x90000000'\)" "generate --address twice (even equal)" \
    generate "$M" -o a --address 0x90000000 --address 0x90000000
run_kiln 2 "--weights given twice" "analyze --weights twice" analyze "$M" --weights inline --weights external
run_kiln 2 "--target given twice \('host' and 'qemu'\)" "validate --target twice" \
    validate "$M" --target host --target qemu
run_kiln 2 "--samples given twice" "validate --samples twice" validate "$M" --samples 2 --samples 3
run_kiln 2 "--signature given twice" "blob info --signature twice" \
    blob info a.bin --signature 0x1 --signature 0x2
run_kiln 2 "give --signature or --model, not both" "blob info --signature with --model" \
    blob info a.bin --signature 0x1 --model "$M"
run_kiln 2 "flash write: --address given twice \('0x90000000' and '0x90001000'\)" "flash --address twice" \
    flash write a.bin --board stm32f746g-disco --device d.img --address 0x90000000 --address=0x90001000
run_kiln 2 "flash export: -o given twice \('x.hex' and 'y.hex'\)" "flash -o and --output" \
    flash export a.bin --address 0x90000000 -o x.hex --output y.hex
check "  and nothing was written" [ ! -e d.img -a ! -e x.hex -a ! -e y.hex -a ! -e a ]

# --- validate --blob that is not a regular file ---
mkdir blobdir
run_kiln 2 "--blob: 'blobdir' is a directory, not a regular file" "validate --blob DIR" \
    validate "$M" --blob blobdir
mkfifo blobfifo
RUNNER="timeout 60"
run_kiln 2 "--blob: 'blobfifo' is a FIFO \(named pipe\), not a regular file" \
    "validate --blob FIFO is refused, not waited on" validate "$M" --blob blobfifo
RUNNER=""

# --- a failing harness: the log the message names still exists ---
cat >fakecc <<'EOF'
#!/bin/sh
# A "compiler" whose harness fails: writes, at -o, a script that exits 5.
out=""
while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done
printf '#!/bin/sh\necho "harness exploded" >&2\nexit 5\n' >"$out" && chmod +x "$out"
EOF
chmod +x fakecc
export KILN_CC="$T/fakecc"
run_kiln 2 "the harness failed \(exit 5, log .*run.log\)" "validate: a harness that fails" validate "$M"
unset KILN_CC
log=$(grep -o "log [^)]*run.log" "$T/out" | head -1 | cut -c5-)
check "  the log it names exists" [ -f "$log" ]
check "  and holds the harness output" grep -q "harness exploded" "$log"
check "  the message says the work directory is kept" grep -q "kept for inspection" "$T/out"
case "$log" in /*/kiln-validate-*/run.log) rm -rf "$(dirname "$log")";; esac

# --- a signal while generate writes its outputs leaves no temporaries ---
mkdir sig
( ulimit -f 8; exec "$KILN" generate "$M" -o sig -q ) >out 2>&1
rc=$?
check "generate killed by SIGXFSZ mid-write (exit $rc)" [ "$rc" -eq $((128 + 25)) ]
check "  no temporary left in the output directory" [ -z "$(ls -A sig | grep '\.tmp\.')" ]

finish
