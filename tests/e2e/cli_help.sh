#!/usr/bin/env bash
# san: yes
# cli_help.sh - a CLI that helps: every command and subcommand answers
# --help (exit 0, a usage line), `kiln help CMD` is `kiln CMD --help`,
# `kiln --version`, "did you mean" for mistyped commands, options,
# subcommands and board names; `generate --board` keeps the blob inside the
# board's mapped flash; a model given where a blob belongs is named as such;
# `analyze --json -` writes JSON alone to stdout; QEMU progress only on a
# terminal.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
K=examples/models/kws/kws_ref_model.tflite
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

# expect NAME RC PATTERN ARGS...: exit RC and output (both streams) matching PATTERN
expect() {
    local name="$1" want_rc="$2" pat="$3"; shift 3
    "$KILN" "$@" >"$tmp/out" 2>&1; local rc=$?
    if [ $rc = "$want_rc" ] && grep -qE -- "$pat" "$tmp/out"; then ok "$name"
    else bad "$name: exit $rc"; head -3 "$tmp/out" | sed 's/^/     /'; fi
}

# --help everywhere
for c in analyze generate validate blob "blob info" flash "flash write" "flash verify" "flash read" \
         "flash erase" "flash export" "flash update" "flash slots" boards supported-ops dump help; do
    expect "kiln $c --help" 0 '^usage: kiln' $c --help
    [ "$c" = help ] && continue
    "$KILN" $c --help >"$tmp/a" 2>&1; "$KILN" help $c >"$tmp/b" 2>&1
    cmp -s "$tmp/a" "$tmp/b" && ok "kiln help $c = kiln $c --help" || bad "kiln help $c differs"
done
expect "kiln --version" 0 '^kiln [0-9]+\.[0-9]+\.[0-9]+ \(weights blob format 2\)$' --version

# did you mean
expect "command: analyse" 2 "unknown command 'analyse'; did you mean 'analyze'\?" analyse $K
expect "option: --weigths" 2 "unknown option '--weigths'; did you mean '--weights'\?" generate $K --weigths inline -o "$tmp/x"
expect "option of validate: --sample" 2 "did you mean '--samples'\?" validate $K --sample 3
expect "option of analyze: --jsn" 2 "did you mean '--json'\?" analyze $K --jsn x
expect "board: stm32h745-disco" 2 "did you mean 'stm32h745i-disco'\?" boards stm32h745-disco
expect "board of generate: stm32h745-disco" 2 "did you mean 'stm32h745i-disco'\?" generate $K -o "$tmp/x" --board stm32h745-disco
expect "flash subcommand: wrte" 2 "did you mean 'write'\?" flash wrte x
expect "flash option: --borad" 2 "did you mean '--board'\?" flash write x --borad y
expect "blob subcommand: inof" 2 "did you mean 'info'\?" blob inof x
expect "no suggestion for a word far from all" 2 "unknown command 'frobnicate'$" frobnicate
[ ! -e "$tmp/x" ] && ok "refused commands wrote nothing" || bad "a refused command wrote $tmp/x"

# generate --board: the default address is the board's flash, and the blob must lie in it
expect "generate --board: default address is the flash base" 0 "wrote" generate $K -o "$tmp/gen" --name kws --board stm32h747i-disco -q
grep -q '#define kws_BLOB_ADDRESS 0x90000000' "$tmp/gen/kws.h" && ok "kws_BLOB_ADDRESS 0x90000000 from the board" \
    || { bad "kws.h has no board address"; grep ADDRESS "$tmp/gen/kws.h"; }
expect "generate --board, address outside its flash" 2 "0x60000000 is outside stm32h747i-disco's mapped flash 0x90000000\.\.0x97ffffff" \
    generate $K -o "$tmp/c" --board stm32h747i-disco --address 0x60000000
expect "generate --board, blob past the end of its flash" 2 "would end at 0x9800[0-9a-f]{4}, past stm32h747i-disco's mapped flash" \
    generate $K -o "$tmp/c" --board stm32h747i-disco --address 0x97fff000
[ ! -e "$tmp/c" ] && ok "nothing written for an address off the board" || bad "files written for a refused address"

# a model where a blob belongs
for cmd in "blob info $K" "flash write $K --board stm32h747i-disco --device $tmp/dev.img" "validate $K --blob $K"; do
    expect "a .tflite given to ${cmd%% *} ${cmd#* }" 2 "is a TensorFlow Lite model, not a weights blob: \`kiln generate" $cmd
done

# analyze --json -
"$KILN" analyze $K --json - >"$tmp/j" 2>"$tmp/t"; rc=$?
if [ $rc = 0 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["macc"] == 2656768' "$tmp/j" \
   && grep -q '^total MACC' "$tmp/t"; then ok "analyze --json -: JSON alone on stdout, the text on stderr"
else bad "analyze --json - (exit $rc)"; fi

# QEMU progress: on a terminal only
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null && command -v script >/dev/null \
   && [ -z "${KILN_SAN:-}" ]; then
    "$KILN" validate $K --target qemu --weights inline >"$tmp/q.out" 2>"$tmp/q.err"; rc=$?
    if [ $rc = 0 ] && ! grep -q $'\033' "$tmp/q.err" "$tmp/q.out"; then ok "qemu, output redirected: no progress line"
    else bad "qemu redirected (exit $rc)"; head -3 "$tmp/q.err"; fi
    script -qec "$KILN validate $K --target qemu --weights inline" /dev/null >"$tmp/tty.out" 2>&1; rc=$?
    if [ $rc = 0 ] && grep -q 'running on QEMU: sample 1 of 1' "$tmp/tty.out" && grep -q 'building the Cortex-M7 firmware' "$tmp/tty.out"; then
        ok "qemu on a terminal: building, then sample 1 of 1"
    else bad "qemu on a terminal (exit $rc)"; tail -3 "$tmp/tty.out"; fi
else
    echo "skip qemu progress (no qemu/arm-none-eabi-gcc/script, or sanitizer run)"
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
