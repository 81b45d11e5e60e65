/*
 * blob.h - the weights blob: on-flash format and the check the runtime runs
 * before it lets a network touch a single weight.
 *
 * Shared by the runtime (which checks blobs) and the compiler (which writes
 * them), so the format is defined once, here, by byte offsets.  Fields are
 * little-endian and read byte by byte, so the header may sit at any address
 * and the code is the same on big- and little-endian hosts.  The full format,
 * with the reasons behind each field, is docs/blob-format.md.
 *
 *   blob = header (64 bytes) | payload (payload_size bytes)
 *   payload = directory | names | padding | tensor data (each aligned to `align`)
 *
 * Any single flipped bit is caught: the header CRC covers every header byte
 * before it (reserved ones included) and the payload CRC every payload byte
 * (padding included).  CRCs catch accidents, not intent: anyone can recompute
 * them.  What stops a crafted blob is the comparison with what the generated
 * code was built for (kiln_blob_check_model): every header field exactly,
 * and the payload by a CRC-32 or SHA-256 the code carries (docs/security.md).
 */
#ifndef KILN_BLOB_H
#define KILN_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_BLOB_MAGIC0 0x4Bu /* 'K' */
#define KILN_BLOB_MAGIC1 0x4Cu /* 'L' */
#define KILN_BLOB_MAGIC2 0x4Eu /* 'N' */
#define KILN_BLOB_MAGIC3 0x42u /* 'B' */
#define KILN_BLOB_VERSION 2u  /* 2: directory entries name the layout of their data */
#define KILN_BLOB_HEADER_SIZE 64u

/* Header field offsets (bytes from the start of the blob). */
#define KILN_BLOB_OFF_MAGIC 0u         /* u8[4]  "KLNB" */
#define KILN_BLOB_OFF_VERSION 4u       /* u16    format version */
#define KILN_BLOB_OFF_HEADER_SIZE 6u   /* u16    64 */
#define KILN_BLOB_OFF_FLAGS 8u         /* u32    KILN_BLOB_F_*; unknown bits must be 0 */
#define KILN_BLOB_OFF_ALIGN 12u        /* u32    alignment of tensor data and of the blob base */
#define KILN_BLOB_OFF_SIGNATURE 16u    /* u64    model signature, see docs/blob-format.md */
#define KILN_BLOB_OFF_PAYLOAD_SIZE 24u /* u32    bytes after the header */
#define KILN_BLOB_OFF_PAYLOAD_CRC 28u  /* u32    CRC-32/IEEE of the payload */
#define KILN_BLOB_OFF_TENSOR_COUNT 32u /* u32    directory entries */
#define KILN_BLOB_OFF_DIR 36u          /* u32    directory offset from blob start */
#define KILN_BLOB_OFF_DATA 40u         /* u32    first tensor byte, from blob start */
#define KILN_BLOB_OFF_RESERVED 44u     /* u8[16] zero */
#define KILN_BLOB_OFF_HEADER_CRC 60u   /* u32    CRC-32/IEEE of bytes 0..59 */

#define KILN_BLOB_F_DIRECTORY 0x1u     /* payload starts with a tensor directory (tensor_count > 0) */
#define KILN_BLOB_F_KNOWN 0x1u         /* every flag bit this version defines */

/* Directory entry, 16 bytes each, at KILN_BLOB_OFF_DIR. */
#define KILN_BLOB_DIR_ENTRY_SIZE 16u
#define KILN_BLOB_DIR_OFF_OFFSET 0u    /* u32 data offset from blob start */
#define KILN_BLOB_DIR_OFF_SIZE 4u      /* u32 bytes */
#define KILN_BLOB_DIR_OFF_NAME 8u      /* u32 offset of a NUL-terminated name, from blob start */
#define KILN_BLOB_DIR_OFF_DTYPE 12u    /* u8  kiln_blob_dtype */
#define KILN_BLOB_DIR_OFF_KIND 13u     /* u8  kiln_blob_kind */
#define KILN_BLOB_DIR_OFF_LAYOUT 14u   /* u16 kiln_blob_layout (zero in version 1) */

typedef enum kiln_blob_dtype {
    KILN_BLOB_DT_F32 = 1, KILN_BLOB_DT_S8 = 2, KILN_BLOB_DT_U8 = 3, KILN_BLOB_DT_S16 = 4,
    KILN_BLOB_DT_S32 = 5, KILN_BLOB_DT_S64 = 6, KILN_BLOB_DT_U16 = 7, KILN_BLOB_DT_U32 = 8,
    KILN_BLOB_DT_BOOL = 9, KILN_BLOB_DT_U64 = 10
} kiln_blob_dtype;

typedef enum kiln_blob_kind {
    KILN_BLOB_KIND_WEIGHTS = 1,    /* a model constant, possibly repacked for its kernel */
    KILN_BLOB_KIND_DERIVED = 2     /* made by the compiler: multipliers, tables, folded BN */
} kiln_blob_kind;

