/*
 * args.c - strict number parsing and single-valued options for the CLI (see
 * args.h for the accepted forms).
 *
 * Digits are read here, one by one, with an overflow check, rather than with
 * strtoull: its base 0 reads a leading 0 as octal, and it takes signs and
 * leading spaces.
 */
#include "util/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int digit_value(char c, unsigned base)
{
    int v = c >= '0' && c <= '9' ? c - '0' :
            c >= 'a' && c <= 'f' ? c - 'a' + 10 :
            c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    return v < (int)base ? v : -1;
}

/* Reads digits of `base` from *p; false on none or on overflow. */
static bool digits(const char **p, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    int d;
    while ((d = digit_value(**p, base)) >= 0) {
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return false;
        v = v * base + (uint64_t)d;
        (*p)++;
    }
    *out = v;
    return *p != s;
}

static bool has_hex_prefix(const char *s)
{
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

bool parse_hex(const char *s, uint64_t *out)
{
    if (!s || !has_hex_prefix(s))
        return false;
    const char *p = s + 2;
    uint64_t v;
    if (!digits(&p, 16, &v) || *p)
        return false;
    *out = v;
    return true;
}

bool parse_count(const char *s, uint64_t *out)
{
    if (!s || (s[0] == '0' && s[1]))     /* "0" yes; "07", "0x7" no */
        return false;
    const char *p = s;
    uint64_t v;
    if (!digits(&p, 10, &v) || *p)
        return false;
    *out = v;
    return true;
}

static bool size_with(const char *s, bool spaced, uint64_t *out)
{
    if (!s)
        return false;
    const char *p = s;
    uint64_t v;
    if (has_hex_prefix(s)) {
        p += 2;
        if (!digits(&p, 16, &v))
            return false;
    } else {
        if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
            return false;   /* a leading zero: octal to some, decimal to others */
        if (!digits(&p, 10, &v))
            return false;
    }
    while (spaced && *p == ' ')
        p++;
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"", 0}, {"K", 10}, {"k", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20},
                 {"G", 30}, {"GiB", 30}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].suffix))
            continue;
        if (units[i].shift && p == s)
            return false;
        if (v > UINT64_MAX >> units[i].shift)
            return false;
        *out = v << units[i].shift;
        return true;
    }
    return false;
}

bool parse_size(const char *s, uint64_t *out)
{
    return size_with(s, false, out);
}

bool parse_size_spaced(const char *s, uint64_t *out)
{
    return size_with(s, true, out);
}

bool parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

void hex_problem(const char *s, char *buf, size_t n)
{
    uint64_t v;
    const char *p = s;
    if (!has_hex_prefix(s) && digits(&p, 10, &v) && !*p) {
        if (s[0] == '0' && s[1])
            snprintf(buf, n, "'%s' has no 0x prefix (a leading 0 makes it neither octal nor hex "
                     "here)", s);
        else
            snprintf(buf, n, "'%s' has no 0x prefix (as decimal it would be 0x%08llx; did you "
                     "mean 0x%s?)", s, (unsigned long long)v, s);
        return;
    }
    snprintf(buf, n, "'%s' is not a hex number with a 0x prefix", s);
}

const char *arg_value(int argc, char **argv, int *i, const char *cmd)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "kiln %s: %s needs a value\n", cmd, argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

const char *arg_text(int argc, char **argv, int *i, const char *cmd, arg_seen *s, const char *what)
{
    const char *a = argv[*i], *v = arg_value(argc, argv, i, cmd);
    if (!v || !arg_once(s, a, v, cmd))
        return NULL;
    if (!*v) {
        fprintf(stderr, "kiln %s: %s needs a %s, not an empty string\n", cmd, a, what);
        return NULL;
    }
    return v;
}

bool arg_once(arg_seen *s, const char *opt, const char *value, const char *cmd)
{
    for (int k = 0; k < s->n; k++) {
        if (strcmp(s->opt[k], opt))
            continue;
        fprintf(stderr, "kiln %s: %s given twice ('%s' and '%s'); give it once\n", cmd, opt,
                s->value[k], value);
        return false;
    }
    if (s->n < ARG_SEEN_MAX) {
        s->opt[s->n] = opt;
        s->value[s->n++] = value;
    }
    return true;
}
