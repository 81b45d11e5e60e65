/*
 * c_text.c - outside text made harmless in generated C: comment text and
 * string literals (see c_text.h for the rules each keeps).
 *
 * Relies on nothing but sbuf.  Never emits outside text any other way; the
 * emitters call these for every name and path they print, so the rules are
 * kept in one place.
 */
#include "emit/c_text.h"

#include <stdio.h>
#include <string.h>

static void put_hex(sbuf *b, unsigned char ch)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
    sb_put(b, e, 3);
}

/* A byte that may stand for itself in a comment: printable ASCII except the
 * backslash (line splicing) and '%' (our escape). */
static bool plain(unsigned char ch)
{
    return ch >= 0x20 && ch <= 0x7e && ch != '\\' && ch != '%';
}

void c_text(sbuf *b, const char *s, size_t max)
{
    size_t n = strlen(s), m = n < max ? n : max;
    char last = ' ';                    /* what we emitted last; ' ' is neutral */
    for (size_t i = 0; i < m; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!plain(ch) || (ch == '?' && last == '?')) {
            put_hex(b, ch);             /* "?%3F": no trigraph can form */
            last = 'F';
            continue;
        }
        /* "* /" and "/ *": neither ends nor opens a comment. */
        if ((ch == '/' && last == '*') || (ch == '*' && last == '/'))
            sb_put(b, " ", 1);
        sb_put(b, &s[i], 1);
        last = (char)ch;
    }
    if (n > m)
        sb_printf(b, " ...(%zu bytes, cut)", n);
}

const char *c_text_str(sbuf *b, const char *s, size_t max)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
    c_text(b, s, max);
    return b->s ? b->s : "";
}

void c_comment(sbuf *b, const char *fmt, ...)
{
    sbuf text = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    sb_put(b, "/* ", 3);
    c_text(b, text.s ? text.s : "", C_COMMENT_MAX);
    sb_put(b, " */", 3);
    sb_free(&text);
}

const char *c_cut(c_cut_buf *buf, const char *s)
{
    size_t n = strlen(s);
    if (n <= C_TEXT_CUT)
        return s;
    snprintf(buf->s, sizeof buf->s, "%.*s ...(%zu bytes, cut)", C_TEXT_CUT, s, n);
    return buf->s;
}

/* Source bytes of one piece of a long literal, so that no line is long (C99
 * guarantees logical lines of 4095 characters; an escaped byte takes 4). */
enum { C_STRING_PIECE = 200 };

bool c_string(sbuf *b, const char *s)
{
    size_t n = strlen(s), m = n < C_STRING_MAX ? n : C_STRING_MAX;
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < m; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i && i % C_STRING_PIECE == 0)
            sb_put(b, "\"\n        \"", 11);
        if (ch == '"' || ch == '\\')
            sb_printf(b, "\\%c", ch);
        else if (ch == '?' && i && s[i - 1] == '?')
            sb_put(b, "\\?", 2);        /* "?\?": no trigraph can form */
        else if (ch < 0x20 || ch > 0x7e)
            sb_printf(b, "\\%03o", ch); /* always 3 digits: a digit after it stays a digit */
        else
            sb_put(b, &s[i], 1);
    }
    sb_put(b, "\"", 1);
    if (n > m)
        sb_printf(b, " /* the first %d of %zu bytes: C99 guarantees string literals of 4095 */",
                  C_STRING_MAX, n);
    return n == m;
}

bool c_code_is_plain(const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\'' || ch == '\\')
            return false;
        if ((ch == '/' && (p[1] == '*' || p[1] == '/')) || (ch == '*' && p[1] == '/') ||
            (ch == '?' && p[1] == '?'))
            return false;
    }
    return true;
}
