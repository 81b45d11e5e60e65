/*
 * proc.h - running a child program (the host compiler, a validation harness)
 * with its output captured and a time limit.
 */
#ifndef KILN_PROC_H
#define KILN_PROC_H

#include <stdbool.h>
#include <stddef.h>

typedef struct proc_result {
    int exit_code;      /* valid when !signaled && !timed_out */
    bool signaled;      /* killed by a signal (crash) */
    int signal;
    bool timed_out;
} proc_result;

/* Runs argv[0] (searched in PATH) with stdout and stderr appended to
 * `log_path` (or inherited when NULL).  Returns false only if it could not
 * be started. */
bool proc_run(char *const argv[], const char *log_path, int timeout_s, proc_result *r, char *err,
              size_t errlen);

#endif
