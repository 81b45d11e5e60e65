/*
 * host_bench.c - runs one generated network on the host, for bench/run.sh:
 * the median time of kiln_net_run, or the bytes its code loads from the
 * weights blob.
 *
 *   host_bench [--blob FILE] --input FILE [--output FILE] [--runs N] [--warmup N]
 *
 * Built by bench/kbench/host.py with the generated NET.c, the runtime
 * sources and -DKILN_MODEL=<NET>_model, like firmware/host/harness.c, and
 * driven only through the public runtime API.  The input (every input,
 * concatenated) and the outputs live in caller buffers, the same ones every
 * run.  Prints one JSON object on stdout.
 *
 * Timing build: times each of N runs (after the warm-up runs) with
 * CLOCK_MONOTONIC and prints their median, min and max and every time, in ns.
 *
 * Counting build (-DBENCH_COUNT_LOADS, with the runtime and NET.c compiled
 * with -fsanitize=kernel-address and callbacks for every access): the
 * compiler turns every load of the instrumented code into a call to
 * __asan_loadN_noabort(addr) below, which adds N to the count when addr lies
 * in the checked blob [blob, blob + blob_bytes); memcpy/memmove with a source
 * there count their length.  Counting is on only during kiln_net_run (not
 * during the blob check at init), so `blob_bytes_read` is what one inference
 * loads from the weights: the bytes that cross the bus of memory-mapped
 * external flash with no cache, as the host compiler scheduled the loads.
 * Two runs must agree (the count is deterministic).
 *
 * A stream-mode network (--weights stream) reads its blob through a read
 * callback from the blob file's bytes in memory; the counting build reports
 * what the callback delivered during one run as `blob_bytes_read` (its
 * kernels load nothing from the blob), the timing build times the runs with
 * the callback's copies included.
 *
 * Never used by tests as a reference; exit 2 on a usage or I/O error, 3 when
 * init refuses the blob or a run fails.
 */
#define _POSIX_C_SOURCE 200112L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/model.h"

#ifndef KILN_MODEL
#error "build with -DKILN_MODEL=<name>_model"
#endif
extern const kiln_model KILN_MODEL;

/* An older checkout's model.h (a --baseline built by the bench) has no stream mode. */
#ifdef KILN_STREAM_H
#define BENCH_STREAM 1
#else
#define BENCH_STREAM 0
#endif

static inline int is_stream(const kiln_model *m)
{
#if BENCH_STREAM
    return m->invoke_stream != NULL;
#else
    (void)m;
    return 0;
#endif
}

/* ---- stream mode's storage: the blob file's bytes, copied by the read callback ------- */

typedef struct store {
    const unsigned char *mem;
    size_t len;
    uint64_t bytes;     /* delivered so far */
} store;

#if BENCH_STREAM
static kiln_status store_read(void *ctx, uint32_t off, void *dst, uint32_t n)
{
    store *st = ctx;
    if (off > st->len || n > st->len - off)
        return KILN_E_IO;
    memcpy(dst, st->mem + off, n);
    st->bytes += n;
    return KILN_OK;
}

static store the_store;
#endif

/* ---- counting loads from the blob (counting build) -------------------------------- */

#ifdef BENCH_COUNT_LOADS
static uintptr_t blob_lo, blob_hi;
static int counting;
static uint64_t bytes_read, loads;

static void count(uintptr_t a, size_t n)
{
    if (counting && a >= blob_lo && a < blob_hi) {
        bytes_read += n;
        loads++;
    }
}

/* The callbacks gcc's -fsanitize=kernel-address emits with
 * --param asan-instrumentation-with-call-threshold=0. */
#define LOAD_CB(n)                                                   \
    void __asan_load##n##_noabort(uintptr_t a);                      \
    void __asan_load##n##_noabort(uintptr_t a) { count(a, n); }      \
    void __asan_store##n##_noabort(uintptr_t a);                     \
    void __asan_store##n##_noabort(uintptr_t a) { (void)a; }
LOAD_CB(1)
LOAD_CB(2)
LOAD_CB(4)
LOAD_CB(8)
LOAD_CB(16)
void __asan_loadN_noabort(uintptr_t a, size_t n);
void __asan_loadN_noabort(uintptr_t a, size_t n)
{
    count(a, n);
}
void __asan_storeN_noabort(uintptr_t a, size_t n);
void __asan_storeN_noabort(uintptr_t a, size_t n)
{
    (void)a;
    (void)n;
}
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
}

/* Library copies are not instrumented: these take the place of libc's for
 * the whole program (this file is built with -fno-builtin and
 * -fno-tree-loop-distribute-patterns, so the loops stay loops). */
void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    count((uintptr_t)s, n);
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    count((uintptr_t)s, n);
    if (dp < sp)
        while (n--)
            *dp++ = *sp++;
    else
        while (n--)
            dp[n] = sp[n];
    return d;
}
#endif

/* ---- files and buffers ------------------------------------------------------------ */

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void *alloc_aligned(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, 64, n ? n : 1) == 0 ? p : NULL;
}

