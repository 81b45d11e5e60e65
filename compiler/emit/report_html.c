/*
 * report_html.c - NET_report.html: the report as one page a person looks at.
 *
 * Self-contained: inline CSS and SVG, no script, no font or image from
 * anywhere, and a Content-Security-Policy that forbids loading anything, so
 * the page opens offline and cannot reach the network.  Sections: totals
 * (against a board's limits with --board), the layer table, MACC and weight
 * bytes per layer, the arena timeline (each buffer's bytes over the calls
 * it lives in, from the planner), the flash map of the blob.
 *
 * Text from the model goes through c_text() (printable ASCII, control and
 * non-ASCII bytes as %XX) and then HTML escaping, so a name cannot inject
 * markup.  The page is a pure function of the compiled model: no date.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/c_text.h"
#include "emit/report.h"
#include "emit/report_data.h"
#include "version.h"

#define CHART_W 860
#define NAME_CUT 120

/* ---- text --------------------------------------------------------------- */

/* Model text as safe HTML: sanitized, cut, then &<>"' escaped. */
static void esc(sbuf *o, const char *s, size_t max)
{
    sbuf t = {0};
    c_text(&t, s ? s : "", max);
    for (const char *p = t.s ? t.s : ""; *p; p++) {
        switch (*p) {
        case '&': sb_printf(o, "&amp;"); break;
        case '<': sb_printf(o, "&lt;"); break;
        case '>': sb_printf(o, "&gt;"); break;
        case '"': sb_printf(o, "&quot;"); break;
        case '\'': sb_printf(o, "&#39;"); break;
        default: sb_put(o, p, 1);
        }
    }
    sb_free(&t);
}

static const char *grouped(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), k = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = tmp[i];
    }
    buf[k] = '\0';
    return buf;
}

static const char *human(uint64_t v, char *buf, size_t n)
{
    if (v < 1024)
        snprintf(buf, n, "%" PRIu64 " B", v);
    else if (v < 1024u * 1024u)
        snprintf(buf, n, "%.1f KiB", (double)v / 1024.0);
    else
        snprintf(buf, n, "%.2f MiB", (double)v / 1048576.0);
    return buf;
}

/* A colour per index, distinct neighbours. */
static void hue(sbuf *o, int i)
{
    sb_printf(o, "hsl(%d,62%%,%d%%)", (i * 47) % 360, 52 + (i % 3) * 8);
}

/* ---- page frame ----------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}"
    ".sub{color:#57606a}.cards{display:flex;flex-wrap:wrap;gap:10px}"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:150px}"
    ".card b{display:block;font-size:18px}table{border-collapse:collapse;font-size:12px}"
    "th,td{border-bottom:1px solid #eaeef2;padding:3px 8px;text-align:right;white-space:nowrap}"
    "th{background:#f6f8fa;position:sticky;top:0}td.l,th.l{text-align:left}"
    "td.name{max-width:300px;overflow:hidden;text-overflow:ellipsis}.wide{overflow-x:auto}"
    ".bar{height:10px;background:#eaeef2;border-radius:3px;width:260px;display:inline-block;vertical-align:middle}"
    ".bar i{display:block;height:10px;border-radius:3px;background:#2da44e}.over i{background:#cf222e}"
    "svg text{font:11px system-ui,sans-serif}.legend span{display:inline-block;margin-right:14px}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}";

static void page_head(const report_data *d, sbuf *o)
{
    const compiled *c = d->c;
    sb_printf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n<title>Kiln report: ");
    esc(o, c->name, 64);
    sb_printf(o, "</title>\n<style>%s</style></head>\n<body>\n<h1>Kiln report: ", css);
    esc(o, c->name, 64);
    sb_printf(o, "</h1>\n<div class=\"sub\">");
    esc(o, c->g->source, NAME_CUT);
    sb_printf(o, " &middot; signature 0x%016" PRIx64 " &middot; weights %s &middot; kiln %s</div>\n",
              c->signature, c->weights == WEIGHTS_INLINE ? "inline (internal flash)" : "external (blob)",
              KILN_VERSION);
}

/* ---- totals ---------------------------------------------------------------- */

static void card(sbuf *o, const char *what, const char *value, const char *note)
{
    sb_printf(o, "<div class=\"card\">%s<b>%s</b><span class=\"sub\">%s</span></div>\n", what, value, note);
}

