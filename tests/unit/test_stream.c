/*
 * test_stream.c - stream mode's runtime (runtime/stream.c): the blob check
 * through a read callback refuses exactly what kiln_net_init refuses on the
 * same bytes memory-mapped (same status, same report), reads every blob
 * byte once and in address order, turns a failing read into KILN_E_IO, and
 * kiln_stream_stage refuses staged bytes that are not the checked ones.
 * Blobs are edited the attacker's way (edit, then reseal both CRCs) where a
 * test needs a check past the CRCs to be the one that refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emit/blob_write.h"
#include "kiln/blob.h"
#include "kiln/model.h"
#include "kiln/sha256.h"
#include "kiln/stream.h"

#define SIG 0x1122334455667788ull
#define ARENA 256u /* smaller than the blob: the check reads it in several pieces */

static uint8_t w0[600], w1[40], w2[300];
static uint8_t *good;  /* the blob as built */
static size_t good_len;

/* ---- a storage device the callback reads --------------------------------- */

typedef struct dev {
    const uint8_t *mem;
    uint32_t len;
    uint32_t reads, fail_at;    /* fail the read with this index (UINT32_MAX: never) */
    uint32_t end;               /* end of the last read */
    int in_order;               /* every read started where the previous ended */
    uint8_t seen[4096];         /* times each byte was read */
} dev;

static kiln_status dev_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    dev *d = ctx;
    if (d->reads++ == d->fail_at || off > d->len || len > d->len - off)
        return KILN_E_IO;
    if (off != d->end)
        d->in_order = 0;
    d->end = off + len;
    memcpy(dst, d->mem + off, len);
    for (uint32_t i = off; i < off + len && i < sizeof d->seen; i++)
        d->seen[i]++;
    return KILN_OK;
}

static void dev_init(dev *d, const uint8_t *mem, uint32_t len)
{
    memset(d, 0, sizeof *d);
    d->mem = mem;
    d->len = len;
    d->fail_at = UINT32_MAX;
    d->in_order = 1;
}

/* ---- the two twins of one model --------------------------------------------- */

static void mapped_invoke(const uint8_t *w, uint8_t *arena, const void *const *in, void *const *out)
{
    (void)w, (void)arena, (void)in, (void)out;
}

static kiln_status stream_invoke(const kiln_stream_src *src, uint8_t *arena, const void *const *in,
                                 void *const *out)
{
    (void)src, (void)arena, (void)in, (void)out;
    return KILN_OK;
}

static kiln_blob_expect expect_of(const uint8_t *b, size_t len, kiln_integrity mode)
{
    kiln_blob_expect e;
    memset(&e, 0, sizeof e);
    e.signature = SIG;
    e.total_size = (uint32_t)len;
    e.flags = kiln_rd_u32(b + KILN_BLOB_OFF_FLAGS);
    e.align = kiln_rd_u32(b + KILN_BLOB_OFF_ALIGN);
    e.tensor_count = kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT);
    e.dir_offset = kiln_rd_u32(b + KILN_BLOB_OFF_DIR);
    e.data_offset = kiln_rd_u32(b + KILN_BLOB_OFF_DATA);
    e.payload_crc = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC);
    e.integrity = mode;
    if (mode == KILN_INTEGRITY_SHA256)
        kiln_sha256(b + KILN_BLOB_HEADER_SIZE, len - KILN_BLOB_HEADER_SIZE, e.sha256);
    return e;
}

