/*
 * build_files.c - NET.mk and NET.cmake (build_files.h), and the scan of the
 * runtime's sources that picks the files a network needs.
 *
 * The scan reads C the way the runtime is written (and arm_build.sh checks):
 * a function definition starts at column 0 with its return type, and every
 * non-static one is named kiln_*; a file's references are the kiln_*
 * identifiers in it and in the headers of its own directory it includes.
 * Nothing is compiled; a name that no file defines (kiln_profile_mark, which
 * the application provides) is simply not resolved.
 */
#define _POSIX_C_SOURCE 200809L
#include "emit/build_files.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "version.h"

/* What the application calls besides the generated code (docs/cli.md). */
static const char *const app_roots[] = {"kiln_status_str", "kiln_blob_report_str"};

typedef struct src_file {
    char *rel;              /* "runtime/kernels/conv_s8.c" */
    char *text;             /* the file, then its local headers */
    char **defs;
    int n_defs;
    bool needed;
} src_file;

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* Calls fn(ctx, name, at) for every kiln_ identifier in text. */
static void each_kiln_ident(const char *text, void (*fn)(void *, const char *, size_t, const char *), void *ctx)
{
    for (const char *p = strstr(text, "kiln_"); p; p = strstr(p + 1, "kiln_")) {
        if (p > text && ident_char(p[-1]))
            continue;
        size_t n = 0;
        while (ident_char(p[n]))
            n++;
        fn(ctx, p, n, text);
    }
}

/* Definitions: a kiln_ name followed by "(" on a line that starts at column
 * 0 with a type (not static, not a directive, not a comment). */
static void add_def(void *ctx, const char *p, size_t n, const char *text)
{
    src_file *f = ctx;
    const char *line = p;
    while (line > text && line[-1] != '\n')
        line--;
    if (!isalpha((unsigned char)line[0]) || !strncmp(line, "static", 6) || !strncmp(line, "typedef", 7) ||
        !strncmp(line, "extern", 6))
        return;
    const char *q = p + n;
    while (*q == ' ')
        q++;
    if (*q != '(')
        return;
    for (const char *s = line; s < p; s++)
        if (*s == '(' || *s == '=' || *s == ';')
            return;             /* a call or a parameter, not the defined name */
    f->defs = xrealloc(f->defs, ((size_t)f->n_defs + 1) * sizeof *f->defs);
    f->defs[f->n_defs++] = strndup(p, n);
}

/* The file plus the "x.h" headers it includes from its own directory. */
static char *read_with_headers(const char *root, const char *rel)
{
    char *path = path_join(root, rel), *dir = path_dir(path);
    uint8_t *d;
    size_t n;
    char err[256];
    sbuf t = {0};
    if (read_file(path, &d, &n, err, sizeof err)) {
        sb_put(&t, d, n);
        free(d);
    }
    for (const char *p = t.s ? strstr(t.s, "#include \"") : NULL; p; p = strstr(p + 1, "#include \"")) {
        const char *name = p + 10, *end = strchr(name, '"');
        if (!end || memchr(name, '/', (size_t)(end - name)))
            continue;
        char *h = strndup(name, (size_t)(end - name)), *hp = path_join(dir, h);
        size_t at = (size_t)(p - t.s);
        if (read_file(hp, &d, &n, err, sizeof err)) {
            sb_put(&t, "\n", 1);
            sb_put(&t, d, n);
            free(d);
        }
        p = t.s + at;
        free(h);
        free(hp);
    }
    sb_put(&t, "", 1);
    free(path);
    free(dir);
    return sb_take(&t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .c of runtime/ and runtime/kernels/ with its definitions. */
static src_file *scan(const char *root, int *n_out, char *err, size_t errlen)
{
    const char *dirs[2] = {"runtime", "runtime/kernels"};
    src_file *v = NULL;
    int n = 0;
    for (int k = 0; k < 2; k++) {
        char *dp = path_join(root, dirs[k]);
        DIR *d = opendir(dp);
        free(dp);
        if (!d) {
            snprintf(err, errlen, "cannot open %s/%s to list the runtime's sources (is KILN_ROOT %s the "
                     "kiln checkout?)", root, dirs[k], root);
            free(v);
            return NULL;
        }
        for (struct dirent *e; (e = readdir(d));) {
            size_t l = strlen(e->d_name);
            if (l < 3 || strcmp(e->d_name + l - 2, ".c"))
                continue;
            v = xrealloc(v, ((size_t)n + 1) * sizeof *v);
            memset(&v[n], 0, sizeof v[n]);
            v[n].rel = xasprintf("%s/%s", dirs[k], e->d_name);
            v[n].text = read_with_headers(root, v[n].rel);
            each_kiln_ident(v[n].text, add_def, &v[n]);
            n++;
        }
        closedir(d);
    }
    *n_out = n;
    return v;
}

typedef struct closure {
    src_file *f;
    int n;
    bool grew;
} closure;

/* Marks the file defining the identifier as needed. */
static void need(void *ctx, const char *p, size_t len, const char *text)
{
    (void)text;
    closure *c = ctx;
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < c->f[i].n_defs && !c->f[i].needed; k++)
            if (strlen(c->f[i].defs[k]) == len && !strncmp(c->f[i].defs[k], p, len)) {
                c->f[i].needed = true;
                c->grew = true;
            }
}

bool runtime_sources(const char *root, const char *code, runtime_srcs *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int n;
    src_file *f = scan(root, &n, err, errlen);
    if (!f)
        return false;
    closure c = {f, n, false};
    each_kiln_ident(code, need, &c);
    for (size_t i = 0; i < sizeof app_roots / sizeof app_roots[0]; i++)
        need(&c, app_roots[i], strlen(app_roots[i]), NULL);
    while (c.grew) {            /* until no needed file names an unneeded one */
        c.grew = false;
        for (int i = 0; i < n; i++)
            if (f[i].needed)
                each_kiln_ident(f[i].text, need, &c);
    }
    for (int i = 0; i < n; i++) {
        if (f[i].needed) {
            out->path = xrealloc(out->path, ((size_t)out->n + 1) * sizeof *out->path);
            out->path[out->n++] = f[i].rel;
        } else {
            free(f[i].rel);
        }
        free(f[i].text);
        for (int k = 0; k < f[i].n_defs; k++)
            free(f[i].defs[k]);
        free(f[i].defs);
    }
    free(f);
    if (out->n)
        qsort(out->path, (size_t)out->n, sizeof *out->path, cmp_str);
    return true;
}

void runtime_srcs_free(runtime_srcs *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->path[i]);
    free(s->path);
    memset(s, 0, sizeof *s);
}