/* How a tensor's bytes are laid out for the kernel that reads them
 * (docs/blob-format.md, docs/kernels-int8.md "Packed kernels"). */
typedef enum kiln_blob_layout {
    KILN_BLOB_LAYOUT_PLAIN = 0,     /* elements of `dtype`, as the generated call expects */
    KILN_BLOB_LAYOUT_GEMM16_G2 = 1, /* packed conv/FC stream: int16 slices, channels by 2 */
    KILN_BLOB_LAYOUT_GEMM8_G2 = 2,  /*   int8 slices, channels by 2 */
    KILN_BLOB_LAYOUT_GEMM16_G4 = 3, /*   int16 slices, channels by 4 (FC, batch 1) */
    KILN_BLOB_LAYOUT_GEMM8_G4 = 4,  /*   int8 slices, channels by 4 */
    KILN_BLOB_LAYOUT_DW3X3 = 5,     /* packed 3x3 depthwise stream */
    KILN_BLOB_LAYOUT_DW3X3_T = 6,   /*   the same, kernel transposed */
    KILN_BLOB_LAYOUT_DW3X3_C4 = 7,  /* packed NHWC 3x3 depthwise stream, 4 channels a block */
    KILN_BLOB_LAYOUT_F32_PANELS = 8, /* float32 conv/FC weights in panels of output channels */
    KILN_BLOB_LAYOUT_F32_DW = 9,    /* float32 depthwise weights, [channel block][tap][lane] */
    KILN_BLOB_LAYOUT_F32_BIAS = 10, /* float32 bias padded with zeros to whole panels */
    KILN_BLOB_LAYOUT_DW3X3_C4S2 = 11, /* packed NHWC 3x3 depthwise stream for stride 2 */
    KILN_BLOB_LAYOUT_C8 = 12,       /* packed 1x1 conv stream, 8 input channels, bias in rnd */
    KILN_BLOB_LAYOUT_GEMM16_G2_RGB = 13, /* gemm16x2 stream of a 3x3 conv on 3 channels: 27 taps dense in 7 slices */
    KILN_BLOB_LAYOUT_DW_ANY = 14,   /* packed NHWC depthwise stream, any window, 4 channels a block */
    KILN_BLOB_LAYOUT_FC8_HOST = 15, /* host FC stream: int8 rows per channel, channels by 8, uint8 inputs */
    KILN_BLOB_LAYOUT_COUNT
} kiln_blob_layout;

/* Flags for kiln_blob_check() and kiln_blob_check_model(). */
#define KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC 0x1u /* skip computing the payload CRC-32 (boot-time
                                               * budgets); every header check still runs, and a
                                               * SHA-256 the code carries is never skipped */

/* How init checks the payload bytes against what the code was built for
 * (kiln generate --integrity; docs/security.md). */
typedef enum kiln_integrity {
    KILN_INTEGRITY_CRC32 = 1,   /* CRC-32 of the payload, the value pinned in the code */
    KILN_INTEGRITY_SHA256 = 2   /* SHA-256 of the payload, carried by the code */
} kiln_integrity;

#define KILN_BLOB_DIGEST_BYTES 32u

/* What the generated code was built for.  kiln_blob_check_model() refuses a
 * blob whose header differs from it in any field, and whose payload differs
 * in CRC-32 or SHA-256 (as `integrity` says): with SHA-256 the whole blob is
 * pinned byte for byte. */
typedef struct kiln_blob_expect {
    uint64_t signature;
    uint32_t total_size;        /* header + payload; the model's blob_bytes */
    uint32_t flags;
    uint32_t align;
    uint32_t tensor_count;
    uint32_t dir_offset;
    uint32_t data_offset;
    uint32_t payload_crc;       /* the header's payload_crc must hold this */
    uint32_t integrity;         /* kiln_integrity */
    uint8_t sha256[KILN_BLOB_DIGEST_BYTES]; /* of the payload; KILN_INTEGRITY_SHA256 only */
} kiln_blob_expect;

/* Which value a failing check is about (kiln_blob_report.field). */
typedef enum kiln_blob_field {
    KILN_BLOB_FIELD_NONE = 0,
    KILN_BLOB_FIELD_HEADER_SIZE, KILN_BLOB_FIELD_FLAGS, KILN_BLOB_FIELD_ALIGN,
    KILN_BLOB_FIELD_PAYLOAD_SIZE, KILN_BLOB_FIELD_PAYLOAD_CRC, KILN_BLOB_FIELD_TENSOR_COUNT,
    KILN_BLOB_FIELD_DIR_OFFSET, KILN_BLOB_FIELD_DATA_OFFSET, KILN_BLOB_FIELD_RESERVED,
    KILN_BLOB_FIELD_PAYLOAD_SHA256,     /* found/expected: the digests' first 4 bytes */
    /* Directory entry `entry`: */
    KILN_BLOB_FIELD_ENTRY_OFFSET, KILN_BLOB_FIELD_ENTRY_SIZE, KILN_BLOB_FIELD_ENTRY_NAME,
    KILN_BLOB_FIELD_ENTRY_DTYPE, KILN_BLOB_FIELD_ENTRY_KIND, KILN_BLOB_FIELD_ENTRY_LAYOUT
} kiln_blob_field;

