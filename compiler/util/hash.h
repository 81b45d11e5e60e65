/*
 * hash.h - FNV-1a, for model signatures and name hashes.
 *
 * Not cryptographic: the signature tells one model from another and catches a
 * stale blob; integrity against corruption is the CRC's job.
 */
#ifndef KILN_HASH_H
#define KILN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_INIT 0xcbf29ce484222325ull
#define FNV32_INIT 0x811c9dc5u

uint64_t fnv64(uint64_t h, const void *data, size_t n);
uint64_t fnv64_str(uint64_t h, const char *s);   /* includes the NUL, so "ab","c" != "a","bc" */
uint32_t fnv32_str(const char *s);

#endif
