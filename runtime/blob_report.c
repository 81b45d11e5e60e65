/*
 * blob_report.c - says in one line which blob field a failing check is
 * about, and what was found against what was expected.
 *
 * Freestanding (no stdio, no snprintf), so a firmware can print the very
 * sentence the host tools print: "header field payload_size: found 7464,
 * expected 14928".  Sizes and offsets are written in decimal, flags, CRCs
 * and digests in hex.  Never writes past n bytes; always NUL-terminates
 * when n > 0.
 */
#include "kiln/blob.h"

const char *kiln_blob_field_name(uint32_t field)
{
    switch ((kiln_blob_field)field) {
    case KILN_BLOB_FIELD_NONE: return "";
    case KILN_BLOB_FIELD_HEADER_SIZE: return "header_size";
    case KILN_BLOB_FIELD_FLAGS: return "flags";
    case KILN_BLOB_FIELD_ALIGN: return "align";
    case KILN_BLOB_FIELD_PAYLOAD_SIZE: return "payload_size";
    case KILN_BLOB_FIELD_PAYLOAD_CRC: return "payload_crc";
    case KILN_BLOB_FIELD_TENSOR_COUNT: return "tensor_count";
    case KILN_BLOB_FIELD_DIR_OFFSET: return "dir_offset";
    case KILN_BLOB_FIELD_DATA_OFFSET: return "data_offset";
    case KILN_BLOB_FIELD_RESERVED: return "reserved";
    case KILN_BLOB_FIELD_PAYLOAD_SHA256: return "payload SHA-256";
    case KILN_BLOB_FIELD_ENTRY_OFFSET: return "offset";
    case KILN_BLOB_FIELD_ENTRY_SIZE: return "size";
    case KILN_BLOB_FIELD_ENTRY_NAME: return "name";
    case KILN_BLOB_FIELD_ENTRY_DTYPE: return "dtype";
    case KILN_BLOB_FIELD_ENTRY_KIND: return "kind";
    case KILN_BLOB_FIELD_ENTRY_LAYOUT: return "layout";
    }
    return "?";
}

/* A bounded writer: keeps the first n-1 bytes, counts the rest away. */
typedef struct out {
    char *p;
    size_t n, len;
} out;

static void put_str(out *o, const char *s)
{
    for (; *s; s++, o->len++)
        if (o->len + 1 < o->n)
            o->p[o->len] = *s;
}

static void put_u32(out *o, uint32_t v, int hex)
{
    char d[12];
    int k = 0;
    if (hex)
        put_str(o, "0x");
    do {
        uint32_t digit = hex ? v % 16u : v % 10u;
        d[k++] = (char)(digit < 10u ? '0' + digit : 'a' + digit - 10u);
        v = hex ? v / 16u : v / 10u;
    } while (v && k < 11);
    if (hex)
        while (k < 8)
            d[k++] = '0';
    while (k > 0) {
        char c[2] = {d[--k], 0};
        put_str(o, c);
    }
}

static int is_entry_field(uint32_t f)
{
    return f >= KILN_BLOB_FIELD_ENTRY_OFFSET && f <= KILN_BLOB_FIELD_ENTRY_LAYOUT;
}

static int shown_in_hex(uint32_t f)
{
    return f == KILN_BLOB_FIELD_FLAGS || f == KILN_BLOB_FIELD_PAYLOAD_CRC ||
           f == KILN_BLOB_FIELD_PAYLOAD_SHA256 || f == KILN_BLOB_FIELD_RESERVED;
}

size_t kiln_blob_report_str(const kiln_blob_report *r, char *buf, size_t n)
{
    static const char *const rel[] = {"expected ", "expected at least ", "expected at most ",
                                      "expected a multiple of "};
    out o = {buf, n, 0};
    const int hex = r ? shown_in_hex(r->field) : 0;
    if (r && r->field != KILN_BLOB_FIELD_NONE) {
        if (is_entry_field(r->field)) {
            put_str(&o, "directory entry ");
            put_u32(&o, r->entry, 0);
            put_str(&o, " ");
        } else if (r->field != KILN_BLOB_FIELD_PAYLOAD_SHA256) {
            put_str(&o, "header field ");
        }
        put_str(&o, kiln_blob_field_name(r->field));
        put_str(&o, ": found ");
        put_u32(&o, r->found, hex);
        put_str(&o, r->field == KILN_BLOB_FIELD_PAYLOAD_SHA256 ? "..., " : ", ");
        put_str(&o, rel[r->rel < 4u ? r->rel : 0u]);
        put_u32(&o, r->expected, hex);
        if (r->field == KILN_BLOB_FIELD_PAYLOAD_SHA256)
            put_str(&o, "...");
    }
    if (n > 0)
        o.p[o.len < n ? o.len : n - 1] = '\0';
    return o.len < n ? o.len : (n ? n - 1 : 0);
}
