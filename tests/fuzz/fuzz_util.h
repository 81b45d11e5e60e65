/*
 * fuzz_util.h - what the fuzz harnesses share: the failure that every
 * engine reports the same way, and the compile-and-emit stage the model
 * harnesses (fuzz_onnx.c, fuzz_tflite.c) run on every graph that imports.
 *
 * A harness calls fuzz_fail() for a broken promise the sanitizers cannot see
 * (a failure without a message, a blob the compiler wrote and the runtime
 * refuses); it aborts, so libFuzzer and the plain driver both save the input.
 */
#ifndef KILN_FUZZ_UTIL_H
#define KILN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

/* A directory that does not exist: importers resolve external data next to
 * the "file", and a fuzz input must never reach the real file system. */
#define FUZZ_NOWHERE "/nonexistent-kiln-fuzz/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz: broken promise: ..." and aborts. */
void fuzz_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

/* Compiles g (taking ownership) the way `kiln generate` does, emits NET.h,
 * NET.c, NET_data.c and both reports into memory, and checks what the
 * compiler promised: an error has a message, and its own blob passes the
 * runtime's kiln_blob_check with the signature the code carries.  When
 * $KILN_FUZZ_EMIT_DIR is set, the emitted sources of each input that
 * compiles are also written to DIR/<hash of the input>/ for
 * tests/fuzz/check_emit.sh.  The input bytes pick the weights mode. */
void fuzz_compile_emit(ir_graph *g, const uint8_t *data, size_t size);

#endif
