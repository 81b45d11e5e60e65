/*
 * fileio.h - whole-file reads and all-or-nothing writes for the host tool.
 *
 * write_file_atomic() writes to a temporary beside the target and renames it
 * into place, so a crash or a full disk never leaves a half-written output
 * that looks valid.
 */
#ifndef KILN_FILEIO_H
#define KILN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads a whole file; *data is heap memory (NUL-terminated past len). */
bool read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);
bool write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Writes data, flushed to disk, to a new file "PATH.tmp.PID" beside path and
 * returns that name (heap); NULL with a message on failure, leaving nothing
 * behind.  For outputs renamed into place together (util/fileset.h). */
char *write_file_temp(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* mkdir -p */
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
