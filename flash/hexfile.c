/*
 * hexfile.c - writes Intel HEX (I32HEX) and Motorola S-record (S3) files.
 *
 * Intel HEX: an extended linear address record (type 04) whenever the upper
 * 16 address bits change, data records (type 00) that never cross a 64 KiB
 * boundary, and the end-of-file record (type 01).  No start address record:
 * a blob is data, not a program.  S-records: an S0 header, S3 data records
 * with 32-bit addresses, and an S7 terminator with start address 0.
 * Checksums as the formats define them (two's complement of the byte sum for
 * HEX, one's complement of the byte sum for S-records).  Pure: builds text.
 */
#include "flash/hexfile.h"

#include <stdio.h>
#include <string.h>

static bool fits(uint32_t addr, size_t len, char *err, size_t errlen)
{
    if ((uint64_t)addr + len > 0x100000000ull) {
        snprintf(err, errlen, "%zu bytes at 0x%08x run past the 32-bit address space", len, addr);
        return false;
    }
    return true;
}

/* One Intel HEX record ":LLAAAATT<data>CC". */
static void ihex_record(sbuf *out, uint8_t type, uint16_t addr, const uint8_t *data, unsigned n)
{
    unsigned sum = n + (addr >> 8) + (addr & 0xFFu) + type;
    sb_printf(out, ":%02X%04X%02X", n, addr, type);
    for (unsigned i = 0; i < n; i++) {
        sb_printf(out, "%02X", data[i]);
        sum += data[i];
    }
    sb_printf(out, "%02X\n", (unsigned)(-sum & 0xFFu));
}

bool hex_write_ihex(sbuf *out, uint32_t addr, const uint8_t *data, size_t len, unsigned rec_len,
                    char *err, size_t errlen)
{
    if (!fits(addr, len, err, errlen))
        return false;
    uint32_t upper = 0xFFFFFFFFu; /* none emitted yet */
    size_t done = 0;
    while (done < len) {
        uint32_t a = addr + (uint32_t)done;
        if (a >> 16 != upper) {
            upper = a >> 16;
            uint8_t ela[2] = {(uint8_t)(upper >> 8), (uint8_t)upper};
            ihex_record(out, 0x04, 0, ela, 2);
        }
        /* Stop at the record length and at the 64 KiB boundary. */
        size_t n = len - done;
        if (n > rec_len)
            n = rec_len;
        if (n > 0x10000u - (a & 0xFFFFu))
            n = 0x10000u - (a & 0xFFFFu);
        ihex_record(out, 0x00, (uint16_t)(a & 0xFFFFu), data + done, (unsigned)n);
        done += n;
    }
    ihex_record(out, 0x01, 0, NULL, 0);
    return true;
}

/* One S-record "S<t><count><address><data><checksum>", address of `abytes`. */
static void srec_record(sbuf *out, char type, uint32_t addr, unsigned abytes, const uint8_t *data,
                        unsigned n)
{
    unsigned count = abytes + n + 1, sum = count;
    sb_printf(out, "S%c%02X", type, count);
    for (unsigned i = abytes; i-- > 0;) {
        uint8_t b = (uint8_t)(addr >> (8 * i));
        sb_printf(out, "%02X", b);
        sum += b;
    }
    for (unsigned i = 0; i < n; i++) {
        sb_printf(out, "%02X", data[i]);
        sum += data[i];
    }
    sb_printf(out, "%02X\n", (unsigned)(~sum & 0xFFu));
}

bool hex_write_srec(sbuf *out, uint32_t addr, const uint8_t *data, size_t len, unsigned rec_len,
                    const char *header, char *err, size_t errlen)
{
    if (!fits(addr, len, err, errlen))
        return false;
    size_t hl = strlen(header);
    if (hl > 64)
        hl = 64;
    srec_record(out, '0', 0, 2, (const uint8_t *)header, (unsigned)hl);
    for (size_t done = 0; done < len;) {
        size_t n = len - done < rec_len ? len - done : rec_len;
        srec_record(out, '3', addr + (uint32_t)done, 4, data + done, (unsigned)n);
        done += n;
    }
    srec_record(out, '7', 0, 4, NULL, 0);
    return true;
}
