/*
 * harness.c - the host target of `kiln validate`: runs any generated network
 * on inputs from a file and writes its outputs to a file.
 *
 * Built by `kiln validate` together with the generated NET.c and the runtime,
 * with -DKILN_MODEL=<NET>_model.  It drives the network only through the
 * kiln_model descriptor and the public runtime API, exactly as an
 * application would, so it checks the blob the same way firmware does.
 *
 *   harness [--blob FILE] [--capacity N] [--no-crc] --samples K IN OUT
 *
 * A stream-mode network (kiln generate --weights stream) reads its blob
 * through a read callback instead: here from FILE (the NOR simulator's
 * device image, blob at offset 0) with stdio, counting the bytes and reads
 * each inference takes; the run log then says "stream-init B bytes R reads"
 * and "stream-run B bytes R reads" (the first inference's).
 *
 * IN holds K samples, each the inputs concatenated in order; OUT receives K
 * samples of the outputs concatenated.  Without --blob the network uses its
 * inline weights.  Even samples pass caller buffers, odd samples use the
 * arena slots (kiln_net_input/kiln_net_output), so both paths are exercised.
 * Exit 0 on success, 3 when init refuses the blob (the first line of stdout
 * then reads "refused NAME CODE" followed by details), 2 on usage/I/O errors.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign: the harness is built as C99 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/model.h"

/* The model: -DKILN_MODEL=<name>_model, or (as `kiln validate` links the
 * prebuilt harness) kiln_harness_model, which the link points at the
 * generated descriptor with --defsym. */
#ifndef KILN_MODEL
#define KILN_MODEL kiln_harness_model
#endif
extern const kiln_model KILN_MODEL;

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else
                buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Stream mode's storage: a device image read with stdio, every read counted. */
typedef struct image_dev {
    FILE *f;
    uint64_t bytes, reads;
} image_dev;

static kiln_status image_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    image_dev *d = (image_dev *)ctx;
    if (fseek(d->f, (long)offset, SEEK_SET) != 0 || fread(dst, 1, len, d->f) != len)
        return KILN_E_IO;
    d->bytes += len;
    d->reads++;
    return KILN_OK;
}

static void *alloc_aligned(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 4096, n ? n : 1) != 0)
        return NULL;
    return p;
}

