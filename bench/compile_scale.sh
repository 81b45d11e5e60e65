#!/usr/bin/env bash
# bench/compile_scale.sh - how compile time grows with the graph: `kiln
# analyze` and `kiln generate` on chains of 10k, 40k and 200k nodes
# (tests/unit/chain_model.h: Add of a constant, Relu, Add, ...; the Relus
# fuse, so N nodes make N/2 kernel calls and N/2 blob tensors).
#
# Prints wall seconds per command and size, and the growth from 10k to 200k
# nodes: 20x the nodes should cost about 20x the time (a quadratic pass
# would cost 400x).  Numbers, not pass/fail.  With KILN_BASE=/path/to/kiln
# the same commands also run on that (older) build, for before/after ratios.
#
#   bench/compile_scale.sh [N...]          default: 10000 40000 200000
set -u
cd "$(dirname "$0")/.."
KILN="${KILN:-$PWD/build/kiln}"
[ -x "$KILN" ] || { echo "bench/compile_scale.sh: $KILN not built (run make)" >&2; exit 2; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 40000 200000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -O2 -Itests -o "$tmp/mk" tests/e2e/chain_mkmodel.c ||
    { echo "bench/compile_scale.sh: chain_mkmodel does not build" >&2; exit 2; }

# Wall seconds of one command (its output discarded); "fail" if it fails.
secs() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo fail; return; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

builds=("$KILN")
[ -n "${KILN_BASE:-}" ] && builds+=("$KILN_BASE")
printf '%-8s %-9s %10s %10s' nodes command "seconds" "us/node"
[ -n "${KILN_BASE:-}" ] && printf ' %10s %8s' "base s" "base/new"
echo
declare -A first last
for n in "${sizes[@]}"; do
    "$tmp/mk" "$n" "$tmp/chain$n.onnx" || exit 2
    for cmd in analyze generate; do
        times=()
        for k in "${builds[@]}"; do
            rm -rf "$tmp/out"
            if [ $cmd = analyze ]; then
                times+=("$(secs "$k" analyze "$tmp/chain$n.onnx")")
            else
                times+=("$(secs "$k" generate "$tmp/chain$n.onnx" -o "$tmp/out")")
            fi
        done
        t=${times[0]}
        printf '%-8s %-9s %10s %10s' "$n" "$cmd" "$t" \
            "$(awk -v t="$t" -v n="$n" 'BEGIN { if (t == "fail") print "-"; else printf "%.1f", 1e6 * t / n }')"
        if [ ${#times[@]} -gt 1 ]; then
            printf ' %10s %8s' "${times[1]}" \
                "$(awk -v a="${times[1]}" -v b="$t" 'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "-"; else printf "%.1fx", a / b }')"
        fi
        echo
        [ -n "${first[$cmd]:-}" ] || first[$cmd]="$n $t"
        last[$cmd]="$n $t"
    done
done
for cmd in analyze generate; do
    read -r n0 t0 <<<"${first[$cmd]}"
    read -r n1 t1 <<<"${last[$cmd]}"
    [ "$n0" = "$n1" ] && continue
    awk -v c=$cmd -v n0="$n0" -v t0="$t0" -v n1="$n1" -v t1="$t1" 'BEGIN {
        if (t0 == "fail" || t1 == "fail" || t0 == 0) exit
        printf "%s: %dx the nodes (%d -> %d) took %.1fx the time\n", c, n1 / n0, n0, n1, t1 / t0 }'
done
