/*
 * target_util.h - small helpers every target uses: echoing a command in
 * verbose mode, quoting the head of a log file into an error message, and
 * the size of a sample.
 */
#ifndef KILN_TARGET_UTIL_H
#define KILN_TARGET_UTIL_H

#include <stddef.h>

#include "target/target.h"

/* Prints "+ argv..." on stderr when o->verbose. */
void target_echo(const target_opts *o, char *const *argv);
/* Appends the first max_lines lines of the file at path to msg (bounded by msglen). */
void target_append_file(char *msg, size_t msglen, const char *path, int max_lines);
/* Bytes of one sample of all the graph's inputs, and of all its outputs. */
void target_io_bytes(const ir_graph *g, size_t *in_bytes, size_t *out_bytes);

#endif
