/*
 * flatbuf.h - a checked, zero-copy reader for FlatBuffers binaries.
 *
 * The bytes are untrusted.  Every access goes through a function here that
 * first verifies what it is about to read, the way the FlatBuffers Verifier
 * does: offsets land inside the buffer and are aligned, vtables lie inside the
 * buffer and describe a table that does too, a field fits inside its table,
 * vector lengths cannot overflow, strings are NUL-terminated.  Nothing is
 * copied: tables, vectors and strings are positions in the caller's buffer,
 * which must outlive the reader.  Scalars are read with memcpy as
 * little-endian values, so an unaligned host never faults; alignment is still
 * checked because a well-formed buffer always has it, and a misaligned one is
 * damaged.
 *
 * A problem is reported once: the first failing check writes a message into
 * fb_reader.err (with the byte offset) and every accessor returns false.
 * Depth and the number of tables opened are limited, so neither deep nesting
 * nor a small file whose vectors all point at the same big table can make
 * a reader run for long.
 *
 * Knows nothing of any schema: fields are addressed by their index in the
 * schema's table declaration (0 for the first field).
 */
#ifndef KILN_FLATBUF_H
#define KILN_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FB_MAX_SIZE 0x7fffffffu   /* FlatBuffers offsets are 32-bit, sizes < 2 GiB */
#define FB_MAX_DEPTH 64
#define FB_MAX_TABLES 1000000u

typedef struct fb_reader {
    const uint8_t *buf;
    uint32_t len;
    uint32_t n_tables;              /* tables opened so far (bounded by max_tables) */
    uint32_t max_tables;
    int max_depth;
    bool failed;
    char err[256];                  /* the first problem found */
} fb_reader;

/* A verified table: its vtable lies in the buffer and the table body
 * [pos, pos + size) does too. */
typedef struct fb_table {
    uint32_t pos;
    uint32_t vt;                    /* vtable position */
    uint16_t vt_size;               /* bytes of vtable */
    uint16_t size;                  /* bytes of table body, from pos */
    int depth;                      /* root = 0 */
} fb_table;

/* A verified vector: n elements of elem_size bytes from pos lie in the buffer. */
typedef struct fb_vec {
    uint32_t pos;                   /* first element */
    uint32_t n;
    uint32_t elem_size;
    int depth;                      /* of the table holding it */
} fb_vec;

/* Starts a reader over buf.  ident, when non-NULL, is the 4-byte file
 * identifier that must follow the root offset.  Fails (with r->err) when
 * the buffer is too short or too large. */
bool fb_init(fb_reader *r, const uint8_t *buf, size_t len, const char *ident);
/* Opens the root table. */
bool fb_root(fb_reader *r, fb_table *root);

/* Records a problem (printf-style) unless one is recorded already; returns false. */
bool fb_fail(fb_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Puts printf-style context before the recorded message ("tensors[3]: ..."). */
void fb_prefix(fb_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* True when field `field` is present in t (has a non-zero vtable entry). */
bool fb_has(const fb_reader *r, const fb_table *t, int field);

/* Scalar fields: *out = the field's value, or def when absent. */
bool fb_get_u8(fb_reader *r, const fb_table *t, int field, uint8_t def, uint8_t *out);
bool fb_get_i8(fb_reader *r, const fb_table *t, int field, int8_t def, int8_t *out);
bool fb_get_bool(fb_reader *r, const fb_table *t, int field, bool def, bool *out);
bool fb_get_i32(fb_reader *r, const fb_table *t, int field, int32_t def, int32_t *out);
bool fb_get_u32(fb_reader *r, const fb_table *t, int field, uint32_t def, uint32_t *out);
bool fb_get_i64(fb_reader *r, const fb_table *t, int field, int64_t def, int64_t *out);
bool fb_get_u64(fb_reader *r, const fb_table *t, int field, uint64_t def, uint64_t *out);
bool fb_get_f32(fb_reader *r, const fb_table *t, int field, float def, float *out);

/* Sub-table field.  *present = false (and true is returned) when absent. */
bool fb_get_table(fb_reader *r, const fb_table *t, int field, fb_table *out, bool *present);
/* Vector field of scalars (elem_size 1, 2, 4 or 8) or of offsets (4).
 * Absent: an empty vector (n = 0) and *present = false (present may be NULL). */
bool fb_get_vec(fb_reader *r, const fb_table *t, int field, uint32_t elem_size, fb_vec *out,
                bool *present);
/* String field: *s points at verified, NUL-terminated bytes in the buffer
 * (len excludes the NUL).  Absent: *s = NULL. */
bool fb_get_str(fb_reader *r, const fb_table *t, int field, const char **s, uint32_t *len);

/* Element i (< v->n, checked) of a vector of tables / strings. */
bool fb_vec_table(fb_reader *r, const fb_vec *v, uint32_t i, fb_table *out);
bool fb_vec_str(fb_reader *r, const fb_vec *v, uint32_t i, const char **s, uint32_t *len);

/* Elements of verified scalar vectors.  i < v->n and the element size are the
 * caller's invariant (asserted): the vector itself was verified when read. */
uint8_t fb_vec_u8(const fb_reader *r, const fb_vec *v, uint32_t i);
int32_t fb_vec_i32(const fb_reader *r, const fb_vec *v, uint32_t i);
int64_t fb_vec_i64(const fb_reader *r, const fb_vec *v, uint32_t i);
float fb_vec_f32(const fb_reader *r, const fb_vec *v, uint32_t i);
/* The raw bytes of a vector (for byte vectors such as buffers). */
const uint8_t *fb_vec_bytes(const fb_reader *r, const fb_vec *v);

#endif
