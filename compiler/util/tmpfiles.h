/*
 * tmpfiles.h - temporary files the host tool is writing, removed when a
 * signal ends the process before they are renamed into place.
 *
 * An atomic writer registers its temporary before creating it and
 * unregisters it after the rename (or after removing it on an error).  The
 * first registration installs a handler for SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT and SIGXFSZ (a file-size limit hit mid-write) where the signal's
 * disposition is still the default; the handler unlinks every registered
 * path, restores the default action and re-raises the signal, so the
 * process still ends the way the signal says (exit status 128 + N in a
 * shell).  A signal the caller ignores stays ignored.
 *
 * Relies on the host tool being single-threaded.  The handler calls only
 * async-signal-safe functions (unlink, sigaction, raise) and reads only
 * fixed buffers, never the heap.
 */
#ifndef KILN_TMPFILES_H
#define KILN_TMPFILES_H

#define TMPFILES_MAX 16         /* temporaries alive at once */
#define TMPFILES_PATH_MAX 4096  /* bytes of a registered path, NUL included */

/* Registers `path`; returns its slot, or -1 when the path is too long or
 * every slot is taken (the write goes on; only the cleanup on a signal is
 * lost). */
int tmpfiles_add(const char *path);
/* Registers a temporary directory: the handler removes it with everything
 * in it (rm -rf, run by fork and execve).  Same returns as tmpfiles_add. */
int tmpfiles_add_tree(const char *path);
/* Forgets the slot (a no-op for -1). */
void tmpfiles_remove(int slot);
/* Forgets the registered path equal to `path` (a no-op when none is). */
void tmpfiles_forget(const char *path);

#endif
