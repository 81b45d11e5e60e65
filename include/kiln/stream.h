/*
 * stream.h - weights that are not in the address space: the read callback
 * of stream mode (kiln generate --weights stream; docs/streaming.md).
 *
 * The application gives one function that copies `len` bytes from offset
 * `offset` of the stored blob to `dst`: an SPI flash in indirect mode, an SD
 * card, a file, another MCU.  kiln_net_init_stream checks the blob through
 * it (each byte read once, the SHA-256 or CRC-32 computed on the fly, the
 * same refusals as kiln_net_init); kiln_net_run then stages each layer's
 * weights into the arena's staging buffer with one sequential read per
 * layer (or per tile of output channels, for a layer larger than the
 * buffer), in address order, so each weight byte crosses the bus at most
 * once per inference.  Every staged read is checked against a CRC-32 the code
 * carries before a kernel sees it (a blob changed after init is refused,
 * not computed on).
 *
 * Freestanding C99; the runtime never retries a read and never calls the
 * callback outside init and run.
 */
#ifndef KILN_STREAM_H
#define KILN_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copies len bytes at offset of the blob to dst; KILN_OK, or any other
 * status on failure (the run then stops with KILN_E_IO). */
typedef kiln_status (*kiln_read_fn)(void *ctx, uint32_t offset, void *dst, uint32_t len);

/* Double buffering (kiln generate --stage-double; docs/streaming.md): start
 * begins copying len bytes at offset to dst (a DMA) and returns at once;
 * wait returns when the transfer started last is complete.  The run starts
 * the next layer's read, computes the current layer, then waits: at most
 * one transfer is in flight, and the run never returns with one in flight.
 * Either failing (any status but KILN_OK) stops the run with KILN_E_IO. */
typedef kiln_status (*kiln_read_start_fn)(void *ctx, uint32_t offset, void *dst, uint32_t len);
typedef kiln_status (*kiln_read_wait_fn)(void *ctx);

typedef struct kiln_stream_src {
    kiln_read_fn read;
    void *ctx;
    uint32_t capacity;          /* bytes readable from offset 0 */
    uint32_t flags;             /* KILN_STREAM_* */
    kiln_read_start_fn start;   /* both NULL: run reads through `read` */
    kiln_read_wait_fn wait;
} kiln_stream_src;

/* Init flag (with the KILN_BLOB_CHECK_* ones): skip the CRC-32 of each staged
 * read at run time.  Only where the storage cannot change after init (a
 * write-protected region): the run then computes on whatever it reads. */
#define KILN_STREAM_SKIP_STAGE_CRC 0x100u

struct kiln_net;
struct kiln_model;

/*
 * Binds a stream-mode model to its read callback and arena, after checking
 * the blob through the callback exactly as kiln_net_init checks a mapped one
 * (same statuses, same report); capacity: bytes readable (0: the model's
 * blob size).  The arena doubles as the read buffer of the check.
 * KILN_E_ARG for a model that is not stream mode or a NULL callback;
 * KILN_E_IO when a read fails.
 */
kiln_status kiln_net_init_stream(struct kiln_net *net, const struct kiln_model *model, kiln_read_fn read,
                                 void *ctx, uint32_t capacity, void *arena, size_t arena_bytes,
                                 uint32_t flags);

/* Called by the generated code: reads blob bytes [offset, offset + len) into
 * dst and checks them against `crc` (the CRC-32 the code carries).
 * KILN_E_IO when the callback fails, KILN_E_BLOB_PAYLOAD_CRC on a mismatch. */
kiln_status kiln_stream_stage(const kiln_stream_src *src, uint8_t *dst, uint32_t offset, uint32_t len,
                              uint32_t crc);

/*
 * After kiln_net_init_stream: run's reads go through start/wait (same ctx)
 * instead of read; both NULL goes back to read.  Init's check always uses
 * read.  Any model takes them; one compiled with --stage-double overlaps a
 * layer's read with the layer before it.  KILN_E_ARG for a net that is not
 * a stream-mode net init accepted, or only one of the two.
 */
kiln_status kiln_net_stream_async(struct kiln_net *net, kiln_read_start_fn start, kiln_read_wait_fn wait);

/* Called by the generated code (--stage-double): starts reading blob bytes
 * [offset, offset + len) into dst (start, or a whole read without it);
 * KILN_E_IO when it fails. */
kiln_status kiln_stream_fetch(const kiln_stream_src *src, uint8_t *dst, uint32_t offset, uint32_t len);

/* ... then, before the bytes are used: waits for that transfer (with
 * start/wait) and checks dst against `crc` as kiln_stream_stage does. */
kiln_status kiln_stream_ready(const kiln_stream_src *src, const uint8_t *dst, uint32_t len, uint32_t crc);

/* Called by the generated code at the end of a run: copies an output from
 * the arena to the caller's buffer (outputs are written only after the last
 * read succeeded). */
void kiln_stream_copy_out(void *dst, const void *src, uint32_t n);

/* Called by the generated code for a layer read in tiles of output channels
 * (--stage-bytes): copies `rows` rows of n bytes, packed at src, to dst with
 * a row stride of `stride` bytes (the tile's channels of every pixel). */
void kiln_stream_scatter(void *dst, const void *src, uint32_t rows, uint32_t n, uint32_t stride);

/* The inverse, for an operand such a layer reads per channel (a depthwise
 * input, a residual): copies `rows` rows of n bytes at a row stride of
 * `stride` bytes from src, packed, to dst. */
void kiln_stream_gather(void *dst, const void *src, uint32_t rows, uint32_t n, uint32_t stride);

#ifdef __cplusplus
}
#endif
#endif
