/*
 * host.c - the host target: the generated code compiled with the machine's C
 * compiler at -O3 -march=native (KILN_HOST_CFLAGS; the harness only ever runs
 * on this machine, and validate says so), warnings as errors, and linked with
 * the runtime (libkilnrt-native.a) and firmware/host/harness.c
 * (harness-native.o), both built with kiln at the same flags, then run on a
 * file of input samples.
 *
 * In a sanitizer build of kiln (make SAN=1) the harness is built with the same
 * sanitizers, so validation also checks the kernels for out-of-bounds access
 * and undefined behaviour.
 */
#define _POSIX_C_SOURCE 200809L
#include "target/target.h"
#include "target/target_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/proc.h"
#include "util/sbuf.h"

#ifndef KILN_ROOT
#define KILN_ROOT "."
#endif
#ifndef KILN_BUILD_DIR
#define KILN_BUILD_DIR "build"
#endif
#ifndef KILN_HOST_CC
#define KILN_HOST_CC "cc"
#endif
#ifndef KILN_HOST_CFLAGS
#define KILN_HOST_CFLAGS "-O2"
#endif

static bool run_logged(const target_opts *o, char **argv, const char *log, int timeout, proc_result *r,
                       char *err, size_t errlen)
{
    target_echo(o, argv);
    return proc_run(argv, log, timeout, r, err, errlen);
}

static bool build(const compiled *c, const target_opts *o, char *msg, size_t msglen)
{
    const char *root = getenv("KILN_ROOT") ? getenv("KILN_ROOT") : KILN_ROOT;
    const char *bdir = getenv("KILN_BUILD_DIR") ? getenv("KILN_BUILD_DIR") : KILN_BUILD_DIR;
    const char *cc = getenv("KILN_CC") ? getenv("KILN_CC") : KILN_HOST_CC;
    const char *dir = o->workdir;
    char *inc = xasprintf("-I%s/include", root);
    char *incd = xasprintf("-I%s", dir);
    char *src = xasprintf("%s/%s.c", dir, c->name);
    char *data = xasprintf("%s/%s_data.c", dir, c->name);
    char *harness = xasprintf("%s/obj-native/harness-native.o", bdir);
    char *def = xasprintf("-Wl,--defsym=kiln_harness_model=%s_model", c->name);
    char *lib = xasprintf("%s/libkilnrt-native.a", bdir);
    char *exe = xasprintf("%s/harness", dir);
    char *log = xasprintf("%s/build.log", dir);
    char *flags = xstrdup(KILN_HOST_CFLAGS);
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)cc;
    argv[n++] = "-std=c99";
    for (char *tok = strtok(flags, " "); tok && n < 40; tok = strtok(NULL, " "))
        argv[n++] = tok;
    argv[n++] = "-Wall";
    argv[n++] = "-Wextra";
    argv[n++] = "-Werror";
    argv[n++] = "-pedantic";
    argv[n++] = inc;
    argv[n++] = incd;
    argv[n++] = def;
    argv[n++] = src;
    if (c->weights == WEIGHTS_INLINE)
        argv[n++] = data;
    argv[n++] = harness;
    argv[n++] = lib;
    argv[n++] = "-lm";
    argv[n++] = "-o";
    argv[n++] = exe;
    argv[n] = NULL;
    remove(log);
    proc_result r;
    bool ok = run_logged(o, argv, log, o->timeout_s > 0 ? o->timeout_s : 600, &r, msg, msglen);
    if (ok && (r.signaled || r.timed_out || r.exit_code != 0)) {
        snprintf(msg, msglen, "the generated code did not compile with %s (log %s):\n", cc, log);
        target_append_file(msg, msglen, log, 30);
        ok = false;
    }
    free(inc); free(incd); free(src); free(data); free(harness); free(def); free(lib); free(exe);
    free(log); free(flags);
    return ok;
}

