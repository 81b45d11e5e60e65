/*
 * frames.c - framing for the validation protocol, target side.  See
 * frames.h; the layout is defined in ../protocol.h.
 */
#include "frames.h"

#include "../protocol.h"
#include "kiln/blob.h"
#include "uart.h"

void kvp_tx_begin(kvp_tx *t, uint8_t type, uint8_t seq, uint32_t len)
{
    uint8_t h[KVP_HEADER_BYTES];
    h[0] = KVP_SYNC0;
    h[1] = KVP_SYNC1;
    h[KVP_OFF_TYPE] = type;
    h[KVP_OFF_SEQ] = seq;
    kvp_put_u32(h + KVP_OFF_LEN, len);
    uart_write(h, sizeof h);
    t->crc = kiln_crc32(0, h + KVP_OFF_TYPE, KVP_HEADER_BYTES - KVP_OFF_TYPE);
}

void kvp_tx_put(kvp_tx *t, const void *data, uint32_t n)
{
    uart_write(data, n);
    t->crc = kiln_crc32(t->crc, data, n);
}

void kvp_tx_end(kvp_tx *t)
{
    uint8_t c[KVP_CRC_BYTES];
    kvp_put_u32(c, t->crc);
    uart_write(c, sizeof c);
}

void kvp_send(uint8_t type, uint8_t seq, const void *payload, uint32_t len)
{
    kvp_tx t;
    kvp_tx_begin(&t, type, seq, len);
    kvp_tx_put(&t, payload, len);
    kvp_tx_end(&t);
}

void kvp_rx_header(kvp_rx *r)
{
    uint8_t h[KVP_HEADER_BYTES];
    uint32_t i;
    r->overrun = 0;
    /* Hunt: a lone 'K' followed by anything but 'V' may itself be followed
     * by the real sync pair, so keep the last byte as a candidate. */
    h[0] = uart_getc(&r->overrun);
    for (;;) {
        h[1] = uart_getc(&r->overrun);
        if (h[0] == KVP_SYNC0 && h[1] == KVP_SYNC1)
            break;
        h[0] = h[1];
    }
    r->overrun = 0; /* bytes lost before this frame's sync belong to no frame */
    for (i = 2; i < KVP_HEADER_BYTES; i++)
        h[i] = uart_getc(&r->overrun);
    r->type = h[KVP_OFF_TYPE];
    r->seq = h[KVP_OFF_SEQ];
    r->len = kvp_get_u32(h + KVP_OFF_LEN);
    r->crc = kiln_crc32(0, h + KVP_OFF_TYPE, KVP_HEADER_BYTES - KVP_OFF_TYPE);
    r->got = 0;
}

uint8_t kvp_rx_byte(kvp_rx *r)
{
    uint8_t b = uart_getc(&r->overrun);
    r->crc = kiln_crc32(r->crc, &b, 1);
    r->got++;
    return b;
}

int kvp_rx_crc(kvp_rx *r, uint32_t *computed, uint32_t *received)
{
    uint8_t c[KVP_CRC_BYTES];
    uint32_t i;
    for (i = 0; i < KVP_CRC_BYTES; i++)
        c[i] = uart_getc(&r->overrun);
    *computed = r->crc;
    *received = kvp_get_u32(c);
    return *computed == *received;
}

void kvp_send_error(uint8_t seq, uint32_t code, uint32_t a, uint32_t b, const char *text)
{
    uint8_t p[KVP_ERROR_MAX];
    uint32_t n = KVP_ERROR_FIXED;
    kvp_put_u32(p + KVP_ERROR_OFF_CODE, code);
    kvp_put_u32(p + KVP_ERROR_OFF_A, a);
    kvp_put_u32(p + KVP_ERROR_OFF_B, b);
    while (*text && n + 1 < sizeof p)
        p[n++] = (uint8_t)*text++;
    p[n++] = 0;
    kvp_send(KVP_T_ERROR, seq, p, n);
}
