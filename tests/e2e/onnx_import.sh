#!/usr/bin/env bash
# onnx_import.sh - every ONNX conformance case goes through the importer.
# san: yes
#
# For each case in ../shared/conformance/onnx-node and onnx-pytorch-converted
# it runs `kiln dump model.onnx --input input_0.pb ...` and checks that each
# graph output's dtype and shape equal those of output_K.pb, read by an
# independent stdlib-only Python protobuf reader below (not by Kiln).  Cases
# whose ops or attribute values Kiln does not compile must be refused with an
# "unsupported" message and exit code 2; the expected refusals are listed
# below with their reason, so a case that starts or stops importing is seen.
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-build/kiln}
CONF=../shared/conformance
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "onnx_import: python3 is needed for the reference reader"; exit 1; }
[ -d "$CONF/onnx-node" ] || { echo "onnx_import: $CONF/onnx-node not found"; exit 1; }

# case -> why Kiln refuses it
declare -A REFUSED=(
  [test_dequantizelinear_e4m3fn]="FLOAT8E4M3FN"
  [test_dequantizelinear_e4m3fn_float16]="FLOAT8E4M3FN"
  [test_dequantizelinear_e4m3fn_zero_point]="FLOAT8E4M3FN"
  [test_dequantizelinear_e5m2]="FLOAT8E5M2"
  [test_dequantizelinear_float4e2m1]="FLOAT4E2M1"
  [test_dequantizelinear_int2]="INT2"
  [test_dequantizelinear_int4]="INT4"
  [test_dequantizelinear_uint2]="UINT2"
  [test_dequantizelinear_uint4]="UINT4"
  [test_quantizelinear_e4m3fn]="FLOAT8E4M3FN"
  [test_quantizelinear_e5m2]="FLOAT8E5M2"
  [test_quantizelinear_float4e2m1]="FLOAT4E2M1"
  [test_quantizelinear_int2]="INT2"
  [test_quantizelinear_int4]="INT4"
  [test_quantizelinear_uint2]="UINT2"
  [test_quantizelinear_uint4]="UINT4"
  [test_PReLU_1d]="PRelu"
  [test_PReLU_1d_multiparam]="PRelu"
  [test_PReLU_2d]="PRelu"
  [test_PReLU_2d_multiparam]="PRelu"
  [test_PReLU_3d]="PRelu"
  [test_PReLU_3d_multiparam]="PRelu"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The reference: dtype and dims of every output_K.pb, straight from the
# TensorProto bytes (field 1 dims, field 2 data_type).
cat >"$tmp/ref.py" <<'EOF'
import sys
NAMES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
         9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << s; s += 7
        if not c & 0x80:
            return v, i
def tensor_type(path):
    b = open(path, "rb").read()
    i, dims, dt = 0, [], 0
    while i < len(b):
        tag, i = varint(b, i)
        f, w = tag >> 3, tag & 7
        if w == 0:
            v, i = varint(b, i)
            if f == 1: dims.append(v)
            if f == 2: dt = v
        elif w == 1: i += 8
        elif w == 5: i += 4
        elif w == 2:
            n, i = varint(b, i)
            if f == 1:
                j = i
                while j < i + n:
                    v, j = varint(b, j); dims.append(v)
            i += n
        else:
            raise SystemExit("bad wire type in " + path)
    return "%s[%s]" % (NAMES.get(dt, "type%d" % dt), ",".join(str(d) for d in dims))
import os
for d in sys.argv[1:]:
    data = os.path.join(d, "test_data_set_0")
    outs = []
    for k in range(64):
        p = os.path.join(data, "output_%d.pb" % k)
        if os.path.exists(p):
            outs.append(tensor_type(p))
    print(os.path.basename(os.path.normpath(d)) + "\t" + " ".join(outs))
EOF

# One Python run for every case (interpreter start-up is slow on some hosts).
declare -A WANT=()
while IFS=$'\t' read -r n w; do WANT[$n]=$w; done < <("$PY" "$tmp/ref.py" "$CONF"/onnx-node/*/ "$CONF"/onnx-pytorch-converted/*/)
[ ${#WANT[@]} -gt 0 ] || { echo "onnx_import: the reference reader produced nothing"; exit 1; }

imported=0 shapes_ok=0 refused=0 failed=0
declare -A refused_ops=()
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

for dir in "$CONF"/onnx-node/*/ "$CONF"/onnx-pytorch-converted/*/; do
    name=$(basename "$dir")
    data="$dir/test_data_set_0"
    inputs=()
    for k in {0..63}; do
        [ -f "$data/input_$k.pb" ] && inputs+=(--input "$data/input_$k.pb")
    done
    "$KILN" dump "$dir/model.onnx" "${inputs[@]}" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if grep -q -E "AddressSanitizer|runtime error|LeakSanitizer" "$tmp/err"; then
        fail "$name" "sanitizer report"; sed 's/^/    /' "$tmp/err" | head -20
        continue
    fi
    if [ $rc -ne 0 ]; then
        if [ $rc -ne 2 ] || ! grep -q "unsupported" "$tmp/err"; then
            fail "$name" "exit $rc: $(head -c 400 "$tmp/err")"
        elif [ -z "${REFUSED[$name]+x}" ]; then
            fail "$name" "refused but expected to import: $(head -c 400 "$tmp/err")"
        elif ! grep -q -- "${REFUSED[$name]}" "$tmp/err"; then
            fail "$name" "refused, but the message does not name '${REFUSED[$name]}': $(head -c 400 "$tmp/err")"
        elif "$KILN" dump "$dir/model.onnx" >/dev/null 2>"$tmp/err2"; [ $? -eq 2 ] &&
             grep -q "unsupported" "$tmp/err2" && grep -q -- "${REFUSED[$name]}" "$tmp/err2"; then
            # The importer itself (no input files read) refuses it too.
            refused=$((refused + 1))
            refused_ops[${REFUSED[$name]}]=1
        else
            fail "$name" "the model alone is not refused as unsupported ${REFUSED[$name]}: $(head -c 400 "$tmp/err2")"
        fi
        continue
    fi
    if [ -n "${REFUSED[$name]+x}" ]; then
        fail "$name" "imported, but expected to be refused (${REFUSED[$name]})"
        continue
    fi
    imported=$((imported + 1))
    # "  output %name:dtype[dims]" (a constant output is printed with '#')
    got=$(sed -n 's/^  output [%#].*:\([a-z0-9]*\[[0-9,]*\]\).*$/\1/p' "$tmp/out" | tr '\n' ' ')
    want="${WANT[$name]:-} "
    if [ -n "${WANT[$name]:-}" ] && [ "$got" == "$want" ]; then
        shapes_ok=$((shapes_ok + 1))
    else
        fail "$name" "outputs $(echo $got) but the reference says $(echo $want)"
    fi
done

ops=$(printf '%s\n' "${!refused_ops[@]}" | sort | tr '\n' ' ')
echo "summary: imported $imported, shapes ok $shapes_ok, refused $refused (ops: ${ops% }), failed $failed"
[ $failed -eq 0 ]
