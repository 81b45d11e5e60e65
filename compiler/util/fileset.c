/*
 * fileset.c - several output files replaced as one generation (the steps
 * and the guarantee are in fileset.h).
 *
 * Relies on rename() replacing a file atomically within one directory, and
 * on write_file_temp() (fileio.c) for the temporaries, which stay registered
 * with tmpfiles.c (removed if a signal ends kiln) until renamed or removed
 * here.  Never writes through a directory, never leaves a temporary behind
 * on a failure it sees.
 */
#define _POSIX_C_SOURCE 200809L
#include "util/fileset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fileio.h"
#include "util/sbuf.h"
#include "util/tmpfiles.h"

static bool not_a_directory(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' is a directory, where kiln writes a file; move it away", path);
        return false;
    }
    return true;
}

static void remove_all(char **tmp, int n)
{
    for (int i = 0; i < n; i++)
        if (tmp[i]) {
            remove(tmp[i]);
            tmpfiles_forget(tmp[i]);
        }
}

/* Step 4: renames; on failure removes every target and what is left. */
static bool rename_all(const fileset_file *files, char **tmp, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        if (rename(tmp[i], files[i].path) == 0) {
            tmpfiles_forget(tmp[i]);    /* renamed: no longer a temporary to remove on a signal */
            free(tmp[i]);
            tmp[i] = NULL;
            continue;
        }
        snprintf(err, errlen,
                 "cannot rename '%s' to '%s': %s; removed all the outputs rather than leave files of two "
                 "models side by side",
                 tmp[i], files[i].path, strerror(errno));
        remove_all(tmp, n);
        for (int k = 0; k < n; k++)
            remove(files[k].path);
        return false;
    }
    return true;
}

bool fileset_commit(const fileset_file *files, int n, const char *const *stale, int n_stale, char *err,
                    size_t errlen)
{
    for (int i = 0; i < n; i++)
        if (!not_a_directory(files[i].path, err, errlen))
            return false;
    for (int i = 0; i < n_stale; i++)
        if (!not_a_directory(stale[i], err, errlen))
            return false;
    char **tmp = xcalloc((size_t)n + 1, sizeof *tmp);
    bool ok = true;
    for (int i = 0; i < n && ok; i++)
        ok = (tmp[i] = write_file_temp(files[i].path, files[i].data, files[i].len, err, errlen)) != NULL;
    for (int i = 0; i < n_stale && ok; i++)
        if (remove(stale[i]) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove '%s' (left from another weights mode): %s", stale[i],
                     strerror(errno));
            ok = false;
        }
    if (ok)
        ok = rename_all(files, tmp, n, err, errlen);
    else
        remove_all(tmp, n);
    for (int i = 0; i < n; i++)
        free(tmp[i]);
    free(tmp);
    return ok;
}
