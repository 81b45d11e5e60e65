/*
 * target_util.c - helpers shared by the host and QEMU targets.
 */
#include "target/target_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"

void target_echo(const target_opts *o, char *const *argv)
{
    if (!o->verbose)
        return;
    for (int i = 0; argv[i]; i++)
        fprintf(stderr, "%s%s", i ? " " : "+ ", argv[i]);
    fprintf(stderr, "\n");
}

void target_append_file(char *msg, size_t msglen, const char *path, int max_lines)
{
    uint8_t *d;
    size_t n, k = strlen(msg);
    char err[256];
    if (!read_file(path, &d, &n, err, sizeof err))
        return;
    int lines = 0;
    for (size_t i = 0; i < n && lines < max_lines && k + 1 < msglen; i++) {
        msg[k++] = (char)d[i];
        lines += d[i] == '\n';
    }
    msg[k] = '\0';
    free(d);
}

void target_io_bytes(const ir_graph *g, size_t *in_bytes, size_t *out_bytes)
{
    *in_bytes = *out_bytes = 0;
    for (int i = 0; i < g->n_inputs; i++)
        *in_bytes += ir_nbytes(&g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        *out_bytes += ir_nbytes(&g->tensors[g->outputs[i]]);
}
