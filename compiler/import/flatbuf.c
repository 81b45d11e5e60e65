/*
 * flatbuf.c - checked, zero-copy FlatBuffers access (see flatbuf.h).
 *
 * Layout facts this relies on (FlatBuffers binary format):
 *  - the buffer starts with a uoffset (u32) to the root table, optionally
 *    followed by a 4-byte file identifier;
 *  - a table starts with an soffset (i32); its vtable lies at table - soffset
 *    and holds u16 vtable size, u16 table size, then one u16 offset per field
 *    (0 = absent), relative to the table start;
 *  - a field holding a table, vector or string holds a uoffset relative to
 *    the field's own position;
 *  - a vector (and a string) is a u32 element count followed by the
 *    elements; a string has a NUL after its last byte.
 * Every position is computed in 64 bits and compared against the buffer
 * length before any byte is read, so no sum can wrap.
 */
#include "import/flatbuf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

bool fb_fail(fb_reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
        r->failed = true;
    }
    return false;
}

void fb_prefix(fb_reader *r, const char *fmt, ...)
{
    char pre[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t cap = sizeof r->err, pl = strlen(pre), el = strlen(r->err);
    if (pl > cap - 1)
        pl = cap - 1;
    if (el > cap - 1 - pl)
        el = cap - 1 - pl;
    memmove(r->err + pl, r->err, el);
    memcpy(r->err, pre, pl);
    r->err[pl + el] = '\0';
}

/* [pos, pos + n) inside the buffer? */
static bool in_buf(const fb_reader *r, uint64_t pos, uint64_t n)
{
    return pos <= r->len && n <= r->len - pos;
}

bool fb_init(fb_reader *r, const uint8_t *buf, size_t len, const char *ident)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->max_tables = FB_MAX_TABLES;
    r->max_depth = FB_MAX_DEPTH;
    if (!buf || len < 8)
        return fb_fail(r, "file is %zu bytes, too short for a flatbuffer (at least 8)", len);
    if (len > FB_MAX_SIZE)
        return fb_fail(r, "file is %zu bytes; flatbuffers are limited to 2 GiB", len);
    r->len = (uint32_t)len;
    if (ident && memcmp(buf + 4, ident, 4) != 0)
        return fb_fail(r, "file identifier is not \"%.4s\"", ident);
    return true;
}

/* Opens the table whose first byte is at pos. */
static bool open_table(fb_reader *r, uint64_t pos, int depth, fb_table *t)
{
    if (r->failed)
        return false;
    if (depth > r->max_depth)
        return fb_fail(r, "tables nested deeper than %d", r->max_depth);
    if (r->n_tables >= r->max_tables)
        return fb_fail(r, "more than %u tables visited; refusing to read further", r->max_tables);
    r->n_tables++;
    if (pos % 4)
        return fb_fail(r, "table at byte %llu is not 4-byte aligned", (unsigned long long)pos);
    if (!in_buf(r, pos, 4))
        return fb_fail(r, "table at byte %llu lies outside the %u-byte file", (unsigned long long)pos,
                       r->len);
    int32_t soff = (int32_t)rd32(r->buf + pos);
    int64_t vt = (int64_t)pos - soff;
    if (vt < 0 || !in_buf(r, (uint64_t)vt, 4))
        return fb_fail(r, "table at byte %llu: its vtable (at %lld) lies outside the file",
                       (unsigned long long)pos, (long long)vt);
    if (vt % 2)
        return fb_fail(r, "table at byte %llu: vtable at %lld is not 2-byte aligned",
                       (unsigned long long)pos, (long long)vt);
    uint16_t vt_size = rd16(r->buf + vt);
    uint16_t size = rd16(r->buf + vt + 2);
    if (vt_size < 4 || vt_size % 2)
        return fb_fail(r, "table at byte %llu: vtable size %u is invalid (even, at least 4)",
                       (unsigned long long)pos, vt_size);
    if (!in_buf(r, (uint64_t)vt, vt_size))
        return fb_fail(r, "table at byte %llu: vtable of %u bytes at %lld runs past the end of the file",
                       (unsigned long long)pos, vt_size, (long long)vt);
    if (size < 4 || !in_buf(r, pos, size))
        return fb_fail(r, "table at byte %llu: body of %u bytes runs past the end of the file",
                       (unsigned long long)pos, size);
    t->pos = (uint32_t)pos;
    t->vt = (uint32_t)vt;
    t->vt_size = vt_size;
    t->size = size;
    t->depth = depth;
    return true;
}

