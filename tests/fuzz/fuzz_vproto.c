/*
 * fuzz_vproto.c - fuzz target: arbitrary bytes as the stream a target sends
 * `kiln validate --target qemu`, through the host's frame decoder
 * (compiler/target/vproto.c).
 *
 * Input: byte 0 picks max_payload (0, 16, 4096 or KVP_MAX_PAYLOAD), byte 1
 * the size of the pieces the stream arrives in (1..256, as a pipe may cut
 * it), the rest is the stream.  Promises checked beyond the sanitizers':
 * every frame returned lies inside what was fed, a good frame's CRC matches
 * and re-encodes to the same CRC, no length over max_payload is accepted,
 * decoding always makes progress, and every byte fed is accounted for
 * (skipped, in a frame or header, or still buffered).  Then a frame built by
 * vp_encode() from the input must decode to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "target/vproto.h"

static const uint32_t max_payloads[4] = {0, 16, 4096, KVP_MAX_PAYLOAD};

/* Bytes vp_next consumed for one result. */
static uint64_t check_result(const vp_decoder *d, vp_status st, const vp_frame *f)
{
    if (st == VP_BAD_LENGTH) {
        if (f->len <= d->max_payload)
            fuzz_fail("BAD_LENGTH for len %u <= max %u", f->len, d->max_payload);
        return KVP_HEADER_BYTES;
    }
    if (f->len > d->max_payload)
        fuzz_fail("frame of %u bytes passed a max of %u", f->len, d->max_payload);
    if (f->len && (f->payload < d->buf || f->payload + f->len > d->buf + d->len))
        fuzz_fail("frame payload lies outside the decoder's buffer");
    volatile uint8_t sum = 0;
    for (uint32_t i = 0; i < f->len; i++)
        sum += f->payload[i];
    (void)sum;
    if (st == VP_FRAME) {
        if (f->crc_computed != f->crc_received)
            fuzz_fail("FRAME with computed CRC %08x != received %08x", f->crc_computed, f->crc_received);
        uint8_t *enc;
        size_t n = vp_encode(f->type, f->seq, f->payload, f->len, &enc);
        if (kvp_get_u32(enc + n - KVP_CRC_BYTES) != f->crc_received)
            fuzz_fail("a good frame re-encodes with another CRC");
        free(enc);
    } else if (f->crc_computed == f->crc_received) {
        fuzz_fail("BAD_CRC with matching CRCs");
    }
    return (uint64_t)KVP_HEADER_BYTES + f->len + KVP_CRC_BYTES;
}

static void decode_stream(const uint8_t *s, size_t n, uint32_t max_payload, size_t piece)
{
    vp_decoder d;
    vp_init(&d, max_payload);
    uint64_t consumed = 0;
    for (size_t off = 0; off < n; off += piece) {
        vp_feed(&d, s + off, n - off < piece ? n - off : piece);
        for (;;) {
            vp_frame f;
            size_t before = d.pos;
            uint64_t skipped = d.skipped;
            vp_status st = vp_next(&d, &f);
            if (st == VP_MORE)
                break;
            consumed += check_result(&d, st, &f);
            if (d.pos == before && d.skipped == skipped)
                fuzz_fail("vp_next returned %d without consuming a byte", (int)st);
        }
    }
    if (d.skipped + consumed + (d.len - d.pos) != n)
        fuzz_fail("fed %zu bytes: %llu skipped + %llu in frames + %zu buffered", n,
                  (unsigned long long)d.skipped, (unsigned long long)consumed, d.len - d.pos);
    vp_free(&d);
}

static void round_trip(const uint8_t *p, size_t n)
{
    uint32_t len = n > 300 ? 300 : (uint32_t)n;
    uint8_t type = n ? p[0] : 0, seq = n > 1 ? p[1] : 0;
    uint8_t *enc;
    size_t m = vp_encode(type, seq, p, len, &enc);
    vp_decoder d;
    vp_init(&d, KVP_MAX_PAYLOAD);
    vp_feed(&d, enc, m);
    vp_frame f;
    if (vp_next(&d, &f) != VP_FRAME || f.type != type || f.seq != seq || f.len != len ||
        (len && memcmp(f.payload, p, len)))
        fuzz_fail("a frame from vp_encode does not decode to itself");
    vp_free(&d);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    decode_stream(data + 2, size - 2, max_payloads[data[0] & 3], (size_t)data[1] + 1);
    round_trip(data + 2, size - 2);
    return 0;
}
