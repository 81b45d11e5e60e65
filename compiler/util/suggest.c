/*
 * suggest.c - "did you mean" (suggest.h).  Words are short (commands,
 * options, board names), so the distance is the plain O(len^2) table.
 */
#include "util/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define WORD_MAX 64

size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= WORD_MAX || lb >= WORD_MAX)
        return la > lb ? la : lb;
    size_t d[WORD_MAX + 1][WORD_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            size_t best = sub < del ? sub : del;
            best = ins < best ? ins : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;     /* neighbours swapped */
            d[i][j] = best;
        }
    return d[la][lb];
}

/* How many steps still count as a typo of a word of this length. */
static size_t allowed(const char *word)
{
    return strlen(word) >= 6 ? 2 : 1;
}

const char *suggest_word(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = allowed(word) + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d > 0 && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

const char *suggest_option(const char *word, const char *usage, char *buf, size_t n)
{
    char w[WORD_MAX];
    snprintf(w, sizeof w, "%s", word);
    char *eq = strchr(w, '=');
    if (eq)
        *eq = '\0';
    size_t best_d = allowed(w) + 1;
    const char *found = NULL;
    for (const char *p = usage; *p; p++) {
        /* An option starts a word: "-x" or "--name". */
        if (*p != '-' || (p > usage && !isspace((unsigned char)p[-1]) && p[-1] != '[' && p[-1] != '(' &&
                          p[-1] != '|' && p[-1] != ','))
            continue;
        size_t len = 0;
        while (p[len] && (isalnum((unsigned char)p[len]) || p[len] == '-'))
            len++;
        if (len < 2 || len >= WORD_MAX || (p[1] != '-' && len != 2)) {
            p += len ? len - 1 : 0;
            continue;
        }
        char opt[WORD_MAX];
        memcpy(opt, p, len);
        opt[len] = '\0';
        size_t d = edit_distance(w, opt);
        if (d > 0 && d < best_d) {
            best_d = d;
            snprintf(buf, n, "%s", opt);
            found = buf;
        }
        p += len - 1;
    }
    return found;
}

void report_unknown_option(const char *cmd, const char *opt, const char *usage)
{
    char buf[WORD_MAX];
    const char *s = suggest_option(opt, usage, buf, sizeof buf);
    if (s)
        fprintf(stderr, "kiln %s: unknown option '%s'; did you mean '%s'? (kiln help %s lists every option)\n",
                cmd, opt, s, cmd);
    else
        fprintf(stderr, "kiln %s: unknown option '%s' (kiln help %s lists every option)\n", cmd, opt, cmd);
}
