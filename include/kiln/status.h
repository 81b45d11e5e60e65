/*
 * status.h - the one list of things that can go wrong in the Kiln runtime.
 *
 * Every runtime function returns a kiln_status; none prints or aborts.  The
 * numbers are stable (they travel over the validation protocol and appear in
 * logs), so new codes are appended, never renumbered.  kiln_status_str() gives
 * the message a person reads; kiln_status_name() the identifier a script greps.
 */
#ifndef KILN_STATUS_H
#define KILN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_status {
    KILN_OK = 0,

    /* Weights blob checks (runtime/blob_check.c).  The order they run in is
     * docs/blob-format.md's table, not these numbers (12.. came later). */
    KILN_E_BLOB_NULL = 1,          /* no pointer, or no memory given */
    KILN_E_BLOB_ERASED = 2,        /* header reads all 0xFF: flash erased, never programmed */
    KILN_E_BLOB_ZERO = 3,          /* header reads all 0x00: unprogrammed RAM/PSRAM or wiped */
    KILN_E_BLOB_MAGIC = 4,         /* not a Kiln blob (wrong address, other data) */
    KILN_E_BLOB_VERSION = 5,       /* a blob format this runtime does not read */
    KILN_E_BLOB_HEADER_CRC = 6,    /* header bytes corrupted */
    KILN_E_BLOB_HEADER_SIZE = 7,   /* header size/alignment fields out of range */
    KILN_E_BLOB_TRUNCATED = 8,     /* header says more bytes than the memory given */
    KILN_E_BLOB_SIGNATURE = 9,     /* blob of another model (or another build of it) */
    KILN_E_BLOB_PAYLOAD_CRC = 10,  /* payload corrupted (bit flip, partial write) */
    KILN_E_BLOB_ALIGNMENT = 11,    /* blob placed at an address the kernels cannot use */
    KILN_E_BLOB_RESERVED = 12,     /* reserved header bytes not zero */
    KILN_E_BLOB_LAYOUT = 13,       /* directory/data offsets or tensor count inconsistent with the sizes */
    KILN_E_BLOB_DIRECTORY = 14,    /* a directory entry outside the payload, misaligned, or malformed */
    KILN_E_BLOB_MISMATCH = 15,     /* a header field differs from what the code was built for */
    KILN_E_BLOB_DIGEST = 16,       /* payload SHA-256 differs from the one the code carries */

    /* Network use. */
    KILN_E_NOT_READY = 20,         /* run before a successful init */
    KILN_E_ARENA_SMALL = 21,       /* arena smaller than the generated code needs */
    KILN_E_ARENA_ALIGN = 22,       /* arena not aligned as the generated code needs */
    KILN_E_ARG = 23,               /* a NULL or out-of-range argument */
    KILN_E_MODEL = 24,             /* the model descriptor is inconsistent (hand-edited, or another kiln's) */

    /* Two-slot (A/B) weights storage (runtime/slots.c). */
    KILN_E_NO_VALID_SLOT = 30,     /* neither slot holds a blob that passes every check */
    KILN_E_IO = 31                 /* a storage read callback failed */
} kiln_status;

/* A sentence for people, e.g. "weights blob is erased flash (all 0xFF): ...". */
const char *kiln_status_str(kiln_status s);
/* The enumerator's name, e.g. "KILN_E_BLOB_ERASED". */
const char *kiln_status_name(kiln_status s);

#ifdef __cplusplus
}
#endif
#endif
