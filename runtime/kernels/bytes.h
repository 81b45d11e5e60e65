/*
 * bytes.h - the runtime's own memcpy and memset (copy_bytes.c): the kernels'
 * scratch rows and the blob check use these, so that firmware links no libc
 * string functions.  Internal to the runtime.
 */
#ifndef KILN_BYTES_H
#define KILN_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Copies n bytes from src to dst (the two do not overlap). */
void kiln_bytes_copy(void *dst, const void *src, size_t n);

/* Sets n bytes at dst to value. */
void kiln_bytes_fill(void *dst, uint8_t value, size_t n);

#endif
