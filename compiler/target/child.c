/*
 * child.c - fork/exec with the child's stdin and stdout on non-blocking
 * pipes, poll() with deadlines, and kill-and-reap on stop.  See child.h.
 *
 * SIGPIPE is ignored only for the duration of a write, so a child that died
 * turns into CHILD_EOF here instead of killing the whole tool, and the
 * tool's own handling of SIGPIPE is left as it was.
 */
#define _GNU_SOURCE
#include "target/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

double child_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int ms_until(double deadline)
{
    double left = deadline - child_now();
    if (left <= 0)
        return 0;
    return left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
}

bool child_start(child *c, char *const argv[], const char *err_log, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->in_fd = c->out_fd = -1;
    int in[2], out[2];
    if (pipe(in) != 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        return false;
    }
    if (pipe(out) != 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return false;
    }
    int log = open(err_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", err_log, strerror(errno));
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        return false;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(log);
        return false;
    }
    if (pid == 0) {
#ifdef __linux__
        /* Die with the tool: an orphaned emulator would spin forever. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
#else
        (void)parent;
#endif
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(log, 2);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(log);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(log);
    c->pid = pid;
    c->in_fd = in[1];
    c->out_fd = out[0];
    fcntl(c->in_fd, F_SETFD, FD_CLOEXEC);
    fcntl(c->out_fd, F_SETFD, FD_CLOEXEC);
    fcntl(c->in_fd, F_SETFL, fcntl(c->in_fd, F_GETFL) | O_NONBLOCK);
    fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) | O_NONBLOCK);
    return true;
}

/* Reads what is there; CHILD_OK with nothing read is possible (EAGAIN).
 * EOF right after data is reported on the next call: the caller must see
 * the child's last words (a HELLO saying why it refused its weights, sent
 * just before it exited) before it hears that the child is gone. */
static child_io drain(child *c, child_sink sink, void *ctx, size_t *got, char *err, size_t errlen)
{
    uint8_t buf[65536];
    *got = 0;
    for (;;) {
        ssize_t r = read(c->out_fd, buf, sizeof buf);
        if (r > 0) {
            sink(ctx, buf, (size_t)r);
            *got += (size_t)r;
            continue;
        }
        if (r == 0) {
            close(c->out_fd);
            c->out_fd = -1;
            return *got ? CHILD_OK : CHILD_EOF;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return CHILD_OK;
        snprintf(err, errlen, "reading from the child: %s", strerror(errno));
        return CHILD_FAIL;
    }
}

child_io child_write(child *c, const void *data, size_t n, double deadline, child_sink sink, void *ctx,
                     char *err, size_t errlen)
{
    const uint8_t *p = (const uint8_t *)data;
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    child_io res = CHILD_OK;
    while (n > 0) {
        if (c->in_fd < 0 || c->out_fd < 0) {
            res = CHILD_EOF;
            break;
        }
        struct pollfd pf[2] = {{c->in_fd, POLLOUT, 0}, {c->out_fd, POLLIN, 0}};
        int k = poll(pf, 2, ms_until(deadline));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            res = CHILD_FAIL;
            break;
        }
        if (k == 0) {
            res = CHILD_TIMEOUT;
            break;
        }
        if (pf[1].revents) {
            size_t got;
            res = drain(c, sink, ctx, &got, err, errlen);
            if (res != CHILD_OK)
                break;
        }
        if (pf[0].revents & (POLLERR | POLLHUP)) {
            res = CHILD_EOF;
            break;
        }
        if (pf[0].revents & POLLOUT) {
            ssize_t w = write(c->in_fd, p, n);
            if (w > 0) {
                p += w;
                n -= (size_t)w;
            } else if (w < 0 && errno == EPIPE) {
                res = CHILD_EOF;
                break;
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                snprintf(err, errlen, "writing to the child: %s", strerror(errno));
                res = CHILD_FAIL;
                break;
            }
        }
    }
    sigaction(SIGPIPE, &old, NULL);
    return res;
}

child_io child_read(child *c, double deadline, child_sink sink, void *ctx, char *err, size_t errlen)
{
    for (;;) {
        if (c->out_fd < 0)
            return CHILD_EOF;
        struct pollfd pf = {c->out_fd, POLLIN, 0};
        int k = poll(&pf, 1, ms_until(deadline));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return CHILD_FAIL;
        }
        if (k == 0)
            return CHILD_TIMEOUT;
        size_t got;
        child_io r = drain(c, sink, ctx, &got, err, errlen);
        if (r != CHILD_OK || got > 0)
            return r;
    }
}

bool child_wait(child *c, double deadline)
{
    if (c->reaped || c->pid <= 0)
        return true;
    for (;;) {
        int st;
        pid_t w = waitpid(c->pid, &st, WNOHANG);
        if (w == c->pid) {
            c->reaped = true;
            c->status = st;
            return true;
        }
        if (w < 0 && errno != EINTR) {
            c->reaped = true;    /* not our child any more: nothing to wait for */
            c->status = 0;
            return true;
        }
        if (child_now() >= deadline)
            return false;
        struct timespec d = {0, 2 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
}

void child_stop(child *c)
{
    if (c->in_fd >= 0)
        close(c->in_fd);
    if (c->out_fd >= 0)
        close(c->out_fd);
    c->in_fd = c->out_fd = -1;
    if (c->pid > 0 && !c->reaped) {
        kill(c->pid, SIGKILL);
        int st = 0;
        while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
            ;
        c->reaped = true;
        c->status = st;
    }
}

void child_describe_exit(const child *c, char *buf, size_t len)
{
    if (!c->reaped)
        snprintf(buf, len, "still running");
    else if (WIFSIGNALED(c->status))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(c->status));
    else
        snprintf(buf, len, "exit status %d", WEXITSTATUS(c->status));
}
