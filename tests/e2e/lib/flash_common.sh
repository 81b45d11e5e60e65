# flash_common.sh - shared by the tests/e2e/flash_*.sh scripts (sourced).
#
# Gives: $ROOT, $KILN, a scratch directory $T (removed at exit), check
# helpers that count passes and failures, mkblob (test blobs made with the
# project's one blob writer, blob_build), and finish (prints the summary line
# and sets the exit status).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
KILN=${KILN:-$ROOT/build/kiln}
T=$(mktemp -d /tmp/kiln-flash-test.XXXXXX)
cleanup_hooks=()
cleanup() {
    for h in "${cleanup_hooks[@]+"${cleanup_hooks[@]}"}"; do eval "$h"; done
    rm -rf "$T"
}
trap cleanup EXIT
export KILN_BOARDS_DIR="$ROOT/boards"
pass=0 fail=0

# start_qemu: QEMU halted (-S) with its gdbstub on a free port, as a board
# under a probe; sets $QEMU_PORT and $QPID (a free port can be taken between
# the probe and QEMU's bind, so up to three tries).
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_qemu() {
    for try in 1 2 3; do
        QEMU_PORT=$(free_port)
        qemu-system-arm -M mps2-an500 -S -gdb tcp:127.0.0.1:$QEMU_PORT -nographic \
            -monitor none -serial none >"$T/qemu.log" 2>&1 &
        QPID=$!
        for i in $(seq 50); do
            if (exec 3<>/dev/tcp/127.0.0.1/$QEMU_PORT) 2>/dev/null; then return 0; fi
            kill -0 $QPID 2>/dev/null || break
            sleep 0.1
        done
        kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
    done
    echo "cannot start QEMU:"; cat "$T/qemu.log"; exit 1
}

ok()  { pass=$((pass + 1)); echo "ok    $*"; }
bad() { fail=$((fail + 1)); echo "FAIL  $*"; }

# check DESC CMD...: passes when CMD succeeds.
check() {
    local d="$1"; shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}

# run_kiln RC PATTERN DESC ARGS...: runs kiln ARGS, requires exit status RC
# and (unless PATTERN is empty) output matching the extended regex PATTERN.
# $RUNNER (e.g. "timeout 30") is put before kiln: a guard against a hang
# turning into a stuck test, not a timing check.
run_kiln() {
    local rc="$1" pat="$2" d="$3"; shift 3
    ${RUNNER:-} "$KILN" "$@" >"$T/out" 2>&1
    local got=$?
    if [ "$got" -ne "$rc" ]; then
        bad "$d (exit $got, expected $rc)"; sed 's/^/      | /' "$T/out" | tail -n 15; return 1
    fi
    if [ -n "$pat" ] && ! grep -Eq -- "$pat" "$T/out"; then
        bad "$d (output lacks /$pat/)"; sed 's/^/      | /' "$T/out" | tail -n 15; return 1
    fi
    ok "$d"
}

# The blob maker, built once per run against the kiln libraries.
MKBLOB="$T/mkblob"
libdir=$(dirname "$KILN")
sanflags=""
case "$libdir" in */san) sanflags="-fsanitize=address,undefined";; esac
if ! ${CC:-cc} -std=c11 $sanflags -I"$ROOT/compiler" -I"$ROOT/include" -I"$ROOT" \
        -o "$MKBLOB" "$ROOT/tests/e2e/flash_mkblob.c" "$libdir/libkilnc.a" "$libdir/libkilnrt.a" \
        -lcjson -lm; then
    echo "cannot build flash_mkblob against $libdir" >&2
    exit 1
fi
# mkblob OUT NBYTES SEED [SIGNATURE] [ALIGN]
mkblob() { "$MKBLOB" "$@"; }

# ff_file OUT N: N bytes of 0xFF.
ff_file() { head -c "$2" /dev/zero | tr '\0' '\377' >"$1"; }
# flip_byte FILE OFFSET: inverts one byte in place.
flip_byte() {
    local v
    v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((255 - v)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# slice FILE OFFSET LEN OUT
slice() { tail -c +$(($2 + 1)) "$1" | head -c "$3" >"$4"; }
md5() { md5sum "$1" | cut -d' ' -f1; }
fsize() { stat -c %s "$1"; }

finish() {
    echo "summary: $pass checks passed, $fail failed"
    [ "$fail" -eq 0 ]
}
