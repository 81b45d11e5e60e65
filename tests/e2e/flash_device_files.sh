#!/usr/bin/env bash
# san: yes
# flash_device_files.sh - how `kiln flash` treats the device image file
# itself: a --device that is a symbolic link is written through (the image
# it names changes, the link stays); a signal that ends the tool while it
# saves the image leaves the old image and no temporary behind; a save that
# fails (the file-size limit with SIGXFSZ ignored makes write() fail with
# EFBIG, as a full disk does with ENOSPC) exits 2 without a line of the
# success report (write, update) and leaves the image as it was.  No root
# needed: the limits are ulimit's.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
Q=qemu-mps2-an500          # 16 MiB at 0x60000000
mkblob a.bin 100000 1
mkblob b.bin 120000 2
mkblob c.bin 90000 3      # in no image yet: writing it changes the image

no_temporaries() { ! ls -a "$1" | grep -q '\.tmp\.'; }
absent() { ! grep -Eq -- "$1" "$2"; }   # absent PATTERN FILE

# --- a symbolic link as --device ---
mkdir images links
run_kiln 0 "verify: +OK" "write creates the real image" flash write a.bin --board $Q --device images/q.img
ln -s ../images/q.img links/q.img
run_kiln 0 "verify: +OK" "write through a symlinked --device" \
    flash write b.bin --board $Q --device links/q.img
check "the link is still a link" [ -L links/q.img ]
slice images/q.img 0 "$(fsize b.bin)" got.bin
check "the image it names holds the new blob" cmp -s got.bin b.bin
check "no temporary next to the image" no_temporaries images
check "no temporary next to the link" no_temporaries links
ln -s ../images/missing.img links/dangling.img
run_kiln 2 "symbolic link whose target cannot be resolved" "a dangling symlinked --device is refused" \
    flash write a.bin --board $Q --device links/dangling.img
check "the dangling link is left alone" [ -L links/dangling.img ]

# --- a --device that is not a regular file ---
mkdir dirimg
run_kiln 2 "device image: 'dirimg' is a directory, not a regular file" "a directory as --device is refused" \
    flash write a.bin --board $Q --device dirimg
mkfifo fifoimg
RUNNER="timeout 60"
run_kiln 2 "device image: 'fifoimg' is a FIFO \(named pipe\), not a regular file" \
    "a FIFO as --device is refused, not waited on" flash verify a.bin --board $Q --device fifoimg
RUNNER=""

# --- a signal during the save: SIGXFSZ from a 4 MiB file-size limit ---
m=$(md5 images/q.img)
( ulimit -f 4096; exec "$KILN" flash write c.bin --board $Q --device images/q.img ) >out 2>&1
rc=$?
check "killed by SIGXFSZ mid-save (exit $rc)" [ "$rc" -eq $((128 + 25)) ]
check "no temporary left after the signal" no_temporaries images
check "the image is unchanged after the signal" [ "$(md5 images/q.img)" = "$m" ]

# --- a save that fails (EFBIG: the file-size limit with SIGXFSZ ignored) ---
( trap '' XFSZ; ulimit -f 4096; exec "$KILN" flash write c.bin --board $Q --device images/q.img ) >out 2>&1
rc=$?
check "a failed save exits 2 (exit $rc)" [ "$rc" -eq 2 ]
check "and names the write error" grep -q "cannot write .*images/q.img.*File too large" out
check "no temporary left after the failed save" no_temporaries images
check "the image is unchanged after the failed save" [ "$(md5 images/q.img)" = "$m" ]
check "no success report before the error" absent "verify: +OK" out

# --- flash update on a "full disk": exit 2 and not a line of the success report ---
( trap '' XFSZ; ulimit -f 4096; exec "$KILN" flash update c.bin --board $Q --device images/q.img ) >out 2>&1
rc=$?
check "update with a failing save exits 2 (exit $rc)" [ "$rc" -eq 2 ]
check "update names the write error" grep -q "cannot write .*File too large" out
for line in "wrote:" "verify:" "commit:" "after:" "on target:"; do
    check "update prints no '$line' line before failing" absent "^  $line" out
done
check "no temporary left after the failed update" no_temporaries images
check "the image is unchanged after the failed update" [ "$(md5 images/q.img)" = "$m" ]
run_kiln 0 "after: +the runtime picks slot" "the same update with room succeeds" \
    flash update c.bin --board $Q --device images/q.img
finish
