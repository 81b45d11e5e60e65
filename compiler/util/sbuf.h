/*
 * sbuf.h - a growable string, for generated code, reports and messages.
 *
 * Host-side only.  Allocation failure aborts (the host tool has no useful
 * way to continue without memory); nothing here is ever linked into firmware.
 */
#ifndef KILN_SBUF_H
#define KILN_SBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sbuf {
    char *s;        /* always NUL-terminated once anything was added */
    size_t len, cap;
} sbuf;

void sb_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sb_vprintf(sbuf *b, const char *fmt, va_list ap);
void sb_put(sbuf *b, const void *data, size_t n);
void sb_free(sbuf *b);
/* Returns the string and leaves b empty; the caller frees it. */
char *sb_take(sbuf *b);
/* Like sb_printf into a fresh heap string. */
char *xasprintf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
