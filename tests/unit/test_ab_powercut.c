/*
 * test_ab_powercut.c - an A/B update cut by a power loss at every program
 * and erase operation, and at random byte counts inside them, always leaves
 * a blob the runtime accepts: the old one or the new one, never anything
 * else.  Modelled on littlefs's power-loss test runner.
 *
 * For each scenario: build a starting image by clean updates, count the
 * operations and bytes of one more (clean) update, then for every cut point
 * restore the starting image, run the update with the power cut there, and
 * ask the runtime (kiln_slots_select with the firmware's signature and every
 * check on) which blob it would run.  It must return the old blob, byte for
 * byte, when the cut came before the commit record was fully programmed, and
 * the old or new one during it.  Then the power comes back, the update is run
 * again, and it must finish with the new blob committed.
 *
 * Prints "summary: N cut points, N valid".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash/ab_update.h"
#include "flash_test_util.h"

/* A 256 KiB chip with 4 KiB subsectors and 16 KiB sectors, so that slot
 * writes use both erase sizes; slot A at 0x2000, slot B at 0x21000, each
 * 126976 bytes. */
#define SIZE (256u * 1024u)
#define RANDOM_CUTS 200

static nor_config cut_chip(void)
{
    nor_config c = test_chip(SIZE);
    c.sector_size = 16384;
    return c;
}

static uint64_t total_cuts, total_valid;

static bool update(uint8_t *mem, const test_image *x, nor_sim *out_sim, bool cut_ops, uint64_t cut_at,
                   uint32_t seed, char *err)
{
    nor_config c = cut_chip();
    nor_sim s;
    ab_result r;
    nor_sim_init(&s, &c, mem, 0x90000000u);
    if (cut_ops)
        nor_sim_cut_after_ops(&s, cut_at, seed);
    else if (cut_at != UINT64_MAX)
        nor_sim_cut_after_bytes(&s, cut_at, seed);
    bool ok = ab_update(&s.dev, 0, SIZE, x->b, (uint32_t)x->n, false, NULL, NULL, &r, err, 256);
    flash_plan_free(&r.plan);
    if (out_sim)
        *out_sim = s;
    else
        nor_sim_free(&s);
    return ok;
}

/*
 * Cuts the update start -> (new blob) at every operation and at random byte
 * counts; `old` is what start's runtime choice is.
 */
static nor_stats cut_everywhere(const char *name, const uint8_t *start, const test_image *old,
                                const test_image *new)
{
    uint8_t *mem = ab_alloc_aligned(SIZE);
    char err[256];
    nor_sim s;

    assert_int_equal(test_pick(start, SIZE, old, new), 0);
    memcpy(mem, start, SIZE);
    assert_true(update(mem, new, &s, false, UINT64_MAX, 0, err));
    nor_stats clean = s.st;
    uint64_t nops = s.st.ops, nbytes = s.bytes_done;
    /* The commit record is the last operation; its first byte is byte
     * nbytes - 32 of the whole update. */
    uint64_t commit_op = nops - 1, commit_byte = nbytes - KILN_SLOTS_REC_SIZE;
    nor_sim_free(&s);
    assert_int_equal(test_pick(mem, SIZE, old, new), 1);

    uint64_t cuts = 0, valid = 0, saw_old = 0, saw_new = 0;
    for (uint64_t k = 0; k < nops + RANDOM_CUTS; k++) {
        bool by_ops = k < nops;
        uint64_t at = by_ops ? k : ((uint64_t)rand() << 16 ^ (uint64_t)rand()) % nbytes;
        memcpy(mem, start, SIZE);
        bool ok = update(mem, new, NULL, by_ops, at, (uint32_t)k * 2654435761u + 1u, err);
        cuts++;
        if (ok) {
            fail_msg("%s: cut at %s %llu did not stop the update", name, by_ops ? "op" : "byte",
                     (unsigned long long)at);
        }
        int pick = test_pick(mem, SIZE, old, new);
        bool before_commit = by_ops ? at < commit_op : at < commit_byte;
        if (pick == 0 || (pick == 1 && !before_commit))
            valid++;
        else
            fail_msg("%s: cut at %s %llu of %llu: runtime picks %s", name, by_ops ? "op" : "byte",
                     (unsigned long long)at, (unsigned long long)(by_ops ? nops : nbytes),
                     pick < 0 ? "no valid blob" : "the new blob before its commit");
        saw_old += pick == 0;
        saw_new += pick == 1;
        /* Power back: the update runs to the end from whatever was left. */
        assert_true(update(mem, new, NULL, false, UINT64_MAX, 0, err));
        assert_int_equal(test_pick(mem, SIZE, old, new), 1);
    }
    printf("%s: %llu operations, %llu bytes; %llu cut points (%llu at every op, %d random "
           "bytes), %llu valid (old %llu, new %llu)\n", name, (unsigned long long)nops,
           (unsigned long long)nbytes, (unsigned long long)cuts, (unsigned long long)nops,
           RANDOM_CUTS, (unsigned long long)valid, (unsigned long long)saw_old,
           (unsigned long long)saw_new);
    total_cuts += cuts;
    total_valid += valid;
    free(mem);
    return clean;
}

