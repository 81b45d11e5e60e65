#!/usr/bin/env bash
# slow: yes
# san: yes
# int16_models.sh - TFLite's 16x8 ops (int16 activations, int8 weights)
# through the whole chain (TFLite importer -> IR -> lowering -> generated C
# -> runtime kernels), on three models written by int16_mkmodel.c: s16_cnn
# (CONV_2D with int64 bias and RELU, DEPTHWISE_CONV_2D, MAX_POOL_2D,
# AVERAGE_POOL_2D with RELU6, FULLY_CONNECTED), s16_b32 (CONV_2D with int32
# bias and without bias, which TFLM runs with an int32 accumulator, a
# bias-less DEPTHWISE_CONV_2D, FULLY_CONNECTED with an int32 bias) and
# s16_add (ADD of two branches with different scales, ADD of a broadcast
# constant with RELU, SUB, MUL by a broadcast constant):
#
#  1. bit for bit against an independent numpy model of TFLM's kernels
#     (tests/gen/int16_ref.py), `kiln validate --input --expected --max-lsb 0`,
#     several seeds, --weights inline and external;
#  2. against Kiln's reference evaluator (the default of `kiln validate`,
#     exact real arithmetic rounded once per layer) within 1 LSB;
#  3. s16_cnn and s16_add once on the emulated Cortex-M7 (--target qemu)
#     against the numpy model, skipped when qemu-system-arm or
#     arm-none-eabi-gcc is missing;
#  4. an int16 input with a non-zero zero point is refused with a message
#     that says so, and so is an int16 ADD with pot_scale_int16 = true.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
PY=/usr/bin/python3
REF=tests/gen/int16_ref.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Itests -Icompiler -Iinclude \
    -o "$tmp/mk" tests/e2e/int16_mkmodel.c || { echo "FAIL int16_mkmodel does not build"; exit 1; }
"$tmp/mk" "$tmp" || { echo "FAIL int16_mkmodel"; exit 1; }

# Random int16 input of n elements from seed s (full range, both signs).
mkinput() { $PY -c "import numpy as np,sys; np.random.RandomState($2).randint(-32768,32768,$1).astype('<i2').tofile(sys.argv[1])" "$3"; }

for name in s16_cnn s16_b32 s16_add; do
    case $name in s16_cnn) n=192 ;; s16_b32) n=98 ;; s16_add) n=48 ;; esac
    for seed in 1 2 3; do
        mkinput $n $seed "$tmp/$name.$seed.in"
        if ! $PY $REF "$tmp/$name.tflite" "$tmp/$name.$seed.in" "$tmp/$name.$seed.exp"; then
            bad "$name seed $seed: numpy model failed"; continue
        fi
        for w in external inline; do
            out=$("$KILN" validate "$tmp/$name.tflite" --input "$tmp/$name.$seed.in" \
                  --expected "$tmp/$name.$seed.exp" --max-lsb 0 --weights $w 2>&1)
            if [ $? -eq 0 ]; then
                ok "$name seed $seed $w: identical to the numpy TFLM model"
            else
                bad "$name seed $seed $w: differs from the numpy TFLM model"; echo "$out" | tail -4 | sed 's/^/     /'
            fi
        done
        out=$("$KILN" validate "$tmp/$name.tflite" --input "$tmp/$name.$seed.in" --max-lsb 1 2>&1)
        if [ $? -eq 0 ]; then
            ok "$name seed $seed: reference evaluator, $(grep -m1 -oE 'max_lsb [0-9]+' <<<"$out")"
        else
            bad "$name seed $seed: reference evaluator"; echo "$out" | tail -4 | sed 's/^/     /'
        fi
    done
done

if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "SKIP qemu: qemu-system-arm or arm-none-eabi-gcc not installed"
else
    for name in s16_cnn s16_add; do
        out=$("$KILN" validate "$tmp/$name.tflite" --target qemu --input "$tmp/$name.1.in" \
              --expected "$tmp/$name.1.exp" --max-lsb 0 2>&1)
        if [ $? -eq 0 ]; then
            ok "$name on the emulated Cortex-M7: identical to the numpy TFLM model"
        else
            bad "$name on the emulated Cortex-M7"; echo "$out" | tail -4 | sed 's/^/     /'
        fi
    done
fi

# 4. A zero point on an int16 activation is refused, naming the cause.
$PY - "$tmp/s16_b32.tflite" "$tmp/zp.tflite" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
# The input's zero-point vector holds one int64 0 right after the scale
# 1/8192; make it 5.
scale = struct.pack('<f', 1.0 / 8192)
i = d.find(scale)
j = d.find(b'\x01\x00\x00\x00' + b'\x00' * 8, i)
assert i > 0 and j > i
d[j + 4:j + 12] = struct.pack('<q', 5)
open(sys.argv[2], 'wb').write(d)
PY
out=$("$KILN" generate "$tmp/zp.tflite" -o "$tmp/zp" -q 2>&1)
if [ $? -ne 0 ] && grep -q "zero point 5; int16 activations must have zero point 0" <<<"$out"; then
    ok "int16 input with zero point 5 refused: $(grep -m1 -o "input '[^']*' has zero point 5[^;]*" <<<"$out")"
else
    bad "int16 input with zero point 5 not refused as expected"; echo "$out" | tail -3 | sed 's/^/     /'
fi

# TFLite's power-of-two int16 ADD (pot_scale_int16 left at its default,
# true) is refused rather than computed with the general scaling.
out=$("$KILN" generate "$tmp/s16_pot.tflite" -o "$tmp/pot" -q 2>&1)
if [ $? -ne 0 ] && grep -q "int16 ADD with pot_scale_int16 = true" <<<"$out"; then
    ok "int16 ADD with pot_scale_int16 = true refused"
else
    bad "int16 ADD with pot_scale_int16 = true not refused as expected"; echo "$out" | tail -3 | sed 's/^/     /'
fi

echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
