#!/usr/bin/env bash
# validate_signal.sh - a signal that ends `kiln validate` mid-run (a CI
# job's SIGTERM, a closed terminal's SIGHUP; Ctrl-C's SIGINT takes the same
# path but a background job of a script ignores it) removes its temporary
# work directory, and the process still ends by that signal.  Before, the
# kiln-validate-XXXXXX tree (generated code, firmware, blob) stayed in /tmp.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
M=examples/models/kws/kws_ref_model.tflite

# 2000 samples: minutes of emulation, so the run is still going when the
# signal comes, however fast the machine (50 finished first on an idle one).
for sig in TERM HUP; do
    mkdir -p "$tmp/$sig"
    TMPDIR="$tmp/$sig" "$KILN" validate $M --target qemu --samples 2000 >"$tmp/$sig.log" 2>&1 &
    pid=$!
    # Wait until the work directory holds generated code, then signal.
    # Wait until the emulator runs (then the samples are under way), or at
    # least generated code exists; signal at once instead of after a fixed
    # sleep, which a loaded machine once outlasted.
    for ((i = 0; i < 600; i++)); do
        pgrep -P $pid qemu-system-arm >/dev/null && break
        sleep 0.1
    done
    compgen -G "$tmp/$sig/kiln-validate-*" >/dev/null || bad "SIG$sig: no work directory appeared"
    kill -$sig $pid
    wait $pid
    rc=$?
    want=$((128 + $(kill -l $sig)))
    [ $rc = $want ] && ok "SIG$sig: kiln validate ends by the signal (status $rc)" \
        || { bad "SIG$sig: status $rc, expected $want"; tail -3 "$tmp/$sig.log"; }
    sleep 1 # a compiler the signal ended removes its own temporaries
    left=$(ls -A "$tmp/$sig")
    [ -z "$left" ] && ok "SIG$sig: the temporary work directory is gone" \
        || bad "SIG$sig: left behind: $left"
done
echo "summary: $pass passed, $fail failed"
[ $fail = 0 ]
