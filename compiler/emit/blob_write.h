/*
 * blob_write.h - lays out and serialises a weights blob (docs/blob-format.md).
 *
 * The one writer of the format that runtime/blob_check.c reads.  Pure: bytes
 * in, bytes out; callers decide where the bytes go (a .bin, the C array of
 * inline weights, a test's flash image).
 */
#ifndef KILN_BLOB_WRITE_H
#define KILN_BLOB_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kiln/blob.h"

typedef struct blob_tensor {
    const char *name;
    const void *data;
    size_t nbytes;
    kiln_blob_dtype dtype;
    kiln_blob_kind kind;
    kiln_blob_layout layout;
    uint32_t offset;        /* out: data offset from the blob start */
} blob_tensor;

/* Lays out the tensors (directory, names, then data each aligned to `align`),
 * fills in every offset, the CRCs and the signature, and returns the whole
 * blob in *out (heap).  align: a power of two, 4..4096. */
bool blob_build(blob_tensor *t, int n, uint32_t align, uint64_t signature, uint8_t **out,
                size_t *out_len, char *err, size_t errlen);

/* Only the layout pass of blob_build: fills t[i].offset and returns the total
 * blob size, so generated code can be written before the bytes exist. */
size_t blob_layout(blob_tensor *t, int n, uint32_t align);

/* Writes the little-endian header fields and both CRCs of a laid-out blob
 * whose payload is already in place (used by tests that build odd blobs). */
void blob_seal(uint8_t *blob, size_t len, uint32_t align, uint64_t signature, uint32_t tensor_count,
               uint32_t dir_offset, uint32_t data_offset);

#endif