int main(int argc, char **argv)
{
    const kiln_model *m = &KILN_MODEL;
    const char *blob_path = NULL, *in_path = NULL, *out_path = NULL;
    long samples = 1;
    size_t capacity = 0;
    uint32_t flags = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--blob") && i + 1 < argc)
            blob_path = argv[++i];
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--capacity") && i + 1 < argc)
            capacity = (size_t)strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--no-crc"))
            flags |= KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC;
        else if (!in_path)
            in_path = argv[i];
        else if (!out_path)
            out_path = argv[i];
        else {
            fprintf(stderr, "harness: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!in_path || !out_path || samples < 1) {
        fprintf(stderr, "usage: harness [--blob FILE] [--capacity N] [--no-crc] --samples K IN OUT\n");
        return 2;
    }

    const void *blob = NULL;
    unsigned char *blob_mem = NULL;
    image_dev dev = {NULL, 0, 0};
    if (blob_path && m->invoke_stream) {
        dev.f = fopen(blob_path, "rb");
        if (!dev.f) {
            fprintf(stderr, "harness: cannot read device image '%s'\n", blob_path);
            return 2;
        }
    } else if (blob_path) {
        size_t len;
        unsigned char *raw = read_all(blob_path, &len);
        if (!raw) {
            fprintf(stderr, "harness: cannot read blob '%s'\n", blob_path);
            return 2;
        }
        /* Like a flash region: the blob at an aligned base, `capacity` bytes
         * readable (the file size unless told otherwise). */
        if (!capacity)
            capacity = len;
        blob_mem = alloc_aligned(capacity > len ? capacity : len);
        memset(blob_mem, 0xFF, capacity > len ? capacity : len);
        memcpy(blob_mem, raw, len);
        free(raw);
        blob = blob_mem;
    }
    unsigned char *arena = alloc_aligned(m->arena_bytes ? m->arena_bytes : 1);
    memset(arena, 0xA5, m->arena_bytes); /* garbage, as after reset: nothing may rely on zeros */

    kiln_net net;
    kiln_status s = m->invoke_stream
                        ? kiln_net_init_stream(&net, m, image_read, &dev, (uint32_t)capacity, arena,
                                               m->arena_bytes, flags)
                        : kiln_net_init(&net, m, blob, capacity, arena, m->arena_bytes, flags);
    if (m->invoke_stream && s == KILN_OK)
        printf("stream-init %" PRIu64 " bytes %" PRIu64 " reads\n", dev.bytes, dev.reads);
    if (s != KILN_OK) {
        const kiln_blob_report *r = &net.report;
        printf("refused %s %d\n%s\n", kiln_status_name(s), (int)s, kiln_status_str(s));
        if (s == KILN_E_BLOB_SIGNATURE)
            printf("blob signature 0x%016" PRIx64 ", model signature 0x%016" PRIx64 "\n", r->signature,
                   m->signature);
        else if (s == KILN_E_BLOB_TRUNCATED)
            printf("header says %" PRIu32 " bytes, %zu bytes given\n", r->total_size, capacity);
        else if (s == KILN_E_BLOB_HEADER_CRC || s == KILN_E_BLOB_PAYLOAD_CRC)
            printf("stored CRC 0x%08" PRIx32 ", computed 0x%08" PRIx32 "\n", r->crc_expected, r->crc_found);
        else if (s == KILN_E_BLOB_VERSION)
            printf("blob format version %" PRIu32 ", runtime reads %u\n", r->version, KILN_BLOB_VERSION);
        else if (r->field) {
            char why[160];
            kiln_blob_report_str(r, why, sizeof why);
            printf("%s\n", why);
        }
        free(blob_mem);
        free(arena);
        return 3;
    }

    size_t in_bytes = 0, out_bytes = 0;
    for (uint32_t i = 0; i < m->n_inputs; i++)
        in_bytes += m->inputs[i].bytes;
    for (uint32_t i = 0; i < m->n_outputs; i++)
        out_bytes += m->outputs[i].bytes;
    size_t len;
    unsigned char *in = read_all(in_path, &len);
    if (!in || len != in_bytes * (size_t)samples) {
        fprintf(stderr, "harness: '%s' has %zu bytes, expected %ld samples x %zu\n", in_path,
                in ? len : 0, samples, in_bytes);
        return 2;
    }
    unsigned char *out = malloc(out_bytes * (size_t)samples + 1);
    const void *ins[64];
    void *outs[64];
    if (m->n_inputs > 64 || m->n_outputs > 64) {
        fprintf(stderr, "harness: more than 64 inputs or outputs\n");
        return 2;
    }
    for (long k = 0; k < samples; k++) {
        unsigned char *si = in + in_bytes * (size_t)k, *so = out + out_bytes * (size_t)k;
        int own = (k % 2) == 1;
        /* Caller buffers get their own aligned copies, as an application's would be. */
        unsigned char *ibuf[64], *obuf[64];
        size_t off = 0;
        for (uint32_t i = 0; i < m->n_inputs; i++) {
            if (own) {
                memcpy(kiln_net_input(&net, i), si + off, m->inputs[i].bytes);
                ins[i] = NULL;
                ibuf[i] = NULL;
            } else {
                ibuf[i] = alloc_aligned(m->inputs[i].bytes ? m->inputs[i].bytes : 1);
                memcpy(ibuf[i], si + off, m->inputs[i].bytes);
                ins[i] = ibuf[i];
            }
            off += m->inputs[i].bytes;
        }
        for (uint32_t i = 0; i < m->n_outputs; i++) {
            obuf[i] = own ? NULL : alloc_aligned(m->outputs[i].bytes ? m->outputs[i].bytes : 1);
            outs[i] = obuf[i];
        }
        uint64_t b0 = dev.bytes, r0 = dev.reads;
        s = kiln_net_run(&net, ins, outs);
        if (m->invoke_stream && k == 0)
            printf("stream-run %" PRIu64 " bytes %" PRIu64 " reads\n", dev.bytes - b0, dev.reads - r0);
        if (s != KILN_OK) {
            printf("run-failed %s %d\n%s\n", kiln_status_name(s), (int)s, kiln_status_str(s));
            return 3;
        }
        off = 0;
        for (uint32_t i = 0; i < m->n_outputs; i++) {
            memcpy(so + off, own ? kiln_net_output(&net, i) : obuf[i], m->outputs[i].bytes);
            off += m->outputs[i].bytes;
            free(obuf[i]);
        }
        for (uint32_t i = 0; i < m->n_inputs; i++)
            free(ibuf[i]);
    }
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(out, 1, out_bytes * (size_t)samples, f) != out_bytes * (size_t)samples) {
        fprintf(stderr, "harness: cannot write '%s'\n", out_path);
        return 2;
    }
    fclose(f);
    printf("ok %ld samples\n", samples);
    free(in);
    free(out);
    free(blob_mem);
    free(arena);
    if (dev.f)
        fclose(dev.f);
    return 0;
}
