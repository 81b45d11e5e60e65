#!/usr/bin/env bash
# san: yes
# svdf_models.sh - the stateful SVDF op through the whole chain (TFLite
# importer -> IR -> lowering -> generated C -> runtime kernels), several
# invocations in a row so the state's shift and history are exercised:
#
#  1. models: TFLM's keyword_scrambled (int16 state) and keyword_scrambled_8bit
#     (int8 state with non-zero zero points), and three small models written
#     by svdf_mkmodel.c (float32 with two chained SVDFs, rank 2 and 3, batch
#     2, bias and none, RELU; int8 with an int8 state of zero point -20; int8
#     with an int16 state), with --weights external and inline, through
#     `kiln validate --seed N --samples K` against the reference evaluator,
#     whose session carries the state from sample to sample: float within the
#     default tolerance, int8 within 1 LSB (the evaluator rounds exact real
#     values where the kernels use TFLite's 31-bit multipliers; a state value
#     one LSB off can move the output by one LSB too);
#  2. the same runs against an independent numpy model of TFLite-Micro's SVDF
#     (tests/gen/svdf_ref.py), bit for bit: the small models' outputs, and
#     the keyword models' last SVDF output (tensor 47) and logits (tensor 50),
#     made graph outputs by a retargeted copy of the file (the full models end
#     in a softmax that saturates on random inputs, which would hide errors);
#  3. kiln_net_reset: generated code for svdf_s8 run three times on one input
#     (the outputs must change: the state matters), reset, run again (must
#     equal the first run, i.e. the state is back to its zero-point fill).
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
PY=/usr/bin/python3
REF=tests/gen/svdf_ref.py
MODELS=../shared/models/tflm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Itests -Icompiler -Iinclude \
    -o "$tmp/svdf_mkmodel" tests/e2e/svdf_mkmodel.c || { echo "FAIL svdf_mkmodel does not build"; exit 1; }
"$tmp/svdf_mkmodel" "$tmp" || { echo "FAIL svdf_mkmodel"; exit 1; }
for m in keyword_scrambled keyword_scrambled_8bit; do
    [ -f "$MODELS/$m.tflite" ] || { bad "$m: model file missing"; continue; }
    cp "$MODELS/$m.tflite" "$tmp/$m.tflite"
    for t in 47 50; do
        $PY $REF --retarget "$MODELS/$m.tflite" $t "$tmp/$m.t$t.tflite" || bad "$m: retarget to tensor $t"
    done
done

# name samples numpy(yes/no) lsb-option
check() {
    local name=$1 samples=$2 numpy=$3 lsb=$4 seed w out
    [ -f "$tmp/$name.tflite" ] || return
    for seed in 1 4; do
        for w in external inline; do
            rm -rf "$tmp/run"
            out=$("$KILN" validate "$tmp/$name.tflite" --seed $seed --samples $samples $lsb --weights $w \
                  --keep "$tmp/run" 2>&1)
            if [ $? -ne 0 ]; then
                bad "$name seed $seed $w: kiln validate"; echo "$out" | tail -5 | sed 's/^/     /'
                continue
            fi
            ok "$name seed $seed $w: reference evaluator, $(grep -m1 -oE 'max_abs [^ ]+|max_lsb [0-9]+' <<<"$out" | tail -1)"
            [ $numpy = yes ] || continue
            if ! $PY $REF "$tmp/$name.tflite" "$tmp/run/input.bin" $samples "$tmp/numpy.bin"; then
                bad "$name seed $seed $w: numpy model failed"
            elif cmp -s "$tmp/numpy.bin" "$tmp/run/output.bin"; then
                ok "$name seed $seed $w: identical to the numpy TFLM model over $samples invocations"
            else
                bad "$name seed $seed $w: outputs differ from the numpy TFLM model"
                cmp "$tmp/numpy.bin" "$tmp/run/output.bin" | head -2 | sed 's/^/     /'
            fi
        done
    done
}

check svdf_f32 8 yes ""
check svdf_s8 8 yes "--max-lsb 1"
check svdf_s16 8 yes "--max-lsb 1"
for m in keyword_scrambled keyword_scrambled_8bit; do
    check $m 4 no "--max-lsb 1"
    check $m.t47 4 yes "--max-lsb 1"
    check $m.t50 4 yes "--max-lsb 1"
done

# 3. kiln_net_reset restores the state init gives.
if "$KILN" generate "$tmp/svdf_s8.tflite" --weights inline --name svdf -o "$tmp/gen" -q >/dev/null; then
    cat > "$tmp/gen/main.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "svdf.h"
static uint8_t arena[svdf_ARENA_BYTES + 1] KILN_ALIGNED(16);
int main(void)
{
    kiln_net net;
    int8_t x[24], y[4][8];
    for (int i = 0; i < 24; i++)
        x[i] = (int8_t)(i * 37 - 100);
    memset(arena, 0xA5, sizeof arena);      /* what init must overwrite */
    if (svdf_init(&net, 0, 0, arena, sizeof arena, 0) != KILN_OK)
        return 1;
    const kiln_state_desc *s = &svdf_model.state[0];
    for (uint32_t i = 0; i < s->bytes; i++)
        if (arena[s->offset + i] != (uint8_t)(int8_t)-20) {
            printf("state byte %u after init is %u, not the zero point -20\n", i, arena[s->offset + i]);
            return 1;
        }
    const void *in[1] = {x};
    for (int k = 0; k < 4; k++) {
        if (k == 3 && kiln_net_reset(&net) != KILN_OK)
            return 1;
        void *out[1] = {y[k]};
        if (svdf_run(&net, in, out) != KILN_OK)
            return 1;
    }
    if (!memcmp(y[0], y[1], 8) && !memcmp(y[1], y[2], 8)) {
        printf("the same input gave the same output three times: the state had no effect\n");
        return 1;
    }
    if (memcmp(y[0], y[3], 8)) {
        printf("after kiln_net_reset the output differs from the first run\n");
        return 1;
    }
    printf("state filled with the zero point at init; 3 runs differ; after reset run 1 is repeated\n");
    return 0;
}
C
    if cc -std=c99 -Wall -Wextra -Werror -Iinclude -I"$tmp/gen" "$tmp/gen/svdf.c" "$tmp/gen/svdf_data.c" \
          "$tmp/gen/main.c" build/libkilnrt.a -lm -o "$tmp/gen/reset" 2>"$tmp/gen/err"; then
        if msg=$("$tmp/gen/reset"); then ok "kiln_net_reset: $msg"; else bad "kiln_net_reset: $msg"; fi
    else
        bad "kiln_net_reset test does not build"; head -5 "$tmp/gen/err"
    fi
else
    bad "kiln generate svdf_s8"
fi

echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
