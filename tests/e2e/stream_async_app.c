/*
 * stream_async_app.c - double buffering (--stage-double) as an application
 * with a DMA uses it, driven by tests/e2e/stream.sh: init checks the blob
 * through a plain read callback, then kiln_net_stream_async gives the run a
 * start/wait pair whose transfers complete late: start only records the
 * request and fills the destination with garbage (the DMA has not landed),
 * wait copies the real bytes.  A run that used a buffer before waiting for
 * it would compute on garbage.
 *
 *   stream_async_app BLOB IN EXPECTED
 *
 * Built with the generated NET.c (-DNET=<name>).  Checks, one "ok"/"FAIL"
 * line each:
 *   1. kiln_net_stream_async refuses a start without a wait;
 *   2. a run: outputs equal EXPECTED (TFLM's); reads in address order, no
 *      byte twice, bytes == NET_STREAM_BYTES_READ; never two transfers in
 *      flight, none left in flight; and layers computed while transfers
 *      were in flight (the activations changed between a start and its
 *      wait), i.e. the next layer's read overlapped the current layer;
 *   3. a start, then a wait, failing at each transfer in turn: KILN_E_IO,
 *      the output untouched, none left in flight, the next run matches.
 * Exit 0 when every check passed.
 */
#include "stream_app_util.h"

static uint8_t arena[ARENA_BYTES] KILN_ALIGNED(16);

typedef struct dma {
    const uint8_t *mem;
    uint32_t len;
    /* the transfer in flight */
    int busy;
    uint32_t off, n;
    uint8_t *dst;
    uint64_t act_at_start;
    /* per run */
    uint32_t starts, waits, fail_start, fail_wait, end, in_order, two_in_flight, overlapped;
    uint64_t bytes;
    uint8_t *seen;
} dma;

/* The activations (the arena before the staging buffers): changed between
 * a start and its wait means a kernel ran meanwhile. */
static uint64_t activations(void)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < MODEL.stage_offset; i++)
        h = (h ^ arena[i]) * 1099511628211ull;
    return h;
}

static kiln_status plain_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    const dma *d = ctx;
    if (off > d->len || len > d->len - off)
        return KILN_E_IO;
    memcpy(dst, d->mem + off, len);
    return KILN_OK;
}

static kiln_status dma_start(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    dma *d = ctx;
    d->two_in_flight += d->busy;
    if (d->starts++ == d->fail_start || off > d->len || len > d->len - off)
        return KILN_E_IO;
    if (off < d->end)
        d->in_order = 0;
    d->end = off + len;
    d->busy = 1, d->off = off, d->n = len, d->dst = dst;
    memset(dst, 0xA5, len); /* not landed yet */
    d->act_at_start = activations();
    return KILN_OK;
}

static kiln_status dma_wait(void *ctx)
{
    dma *d = ctx;
    if (!d->busy || d->waits++ == d->fail_wait) {
        d->busy = 0; /* a failed transfer is over too */
        return KILN_E_IO;
    }
    d->overlapped += activations() != d->act_at_start;
    memcpy(d->dst, d->mem + d->off, d->n);
    for (uint32_t i = 0; i < d->n; i++)
        d->seen[d->off + i]++;
    d->bytes += d->n;
    d->busy = 0;
    return KILN_OK;
}

static void start_run(dma *d)
{
    d->starts = d->waits = 0, d->end = 0, d->in_order = 1, d->two_in_flight = 0, d->overlapped = 0;
    d->bytes = 0;
    memset(d->seen, 0, d->len);
}

/* Every transfer failing in turn, at its start (at_wait 0) or its wait. */
static void fail_each(kiln_net *net, dma *d, uint32_t n, int at_wait, const uint8_t *in, const uint8_t *want)
{
    uint8_t out[OUT_BYTES];
    const void *ins[1] = {in};
    void *outs[1] = {out};
    uint32_t bad_io = 0, bad_untouched = 0, left = 0, bad_next = 0;
    for (uint32_t k = 0; k < n; k++) {
        memset(out, 0x5A, sizeof out);
        start_run(d);
        *(at_wait ? &d->fail_wait : &d->fail_start) = k;
        kiln_status s = kiln_net_run(net, ins, outs);
        bad_io += s != KILN_E_IO;
        for (size_t i = 0; i < sizeof out; i++)
            bad_untouched += out[i] != 0x5A;
        left += d->busy;
        d->busy = 0;
        d->fail_start = d->fail_wait = UINT32_MAX;
        start_run(d);
        s = kiln_net_run(net, ins, outs);
        bad_next += s != KILN_OK || memcmp(out, want, OUT_BYTES) != 0;
    }
    const char *what = at_wait ? "wait" : "start";
    char line[160];
    snprintf(line, sizeof line, "%s failing at each of the %" PRIu32 " transfers: KILN_E_IO, output untouched, "
             "none left in flight, the next run matches", what, n);
    check(bad_io == 0 && bad_untouched == 0 && left == 0 && bad_next == 0, line);
}

int main(int argc, char **argv)
{
    size_t blen, ilen, elen;
    if (argc != 4)
        return 2;
    uint8_t *blob = slurp(argv[1], &blen), *in = slurp(argv[2], &ilen), *want = slurp(argv[3], &elen);
    if (!blob || !in || !want || ilen != IN_BYTES || elen != OUT_BYTES)
        return 2;
    dma d;
    memset(&d, 0, sizeof d);
    d.mem = blob, d.len = (uint32_t)blen, d.seen = calloc(blen, 1);
    d.fail_start = d.fail_wait = UINT32_MAX;
    kiln_net net;
    kiln_status s = INIT_STREAM(&net, plain_read, &d, 0, arena, sizeof arena, 0);
    check(s == KILN_OK, "init through the read callback");
    if (s != KILN_OK)
        return 1;
    check(kiln_net_stream_async(&net, dma_start, NULL) == KILN_E_ARG, "a start without a wait: KILN_E_ARG");
    check(kiln_net_stream_async(&net, dma_start, dma_wait) == KILN_OK, "start/wait pair set");

    uint8_t out[OUT_BYTES];
    const void *ins[1] = {in};
    void *outs[1] = {out};
    start_run(&d);
    s = kiln_net_run(&net, ins, outs);
    int once = 1;
    for (uint32_t i = 0; i < d.len; i++)
        once &= d.seen[i] <= 1;
    check(s == KILN_OK && memcmp(out, want, OUT_BYTES) == 0, "run with late transfers: outputs equal TFLM's");
    check(d.in_order && once, "run: transfers in address order, no byte twice");
    check(d.bytes == BYTES_READ && d.bytes <= blen, "run: bytes == NET_STREAM_BYTES_READ <= blob size");
    check(!d.two_in_flight && !d.busy && d.starts == d.waits, "run: one transfer in flight at most, none left");
    printf("     %" PRIu32 " transfers, %" PRIu32 " of them while a layer computed\n", d.starts, d.overlapped);
    check(d.overlapped > 0 && d.overlapped + 1 >= d.starts / 2,
          "run: the next read in flight while the current layer computes");
    uint32_t n = d.starts;
    fail_each(&net, &d, n, 0, in, want);
    fail_each(&net, &d, n, 1, in, want);
    free(d.seen);
    free(blob);
    free(in);
    free(want);
    return fails ? 1 : 0;
}
