/*
 * c_text.h - outside text (names and paths from the model file or the
 * command line) made harmless in generated C.
 *
 * Generated C holds such text in exactly two forms, both built here:
 *   - comment text, through c_comment() (which runs c_text(), the one
 *     sanitiser): printable ASCII only; never "*" "/" or "/" "*" side by
 *     side, never "??" (trigraphs), never a backslash (line splicing) or a
 *     line break; every other byte becomes %XX; long text is cut with a
 *     marker.  Nothing a model says can end the comment or splice a line.
 *   - string literals, through c_string(): every byte escaped so the
 *     literal's value is the exact bytes, trigraphs broken with \?, long
 *     literals split over lines and cut at C_STRING_MAX bytes (C99 only
 *     guarantees 4095).
 * Identifiers never come from outside text directly: see c_identifier() and
 * c_name_check() in compile.c.
 */
#ifndef KILN_C_TEXT_H
#define KILN_C_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sbuf.h"

#define C_TEXT_CUT 200      /* bytes of one name or path a comment keeps */
#define C_COMMENT_MAX 1024  /* bytes of one comment's text */
#define C_STRING_MAX 4000   /* bytes of one string literal's value */

/* Appends the first `max` bytes of s as comment-safe text (see above), then,
 * if s was longer, a marker with its full length. */
void c_text(sbuf *b, const char *s, size_t max);

/* b emptied and refilled with c_text(s, max); returns b's text ("" when s is
 * empty).  For a name shown in a report or a message; terminal output that
 * may keep UTF-8 uses term_name() (util/term.h) instead. */
const char *c_text_str(sbuf *b, const char *s, size_t max);

/* Appends "/" "* TEXT *" "/" where TEXT is the formatted text through c_text();
 * no line break.  Pass outside strings through c_cut() so one long name
 * does not push the rest of the comment out. */
void c_comment(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* s itself, or (when longer than C_TEXT_CUT) its first C_TEXT_CUT bytes and
 * a marker with the full length, in buf.  Only shortens: c_comment() still
 * sanitises the result. */
typedef struct c_cut_buf {
    char s[C_TEXT_CUT + 48];
} c_cut_buf;
const char *c_cut(c_cut_buf *buf, const char *s);

/* Appends s as a C string literal whose value is s's bytes (the first
 * C_STRING_MAX, with a comment saying so after the literal when s is
 * longer).  Returns false when s was cut. */
bool c_string(sbuf *b, const char *s);

/* Whether s (code Kiln composed itself: a kernel name, a parameter
 * initializer) holds nothing outside text could have brought in: no comment
 * delimiter, quote, backslash, "??" or byte outside printable ASCII.  The
 * emitter asserts it, so a lowering that ever put a name into code fails
 * loudly instead of emitting it. */
bool c_code_is_plain(const char *s);

#endif
