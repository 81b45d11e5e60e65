/*
 * protobuf.h - a reader for the protobuf wire format, for untrusted bytes.
 *
 * It walks one message's fields in order and hands out views into the input
 * buffer (nothing is copied).  Every varint and every length is checked
 * against the bytes that remain, so a reader never touches memory outside
 * the buffer it was given, whatever the bytes are.  It knows nothing about
 * any schema: nested messages are returned as byte views that the caller
 * opens with a new reader, so the depth of nesting is the caller's to bound
 * (the ONNX decoder nests a fixed number of levels and never recurses).
 *
 * Deprecated groups (wire types 3 and 4) are refused: no schema Kiln reads
 * uses them, and skipping them correctly would need a nesting count.
 */
#ifndef KILN_PROTOBUF_H
#define KILN_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte view into the input: `off` is p's offset from the start of the
 * whole file, for error messages. */
typedef struct pb_span {
    const uint8_t *p;
    size_t len;
    size_t off;
} pb_span;

typedef enum pb_wire {
    PB_WIRE_VARINT = 0,
    PB_WIRE_I64 = 1,
    PB_WIRE_LEN = 2,
    PB_WIRE_SGROUP = 3,
    PB_WIRE_EGROUP = 4,
    PB_WIRE_I32 = 5
} pb_wire;

typedef struct pb_field {
    uint32_t num;       /* field number, 1 .. 2^29-1 */
    pb_wire wire;
    uint64_t u;         /* VARINT, I64 and I32 payloads */
    pb_span bytes;      /* LEN payload */
    size_t off;         /* file offset of the field's tag */
} pb_field;

typedef struct pb_reader {
    pb_span s;
    size_t pos;
} pb_reader;

typedef enum pb_status { PB_OK = 0, PB_END, PB_ERROR } pb_status;

static inline pb_reader pb_reader_of(pb_span s)
{
    pb_reader r = {s, 0};
    return r;
}

/* Reads the next field.  PB_END at the end of the message; PB_ERROR with a
 * message naming the byte offset when the bytes are not valid wire format. */
pb_status pb_next(pb_reader *r, pb_field *f, char *err, size_t errlen);

/* Decodes one varint from p[*pos..len); advances *pos.  False when it runs
 * past len or is longer than 10 bytes / overflows 64 bits. */
bool pb_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v);

/* The payload of a field read as a scalar: a signed int64 (VARINT, as
 * protobuf's int32/int64 encode negatives), float (I32) or double (I64).
 * False when the wire type does not fit. */
bool pb_as_int64(const pb_field *f, int64_t *v);
bool pb_as_float(const pb_field *f, float *v);
bool pb_as_double(const pb_field *f, double *v);

/* Repeated scalars arrive either packed (one LEN field holding the values)
 * or one field per value.  These count and decode both forms for one field:
 * elem is the wire type of a single element (VARINT, I32 or I64).
 * pb_packed_count() checks that a packed payload is well formed. */
bool pb_packed_count(pb_span s, pb_wire elem, size_t *n);
/* Reads element i sequentially: *pos is a cursor into s, start it at 0. */
bool pb_packed_next(pb_span s, pb_wire elem, size_t *pos, uint64_t *v);

#endif
