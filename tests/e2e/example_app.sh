#!/usr/bin/env bash
# example_app.sh - the path into a project: `kiln generate` writes NET.mk and
# NET.cmake, and the example application (examples/kws_app/) builds with
# `include out/kws.mk` (or kws.cmake), from another directory, runs the
# network on its inline weights and prints the scores TensorFlow Lite Micro
# computed for the same input (examples/models/kws/seed1.out, the
# independent reference).  Also on the emulated Cortex-M7 when
# arm-none-eabi-gcc and qemu-system-arm are installed.
#
# NET_SRCS holds exactly the runtime sources the network needs: the int8
# network links with the int8 kernels it calls and none of the float ones.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
KILN=${KILN:-$PWD/build/kiln}
M=examples/models/kws
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }
want="kws scores: $(od -An -v -td1 $M/seed1.out | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')"

"$KILN" generate $M/kws_ref_model.tflite -o "$tmp/out" --name kws --weights inline -q >"$tmp/log" 2>&1 \
    || { cat "$tmp/log"; echo "summary: 0 passed, 1 failed"; exit 1; }
for f in kws.mk kws.cmake; do
    [ -s "$tmp/out/$f" ] && ok "generate wrote $f" || bad "generate did not write $f"
done
grep -q 'runtime/kernels/conv_s8_packed.c' "$tmp/out/kws.mk" && grep -q 'runtime/net.c' "$tmp/out/kws.mk" \
   && ! grep -qE 'conv_f32|slots\.c|svdf' "$tmp/out/kws.mk" \
   && ok "kws_SRCS: the int8 kernels and the runtime it calls, no float kernel, no A/B slots" \
   || { bad "kws_SRCS content"; grep KILN_ROOT "$tmp/out/kws.mk"; }

# Make, from another directory (paths in kws.mk are absolute).
mkdir -p "$tmp/elsewhere"
if (cd "$tmp/elsewhere" && make -s -f "$ROOT/examples/kws_app/Makefile" OUT="$tmp/out" BUILD="$tmp/build" \
        run >"$tmp/run.log" 2>&1); then
    got=$(grep '^kws scores:' "$tmp/run.log")
    [ "$got" = "$want" ] && ok "make with include kws.mk, host: $got (TFLM's seed1.out)" \
        || bad "host output '$got', TFLM's '$want'"
else
    bad "make host build"; tail -5 "$tmp/run.log"
fi

# CMake, when installed.
if command -v cmake >/dev/null; then
    if cmake -S examples/kws_app -B "$tmp/cm" -DKWS_OUT="$tmp/out" >"$tmp/cm.log" 2>&1 \
       && cmake --build "$tmp/cm" >>"$tmp/cm.log" 2>&1; then
        got=$("$tmp/cm/kws_app" | grep '^kws scores:')
        [ "$got" = "$want" ] && ok "cmake with include(kws.cmake), host: equals TFLM's seed1.out" \
            || bad "cmake build output '$got'"
    else
        bad "cmake build"; tail -5 "$tmp/cm.log"
    fi
else
    echo "skip cmake (not installed)"
fi

# The emulated Cortex-M7, when the tools are there.
if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
    if (cd "$tmp/elsewhere" && timeout 120 make -s -f "$ROOT/examples/kws_app/Makefile" OUT="$tmp/out" \
            BUILD="$tmp/build" run-mps2 >"$tmp/mps2.log" 2>&1); then
        got=$(grep '^kws scores:' "$tmp/mps2.log" | tr -d '\r')
        [ "$got" = "$want" ] && ok "Cortex-M7 on QEMU mps2-an500: equals TFLM's seed1.out" \
            || bad "mps2 output '$got'"
    else
        bad "mps2 build or run"; tail -5 "$tmp/mps2.log"
    fi
else
    echo "skip mps2 (arm-none-eabi-gcc or qemu-system-arm not installed)"
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
