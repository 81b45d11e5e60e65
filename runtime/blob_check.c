/*
 * blob_check.c - decides whether a weights blob may be used.
 *
 * Checks run cheapest and most telling first, so the status names the real
 * cause: an erased chip reports "erased", not "bad magic"; another model's
 * blob "signature", not "payload size".  Nothing here writes to the blob or
 * trusts a header field before the header CRC has passed; sizes are compared
 * without overflow (every sum below is bounded by total_size, itself checked
 * against the memory given before anything past the header is read).
 *
 * Two levels (docs/blob-format.md lists every check in order):
 *   kiln_blob_check        the structure: header, layout, payload CRC,
 *                          directory.  Any Kiln blob passes it, a crafted
 *                          one that stays self-consistent too.
 *   kiln_blob_check_model  also every header field against what the code
 *                          was built for, and the payload by the code's own
 *                          CRC-32 or SHA-256: only the blob the code was
 *                          generated with passes.  kiln_net_init runs this.
 */
#include "kiln/blob.h"
#include "kiln/sha256.h"
#include "kernels/bytes.h"

static int all_bytes_are(const uint8_t *p, uint32_t n, uint8_t v)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* Records a failing field check in the report and returns `status`. */
static kiln_status field_fail(kiln_blob_report *r, kiln_status status, uint32_t field, uint32_t found,
                              uint32_t expected, uint32_t rel)
{
    r->field = field;
    r->found = found;
    r->expected = expected;
    r->rel = rel;
    return status;
}

/* Checks 1-11: from "is there anything" to "is it this model's". */
static kiln_status check_header(const uint8_t *b, uintptr_t base, size_t capacity, uint64_t expected_signature,
                                kiln_blob_report *r)
{
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
    r->crc_expected = r->crc_found = 0;

    r->header_size = kiln_rd_u16(b + KILN_BLOB_OFF_HEADER_SIZE);
    r->flags = kiln_rd_u32(b + KILN_BLOB_OFF_FLAGS);
    r->align = kiln_rd_u32(b + KILN_BLOB_OFF_ALIGN);
    r->signature = kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
    r->payload_size = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE);
    r->tensor_count = kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT);
    if (r->header_size != KILN_BLOB_HEADER_SIZE)
        return field_fail(r, KILN_E_BLOB_HEADER_SIZE, KILN_BLOB_FIELD_HEADER_SIZE, r->header_size,
                          KILN_BLOB_HEADER_SIZE, KILN_BLOB_REL_EQ);
    if ((r->flags & ~KILN_BLOB_F_KNOWN) != 0)
        return field_fail(r, KILN_E_BLOB_HEADER_SIZE, KILN_BLOB_FIELD_FLAGS, r->flags,
                          KILN_BLOB_F_KNOWN, KILN_BLOB_REL_MAX);
    if (r->align < 4u || r->align > 4096u || (r->align & (r->align - 1u)) != 0)
        return field_fail(r, KILN_E_BLOB_HEADER_SIZE, KILN_BLOB_FIELD_ALIGN, r->align,
                          r->align < 4u ? 4u : 4096u, r->align < 4u ? KILN_BLOB_REL_MIN : KILN_BLOB_REL_MAX);
    if (r->payload_size > 0xFFFFFFFFu - KILN_BLOB_HEADER_SIZE)
        return field_fail(r, KILN_E_BLOB_HEADER_SIZE, KILN_BLOB_FIELD_PAYLOAD_SIZE, r->payload_size,
                          0xFFFFFFFFu - KILN_BLOB_HEADER_SIZE, KILN_BLOB_REL_MAX);
    r->total_size = KILN_BLOB_HEADER_SIZE + r->payload_size;
    for (uint32_t i = KILN_BLOB_OFF_RESERVED; i < KILN_BLOB_OFF_HEADER_CRC; i++)
        if (b[i] != 0)
            return field_fail(r, KILN_E_BLOB_RESERVED, KILN_BLOB_FIELD_RESERVED, b[i], 0, KILN_BLOB_REL_EQ);

    if (base % r->align != 0)
        return KILN_E_BLOB_ALIGNMENT;
    if ((size_t)r->total_size > capacity)
        return KILN_E_BLOB_TRUNCATED;
    if (r->signature != expected_signature)
        return KILN_E_BLOB_SIGNATURE;
    return KILN_OK;
}

