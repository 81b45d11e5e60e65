/*
 * term.h - what `kiln` prints on stdout and stderr cannot drive the terminal.
 *
 * Names, paths and strings from a model file reach messages and reports;
 * printed raw, a name holding ESC sequences, a carriage return or bidi
 * overrides could rewrite what the user sees ("result: PASS").  Instead of
 * escaping at every printf (hundreds of them, and the next one forgotten),
 * main() puts a filter under stdout and stderr: control bytes, C1 controls
 * and bidi/direction marks come out as \uXXXX (the same text is a valid
 * JSON escape, so `--json -` stays valid), invalid UTF-8 as U+FFFD; valid
 * UTF-8 and \n, \t pass unchanged.  Kiln's own progress lines, the only
 * output that must drive the terminal, go around the filter.
 *
 * Host-side only; glibc's fopencookie.
 */
#ifndef KILN_TERM_H
#define KILN_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sbuf.h"

/* The escaper's state between calls: an incomplete UTF-8 sequence. */
typedef struct term_esc {
    unsigned char pend[4];
    int n_pend, need;
} term_esc;

/* Appends the safe form of in[0..n) to out; a sequence cut at the end waits
 * in e for the next call.  term_esc_end flushes what waits (as U+FFFD). */
void term_escape(term_esc *e, const char *in, size_t n, sbuf *out);
void term_esc_end(term_esc *e, sbuf *out);

/* s for one line of a message or a JSON string: valid UTF-8, no control
 * character (\n, \r, \t and the filter's set written as escapes, so a name
 * cannot start a line of its own), the first TERM_NAME_CUT bytes and a
 * marker with the length when longer; in b, which the caller frees. */
#define TERM_NAME_CUT 200
const char *term_name(sbuf *b, const char *s);

/* Puts the filter under stdout and stderr (false, and nothing changed, when
 * it cannot). */
bool term_install(void);

/* Kiln's own progress line (carriage returns, erase-line), written to fd 2
 * after what stderr holds; its text must be Kiln's, never a model's. */
void term_progress(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
