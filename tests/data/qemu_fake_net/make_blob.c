/*
 * make_blob.c - writes the weights of the fake network (fake.c) with the
 * real blob writer: tensor 0 "w" f32[16] with w[i] = (i + 1) / 2, tensor 1
 * "b" f32[16] with b[i] = i - 8, and fake_blob_size.h (its size and the
 * header fields the descriptor pins); with --c also
 * fake_data.c, the same bytes as a C array (inline weights).
 *
 *   make_blob DIR SIGNATURE [--c]
 *
 * Built by tests/e2e/qemu_protocol.sh against build/libkilnc.a.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/blob_write.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: make_blob DIR SIGNATURE [--c]\n");
        return 2;
    }
    const char *dir = argv[1];
    uint64_t sig = strtoull(argv[2], NULL, 0);
    int as_c = argc > 3 && !strcmp(argv[3], "--c");
    float w[16], b[16];
    for (int i = 0; i < 16; i++) {
        w[i] = (float)(i + 1) / 2.0f;
        b[i] = (float)(i - 8);
    }
    blob_tensor t[2] = {
        {"w", w, sizeof w, KILN_BLOB_DT_F32, KILN_BLOB_KIND_WEIGHTS, 0},
        {"b", b, sizeof b, KILN_BLOB_DT_F32, KILN_BLOB_KIND_WEIGHTS, 0},
    };
    uint8_t *blob;
    size_t len;
    char err[256], path[4096];
    if (!blob_build(t, 2, 16, sig, &blob, &len, err, sizeof err)) {
        fprintf(stderr, "make_blob: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/fake_data.bin", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(blob, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "make_blob: cannot write %s\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/fake_blob_size.h", dir);
    f = fopen(path, "w");
    if (!f)
        return 1;
    /* What the fake's descriptor pins (kiln_model.blob), read from the blob. */
    fprintf(f, "#define FAKE_BLOB_BYTES_VALUE %zuu\n", len);
    fprintf(f, "#define FAKE_BLOB_FLAGS 0x%xu\n", kiln_rd_u32(blob + KILN_BLOB_OFF_FLAGS));
    fprintf(f, "#define FAKE_BLOB_ALIGN %uu\n", kiln_rd_u32(blob + KILN_BLOB_OFF_ALIGN));
    fprintf(f, "#define FAKE_BLOB_TENSORS %uu\n", kiln_rd_u32(blob + KILN_BLOB_OFF_TENSOR_COUNT));
    fprintf(f, "#define FAKE_BLOB_DIR %uu\n", kiln_rd_u32(blob + KILN_BLOB_OFF_DIR));
    fprintf(f, "#define FAKE_BLOB_DATA %uu\n", kiln_rd_u32(blob + KILN_BLOB_OFF_DATA));
    fprintf(f, "#define FAKE_BLOB_CRC 0x%08xu\n", kiln_rd_u32(blob + KILN_BLOB_OFF_PAYLOAD_CRC));
    fclose(f);
    if (as_c) {
        snprintf(path, sizeof path, "%s/fake_data.c", dir);
        f = fopen(path, "w");
        if (!f)
            return 1;
        fprintf(f, "#include \"fake.h\"\nconst uint8_t fake_blob[%zu] KILN_ALIGNED(16) = {", len);
        for (size_t i = 0; i < len; i++)
            fprintf(f, "%s%u", i == 0 ? "\n" : (i % 16 ? "," : ",\n"), blob[i]);
        fprintf(f, "\n};\n");
        fclose(f);
    }
    free(blob);
    return 0;
}