static kiln_model model_of(const kiln_blob_expect *e, int stream)
{
    kiln_model m;
    memset(&m, 0, sizeof m);
    m.name = "twin";
    m.signature = SIG;
    m.arena_bytes = ARENA;
    m.arena_align = 16;
    m.blob_bytes = e->total_size;
    m.blob = *e;
    if (stream)
        m.invoke_stream = stream_invoke;
    else
        m.invoke = mapped_invoke;
    return m;
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof w0; i++)
        w0[i] = (uint8_t)(i * 7u + 1u);
    for (size_t i = 0; i < sizeof w1; i++)
        w1[i] = (uint8_t)(i ^ 0x5Au);
    for (size_t i = 0; i < sizeof w2; i++)
        w2[i] = (uint8_t)(255u - i);
    blob_tensor t[3] = {{"a.weight", w0, sizeof w0, KILN_BLOB_DT_S8, KILN_BLOB_KIND_WEIGHTS, 0, 0},
                        {"a.bias", w1, sizeof w1, KILN_BLOB_DT_S32, KILN_BLOB_KIND_WEIGHTS, 0, 0},
                        {"b.weight", w2, sizeof w2, KILN_BLOB_DT_S8, KILN_BLOB_KIND_DERIVED, 0, 0}};
    char err[128];
    assert_true(blob_build(t, 3, 16, SIG, &good, &good_len, err, sizeof err));
    assert_true(good_len < 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(good);
    return 0;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *b, size_t len)
{
    wr32(b + KILN_BLOB_OFF_PAYLOAD_CRC, kiln_crc32(0, b + KILN_BLOB_HEADER_SIZE, len - KILN_BLOB_HEADER_SIZE));
    wr32(b + KILN_BLOB_OFF_HEADER_CRC, kiln_crc32(0, b, KILN_BLOB_OFF_HEADER_CRC));
}

/* Runs both inits on `b` (capacity bytes readable) and requires the same
 * verdict and report; returns the status. */
static kiln_status same_verdict(const uint8_t *b, size_t capacity, const kiln_blob_expect *e, uint32_t flags)
{
    kiln_model mm = model_of(e, 0), ms = model_of(e, 1);
    uint8_t *mapped = aligned_alloc(4096, 4096);
    static uint8_t arena[ARENA] __attribute__((aligned(16)));
    memset(mapped, 0xEE, 4096);
    memcpy(mapped, b, capacity);
    kiln_net a, s;
    kiln_status sa = kiln_net_init(&a, &mm, mapped, capacity, arena, sizeof arena, flags);
    dev d;
    dev_init(&d, b, (uint32_t)capacity);
    kiln_status ss = kiln_net_init_stream(&s, &ms, dev_read, &d, (uint32_t)capacity, arena, sizeof arena, flags);
    assert_int_equal(ss, sa);
    assert_memory_equal(&s.report, &a.report, sizeof a.report);
    assert_int_equal(s.ready, a.ready);
    assert_true(d.in_order);
    free(mapped);
    return sa;
}

typedef struct mutation {
    const char *what;
    void (*edit)(uint8_t *b, size_t len);
    void (*pin)(uint8_t *b, size_t len); /* non-NULL: the code was built for the blob this edit makes */
    int shrink;         /* capacity = blob size - shrink */
    size_t cap;         /* > 0: capacity */
    kiln_status want;   /* in sha256 mode (crc32 mode where it differs: want_crc) */
    kiln_status want_crc;
} mutation;

static void none(uint8_t *b, size_t len) { (void)b, (void)len; }
static void erased(uint8_t *b, size_t len) { memset(b, 0xFF, len); }
static void zeroed(uint8_t *b, size_t len) { memset(b, 0, len); }
static void magic(uint8_t *b, size_t len) { (void)len; b[0] = 'X'; }
static void version(uint8_t *b, size_t len) { b[KILN_BLOB_OFF_VERSION] = 9; reseal(b, len); }
static void header_bit(uint8_t *b, size_t len) { (void)len; b[20] ^= 4; }
static void payload_bit(uint8_t *b, size_t len) { b[len - 5] ^= 1; }
static void payload_resealed(uint8_t *b, size_t len) { b[len - 5] ^= 1; reseal(b, len); }
static void signature(uint8_t *b, size_t len) { b[KILN_BLOB_OFF_SIGNATURE] ^= 1; reseal(b, len); }
static void reserved(uint8_t *b, size_t len) { b[KILN_BLOB_OFF_RESERVED + 3] = 1; reseal(b, len); }
/* Entry 1's dtype out of range: only the directory check can see it once resealed and repinned. */
static void bad_entry(uint8_t *b, size_t len)
{
    b[KILN_BLOB_HEADER_SIZE + KILN_BLOB_DIR_ENTRY_SIZE + KILN_BLOB_DIR_OFF_DTYPE] = 0;
    reseal(b, len);
}
/* A bad entry and a flipped weight not resealed: the payload check is reported first. */
static void bad_entry_and_bit(uint8_t *b, size_t len)
{
    bad_entry(b, len);
    b[len - 5] ^= 1;
    wr32(b + KILN_BLOB_OFF_HEADER_CRC, kiln_crc32(0, b, KILN_BLOB_OFF_HEADER_CRC));
}

