/*
 * protobuf.c - the protobuf wire-format reader (see protobuf.h).
 *
 * Relies on nothing but the bytes it is given.  Every read is preceded by a
 * check of the bytes that remain; lengths are compared by subtraction so no
 * sum can overflow.  It never allocates and never recurses.
 */
#include "import/protobuf.h"

#include <stdio.h>
#include <string.h>

bool pb_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    size_t i = *pos;
    for (int k = 0; k < 10; k++) {
        if (i >= len)
            return false;
        uint8_t b = p[i++];
        /* The 10th byte holds bit 63 only: anything more overflows. */
        if (k == 9 && (b & 0x7e))
            return false;
        x |= (uint64_t)(b & 0x7f) << (7 * k);
        if (!(b & 0x80)) {
            *pos = i;
            *v = x;
            return true;
        }
    }
    return false;   /* 10 bytes and still a continuation bit */
}

static const char *wire_name(unsigned w)
{
    switch (w) {
    case PB_WIRE_VARINT: return "varint";
    case PB_WIRE_I64: return "fixed64";
    case PB_WIRE_LEN: return "length-delimited";
    case PB_WIRE_SGROUP: return "start-group";
    case PB_WIRE_EGROUP: return "end-group";
    case PB_WIRE_I32: return "fixed32";
    default: return "invalid";
    }
}

pb_status pb_next(pb_reader *r, pb_field *f, char *err, size_t errlen)
{
    const uint8_t *p = r->s.p;
    size_t len = r->s.len;
    if (r->pos >= len)
        return PB_END;
    size_t start = r->pos, pos = r->pos;
    uint64_t tag;
    memset(f, 0, sizeof *f);
    f->off = r->s.off + start;
    if (!pb_varint(p, len, &pos, &tag)) {
        snprintf(err, errlen, "byte %zu: truncated or overlong field tag", f->off);
        return PB_ERROR;
    }
    uint64_t num = tag >> 3;
    unsigned wire = (unsigned)(tag & 7);
    if (num == 0 || num > 0x1fffffff) {
        snprintf(err, errlen, "byte %zu: invalid field number %llu", f->off, (unsigned long long)num);
        return PB_ERROR;
    }
    f->num = (uint32_t)num;
    f->wire = (pb_wire)wire;
    switch (wire) {
    case PB_WIRE_VARINT:
        if (!pb_varint(p, len, &pos, &f->u)) {
            snprintf(err, errlen, "byte %zu: field %u: truncated or overlong varint", f->off, f->num);
            return PB_ERROR;
        }
        break;
    case PB_WIRE_I64:
    case PB_WIRE_I32: {
        size_t n = wire == PB_WIRE_I64 ? 8 : 4;
        if (len - pos < n) {
            snprintf(err, errlen, "byte %zu: field %u: %s value runs past the end of its message (%zu bytes left)",
                     f->off, f->num, wire_name(wire), len - pos);
            return PB_ERROR;
        }
        uint64_t x = 0;
        for (size_t i = 0; i < n; i++)
            x |= (uint64_t)p[pos + i] << (8 * i);
        f->u = x;
        pos += n;
        break;
    }
    case PB_WIRE_LEN: {
        uint64_t n;
        if (!pb_varint(p, len, &pos, &n)) {
            snprintf(err, errlen, "byte %zu: field %u: truncated or overlong length", f->off, f->num);
            return PB_ERROR;
        }
        if (n > len - pos) {
            snprintf(err, errlen, "byte %zu: field %u: length %llu runs past the end of its message (%zu bytes left)",
                     f->off, f->num, (unsigned long long)n, len - pos);
            return PB_ERROR;
        }
        f->bytes.p = p + pos;
        f->bytes.len = (size_t)n;
        f->bytes.off = r->s.off + pos;
        pos += (size_t)n;
        break;
    }
    default:
        snprintf(err, errlen, "byte %zu: field %u has wire type %u (%s), which this reader does not accept",
                 f->off, f->num, wire, wire_name(wire));
        return PB_ERROR;
    }
    r->pos = pos;
    return PB_OK;
}

bool pb_as_int64(const pb_field *f, int64_t *v)
{
    if (f->wire != PB_WIRE_VARINT)
        return false;
    *v = (int64_t)f->u;
    return true;
}

bool pb_as_float(const pb_field *f, float *v)
{
    if (f->wire != PB_WIRE_I32)
        return false;
    uint32_t b = (uint32_t)f->u;
    memcpy(v, &b, sizeof *v);
    return true;
}

bool pb_as_double(const pb_field *f, double *v)
{
    if (f->wire != PB_WIRE_I64)
        return false;
    memcpy(v, &f->u, sizeof *v);
    return true;
}

bool pb_packed_next(pb_span s, pb_wire elem, size_t *pos, uint64_t *v)
{
    if (elem == PB_WIRE_VARINT)
        return pb_varint(s.p, s.len, pos, v);
    size_t n = elem == PB_WIRE_I64 ? 8 : elem == PB_WIRE_I32 ? 4 : 0;
    if (n == 0 || *pos > s.len || s.len - *pos < n)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x |= (uint64_t)s.p[*pos + i] << (8 * i);
    *pos += n;
    *v = x;
    return true;
}

bool pb_packed_count(pb_span s, pb_wire elem, size_t *n)
{
    if (elem == PB_WIRE_I32 || elem == PB_WIRE_I64) {
        size_t w = elem == PB_WIRE_I64 ? 8 : 4;
        if (s.len % w)
            return false;
        *n = s.len / w;
        return true;
    }
    if (elem != PB_WIRE_VARINT)
        return false;
    size_t pos = 0, k = 0;
    uint64_t v;
    while (pos < s.len) {
        if (!pb_varint(s.p, s.len, &pos, &v))
            return false;
        k++;
    }
    *n = k;
    return true;
}
