#!/usr/bin/env bash
# onnx_fuzz.sh - damaged ONNX files never crash the importer.
# san: yes
#
# A fixed set of conformance models is cut short and bit-flipped in a
# deterministic way (seeded generator below, same variants on every run) and
# each variant goes to `kiln dump` (with the case's input values, so imports
# go deep).  Every run must end with exit 0 (it still parses) or exit 2 with a
# "kiln dump: ..." message; a signal (a hang hits the CPU limit), another exit code or any
# sanitizer report is a failure.  The sanitizer build runs a smaller share of
# the variants to stay under two minutes.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-build/kiln}
CONF=../shared/conformance
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "onnx_fuzz: python3 is needed to make the variants"; exit 1; }
[ -d "$CONF/onnx-node" ] || { echo "onnx_fuzz: $CONF/onnx-node not found"; exit 1; }
PER_MODEL=${KILN_FUZZ_PER_MODEL:-300}
[ "${KILN_SAN:-0}" = 1 ] && PER_MODEL=${KILN_FUZZ_PER_MODEL:-60}

cases=(
  onnx-pytorch-converted/test_Conv2d_depthwise_padded
  onnx-pytorch-converted/test_BatchNorm2d_eval
  onnx-pytorch-converted/test_PixelShuffle
  onnx-pytorch-converted/test_Linear
  onnx-pytorch-converted/test_ConvTranspose2d
  onnx-node/test_lstm_with_peepholes
  onnx-node/test_qlinearconv
  onnx-node/test_resize_tf_crop_and_resize_axes_2_3
  onnx-node/test_slice_neg_steps
  onnx-node/test_maxpool_with_argmax_2d_precomputed_pads
)

# A hang becomes a failure: no import of these small files needs a minute
# of CPU (the limit is per process and inherited by every kiln run).
ulimit -t 60

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/gen.py" <<'EOF'
import os, sys
out, per = sys.argv[1], int(sys.argv[2])
state = 0x2545F4914F6CDD1D
def rnd(n):
    # xorshift64: deterministic across runs and Python versions
    global state
    state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
    state ^= state >> 7
    state ^= (state << 17) & 0xFFFFFFFFFFFFFFFF
    return state % n
for ci, path in enumerate(sys.argv[3:]):
    b = open(path, "rb").read()
    n = len(b)
    variants = []
    # truncations: every length up to 48 bytes, then spread over the file
    for k in range(min(n, 48)):
        variants.append(b[:k])
    while len(variants) < per // 4:
        variants.append(b[:rnd(n)])
    while len(variants) < per:
        v = bytearray(b)
        kind = rnd(4)
        for _ in range(1 + rnd(3)):
            i = rnd(n)
            if kind == 0:
                v[i] ^= 1 << rnd(8)          # bit flip
            elif kind == 1:
                v[i] = (0x00, 0xff, 0x7f, 0x80)[rnd(4)]   # boundary bytes
            elif kind == 2:
                v[i] = (v[i] + 1 + rnd(3)) & 0xff          # nudge a length or tag
            else:
                j = rnd(n)                   # copy a byte from elsewhere
                v[i] = v[j]
        variants.append(bytes(v))
    for vi, v in enumerate(variants):
        with open(os.path.join(out, "%02d_%04d.onnx" % (ci, vi)), "wb") as f:
            f.write(v)
EOF

mkdir -p "$tmp/v"
models=()
for c in "${cases[@]}"; do models+=("$CONF/$c/model.onnx"); done
"$PY" "$tmp/gen.py" "$tmp/v" "$PER_MODEL" "${models[@]}" || { echo "onnx_fuzz: generator failed"; exit 1; }

runs=0 parsed=0 rejected=0 failed=0
for ci in "${!cases[@]}"; do
    data="$CONF/${cases[$ci]}/test_data_set_0"
    inputs=()
    for k in {0..15}; do
        [ -f "$data/input_$k.pb" ] && inputs+=(--input "$data/input_$k.pb")
    done
    for f in "$tmp/v/$(printf %02d "$ci")"_*.onnx; do
        runs=$((runs + 1))
        "$KILN" dump "$f" "${inputs[@]}" >/dev/null 2>"$tmp/err"
        rc=$?
        err=""
        IFS= read -r -d '' err <"$tmp/err"   # builtin: no process per variant
        bad=""
        if [[ "$err" == *Sanitizer* || "$err" == *"runtime error"* ]]; then
            bad="sanitizer report"
        elif [ $rc -eq 0 ]; then
            parsed=$((parsed + 1))
        elif [ $rc -eq 2 ] && [[ "$err" == "kiln dump: "?* || "$err" == *$'\n'"kiln dump: "?* ]]; then
            # the error line may follow warnings the importer printed first
            rejected=$((rejected + 1))
        else
            bad="exit $rc"
        fi
        if [ -n "$bad" ]; then
            failed=$((failed + 1))
            keep="build/fuzz-failures"
            mkdir -p "$keep" && cp "$f" "$keep/"
            echo "FAIL ${cases[$ci]} variant $(basename "$f") ($bad), kept in $keep/:"
            head -n 15 "$tmp/err" | sed 's/^/    /'
        fi
    done
done
echo "summary: $runs variants, $parsed imported, $rejected rejected with a message, $failed failed"
[ $failed -eq 0 ] && [ $runs -gt 0 ]