target_result target_host_run(const compiled *c, const target_opts *o, target_io *io, char *msg,
                              size_t msglen)
{
    const ir_graph *g = c->g;
    size_t in_bytes, out_bytes;
    target_io_bytes(g, &in_bytes, &out_bytes);
    io->insns = 0;
    io->cflags = KILN_HOST_CFLAGS;
    if (!build(c, o, msg, msglen))
        return TARGET_ERROR;

    const char *dir = o->workdir;
    char *in_path = xasprintf("%s/input.bin", dir), *out_path = xasprintf("%s/output.bin", dir);
    char *run_log = xasprintf("%s/run.log", dir), *exe = xasprintf("%s/harness", dir);
    char ns[32];
    snprintf(ns, sizeof ns, "%zu", io->samples);
    target_result res = TARGET_ERROR;
    uint8_t *log = NULL;
    size_t log_len = 0;
    char *argv[12];
    int na = 0;
    char *image = NULL;
    argv[na++] = exe;
    if (o->blob_path && c->weights == WEIGHTS_STREAM) {
        /* The callback reads the blob from a simulated NOR chip's array. */
        image = stream_image_path(dir);
        if (!stream_device_image(o->blob_path, image, msg, msglen))
            goto out;
        argv[na++] = "--blob";
        argv[na++] = image;
    } else if (o->blob_path) {
        argv[na++] = "--blob";
        argv[na++] = (char *)o->blob_path;
    }
    if (o->no_crc)
        argv[na++] = "--no-crc";
    argv[na++] = "--samples";
    argv[na++] = ns;
    argv[na++] = in_path;
    argv[na++] = out_path;
    argv[na] = NULL;
    proc_result pr;
    remove(run_log);
    remove(out_path);
    if (!write_file_atomic(in_path, io->inputs, in_bytes * io->samples, msg, msglen))
        goto out;
    if (!run_logged(o, argv, run_log, o->timeout_s > 0 ? o->timeout_s : 600, &pr, msg, msglen))
        goto out;
    char e2[256];
    if (!read_file(run_log, &log, &log_len, e2, sizeof e2))
        log = (uint8_t *)xstrdup("");
    if (o->verbose)
        fputs((char *)log, stderr);
    if (pr.signaled || pr.timed_out) {
        snprintf(msg, msglen, "the generated code %s (log %s):\n%.1500s",
                 pr.timed_out ? "ran past the time limit" : "crashed", run_log, (char *)log);
        goto out;
    }
    if (pr.exit_code == 3) {
        /* "refused NAME CODE\n<message>\n<details>" from the harness. */
        char name[64] = "";
        sscanf((char *)log, "refused %63s", name);
        char *nl = strchr((char *)log, '\n');
        snprintf(msg, msglen, "%s: %s", name, nl ? nl + 1 : (char *)log);
        size_t L = strlen(msg);
        while (L && (msg[L - 1] == '\n' || msg[L - 1] == ' '))
            msg[--L] = '\0';
        /* One line: "STATUS: message; found X, expected Y". */
        char *nl2 = strchr(msg, '\n');
        if (nl2) {
            size_t tail = strlen(nl2 + 1);
            if ((size_t)(nl2 - msg) + 2 + tail < msglen) {
                memmove(nl2 + 2, nl2 + 1, tail + 1);
                nl2[0] = ';';
                nl2[1] = ' ';
            }
        }
        for (char *p = msg; *p; p++)
            if (*p == '\n')
                *p = ' ';
        res = TARGET_REFUSED;
        goto out;
    }
    if (pr.exit_code != 0) {
        snprintf(msg, msglen, "the harness failed (exit %d, log %s):\n%.1500s", pr.exit_code, run_log,
                 (char *)log);
        goto out;
    }
    uint8_t *d;
    size_t n;
    if (!read_file(out_path, &d, &n, msg, msglen))
        goto out;
    if (n != out_bytes * io->samples) {
        snprintf(msg, msglen, "the harness wrote %zu bytes, expected %zu", n, out_bytes * io->samples);
        free(d);
        goto out;
    }
    memcpy(io->outputs, d, n);
    free(d);
    if (c->weights == WEIGHTS_STREAM)
        stream_counts_parse((const char *)log, &io->stream);
    res = TARGET_OK;
out:
    free(image);
    free(log);
    free(in_path); free(out_path); free(run_log); free(exe);
    return res;
}
