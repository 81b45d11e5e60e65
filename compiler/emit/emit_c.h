/*
 * emit_c.h - writes the generated C: NET.h, NET.c and, for inline weights,
 * NET_data.c (the blob as a const array); for external weights NET_data.bin.
 */
#ifndef KILN_EMIT_C_H
#define KILN_EMIT_C_H

#include <stdbool.h>
#include <stddef.h>

#include "compile.h"
#include "emit/report_data.h"
#include "util/sbuf.h"

void emit_header(const compiled *c, sbuf *out);
void emit_source(const compiled *c, sbuf *out);
void emit_data_c(const compiled *c, sbuf *out);

/* Writes every output file into dir (created if needed) as one generation
 * (util/fileset.h): on failure the previous files stay as they were, and the
 * other weights mode's data file never survives beside the new ones. */
bool emit_all(const compiled *c, const char *dir, char *err, size_t errlen);
/* The same with a board's limits in the reports (NULL: none).  The files:
 * NET.h, NET.c, NET_data.c or NET_data.bin, NET.mk and NET.cmake (sources
 * and include directories for an application's build, build_files.h),
 * NET_report.txt, .json and .html. */
bool emit_all_board(const compiled *c, const char *dir, const report_board *board, char *err, size_t errlen);

/* The C type of a tensor element ("float", "int8_t", ...). */
const char *c_elem_type(ir_dtype dt);

#endif
