/*
 * vrun.c - `kiln validate` on the target: the work directory, the generated
 * code in it, and the host or QEMU run (compiler/target/).  On a terminal,
 * a QEMU run shows what it is doing (building the firmware, sample k of N),
 * overwritten in place on stderr; redirected output stays clean.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit/emit_c.h"
#include "target/target.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "util/sbuf.h"
#include "util/term.h"
#include "util/tmpfiles.h"
#include "validate/validate.h"

static char *make_workdir(const vopts *o, char *err, size_t errlen)
{
    if (o->keep) {
        if (!make_dirs(o->keep, err, errlen))
            return NULL;
        return xstrdup(o->keep);
    }
    const char *tmp = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/kiln-validate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        snprintf(err, errlen, "cannot create a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

static void remove_workdir(const char *dir)
{
    char *cmd[] = {"rm", "-rf", (char *)dir, NULL};
    proc_result r;
    char err[64];
    proc_run(cmd, NULL, 60, &r, err, sizeof err);
}

/* The terminal progress line (target_opts.progress). */
static void progress(const char *phase, size_t done, size_t total)
{
    if (!strcmp(phase, "done"))
        term_progress("\r\033[K");
    else if (total)
        term_progress("\r\033[Kkiln validate: %s: sample %zu of %zu", phase, done, total);
    else
        term_progress("\r\033[Kkiln validate: %s", phase);
}

int vrun_target(const vopts *o, const compiled *c, vbatch *b, uint64_t *insns)
{
    char err[2048], msg[1536];
    bool keep_dir = o->keep != NULL;
    int status = 2;
    char *dir = make_workdir(o, err, sizeof err);
    if (!dir) {
        fprintf(stderr, "kiln validate: %s\n", err);
        return 2;
    }
    /* A signal (Ctrl-C during a long QEMU run) removes the temporary tree too. */
    const int dir_slot = keep_dir ? -1 : tmpfiles_add_tree(dir);
    char *blob_path = NULL;
    if (!emit_all(c, dir, err, sizeof err)) {
        fprintf(stderr, "kiln validate: %s\n", err);
        goto out;
    }
    b->out = xcalloc(b->out_bytes * b->samples + 1, 1);
    blob_path = o->blob ? xstrdup(o->blob)
                        : (c->weights != WEIGHTS_INLINE ? xasprintf("%s/%s_data.bin", dir, c->name) : NULL);
    bool qemu = !strcmp(o->target, "qemu");
    target_opts to = {dir, blob_path, o->no_crc, o->verbose, 600, NULL};
    if (qemu && !o->verbose && isatty(STDERR_FILENO))
        to.progress = progress;
    target_io io = {.inputs = b->in, .outputs = b->out, .samples = b->samples};
    target_result tr = !strcmp(o->target, "serial") ? vserial_run(o, c, &to, &io, msg, sizeof msg)
                       : qemu ? target_qemu_run(c, &to, &io, msg, sizeof msg)
                              : target_host_run(c, &to, &io, msg, sizeof msg);
    if (to.progress)
        to.progress("done", 0, 0);
    if (tr == TARGET_REFUSED) {
        fprintf(stderr, "kiln validate: the generated code refused the weights blob %s: %s\n",
                blob_path ? blob_path : "(inline)", msg);
    } else if (tr == TARGET_ERROR && !strcmp(o->target, "serial")) {
        fprintf(stderr, "kiln validate: %s\n", msg); /* about the port or the board: no log here */
    } else if (tr == TARGET_ERROR) {
        /* The message names logs in the work directory: keep it. */
        fprintf(stderr, "kiln validate: %s\n(work directory %s kept for inspection)\n", msg, dir);
        keep_dir = true;
    } else {
        *insns = io.insns;
        if (io.count.counter) {
            b->count = xmalloc(sizeof *b->count);
            *b->count = io.count;
        }
        b->host_cflags = io.cflags;
        status = 0;
        if (io.stream.valid)
            stream_counts_print(c, &io.stream);
    }
out:
    free(blob_path);
    tmpfiles_remove(dir_slot);
    if (!keep_dir)
        remove_workdir(dir);
    free(dir);
    return status;
}
