/*
 * stream_src.h - the validation firmware's storage for stream-mode networks:
 * the blob is a file on the host, read with semihosting file calls, as an
 * SD card or an SPI flash in indirect mode would be read.  Nothing of it is
 * in the address space: the PSRAM the memory-mapped blob would sit in stays
 * empty (QEMU starts without the loader device).
 *
 * Built with -DKILN_QEMU_STREAM_FILE="\"PATH\"" (the host's device image).
 */
#ifndef KILN_MPS2_STREAM_SRC_H
#define KILN_MPS2_STREAM_SRC_H

#include <stdint.h>
#include "kiln/status.h"

/* Opens the file; 0 when it cannot be opened. */
int stream_src_open(void);
/* kiln_read_fn: seek and read, counting bytes and reads. */
kiln_status stream_src_read(void *ctx, uint32_t offset, void *dst, uint32_t len);
/* Marks the end of init, and the start and end of the first inference. */
void stream_src_mark_init(void);
void stream_src_mark_run(int begin);
/* Writes "stream-init B bytes R reads\nstream-run B bytes R reads\n" to
 * PATH.counts for the host to read after the session. */
void stream_src_report(void);

#endif
