/*
 * emit_stream.h - the parts of NET.h/NET.c that stream mode and
 * --internal-budget add (emit_c.c calls these at its hooks).
 */
#ifndef KILN_EMIT_STREAM_H
#define KILN_EMIT_STREAM_H

#include "compile.h"
#include "util/sbuf.h"

/* NET.h: the staging buffer's size and the bytes read per inference. */
void emit_stream_header(const compiled *c, sbuf *o);
/* NET.h, after the model's declaration: the NET_init_stream wrapper. */
void emit_stream_init(const compiled *c, sbuf *o);
/* NET.c: static const uint8_t NET_hot[] (the constants --internal-budget
 * keeps inline); nothing without hot constants. */
void emit_hot_array(const compiled *c, sbuf *o);
/* NET.c: NET_invoke_stream, every call preceded by its staged read. */
void emit_stream_invoke(const compiled *c, sbuf *o);
/* NET.c: the descriptor fields of stream mode (.invoke, .invoke_stream, .stage_*). */
void emit_stream_desc(const compiled *c, sbuf *o);
/* A hot constant's expression, "(const int8_t *)(NET_hot + 32)"; false when t is not hot. */
bool emit_hot_expr(const compiled *c, int t, sbuf *o);

#endif
