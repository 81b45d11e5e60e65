/*
 * fileset.h - several output files replaced as one generation.
 *
 * `kiln generate` writes NET.h, NET.c, the weights (NET_data.c or
 * NET_data.bin) and the reports; a build that mixes files of two models (new
 * code beside an old blob) must never be left behind.  fileset_commit():
 *   1. refuses before writing anything when a target is a directory;
 *   2. writes every file to a temporary beside it (flushed to disk); on any
 *      failure (full disk, ...) removes the temporaries: the previous
 *      generation stays exactly as it was;
 *   3. removes the stale files (the other weights mode's data file), so they
 *      cannot be taken for part of the new generation;
 *   4. renames the temporaries into place, in the order given.  Should a
 *      rename fail here (after every write succeeded), it removes all the
 *      targets, so the directory holds no generation rather than a mixed one.
 * Only a crash between two renames (microseconds) can mix generations; the
 * runtime's signature check still refuses such a blob at init.
 */
#ifndef KILN_FILESET_H
#define KILN_FILESET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct fileset_file {
    const char *path;
    const void *data;
    size_t len;
} fileset_file;

bool fileset_commit(const fileset_file *files, int n, const char *const *stale, int n_stale, char *err,
                    size_t errlen);

#endif
