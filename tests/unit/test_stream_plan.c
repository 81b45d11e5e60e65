/*
 * test_stream_plan.c - the compiler side of stream mode and --internal-budget
 * on the bundled KWS model (examples/models/kws): every blob constant a call
 * reads lies in the staging buffer's range during that call; the reads go up
 * through the blob without overlapping (each byte at most once per
 * inference) and sum to what the header states; the staging buffer holds the
 * largest read and sits after everything the memory plan placed; with a
 * budget, the inline constants fit in it and each one left in the blob is
 * either colder than every inline one or too big for the room left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compile.h"
#include "passes/hot_weights.h"
#include "passes/plan.h"
#include "passes/stream_plan.h"

#ifndef KILN_ROOT
#define KILN_ROOT "."
#endif
#define KWS KILN_ROOT "/examples/models/kws/kws_ref_model.tflite"

static void compile_kws(compiled *c, weights_mode w, uint64_t budget)
{
    compile_opts o;
    char err[512];
    memset(&o, 0, sizeof o);
    o.weights = w;
    o.internal_budget = budget;
    if (!compile_model(KWS, &o, c, err, sizeof err))
        fail_msg("compile: %s", err);
}

static void reads_cover_every_call_once_in_order(void **state)
{
    (void)state;
    uint64_t budgets[2] = {0, 16384};
    for (int b = 0; b < 2; b++) {
        compiled c;
        compile_kws(&c, WEIGHTS_STREAM, budgets[b]);
        uint64_t sum = 0;
        uint32_t end = 0;
        size_t most = 0;
        for (int i = 0; i < c.prog.n_calls; i++) {
            const stream_stage *s = &c.stage[i];
            if (s->len) {
                assert_true(s->offset >= end);                       /* up through the blob, no byte twice */
                assert_true(s->offset + s->len <= c.blob_len);
                assert_true(s->offset == s->base);
                end = s->offset + s->len;
                sum += s->len;
                most = s->len > most ? s->len : most;
            }
            const lir_call *call = &c.prog.calls[i];
            for (int a = 0; a < call->n_args; a++) {
                int t = call->args[a].tensor;
                if (call->args[a].kind != LIR_ARG_TENSOR || c.pl.home[t] != PLAN_BLOB)
                    continue;
                int r = c.pl.root[t];
                if (c.blob_of[r] < 0) {
                    assert_true(b == 1 && c.hot_of[r] >= 0);          /* inline only under a budget */
                    continue;
                }
                const blob_tensor *bt = &c.bt[c.blob_of[r]];
                /* Staged by this call's read or an earlier one of the same group, still in the buffer. */
                assert_true(bt->offset >= s->base && bt->offset + bt->nbytes <= s->base + c.stage_bytes);
                assert_true(bt->offset + bt->nbytes <= end);
            }
        }
        assert_int_equal(sum, c.stream_bytes_read);
        assert_true(sum <= c.blob_len);
        assert_true(most <= c.stage_bytes);
        assert_true(c.stage_offset + c.stage_bytes == c.pl.arena_bytes);
        compiled_free(&c);
    }
}

static void budget_keeps_the_hottest_that_fit(void **state)
{
    (void)state;
    const uint64_t budget = 16384;
    compiled c;
    compile_kws(&c, WEIGHTS_EXTERNAL, budget);
    assert_true(c.n_hot > 0);
    assert_true(c.hot_len <= budget);
    double coldest_inline = 1e300;
    for (int t = 0; t < c.g->n_tensors; t++)
        if (c.hot_of[t] >= 0 && c.reads_per_byte[t] < coldest_inline)
            coldest_inline = c.reads_per_byte[t];
    for (int t = 0; t < c.g->n_tensors; t++) {
        if (c.blob_of[t] < 0)
            continue;
        /* Left in the blob: no hotter than the inline ones, or it would not have fitted. */
        if (c.reads_per_byte[t] > coldest_inline)
            assert_true(c.bt[c.blob_of[t]].nbytes + 15 > budget - c.hot_len);
    }
    assert_true(hot_external_reads(&c, true) < hot_external_reads(&c, false));
    compiled_free(&c);

    compile_kws(&c, WEIGHTS_INLINE, 0);
    assert_int_equal(c.n_hot, 0);
    compiled_free(&c);
}

static void budget_refused_with_inline_weights(void **state)
{
    (void)state;
    compile_opts o;
    compiled c;
    char err[512] = "";
    memset(&o, 0, sizeof o);
    o.weights = WEIGHTS_INLINE;
    o.internal_budget = 4096;
    assert_false(compile_model(KWS, &o, &c, err, sizeof err));
    assert_non_null(strstr(err, "--internal-budget"));
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_cover_every_call_once_in_order),
        cmocka_unit_test(budget_keeps_the_hottest_that_fit),
        cmocka_unit_test(budget_refused_with_inline_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
