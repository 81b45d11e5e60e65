#!/usr/bin/env bash
# san: yes
# generate_outputs.sh - `kiln generate` replaces its outputs as one
# generation (issue 8): a failed or repeated run never leaves files of two
# models side by side, nor a temporary.
#
#  1. switching --weights external -> inline -> external leaves only the
#     current mode's data file (NET_data.bin or NET_data.c), never both;
#  2. a write that fails (the file size limit, `ulimit -f`, standing in for a
#     full disk: the blob is larger than the limit, the code smaller) exits 2
#     and leaves the previous generation byte for byte, and no temporary;
#  3. a directory where a final file goes: refused (exit 2) before anything
#     is written, into an empty directory and over a previous generation;
#  4. a directory where a temporary goes (kiln run with a known PID through
#     exec): exit 2, the previous generation intact, no other temporary left;
#  5. --name refusals (kiln, KILN_MODEL, int, _x, my-net) exit 2 and write
#     nothing.
# The two models are small_cnn.onnx and its retrained copy (same graph, other
# weights), generated under one --name, so a mix is a real hazard.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
A=tests/models/small_cnn.onnx
B=tests/models/small_cnn_retrained.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

listing() { (cd "$1" && ls -A | tr '\n' ' '); }
sums() { (cd "$1" && find . -type f | sort | xargs -r sha256sum); }

# 1. mode switches
d=$tmp/switch
for w in external inline external inline; do
    if ! "$KILN" generate $A -o "$d" --name net --weights $w -q > /dev/null 2> "$tmp/err"; then
        bad "switch to $w: generate failed"; head -3 "$tmp/err"; continue
    fi
    want="net.c net.cmake net.h net.mk net_data.$([ $w = inline ] && echo c || echo bin) net_report.html net_report.json net_report.txt "
    got=$(listing "$d")
    if [ "$got" = "$want" ]; then
        ok "switch to --weights $w: exactly $got"
    else
        bad "switch to --weights $w: directory holds '$got', expected '$want'"
    fi
done

# 2. a write fails part way (file size limit)
for w in external inline; do
    d=$tmp/full_$w
    "$KILN" generate $A -o "$d" --name net --weights $w -q > /dev/null || { bad "$w: first generate"; continue; }
    before=$(sums "$d")
    # 8 KiB: the code (5 kB) fits, the weights (15 kB blob, 76 kB as C) do not
    (ulimit -f 8; trap '' XFSZ; exec "$KILN" generate $B -o "$d" --name net --weights $w -q) \
        > /dev/null 2> "$tmp/err"
    rc=$?
    if [ $rc -ne 2 ]; then
        bad "$w, write fails: exit $rc, expected 2"
    elif [ "$(sums "$d")" != "$before" ]; then
        bad "$w, write fails: the previous generation changed: $(listing "$d")"
    else
        ok "$w, write fails: exit 2 ($(grep -o 'File too large' "$tmp/err" | head -1)), previous generation intact, no temporary"
    fi
done

# 3. a directory where a final file goes
d=$tmp/dir_final
mkdir -p "$d/net_report.json"
"$KILN" generate $A -o "$d" --name net -q > /dev/null 2> "$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "is a directory" "$tmp/err" && [ "$(listing "$d")" = "net_report.json " ]; then
    ok "directory at net_report.json: exit 2, nothing written"
else
    bad "directory at net_report.json: exit $rc, directory holds '$(listing "$d")'"; head -2 "$tmp/err"
fi
d=$tmp/dir_final2
"$KILN" generate $A -o "$d" --name net -q > /dev/null || bad "dir_final2: first generate"
rm "$d/net_report.json" && mkdir "$d/net_report.json"
before=$(sums "$d")
"$KILN" generate $B -o "$d" --name net -q > /dev/null 2> "$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(sums "$d")" = "$before" ]; then
    ok "directory at net_report.json over a previous generation: exit 2, nothing changed"
else
    bad "directory at net_report.json over a previous generation: exit $rc, files changed: $(listing "$d")"
fi

# 4. a directory where a temporary goes
d=$tmp/dir_tmp
"$KILN" generate $A -o "$d" --name net -q > /dev/null || bad "dir_tmp: first generate"
before=$(sums "$d")
bash -c 'mkdir "$1/net_report.txt.tmp.$$" && exec "$2" generate "$3" -o "$1" --name net -q' _ "$d" "$KILN" $B \
    > /dev/null 2> "$tmp/err"
rc=$?
leftover=$(cd "$d" && find . -name '*.tmp.*' -type f)
if [ $rc -eq 2 ] && [ "$(sums "$d")" = "$before" ] && [ -z "$leftover" ]; then
    ok "directory at a temporary's path: exit 2, previous generation intact, no temporary left"
else
    bad "directory at a temporary's path: exit $rc, leftover '$leftover', files: $(listing "$d")"; head -2 "$tmp/err"
fi

# 5. --name refusals
for n in kiln KILN_MODEL int _x my-net; do
    d=$tmp/name_$n
    "$KILN" generate $A -o "$d" --name "$n" -q > /dev/null 2> "$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q -- "--name '$n'" "$tmp/err" && [ -z "$(ls -A "$d" 2> /dev/null)" ]; then
        ok "--name $n: exit 2, $(sed -E "s/.*--name '[^']*' ([^;]*);.*/\1/" "$tmp/err" | head -1)"
    else
        bad "--name $n: exit $rc, wrote '$(ls -A "$d" 2> /dev/null | tr '\n' ' ')'"; head -2 "$tmp/err"
    fi
done

echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
