/*
 * qemu_build.c - builds the validation firmware for the QEMU target: the
 * generated network (NET.c, and NET_data.c for inline weights), every runtime
 * source and firmware/qemu-mps2-an500, compiled with arm-none-eabi-gcc for
 * the --cpu the code was generated for (cortex-m7 by default; M0+/M3/M4 code
 * runs on the emulated M7 too) at -Os, the flags `make arm` ships the runtime
 * with (docs/kernels-int8.md, "Build flags"), warnings as errors, then linked with
 * mps2-an500.ld, newlib's libm and no heap.
 *
 * The runtime is compiled from source in the work directory every time (one
 * compiler process per file, as many at once as there are CPUs), so the
 * firmware always matches the sources and needs nothing built beforehand.
 * Compiler output goes to logs in the work directory; a failure reports the
 * first failing file's log.  Never runs the firmware.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target/child.h"
#include "target/fw_port.h"
#include "target/qemu.h"
#include "target/target_util.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "util/sbuf.h"

#ifndef KILN_ROOT
#define KILN_ROOT "."
#endif

#define ARM_CFLAGS "-Os -g -std=c99 -Wall -Wextra -Werror -pedantic -ffunction-sections -fdata-sections"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* ---- a growable argv ------------------------------------------------------ */

typedef struct argvec {
    char **v;
    int n, cap;
} argvec;

static void av_add(argvec *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, sizeof(char *) * (size_t)a->cap);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

static void av_addf(argvec *a, const char *fmt, const char *arg)
{
    char *s = xasprintf(fmt, arg);
    av_add(a, s);
    free(s);
}

static void av_add_words(argvec *a, const char *words)
{
    char *w = xstrdup(words);
    for (char *t = strtok(w, " \t"); t; t = strtok(NULL, " \t"))
        av_add(a, t);
    free(w);
}

static void av_add_all(argvec *a, const argvec *b)
{
    for (int i = 0; i < b->n; i++)
        av_add(a, b->v[i]);
}

static void av_free(argvec *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* Sorted, so the firmware is built the same way every time. */
static void av_add_glob(argvec *a, const char *pattern)
{
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            av_add(a, g.gl_pathv[i]);
    globfree(&g);
}

/* ---- compiling in parallel --------------------------------------------------- */

static pid_t spawn(char **argv, const char *log)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    return pid;
}

/* Runs every command, at most `jobs` at a time.  Returns the index of the
 * first command that failed (or could not start), -1 when all succeeded;
 * after a failure no new command starts and the running ones are waited for. */
static int run_all(argvec *cmds, const char *const *logs, int n, int jobs, double deadline, bool *timed_out)
{
    pid_t *pid = xcalloc((size_t)n, sizeof *pid);
    int next = 0, running = 0, failed = -1;
    *timed_out = false;
    while (running > 0 || (next < n && failed < 0)) {
        while (running < jobs && next < n && failed < 0) {
            pid[next] = spawn(cmds[next].v, logs[next]);
            if (pid[next] < 0)
                failed = next;
            else
                running++;
            next++;
        }
        bool reaped = false;
        for (int i = 0; i < next; i++) {
            int st;
            if (pid[i] <= 0 || waitpid(pid[i], &st, WNOHANG) != pid[i])
                continue;
            pid[i] = 0;
            running--;
            reaped = true;
            if ((WIFSIGNALED(st) || WEXITSTATUS(st) != 0) && (failed < 0 || i < failed))
                failed = i;
        }
        if (!reaped && running > 0) {
            if (child_now() > deadline) {
                for (int i = 0; i < next; i++)
                    if (pid[i] > 0) {
                        kill(pid[i], SIGKILL);
                        waitpid(pid[i], NULL, 0);
                    }
                *timed_out = true;
                free(pid);
                return failed >= 0 ? failed : 0;
            }
            struct timespec d = {0, 2 * 1000 * 1000};
            nanosleep(&d, NULL);
        }
    }
    free(pid);
    return failed;
}

static int cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

bool qemu_build_firmware(const compiled *c, const target_opts *o, bool external_blob, bool profile,
                         const char *elf, char *msg, size_t msglen)
{
    return fw_build_firmware(c, o, fw_port_find("qemu-mps2-an500"), external_blob, profile, NULL, elf, msg, msglen);
}

