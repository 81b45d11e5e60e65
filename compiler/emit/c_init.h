/*
 * c_init.h - a kernel's parameter initializer laid out for a reader.
 *
 * The lowering composes each call's params as one line of C99
 * ("{ .batch = 1, .in_c = 1, ..., .rq = { .mode = 4, ... } }"); the
 * generated file shows it as a person would write it: one field family a
 * line (.in_c, .in_h, .in_w together), nested structs indented, and the
 * enum fields by their constants' names (KILN_LAYOUT_NHWC, KILN_RQ_TFLITE,
 * KILN_QT_S8), taken from the runtime's headers.  Same values, same order:
 * the struct is the same bytes.
 */
#ifndef KILN_C_INIT_H
#define KILN_C_INIT_H

#include "util/sbuf.h"

/* Appends init (code Kiln composed, c_code_is_plain) for a struct of type
 * ptype, its first line continuing the current one, the following ones
 * indented by `indent` spaces plus the nesting. */
void c_init_pretty(sbuf *o, const char *ptype, const char *init, int indent);

#endif
