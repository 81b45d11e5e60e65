/*
 * test_report.c - the numbers and the safety of the reports
 * (compiler/emit/report*.c), on a graph small enough to work out by hand:
 *
 *   x [1,8] f32 (input) -> Add c0 -> y1 -> Add c1 -> y2 (output)
 *
 * Two kernel calls.  Buffers of 32 bytes: x lives in call 0, y1 in calls
 * 0..1, y2 in call 1; 64 bytes are live during each call, but kiln_add_f32
 * reads element i before writing it, so each Add runs in place (its input
 * dies there): 32 bytes, the RAM of each layer and the arena's lower bound.  The first node's name is
 * markup and longer than 28 characters: the HTML page must show it escaped
 * and the text report in full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "compile.h"
#include "emit/report.h"
#include "emit/report_data.h"

#define HOSTILE "<script>alert(\"x\")</script> & 'quotes' and a name well past 28 characters"

static ir_graph *two_adds(void)
{
    ir_graph *g = ir_new("two_adds");
    const int64_t shape[2] = {1, 8}, cshape[1] = {8};
    float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int x = ir_add_tensor(g, "x", IR_DT_F32, 2, shape);
    int y1 = ir_add_tensor(g, "y1", IR_DT_F32, 2, shape);
    int y2 = ir_add_tensor(g, "y2", IR_DT_F32, 2, shape);
    int c0 = ir_add_const(g, "c0", IR_DT_F32, 1, cshape, v, sizeof v);
    int c1 = ir_add_const(g, "c1", IR_DT_F32, 1, cshape, v, sizeof v);
    int in0[2] = {x, c0}, in1[2] = {y1, c1};
    ir_mark_input(g, x, 0);
    ir_add_node(g, IR_OP_ADD, HOSTILE, "Add", 0, 2, in0, 1, &y1);
    ir_add_node(g, IR_OP_ADD, "second", "Add", 1, 2, in1, 1, &y2);
    ir_mark_output(g, y2);
    return g;
}

static compiled compile_two_adds(void)
{
    compile_opts o = {0};
    o.name = "net";
    compiled c;
    char err[512] = "";
    bool ok = compile_graph(two_adds(), &o, &c, err, sizeof err);
    if (!ok)
        fprintf(stderr, "compile_graph: %s\n", err);
    assert_true(ok);
    return c;
}

static void ram_per_layer_and_timeline(void **state)
{
    (void)state;
    compiled c = compile_two_adds();
    report_data d;
    report_data_build(&c, NULL, &d);
    assert_int_equal(c.prog.n_calls, 2);
    assert_int_equal(d.n_layers, 2);
    assert_int_equal(d.layers[0].ram_bytes, 32);
    assert_int_equal(d.layers[1].ram_bytes, 32);
    assert_int_equal(c.pl.lower_bound, 32);
    /* Three arena buffers with the lifetimes above. */
    assert_int_equal(d.n_bufs, 3);
    int seen = 0;
    for (int i = 0; i < d.n_bufs; i++) {
        const report_buf *b = &d.bufs[i];
        assert_int_equal(b->size, 32);
        if (!strcmp(b->name, "x"))
            seen += b->first == 0 && b->last == 0;
        else if (!strcmp(b->name, "y1"))
            seen += b->first == 0 && b->last == 1;
        else if (!strcmp(b->name, "y2"))
            seen += b->first == 1 && b->last == 1;
    }
    assert_int_equal(seen, 3);
    /* The flash map: header, directory, names, then the two constants. */
    assert_string_equal(d.regions[0].what, "header");
    assert_int_equal(d.regions[0].size, 64);
    int tensors = 0;
    for (int i = 0; i < d.n_regions; i++)
        tensors += d.regions[i].tensor;
    assert_int_equal(tensors, 2);
    report_data_free(&d);
    compiled_free(&c);
}

static void html_is_escaped_and_offline(void **state)
{
    (void)state;
    compiled c = compile_two_adds();
    sbuf h = {0};
    report_html(&c, NULL, &h);
    assert_non_null(h.s);
    assert_null(strstr(h.s, "<script"));
    assert_non_null(strstr(h.s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"));
    /* Nothing loads from anywhere, and the page says so to the browser. */
    const char *never[] = {"http:", "https:", "src=", "url(", "<link", "@import", "<img", "<iframe"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        assert_null(strstr(h.s, never[i]));
    assert_non_null(strstr(h.s, "Content-Security-Policy\" content=\"default-src 'none'"));
    assert_non_null(strstr(h.s, "id=\"arena\""));
    sb_free(&h);
    compiled_free(&c);
}

static void text_report_names_and_ram(void **state)
{
    (void)state;
    compiled c = compile_two_adds();
    sbuf t = {0};
    report_text(&c, &t);
    /* The whole name (printable already), not 28 characters of it. */
    assert_non_null(strstr(t.s, HOSTILE));
    assert_non_null(strstr(t.s, "RAM B"));
    sb_free(&t);
    compiled_free(&c);
}

static void depthwise_is_named(void **state)
{
    (void)state;
    ir_graph *g = ir_new("dw");
    const int64_t xs[4] = {1, 4, 5, 5}, ws[4] = {4, 1, 3, 3}, ys[4] = {1, 4, 3, 3};
    int x = ir_add_tensor(g, "x", IR_DT_F32, 4, xs);
    int w = ir_add_tensor(g, "w", IR_DT_F32, 4, ws);
    int y = ir_add_tensor(g, "y", IR_DT_F32, 4, ys);
    int in[2] = {x, w};
    int n = ir_add_node(g, IR_OP_CONV, "dw", "Conv", 0, 2, in, 1, &y);
    g->nodes[n].attr.conv.group = 4;
    assert_string_equal(report_op_name(g, &g->nodes[n]), "DepthwiseConv");
    g->nodes[n].attr.conv.group = 1;
    assert_string_equal(report_op_name(g, &g->nodes[n]), "Conv");
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ram_per_layer_and_timeline), cmocka_unit_test(html_is_escaped_and_offline),
        cmocka_unit_test(text_report_names_and_ram), cmocka_unit_test(depthwise_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