bool fb_root(fb_reader *r, fb_table *root)
{
    if (r->failed)
        return false;
    uint32_t off = rd32(r->buf);
    return open_table(r, off, 0, root);
}

/* The field's offset inside the table, 0 when absent. */
static uint16_t field_off(const fb_reader *r, const fb_table *t, int field)
{
    uint32_t at = 4 + 2 * (uint32_t)field;
    if (field < 0 || at + 2 > t->vt_size)
        return 0;
    return rd16(r->buf + t->vt + at);
}

bool fb_has(const fb_reader *r, const fb_table *t, int field)
{
    return field_off(r, t, field) != 0;
}

/* Position of a present scalar field of `size` bytes, checked to lie inside
 * the table body and be aligned; 0 with *ok = true when absent. */
static uint32_t field_pos(fb_reader *r, const fb_table *t, int field, uint32_t size, bool *ok)
{
    *ok = !r->failed;
    if (r->failed)
        return 0;
    uint16_t off = field_off(r, t, field);
    if (!off)
        return 0;
    if (off < 4 || (uint32_t)off + size > t->size) {
        *ok = fb_fail(r, "table at byte %u: field %d (offset %u, %u bytes) lies outside the table's %u bytes",
                      t->pos, field, off, size, t->size);
        return 0;
    }
    uint32_t p = t->pos + off;
    if (p % size) {
        *ok = fb_fail(r, "table at byte %u: field %d at byte %u is not %u-byte aligned", t->pos,
                      field, p, size);
        return 0;
    }
    return p;
}

#define SCALAR_GETTER(name, type, size, expr)                                       \
    bool name(fb_reader *r, const fb_table *t, int field, type def, type *out)      \
    {                                                                               \
        bool ok;                                                                    \
        uint32_t p = field_pos(r, t, field, size, &ok);                             \
        *out = def;                                                                 \
        if (!ok)                                                                    \
            return false;                                                           \
        if (p) {                                                                    \
            const uint8_t *b = r->buf + p;                                          \
            expr;                                                                   \
        }                                                                           \
        return true;                                                                \
    }

SCALAR_GETTER(fb_get_u8, uint8_t, 1, *out = b[0])
SCALAR_GETTER(fb_get_i8, int8_t, 1, *out = (int8_t)b[0])
SCALAR_GETTER(fb_get_bool, bool, 1, *out = b[0] != 0)
SCALAR_GETTER(fb_get_i32, int32_t, 4, *out = (int32_t)rd32(b))
SCALAR_GETTER(fb_get_u32, uint32_t, 4, *out = rd32(b))
SCALAR_GETTER(fb_get_i64, int64_t, 8, *out = (int64_t)rd64(b))
SCALAR_GETTER(fb_get_u64, uint64_t, 8, *out = rd64(b))
SCALAR_GETTER(fb_get_f32, float, 4, { uint32_t u = rd32(b); memcpy(out, &u, 4); })

/* Follows the uoffset stored at byte p (already inside the buffer, 4-aligned). */
static bool follow(fb_reader *r, uint32_t p, uint64_t *target)
{
    uint32_t off = rd32(r->buf + p);
    /* Offsets point forward: 0 would point at itself, and a negative one
     * (as the Verifier reads it, a signed value) is damage. */
    if (off == 0 || off > 0x7fffffffu)
        return fb_fail(r, "offset at byte %u has the invalid value %u", p, off);
    *target = (uint64_t)p + off;
    if (*target >= r->len)
        return fb_fail(r, "offset at byte %u points to byte %llu, past the end of the %u-byte file", p,
                       (unsigned long long)*target, r->len);
    return true;
}

bool fb_get_table(fb_reader *r, const fb_table *t, int field, fb_table *out, bool *present)
{
    bool ok;
    *present = false;
    uint32_t p = field_pos(r, t, field, 4, &ok);
    if (!ok)
        return false;
    if (!p)
        return true;
    uint64_t target;
    if (!follow(r, p, &target) || !open_table(r, target, t->depth + 1, out))
        return false;
    *present = true;
    return true;
}

