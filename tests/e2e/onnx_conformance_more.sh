#!/usr/bin/env bash
# slow: yes
# onnx_conformance_more.sh - the 399 ONNX v1.22 operator cases of
# ../shared/conformance/onnx-node-more/ (index onnx-node-more.tsv: the MCU
# operator set of issue 11 - elementwise math, comparisons and logic,
# reductions, shape arithmetic, normalizations, If/Loop/Range) through
# `kiln validate --target host` with each case's own inputs and expected
# outputs (computed by the ONNX project, an independent reference).
#
# Every case ends in one of three ways:
#   PASS     validate exits 0 (every output within tolerance);
#   REFUSED  validate exits 2 with a message saying what is unsupported
#            (an op, an opset, a data type): Kiln declined, it did not guess;
#   NOT RUN  `kiln validate` cannot feed the case, for reasons outside the
#            compiler: a zero-element input or output sample; listed with the
#            message, never counted as a pass;
#   FAIL     anything else: a wrong number (exit 1), a crash, a refusal that
#            does not say why.  One FAIL fails the test.
# MIN_PASS pins how many cases pass today, so that a regression that turns a
# pass into a refusal fails the test too.  Runs all cases (about 2 minutes on
# one core); CONF_SUBSET=N runs every N-th case only.
# Per-case results: build/test-logs/onnx_conformance_more.txt.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
SHARED=${SHARED:-../shared/conformance}
MIN_PASS=${MIN_PASS:-399}
SUBSET=${CONF_SUBSET:-1}
out=build/test-logs/onnx_conformance_more${KILN_SAN:+_san}.txt
mkdir -p build/test-logs
: > "$out"

run_case() { # dir -> prints "exit|message-head"
    local d=$1 args=() f
    for f in "$d"/test_data_set_0/input_*.pb; do [ -f "$f" ] && args+=(--input "$f"); done
    for f in "$d"/test_data_set_0/output_*.pb; do [ -f "$f" ] && args+=(--expected "$f"); done
    local log rc
    log=$(timeout 600 "$KILN" validate "$d/model.onnx" "${args[@]}" 2>&1); rc=$?
    printf '%s|%s' "$rc" "$(echo "$log" | grep -E 'kiln validate:|FAIL|result:' | head -3 | tr '\n' ' ' | cut -c1-300)"
}

pass=0 refused=0 notrun=0 fail=0 i=0
failed_list=()
declare -A refused_ops=()
while IFS=$'\t' read -r name ops opset dtypes; do
    [ "$name" = test ] && continue
    i=$((i+1))
    [ $(( (i-1) % SUBSET )) -eq 0 ] || continue
    d="$SHARED/onnx-node-more/$name"
    if [ ! -d "$d" ]; then fail=$((fail+1)); failed_list+=("$name(missing)"); continue; fi
    r=$(run_case "$d"); rc=${r%%|*}; msg=${r#*|}
    if [ "$rc" = 0 ]; then
        pass=$((pass+1)); echo "PASS    $name" >> "$out"
    elif [ "$rc" = 2 ] && [[ "$msg" =~ unsupported:\ ([^\`]*) ]]; then
        refused=$((refused+1)); echo "REFUSED $name ($ops $dtypes): ${BASH_REMATCH[1]}" >> "$out"
        why=${BASH_REMATCH[1]}; why=${why%% (*}; why=${why%%;*}
        refused_ops[$why]=$(( ${refused_ops[$why]:-0} + 1 ))
    elif [ "$rc" = 2 ] && [[ "$msg" =~ has\ shape\ \[([0-9]+,)*0(,[0-9]+)*\] ]]; then
        notrun=$((notrun+1)); echo "NOT RUN $name: $msg" >> "$out"
    else
        fail=$((fail+1)); failed_list+=("$name"); echo "FAIL    $name ($ops $dtypes) rc=$rc $msg" >> "$out"
    fi
done < "$SHARED/onnx-node-more.tsv"

grep -E '^(FAIL|NOT RUN)' "$out" | head -40
echo "refusals by reason:"
for k in "${!refused_ops[@]}"; do printf '  %4d  %s\n' "${refused_ops[$k]}" "$k"; done | sort -rn | head -40
total=$((pass+refused+notrun+fail))
echo "onnx-node-more: $pass passed, $refused refused with a reason, $notrun not run (validate cannot feed them), $fail failed (of $total)"
echo "summary: $pass/$total passed, $refused refused, $notrun not run, $fail failed"
[ $fail -eq 0 ] || exit 1
if [ "$SUBSET" = 1 ] && [ $pass -lt "$MIN_PASS" ]; then
    echo "fewer cases pass than the $MIN_PASS pinned: a regression"; exit 1
fi
exit 0
