#!/usr/bin/env bash
# generated_code.sh - the generated NET.c reads like code a firmware engineer
# wrote (issue 14, item 5), and is still the same network:
#  - every params struct is a named, multi-line designated initializer with
#    enum names (KILN_LAYOUT_NHWC, KILN_RQ_*), no bare `.layout = 1`;
#  - kiln_io_desc is designated, its dtype by name, never `(kiln_dtype)2`;
#  - weights are read through named offsets (NET_W_CONV0), never `w + 8400`,
#    and each named offset is where `kiln blob info --tensors` (the blob's own
#    directory, read by the runtime's blob code) puts that tensor;
#  - each layer's calls sit under a comment with the op, the shapes and the
#    source node; no line of NET.c runs past 160 columns (names are cut);
#  - <math.h> only where the code names HUGE_VALF;
#  - NET_WEIGHTS_ATTR (or KILN_WEIGHTS_ATTR) puts the inline blob in the named
#    section, whole (objdump), and nothing else there;
#  - it compiles under -std=c99 -pedantic -Wall -Wextra -Werror and
#    `kiln validate` matches TensorFlow Lite Micro's output for KWS.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }
STRICT="-std=c99 -pedantic -Wall -Wextra -Werror"
KWS=examples/models/kws

gen() { # model dir name [options]
    local m=$1 d=$2 n=$3; shift 3
    "$KILN" generate "$m" -o "$d" --name "$n" -q "$@" >"$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; return 1; }
}

gen $KWS/kws_ref_model.tflite "$tmp/kws" kws --weights inline || { echo "summary: 0 passed, 1 failed"; exit 1; }
gen $KWS/kws_ref_model.tflite "$tmp/kwsx" kws || { echo "summary: 0 passed, 1 failed"; exit 1; }
gen tests/models/small_cnn.onnx "$tmp/cnn" cnn --weights inline || { echo "summary: 0 passed, 1 failed"; exit 1; }
gen tests/models/qdq_ops_s8.onnx "$tmp/qdq" qdq --weights inline --kernels plain ||
    { echo "summary: 0 passed, 1 failed"; exit 1; }
C=$tmp/kws/kws.c

# --- params structs ---------------------------------------------------------
if grep -qE '^static const kiln_[a-z0-9_]*_params [a-z0-9_]+ = \{.*\};' "$tmp"/*/*.c; then
    bad "a params struct on one line:"; grep -hE '^static const kiln_.*_params .* = \{.*\};' "$tmp"/*/*.c | head -2
else
    ok "every params struct spans several lines"
fi
n_conv=$(grep -cE '^static const kiln_conv_s8_params (conv|depthwise_conv)[0-9]+_params = \{$' "$C")
[ "$n_conv" = 9 ] && ok "KWS: 9 conv params structs named conv0_params, depthwise_conv1_params, ..." \
    || bad "KWS: $n_conv named conv params structs, expected 9"
if grep -A20 '^static const kiln_conv_s8_params conv0_params' "$C" | grep -qx '    .in_c = 1, .in_h = 49, .in_w = 10,' &&
   grep -A20 '^static const kiln_conv_s8_params conv0_params' "$C" | grep -qx '    .layout = KILN_LAYOUT_NHWC,' &&
   grep -A20 '^static const kiln_conv_s8_params conv0_params' "$C" | grep -qE '^        .mode = KILN_RQ_[A-Z_]+,$'; then
    ok "conv0_params: field groups a line, .layout and .rq.mode by name"
else
    bad "conv0_params layout:"; grep -A20 '^static const kiln_conv_s8_params conv0_params' "$C"
fi
if grep -nE '\.(layout|mode) = [0-9]' "$C" "$tmp/qdq/qdq.c"; then
    bad "an enum field as a bare number (above)"
else
    ok "no .layout/.mode as a bare number (int8 packed and plain kernels)"
fi
grep -q 'KILN_LAYOUT_NCHW' "$tmp/cnn/cnn.c" && ok "float conv: .layout = KILN_LAYOUT_NCHW" \
    || bad "float conv params without KILN_LAYOUT_NCHW"

# --- io descriptors -----------------------------------------------------------
if grep -q '(kiln_dtype)' "$tmp"/*/*.c; then
    bad "(kiln_dtype)N in generated code"
elif grep -A3 'kws_inputs\[1\] = {' "$C" | grep -q '\.dtype = KILN_BLOB_DT_S8,' &&
     grep -A6 'kws_inputs\[1\] = {' "$C" | grep -q '\.shape = { 1, 49, 10, 1 },'; then
    ok "kiln_io_desc designated: .dtype = KILN_BLOB_DT_S8, .shape = { 1, 49, 10, 1 }"
else
    bad "kws_inputs:"; grep -A12 'kws_inputs\[1\]' "$C"
fi

# --- named weights --------------------------------------------------------------
if grep -nE '\(w \+ [0-9]' "$tmp"/*/*.c | head -3 | grep .; then
    bad "weights read through a bare offset (above)"
else
    ok "no (w + NUMBER): every weight operand is a named offset"
