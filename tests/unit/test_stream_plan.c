/*
 * test_stream_plan.c - the compiler side of stream mode and --internal-budget
 * on the bundled KWS model (examples/models/kws): every blob constant a call
 * reads lies in the staging buffer's range during that call; the reads go up
 * through the blob without overlapping (each byte at most once per
 * inference) and sum to what the header states; the staging buffer holds the
 * largest read and sits after everything the memory plan placed; with a
 * budget, the inline constants fit in it and each one left in the blob is
 * either colder than every inline one or too big for the room left.  With
 * --stage-bytes: the buffer stays within the cap, layers above it are read
 * in tiles of whole channel groups that still go up through the blob once
 * and cover exactly the layer's weights, tiled calls never run in place,
 * and a cap below one group (or below an untileable layer) is refused
 * naming the layer and the least cap, computed by hand from the packed
 * layouts of docs/kernels-int8.md.
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

static bool compile_capped(compiled *c, weights_mode w, uint64_t cap, char *err, size_t errlen)
{
    compile_opts o;
    memset(&o, 0, sizeof o);
    o.weights = w;
    o.stage_bytes = cap;
    return compile_model(KWS, &o, c, err, errlen);
}

/* Every read in order (a call's own, or its tiles'): each within the buffer,
 * above the previous one.  Returns the bytes read. */
static uint64_t check_reads(const compiled *c, int *tiled)
{
    uint64_t sum = 0;
    uint32_t end = 0;
    *tiled = 0;
    for (int i = 0; i < c->prog.n_calls; i++) {
        const stream_stage *s = &c->stage[i];
        if (s->len) {
            assert_true(s->offset >= end && s->len <= c->stage_bytes);
            end = s->offset + s->len;
            sum += s->len;
        }
        if (!s->n_tiles)
            continue;
        (*tiled)++;
        assert_int_equal(s->len, 0);
        assert_true(c->pl.inplace_in[i] < 0);                 /* a tile must not overwrite input */
        const blob_tensor *bt = &c->bt[c->blob_of[c->pl.root[c->prog.calls[i].args[s->rule.w_arg].tensor]]];
        assert_true(s->tiles[0].offset <= bt->offset);      /* the tiles cover the weights exactly */
        int32_t ch = 0;
        for (int k = 0; k < s->n_tiles; k++) {
            const stream_tile *t = &s->tiles[k];
            assert_int_equal(t->c0, ch);
            assert_true(t->offset == end || (k == 0 && t->offset >= end));
            assert_true(t->at + t->len <= c->stage_bytes);
            ch += t->n;
            end = t->offset + t->len;
            sum += t->len;
        }
        assert_int_equal(ch, s->out_c);
        assert_int_equal(end, bt->offset + bt->nbytes);
    }
    return sum;
}

static void stage_cap_reads_tiles_once_in_order(void **state)
{
    (void)state;
    compiled whole, c;
    char err[512] = "", why[512] = "";
    compile_kws(&whole, WEIGHTS_STREAM, 0);
    int tiled;
    uint64_t whole_sum = check_reads(&whole, &tiled);
    assert_int_equal(tiled, 0);
    assert_true(compile_capped(&c, WEIGHTS_STREAM, 4010, err, sizeof err));
    assert_true(c.stage_cap == 4000 && c.stage_bytes <= 4000); /* 16-byte units */
    uint64_t sum = check_reads(&c, &tiled);
    /* Cut: the first conv (32 groups of 208 bytes, 6,656) and the four 1x1 convs
     * (64 -> 64: 16 + 32 + 16*2*8 = 304 bytes a group, 9,728); the same bytes are read. */
    assert_int_equal(tiled, 5);
    assert_int_equal(sum, c.stream_bytes_read);
    assert_int_equal(sum, whole_sum);
    assert_true(c.tile_out_offset >= c.stage_offset + c.stage_bytes);
    assert_true(c.tile_out_offset + c.tile_out_bytes <= c.pl.arena_bytes);
    assert_true(plan_check(c.g, &c.prog, &c.pl, why, sizeof why));
    compiled_free(&c);
    compiled_free(&whole);
}

/* Below the 3x3 depthwise layers' 2,816 bytes (64 channels of 44) they are
 * read in tiles of channels too, their input gathered per tile. */
static void stage_cap_tiles_depthwise(void **state)
{
    (void)state;
    compiled whole, c;
    char err[512] = "", why[512] = "";
    compile_kws(&whole, WEIGHTS_STREAM, 0);
    int tiled, dw = 0;
    uint64_t whole_sum = check_reads(&whole, &tiled);
    assert_true(compile_capped(&c, WEIGHTS_STREAM, 2048, err, sizeof err));
    uint64_t sum = check_reads(&c, &tiled);
    for (int i = 0; i < c.prog.n_calls; i++) {
        if (!c.stage[i].n_tiles || !strstr(c.prog.calls[i].kernel, "depthwise"))
            continue;
        dw++;
        /* 2048 / 44 = 46 channels a tile: 46 + 18. */
        assert_int_equal(c.stage[i].n_tiles, 2);
        assert_int_equal(c.stage[i].tiles[0].n, 46);
        assert_true(c.stage[i].slice_at[0] != SIZE_MAX); /* the input, gathered */
    }
    assert_int_equal(dw, 4);
    assert_int_equal(sum, whole_sum);
    assert_true(c.stage_bytes <= 2048);
    assert_true(c.tile_out_offset + c.tile_out_bytes <= c.pl.arena_bytes);
    assert_true(plan_check(c.g, &c.prog, &c.pl, why, sizeof why));
    compiled_free(&c);
    compiled_free(&whole);
}

static void stage_cap_too_small_refused(void **state)
{
    (void)state;
    compiled c;
    char err[512] = "";
    /* The first conv, 10x4 taps of 1 channel: K = 40, 10 slices; a group of
     * 2 channels with int16 weights is 16 + 2*16 + 10*2*8 = 208 bytes. */
    assert_false(compile_capped(&c, WEIGHTS_STREAM, 200, err, sizeof err));
    assert_non_null(strstr(err, "layer 0 (Conv"));
    assert_non_null(strstr(err, "give --stage-bytes 208 or more"));
    compiled_free(&c);
    assert_false(compile_capped(&c, WEIGHTS_EXTERNAL, 4096, err, sizeof err));
    assert_non_null(strstr(err, "--stage-bytes"));
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_cover_every_call_once_in_order),
        cmocka_unit_test(budget_keeps_the_hottest_that_fit),
        cmocka_unit_test(budget_refused_with_inline_weights),
        cmocka_unit_test(stage_cap_reads_tiles_once_in_order),
        cmocka_unit_test(stage_cap_tiles_depthwise),
        cmocka_unit_test(stage_cap_too_small_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
