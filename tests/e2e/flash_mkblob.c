/*
 * flash_mkblob.c - makes test blobs for the flash e2e scripts with the one
 * blob writer (blob_build); built by the scripts against build/libkilnc.a.
 *
 *   flash_mkblob OUT NBYTES SEED [SIGNATURE] [ALIGN]
 *
 * One tensor of NBYTES pseudo-random bytes (xorshift32 from SEED).
 */
#include <stdio.h>
#include <stdlib.h>

#include "emit/blob_write.h"
#include "util/fileio.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: flash_mkblob OUT NBYTES SEED [SIGNATURE] [ALIGN]\n");
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 0);
    uint32_t x = (uint32_t)strtoul(argv[3], NULL, 0) * 2654435761u + 1u;
    uint64_t sig = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x0123456789ABCDEFull;
    uint32_t align = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 64;
    uint8_t *data = malloc(n ? n : 1), *blob;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (uint8_t)x;
    }
    blob_tensor t = {"weights", data, n, KILN_BLOB_DT_S8, KILN_BLOB_KIND_WEIGHTS, 0};
    size_t len;
    char err[256];
    if (!blob_build(&t, 1, align, sig, &blob, &len, err, sizeof err) ||
        !write_file_atomic(argv[1], blob, len, err, sizeof err)) {
        fprintf(stderr, "flash_mkblob: %s\n", err);
        return 2;
    }
    free(data);
    free(blob);
    return 0;
}
