/*
 * report.h - what a compiled model costs, per layer and in total: MACs,
 * parameters, weight bytes, output shape and quantization, arena bytes next to
 * their lower bound.  `kiln analyze` prints it; `kiln generate` writes it as
 * NET_report.txt and NET_report.json.
 */
#ifndef KILN_REPORT_H
#define KILN_REPORT_H

#include "compile.h"
#include "emit/report_data.h"
#include "util/sbuf.h"

/* board: the limits to compare the totals with, or NULL. */
void report_text_board(const compiled *c, const report_board *board, sbuf *out);
void report_json_board(const compiled *c, const report_board *board, sbuf *out);
/* The same without a board. */
void report_text(const compiled *c, sbuf *out);
void report_json(const compiled *c, sbuf *out);
/* The page: one self-contained HTML file (inline CSS and SVG, no script
 * from anywhere, no network) with the layer table, MACC and bytes per
 * layer, the arena timeline, the flash map and the totals (report_html.c). */
void report_html(const compiled *c, const report_board *board, sbuf *out);

#endif
