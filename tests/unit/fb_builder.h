/*
 * fb_builder.h - a tiny FlatBuffers writer for tests (header-only).
 *
 * Builds buffers front to back: a table's vtable is written just before it,
 * and a field that refers to a table, vector or string is patched once the
 * target has been written after it, so every offset points forward as the
 * format requires.  It exists so tests can make exact, hand-checked byte
 * strings (valid and deliberately broken) without any code under test;
 * it does no validation of its own.
 */
#ifndef KILN_TEST_FB_BUILDER_H
#define KILN_TEST_FB_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct fbb {
    uint8_t *buf;
    size_t len, cap;
} fbb;

/* A field of a table being written: id = index in the schema; size 1, 2, 4
 * or 8 for scalars (val holds the bits), or FBB_REF for an offset to fill in
 * later with fbb_patch (its position is returned in pos). */
#define FBB_REF 0
typedef struct fbb_field {
    int id;
    int size;
    uint64_t val;
    size_t pos;         /* out: where the field was written */
} fbb_field;

static void fbb_reserve(fbb *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->buf = realloc(b->buf, b->cap);
    }
}

static void fbb_put(fbb *b, const void *p, size_t n)
{
    fbb_reserve(b, n);
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void fbb_le(fbb *b, uint64_t v, int size)
{
    uint8_t t[8];
    for (int i = 0; i < size; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    fbb_put(b, t, (size_t)size);
}

static void fbb_set32(fbb *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->buf[at + i] = (uint8_t)(v >> (8 * i));
}

static void fbb_align(fbb *b, size_t a)
{
    while (b->len % a)
        fbb_le(b, 0, 1);
}

/* Starts a buffer: root offset (patched by fbb_finish) and the identifier. */
static void fbb_start(fbb *b, const char *ident)
{
    memset(b, 0, sizeof *b);
    fbb_le(b, 0, 4);
    fbb_put(b, ident ? ident : "\0\0\0\0", 4);
}

static void fbb_finish(fbb *b, size_t root)
{
    fbb_set32(b, 0, (uint32_t)root);
    fbb_align(b, 8);
}

/* Writes a vtable and its table; returns the table's position. */
static size_t fbb_table(fbb *b, int n, fbb_field *f)
{
    int max_id = -1;
    for (int i = 0; i < n; i++)
        if (f[i].id > max_id)
            max_id = f[i].id;
    /* Field offsets: after the soffset, each aligned to its size. */
    uint16_t off[64] = {0};
    size_t at = 4, maxal = 4;
    for (int i = 0; i < n; i++) {
        size_t sz = f[i].size ? (size_t)f[i].size : 4;
        while (at % sz)
            at++;
        off[f[i].id] = (uint16_t)at;
        at += sz;
        if (sz > maxal)
            maxal = sz;
    }
    size_t tsize = at;
    size_t vt_size = 4 + 2 * (size_t)(max_id + 1);
    /* The table must start aligned to its largest field; pad before the
     * vtable so that vtable + table land right. */
    fbb_align(b, 2);
    while ((b->len + vt_size) % maxal)
        fbb_le(b, 0, 2);
    size_t vt = b->len;
    fbb_le(b, vt_size, 2);
    fbb_le(b, tsize, 2);
    for (int i = 0; i <= max_id; i++)
        fbb_le(b, off[i], 2);
    size_t t = b->len;
    fbb_reserve(b, tsize);
    memset(b->buf + t, 0, tsize);
    b->len += tsize;
    fbb_set32(b, t, (uint32_t)(t - vt));            /* soffset: vtable is before */
    for (int i = 0; i < n; i++) {
        f[i].pos = t + off[f[i].id];
        int sz = f[i].size ? f[i].size : 4;
        for (int k = 0; k < sz; k++)
            b->buf[f[i].pos + (size_t)k] = f[i].size ? (uint8_t)(f[i].val >> (8 * k)) : 0;
    }
    return t;
}

/* Points the offset field at `field_pos` to `target` (written after it). */
static void fbb_patch(fbb *b, size_t field_pos, size_t target)
{
    fbb_set32(b, field_pos, (uint32_t)(target - field_pos));
}

/* A vector of n scalars of elem_size bytes (little-endian host data);
 * returns the position of its length field. */
static size_t fbb_vec(fbb *b, size_t elem_size, size_t n, const void *data)
{
    fbb_align(b, 4);
    while ((b->len + 4) % (elem_size > 4 ? elem_size : 4))
        fbb_le(b, 0, 4);
    size_t at = b->len;
    fbb_le(b, n, 4);
    if (n)
        fbb_put(b, data, elem_size * n);
    return at;
}

/* A vector of n offsets to fill in later; returns its position. */
static size_t fbb_refvec(fbb *b, size_t n)
{
    fbb_align(b, 4);
    size_t at = b->len;
    fbb_le(b, n, 4);
    for (size_t i = 0; i < n; i++)
        fbb_le(b, 0, 4);
    return at;
}

static void fbb_patch_elem(fbb *b, size_t vec, size_t i, size_t target)
{
    fbb_patch(b, vec + 4 + 4 * i, target);
}

static size_t fbb_str(fbb *b, const char *s)
{
    size_t n = strlen(s);
    fbb_align(b, 4);
    size_t at = b->len;
    fbb_le(b, n, 4);
    fbb_put(b, s, n + 1);
    return at;
}

#endif