/* How `found` broke `expected` (kiln_blob_report.rel). */
typedef enum kiln_blob_rel {
    KILN_BLOB_REL_EQ = 0,       /* must equal */
    KILN_BLOB_REL_MIN = 1,      /* must be at least */
    KILN_BLOB_REL_MAX = 2,      /* must be at most */
    KILN_BLOB_REL_MULTIPLE = 3  /* must be a multiple of */
} kiln_blob_rel;

/* What the check found, for messages that say "found X, expected Y". */
typedef struct kiln_blob_report {
    uint32_t version;
    uint32_t header_size;
    uint32_t flags;
    uint32_t align;
    uint32_t payload_size;
    uint32_t tensor_count;
    uint64_t signature;
    uint32_t total_size;        /* header + payload, as the header claims */
    uint32_t crc_expected;      /* of the failing CRC check, as stored */
    uint32_t crc_found;         /* of the failing CRC check, as computed */
    /* The failing field check (field 0 when the status is about no field): */
    uint32_t field;             /* kiln_blob_field */
    uint32_t entry;             /* directory entry, for KILN_BLOB_FIELD_ENTRY_* */
    uint32_t found;             /* value in the blob */
    uint32_t expected;          /* what it had to be, in the sense of `rel` */
    uint32_t rel;               /* kiln_blob_rel */
} kiln_blob_report;

/*
 * Check a blob in memory (memory-mapped flash or RAM) before use, with no
 * knowledge of the model but its signature: header, layout, payload CRC and
 * directory (the structural check; host tools use it on any blob).
 * capacity: bytes readable at `blob` (the flash region or the buffer size).
 * Returns KILN_OK, or the first failing check (docs/blob-format.md gives the
 * order).  `report` may be NULL; when given it is filled with what was read
 * so far and, for a field check, which field, found and expected.
 */
kiln_status kiln_blob_check(const void *blob, size_t capacity, uint64_t expected_signature,
                            uint32_t flags, kiln_blob_report *report);

/*
 * The check kiln_net_init runs: everything kiln_blob_check does, and every
 * header field compared with what the code was built for, and the payload
 * checked by the code's own CRC-32 or SHA-256.  KILN_E_MODEL when `expect`
 * itself is unusable (NULL, unknown integrity mode, size below a header).
 */
kiln_status kiln_blob_check_model(const void *blob, size_t capacity, const kiln_blob_expect *expect,
                                  uint32_t flags, kiln_blob_report *report);

/*
 * The pieces of kiln_blob_check_model, for a blob read through a callback
 * (runtime/stream.c), in the order it runs them:
 *   kiln_blob_check_model_header  the header (KILN_BLOB_HEADER_SIZE bytes,
 *                                 wherever they were read to) against `e`:
 *                                 checks 1-13 but the base alignment;
 *   kiln_blob_digest_compare      a payload SHA-256 computed by the caller;
 *   kiln_blob_check_directory     `b` holds the blob's first data_offset bytes.
 * Each fills `report` as the whole check would.
 */
kiln_status kiln_blob_check_model_header(const uint8_t *header, size_t capacity, const kiln_blob_expect *e,
                                         kiln_blob_report *report);
kiln_status kiln_blob_digest_compare(const uint8_t digest[KILN_BLOB_DIGEST_BYTES], const kiln_blob_expect *e,
                                     kiln_blob_report *report);
kiln_status kiln_blob_check_directory(const uint8_t *b, kiln_blob_report *report);

/* The name of a kiln_blob_field as docs/blob-format.md spells it ("payload_size"). */
const char *kiln_blob_field_name(uint32_t field);

/* One line for people: "header field payload_size: found 7464, expected 14928"
 * (or "directory entry 3 offset: ..."), NUL-terminated and cut to fit n
 * bytes; "" when the report names no field.  Returns the length written. */
size_t kiln_blob_report_str(const kiln_blob_report *r, char *buf, size_t n);

/* CRC-32/IEEE 802.3 (poly 0x04C11DB7 reflected, init and xorout 0xFFFFFFFF),
 * the CRC of zlib and of an STM32 CRC unit set to reflect in/out.
 * Chain calls: crc = kiln_crc32(kiln_crc32(0, a, n), b, m). */
uint32_t kiln_crc32(uint32_t crc, const void *data, size_t n);

/* Little-endian field readers, alignment-free. */
static inline uint32_t kiln_rd_u16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static inline uint32_t kiln_rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t kiln_rd_u64(const uint8_t *p)
{
    return (uint64_t)kiln_rd_u32(p) | ((uint64_t)kiln_rd_u32(p + 4) << 32);
}

#ifdef __cplusplus
}
#endif
#endif
