/*
 * term.c - the stdout/stderr filter of term.h.
 *
 * Relies on glibc's fopencookie (the streams the rest of the tool writes to
 * stay plain FILE *s) and write(2) on the original descriptors, so the order
 * of bytes on fd 1 and 2 is the order of the calls.  Never drops a byte:
 * what cannot be shown is replaced by a visible escape.
 */
#define _GNU_SOURCE
#include "util/term.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put_u(sbuf *out, unsigned cp)
{
    sb_printf(out, "\\u%04x", cp);
}

static void put_invalid(sbuf *out)
{
    sb_put(out, "\xef\xbf\xbd", 3);
}

/* Code points that change how the terminal shows text: C1 controls and the
 * bidirectional embeddings, overrides, isolates and marks. */
static bool is_format_control(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The allowed range of the second byte after lead byte b (RFC 3629 table),
 * and how many continuation bytes b needs (0: not a lead byte). */
static int lead_info(unsigned char b, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80, *hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf)
        return 1;
    if (b >= 0xe0 && b <= 0xef) {
        if (b == 0xe0)
            *lo = 0xa0;
        if (b == 0xed)
            *hi = 0x9f;
        return 2;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        if (b == 0xf0)
            *lo = 0x90;
        if (b == 0xf4)
            *hi = 0x8f;
        return 3;
    }
    return 0;
}

static void emit_sequence(term_esc *e, sbuf *out)
{
    const unsigned char *p = e->pend;
    unsigned cp = e->n_pend == 2 ? (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f)
                : e->n_pend == 3 ? (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f)
                                 : (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3f) << 12 |
                                       (unsigned)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
    if (is_format_control(cp))
        put_u(out, cp);
    else
        sb_put(out, p, (size_t)e->n_pend);
    e->n_pend = e->need = 0;
}

static void ascii(unsigned char b, sbuf *out)
{
    if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f)
        put_u(out, b);
    else
        sb_put(out, &b, 1);
}

void term_escape(term_esc *e, const char *in, size_t n, sbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char b = (unsigned char)in[i];
        if (e->n_pend) {
            unsigned char lo, hi;
            lead_info(e->pend[0], &lo, &hi);
            if (e->n_pend > 1)
                lo = 0x80, hi = 0xbf;
            if (b >= lo && b <= hi) {
                e->pend[e->n_pend++] = b;
                if (e->n_pend == e->need + 1)
                    emit_sequence(e, out);
                continue;
            }
            put_invalid(out); /* the cut sequence; b starts afresh */
            e->n_pend = e->need = 0;
        }
        unsigned char lo, hi;
        if (b < 0x80) {
            ascii(b, out);
        } else if ((e->need = lead_info(b, &lo, &hi)) != 0) {
            e->pend[0] = b;
            e->n_pend = 1;
        } else {
            put_invalid(out);
        }
    }
}

void term_esc_end(term_esc *e, sbuf *out)
{
    if (e->n_pend)
        put_invalid(out);
    e->n_pend = e->need = 0;
}

const char *term_name(sbuf *b, const char *s)
{
    const size_t n = strlen(s), keep = n > TERM_NAME_CUT ? TERM_NAME_CUT : n;
    term_esc e = {0};
    b->len = 0;
    for (size_t i = 0; i < keep; i++) {
        const char c = s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            term_esc_end(&e, b);
            sb_printf(b, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
        } else {
            term_escape(&e, &c, 1, b);
        }
    }
    term_esc_end(&e, b);
    if (keep < n)
        sb_printf(b, " ...(%zu bytes, cut)", n);
    sb_put(b, "", 1);
    b->len--;
    return b->s;
}

typedef struct {
    int fd;
    term_esc esc;
} filter;

static bool write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w, n -= (size_t)w;
    }
    return true;
}

static ssize_t filter_write(void *cookie, const char *buf, size_t size)
{
    filter *f = cookie;
    sbuf out = {0};
    term_escape(&f->esc, buf, size, &out);
    bool ok = write_all(f->fd, out.s ? out.s : "", out.len);
    sb_free(&out);
    return ok ? (ssize_t)size : -1;
}

static int filter_close(void *cookie)
{
    filter *f = cookie;
    sbuf out = {0};
    term_esc_end(&f->esc, &out);
    bool ok = write_all(f->fd, out.s ? out.s : "", out.len);
    sb_free(&out);
    return ok ? 0 : -1;
}

static FILE *open_filter(filter *f, int fd, int mode)
{
    f->fd = fd;
    FILE *s = fopencookie(f, "w", (cookie_io_functions_t){.write = filter_write, .close = filter_close});
    if (s)
        setvbuf(s, NULL, mode, BUFSIZ);
    return s;
}

bool term_install(void)
{
    static filter out_f, err_f;
    fflush(stdout);
    fflush(stderr);
    FILE *o = open_filter(&out_f, STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF);
    FILE *e = open_filter(&err_f, STDERR_FILENO, _IONBF);
    if (!o || !e) {
        if (o)
            fclose(o);
        if (e)
            fclose(e);
        return false;
    }
    stdout = o;
    stderr = e;
    return true;
}

void term_progress(const char *fmt, ...)
{
    fflush(stdout);
    fflush(stderr);
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        write_all(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
