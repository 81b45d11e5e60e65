/*
 * fileio.h - whole-file reads and all-or-nothing writes for the host tool.
 *
 * write_file_atomic() writes to a temporary beside the target, syncs it and
 * renames it into place, so a crash, a signal or a full disk never leaves a
 * half-written output that looks valid, and success means the bytes are on
 * disk.  When the target is a symbolic link, the file it points to is
 * replaced (the temporary goes next to that file) and the link is kept.  The
 * temporary is removed on a fatal signal (tmpfiles.h).
 */
#ifndef KILN_FILEIO_H
#define KILN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens a file for reading only if it is a regular file, checked with fstat
 * on the opened descriptor (no window between check and use); a FIFO or a
 * device is never waited on (O_NONBLOCK).  extra_flags go to open() (e.g.
 * O_NOFOLLOW); *size (may be NULL) is the file's size.  Returns the
 * descriptor, or -1 with err naming the file and what it is instead. */
int open_regular(const char *path, int extra_flags, uint64_t *size, char *err, size_t errlen);
/* Reads a whole regular file (open_regular); *data is heap memory,
 * NUL-terminated past len. */
bool read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);
/* The absolute path of the file an open descriptor refers to, as the kernel
 * sees it now (/proc/self/fd), in a fresh heap string; NULL where /proc is
 * not mounted.  Checking a path after opening it, not before, leaves no
 * window for a directory component to be swapped for a link. */
char *fd_path(int fd);
/* True when path is dir itself or lies under it; both absolute and free of
 * "." / ".." / links (realpath or fd_path output). */
bool path_within(const char *path, const char *dir);
bool write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Writes data, synced to disk, to a new file "PATH.tmp.PID" beside path and
 * returns that name (heap); NULL with a message on failure, leaving nothing
 * behind.  For outputs renamed into place together (util/fileset.h).  The
 * temporary stays registered for removal on a fatal signal (tmpfiles.h)
 * until the caller calls tmpfiles_forget() on it, after renaming or
 * removing it. */
char *write_file_temp(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* mkdir -p: creates every missing component; refuses an empty path and a
 * path that exists as something other than a directory. */
bool make_dirs(const char *path, char *err, size_t errlen);
/* "dir/name" in a fresh heap string. */
char *path_join(const char *dir, const char *name);
/* Extension after the last '.', "" if none; points into path. */
const char *path_ext(const char *path);
/* File name without directory and extension, in a fresh heap string. */
char *path_stem(const char *path);
/* The directory part ("." when there is none), in a fresh heap string. */
char *path_dir(const char *path);

#endif
