/*
 * stream_app.c - an application of a stream-mode network, as a user writes
 * one, driven by tests/e2e/stream.sh: the blob is a file read through a
 * kiln_read_fn, and the test controls the storage.
 *
 *   stream_app BLOB IN EXPECTED
 *
 * Built with the generated NET.c (-DNET=<name>).  Checks, printing one
 * "ok"/"FAIL" line each:
 *   1. init through the callback, a run: outputs equal EXPECTED (TFLM's),
 *      every read in address order, no byte twice, bytes == NET_STREAM_BYTES_READ;
 *   2. a read that fails midway (at every read index in turn): KILN_E_IO,
 *      the caller's output buffer untouched, and the next run matches again;
 *   3. a weight byte changed in storage after init: the run is refused with
 *      KILN_E_BLOB_PAYLOAD_CRC, outputs untouched; restored, it runs again.
 * Exit 0 when every check passed.
 */
#include "stream_app_util.h"

typedef struct storage {
    uint8_t *mem;
    uint32_t len;
    uint32_t reads, fail_at, end, in_order;
    uint64_t bytes;
    uint8_t *seen;
} storage;

static kiln_status storage_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    storage *s = ctx;
    if (s->reads++ == s->fail_at || off > s->len || len > s->len - off)
        return KILN_E_IO;
    if (off < s->end)
        s->in_order = 0;
    s->end = off + len;
    memcpy(dst, s->mem + off, len);
    for (uint32_t i = 0; i < len; i++)
        s->seen[off + i]++;
    s->bytes += len;
    return KILN_OK;
}

static void start_run(storage *s)
{
    s->reads = 0;
    s->end = 0;
    s->in_order = 1;
    s->bytes = 0;
    memset(s->seen, 0, s->len);
}

int main(int argc, char **argv)
{
    size_t blen, ilen, elen;
    if (argc != 4)
        return 2;
    uint8_t *blob = slurp(argv[1], &blen), *in = slurp(argv[2], &ilen), *want = slurp(argv[3], &elen);
    if (!blob || !in || !want || ilen != IN_BYTES || elen != OUT_BYTES)
        return 2;
    storage st = {blob, (uint32_t)blen, 0, UINT32_MAX, 0, 1, 0, calloc(blen, 1)};
    static uint8_t arena[ARENA_BYTES] KILN_ALIGNED(16);
    kiln_net net;
    kiln_status s = INIT_STREAM(&net, storage_read, &st, 0, arena, sizeof arena, 0);
    check(s == KILN_OK, "init through the read callback");
    if (s != KILN_OK)
        return 1;
    uint8_t out[OUT_BYTES];
    const void *ins[1] = {in};
    void *outs[1] = {out};

    start_run(&st);
    s = kiln_net_run(&net, ins, outs);
    int once = 1;
    for (uint32_t i = 0; i < st.len; i++)
        once &= st.seen[i] <= 1;
    check(s == KILN_OK && memcmp(out, want, OUT_BYTES) == 0, "run: outputs equal TFLM's");
    check(st.in_order && once, "run: reads in address order, no byte read twice");
    printf("     %" PRIu64 " bytes in %" PRIu32 " reads per inference (blob %zu bytes)\n", st.bytes, st.reads, blen);
    check(st.bytes == BYTES_READ && st.bytes <= blen, "run: bytes read == NET_STREAM_BYTES_READ <= blob size");

    uint32_t n_reads = st.reads, bad_io = 0, bad_untouched = 0, bad_next = 0;
    for (uint32_t k = 0; k < n_reads; k++) {
        memset(out, 0x5A, sizeof out);
        start_run(&st);
        st.fail_at = k;
        s = kiln_net_run(&net, ins, outs);
        bad_io += s != KILN_E_IO;
        for (size_t i = 0; i < sizeof out; i++)
            bad_untouched += out[i] != 0x5A;
        st.fail_at = UINT32_MAX;
        start_run(&st);
        s = kiln_net_run(&net, ins, outs);
        bad_next += s != KILN_OK || memcmp(out, want, OUT_BYTES) != 0;
    }
    printf("     failing read at each of the %" PRIu32 " reads in turn\n", n_reads);
    check(bad_io == 0, "failing read midway: KILN_E_IO");
    check(bad_untouched == 0, "failing read midway: the output buffer untouched");
    check(bad_next == 0, "failing read midway: the next run works and matches TFLM");

    /* After init, a weight byte in the last layer's range changes in storage. */
    uint32_t victim = (uint32_t)blen - 40;
    blob[victim] ^= 0x01;
    memset(out, 0x5A, sizeof out);
    start_run(&st);
    s = kiln_net_run(&net, ins, outs);
    int untouched = 1;
    for (size_t i = 0; i < sizeof out; i++)
        untouched &= out[i] == 0x5A;
    check(s == KILN_E_BLOB_PAYLOAD_CRC && untouched, "blob changed after init: run refused, outputs untouched");
    blob[victim] ^= 0x01;
    s = kiln_net_run(&net, ins, outs);
    check(s == KILN_OK && memcmp(out, want, OUT_BYTES) == 0, "blob restored: the next run matches TFLM");
    free(st.seen);
    free(blob);
    free(in);
    free(want);
    return fails ? 1 : 0;
}
