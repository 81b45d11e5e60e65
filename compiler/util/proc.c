/*
 * proc.c - fork/exec with output capture and a timeout (SIGKILL on expiry).
 */
#define _POSIX_C_SOURCE 200809L
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

bool proc_run(char *const argv[], const char *log_path, int timeout_s, proc_result *r, char *err,
              size_t errlen)
{
    memset(r, 0, sizeof *r);
    int fd = -1;
    if (log_path) {
        fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open '%s': %s", log_path, strerror(errno));
            return false;
        }
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (pid == 0) {
#ifdef __linux__
        /* Ends with the tool (a signal that ends kiln ends the compiler too);
         * SIGTERM lets the compiler driver remove its own temporaries. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
#else
        (void)parent;
#endif
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (fd >= 0)
        close(fd);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            snprintf(err, errlen, "waiting for '%s': %s", argv[0], strerror(errno));
            return false;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (timeout_s > 0 && now.tv_sec - t0.tv_sec >= timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            r->timed_out = true;
            return true;
        }
        struct timespec d = {0, 2 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    if (WIFSIGNALED(status)) {
        r->signaled = true;
        r->signal = WTERMSIG(status);
    } else
        r->exit_code = WEXITSTATUS(status);
    return true;
}
