/*
 * c_init.h - a kernel's params printed as C for a reader, from the value.
 *
 * The lowering hands over a real params struct (lir_params.h); the
 * generated file shows it as a designated initializer a person would write:
 * every field of the struct's header list, in its order, one field family a
 * line (.in_c, .in_h, .in_w together), nested structs indented, arrays on
 * one line or wrapped, enum fields by their constants' names
 * (KILN_LAYOUT_NHWC, KILN_RQ_TFLITE, KILN_QT_S8), floats as literals that
 * read back to the same float.  The initializer is the struct's bytes.
 */
#ifndef KILN_C_INIT_H
#define KILN_C_INIT_H

#include <stdbool.h>

#include "passes/lir_params.h"
#include "util/sbuf.h"

/* Appends the initializer of *v, a struct of type t, its first line
 * continuing the current one, the following ones indented by `indent`
 * spaces plus the nesting. */
void c_init_print(sbuf *o, const lir_struct *t, const void *v, int indent);

/* Whether that initializer names a <math.h> macro (HUGE_VALF: an infinite
 * float field). */
bool c_init_needs_math_h(const lir_struct *t, const void *v);

#endif
