/*
 * frames.h - the target's end of the validation protocol's framing
 * (../protocol.h): send a frame in pieces with its CRC computed on the way,
 * and receive one header at a time, the payload byte by byte, then the CRC.
 *
 * Streaming both ways means no frame is ever buffered whole: inputs go
 * straight into the network's input buffers and outputs straight from its
 * output buffers, so the firmware needs no I/O memory beyond the model's own.
 * Relies on uart.h for bytes and kiln_crc32 for the CRC; never allocates.
 */
#ifndef KILN_MPS2_FRAMES_H
#define KILN_MPS2_FRAMES_H

#include <stdint.h>

typedef struct kvp_tx {
    uint32_t crc;
} kvp_tx;

void kvp_tx_begin(kvp_tx *t, uint8_t type, uint8_t seq, uint32_t len);
void kvp_tx_put(kvp_tx *t, const void *data, uint32_t n);
void kvp_tx_end(kvp_tx *t);
/* A whole frame from one buffer. */
void kvp_send(uint8_t type, uint8_t seq, const void *payload, uint32_t len);

typedef struct kvp_rx {
    uint8_t type, seq;
    uint32_t len;
    uint32_t crc;           /* running CRC of the frame so far */
    uint32_t got;           /* payload bytes read so far */
    int overrun;            /* the UART lost a byte somewhere in this frame */
} kvp_rx;

/* Skips everything up to the next sync pair, then reads the header. */
void kvp_rx_header(kvp_rx *r);
uint8_t kvp_rx_byte(kvp_rx *r);
/* Reads the trailing CRC; returns 1 when it matches.  *computed and
 * *received are set either way. */
int kvp_rx_crc(kvp_rx *r, uint32_t *computed, uint32_t *received);

/* ERROR frame with a message (truncated to fit KVP_ERROR_MAX). */
void kvp_send_error(uint8_t seq, uint32_t code, uint32_t a, uint32_t b, const char *text);

#endif
