#!/usr/bin/env bash
# run.sh - `make fuzz`: builds every fuzz harness with clang's libFuzzer and
# ASan/UBSan (tests/fuzz/fuzz.mk) and runs each for a fixed time.
#
#   FUZZ_SECONDS=600 FUZZ_TARGETS="onnx blob" bash tests/fuzz/run.sh
#
# FUZZ_SECONDS: per target (default 600); FUZZ_TARGETS: a subset (default
# all); FUZZ_JOBS: targets run at once (default 1); FUZZ_KEEP_GOING=1: go on
# after a crash (libFuzzer's fork mode), to see past a known bug.  Each target starts from
# its seeds in tests/fuzz/corpus/<target>/ and keeps what it learns in
# build/fuzz/corpus/<target>/ (delete it to start over).  Per target it
# prints executions, exec/s, coverage (edges and features) and crashes;
# a crash, leak, timeout or out-of-memory input is saved to
# build/fuzz/crashes/<target>/ (the previous run's move to crashes.prev/)
# and makes the run fail.  Afterwards the C
# emitted for up to FUZZ_EMIT_CHECK (default 200) compiling inputs of the
# onnx and tflite corpora is built strictly (check_emit.sh).  Reproduce a
# crash with: build/fuzz/libfuzzer/fuzz_<target> FILE.
set -uo pipefail
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-600}
TARGETS=${FUZZ_TARGETS:-onnx tflite tensor blob infer board vproto firmware gdb}
JOBS=${FUZZ_JOBS:-1}
OUT=build/fuzz
BIN=$OUT/libfuzzer

if ! command -v clang >/dev/null || ! bash tests/fuzz/have_libfuzzer.sh; then
    echo "fuzz: clang with libFuzzer is needed (Debian: apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi
make -s kiln || exit 2
make -s -f tests/fuzz/fuzz.mk -j2 ENGINE=libfuzzer || { echo "fuzz: the harnesses do not build" >&2; exit 2; }

max_len() {
    case $1 in onnx | tflite) echo 65536 ;; blob | infer) echo 32768 ;; gdb) echo 8192 ;; firmware) echo 1024 ;; *) echo 4096 ;; esac
}
# Hostile-name tokens for the model targets (names.dict).
dict() {
    case $1 in onnx | tflite) echo -dict=tests/fuzz/names.dict ;; *) echo -print_final_stats=1 ;; esac
}

keep_going=()
[ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)

run_target() { # target -> build/fuzz/logs/<target>.log
    local t=$1 art=$OUT/crashes/$1/
    # This run's crashes only: earlier ones move to crashes.prev/.
    if [ -n "$(ls -A "$art" 2>/dev/null)" ]; then
        rm -rf "$OUT/crashes.prev/$t" && mkdir -p "$OUT/crashes.prev" && mv "$art" "$OUT/crashes.prev/$t"
    fi
    mkdir -p "$OUT/corpus/$t" "$art" "$OUT/logs"
    "$BIN/fuzz_$t" "${keep_going[@]}" -max_total_time="$SECS" -timeout=30 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -print_final_stats=1 "$(dict "$t")" -artifact_prefix="$art" "$OUT/corpus/$t" "tests/fuzz/corpus/$t" \
        >"$OUT/logs/$t.log" 2>&1
}

# Per target: "target  executions  exec/s  cov  ft  crashes".  Fork mode
# prints no final stats: its last "#N: cov: ... exec/s R" line has them.
report() {
    local t=$1 log=$OUT/logs/$1.log execs rate cov ft crashes
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
        execs=$(grep -oE '^#[0-9]+: cov' "$log" | tail -1 | tr -dc '0-9')
        rate=$(grep -oE 'exec/s [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    fi
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    crashes=$(find "$OUT/crashes/$t" -type f | wc -l)
    printf '%-9s %12s %8s %7s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
    [ "$crashes" -eq 0 ] && [ -n "$execs" ]
}

echo "fuzz: ${SECS}s per target, $JOBS at a time: $TARGETS"
running=0
for t in $TARGETS; do
    [ -x "$BIN/fuzz_$t" ] || { echo "fuzz: no harness fuzz_$t" >&2; exit 2; }
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

bad=0
printf '\n%-9s %12s %8s %7s %8s %8s\n' target executions exec/s cov ft crashes
for t in $TARGETS; do report "$t" || bad=$((bad + 1)); done
# What the saved inputs do (rerun; fork mode may keep many: the first 5).
for t in $TARGETS; do
    for f in $(find "$OUT/crashes/$t" -type f | sort | head -5); do
        echo "  $f"
        "$BIN/fuzz_$t" -timeout=30 "$f" 2>&1 |
            grep -m1 -E 'ERROR: (Address|Undefined|Leak)Sanitizer|runtime error|broken promise|ERROR: libFuzzer' |
            sed 's/^/    /'
    done
done

emit_bad=0
for t in onnx tflite; do
    [[ " $TARGETS " == *" $t "* ]] || continue
    bash tests/fuzz/check_emit.sh -n "${FUZZ_EMIT_CHECK:-200}" "$BIN/fuzz_$t" "$OUT/corpus/$t" "tests/fuzz/corpus/$t" ||
        emit_bad=$((emit_bad + 1))
done
echo "summary: $(wc -w <<<"$TARGETS") targets for ${SECS}s each, $bad with crashes or no run, $emit_bad emitted-code checks failed"
[ $bad -eq 0 ] && [ $emit_bad -eq 0 ]
