/*
 * vproto.h - the host's end of the validation protocol's framing
 * (firmware/protocol.h): encode frames, and decode a byte stream from a
 * target into frames, checking each frame's length bound and CRC.
 *
 * Pure: bytes in, frames out; no I/O, so the decoder is tested on corrupted
 * and garbled streams without a target (tests/unit/test_vproto.c).  Bytes
 * that precede a sync pair are skipped and counted (and the first of them
 * kept for messages): a target that prints text by mistake is reported, not
 * misread.
 */
#ifndef KILN_VPROTO_H
#define KILN_VPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/protocol.h"

typedef struct vp_frame {
    uint8_t type, seq;
    uint32_t len;
    const uint8_t *payload;     /* valid until the next vp_feed/vp_next/vp_free */
    uint32_t crc_computed, crc_received;
} vp_frame;

typedef enum vp_status {
    VP_MORE = 0,        /* no complete frame buffered yet */
    VP_FRAME,           /* *f is a frame whose CRC matched */
    VP_BAD_CRC,         /* *f arrived with a CRC that does not match: do not use it */
    VP_BAD_LENGTH       /* a header claimed more than max_payload bytes (*f has the header) */
} vp_status;

typedef struct vp_decoder {
    uint8_t *buf;
    size_t len, cap, pos;       /* buffered bytes are buf[pos..len) */
    uint32_t max_payload;
    uint64_t skipped;           /* bytes seen outside any frame */
    char junk[96];              /* the first of them, printable, for messages */
    size_t n_junk;
} vp_decoder;

void vp_init(vp_decoder *d, uint32_t max_payload);
void vp_free(vp_decoder *d);
void vp_feed(vp_decoder *d, const void *data, size_t n);
/* Takes the next frame (or error) out of the buffered bytes.  After
 * VP_BAD_CRC the frame is consumed; after VP_BAD_LENGTH only its sync and
 * header are, and decoding resumes by hunting for the next sync pair. */
vp_status vp_next(vp_decoder *d, vp_frame *f);

/* A whole frame in a fresh heap buffer; returns its length. */
size_t vp_encode(uint8_t type, uint8_t seq, const void *payload, uint32_t len, uint8_t **out);

/* "INPUT", "OUTPUT", ..., or "unknown". */
const char *vp_type_name(uint8_t type);

#endif