/* Check 12 (with a model): every header field not yet pinned, against the
 * code's expectation.  Magic, version, header size, reserved bytes and the
 * signature already are; the header CRC follows from the rest. */
static kiln_status check_fields(const uint8_t *b, const kiln_blob_expect *e, kiln_blob_report *r)
{
    const struct {
        uint32_t field, found, expected;
    } f[] = {
        {KILN_BLOB_FIELD_PAYLOAD_SIZE, r->payload_size, e->total_size - KILN_BLOB_HEADER_SIZE},
        {KILN_BLOB_FIELD_TENSOR_COUNT, r->tensor_count, e->tensor_count},
        {KILN_BLOB_FIELD_DIR_OFFSET, kiln_rd_u32(b + KILN_BLOB_OFF_DIR), e->dir_offset},
        {KILN_BLOB_FIELD_DATA_OFFSET, kiln_rd_u32(b + KILN_BLOB_OFF_DATA), e->data_offset},
        {KILN_BLOB_FIELD_ALIGN, r->align, e->align},
        {KILN_BLOB_FIELD_FLAGS, r->flags, e->flags},
        {KILN_BLOB_FIELD_PAYLOAD_CRC, kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC), e->payload_crc},
    };
    for (uint32_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].found != f[i].expected)
            return field_fail(r, KILN_E_BLOB_MISMATCH, f[i].field, f[i].found, f[i].expected,
                              KILN_BLOB_REL_EQ);
    return KILN_OK;
}

/* Check 13: the header's own offsets fit its sizes (format version 1: the
 * directory right after the header, names after it, aligned data from
 * data_offset to the end). */
static kiln_status check_layout(const uint8_t *b, kiln_blob_report *r)
{
    const uint32_t dir = kiln_rd_u32(b + KILN_BLOB_OFF_DIR), data = kiln_rd_u32(b + KILN_BLOB_OFF_DATA);
    const uint32_t has_dir = r->flags & KILN_BLOB_F_DIRECTORY;
    const uint32_t max_entries = r->payload_size / KILN_BLOB_DIR_ENTRY_SIZE;

    if (has_dir ? r->tensor_count == 0 : r->tensor_count != 0)
        return field_fail(r, KILN_E_BLOB_LAYOUT, KILN_BLOB_FIELD_TENSOR_COUNT, r->tensor_count,
                          has_dir ? 1u : 0u, has_dir ? KILN_BLOB_REL_MIN : KILN_BLOB_REL_EQ);
    if (dir != KILN_BLOB_HEADER_SIZE)
        return field_fail(r, KILN_E_BLOB_LAYOUT, KILN_BLOB_FIELD_DIR_OFFSET, dir, KILN_BLOB_HEADER_SIZE,
                          KILN_BLOB_REL_EQ);
    if (r->tensor_count > max_entries)
        return field_fail(r, KILN_E_BLOB_LAYOUT, KILN_BLOB_FIELD_TENSOR_COUNT, r->tensor_count,
                          max_entries, KILN_BLOB_REL_MAX);
    /* dir + 16 * count <= total: no overflow, by the line above. */
    if (data < dir + KILN_BLOB_DIR_ENTRY_SIZE * r->tensor_count)
        return field_fail(r, KILN_E_BLOB_LAYOUT, KILN_BLOB_FIELD_DATA_OFFSET, data,
                          dir + KILN_BLOB_DIR_ENTRY_SIZE * r->tensor_count, KILN_BLOB_REL_MIN);
    if (data > r->total_size)
        return field_fail(r, KILN_E_BLOB_LAYOUT, KILN_BLOB_FIELD_DATA_OFFSET, data, r->total_size,
                          KILN_BLOB_REL_MAX);
    if (data % r->align != 0)
        return field_fail(r, KILN_E_BLOB_LAYOUT, KILN_BLOB_FIELD_DATA_OFFSET, data, r->align,
                          KILN_BLOB_REL_MULTIPLE);
    return KILN_OK;
}

/* Check 14: the payload against the CRC-32 its header stores. */
static kiln_status check_payload_crc(const uint8_t *b, kiln_blob_report *r)
{
    r->crc_expected = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC);
    r->crc_found = kiln_crc32(0, b + KILN_BLOB_HEADER_SIZE, r->payload_size);
    if (r->crc_expected != r->crc_found)
        return KILN_E_BLOB_PAYLOAD_CRC;
    r->crc_expected = r->crc_found = 0;
    return KILN_OK;
}

