#!/usr/bin/env bash
# bench/run.sh - memory and speed of the generated code next to TFLite-Micro's.
#
# For every model with TFLM reference data (../shared/reference/tflm/): MACs,
# weights-blob bytes, Kiln's arena and its lifetime lower bound against TFLM's
# measured arena_used_bytes; with --qemu also the guest instructions per
# inference on the emulated Cortex-M7 (kiln validate --target qemu) against
# TFLM with CMSIS-NN and with its reference kernels, as measured in
# ../shared/reference/README.md.  TFLM's arena also holds its persistent
# buffers (per-channel multipliers and the like), which Kiln computes at
# compile time and keeps in flash with the weights.  Numbers, not pass/fail: targets live here and
# not in tests.  Writes build/bench/results.md and build/bench/*.json.
#
#   bench/run.sh [--qemu] [MODEL_NAME...]
set -u
cd "$(dirname "$0")/.."
KILN="${KILN:-$PWD/build/kiln}"
SHARED="${SHARED:-$PWD/../shared}"
REF="$SHARED/reference/tflm"
qemu=0
names=()
for a in "$@"; do
    case "$a" in
        --qemu) qemu=1 ;;
        -h|--help) sed -n 2,12p "$0"; exit 0 ;;
        -*) echo "bench/run.sh: unknown option '$a'" >&2; exit 2 ;;
        *) names+=("$a") ;;
    esac
done
[ -x "$KILN" ] || { echo "bench/run.sh: $KILN not built (run make)" >&2; exit 2; }
[ -d "$REF" ] || { echo "bench/run.sh: no reference data at $REF" >&2; exit 2; }
if [ ${#names[@]} -eq 0 ]; then
    for d in "$REF"/*/; do names+=("$(basename "$d")"); done
fi
out=build/bench
mkdir -p "$out"

# Numbers from the reference README's table of the emulated Cortex-M7 peer:
# "| model | MACs | CMSIS-NN insns | per MAC | reference-kernel insns | arena |".
tflm_insns() { # model column(3 = CMSIS-NN, 5 = reference kernels)
    awk -F'|' -v m="$1" -v c="$2" '/^## The peer/ { peer = 1 } { gsub(/ /, "", $2) }
        peer && $2 == m { v = $(c + 1); gsub(/[ ,]/, "", v); print v }' \
        "$SHARED/reference/README.md"
}
num() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
grp() { printf "%d" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

{
    echo "| model | MACs | blob bytes | Kiln arena | lower bound | TFLM arena | arena vs TFLM |$([ $qemu = 1 ] && echo " Kiln insns/inference | insns/MAC | TFLM+CMSIS-NN | TFLM reference kernels |")"
    echo "|---|---|---|---|---|---|---|$([ $qemu = 1 ] && echo "---|---|---|---|")"
} >"$out/results.md"

status=0
for m in "${names[@]}"; do
    model="$SHARED/models/mlperf_tiny/$m.tflite"
    [ -f "$model" ] || { echo "bench/run.sh: no model $model" >&2; status=2; continue; }
    if ! "$KILN" analyze "$model" --json "$out/$m.analyze.json" >/dev/null 2>"$out/$m.err"; then
        echo "bench/run.sh: $m: $(cat "$out/$m.err")" >&2; status=2; continue
    fi
    macc=$(num "$out/$m.analyze.json" "['macc']")
    blob=$(num "$out/$m.analyze.json" "['blob_bytes']")
    arena=$(num "$out/$m.analyze.json" "['arena_bytes']")
    lb=$(num "$out/$m.analyze.json" "['arena_lower_bound_bytes']")
    tflm=$(sed -n 's/^arena_used_bytes: //p' "$REF/$m/seed1.log")
    ratio=$(python3 -c "print(f'{$arena/$tflm:.2f}x')")
    row="| $m | $(grp "$macc") | $(grp "$blob") | $(grp "$arena") | $(grp "$lb") | $(grp "$tflm") | $ratio |"
    if [ $qemu = 1 ]; then
        if "$KILN" validate "$model" --target qemu --input "$REF/$m/seed1.in" --expected "$REF/$m/seed1.out" \
                --json "$out/$m.qemu.json" >"$out/$m.qemu.log" 2>&1; then
            insns=$(num "$out/$m.qemu.json" "['instructions_per_inference']")
            per=$(python3 -c "print(f'{$insns/$macc:.2f}')")
            cm=$(tflm_insns "$m" 3); rk=$(tflm_insns "$m" 5)
            row="$row $(grp "$insns") | $per | ${cm:+$(grp "$cm")} | ${rk:+$(grp "$rk")} |"
        else
            echo "bench/run.sh: $m on qemu failed, see $out/$m.qemu.log" >&2; status=2
            row="$row failed | | | |"
        fi
    fi
    echo "$row" >>"$out/results.md"
done
cat "$out/results.md"
exit $status
