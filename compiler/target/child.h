/*
 * child.h - a child process the host talks to through its stdin and stdout
 * (QEMU with its serial port on stdio), with deadlines on every wait.
 *
 * Writes never block the caller while the child is blocked writing: every
 * wait polls both directions and hands what the child sent to a sink.  The
 * child dies with us (PR_SET_PDEATHSIG on Linux) and child_stop() kills and
 * reaps it, so no emulator outlives the command that started it.
 */
#ifndef KILN_CHILD_H
#define KILN_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct child {
    pid_t pid;
    int in_fd;          /* our end of its stdin; -1 once closed */
    int out_fd;         /* our end of its stdout; -1 after EOF */
    bool reaped;
    int status;         /* waitpid() status, once reaped */
} child;

typedef enum child_io {
    CHILD_OK = 0,
    CHILD_EOF,          /* its stdout closed (it exited, or closed it) */
    CHILD_TIMEOUT,      /* the deadline passed */
    CHILD_FAIL          /* a system call failed (err says which) */
} child_io;

typedef void (*child_sink)(void *ctx, const void *data, size_t n);

/* Monotonic clock in seconds, for deadlines. */
double child_now(void);

/* Starts argv[0] (searched in PATH) with stdin/stdout on pipes and stderr
 * appended to err_log. */
bool child_start(child *c, char *const argv[], const char *err_log, char *err, size_t errlen);
/* Writes all n bytes; what the child sends meanwhile goes to sink. */
child_io child_write(child *c, const void *data, size_t n, double deadline, child_sink sink, void *ctx,
                     char *err, size_t errlen);
/* Waits until the child sends at least one byte (to sink), EOF, or deadline.
 * CHILD_EOF comes only after every byte the child wrote went to sink. */
child_io child_read(child *c, double deadline, child_sink sink, void *ctx, char *err, size_t errlen);
/* Waits for the child to exit; false if it is still running at the deadline. */
bool child_wait(child *c, double deadline);
/* Kills it if still running, reaps it and closes the pipes; idempotent. */
void child_stop(child *c);
/* After a reap: "exit status N" or "killed by signal N". */
void child_describe_exit(const child *c, char *buf, size_t len);

#endif
