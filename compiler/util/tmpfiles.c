/*
 * tmpfiles.c - the registry of temporaries in flight and the signal handler
 * that removes them (see tmpfiles.h).
 *
 * A slot is published by copying the path first and setting its flag last,
 * with a signal fence between, so the handler never sees a flag whose path
 * is half-copied; it is withdrawn by clearing the flag first.  Never
 * allocates, never prints in the handler.
 */
#define _POSIX_C_SOURCE 200809L
#include "util/tmpfiles.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char paths[TMPFILES_MAX][TMPFILES_PATH_MAX];
static volatile sig_atomic_t used[TMPFILES_MAX];
static bool installed;

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXFSZ};

enum { SLOT_FILE = 1, SLOT_TREE = 2 };

/* rm -rf path, from the handler: fork, execve and waitpid are
 * async-signal-safe, a directory walk in this process would not be. */
static void remove_tree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *const argv[] = {"rm", "-rf", "--", (char *)path, NULL};
        char *const envp[] = {NULL};
        execve("/bin/rm", argv, envp);
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0)
            ;
}

static void on_signal(int sig)
{
    for (int i = 0; i < TMPFILES_MAX; i++)
        if (used[i] == SLOT_FILE)
            unlink(paths[i]);
        else if (used[i] == SLOT_TREE)
            remove_tree(paths[i]);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* Blocked while this handler runs: delivered, with the default action,
     * as soon as it returns. */
    raise(sig);
}

static void install(void)
{
    installed = true;
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(cleanup_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue;   /* ignored, or someone else's handler: leave it */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask);    /* no other handled signal interrupts the cleanup */
        sigaction(cleanup_signals[i], &sa, NULL);
    }
}

static int add(const char *path, int kind)
{
    size_t n = strlen(path);
    if (n >= TMPFILES_PATH_MAX)
        return -1;
    if (!installed)
        install();
    for (int i = 0; i < TMPFILES_MAX; i++) {
        if (used[i])
            continue;
        memcpy(paths[i], path, n + 1);
        atomic_signal_fence(memory_order_seq_cst);
        used[i] = kind;
        return i;
    }
    return -1;
}

int tmpfiles_add(const char *path)
{
    return add(path, SLOT_FILE);
}

int tmpfiles_add_tree(const char *path)
{
    return add(path, SLOT_TREE);
}

void tmpfiles_remove(int slot)
{
    if (slot < 0 || slot >= TMPFILES_MAX)
        return;
    used[slot] = 0;
    atomic_signal_fence(memory_order_seq_cst);
}

void tmpfiles_forget(const char *path)
{
    for (int i = 0; i < TMPFILES_MAX; i++)
        if (used[i] && !strcmp(paths[i], path))
            tmpfiles_remove(i);
}
