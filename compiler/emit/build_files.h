/*
 * build_files.h - NET.mk and NET.cmake: what an application's build needs to
 * compile a generated network, NET_SRCS (the generated sources plus exactly
 * the runtime sources this network needs) and NET_INCS (include
 * directories), with absolute paths so that either file can be included from
 * any directory.
 *
 * "Exactly the runtime sources": the runtime's .c files that define a kiln_
 * function the generated code calls, and those that define what they call,
 * transitively (the runtime's own sources are scanned, so a kernel moved to
 * another file is found where it is).  The diagnostic functions an
 * application calls on a refusal (kiln_status_str, kiln_blob_report_str)
 * count as called.
 */
#ifndef KILN_BUILD_FILES_H
#define KILN_BUILD_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "compile.h"
#include "util/sbuf.h"

typedef struct runtime_srcs {
    char **path;        /* relative to the kiln root: "runtime/net.c", ... sorted */
    int n;
} runtime_srcs;

/* The runtime sources under `root` (the kiln checkout) that `code`, the
 * generated NET.h and NET.c, needs. */
bool runtime_sources(const char *root, const char *code, runtime_srcs *out, char *err, size_t errlen);
void runtime_srcs_free(runtime_srcs *s);

void emit_build_mk(const compiled *c, const char *root, const runtime_srcs *s, sbuf *out);
void emit_build_cmake(const compiled *c, const char *root, const runtime_srcs *s, sbuf *out);

#endif
