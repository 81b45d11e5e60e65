#!/usr/bin/env bash
# fc_host_native.sh - the host FULLY_CONNECTED layout (--cpu host, blob
# layout 15 fc8host, kiln_fully_connected_s8_host):
#  - its random families (tests/kernels/packed_cases.c against the plain
#    kernel) built at the host flags -O3 -march=native, so the AVX-512 VNNI
#    intrinsics run where the CPU has them, and again with the portable C
#    forced (-DKILN_FC_HOST_PORTABLE);
#  - the blob: --cpu host gives every AD layer an fc8host stream, the
#    default (cortex-m7) its gemm16x4 streams, and the signature covers the
#    choice: host code refuses the Cortex-M blob;
#  - AD on the host equals TFLM's output with the layout memory-mapped and
#    streamed through a staging buffer smaller than a layer (tiles of whole
#    8-channel groups).
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
B=${KILN_BUILD_DIR:-build}
M=../shared/models/mlperf_tiny/ad01_int8.tflite
R=../shared/reference/tflm/ad01_int8
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/     /' | head -12; }

# The families: the runtime at the host flags (libkilnrt-native.a), the
# packing from the compiler library.
flags=(-std=c99 -O3 -march=native -Wall -Wextra -Werror -Wno-stringop-overflow -Iinclude -Icompiler -I. -Itests/kernels)
cases=(tests/kernels/fc_host_main.c tests/kernels/packed_cases.c)
for v in native portable; do
    vf=() extra=()
    if [ $v = portable ]; then # this object comes before the library's, so it is the one linked
        vf=(-DKILN_FC_HOST_PORTABLE)
        cc "${flags[@]}" "${vf[@]}" -c runtime/kernels/fully_connected_s8_host.c -o "$tmp/fch.o" &&
            extra=("$tmp/fch.o") || { bad "build the portable kernel"; continue; }
    fi
    if ! out=$(cc "${flags[@]}" "${vf[@]}" "${cases[@]}" "${extra[@]}" "$B/libkilnc.a" "$B/libkilnrt-native.a" \
                 -lm -o "$tmp/fc_$v" 2>&1); then
        bad "build the $v families" "$out"; continue
    fi
    out=$("$tmp/fc_$v" 2>&1); rc=$?
    path=$(sed -n 's/^path: //p' <<<"$out")
    if [ $rc -eq 0 ] && grep -q '^fc host: 4000 cases.* 0 failing' <<<"$out" &&
       grep -q '^fc host edges: 3000 cases.* 0 failing' <<<"$out"; then
        ok "$v build ($path): $(grep -c ' 0 failing' <<<"$out") families equal the plain FC"
    else
        bad "$v build ($path): exit $rc" "$out"
    fi
    if [ $v = portable ] && [ "$path" != portable ]; then bad "the portable build runs the $path path"; fi
done

for cpu in host cortex-m7; do
    "$KILN" generate $M --cpu $cpu -o "$tmp/$cpu" -q >/dev/null || { echo "generate --cpu $cpu failed"; exit 1; }
done
info=$("$KILN" blob info "$tmp/host/ad01_int8_data.bin" --tensors 2>&1)
if [ "$(grep -c ' fc8host ' <<<"$info")" -eq 10 ] && ! grep -q ' gemm16x4 ' <<<"$info"; then
    ok "--cpu host blob: the 10 FC layers are fc8host streams"
else
    bad "--cpu host blob directory" "$info"
fi
info=$("$KILN" blob info "$tmp/cortex-m7/ad01_int8_data.bin" --tensors 2>&1)
if [ "$(grep -c ' gemm16x4 ' <<<"$info")" -eq 10 ] && ! grep -q ' fc8host ' <<<"$info"; then
    ok "--cpu cortex-m7 blob: the 10 FC layers keep gemm16x4"
else
    bad "--cpu cortex-m7 blob directory" "$info"
fi

val() { "$KILN" validate $M --target host --input $R/seed1.in --expected $R/seed1.out "$@" 2>&1; }
out=$(val --blob "$tmp/cortex-m7/ad01_int8_data.bin"); rc=$?
if [ $rc -eq 2 ] && grep -qi 'signature' <<<"$out"; then
    ok "host code refuses the Cortex-M blob: $(grep -m1 -i signature <<<"$out" | cut -c1-100)"
else
    bad "host code on the Cortex-M blob: exit $rc (want 2, signature)" "$out"
fi
out=$(val); rc=$?
if [ $rc -eq 0 ] && grep -q 'max_lsb 0' <<<"$out"; then
    ok "AD on the host layout, memory-mapped: 0 LSB from TFLM"
else
    bad "AD memory-mapped: exit $rc" "$out"
fi
# The 640 -> 128 layer's stream is 16 groups of 5,280 bytes, the 128 -> 640 layer's 80 of 1,184:
# 8 KiB holds one group of the first, six of the others.
out=$(val --weights stream --stage-bytes 8192); rc=$?
if [ $rc -eq 0 ] && grep -q 'max_lsb 0' <<<"$out"; then
    ok "AD on the host layout, streamed through 8 KiB tiles: 0 LSB from TFLM"
else
    bad "AD streamed at --stage-bytes 8192: exit $rc" "$out"
fi

out=$(val --weights stream --stage-bytes 4096); rc=$?
if [ $rc -eq 2 ] && grep -q 'smallest tile (8 output channels) is 5280 bytes' <<<"$out"; then
    ok "a cap below one 8-channel group is refused, naming the group's 5,280 bytes"
else
    bad "AD streamed at --stage-bytes 4096: exit $rc (want 2, the tile's size)" "$out"
fi

echo "summary: $pass/$((pass+fail)) fc_host_native checks passed"
[ $fail -eq 0 ]
