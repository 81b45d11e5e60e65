/*
 * blob_match.h - is this weights blob the one a model compiles to?  And, for
 * any failed blob check, the sentence that says why.
 *
 * Shared by `kiln blob info --model` and the `kiln flash` commands that take
 * --model, so a host tool refuses exactly what the firmware will refuse, and
 * more: the whole blob is compared byte for byte with the compiled one, so a
 * blob that fools no check of the runtime but is not this build's (possible
 * in crc32 mode) is refused too.
 */
#ifndef KILN_BLOB_MATCH_H
#define KILN_BLOB_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "kiln/blob.h"

typedef struct blob_match {
    kiln_status status;         /* kiln_blob_check_model with the compiled expectation */
    kiln_blob_report rep;
    bool identical;             /* every byte equal, and the same length */
} blob_match;

/*
 * Checks blob b (len bytes, at an address aligned to 4096) against the
 * compiled model c: the runtime's check first, then byte for byte.  Returns
 * true only when both pass; otherwise `why` holds one line naming the first
 * difference (a field with found and expected, or a byte offset with the
 * header field, directory entry or tensor it belongs to).
 */
bool blob_match_compiled(const compiled *c, const uint8_t *b, size_t len, blob_match *m, char *why,
                         size_t whylen);

/*
 * What a failed check found, for people: "stored CRC 0x..., computed 0x...",
 * "header says N bytes, M given", "blob 0x..., model 0x...", "blob version
 * N, this kiln reads 1", or the field line of kiln_blob_report_str; "" when
 * the status has no detail.  capacity: the bytes the check was given;
 * signature: the one it expected.
 */
void blob_explain(kiln_status s, const kiln_blob_report *r, size_t capacity, uint64_t signature,
                  char *buf, size_t n);

/* A model file given where a weights blob belongs: true, with the sentence
 * that says so and how to get the blob ("'x.tflite' is a TensorFlow Lite
 * model, not a weights blob: `kiln generate x.tflite -o DIR` writes its blob
 * to DIR/NET_data.bin"), when b starts like a .tflite (identifier TFL3) or
 * is named .onnx and starts like an ONNX protobuf. */
bool blob_is_model_file(const uint8_t *b, size_t len, const char *path, char *msg, size_t n);

/* Where byte `off` of blob b (len bytes) lies, for "at ..." messages:
 * "header field payload_size", "directory entry 3", "the tensor names",
 * "tensor 4 'conv.weight' + 16", "padding". */
void blob_locate(const uint8_t *b, size_t len, size_t off, char *buf, size_t n);

#endif
