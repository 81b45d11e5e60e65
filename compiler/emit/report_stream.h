/*
 * report_stream.h - the report's external-flash part: stream mode's reads
 * and staging buffer, and where --internal-budget put each constant with the
 * external bytes read per inference with and without it.
 */
#ifndef KILN_REPORT_STREAM_H
#define KILN_REPORT_STREAM_H

#include <cjson/cJSON.h>

#include "compile.h"
#include "util/sbuf.h"

/* Lines for NET_report.txt (nothing for inline weights). */
void report_stream_text(const compiled *c, sbuf *o);
/* root["external_flash"] for NET_report.json (nothing for inline weights). */
void report_stream_json(const compiled *c, cJSON *root);

#endif
