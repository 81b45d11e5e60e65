/*
 * blob_match.c - compares a weights blob with the one a model compiles to,
 * and puts failed blob checks into words.
 *
 * Relies on the runtime's own kiln_blob_check_model for the verdict the
 * firmware will reach, then compares every byte with the compiled blob;
 * differences are located in the compiled (trusted) blob's layout, never in
 * the layout the suspect blob claims.  Never modifies either blob.
 */
#include "blob_match.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
    uint32_t off, size;
    const char *name;
} header_fields[] = {
    {KILN_BLOB_OFF_MAGIC, 4, "magic"},
    {KILN_BLOB_OFF_VERSION, 2, "version"},
    {KILN_BLOB_OFF_HEADER_SIZE, 2, "header_size"},
    {KILN_BLOB_OFF_FLAGS, 4, "flags"},
    {KILN_BLOB_OFF_ALIGN, 4, "align"},
    {KILN_BLOB_OFF_SIGNATURE, 8, "signature"},
    {KILN_BLOB_OFF_PAYLOAD_SIZE, 4, "payload_size"},
    {KILN_BLOB_OFF_PAYLOAD_CRC, 4, "payload_crc"},
    {KILN_BLOB_OFF_TENSOR_COUNT, 4, "tensor_count"},
    {KILN_BLOB_OFF_DIR, 4, "dir_offset"},
    {KILN_BLOB_OFF_DATA, 4, "data_offset"},
    {KILN_BLOB_OFF_RESERVED, 16, "reserved"},
    {KILN_BLOB_OFF_HEADER_CRC, 4, "header_crc"},
};

void blob_locate(const uint8_t *b, size_t len, size_t off, char *buf, size_t n)
{
    if (off >= len) {
        snprintf(buf, n, "past the end of the %zu-byte blob", len);
        return;
    }
    if (off < KILN_BLOB_HEADER_SIZE) {
        for (size_t i = 0; i < sizeof header_fields / sizeof header_fields[0]; i++)
            if (off >= header_fields[i].off && off < header_fields[i].off + header_fields[i].size) {
                snprintf(buf, n, "header field %s", header_fields[i].name);
                return;
            }
    }
    const uint32_t count = kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT);
    const uint32_t dir = kiln_rd_u32(b + KILN_BLOB_OFF_DIR), data = kiln_rd_u32(b + KILN_BLOB_OFF_DATA);
    const uint64_t dir_end = (uint64_t)dir + (uint64_t)count * KILN_BLOB_DIR_ENTRY_SIZE;
    if (off >= dir && off < dir_end && dir_end <= len) {
        snprintf(buf, n, "directory entry %zu", (off - dir) / KILN_BLOB_DIR_ENTRY_SIZE);
        return;
    }
    if (off >= dir_end && off < data) {
        snprintf(buf, n, "the tensor names");
        return;
    }
    for (uint32_t i = 0; dir_end <= len && i < count; i++) {
        const uint8_t *e = b + dir + (size_t)i * KILN_BLOB_DIR_ENTRY_SIZE;
        const uint64_t t = kiln_rd_u32(e + KILN_BLOB_DIR_OFF_OFFSET), sz = kiln_rd_u32(e + KILN_BLOB_DIR_OFF_SIZE);
        const uint32_t nm = kiln_rd_u32(e + KILN_BLOB_DIR_OFF_NAME);
        if (off >= t && off < t + sz) {
            const char *name = nm < len && memchr(b + nm, 0, len - nm) ? (const char *)b + nm : "?";
            snprintf(buf, n, "tensor %u '%.80s' + %" PRIu64, i, name, (uint64_t)off - t);
            return;
        }
    }
    snprintf(buf, n, "padding");
}

void blob_explain(kiln_status s, const kiln_blob_report *r, size_t capacity, uint64_t signature,
                  char *buf, size_t n)
{
    switch (s) {
    case KILN_E_BLOB_HEADER_CRC:
    case KILN_E_BLOB_PAYLOAD_CRC:
        snprintf(buf, n, "stored CRC 0x%08x, computed 0x%08x", r->crc_expected, r->crc_found);
        return;
    case KILN_E_BLOB_TRUNCATED:
        snprintf(buf, n, "header says %u bytes, %zu bytes given", r->total_size, capacity);
        return;
    case KILN_E_BLOB_SIGNATURE:
        snprintf(buf, n, "blob signature 0x%016" PRIx64 ", expected 0x%016" PRIx64, r->signature, signature);
        return;
    case KILN_E_BLOB_VERSION:
        snprintf(buf, n, "blob format version %u, this kiln reads %u", r->version, KILN_BLOB_VERSION);
        return;
    default:
        kiln_blob_report_str(r, buf, n);
        return;
    }
}

bool blob_match_compiled(const compiled *c, const uint8_t *b, size_t len, blob_match *m, char *why,
                         size_t whylen)
{
    memset(m, 0, sizeof *m);
    why[0] = '\0';
    m->status = kiln_blob_check_model(b, len, &c->expect, 0, &m->rep);
    if (m->status != KILN_OK) {
        char detail[256];
        blob_explain(m->status, &m->rep, len, c->expect.signature, detail, sizeof detail);
        snprintf(why, whylen, "%s: %s%s%s", kiln_status_name(m->status), kiln_status_str(m->status),
                 detail[0] ? "; " : "", detail);
        return false;
    }
    /* The check passed; any byte that still differs is one the runtime
     * would not notice (a CRC-consistent edit in crc32 mode). */
    const size_t common = len < c->blob_len ? len : c->blob_len;
    for (size_t i = 0; i < common; i++)
        if (b[i] != c->blob[i]) {
            char where[160];
            blob_locate(c->blob, c->blob_len, i, where, sizeof where);
            snprintf(why, whylen, "byte %zu (%s) differs: found 0x%02x, expected 0x%02x", i, where, b[i],
                     c->blob[i]);
            return false;
        }
    if (len != c->blob_len) {
        snprintf(why, whylen, "the file has %zu bytes, the blob is %zu (bytes after its end)", len,
                 c->blob_len);
        return false;
    }
    m->identical = true;
    return true;
}

bool blob_is_model_file(const uint8_t *b, size_t len, const char *path, char *msg, size_t n)
{
    const char *kind = NULL;
    size_t pl = strlen(path);
    if (len >= 8 && !memcmp(b + 4, "TFL3", 4))
        kind = "a TensorFlow Lite model";
    else if (len >= 2 && b[0] == 0x08 && pl >= 5 && !strcmp(path + pl - 5, ".onnx"))
        kind = "an ONNX model";         /* ModelProto starts with ir_version, field 1 varint */
    if (!kind)
        return false;
    snprintf(msg, n, "'%s' is %s, not a weights blob: `kiln generate %s -o DIR` writes its blob to "
             "DIR/NET_data.bin", path, kind, path);
    return true;
}
