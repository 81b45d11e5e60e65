#!/usr/bin/env bash
# have_libfuzzer.sh - exit 0 when `clang -fsanitize=fuzzer,address,undefined`
# can build and link a harness here (clang and its runtime, Debian's
# libclang-rt-NN-dev, are installed), 1 otherwise.  Used to choose between
# libFuzzer and the plain driver (tests/fuzz/driver.c).
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/t.c"
${FUZZ_CC:-clang} -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >/dev/null 2>&1 && "$tmp/t" -runs=1 >/dev/null 2>&1
