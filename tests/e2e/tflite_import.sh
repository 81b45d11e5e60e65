#!/usr/bin/env bash
# tflite_import.sh - every bundled .tflite model through `kiln dump`.
# san: yes
#
# Independent facts checked:
#  - graph inputs and outputs (name, dtype, shape, scale, zero point) against
#    the seed1.log files TFLite Micro wrote (../shared/reference/tflm/);
#  - node counts per IR op against the published architectures of the models
#    (listed below with where each count comes from);
#  - the models Kiln cannot compile are refused with exit 2 and a message
#    naming the operator and the reason (hybrid quantization).
set -u
KILN=${KILN:-build/kiln}
MODELS=../shared/models
REF=../shared/reference/tflm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# Node counts per IR op, from the architectures (depthwise convs are IR Conv
# with group = C, so Conv counts regular + depthwise):
#  kws_ref_model (DS-CNN): conv + 4 x (depthwise + pointwise) = 9 Conv, avg pool,
#    flatten, dense, softmax.
#  vww_96 (MobileNetV1 0.25): conv + 13 x (dw + pw) = 27 Conv, avg pool, flatten,
#    dense, softmax.
#  pretrainedResnet (ResNet-8): conv + 3 stacks x 2 convs + 2 shortcut 1x1 convs
#    = 9 Conv, 3 Add, avg pool, flatten, dense, softmax.
#  ad01 (FC autoencoder): 10 dense layers.
#  str_ww_ref_model: 4 x (depthwise + pointwise) = 8 Conv, flatten, dense, softmax.
#  hello_world: 3 dense layers.
#  micro_speech: one (depthwise) conv, dense, softmax, the model's reshape and
#    the reshape Kiln inserts to flatten the 4-D dense input = 2 Reshape.
#  person_detect (MobileNetV1 0.25, 1-channel input): first conv is depthwise
#    (x8), 13 x (dw + pw), a 1x1 conv classifier = 28 Conv, avg pool, reshape,
#    softmax.
#  keyword_scrambled(_8bit): TFLM's keyword benchmark, whose per-op profile
#    (tensorflow/tensorflow#47098) lists QUANTIZE, 4 x (SVDF, FULLY_CONNECTED),
#    2 more SVDF, FULLY_CONNECTED, SOFTMAX, QUANTIZE = 7 SVDF, 5 dense, softmax
#    and 2 integer QUANTIZE (IR Requantize).
declare -A COUNTS=(
    [kws_ref_model]="AveragePool=1 Conv=9 FullyConnected=1 Reshape=1 Softmax=1"
    [vww_96_int8]="AveragePool=1 Conv=27 FullyConnected=1 Reshape=1 Softmax=1"
    [vww_96_float]="AveragePool=1 Conv=27 FullyConnected=1 Reshape=1 Softmax=1"
    [pretrainedResnet]="Add=3 AveragePool=1 Conv=9 FullyConnected=1 Reshape=1 Softmax=1"
    [pretrainedResnet_quant]="Add=3 AveragePool=1 Conv=9 FullyConnected=1 Reshape=1 Softmax=1"
    [ad01_int8]="FullyConnected=10"
    [ad01_fp32]="FullyConnected=10"
    [str_ww_ref_model]="Conv=8 FullyConnected=1 Reshape=1 Softmax=1"
    [hello_world_float]="FullyConnected=3"
    [hello_world_int8]="FullyConnected=3"
    [micro_speech_quantized]="Conv=1 FullyConnected=1 Reshape=2 Softmax=1"
    [person_detect]="AveragePool=1 Conv=28 Reshape=1 Softmax=1"
    [keyword_scrambled]="FullyConnected=5 Requantize=2 SVDF=7 Softmax=1"
    [keyword_scrambled_8bit]="FullyConnected=5 Requantize=2 SVDF=7 Softmax=1"
)
# Models refused, and what the message must say.
declare -A REFUSED=(
    [kws_ref_model_float32]="operator 0 (CONV_2D v2): hybrid operator"
)

# "%name:dtype[d,..]{s=S,zp=Z}" -> "name|dtype|d,..|S|Z" (S, Z empty if none)
parse_tensor() {
    local re='^%(.*):([a-z0-9]+)\[([0-9,]*)\](\{s=([^,]+),zp=(-?[0-9]+)\})?$'
    if [[ "$1" =~ $re ]]; then
        echo "${BASH_REMATCH[1]}|${BASH_REMATCH[2]}|${BASH_REMATCH[3]}|${BASH_REMATCH[5]}|${BASH_REMATCH[6]}"
    else
        echo "unparsable"
    fi
}

