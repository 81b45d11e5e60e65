/*
 * stream.c - stream mode: the blob is reached only through the
 * application's read callback (include/kiln/stream.h, docs/streaming.md).
 *
 * Init runs kiln_blob_check_model's checks in its order on bytes read once,
 * front to back, through the arena (free until init succeeds): the header,
 * then the payload in arena-sized reads, its SHA-256 or CRC-32 computed as
 * the bytes go by, the directory checked on the first read (the compiler
 * sizes the arena to hold header, directory and names).  A directory fault
 * is reported only after the payload digest passed, as the mapped check
 * orders them.  Run stages each layer's bytes with kiln_stream_stage, which
 * checks them against the CRC-32 the code carries: what a kernel computes on
 * is what was read, read once, and matches the checked blob.
 *
 * Never allocates, never retries a read, never touches the arena of a net
 * that init refused beyond using it as the check's buffer.
 */
#include "kiln/model.h"
#include "kiln/sha256.h"
#include "kiln/stream.h"

/* The payload check on the bytes read so far (SHA-256, or CRC-32 unless skipped). */
typedef struct payload_sum {
    uint32_t integrity;
    int crc_on;
    uint32_t crc;
    kiln_sha256_ctx sha;
} payload_sum;

static void sum_update(payload_sum *p, const uint8_t *b, uint32_t n)
{
    if (p->integrity == KILN_INTEGRITY_SHA256)
        kiln_sha256_update(&p->sha, b, n);
    else if (p->crc_on)
        p->crc = kiln_crc32(p->crc, b, n);
}

/* The verdict on the whole payload, as check_digest / check_payload_crc give it. */
static kiln_status sum_verdict(payload_sum *p, uint32_t stored_crc, const kiln_blob_expect *e,
                               kiln_blob_report *r)
{
    if (p->integrity == KILN_INTEGRITY_SHA256) {
        uint8_t d[KILN_SHA256_BYTES];
        kiln_sha256_final(&p->sha, d);
        return kiln_blob_digest_compare(d, e, r);
    }
    if (!p->crc_on)
        return KILN_OK;
    r->crc_expected = stored_crc;
    r->crc_found = p->crc;
    if (r->crc_expected != r->crc_found)
        return KILN_E_BLOB_PAYLOAD_CRC;
    r->crc_expected = r->crc_found = 0;
    return KILN_OK;
}

/* Reads blob bytes [KILN_BLOB_HEADER_SIZE, end) in buffer-sized pieces after
 * the header already in buf, checking the directory on the first piece. */
static kiln_status check_payload(const kiln_stream_src *src, const kiln_blob_expect *e, uint8_t *buf,
                                 uint32_t buf_bytes, uint32_t end, uint32_t flags, kiln_blob_report *r)
{
    payload_sum p;
    kiln_blob_report dr;
    kiln_status dir_s, s;
    uint32_t data = kiln_rd_u32(buf + KILN_BLOB_OFF_DATA), base = 0, have = KILN_BLOB_HEADER_SIZE;
    const uint32_t stored_crc = kiln_rd_u32(buf + KILN_BLOB_OFF_PAYLOAD_CRC); /* buf is reused below */

    p.integrity = e->integrity;
    p.crc_on = !(flags & KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC);
    p.crc = 0;
    kiln_sha256_init(&p.sha);
    if (p.integrity != KILN_INTEGRITY_SHA256 && !p.crc_on)
        end = data; /* nothing but the directory to read */
    if (data > buf_bytes)
        return KILN_E_MODEL; /* the compiler sizes the arena to hold it */
    dir_s = KILN_OK;
    dr = *r;
    /* Piece by piece; the first one's header bytes are already in buf. */
    for (;;) {
        uint32_t n = end - base < buf_bytes ? end - base : buf_bytes;
        if (n > have && src->read(src->ctx, base + have, buf + have, n - have) != KILN_OK)
            return KILN_E_IO;
        sum_update(&p, buf + have, n - have);
        if (base == 0)
            dir_s = kiln_blob_check_directory(buf, &dr);
        base += n;
        have = 0;
        if (base >= end)
            break;
    }
    if ((s = sum_verdict(&p, stored_crc, e, r)) != KILN_OK)
        return s;
    *r = dr;
    return dir_s;
}

