#!/usr/bin/env bash
# run.sh - runs every test and prints "N passed, N failed" last.
#
# A test is (1) a cmocka binary built from tests/unit/test_*.c, run from the
# normal build and again from the ASan/UBSan build (build/san), or (2) an
# end-to-end script tests/e2e/NAME.sh, run with $KILN pointing at the normal
# build; scripts whose first lines contain "# san: yes" run a second time with
# the sanitizer build of kiln (whose `validate` also compiles the generated code
# with ASan/UBSan).  Each test's output goes to build/test-logs/; a failing
# test's log tail is printed.
#
# Tests run in parallel lanes (default: one per CPU), longest first: the time
# each test took is kept in build/test-logs/durations.tsv for the next run's
# order; on a first run, scripts marked "# slow: yes" go first.  A script and
# its sanitizer run share one lane, one after the other, so they never race
# on the paths they share, unless the script says "# lanes: split" (its two
# runs share no path, so each may take a lane of its own).
#
#   tests/run.sh [-j N] [PATTERN]     only tests whose name contains PATTERN
set -u
cd "$(dirname "$0")/.."
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
if [ "${1:-}" = -j ]; then jobs=$2; shift 2; fi
case $jobs in ''|*[!0-9]*|0) echo "run.sh: -j wants a positive number, got '$jobs'" >&2; exit 2;; esac
pattern="${1:-}"
logs=build/test-logs
mkdir -p "$logs"
durations=$logs/durations.tsv
lanes=$(mktemp -d "${TMPDIR:-/tmp}/kiln-run.XXXXXX")
trap 'rm -rf "$lanes"' EXIT

matches() { [[ -z "$pattern" || "$1" == *"$pattern"* ]]; }

run_one() { # name, command...   prints one PASS/FAIL line (and a failure's log tail)
    local name="$1"; shift
    local log="$logs/${name//\//_}.log" t0=$SECONDS
    if "$@" >"$log" 2>&1; then
        printf 'PASS  %-50s %4ds  %s\n' "$name" $((SECONDS - t0)) "$(grep -E '^(summary|SUMMARY):' "$log" | tail -1 | cut -c1-80)"
    else
        printf 'FAIL  %-50s %4ds\n' "$name" $((SECONDS - t0))
        tail -n 25 "$log" | sed 's/^/      | /'
    fi
    printf '%s\t%s\n' "$name" $((SECONDS - t0)) >>"$lanes/durations"
}

# A job is "unit BINARY", "e2e SCRIPT" (the script, then its sanitizer run),
# "e2e-plain SCRIPT" or "e2e-san SCRIPT" (one of them); its cost is the last
# run's seconds.
run_job() {
    local kind=$1 what=$2 n
    if [ "$kind" = unit ]; then
        local build=${what%/tests/*}
        run_one "unit${build#build}/$(basename "$what")" "$what"
        return
    fi
    n=$(basename "$what" .sh)
    if [ "$kind" != e2e-san ] && matches "e2e/$n"; then
        run_one "e2e/$n" env KILN="$PWD/build/kiln" bash "$what"
    fi
    if [ "$kind" != e2e-plain ] && head -n 5 "$what" | grep -q '^# san: yes' && matches "e2e-san/$n"; then
        run_one "e2e-san/$n" env KILN="$PWD/build/san/kiln" KILN_SAN=1 bash "$what"
    fi
}

cost() { # job name(s) -> seconds from the last run; a slow-marked script counts 1000
    local total=0 name s
    for name in "$@"; do
        s=$(awk -F'\t' -v n="$name" '$1 == n { s = $2 } END { print s + 0 }' "$durations" 2>/dev/null)
        total=$((total + ${s:-0}))
    done
    echo "$total"
}

list=()
for build in build build/san; do
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] || continue
        matches "unit${build#build}/$(basename "$t")" && list+=("$(cost "unit${build#build}/$(basename "$t")") unit $t")
    done
done
for s in tests/e2e/*.sh; do
    [ -f "$s" ] || continue
    n=$(basename "$s" .sh)
    matches "e2e/$n" || matches "e2e-san/$n" || continue
    slow=0
    if [ ! -s "$durations" ] && head -n 5 "$s" | grep -q '^# slow: yes'; then slow=1000; fi
    if head -n 5 "$s" | grep -q '^# lanes: split'; then
        matches "e2e/$n" && list+=("$(( $(cost "e2e/$n") + slow )) e2e-plain $s")
        head -n 5 "$s" | grep -q '^# san: yes' && matches "e2e-san/$n" &&
            list+=("$(( $(cost "e2e-san/$n") + slow )) e2e-san $s")
        continue
    fi
    c=$(cost "e2e/$n" "e2e-san/$n")
    [ "$slow" -gt 0 ] && c=$slow
    list+=("$c e2e $s")
done

i=0 running=0 printed=()
flush() { # print the output of every job that has finished, once
    local f k
    for f in "$lanes"/*.done; do
        [ -e "$f" ] || continue
        k=$(basename "$f" .done)
        [ -n "${printed[$k]:-}" ] && continue
        printed[$k]=1
        cat "$lanes/$k.out"
    done
}
mapfile -t order < <(printf '%s\n' "${list[@]}" | sort -k1,1nr -s)
for job in "${order[@]}"; do
    read -r _ kind what <<<"$job"
    while [ "$running" -ge "$jobs" ]; do
        wait -n 2>/dev/null
        running=$((running - 1))
        flush
    done
    ( run_job "$kind" "$what" >"$lanes/$i.out" 2>&1; : >"$lanes/$i.done" ) &
    running=$((running + 1)) i=$((i + 1))
done
wait
flush

# Keep the durations of tests that ran now and of those that did not.
if [ -s "$lanes/durations" ]; then
    touch "$durations"
    { awk -F'\t' 'NR == FNR { now[$1] = 1; print; next } !($1 in now)' "$lanes/durations" "$durations"; } >"$durations.new" && mv "$durations.new" "$durations"
fi

pass=$(cat "$lanes"/*.out 2>/dev/null | grep -c '^PASS  ')
fail=$(cat "$lanes"/*.out 2>/dev/null | grep -c '^FAIL  ')
echo
if [ "$fail" -gt 0 ]; then
    echo "failed: $(cat "$lanes"/*.out | awk '/^FAIL  / { printf "%s ", $2 }')"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
