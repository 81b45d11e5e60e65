/*
 * blob_check.c - decides whether a weights blob may be used.
 *
 * Checks run cheapest and most telling first, so the status names the real
 * cause: an erased chip reports "erased", not "bad magic".  Nothing here
 * writes to the blob or trusts a header field before the header CRC has
 * passed; sizes are compared without overflow.
 */
#include "kiln/blob.h"

static int all_bytes_are(const uint8_t *p, uint32_t n, uint8_t v)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

kiln_status kiln_blob_check(const void *blob, size_t capacity, uint64_t expected_signature,
                            uint32_t flags, kiln_blob_report *report)
{
    kiln_blob_report local;
    kiln_blob_report *r = report ? report : &local;
    const uint8_t *b = (const uint8_t *)blob;
    uint32_t i;

    for (i = 0; i < sizeof *r; i++)
        ((uint8_t *)r)[i] = 0;
    if (!b || capacity == 0)
        return KILN_E_BLOB_NULL;
    if (capacity < KILN_BLOB_HEADER_SIZE) {
        if (all_bytes_are(b, (uint32_t)capacity, 0xFFu))
            return KILN_E_BLOB_ERASED;
        if (all_bytes_are(b, (uint32_t)capacity, 0x00u))
            return KILN_E_BLOB_ZERO;
        return KILN_E_BLOB_TRUNCATED;
    }
    if (all_bytes_are(b, KILN_BLOB_HEADER_SIZE, 0xFFu))
        return KILN_E_BLOB_ERASED;
    if (all_bytes_are(b, KILN_BLOB_HEADER_SIZE, 0x00u))
        return KILN_E_BLOB_ZERO;
    if (b[0] != KILN_BLOB_MAGIC0 || b[1] != KILN_BLOB_MAGIC1 || b[2] != KILN_BLOB_MAGIC2 ||
        b[3] != KILN_BLOB_MAGIC3)
        return KILN_E_BLOB_MAGIC;

    r->version = kiln_rd_u16(b + KILN_BLOB_OFF_VERSION);
    if (r->version != KILN_BLOB_VERSION)
        return KILN_E_BLOB_VERSION;

    r->crc_expected = kiln_rd_u32(b + KILN_BLOB_OFF_HEADER_CRC);
    r->crc_found = kiln_crc32(0, b, KILN_BLOB_OFF_HEADER_CRC);
    if (r->crc_expected != r->crc_found)
        return KILN_E_BLOB_HEADER_CRC;

    r->header_size = kiln_rd_u16(b + KILN_BLOB_OFF_HEADER_SIZE);
    r->flags = kiln_rd_u32(b + KILN_BLOB_OFF_FLAGS);
    r->align = kiln_rd_u32(b + KILN_BLOB_OFF_ALIGN);
    r->signature = kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
    r->payload_size = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE);
    r->tensor_count = kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT);
    if (r->header_size != KILN_BLOB_HEADER_SIZE || (r->flags & ~KILN_BLOB_F_KNOWN) != 0 ||
        r->align < 4u || r->align > 4096u || (r->align & (r->align - 1u)) != 0)
        return KILN_E_BLOB_HEADER_SIZE;
    if (r->payload_size > 0xFFFFFFFFu - KILN_BLOB_HEADER_SIZE)
        return KILN_E_BLOB_HEADER_SIZE;
    r->total_size = KILN_BLOB_HEADER_SIZE + r->payload_size;

    if ((uintptr_t)b % r->align != 0)
        return KILN_E_BLOB_ALIGNMENT;
    if ((size_t)r->total_size > capacity)
        return KILN_E_BLOB_TRUNCATED;
    if (r->signature != expected_signature)
        return KILN_E_BLOB_SIGNATURE;

    if (!(flags & KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC)) {
        r->crc_expected = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC);
        r->crc_found = kiln_crc32(0, b + KILN_BLOB_HEADER_SIZE, r->payload_size);
        if (r->crc_expected != r->crc_found)
            return KILN_E_BLOB_PAYLOAD_CRC;
    }
    r->crc_expected = r->crc_found = 0;
    return KILN_OK;
}
