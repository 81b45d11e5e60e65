/*
 * hexfile.h - Intel HEX and Motorola S-record output of a blob at its
 * absolute address, for programmers that take those files (STM32CubeProgrammer,
 * J-Flash, OpenOCD, objcopy).
 */
#ifndef KILN_FLASH_HEXFILE_H
#define KILN_FLASH_HEXFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

/* Appends the records for `len` bytes at absolute address `addr` to `out`.
 * rec_len: data bytes per record (16 or 32).  Fails (with `err`) when the
 * bytes would run past the 32-bit address space. */
bool hex_write_ihex(sbuf *out, uint32_t addr, const uint8_t *data, size_t len, unsigned rec_len,
                    char *err, size_t errlen);
bool hex_write_srec(sbuf *out, uint32_t addr, const uint8_t *data, size_t len, unsigned rec_len,
                    const char *header, char *err, size_t errlen);

#endif