/* Check 15 (with a model in SHA-256 mode): the payload against the digest
 * the code carries.  Never skipped: a build that chose SHA-256 chose to pay
 * for it at every init, as MCUboot verifies an image at every boot. */
kiln_status kiln_blob_digest_compare(const uint8_t d[KILN_BLOB_DIGEST_BYTES], const kiln_blob_expect *e,
                                     kiln_blob_report *r)
{
    uint32_t diff = 0;
    for (uint32_t i = 0; i < KILN_SHA256_BYTES; i++)
        diff |= (uint32_t)(d[i] ^ e->sha256[i]);
    if (diff)
        return field_fail(r, KILN_E_BLOB_DIGEST, KILN_BLOB_FIELD_PAYLOAD_SHA256,
                          ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3],
                          ((uint32_t)e->sha256[0] << 24) | ((uint32_t)e->sha256[1] << 16) |
                              ((uint32_t)e->sha256[2] << 8) | e->sha256[3],
                          KILN_BLOB_REL_EQ);
    return KILN_OK;
}

static kiln_status check_digest(const uint8_t *b, const kiln_blob_expect *e, kiln_blob_report *r)
{
    uint8_t d[KILN_SHA256_BYTES];
    kiln_sha256(b + KILN_BLOB_HEADER_SIZE, r->payload_size, d);
    return kiln_blob_digest_compare(d, e, r);
}

/* One directory entry: its bytes, given where the previous entry's data and
 * name ended (entries and names are in increasing order, as the writer lays
 * them out, so the whole check reads each name byte once). */
static kiln_status check_entry(const uint8_t *b, uint32_t i, uint32_t data, uint32_t *data_end,
                               uint32_t *name_end, kiln_blob_report *r)
{
    const uint8_t *e = b + KILN_BLOB_HEADER_SIZE + i * KILN_BLOB_DIR_ENTRY_SIZE;
    const uint32_t off = kiln_rd_u32(e + KILN_BLOB_DIR_OFF_OFFSET), size = kiln_rd_u32(e + KILN_BLOB_DIR_OFF_SIZE);
    const uint32_t name = kiln_rd_u32(e + KILN_BLOB_DIR_OFF_NAME);
    const uint32_t dtype = e[KILN_BLOB_DIR_OFF_DTYPE], kind = e[KILN_BLOB_DIR_OFF_KIND];
    const uint32_t layout = kiln_rd_u16(e + KILN_BLOB_DIR_OFF_LAYOUT);
    uint32_t k;

    r->entry = i;
    if (layout >= KILN_BLOB_LAYOUT_COUNT)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_LAYOUT, layout,
                          KILN_BLOB_LAYOUT_COUNT - 1u, KILN_BLOB_REL_MAX);
    if (dtype < KILN_BLOB_DT_F32 || dtype > KILN_BLOB_DT_U64)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_DTYPE, dtype,
                          dtype < KILN_BLOB_DT_F32 ? KILN_BLOB_DT_F32 : KILN_BLOB_DT_U64,
                          dtype < KILN_BLOB_DT_F32 ? KILN_BLOB_REL_MIN : KILN_BLOB_REL_MAX);
    if (kind < KILN_BLOB_KIND_WEIGHTS || kind > KILN_BLOB_KIND_DERIVED)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_KIND, kind,
                          kind < KILN_BLOB_KIND_WEIGHTS ? KILN_BLOB_KIND_WEIGHTS : KILN_BLOB_KIND_DERIVED,
                          kind < KILN_BLOB_KIND_WEIGHTS ? KILN_BLOB_REL_MIN : KILN_BLOB_REL_MAX);
    if (off < *data_end)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_OFFSET, off, *data_end, KILN_BLOB_REL_MIN);
    if (off > r->total_size)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_OFFSET, off, r->total_size,
                          KILN_BLOB_REL_MAX);
    if (off % r->align != 0)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_OFFSET, off, r->align,
                          KILN_BLOB_REL_MULTIPLE);
    if (size > r->total_size - off)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_SIZE, size, r->total_size - off,
                          KILN_BLOB_REL_MAX);
    if (name < *name_end)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_NAME, name, *name_end, KILN_BLOB_REL_MIN);
    /* The name, NUL included, ends before the data starts. */
    for (k = name; k < data && b[k] != 0; k++)
        ;
    if (k >= data)
        return field_fail(r, KILN_E_BLOB_DIRECTORY, KILN_BLOB_FIELD_ENTRY_NAME, name, data, KILN_BLOB_REL_MAX);
    *data_end = off + size;
    *name_end = k + 1u;
    return KILN_OK;
}

