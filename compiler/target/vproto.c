/*
 * vproto.c - frame encoder and stream decoder for the validation protocol,
 * host side.  See vproto.h; the layout is firmware/protocol.h.
 *
 * The decoder never trusts a length before it is bounded: a header claiming
 * more than max_payload is reported at once rather than waited for.
 */
#include "target/vproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "util/sbuf.h"

void vp_init(vp_decoder *d, uint32_t max_payload)
{
    memset(d, 0, sizeof *d);
    d->max_payload = max_payload;
}

void vp_free(vp_decoder *d)
{
    free(d->buf);
    memset(d, 0, sizeof *d);
}

void vp_feed(vp_decoder *d, const void *data, size_t n)
{
    if (d->pos > 0 && d->pos == d->len)
        d->pos = d->len = 0;
    if (d->len + n > d->cap) {
        /* Drop what was consumed before growing. */
        if (d->pos > 0) {
            memmove(d->buf, d->buf + d->pos, d->len - d->pos);
            d->len -= d->pos;
            d->pos = 0;
        }
        if (d->len + n > d->cap) {
            size_t cap = d->cap ? d->cap : 4096;
            while (cap < d->len + n)
                cap *= 2;
            d->buf = xrealloc(d->buf, cap);
            d->cap = cap;
        }
    }
    memcpy(d->buf + d->len, data, n);
    d->len += n;
}

static void skip(vp_decoder *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d->buf[d->pos + i];
        if (d->n_junk + 1 < sizeof d->junk)
            d->junk[d->n_junk++] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
    }
    d->junk[d->n_junk] = '\0';
    d->skipped += n;
    d->pos += n;
}

vp_status vp_next(vp_decoder *d, vp_frame *f)
{
    memset(f, 0, sizeof *f);
    /* Hunt for the sync pair; a trailing lone sync0 may start the next one. */
    while (d->len - d->pos >= 2 && !(d->buf[d->pos] == KVP_SYNC0 && d->buf[d->pos + 1] == KVP_SYNC1))
        skip(d, 1);
    if (d->len - d->pos < KVP_HEADER_BYTES)
        return VP_MORE;
    const uint8_t *h = d->buf + d->pos;
    f->type = h[KVP_OFF_TYPE];
    f->seq = h[KVP_OFF_SEQ];
    f->len = kvp_get_u32(h + KVP_OFF_LEN);
    if (f->len > d->max_payload) {
        d->pos += KVP_HEADER_BYTES;
        return VP_BAD_LENGTH;
    }
    size_t whole = (size_t)KVP_HEADER_BYTES + f->len + KVP_CRC_BYTES;
    if (d->len - d->pos < whole)
        return VP_MORE;
    f->payload = h + KVP_HEADER_BYTES;
    f->crc_computed = kiln_crc32(0, h + KVP_OFF_TYPE, KVP_HEADER_BYTES - KVP_OFF_TYPE + (size_t)f->len);
    f->crc_received = kvp_get_u32(h + KVP_HEADER_BYTES + f->len);
    d->pos += whole;
    return f->crc_computed == f->crc_received ? VP_FRAME : VP_BAD_CRC;
}

size_t vp_encode(uint8_t type, uint8_t seq, const void *payload, uint32_t len, uint8_t **out)
{
    size_t n = (size_t)KVP_HEADER_BYTES + len + KVP_CRC_BYTES;
    uint8_t *b = xmalloc(n);
    b[0] = KVP_SYNC0;
    b[1] = KVP_SYNC1;
    b[KVP_OFF_TYPE] = type;
    b[KVP_OFF_SEQ] = seq;
    kvp_put_u32(b + KVP_OFF_LEN, len);
    if (len)
        memcpy(b + KVP_HEADER_BYTES, payload, len);
    kvp_put_u32(b + KVP_HEADER_BYTES + len, kiln_crc32(0, b + KVP_OFF_TYPE, KVP_HEADER_BYTES - KVP_OFF_TYPE + (size_t)len));
    *out = b;
    return n;
}

const char *vp_type_name(uint8_t type)
{
    switch (type) {
    case KVP_T_INPUT: return "INPUT";
    case KVP_T_QUIT: return "QUIT";
    case KVP_T_HELLO: return "HELLO";
    case KVP_T_OUTPUT: return "OUTPUT";
    case KVP_T_ERROR: return "ERROR";
    case KVP_T_FAULT: return "FAULT";
    case KVP_T_BYE: return "BYE";
    case KVP_T_PROFILE: return "PROFILE";
    }
    return "unknown";
}
