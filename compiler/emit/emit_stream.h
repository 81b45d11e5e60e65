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
/* NET.c: NET_invoke_stream, printed by emit_c.c's loop over the calls with
 * these around it: the function's head (staging buffer, inputs, outputs in
 * the arena), the staged read before call i (if it has one), and the tail
 * (outputs copied to the caller's buffers, KILN_OK). */
void emit_stream_prologue(const compiled *c, sbuf *o);
void emit_stream_stage(const compiled *c, int i, sbuf *o);
void emit_stream_epilogue(const compiled *c, sbuf *o);
/* A staged constant's expression in call `call`: "(const int8_t *)(st + (NET_W_CONV0 - 2432u))". */
void emit_stream_expr(const compiled *c, int call, int t, const char *weight_name, sbuf *o);
/* NET.c: tiled call i (its stage has n_tiles): per tile of output channels
 * one staged read, the kernel on a copy of its params with that many
 * channels, its output written in place (one row) or through tile_out into
 * the strided output.  args: the call's arguments as emit_c.c prints them
 * (params first); param: the params struct's name. */
void emit_stream_tiles(const compiled *c, int i, const char *param, const sbuf *args, int na, sbuf *o);
/* NET.c: the descriptor fields of stream mode (.invoke, .invoke_stream, .stage_*). */
void emit_stream_desc(const compiled *c, sbuf *o);
/* A hot constant's expression, "(const int8_t *)(NET_hot + 32)"; false when t is not hot. */
bool emit_hot_expr(const compiled *c, int t, sbuf *o);

#endif