fi
"$KILN" blob info "$tmp/kwsx/kws_data.bin" --tensors >"$tmp/info" 2>&1
# "#define kws_W_CONV0   2432u /* NAME... */" vs the directory's offsets
grep -oE '^#define kws_W_[A-Z0-9_]+ +[0-9]+u' "$tmp/kwsx/kws.c" | awk '{ sub(/u$/, "", $3); print $3 }' \
    | sort -n >"$tmp/named"
awk '$1 ~ /^[0-9]+$/ && NF >= 7 { print $2 }' "$tmp/info" | sort -n >"$tmp/dir"
if [ -s "$tmp/named" ] && cmp -s "$tmp/named" "$tmp/dir"; then
    ok "KWS: $(wc -l <"$tmp/named") named weight offsets, each a tensor of the blob's directory, all of them"
else
    bad "named offsets $(tr '\n' ' ' <"$tmp/named") vs blob directory $(tr '\n' ' ' <"$tmp/dir")"
fi
grep -q '(const uint8_t \*)(w + kws_W_CONV0)' "$C" && grep -q '^#define kws_W_FULLY_CONNECTED11 ' "$C" \
    && ok "layers read kws_W_CONV0 ... kws_W_FULLY_CONNECTED11" || bad "kws_W_* names"

# --- comments and lines ---------------------------------------------------------
n_layers=$(grep -cE '^    /\* Layer [0-9]+: [A-Za-z]+ \[[0-9,]+\] -> \[[0-9,]+\]' "$C")
[ "$n_layers" = 12 ] && ok "KWS: 12 layer comments with op and shapes" || bad "$n_layers layer comments, expected 12"
grep -A1 -F '/* Layer 1: DepthwiseConv [1,25,5,64] -> [1,25,5,64], 72000 MACs */' "$C" \
    | grep -qF '/* DEPTHWISE_CONV_2D functional_1/activation_1/Relu;' \
    && ok "layer 1: DepthwiseConv, shapes, MACs, then source op and node name" || bad "layer 1 comment"
long=$(awk 'length > 160' "$tmp"/*/*.c "$tmp"/*/*.h | grep -v '^0x' | wc -l)
[ "$long" = 0 ] && ok "no line of NET.c/NET.h past 160 columns" || bad "$long lines past 160 columns"

# --- <math.h> ---------------------------------------------------------------------
! grep -q 'math.h' "$C" && ok "KWS (no HUGE_VALF): no #include <math.h>" || bad "KWS includes <math.h>"
grep -q 'HUGE_VALF' "$tmp/cnn/cnn.c" && grep -q '#include <math.h>' "$tmp/cnn/cnn.c" \
    && ok "small_cnn (HUGE_VALF): includes <math.h>" || bad "small_cnn: HUGE_VALF without <math.h>, or neither"

# --- strict builds ------------------------------------------------------------------
for d in kws kwsx cnn qdq; do
    for f in "$tmp/$d"/*.c; do
        case $f in *_data.c|*/"$d".c) ;; *) continue ;; esac
        gcc $STRICT -Iinclude -I"$tmp/$d" -c "$f" -o "$f.o" 2>"$tmp/cc.err" \
            || { bad "$f does not build strict"; head -5 "$tmp/cc.err"; continue 2; }
    done
    ok "$d: builds with gcc $STRICT"
done

# --- NET_WEIGHTS_ATTR ---------------------------------------------------------------
blob_hex=$(printf '%08x' "$(stat -c %s "$tmp/kwsx/kws_data.bin")")
sect() { objdump -h "$1" | awk -v s="$2" '$2 == s { print $3 }'; }
gcc $STRICT -Iinclude -I"$tmp/kws" -c "$tmp/kws/kws_data.c" -o "$tmp/a.o" \
    "-Dkws_WEIGHTS_ATTR=__attribute__((section(\".kws_weights\")))"
gcc $STRICT -Iinclude -I"$tmp/kws" -c "$tmp/kws/kws_data.c" -o "$tmp/b.o" \
    "-DKILN_WEIGHTS_ATTR=__attribute__((section(\".all_weights\")))"
[ "$(sect "$tmp/a.o" .kws_weights)" = "$blob_hex" ] && [ -z "$(sect "$tmp/a.o" .rodata)" ] \
    && ok "-Dkws_WEIGHTS_ATTR: the whole blob (0x$blob_hex bytes) in .kws_weights" \
    || { bad "kws_WEIGHTS_ATTR section"; objdump -h "$tmp/a.o"; }
[ "$(sect "$tmp/b.o" .all_weights)" = "$blob_hex" ] && ok "-DKILN_WEIGHTS_ATTR: the blob in .all_weights" \
    || { bad "KILN_WEIGHTS_ATTR section"; objdump -h "$tmp/b.o"; }

# --- the same network -----------------------------------------------------------------
if "$KILN" validate $KWS/kws_ref_model.tflite --input $KWS/seed1.in --expected $KWS/seed1.out \
        >"$tmp/v.log" 2>&1; then
    ok "KWS validate on the host: $(grep '^result' "$tmp/v.log") (TFLM's seed1.out)"
else
    bad "KWS validate against TFLM"; tail -5 "$tmp/v.log"
fi

echo "summary: $pass/$((pass + fail)) generated-code checks passed, $fail failed"
[ "$fail" = 0 ]
