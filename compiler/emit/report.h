/*
 * report.h - what a compiled model costs, per layer and in total: MACs,
 * parameters, weight bytes, output shape and quantization, arena bytes next to
 * their lower bound.  `kiln analyze` prints it; `kiln generate` writes it as
 * NET_report.txt and NET_report.json.
 */
#ifndef KILN_REPORT_H
#define KILN_REPORT_H

#include "compile.h"
#include "util/sbuf.h"

void report_text(const compiled *c, sbuf *out);
void report_json(const compiled *c, sbuf *out);

#endif