static int fail(const char *what, const char *arg)
{
    fprintf(stderr, "host_bench: %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
    return 2;
}

/* ---- the runs -------------------------------------------------------------------------- */

typedef struct io {
    const void *in[64];
    void *out[64];
} io;

static int run_once(kiln_net *net, io *b)
{
    kiln_status s = kiln_net_run(net, b->in, b->out);
    if (s != KILN_OK) {
        fprintf(stderr, "host_bench: kiln_net_run failed: %s\n", kiln_status_name(s));
        return 3;
    }
    return 0;
}

#ifdef BENCH_COUNT_LOADS
static int measure(kiln_net *net, io *b, long runs, long warmup)
{
    uint64_t first = 0;
    (void)runs;
    (void)warmup;
    blob_lo = (uintptr_t)net->blob;
    blob_hi = blob_lo + net->model->blob_bytes;
    for (int k = 0; k < 2; k++) {
        bytes_read = loads = 0;
#if BENCH_STREAM
        const uint64_t streamed = the_store.bytes;
#endif
        counting = !is_stream(net->model);
        int rc = run_once(net, b);
        counting = 0;
        if (rc)
            return rc;
#if BENCH_STREAM
        if (is_stream(net->model)) {
            bytes_read = the_store.bytes - streamed;
            loads = 0;
        }
#endif
        if (k == 1 && bytes_read != first) {
            fprintf(stderr, "host_bench: two runs loaded %" PRIu64 " and %" PRIu64 " blob bytes\n", first,
                    bytes_read);
            return 3;
        }
        first = bytes_read;
    }
    printf("{\"blob_bytes\": %" PRIu32 ", \"blob_bytes_read\": %" PRIu64 ", \"blob_loads\": %" PRIu64 "}\n",
           net->model->blob_bytes, bytes_read, loads);
    return 0;
}
#else
static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int measure(kiln_net *net, io *b, long runs, long warmup)
{
    uint64_t *t = malloc(sizeof *t * (size_t)runs);
    if (!t)
        return fail("out of memory", NULL);
    for (long k = 0; k < warmup; k++)
        if (run_once(net, b))
            return 3;
    for (long k = 0; k < runs; k++) {
        uint64_t t0 = now_ns();
        if (run_once(net, b))
            return 3;
        t[k] = now_ns() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_u64);
    uint64_t med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    printf("{\"runs\": %ld, \"warmup\": %ld, \"median_ns\": %" PRIu64 ", \"min_ns\": %" PRIu64
           ", \"max_ns\": %" PRIu64 ", \"ns\": [",
           runs, warmup, med, t[0], t[runs - 1]);
    for (long k = 0; k < runs; k++)
        printf("%s%" PRIu64, k ? ", " : "", t[k]);
    printf("]}\n");
    free(t);
    return 0;
}
#endif

int main(int argc, char **argv)
{
    const kiln_model *m = &KILN_MODEL;
    const char *blob_path = NULL, *in_path = NULL, *out_path = NULL;
    long runs = 51, warmup = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--blob") && i + 1 < argc)
            blob_path = argv[++i];
        else if (!strcmp(argv[i], "--input") && i + 1 < argc)
            in_path = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = strtol(argv[++i], NULL, 10);
        else
            return fail("unexpected argument", argv[i]);
    }
    if (!in_path || runs < 1 || warmup < 0 || m->n_inputs > 64 || m->n_outputs > 64)
        return fail("usage: host_bench [--blob FILE] --input FILE [--output FILE] [--runs N] [--warmup N]", NULL);

    size_t len = 0, off = 0;
    unsigned char *blob = NULL, *raw = NULL, *in = read_all(in_path, &len);
    if (blob_path) {
        size_t blen;
        if (!(raw = read_all(blob_path, &blen)) || !(blob = alloc_aligned(blen)))
            return fail("cannot read the blob", blob_path);
        memcpy(blob, raw, blen);
        free(raw);
    }
    unsigned char *arena = alloc_aligned(m->arena_bytes);
    kiln_net net;
    kiln_status s;
#if BENCH_STREAM
    if (is_stream(m)) {
        the_store.mem = blob;
        the_store.len = blob ? m->blob_bytes : 0;
        s = kiln_net_init_stream(&net, m, store_read, &the_store, 0, arena, m->arena_bytes, 0);
    } else
#endif
        s = kiln_net_init(&net, m, blob, blob ? m->blob_bytes : 0, arena, m->arena_bytes, 0);
    if (s != KILN_OK) {
        fprintf(stderr, "host_bench: init refused the blob: %s\n", kiln_status_str(s));
        return 3;
    }
    io b;
    for (uint32_t i = 0; i < m->n_inputs; i++) {
        if (!in || off + m->inputs[i].bytes > len)
            return fail("the input file is too short:", in_path);
        unsigned char *p = alloc_aligned(m->inputs[i].bytes);
        memcpy(p, in + off, m->inputs[i].bytes);
        b.in[i] = p;
        off += m->inputs[i].bytes;
    }
    if (off != len)
        return fail("the input file is longer than the model's inputs:", in_path);
    for (uint32_t i = 0; i < m->n_outputs; i++)
        b.out[i] = alloc_aligned(m->outputs[i].bytes);
    int rc = measure(&net, &b, runs, warmup);
    if (rc == 0 && out_path) {
        FILE *f = fopen(out_path, "wb");
        for (uint32_t i = 0; f && i < m->n_outputs; i++)
            fwrite(b.out[i], 1, m->outputs[i].bytes, f);
        if (!f || fclose(f) != 0)
            return fail("cannot write", out_path);
    }
    return rc;
}
