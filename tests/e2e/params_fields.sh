#!/usr/bin/env bash
# params_fields.sh - the runtime's headers are the one list of every kernel
# params struct's fields, and the generated code follows it (issue 14,
# item 5): for the repository's models and the MLPerf Tiny / TFLM ones (when
# ../shared is there), with the fast, compact and plain int8 kernels, every
# params struct in NET.c is a designated initializer that names every field
# of its struct in include/kiln/kernels*.h, in the header's order, nested
# structs included (tests/e2e/lib/params_fields.py reads the headers itself).
# A field added to a header that a lowering does not set, or fields moved,
# fail here instead of compiling to a silent zero; the script shows that by
# running the same check against a copy of kernels_s8.h with a field added
# and one with two fields swapped.  The headers declare each struct from an
# X-macro field list the compiler prints from (include/kiln/fields.h); a
# field declared beside that list fails the compiler's build, shown last.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }
H=include/kiln/kernels_s8.h,include/kiln/kernels_f32.h,include/kiln/kernels_data.h,include/kiln/kernels_s16.h

models=(examples/models/kws/kws_ref_model.tflite tests/models/*.onnx)
for m in ../shared/models/mlperf_tiny/*.tflite ../shared/models/tflm/*.tflite; do
    [ -f "$m" ] && models+=("$m")
done
i=0
for m in "${models[@]}"; do
    for k in fast compact plain; do
        i=$((i+1))
        # a model Kiln does not compile is another test's business
        "$KILN" generate "$m" -o "$tmp/g$i" --name net --weights inline --kernels $k -q >/dev/null 2>&1 || continue
    done
done
files=("$tmp"/g*/net.c)
[ "${#files[@]}" -gt 20 ] || bad "only ${#files[@]} networks generated"
if python3 tests/e2e/lib/params_fields.py "$H" "${files[@]}" >"$tmp/check" 2>&1; then
    ok "${#files[@]} networks: $(tail -1 "$tmp/check")"
else
    bad "params structs that do not follow the headers:"; tail -20 "$tmp/check"
fi

# the check can fail: a header with a field more, or two fields swapped
sed 's/^    F(int32_t, groups, INT)/    F(int32_t, new_field, INT) F(int32_t, groups, INT)/' \
    include/kiln/kernels_s8.h >"$tmp/added.h"
sed 's/^    F(int32_t, in_c, INT) F(int32_t, in_h, INT)/    F(int32_t, in_h, INT) F(int32_t, in_c, INT)/' \
    include/kiln/kernels_s8.h >"$tmp/swapped.h"
for v in added swapped; do
    if cmp -s "$tmp/$v.h" include/kiln/kernels_s8.h; then
        bad "the $v header is the real one (the sed found nothing)"
    elif python3 tests/e2e/lib/params_fields.py "${H/include\/kiln\/kernels_s8.h/$tmp/$v.h}" "${files[@]}" \
            >"$tmp/$v.out" 2>&1; then
        bad "kernels_s8.h with a field $v passes the check"
    else
        ok "kernels_s8.h with a field $v: $(tail -1 "$tmp/$v.out")"
    fi
done

# a field declared beside the list instead of in it: the compiler's
# description would not print it, so its build refuses the header
mkdir -p "$tmp/inc/kiln"
cp include/kiln/*.h "$tmp/inc/kiln/"
sed -i 's/^    KILN_FIELDS(KILN_CONV_S8_PARAMS_FIELDS)$/&\n    int32_t outside;/' "$tmp/inc/kiln/kernels_s8.h"
if cmp -s "$tmp/inc/kiln/kernels_s8.h" include/kiln/kernels_s8.h; then
    bad "the header with a field outside its list is the real one (the sed found nothing)"
elif ${CC:-cc} -std=c11 -fsyntax-only -I"$tmp/inc" -Icompiler compiler/passes/lir_params.c \
        >"$tmp/outside.out" 2>&1; then
    bad "lir_params.c builds with a kiln_conv_s8_params field outside its list"
elif grep -q "kiln_conv_s8_params: its fields do not fill it" "$tmp/outside.out"; then
    ok "a field outside its list fails the build: kiln_conv_s8_params: its fields do not fill it"
else
    bad "lir_params.c fails for another reason: $(head -3 "$tmp/outside.out")"
fi

echo "summary: $pass/$((pass + fail)) params-field checks passed, $fail failed"
[ "$fail" = 0 ]
