/*
 * args.h - strict parsing of command-line numbers: the whole string must be
 * a number in range, or the command says which argument is wrong.
 */
#ifndef KILN_ARGS_H
#define KILN_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* Decimal or 0x-hex, no sign, no trailing junk, optional K/M/G (binary) suffix. */
bool parse_u64(const char *s, uint64_t *out);
bool parse_double(const char *s, double *out);

/* For "--flag VALUE" loops: returns argv[++*i] or NULL (after printing
 * "kiln CMD: FLAG needs a value") when missing. */
const char *arg_value(int argc, char **argv, int *i, const char *cmd);

#endif