static const mutation cases[] = {
    {"the blob built", none, NULL, 0, 0, KILN_OK, KILN_OK},
    {"erased", erased, NULL, 0, 0, KILN_E_BLOB_ERASED, KILN_E_BLOB_ERASED},
    {"zeros", zeroed, NULL, 0, 0, KILN_E_BLOB_ZERO, KILN_E_BLOB_ZERO},
    {"magic", magic, NULL, 0, 0, KILN_E_BLOB_MAGIC, KILN_E_BLOB_MAGIC},
    {"version", version, NULL, 0, 0, KILN_E_BLOB_VERSION, KILN_E_BLOB_VERSION},
    {"header bit", header_bit, NULL, 0, 0, KILN_E_BLOB_HEADER_CRC, KILN_E_BLOB_HEADER_CRC},
    {"payload bit", payload_bit, NULL, 0, 0, KILN_E_BLOB_DIGEST, KILN_E_BLOB_PAYLOAD_CRC},
    {"payload edit resealed", payload_resealed, NULL, 0, 0, KILN_E_BLOB_MISMATCH, KILN_E_BLOB_MISMATCH},
    {"signature", signature, NULL, 0, 0, KILN_E_BLOB_SIGNATURE, KILN_E_BLOB_SIGNATURE},
    {"reserved", reserved, NULL, 0, 0, KILN_E_BLOB_RESERVED, KILN_E_BLOB_RESERVED},
    {"truncated", none, NULL, 1, 0, KILN_E_BLOB_TRUNCATED, KILN_E_BLOB_TRUNCATED},
    {"10 bytes readable", none, NULL, 0, 10, KILN_E_BLOB_TRUNCATED, KILN_E_BLOB_TRUNCATED},
    {"10 erased bytes readable", erased, NULL, 0, 10, KILN_E_BLOB_ERASED, KILN_E_BLOB_ERASED},
    {"bad directory entry", bad_entry, bad_entry, 0, 0, KILN_E_BLOB_DIRECTORY, KILN_E_BLOB_DIRECTORY},
    {"bad entry and a flipped weight", bad_entry_and_bit, bad_entry, 0, 0, KILN_E_BLOB_DIGEST, KILN_E_BLOB_PAYLOAD_CRC},
};

static void refuses_exactly_as_memory_mapped(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int mode = 0; mode < 2; mode++) {
            kiln_integrity im = mode ? KILN_INTEGRITY_SHA256 : KILN_INTEGRITY_CRC32;
            uint8_t b[4096];
            memcpy(b, good, good_len);
            kiln_blob_expect e = expect_of(good, good_len, im);
            cases[k].edit(b, good_len);
            if (cases[k].pin) {
                uint8_t pinned[4096];
                memcpy(pinned, good, good_len);
                cases[k].pin(pinned, good_len);
                kiln_blob_expect e2 = expect_of(pinned, good_len, im);
                e.payload_crc = e2.payload_crc;
                memcpy(e.sha256, e2.sha256, sizeof e.sha256);
            }
            size_t cap = cases[k].cap ? cases[k].cap : good_len - (size_t)cases[k].shrink;
            kiln_status want = mode ? cases[k].want : cases[k].want_crc;
            kiln_status got = same_verdict(b, cap, &e, 0);
            if (got != want)
                fail_msg("%s (%s): status %d, expected %d", cases[k].what, mode ? "sha256" : "crc32", got, want);
            /* Skipping the payload CRC: skipped in crc32 mode only, the same way. */
            same_verdict(b, cap, &e, KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC);
        }
    }
}

