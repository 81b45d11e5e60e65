#!/usr/bin/env bash
# doc_commands.sh - the commands the documentation shows work (issue 14,
# item 7).  Every line of a code block in README.md and docs/*.md that starts
# with `kiln` or `build/kiln` (after an optional `$ ` prompt) is, in the
# order the files are read (README.md, then docs/*.md by name):
#  - run, from a scratch directory that sees the repository's examples/,
#    tests/ and boards/ (so `-o out` writes there), when every file it reads
#    is there: it must exit 0 (a pipe, as in `--json - | python3 -m json.tool`,
#    runs whole, with pipefail);
#  - otherwise (a placeholder such as model.bin or my-board, a GDB server,
#    `[--signature 0x...]`) checked against `kiln CMD [SUB] --help`: the
#    command exists and its help lists every option the line uses;
#  - skipped when it is printed output (`kiln flash write: ...`, `kiln
#    flash: error: ...`) or a diagram, which the script says.
# And the other way round: every command of `kiln --help` and every flash
# subcommand is documented (docs/cli.md, flash.md, boards.md), and so is
# every option their --help lists (`dump --fuse-qdq` and `flash slots` were
# not).
set -u -o pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 ran=0 helped=0 skipped=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

mkdir "$tmp/w"
for d in examples tests boards; do ln -s "$ROOT/$d" "$tmp/w/$d"; done

# file:line<TAB>command, for every documented command line
python3 - "$ROOT" >"$tmp/cmds" <<'EOF'
import glob, os, re, sys
root = sys.argv[1]
files = ['README.md'] + sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, 'docs/*.md')))
for f in files:
    block = False
    for n, line in enumerate(open(os.path.join(root, f), encoding='utf-8'), 1):
        if line.lstrip().startswith('```'):
            block = not block
            continue
        s = line.strip()
        if s.startswith('$ '):
            s = s[2:]
        if block and re.match(r'(build/)?kiln(\s|$)', s):
            print(f'{f}:{n}\t{s}')
EOF
[ -s "$tmp/cmds" ] || { echo "FAIL no commands found"; echo "summary: 0 passed, 1 failed"; exit 1; }

# the words of a command line without its comment and the leading kiln
words() { sed -E 's/[[:space:]]+#.*$//; s/^(build\/)?kiln[[:space:]]*//' <<<"$1"; }

# whether every file the line reads exists (relative to the scratch dir):
# each argument that names a file (has a '/' or an extension), except the
# ones after an option that names an output
reads_present() {
    local prev="" w
    for w in $1; do
        case $w in
            \|) return 0 ;;   # the rest is the pipe's reader
            \[*|*...*|\<*) return 1 ;;
        esac
        case $prev in -o|--html|--json|--keep) prev=$w; continue ;; esac
        case $prev in --gdb) return 1 ;; esac
        # a board name must be one of boards/ (my-board is a placeholder)
        if [[ $prev == --board || ( $prev == boards && $w != -* ) ]] && [ ! -e "$tmp/w/boards/$w.json" ]; then
            return 1
        fi
        if [[ $w != -* && ( $w == */* || $w =~ \.[a-z]+$ ) ]] && [ ! -e "$tmp/w/$w" ]; then
            return 1
        fi
        prev=$w
    done
    return 0
}

# kiln CMD [SUB] --help lists every option of the line
help_lists_options() {
    local line=$1 cmd sub help o missing=""
    read -r cmd sub _ <<<"$line"
    case $cmd in blob|flash) ;; *) sub="" ;; esac
    if ! help=$("$KILN" $cmd $sub --help 2>&1); then
        echo "kiln $cmd $sub --help fails"; return 1
    fi
    for o in $(grep -oE '(^|[[:space:]\[])(--[a-z0-9-]+|-[a-z])' <<<"$line" | tr -d ' [' ); do
        grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" <<<"$help" || missing+=" $o"
    done
    [ -z "$missing" ] || { echo "kiln $cmd $sub --help does not list:$missing"; return 1; }
}

while IFS=$'\t' read -r where text; do
    line=$(words "$text")
    first=${line%% *}
    second=$(awk '{ print $2 }' <<<"$line")
    if [[ $first == *: || $second == *: || $line == *[^[:print:]]* ]] || LC_ALL=C grep -q '[^ -~]' <<<"$line"; then
        skipped=$((skipped+1)); echo "skip $where: output or diagram: $text"
        continue
    fi
    if reads_present "$line"; then
        ran=$((ran+1))
        if (cd "$tmp/w" && eval "\"$KILN\" $line") >"$tmp/out.log" 2>&1; then
            ok "$where: ran: kiln $line"
        else
            bad "$where: kiln $line (exit $?)"; tail -5 "$tmp/out.log"
        fi
    else
        helped=$((helped+1))
        if msg=$(help_lists_options "$line"); then
            ok "$where: --help lists its options: kiln $line"
        else
            bad "$where: $msg"
        fi
    fi
done <"$tmp/cmds"

# --- the other way: what --help lists is documented --------------------------------
docs=$(cat docs/cli.md docs/flash.md docs/boards.md)
cmds=$("$KILN" --help 2>&1 | awk '/^commands:/ { on = 1; next } on && NF { print $1 }' | grep -v '^help$')
[ -n "$cmds" ] || bad "kiln --help lists no command"
subs=$("$KILN" flash --help 2>&1 | awk '/^  [a-z]+ / { print $1 }' | sort -u)
for c in $cmds; do
    for sub in "" $( [ "$c" = flash ] && echo $subs ); do
        name="kiln $c${sub:+ $sub}"
        grep -qF -- "$name" <<<"$docs" || { bad "'$name' is not in the docs"; continue; }
        missing=""
        for o in $("$KILN" $c $sub --help 2>&1 | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u); do
            grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" <<<"$docs" || missing+=" $o"
        done
        [ -z "$missing" ] && ok "$name: documented, with every option its --help lists" \
            || bad "$name --help lists options the docs do not:$missing"
    done
done

echo "summary: $pass/$((pass + fail)) documented commands ($ran run, $helped checked against --help, $skipped output lines skipped), $fail failed"
[ "$fail" = 0 ]