/* "used of limit" with a bar; red past the limit. */
static void limit_row(sbuf *o, const char *what, uint64_t used, uint64_t limit, const char *note)
{
    char a[32], b[32];
    double f = limit ? (double)used / (double)limit : 0;
    sb_printf(o, "<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td class=\"l\"><span class=\"bar%s\">"
                 "<i style=\"width:%.1f%%\"></i></span> %.2f%%</td><td class=\"l\">%s</td></tr>\n",
              what, human(used, a, sizeof a), human(limit, b, sizeof b), f > 1 ? " over" : "",
              f > 1 ? 100.0 : 100.0 * f, 100.0 * f, note);
}

static void totals(const report_data *d, sbuf *o)
{
    const compiled *c = d->c;
    char a[32], b[32], note[160];
    sb_printf(o, "<h2>Totals</h2>\n<div class=\"cards\">\n");
    card(o, "MACC", grouped(d->macc, a), "multiply-accumulates");
    card(o, "weights", human(d->weights, a, sizeof a), "what the kernels read");
    snprintf(note, sizeof note, "%s", c->weights == WEIGHTS_INLINE ? "const array, internal flash" : "external flash");
    card(o, "blob", human(c->blob_len, a, sizeof a), note);
    snprintf(note, sizeof note, "lower bound %s", human(c->pl.lower_bound, b, sizeof b));
    card(o, "arena (RAM)", human(c->pl.arena_bytes, a, sizeof a), note);
    snprintf(note, sizeof note, "estimate, Cortex-M7 -O2; %d distinct kernels", d->code.distinct_kernels);
    card(o, "code", human(d->code.total, a, sizeof a), note);
    snprintf(note, sizeof note, "%d layers", d->n_layers);
    card(o, "kernel calls", grouped((uint64_t)c->prog.n_calls, a), note);
    sb_printf(o, "</div>\n");
    const report_board *bd = d->board;
    if (!bd)
        return;
    sb_printf(o, "<h2>Against board ");
    esc(o, bd->name, 64);
    sb_printf(o, "</h2>\n<table><tr><th class=\"l\">memory</th><th>used</th><th>limit</th><th class=\"l\"></th>"
                 "<th class=\"l\">what</th></tr>\n");
    if (c->weights != WEIGHTS_INLINE) {
        snprintf(note, sizeof note, "the blob, %s mapped at 0x%08" PRIx64, bd->flash_part, bd->ext_base);
        limit_row(o, "external flash", c->blob_len, bd->ext_size, note);
    }
    if (bd->mcu_flash) {
        snprintf(note, sizeof note, "%s: code (estimate)%s", bd->mcu_part,
                 c->weights == WEIGHTS_INLINE ? " and the weights" : "");
        limit_row(o, "internal flash", d->code.total + (c->weights == WEIGHTS_INLINE ? c->blob_len : 0),
                  bd->mcu_flash, note);
        limit_row(o, "RAM", c->pl.arena_bytes, bd->mcu_ram, "the arena; the stack and the application come on top");
    }
    sb_printf(o, "</table>\n");
}

/* ---- the layer table --------------------------------------------------------- */

/* Where layer l's weights are: the lowest blob offset among its calls' constants. */
static void weights_where(const report_data *d, const report_layer *l, sbuf *o)
{
    const compiled *c = d->c;
    int64_t lo = -1;
    for (int i = l->first_call; i >= 0 && i < c->prog.n_calls && c->prog.calls[i].node == l->node; i++) {
        const lir_call *k = &c->prog.calls[i];
        for (int a = 0; a < k->n_args; a++) {
            if (k->args[a].kind != LIR_ARG_TENSOR)
                continue;
            int r = c->pl.root[k->args[a].tensor];
            if (c->blob_of[r] >= 0 && (lo < 0 || c->bt[c->blob_of[r]].offset < lo))
                lo = c->bt[c->blob_of[r]].offset;
        }
    }
    if (lo < 0 || !l->weight_bytes)
        sb_printf(o, "&ndash;");
    else if (c->weights == WEIGHTS_INLINE)
        sb_printf(o, "internal flash +%" PRId64, lo);
    else if (c->has_address)
        sb_printf(o, "external 0x%08" PRIx64, (uint64_t)c->address + (uint64_t)lo);
    else
        sb_printf(o, "external blob +%" PRId64, lo);
}

