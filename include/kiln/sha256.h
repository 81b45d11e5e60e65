/*
 * sha256.h - SHA-256 (FIPS 180-4), streaming, for checking a weights blob
 * against the digest the generated code carries (docs/security.md).
 *
 * Freestanding C99: no allocation, no stdio, no global state; the context is
 * the caller's.  Feed the message in pieces of any size (a memory-mapped
 * blob at once, or chunk by chunk from a storage read callback); the digest
 * is the same.  Not constant-time and not meant for secrets: it checks public
 * bytes against a public digest.
 */
#ifndef KILN_SHA256_H
#define KILN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_SHA256_BYTES 32u
#define KILN_SHA256_BLOCK 64u

typedef struct kiln_sha256_ctx {
    uint32_t h[8];              /* chaining state */
    uint64_t bytes;             /* message length so far */
    uint8_t block[KILN_SHA256_BLOCK]; /* bytes of the current, unfinished block */
    uint32_t fill;              /* how many of them */
} kiln_sha256_ctx;

void kiln_sha256_init(kiln_sha256_ctx *c);
void kiln_sha256_update(kiln_sha256_ctx *c, const void *data, size_t n);
/* Writes the digest; the context must be initialised again before reuse. */
void kiln_sha256_final(kiln_sha256_ctx *c, uint8_t digest[KILN_SHA256_BYTES]);
/* All three at once. */
void kiln_sha256(const void *data, size_t n, uint8_t digest[KILN_SHA256_BYTES]);

#ifdef __cplusplus
}
#endif
#endif
