/*
 * status.c - the message for every kiln_status.
 *
 * Messages say what was found and what to do, because they are what a person
 * sees on a UART when a board refuses to run its network.
 */
#include "kiln/status.h"

const char *kiln_status_str(kiln_status s)
{
    switch (s) {
    case KILN_OK: return "ok";
    case KILN_E_BLOB_NULL: return "no weights blob: NULL pointer or zero-sized region";
    case KILN_E_BLOB_ERASED:
        return "weights blob is erased flash (all 0xFF): the blob was never programmed at this address";
    case KILN_E_BLOB_ZERO:
        return "weights blob reads all zeros: nothing was loaded at this address (or it was wiped)";
    case KILN_E_BLOB_MAGIC:
        return "no Kiln blob here (bad magic): wrong address, or the region holds other data";
    case KILN_E_BLOB_VERSION: return "weights blob has a format version this runtime does not read";
    case KILN_E_BLOB_HEADER_CRC: return "weights blob header is corrupted (header CRC mismatch)";
    case KILN_E_BLOB_HEADER_SIZE: return "weights blob header has out-of-range size or alignment fields";
    case KILN_E_BLOB_TRUNCATED:
        return "weights blob is larger than the memory given: truncated, or the region is too small";
    case KILN_E_BLOB_SIGNATURE:
        return "weights blob belongs to another model (signature mismatch): stale or wrong blob";
    case KILN_E_BLOB_PAYLOAD_CRC:
        return "weights blob payload is corrupted (CRC mismatch): partial or damaged write";
    case KILN_E_BLOB_ALIGNMENT: return "weights blob is not at an address aligned as its header requires";
    case KILN_E_BLOB_RESERVED:
        return "weights blob header has non-zero reserved bytes: not written by this Kiln, or crafted";
    case KILN_E_BLOB_LAYOUT:
        return "weights blob header's tensor count or directory/data offsets do not fit its sizes: crafted or damaged";
    case KILN_E_BLOB_DIRECTORY:
        return "weights blob directory has an entry outside the payload, misaligned or malformed: crafted or damaged";
    case KILN_E_BLOB_MISMATCH:
        return "weights blob header differs from what this code was built for: a crafted blob, or another build's";
    case KILN_E_BLOB_DIGEST:
        return "weights blob payload is corrupted or altered (SHA-256 differs from the one this code was built for)";
    case KILN_E_NOT_READY: return "network run before a successful init";
    case KILN_E_ARENA_SMALL: return "arena is smaller than the network needs";
    case KILN_E_ARENA_ALIGN: return "arena is not aligned as the network needs";
    case KILN_E_ARG: return "invalid argument (NULL pointer or index out of range)";
    case KILN_E_MODEL:
        return "model descriptor is inconsistent (unknown integrity mode or disagreeing sizes): regenerate the code";
    case KILN_E_NO_VALID_SLOT: return "no weights slot holds a blob that passes every check";
    case KILN_E_IO: return "storage read failed";
    }
    return "unknown status";
}

const char *kiln_status_name(kiln_status s)
{
    switch (s) {
    case KILN_OK: return "KILN_OK";
    case KILN_E_BLOB_NULL: return "KILN_E_BLOB_NULL";
    case KILN_E_BLOB_ERASED: return "KILN_E_BLOB_ERASED";
    case KILN_E_BLOB_ZERO: return "KILN_E_BLOB_ZERO";
    case KILN_E_BLOB_MAGIC: return "KILN_E_BLOB_MAGIC";
    case KILN_E_BLOB_VERSION: return "KILN_E_BLOB_VERSION";
    case KILN_E_BLOB_HEADER_CRC: return "KILN_E_BLOB_HEADER_CRC";
    case KILN_E_BLOB_HEADER_SIZE: return "KILN_E_BLOB_HEADER_SIZE";
    case KILN_E_BLOB_TRUNCATED: return "KILN_E_BLOB_TRUNCATED";
    case KILN_E_BLOB_SIGNATURE: return "KILN_E_BLOB_SIGNATURE";
    case KILN_E_BLOB_PAYLOAD_CRC: return "KILN_E_BLOB_PAYLOAD_CRC";
    case KILN_E_BLOB_ALIGNMENT: return "KILN_E_BLOB_ALIGNMENT";
    case KILN_E_BLOB_RESERVED: return "KILN_E_BLOB_RESERVED";
    case KILN_E_BLOB_LAYOUT: return "KILN_E_BLOB_LAYOUT";
    case KILN_E_BLOB_DIRECTORY: return "KILN_E_BLOB_DIRECTORY";
    case KILN_E_BLOB_MISMATCH: return "KILN_E_BLOB_MISMATCH";
    case KILN_E_BLOB_DIGEST: return "KILN_E_BLOB_DIGEST";
    case KILN_E_NOT_READY: return "KILN_E_NOT_READY";
    case KILN_E_ARENA_SMALL: return "KILN_E_ARENA_SMALL";
    case KILN_E_ARENA_ALIGN: return "KILN_E_ARENA_ALIGN";
    case KILN_E_ARG: return "KILN_E_ARG";
    case KILN_E_MODEL: return "KILN_E_MODEL";
    case KILN_E_NO_VALID_SLOT: return "KILN_E_NO_VALID_SLOT";
    case KILN_E_IO: return "KILN_E_IO";
    }
    return "KILN_E_UNKNOWN";
}