static void layer_table(const report_data *d, sbuf *o)
{
    char a[32], b[32], e[32], f[32];
    sb_printf(o, "<h2>Layers</h2>\n<div class=\"wide\"><table id=\"layers\">\n<tr><th>#</th><th class=\"l\">layer</th><th class=\"l\">op</th>"
                 "<th class=\"l\">input</th><th class=\"l\">output</th><th>params</th><th>MACC</th>"
                 "<th>weight B</th><th>RAM B</th><th class=\"l\">weights live in</th></tr>\n");
    for (int n = 0; n < d->n_layers; n++) {
        const report_layer *l = &d->layers[n];
        sb_printf(o, "<tr><td>%d</td><td class=\"l name\" title=\"", n);
        esc(o, l->name, C_TEXT_CUT);
        sb_printf(o, "\">");
        esc(o, l->name, NAME_CUT);
        sb_printf(o, "</td><td class=\"l\">%s</td><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%s</td>"
                     "<td>%s</td><td>%s</td><td>%s</td><td class=\"l\">", l->op, l->in_shape, l->out_shape,
                  grouped(l->params, a), grouped(l->macc, b), grouped(l->weight_bytes, e),
                  l->n_calls ? grouped(l->ram_bytes, f) : "&ndash;");
        weights_where(d, l, o);
        sb_printf(o, "</td></tr>\n");
    }
    sb_printf(o, "</table></div>\n");
}

/* ---- charts --------------------------------------------------------------------- */

/* Two horizontal bars per layer: MACC (share of the total) and weight bytes. */
static void cost_chart(const report_data *d, sbuf *o)
{
    uint64_t max_m = 1, max_w = 1;
    for (int n = 0; n < d->n_layers; n++) {
        max_m = d->layers[n].macc > max_m ? d->layers[n].macc : max_m;
        max_w = d->layers[n].weight_bytes > max_w ? d->layers[n].weight_bytes : max_w;
    }
    const int row = 18, left = 230, width = CHART_W - left - 90;
    int h = row * d->n_layers + 30;
    char a[32];
    sb_printf(o, "<h2>MACC and weight bytes per layer</h2>\n<div class=\"legend\"><span><i class=\"sw\" "
                 "style=\"background:#0969da\"></i>MACC</span><span><i class=\"sw\" style=\"background:#bf8700\">"
                 "</i>weight bytes</span></div>\n<svg id=\"cost\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "role=\"img\" aria-label=\"MACC and weight bytes per layer\">\n", CHART_W, h, CHART_W, h);
    for (int n = 0; n < d->n_layers; n++) {
        const report_layer *l = &d->layers[n];
        int y = 10 + n * row;
        double wm = (double)width * (double)l->macc / (double)max_m;
        double ww = (double)width * (double)l->weight_bytes / (double)max_w;
        sb_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d %s</text>", left - 6, y + 11, n, l->op);
        sb_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"7\" fill=\"#0969da\"><title>%s MACC</title></rect>",
                  left, y + 1, wm, grouped(l->macc, a));
        sb_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"7\" fill=\"#bf8700\"><title>%s weight bytes"
                     "</title></rect>", left, y + 9, ww, grouped(l->weight_bytes, a));
        sb_printf(o, "<text x=\"%.1f\" y=\"%d\">%.1f%%</text>\n", left + (wm > ww ? wm : ww) + 4, y + 11,
                  d->macc ? 100.0 * (double)l->macc / (double)d->macc : 0.0);
    }
    sb_printf(o, "</svg>\n");
}