/* Check 16: every directory entry inside the payload, in order, aligned,
 * well-formed.  The generated code never reads the directory, but tools do,
 * and a blob is either entirely right or refused. */
kiln_status kiln_blob_check_directory(const uint8_t *b, kiln_blob_report *r)
{
    const uint32_t data = kiln_rd_u32(b + KILN_BLOB_OFF_DATA);
    uint32_t data_end = data;
    uint32_t name_end = KILN_BLOB_HEADER_SIZE + r->tensor_count * KILN_BLOB_DIR_ENTRY_SIZE;
    for (uint32_t i = 0; i < r->tensor_count; i++) {
        kiln_status s = check_entry(b, i, data, &data_end, &name_end, r);
        if (s != KILN_OK)
            return s;
    }
    r->entry = 0;
    return KILN_OK;
}

static void clear_report(kiln_blob_report *r)
{
    kiln_bytes_fill(r, 0, sizeof *r); /* the runtime's own: no libc memset linked */
}

kiln_status kiln_blob_check(const void *blob, size_t capacity, uint64_t expected_signature,
                            uint32_t flags, kiln_blob_report *report)
{
    kiln_blob_report local;
    kiln_blob_report *r = report ? report : &local;
    const uint8_t *b = (const uint8_t *)blob;
    kiln_status s;

    clear_report(r);
    if ((s = check_header(b, (uintptr_t)b, capacity, expected_signature, r)) != KILN_OK ||
        (s = check_layout(b, r)) != KILN_OK)
        return s;
    if (!(flags & KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC) && (s = check_payload_crc(b, r)) != KILN_OK)
        return s;
    return kiln_blob_check_directory(b, r);
}

kiln_status kiln_blob_check_model(const void *blob, size_t capacity, const kiln_blob_expect *e,
                                  uint32_t flags, kiln_blob_report *report)
{
    kiln_blob_report local;
    kiln_blob_report *r = report ? report : &local;
    const uint8_t *b = (const uint8_t *)blob;
    kiln_status s;

    clear_report(r);
    if (!e || e->total_size < KILN_BLOB_HEADER_SIZE ||
        (e->integrity != KILN_INTEGRITY_CRC32 && e->integrity != KILN_INTEGRITY_SHA256))
        return KILN_E_MODEL;
    if ((s = check_header(b, (uintptr_t)b, capacity, e->signature, r)) != KILN_OK ||
        (s = check_fields(b, e, r)) != KILN_OK || (s = check_layout(b, r)) != KILN_OK)
        return s;
    /* SHA-256 covers every payload byte the CRC does: computing both would
     * only cost time.  The header's CRC field is pinned by check_fields. */
    if (e->integrity == KILN_INTEGRITY_SHA256)
        s = check_digest(b, e, r);
    else if (!(flags & KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC))
        s = check_payload_crc(b, r);
    if (s != KILN_OK)
        return s;
    return kiln_blob_check_directory(b, r);
}

kiln_status kiln_blob_check_model_header(const uint8_t *header, size_t capacity, const kiln_blob_expect *e,
                                         kiln_blob_report *report)
{
    kiln_blob_report local;
    kiln_blob_report *r = report ? report : &local;
    kiln_status s;

    clear_report(r);
    if (!e || e->total_size < KILN_BLOB_HEADER_SIZE ||
        (e->integrity != KILN_INTEGRITY_CRC32 && e->integrity != KILN_INTEGRITY_SHA256))
        return KILN_E_MODEL;
    /* Read through a callback, the blob has no address: any base is aligned. */
    if ((s = check_header(header, 0, capacity, e->signature, r)) != KILN_OK ||
        (s = check_fields(header, e, r)) != KILN_OK)
        return s;
    return check_layout(header, r);
}
