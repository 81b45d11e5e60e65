/*
 * target.h - where generated code runs during `kiln validate`.
 *
 * A target builds the already-emitted code in a work directory together with
 * the runtime and its own harness, places the weights blob where the code
 * will look for it, feeds input samples, and collects output samples.  The
 * host target runs a native harness; the QEMU target runs Cortex-M7
 * firmware on the emulated mps2-an500 board and talks to it over its UART.
 */
#ifndef KILN_TARGET_H
#define KILN_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "target/stream_dev.h"

typedef enum target_result {
    TARGET_OK = 0,
    TARGET_REFUSED,     /* the runtime refused the blob at init: msg names the status and cause */
    TARGET_ERROR        /* could not build or run, crash, timeout: msg says what */
} target_result;

typedef struct target_opts {
    const char *workdir;        /* emit_all() already wrote NET.h/.c/_data.* here */
    const char *blob_path;      /* blob the code must use; NULL: the inline weights */
    bool no_crc;                /* init with KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC */
    bool verbose;               /* echo build commands and target output to stderr */
    int timeout_s;
    /* Optional: told what a slow target is doing ("building the firmware",
     * then each sample run with done/total); NULL for silence. */
    void (*progress)(const char *phase, size_t done, size_t total);
} target_opts;

/* What the target's counter said about one inference, named for what it
 * counts: "qemu_instructions" (QEMU -icount: instructions, not cycles) or
 * "dwt_cycles" (the Cortex-M DWT cycle counter of a real core). */
typedef struct target_count {
    const char *counter;        /* NULL: nothing counted (host target) */
    uint64_t mean, min, max;    /* per inference; min/max 0 when not known */
} target_count;

typedef struct target_io {
    const uint8_t *inputs;      /* samples x (every input, concatenated in order) */
    uint8_t *outputs;           /* samples x (every output, concatenated), caller-allocated */
    size_t samples;
    uint64_t insns;             /* instructions per inference, when the target counts them (0 otherwise) */
    target_count count;         /* the same with its counter named, or cycles on a real core */
    const char *cflags;         /* host: the flags the code and runtime were built with (else NULL) */
    stream_counts stream;       /* stream mode: what the read callback counted */
} target_io;

target_result target_host_run(const compiled *c, const target_opts *o, target_io *io, char *msg,
                              size_t msglen);
target_result target_qemu_run(const compiled *c, const target_opts *o, target_io *io, char *msg,
                              size_t msglen);

#endif
