/*
 * stream_app_util.h - what stream_app.c and stream_async_app.c share: the
 * generated network's names (built with -DNET=<name>), reading a file whole,
 * and the "ok"/"FAIL" check lines.  Host test code only (stdio, malloc).
 */
#ifndef KILN_STREAM_APP_UTIL_H
#define KILN_STREAM_APP_UTIL_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#include STR(NET.h)

#define MODEL CAT(NET, _model)
#define INIT_STREAM CAT(NET, _init_stream)
#define ARENA_BYTES CAT(NET, _ARENA_BYTES)
#define BYTES_READ CAT(NET, _STREAM_BYTES_READ)
#define OUT_BYTES CAT(NET, _OUTPUT0_BYTES)
#define IN_BYTES CAT(NET, _INPUT0_BYTES)

/* The file at path, whole, in a malloc'd buffer (one spare byte); NULL if
 * it cannot be read. */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*n + 1);
    if (p && fread(p, 1, *n, f) != *n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

static int fails;
static void check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok  " : "FAIL", what);
    fails += !cond;
}

#endif