bool fw_build_firmware(const compiled *c, const target_opts *o, const struct fw_port *port, bool external_blob,
                       bool profile, const char *defines, const char *elf, char *msg, size_t msglen)
{
    const char *root = env_or("KILN_ROOT", KILN_ROOT);
    const char *cc = env_or("KILN_ARM_CC", "arm-none-eabi-gcc");
    const char *dir = o->workdir;
    const ir_graph *g = c->g;
    size_t io_bytes = 0;
    for (int i = 0; i < g->n_inputs; i++)
        io_bytes += (ir_nbytes(&g->tensors[g->inputs[i]]) + 15) & ~(size_t)15;
    for (int i = 0; i < g->n_outputs; i++)
        io_bytes += (ir_nbytes(&g->tensors[g->outputs[i]]) + 15) & ~(size_t)15;

    /* What every file is compiled with. */
    argvec common = {0}, srcs = {0}, link = {0};
    char num[64];
    av_add(&common, cc);
    if (!c->cpu->arm || !c->cpu->runs_on_m7) {
        snprintf(msg, msglen, "--cpu %s: the firmware for %s runs on a Cortex-M7, which runs code "
                 "built for cortex-m3, cortex-m4 or cortex-m7", c->cpu->name, port->board);
        return false;
    }
    av_add_words(&common, c->cpu->arm_flags);
    av_add_words(&common, ARM_CFLAGS);
    av_addf(&common, "-I%s/include", root);
    av_addf(&common, "-I%s", dir);
    av_addf(&common, "-DKILN_NET=%s", c->name);
    snprintf(num, sizeof num, "%zu", io_bytes);
    av_addf(&common, "-DKILN_QEMU_IO_BYTES=%s", num);
    if (port->shared) {
        /* main.c of the shared sources takes the board facts from port.h. */
        char *inc = xasprintf("-I%s/%s", root, port->dir);
        av_add(&common, inc);
        free(inc);
        av_add(&common, "-DKILN_FW_PORT=1");
    }
    snprintf(num, sizeof num, "0x%08" PRIx32 "u", port->blob_addr);
    av_addf(&common, "-DKILN_QEMU_BLOB_ADDR=%s", num);
    if (external_blob && c->weights == WEIGHTS_INLINE)
        av_add(&common, "-DKILN_QEMU_EXTERNAL_BLOB=1");
    if (o->no_crc)
        av_add(&common, "-DKILN_QEMU_NO_CRC=1");
    if (defines)
        av_add_words(&common, defines);
    if (profile) {
        av_add(&common, "-DKILN_PROFILE=1");
        snprintf(num, sizeof num, "%d", c->prog.n_calls);
        av_addf(&common, "-DKILN_PROFILE_CALLS=%s", num);
    }

    char *pat = xasprintf("%s/%s/*.c", root, port->dir);
    av_add_glob(&srcs, pat);
    free(pat);
    for (const char *const *sh = port->shared; sh && *sh; sh++) {
        char *f = xasprintf("%s/%s", root, *sh);
        av_add(&srcs, f);
        free(f);
    }
    pat = xasprintf("%s/runtime/*.c", root);
    av_add_glob(&srcs, pat);
    free(pat);
    pat = xasprintf("%s/runtime/kernels/*.c", root);
    av_add_glob(&srcs, pat);
    free(pat);
    char *s = xasprintf("%s/%s.c", dir, c->name);
    av_add(&srcs, s);
    free(s);
    if (c->weights == WEIGHTS_INLINE) {
        s = xasprintf("%s/%s_data.c", dir, c->name);
        av_add(&srcs, s);
        free(s);
    }

    char *objdir = xasprintf("%s/fw-obj", dir);
    bool ok = make_dirs(objdir, msg, msglen);
    int n = srcs.n;
    argvec *cmds = xcalloc((size_t)n + 1, sizeof *cmds);
    char **logs = xcalloc((size_t)n + 1, sizeof *logs);
    av_add(&link, cc);
    av_add_words(&link, c->cpu->arm_flags);
    av_add_words(&link, "-nostartfiles -Wl,--gc-sections");
    char *ld = xasprintf("-T%s/%s/%s", root, port->dir, port->ldscript);
    av_add(&link, ld);
    free(ld);
    av_addf(&link, "-Wl,-Map=%s/fw.map", dir);
    for (int i = 0; i < n && ok; i++) {
        const char *base = strrchr(srcs.v[i], '/') ? strrchr(srcs.v[i], '/') + 1 : srcs.v[i];
        char *obj = xasprintf("%s/%02d_%.*s.o", objdir, i, (int)(strlen(base) - 2), base);
        logs[i] = xasprintf("%s.log", obj);
        av_add_all(&cmds[i], &common);
        av_add(&cmds[i], "-c");
        av_add(&cmds[i], srcs.v[i]);
        av_add(&cmds[i], "-o");
        av_add(&cmds[i], obj);
        av_add(&link, obj);
        target_echo(o, cmds[i].v);
        free(obj);
    }
    av_add(&link, "-lm");
    av_add(&link, "-o");
    av_add(&link, elf);
    logs[n] = xasprintf("%s/fw-link.log", dir);
    cmds[n] = link;
    memset(&link, 0, sizeof link);

    /* The time limit is for the emulated run; a build gets its own, generous one. */
    double deadline = child_now() + (o->timeout_s > 600 ? o->timeout_s : 600);
    bool timed_out = false;
    int bad = ok ? run_all(cmds, (const char *const *)logs, n, cpus(), deadline, &timed_out) : -1;
    if (ok && bad < 0) {
        target_echo(o, cmds[n].v);
        bad = run_all(cmds + n, (const char *const *)logs + n, 1, 1, deadline, &timed_out);
        bad = bad < 0 ? -1 : n;
    }
    if (ok && bad >= 0) {
        if (timed_out)
            snprintf(msg, msglen, "building the firmware for %s ran past the time limit", port->board);
        else if (bad < n)
            snprintf(msg, msglen, "the firmware for %s did not build: %s failed on %s (log %s):\n", port->board,
                     cc, srcs.v[bad], logs[bad]);
        else
            snprintf(msg, msglen,
                     "the firmware for %s did not link (log %s; a model too big for the board overflows "
                     "its code or RAM region: see the linker script %s/%s):\n", port->board, logs[bad],
                     port->dir, port->ldscript);
        if (!timed_out)
            target_append_file(msg, msglen, logs[bad], 30);
        ok = false;
    }
    for (int i = 0; i <= n; i++) {
        av_free(&cmds[i]);
        free(logs[i]);
    }
    free(cmds);
    free(logs);
    free(objdir);
    av_free(&common);
    av_free(&srcs);
    av_free(&link);
    return ok;
}
