/*
 * suggest.h - "did you mean": the known word closest to a mistyped one.
 *
 * Used for commands, options and board names.  Closeness is the optimal
 * string alignment distance (insertions, deletions, substitutions and
 * swaps of neighbours each cost 1), so `--weigths`, `analyse` and
 * `stm32h745-disco` are one step from `--weights`, `analyze` and
 * `stm32h745i-disco`.  A word only gets a suggestion when it is that close
 * to one (1 step for short words, 2 from 6 characters on): no guessing.
 */
#ifndef KILN_SUGGEST_H
#define KILN_SUGGEST_H

#include <stddef.h>

size_t edit_distance(const char *a, const char *b);

/* The closest of n candidates, or NULL when none is close enough. */
const char *suggest_word(const char *word, const char *const *cands, size_t n);

/* The closest option (a "--name" or "-x" token) that the usage text names,
 * copied into buf; NULL when none is close enough.  `word` may carry
 * "=value", which is ignored. */
const char *suggest_option(const char *word, const char *usage, char *buf, size_t n);

/* Prints "kiln CMD: unknown option 'X'; did you mean 'Y'? (kiln help CMD
 * lists every option)" to stderr, the suggestion only when there is one. */
void report_unknown_option(const char *cmd, const char *opt, const char *usage);

#endif
