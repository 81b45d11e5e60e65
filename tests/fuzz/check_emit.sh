#!/usr/bin/env bash
# check_emit.sh - the slow half of the model fuzzers: the C that Kiln emits
# for fuzzed models must build as docs/cli.md promises and define nothing but
# the network.
#
#   check_emit.sh [-n MAX] HARNESS INPUT_OR_DIR ...
#
# Runs HARNESS (fuzz_onnx or fuzz_tflite, either engine) on the inputs with
# $KILN_FUZZ_EMIT_DIR set, so every input that compiles leaves NET.h, NET.c,
# NET_data.c (inline weights) and the input itself behind; at most MAX inputs
# (default 200), spread evenly over the sorted list.  Each emitted NET.c (and
# NET_data.c) must compile with `gcc -std=c99 -Wall -Wextra -Werror -pedantic`
# (-c: a full compile, which includes -fsyntax-only's checks), and so must a
# file that uses every NET_* macro of NET.h as an expression; the objects
# must define only NET_* symbols and refer only to kiln_* (the runtime) and
# NET_* ones: a name that smuggles code into the output shows up here.  A
# failing input is kept with its emitted files and the compiler's messages in
# build/fuzz/emit-failures/<harness>/.  Inputs that crash the harness are the
# fuzzer's business (run.sh) and are skipped here.  Prints "summary: ..." and
# exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
max=200
[ "${1:-}" = "-n" ] && { max=$2; shift 2; }
bin=$1; shift
name=$(basename "$bin")
CC=${CHECK_CC:-gcc}
keep=build/fuzz/emit-failures/$name
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

mapfile -t all < <(for a in "$@"; do if [ -d "$a" ]; then find "$a" -maxdepth 1 -type f; else echo "$a"; fi; done | sort)
n=${#all[@]}
step=$(( n > max ? (n + max - 1) / max : 1 ))
picked=()
for ((i = 0; i < n; i += step)); do picked+=("${all[$i]}"); done

# In batches, one process each; a batch that crashes is rerun one by one.
mkdir -p "$tmp/e"
for ((i = 0; i < ${#picked[@]}; i += 25)); do
    batch=("${picked[@]:i:25}")
    KILN_FUZZ_EMIT_DIR=$tmp/e "$bin" "${batch[@]}" >/dev/null 2>&1 && continue
    for f in "${batch[@]}"; do KILN_FUZZ_EMIT_DIR=$tmp/e "$bin" "$f" >/dev/null 2>&1; done
done

emitted=0 ok=0 failed=0
fail() { # emitted-dir message
    failed=$((failed + 1))
    local k="$keep/$(basename "$1")"
    mkdir -p "$keep"; rm -rf "$k"; cp -r "$1" "$k"; printf '%s\n' "$2" >"$k/check.log"
    [ $failed -le 10 ] && echo "FAIL $k: $(head -c 1500 <<<"$2")"
}
# A translation unit that uses every object-like NET_* macro of NET.h as an
# expression, as an application does (a name smuggled into a macro's comment
# only bites where the macro is used).
use_macros() { # emitted-dir net -> prints the file name
    local m
    {
        printf '#include "%s.h"\nvoid kiln_fuzz_use(void);\nvoid kiln_fuzz_use(void)\n{\n' "$2"
        $CC -std=c99 -E -dM -Iinclude "$1/$2.h" |
            awk -v p="^$2_" '$1 == "#define" && $2 ~ p && $2 !~ /\(/ && NF > 2 {print $2}' |
            while read -r m; do printf '    (void)(%s);\n' "$m"; done
        printf '}\n'
    } >"$1/kiln_fuzz_use.c"
    echo "$1/kiln_fuzz_use.c"
}
check_dir() { # emitted-dir
    local h net out undef
    h=$(ls "$1"/*.h | head -1); net=$(basename "$h" .h)
    for src in "$1/$net.c" "$1/${net}_data.c" "$(use_macros "$1" "$net")"; do
        [ -f "$src" ] || continue
        if ! out=$($CC -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c "$src" -o "$tmp/o.o" 2>&1); then
            fail "$1" "$(basename "$src") does not compile: $out"; return
        fi
        undef=$(nm -u "$tmp/o.o" | awk '{print $2}' | grep -vE "^(kiln_|${net}_)" | tr '\n' ' ')
        out=$(nm -g --defined-only "$tmp/o.o" | awk '{print $3}' | grep -vE "^(${net}_|kiln_fuzz_use$)" | tr '\n' ' ')
        if [ -n "$out$undef" ]; then
            fail "$1" "$(basename "$src") defines [${out% }] or refers to [${undef% }] beyond the network"; return
        fi
    done
    ok=$((ok + 1))
}
for e in "$tmp"/e/*/; do
    [ -d "$e" ] || continue
    emitted=$((emitted + 1))
    check_dir "${e%/}"
done
echo "summary: $name: ${#picked[@]} inputs run, $emitted compiled by Kiln, $ok built strictly and clean, $failed failed"
[ $failed -eq 0 ]