/* A -> B on a chip where B held an older, different blob: every unit of the
 * new blob needs an erase (subsector and sector erases both occur). */
static void update_over_old_slot(void **state)
{
    (void)state;
    test_image x, y, z, w;
    char err[256];
    x.b = test_blob(11, 90000, TEST_SIG, &x.n);
    y.b = test_blob(12, 110000, TEST_SIG, &y.n);
    z.b = test_blob(13, 80000, TEST_SIG, &z.n);
    w.b = test_blob(14, 100000, TEST_SIG, &w.n);
    uint8_t *start = ab_alloc_aligned(SIZE);
    memset(start, 0xFF, SIZE);
    /* x -> A (1), y -> B (2), z -> A (3): A live with z, B holds y. */
    assert_true(update(start, &x, NULL, false, UINT64_MAX, 0, err));
    assert_true(update(start, &y, NULL, false, UINT64_MAX, 0, err));
    assert_true(update(start, &z, NULL, false, UINT64_MAX, 0, err));
    nor_stats st = cut_everywhere("A->B over an old blob", start, &z, &w);
    /* The cut points covered both erase sizes. */
    assert_true(st.erases_sub > 0);
    assert_true(st.erases_sector > 0);
    free(start);
    free(x.b); free(y.b); free(z.b); free(w.b);
}

/* The first A->B update after A was committed: B erased, no erase needed. */
static void update_into_erased_slot(void **state)
{
    (void)state;
    test_image a, b;
    char err[256];
    a.b = test_blob(21, 30000, TEST_SIG, &a.n);
    b.b = test_blob(22, 35000, TEST_SIG, &b.n);
    uint8_t *start = ab_alloc_aligned(SIZE);
    memset(start, 0xFF, SIZE);
    assert_true(update(start, &a, NULL, false, UINT64_MAX, 0, err));
    nor_stats st = cut_everywhere("A->B into an erased slot", start, &a, &b);
    assert_int_equal(st.erases_sub + st.erases_sector, 0);
    free(start);
    free(a.b); free(b.b);
}

/* After 256 commits both record areas are full: the next commit erases
 * area 0 (which holds records 1..128) and writes record 257 there.  Cutting
 * that erase leaves torn old records. */
static void update_that_recycles_a_record_area(void **state)
{
    (void)state;
    test_image p, q, n;
    char err[256];
    p.b = test_blob(31, 3000, TEST_SIG, &p.n);
    q.b = test_blob(32, 3500, TEST_SIG, &q.n);
    n.b = test_blob(33, 4000, TEST_SIG, &n.n);
    uint8_t *start = ab_alloc_aligned(SIZE);
    memset(start, 0xFF, SIZE);
    for (int i = 0; i < 256; i++)
        assert_true(update(start, i % 2 ? &q : &p, NULL, false, UINT64_MAX, 0, err));
    kiln_slots_layout l;
    kiln_slots_scan sc;
    assert_int_equal(kiln_slots_layout_init(&l, SIZE, 4096), KILN_OK);
    kiln_slots_scan_records(start, &l, &sc);
    assert_int_equal(sc.records, 256);
    assert_int_equal(sc.newest.seq, 256);
    assert_int_equal(sc.newest_area, 1);
    assert_int_equal(sc.next_free[0], 128);
    assert_int_equal(sc.next_free[1], 128);
    nor_stats st = cut_everywhere("update recycling a record area", start, &q, &n);
    assert_int_equal(st.erases_sub, 2);   /* the target slot's one unit, then record area 0 */
    free(start);
    free(p.b); free(q.b); free(n.b);
}

static int report(void **state)
{
    (void)state;
    printf("summary: %llu cut points, %llu valid\n", (unsigned long long)total_cuts,
           (unsigned long long)total_valid);
    return total_cuts == total_valid ? 0 : -1;
}

int main(void)
{
    srand(12345);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(update_into_erased_slot),
        cmocka_unit_test(update_over_old_slot),
        cmocka_unit_test(update_that_recycles_a_record_area),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
