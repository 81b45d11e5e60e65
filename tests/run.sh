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
#   tests/run.sh [PATTERN]     only tests whose name contains PATTERN
set -u
cd "$(dirname "$0")/.."
pattern="${1:-}"
logs=build/test-logs
mkdir -p "$logs"
pass=0 fail=0 failed=()

run_one() { # name, command...
    local name="$1"; shift
    [[ -n "$pattern" && "$name" != *"$pattern"* ]] && return
    local log="$logs/${name//\//_}.log" t0=$SECONDS
    if "$@" >"$log" 2>&1; then
        pass=$((pass + 1)); printf 'PASS  %-50s %4ds  %s\n' "$name" $((SECONDS - t0)) "$(grep -E '^(summary|SUMMARY):' "$log" | tail -1 | cut -c1-80)"
    else
        fail=$((fail + 1)); failed+=("$name")
        printf 'FAIL  %-50s %4ds\n' "$name" $((SECONDS - t0))
        tail -n 25 "$log" | sed 's/^/      | /'
    fi
}

for build in build build/san; do
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] || continue
        run_one "unit${build#build}/$(basename "$t")" "$t"
    done
done

for s in tests/e2e/*.sh; do
    [ -f "$s" ] || continue
    n=$(basename "$s" .sh)
    run_one "e2e/$n" env KILN="$PWD/build/kiln" bash "$s"
    if head -n 5 "$s" | grep -q '^# san: yes'; then
        run_one "e2e-san/$n" env KILN="$PWD/build/san/kiln" KILN_SAN=1 bash "$s"
    fi
done

echo
if [ $fail -gt 0 ]; then
    echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
