/*
 * args.h - strict parsing of command-line values: the whole string must be a
 * number in one of the forms docs/cli.md ("Numbers") names, or the command
 * says which option and value are wrong; and single-valued options given
 * twice are refused instead of the last one silently winning.
 *
 * The forms, the same in every command (generate, validate, analyze, blob,
 * flash) and in board descriptors:
 *   hex    addresses and signatures: "0x" then hex digits (0x90000000).  A
 *          plain number is refused: "90000000" is not the address 0x90000000,
 *          and "022000000000" is neither octal nor decimal here.
 *   size   byte counts: decimal without leading zeros, or 0x-hex; an optional
 *          binary suffix K, KiB, M, MiB, G, GiB (4096, 0x1000, 64K, 16MiB).
 *   count  plain decimal without leading zeros (seeds, samples, seconds).
 * Never octal, never a sign, never trailing junk.
 */
#ifndef KILN_ARGS_H
#define KILN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool parse_hex(const char *s, uint64_t *out);
bool parse_size(const char *s, uint64_t *out);
/* parse_size with optional spaces before the suffix ("64 KiB"), as board
 * descriptors write sizes. */
bool parse_size_spaced(const char *s, uint64_t *out);
bool parse_count(const char *s, uint64_t *out);
bool parse_double(const char *s, double *out);

/* What is wrong with `s` as a hex value, for messages: e.g. "'90000000' has
 * no 0x prefix (it would be decimal 90000000 = 0x055d4a80)". */
void hex_problem(const char *s, char *buf, size_t n);

/* For "--flag VALUE" loops: returns argv[++*i] or NULL (after printing
 * "kiln CMD: FLAG needs a value") when missing. */
const char *arg_value(int argc, char **argv, int *i, const char *cmd);

/* The single-valued options one command line has given so far. */
#define ARG_SEEN_MAX 32
typedef struct arg_seen {
    const char *opt[ARG_SEEN_MAX];
    const char *value[ARG_SEEN_MAX];
    int n;
} arg_seen;

/* Records option `opt` (its canonical spelling: "-o" for -o and --output)
 * with `value`; false after printing "kiln CMD: OPT given twice ('A' and
 * 'B'); give it once" when it was already given. */
bool arg_once(arg_seen *s, const char *opt, const char *value, const char *cmd);

/* arg_value() then arg_once(), and refuses an empty value: "kiln CMD: OPT
 * needs a WHAT, not an empty string".  NULL (after printing why) on error. */
const char *arg_text(int argc, char **argv, int *i, const char *cmd, arg_seen *s, const char *what);

#endif