static kiln_status check_arena(const kiln_model *m, void *arena, size_t arena_bytes)
{
    if (!arena)
        return KILN_E_ARG;
    if (arena_bytes < m->arena_bytes)
        return KILN_E_ARENA_SMALL;
    if (m->arena_align && (uintptr_t)arena % m->arena_align != 0)
        return KILN_E_ARENA_ALIGN;
    return KILN_OK;
}

kiln_status kiln_net_init_stream(kiln_net *net, const kiln_model *model, kiln_read_fn read, void *ctx,
                                 uint32_t capacity, void *arena, size_t arena_bytes, uint32_t flags)
{
    uint8_t *buf = (uint8_t *)arena;
    kiln_stream_src src;
    kiln_status s;
    uint32_t n;

    if (!net)
        return KILN_E_ARG;
    net->ready = 0;
    net->model = model;
    net->blob = 0;
    net->arena = 0;
    net->src.read = 0;
    if (!model || !read || !model->invoke_stream)
        return KILN_E_ARG;
    /* The arena is the check's read buffer, so it is checked first. */
    if ((s = check_arena(model, arena, arena_bytes)) != KILN_OK)
        return s;
    if (model->blob.signature != model->signature || model->blob.total_size != model->blob_bytes ||
        model->arena_bytes < KILN_BLOB_HEADER_SIZE)
        return kiln_blob_check_model_header(buf, 0, 0, &net->report); /* KILN_E_MODEL */
    src.read = read;
    src.ctx = ctx;
    src.start = 0;
    src.wait = 0;
    src.capacity = capacity ? capacity : model->blob_bytes;
    src.flags = flags;
    n = src.capacity < KILN_BLOB_HEADER_SIZE ? src.capacity : KILN_BLOB_HEADER_SIZE;
    if (n > 0 && read(ctx, 0, buf, n) != KILN_OK)
        return KILN_E_IO;
    s = kiln_blob_check_model_header(n > 0 ? buf : 0, src.capacity, &model->blob, &net->report);
    if (s != KILN_OK)
        return s;
    s = check_payload(&src, &model->blob, buf, model->arena_bytes, model->blob_bytes, flags, &net->report);
    if (s != KILN_OK)
        return s;
    net->src = src;
    net->arena = (uint8_t *)arena;
    net->ready = 1;
    return kiln_net_reset(net);
}

kiln_status kiln_net_stream_async(struct kiln_net *net, kiln_read_start_fn start, kiln_read_wait_fn wait)
{
    if (!net || !net->ready || !net->src.read || !start != !wait)
        return KILN_E_ARG;
    net->src.start = start;
    net->src.wait = wait;
    return KILN_OK;
}

kiln_status kiln_stream_fetch(const kiln_stream_src *src, uint8_t *dst, uint32_t offset, uint32_t len)
{
    kiln_status s = src->start ? src->start(src->ctx, offset, dst, len) : src->read(src->ctx, offset, dst, len);
    return s == KILN_OK ? KILN_OK : KILN_E_IO;
}

kiln_status kiln_stream_ready(const kiln_stream_src *src, const uint8_t *dst, uint32_t len, uint32_t crc)
{
    if (src->start && src->wait(src->ctx) != KILN_OK)
        return KILN_E_IO;
    if (!(src->flags & KILN_STREAM_SKIP_STAGE_CRC) && kiln_crc32(0, dst, len) != crc)
        return KILN_E_BLOB_PAYLOAD_CRC;
    return KILN_OK;
}

kiln_status kiln_stream_stage(const kiln_stream_src *src, uint8_t *dst, uint32_t offset, uint32_t len,
                              uint32_t crc)
{
    kiln_status s = kiln_stream_fetch(src, dst, offset, len);
    return s != KILN_OK ? s : kiln_stream_ready(src, dst, len, crc);
}

void kiln_stream_copy_out(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    while (n--)
        *d++ = *s++;
}

void kiln_stream_scatter(void *dst, const void *src, uint32_t rows, uint32_t n, uint32_t stride)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t r = 0; r < rows; r++, d += stride, s += n)
        kiln_stream_copy_out(d, s, n);
}

void kiln_stream_gather(void *dst, const void *src, uint32_t rows, uint32_t n, uint32_t stride)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t r = 0; r < rows; r++, d += n, s += stride)
        kiln_stream_copy_out(d, s, n);
}