/* ---- the files --------------------------------------------------------------- */

void emit_build_mk(const compiled *c, const char *root, const runtime_srcs *s, sbuf *o)
{
    const char *n = c->name;
    bool inl = c->weights == WEIGHTS_INLINE;
    sb_printf(o, "# %s.mk - generated by kiln %s: how to build network '%s' into an application.\n"
                 "#\n#   include path/to/%s.mk\n"
                 "#   app: main.c $(%s_SRCS)\n#   \t$(CC) -std=c99 main.c $(%s_SRCS) $(addprefix -I,$(%s_INCS)) "
                 "$(%s_LDLIBS) -o $@\n#\n"
                 "# %s_SRCS: the generated sources and exactly the runtime sources this network needs;\n"
                 "# %s_INCS: the include directories.  Paths are absolute, so the file works from any\n"
                 "# directory; set KILN_ROOT before including it to use another kiln checkout.\n\n",
              n, KILN_VERSION, n, n, n, n, n, n, n, n);
    sb_printf(o, "KILN_ROOT ?= %s\n%s_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))\n\n", root, n);
    sb_printf(o, "%s_SRCS := $(%s_DIR)/%s.c%s", n, n, n, inl ? " \\\n    $(" : "");
    if (inl)
        sb_printf(o, "%s_DIR)/%s_data.c", n, n);
    for (int i = 0; i < s->n; i++)
        sb_printf(o, " \\\n    $(KILN_ROOT)/%s", s->path[i]);
    sb_printf(o, "\n%s_INCS := $(%s_DIR) $(KILN_ROOT)/include\n", n, n);
    sb_printf(o, "# libm: the float kernels call expf, sqrtf, ...\n%s_LDLIBS := -lm\n", n);
    if (!inl)
        sb_printf(o, "# The weights blob to program into external flash (kiln flash write).\n"
                     "%s_BLOB := $(%s_DIR)/%s_data.bin\n", n, n, n);
}

void emit_build_cmake(const compiled *c, const char *root, const runtime_srcs *s, sbuf *o)
{
    const char *n = c->name;
    bool inl = c->weights == WEIGHTS_INLINE;
    sb_printf(o, "# %s.cmake - generated by kiln %s: how to build network '%s' into an application.\n"
                 "#\n#   include(path/to/%s.cmake)\n#   add_executable(app main.c ${%s_SRCS})\n"
                 "#   target_include_directories(app PRIVATE ${%s_INCS})\n"
                 "#   target_link_libraries(app PRIVATE ${%s_LIBS})\n#\n"
                 "# Paths are absolute; set KILN_ROOT before including to use another kiln checkout.\n\n",
              n, KILN_VERSION, n, n, n, n, n);
    sb_printf(o, "if(NOT DEFINED KILN_ROOT)\n  set(KILN_ROOT \"%s\")\nendif()\n"
                 "set(%s_DIR \"${CMAKE_CURRENT_LIST_DIR}\")\nset(%s_SRCS\n  \"${%s_DIR}/%s.c\"\n", root, n, n,
              n, n);
    if (inl)
        sb_printf(o, "  \"${%s_DIR}/%s_data.c\"\n", n, n);
    for (int i = 0; i < s->n; i++)
        sb_printf(o, "  \"${KILN_ROOT}/%s\"\n", s->path[i]);
    sb_printf(o, ")\nset(%s_INCS \"${%s_DIR}\" \"${KILN_ROOT}/include\")\n", n, n);
    sb_printf(o, "# libm: the float kernels call expf, sqrtf, ...\nset(%s_LIBS m)\n", n);
    if (!inl)
        sb_printf(o, "# The weights blob to program into external flash (kiln flash write).\n"
                     "set(%s_BLOB \"${%s_DIR}/%s_data.bin\")\n", n, n, n);
}
