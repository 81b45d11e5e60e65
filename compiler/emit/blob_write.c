/*
 * blob_write.c - the blob writer: directory, names, aligned tensor data, CRCs.
 *
 * Layout (docs/blob-format.md):  header | directory | names | pad | data...
 * Every byte after the header, padding included, is covered by the payload
 * CRC and is written deterministically (padding is zero), so the same model
 * always gives the same blob, byte for byte.
 */
#include "emit/blob_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static void wr_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr_u64(uint8_t *p, uint64_t v)
{
    wr_u32(p, (uint32_t)v);
    wr_u32(p + 4, (uint32_t)(v >> 32));
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Offsets of the pieces, shared by blob_layout and blob_build.  Offsets
 * and sizes are uint32 in the format; past_4gib is the first tensor that
 * would end beyond that (its offset and the later ones are left 0), or -1. */
typedef struct layout {
    size_t dir, names, data, total;
    int past_4gib;
} layout;

static layout compute_layout(blob_tensor *t, int n, uint32_t align)
{
    layout L;
    L.dir = KILN_BLOB_HEADER_SIZE;
    L.names = L.dir + (size_t)n * KILN_BLOB_DIR_ENTRY_SIZE;
    size_t names_len = 0;
    for (int i = 0; i < n; i++)
        names_len += strlen(t[i].name ? t[i].name : "") + 1;
    L.data = align_up(L.names + names_len, align);
    size_t off = L.data;
    L.past_4gib = L.data > 0xFFFFFFFFu ? 0 : -1;
    for (int i = 0; i < n; i++) {
        off = align_up(off, align);
        if (L.past_4gib < 0 && (off > 0xFFFFFFFFu || t[i].nbytes > 0xFFFFFFFFu - off))
            L.past_4gib = i;
        t[i].offset = L.past_4gib < 0 ? (uint32_t)off : 0;
        off += t[i].nbytes;
    }
    L.total = align_up(off, align);
    return L;
}

size_t blob_layout(blob_tensor *t, int n, uint32_t align)
{
    return compute_layout(t, n, align).total;
}

void blob_seal(uint8_t *b, size_t len, uint32_t align, uint64_t signature, uint32_t tensor_count,
               uint32_t dir_offset, uint32_t data_offset)
{
    b[0] = KILN_BLOB_MAGIC0;
    b[1] = KILN_BLOB_MAGIC1;
    b[2] = KILN_BLOB_MAGIC2;
    b[3] = KILN_BLOB_MAGIC3;
    wr_u16(b + KILN_BLOB_OFF_VERSION, KILN_BLOB_VERSION);
    wr_u16(b + KILN_BLOB_OFF_HEADER_SIZE, KILN_BLOB_HEADER_SIZE);
    wr_u32(b + KILN_BLOB_OFF_FLAGS, tensor_count ? KILN_BLOB_F_DIRECTORY : 0);
    wr_u32(b + KILN_BLOB_OFF_ALIGN, align);
    wr_u64(b + KILN_BLOB_OFF_SIGNATURE, signature);
    uint32_t payload = (uint32_t)(len - KILN_BLOB_HEADER_SIZE);
    wr_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE, payload);
    wr_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC, kiln_crc32(0, b + KILN_BLOB_HEADER_SIZE, payload));
    wr_u32(b + KILN_BLOB_OFF_TENSOR_COUNT, tensor_count);
    wr_u32(b + KILN_BLOB_OFF_DIR, dir_offset);
    wr_u32(b + KILN_BLOB_OFF_DATA, data_offset);
    memset(b + KILN_BLOB_OFF_RESERVED, 0, KILN_BLOB_OFF_HEADER_CRC - KILN_BLOB_OFF_RESERVED);
    wr_u32(b + KILN_BLOB_OFF_HEADER_CRC, kiln_crc32(0, b, KILN_BLOB_OFF_HEADER_CRC));
}

bool blob_build(blob_tensor *t, int n, uint32_t align, uint64_t signature, uint8_t **out,
                size_t *out_len, char *err, size_t errlen)
{
    if (align < 4 || align > 4096 || (align & (align - 1))) {
        snprintf(err, errlen, "blob alignment %u is not a power of two in 4..4096", align);
        return false;
    }
    layout L = compute_layout(t, n, align);
    if (L.total > 0xFFFFFFFFu || L.past_4gib >= 0) {
        const int k = L.past_4gib >= 0 && L.past_4gib < n ? L.past_4gib : n - 1;
        snprintf(err, errlen, "weights take %zu bytes (constant '%s' of %zu bytes ends past 4 GiB); "
                 "a blob's offsets and sizes are 32-bit, so it holds at most 4 GiB - 1 bytes",
                 L.total, k >= 0 && t[k].name ? t[k].name : "", k >= 0 ? t[k].nbytes : (size_t)0);
        return false;
    }
    uint8_t *b = xcalloc(L.total, 1);
    size_t name_off = L.names;
    for (int i = 0; i < n; i++) {
        uint8_t *e = b + L.dir + (size_t)i * KILN_BLOB_DIR_ENTRY_SIZE;
        const char *name = t[i].name ? t[i].name : "";
        wr_u32(e + KILN_BLOB_DIR_OFF_OFFSET, t[i].offset);
        wr_u32(e + KILN_BLOB_DIR_OFF_SIZE, (uint32_t)t[i].nbytes);
        wr_u32(e + KILN_BLOB_DIR_OFF_NAME, (uint32_t)name_off);
        e[KILN_BLOB_DIR_OFF_DTYPE] = (uint8_t)t[i].dtype;
        e[KILN_BLOB_DIR_OFF_KIND] = (uint8_t)t[i].kind;
        wr_u16(e + KILN_BLOB_DIR_OFF_LAYOUT, (uint32_t)t[i].layout);
        size_t len = strlen(name) + 1;
        memcpy(b + name_off, name, len);
        name_off += len;
        if (t[i].nbytes)
            memcpy(b + t[i].offset, t[i].data, t[i].nbytes);
    }
    blob_seal(b, L.total, align, signature, (uint32_t)n, (uint32_t)L.dir, (uint32_t)L.data);
    *out = b;
    *out_len = L.total;
    return true;
}