/* Verifies the vector whose length field is at pos. */
static bool open_vec(fb_reader *r, uint64_t pos, uint32_t elem_size, int depth, fb_vec *v)
{
    assert(elem_size == 1 || elem_size == 2 || elem_size == 4 || elem_size == 8);
    if (pos % 4)
        return fb_fail(r, "vector at byte %llu is not 4-byte aligned", (unsigned long long)pos);
    if (!in_buf(r, pos, 4))
        return fb_fail(r, "vector at byte %llu lies outside the file", (unsigned long long)pos);
    uint32_t n = rd32(r->buf + pos);
    /* n * elem_size in 64 bits cannot wrap; the comparison bounds it by the file. */
    if (!in_buf(r, pos + 4, (uint64_t)n * elem_size))
        return fb_fail(r, "vector at byte %llu claims %u elements of %u bytes, past the end of the %u-byte file",
                       (unsigned long long)pos, n, elem_size, r->len);
    if (elem_size == 8 && n > 0 && (pos + 4) % 8)
        return fb_fail(r, "vector at byte %llu: 8-byte elements are not 8-byte aligned",
                       (unsigned long long)pos);
    v->pos = (uint32_t)(pos + 4);
    v->n = n;
    v->elem_size = elem_size;
    v->depth = depth;
    return true;
}

bool fb_get_vec(fb_reader *r, const fb_table *t, int field, uint32_t elem_size, fb_vec *out,
                bool *present)
{
    bool ok;
    memset(out, 0, sizeof *out);
    out->elem_size = elem_size;
    out->depth = t->depth;
    if (present)
        *present = false;
    uint32_t p = field_pos(r, t, field, 4, &ok);
    if (!ok)
        return false;
    if (!p)
        return true;
    uint64_t target;
    if (!follow(r, p, &target) || !open_vec(r, target, elem_size, t->depth, out))
        return false;
    if (present)
        *present = true;
    return true;
}

/* A string at pos: a byte vector plus a NUL just after it. */
static bool open_str(fb_reader *r, uint64_t pos, int depth, const char **s, uint32_t *len)
{
    fb_vec v;
    if (!open_vec(r, pos, 1, depth, &v))
        return false;
    if (!in_buf(r, (uint64_t)v.pos + v.n, 1) || r->buf[v.pos + v.n] != 0)
        return fb_fail(r, "string at byte %llu (%u bytes) has no terminating NUL inside the file",
                       (unsigned long long)pos, v.n);
    *s = (const char *)(r->buf + v.pos);
    if (len)
        *len = v.n;
    return true;
}

bool fb_get_str(fb_reader *r, const fb_table *t, int field, const char **s, uint32_t *len)
{
    bool ok;
    *s = NULL;
    if (len)
        *len = 0;
    uint32_t p = field_pos(r, t, field, 4, &ok);
    if (!ok)
        return false;
    if (!p)
        return true;
    uint64_t target;
    return follow(r, p, &target) && open_str(r, target, t->depth, s, len);
}

bool fb_vec_table(fb_reader *r, const fb_vec *v, uint32_t i, fb_table *out)
{
    if (r->failed)
        return false;
    if (v->elem_size != 4 || i >= v->n)
        return fb_fail(r, "element %u of a %u-element vector at byte %u does not exist", i, v->n,
                       v->pos);
    uint64_t target;
    return follow(r, v->pos + 4 * i, &target) && open_table(r, target, v->depth + 1, out);
}

bool fb_vec_str(fb_reader *r, const fb_vec *v, uint32_t i, const char **s, uint32_t *len)
{
    if (r->failed)
        return false;
    if (v->elem_size != 4 || i >= v->n)
        return fb_fail(r, "element %u of a %u-element vector at byte %u does not exist", i, v->n,
                       v->pos);
    uint64_t target;
    return follow(r, v->pos + 4 * i, &target) && open_str(r, target, v->depth, s, len);
}

uint8_t fb_vec_u8(const fb_reader *r, const fb_vec *v, uint32_t i)
{
    assert(v->elem_size == 1 && i < v->n);
    return r->buf[v->pos + i];
}

int32_t fb_vec_i32(const fb_reader *r, const fb_vec *v, uint32_t i)
{
    assert(v->elem_size == 4 && i < v->n);
    return (int32_t)rd32(r->buf + v->pos + 4 * (size_t)i);
}

int64_t fb_vec_i64(const fb_reader *r, const fb_vec *v, uint32_t i)
{
    assert(v->elem_size == 8 && i < v->n);
    return (int64_t)rd64(r->buf + v->pos + 8 * (size_t)i);
}

float fb_vec_f32(const fb_reader *r, const fb_vec *v, uint32_t i)
{
    assert(v->elem_size == 4 && i < v->n);
    uint32_t u = rd32(r->buf + v->pos + 4 * (size_t)i);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

const uint8_t *fb_vec_bytes(const fb_reader *r, const fb_vec *v)
{
    return r->buf + v->pos;
}