# "input[0]: name=N dtype=INT8 shape=[1,2] bytes=.. scale=S zero_point=Z"
parse_log() {
    local re='name=(.*) dtype=([A-Z0-9]+) shape=\[([0-9,]*)\] bytes=[0-9]+ scale=([^ ]+) zero_point=(-?[0-9]+)'
    [[ "$1" =~ $re ]] || { echo "unparsable"; return; }
    local dt
    dt=$(echo "${BASH_REMATCH[2]}" | tr 'A-Z' 'a-z')
    local s=${BASH_REMATCH[4]} z=${BASH_REMATCH[5]}
    [ "$dt" = float32 ] && s= && z=
    echo "${BASH_REMATCH[1]}|$dt|${BASH_REMATCH[3]}|$s|$z"
}

same_tensor() { # dump-form log-form: names, dtypes, shapes, zero points exact; scales to 1e-5
    local IFS='|'
    read -r n1 d1 s1 q1 z1 <<<"$1"
    read -r n2 d2 s2 q2 z2 <<<"$2"
    [ "$n1" = "$n2" ] && [ "$d1" = "$d2" ] && [ "$s1" = "$s2" ] && [ "$z1" = "$z2" ] || return 1
    [ -z "$q1$q2" ] && return 0
    awk -v a="$q1" -v b="$q2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d / b < 1e-5) }'
}

check_io() { # model-stem dump-file
    local log="$REF/$1/seed1.log" kind n
    local -a want got
    [ -f "$log" ] || return 0
    for kind in input output; do
        mapfile -t want < <(grep "^$kind\[" "$log")
        mapfile -t got < <(grep "^  $kind " "$2" | sed "s/^  $kind *//")
        if [ ${#want[@]} -ne ${#got[@]} ]; then
            bad "$1: ${#got[@]} ${kind}s, TFLM reports ${#want[@]}"
            continue
        fi
        for ((n = 0; n < ${#want[@]}; n++)); do
            local w g
            w=$(parse_log "${want[$n]}")
            g=$(parse_tensor "${got[$n]}")
            if same_tensor "$g" "$w"; then
                pass=$((pass + 1))
            else
                bad "$1: $kind $n is '$g', TFLM says '$w'"
            fi
        done
    done
}

op_counts() { # dump-file -> "Op=n ..." sorted by op name
    grep -E '^ +[0-9]+ ' "$1" | awk '{ print $2 }' | sort | uniq -c |
        awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 } END { print "" }'
}

n_models=0
for m in "$MODELS"/*/*.tflite; do
    stem=$(basename "$m" .tflite)
    n_models=$((n_models + 1))
    out="$tmp/$stem.out" err="$tmp/$stem.err"
    timeout 60 "$KILN" dump "$m" >"$out" 2>"$err"
    rc=$?
    if grep -qE 'Sanitizer|runtime error' "$err"; then
        bad "$stem: sanitizer report"; head -5 "$err"; continue
    fi
    if [ -n "${REFUSED[$stem]:-}" ]; then
        if [ $rc -eq 2 ] && grep -qF "${REFUSED[$stem]}" "$err"; then
            pass=$((pass + 1))
            echo "ok   $stem refused: $(head -c 160 "$err")"
        else
            bad "$stem: expected exit 2 with '${REFUSED[$stem]}', got exit $rc: $(head -c 300 "$err")"
        fi
        continue
    fi
    if [ $rc -ne 0 ]; then
        bad "$stem: exit $rc: $(head -c 400 "$err")"
        continue
    fi
    want="${COUNTS[$stem]:-}"
    got=$(op_counts "$out")
    if [ -z "$want" ]; then
        bad "$stem: no expected op counts in this test (got: $got)"
    elif [ "$got" != "$want" ]; then
        bad "$stem: op counts '$got', architecture says '$want'"
    else
        pass=$((pass + 1))
    fi
    check_io "$stem" "$out"
    echo "ok   $stem: $got"
done

[ $n_models -ge 15 ] || bad "found only $n_models models under $MODELS"
echo "summary: $pass checks passed, $fail failed, $n_models models"
[ $fail -eq 0 ]