/* x: kernel calls (time), y: arena bytes; one rectangle per buffer. */
static void arena_chart(const report_data *d, sbuf *o)
{
    const compiled *c = d->c;
    const int left = 70, top = 10, width = CHART_W - left - 20, height = 320;
    int calls = c->prog.n_calls > 0 ? c->prog.n_calls : 1;
    double arena = c->pl.arena_bytes ? (double)c->pl.arena_bytes : 1;
    char a[32], b[32];
    sb_printf(o, "<h2>Arena timeline</h2>\n<p class=\"sub\">Each rectangle is a buffer: its bytes in the arena "
                 "(%s in all, at least %s live at once) over the kernel calls it lives through, as the planner "
                 "placed it; where a kernel runs in place (%d calls), its output's rectangle overlaps its "
                 "input's during that call. Hover for the tensor.</p>\n", human(c->pl.arena_bytes, a, sizeof a),
              human(c->pl.lower_bound, b, sizeof b), c->pl.n_inplace);
    sb_printf(o, "<svg id=\"arena\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                 "aria-label=\"arena timeline\">\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                 "fill=\"#f6f8fa\" stroke=\"#d0d7de\"/>\n", CHART_W, height + 40, CHART_W, height + 40, left,
              top, width, height);
    for (int i = 0; i < d->n_bufs; i++) {
        const report_buf *r = &d->bufs[i];
        double x = left + (double)width * r->first / calls;
        double w = (double)width * (r->last - r->first + 1) / calls;
        double y = top + (double)height * (double)r->offset / arena;
        double h = (double)height * (double)r->size / arena;
        sb_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"", x, y, w,
                  h < 0.8 ? 0.8 : h);
        hue(o, i);
        sb_printf(o, "\" fill-opacity=\"0.75\" stroke=\"#fff\" stroke-width=\"0.5\"><title>");
        esc(o, r->name, NAME_CUT);
        sb_printf(o, "%s: bytes %zu..%zu, calls %d..%d</title></rect>\n", r->scratch ? " (scratch)" : "", r->offset,
                  r->offset + r->size, r->first, r->last);
    }
    sb_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text><text x=\"%d\" y=\"%d\" "
                 "text-anchor=\"end\">%s</text>\n", left - 4, top + 10, left - 4, top + height,
              human(c->pl.arena_bytes, a, sizeof a));
    sb_printf(o, "<text x=\"%d\" y=\"%d\">call 0</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
                 "kernel calls (time) &#8594;</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">call %d</text>"
                 "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">arena offset "
                 "(bytes) &#8594;</text>\n</svg>\n", left, top + height + 16, left + width / 2, top + height + 16,
              left + width, top + height + 16, calls - 1, 14, top + height / 2, 14, top + height / 2);
}

/* The blob, byte 0 to the end: one band, then the regions in a table. */
static void flash_map(const report_data *d, sbuf *o)
{
    const compiled *c = d->c;
    const int left = 10, width = CHART_W - 20;
    double total = c->blob_len ? (double)c->blob_len : 1;
    uint64_t base = c->weights != WEIGHTS_INLINE && c->has_address ? c->address : 0;
    char a[32];
    sb_printf(o, "<h2>Flash map</h2>\n<p class=\"sub\">%s: %s. Header and directory first, then each tensor "
                 "aligned to 16 bytes.</p>\n", c->weights == WEIGHTS_INLINE ? "internal flash (NET_data.c)"
                                                                          : "external flash (NET_data.bin)",
              human(c->blob_len, a, sizeof a));
    sb_printf(o, "<svg id=\"flash\" width=\"%d\" height=\"60\" viewBox=\"0 0 %d 60\" role=\"img\" "
                 "aria-label=\"flash map\">\n", CHART_W, CHART_W);
    for (int i = 0; i < d->n_regions; i++) {
        const report_region *r = &d->regions[i];
        double x = left + width * (double)r->offset / total, w = width * (double)r->size / total;
        sb_printf(o, "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" height=\"30\" fill=\"", x, w < 0.8 ? 0.8 : w);
        if (r->tensor)
            hue(o, i);
        else
            sb_printf(o, "#57606a");
        sb_printf(o, "\"><title>");
        esc(o, r->what, NAME_CUT);
        sb_printf(o, ": 0x%08" PRIx64 ", %zu bytes</title></rect>\n", base + r->offset, r->size);
    }
    sb_printf(o, "<text x=\"%d\" y=\"54\">0x%08" PRIx64 "</text><text x=\"%d\" y=\"54\" text-anchor=\"end\">"
                 "0x%08" PRIx64 "</text>\n</svg>\n", left, base, left + width, base + c->blob_len);
    sb_printf(o, "<table><tr><th class=\"l\">region</th><th>%s</th><th>bytes</th></tr>\n",
              base ? "address" : "offset");
    for (int i = 0; i < d->n_regions; i++) {
        const report_region *r = &d->regions[i];
        sb_printf(o, "<tr><td class=\"l name\">");
        esc(o, r->what, NAME_CUT);
        sb_printf(o, "</td><td>0x%08" PRIx64 "</td><td>%s</td></tr>\n", base + r->offset, grouped(r->size, a));
    }
    sb_printf(o, "</table>\n");
}

void report_html(const compiled *c, const report_board *board, sbuf *o)
{
    report_data d;
    report_data_build(c, board, &d);
    page_head(&d, o);
    totals(&d, o);
    layer_table(&d, o);
    cost_chart(&d, o);
    arena_chart(&d, o);
    flash_map(&d, o);
    sb_printf(o, "<p class=\"sub\">Generated by kiln %s. The text and JSON reports hold the same numbers.</p>\n"
                 "</body></html>\n", KILN_VERSION);
    report_data_free(&d);
}