static void check_reads_every_byte_once_in_order(void **state)
{
    (void)state;
    kiln_blob_expect e = expect_of(good, good_len, KILN_INTEGRITY_SHA256);
    kiln_model ms = model_of(&e, 1);
    static uint8_t arena[ARENA] __attribute__((aligned(16)));
    static dev d;
    dev_init(&d, good, (uint32_t)good_len);
    kiln_net n;
    assert_int_equal(kiln_net_init_stream(&n, &ms, dev_read, &d, 0, arena, sizeof arena, 0), KILN_OK);
    assert_true(d.in_order);
    for (size_t i = 0; i < good_len; i++)
        if (d.seen[i] != 1)
            fail_msg("byte %zu read %u times", i, d.seen[i]);
    /* The header alone first (an erased chip costs 64 bytes), then pieces as
     * large as the arena allows. */
    assert_int_equal(d.reads, 1 + (good_len + ARENA - 1) / ARENA);
    assert_int_equal(kiln_net_run(&n, 0, 0), KILN_OK);
}

static void a_failing_read_at_init_is_io_and_leaves_the_net_unusable(void **state)
{
    (void)state;
    kiln_blob_expect e = expect_of(good, good_len, KILN_INTEGRITY_CRC32);
    kiln_model ms = model_of(&e, 1);
    static uint8_t arena[ARENA] __attribute__((aligned(16)));
    uint32_t total_reads = 1 + (uint32_t)((good_len + ARENA - 1) / ARENA);
    for (uint32_t k = 0; k < total_reads; k++) {
        dev d;
        dev_init(&d, good, (uint32_t)good_len);
        d.fail_at = k;
        kiln_net n;
        assert_int_equal(kiln_net_init_stream(&n, &ms, dev_read, &d, 0, arena, sizeof arena, 0), KILN_E_IO);
        assert_int_equal(kiln_net_run(&n, 0, 0), KILN_E_NOT_READY);
    }
}

static void the_wrong_init_for_the_model_is_refused(void **state)
{
    (void)state;
    kiln_blob_expect e = expect_of(good, good_len, KILN_INTEGRITY_CRC32);
    kiln_model mm = model_of(&e, 0), ms = model_of(&e, 1);
    static uint8_t arena[ARENA] __attribute__((aligned(16)));
    dev d;
    dev_init(&d, good, (uint32_t)good_len);
    kiln_net n;
    assert_int_equal(kiln_net_init(&n, &ms, good, good_len, arena, sizeof arena, 0), KILN_E_ARG);
    assert_int_equal(kiln_net_init_stream(&n, &mm, dev_read, &d, 0, arena, sizeof arena, 0), KILN_E_ARG);
    assert_int_equal(kiln_net_init_stream(&n, &ms, 0, &d, 0, arena, sizeof arena, 0), KILN_E_ARG);
    assert_int_equal(kiln_net_init_stream(&n, &ms, dev_read, &d, 0, arena, ARENA - 16, 0), KILN_E_ARENA_SMALL);
    assert_int_equal(d.reads, 0);
}

static void staged_bytes_must_be_the_checked_ones(void **state)
{
    (void)state;
    uint32_t off = kiln_rd_u32(good + KILN_BLOB_OFF_DATA), len = (uint32_t)good_len - off;
    uint32_t crc = kiln_crc32(0, good + off, len);
    uint8_t b[4096], dst[4096];
    dev d;
    memcpy(b, good, good_len);
    dev_init(&d, b, (uint32_t)good_len);
    kiln_stream_src src = {dev_read, &d, (uint32_t)good_len, 0};
    assert_int_equal(kiln_stream_stage(&src, dst, off, len, crc), KILN_OK);
    assert_memory_equal(dst, good + off, len);
    /* Changed after init: refused, however the blob's own CRCs were fixed up. */
    b[off + 3] ^= 0x10;
    reseal(b, good_len);
    assert_int_equal(kiln_stream_stage(&src, dst, off, len, crc), KILN_E_BLOB_PAYLOAD_CRC);
    /* ... unless the application said its storage cannot change. */
    src.flags = KILN_STREAM_SKIP_STAGE_CRC;
    assert_int_equal(kiln_stream_stage(&src, dst, off, len, crc), KILN_OK);
    /* A failing read. */
    d.fail_at = d.reads;
    assert_int_equal(kiln_stream_stage(&src, dst, off, len, crc), KILN_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_exactly_as_memory_mapped),
        cmocka_unit_test(check_reads_every_byte_once_in_order),
        cmocka_unit_test(a_failing_read_at_init_is_io_and_leaves_the_net_unusable),
        cmocka_unit_test(the_wrong_init_for_the_model_is_refused),
        cmocka_unit_test(staged_bytes_must_be_the_checked_ones),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
