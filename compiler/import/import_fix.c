/*
 * import_fix.c - the text of --shape and --const, parsed into import_fix.
 *
 *   --shape NAME=1x1280      --shape 0=1x1280      (dims joined by x)
 *   --const NAME=16000       --const NAME=1,2,3    --const NAME=file.npy|.pb
 *
 * A name made only of digits is a position among the declared inputs.  A
 * --const value that names an existing file is read as a tensor; otherwise
 * it must be numbers.  The importers (onnx_import.c, tflite_shapes.c) apply
 * the result; import_fix_data turns a number list into a tensor's data for both.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import.h"
#include "import/tensor_file.h"
#include "util/sbuf.h"

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool parse_dims(const char *kind, const char *v, import_fix *f, char *err, size_t errlen)
{
    const char *p = v;
    f->rank = 0;
    for (;;) {
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || errno || d < 0 || *p == '-' || *p == '+') {
            snprintf(err, errlen, "%s '%s': dimensions must be non-negative integers joined by 'x' "
                     "(e.g. 1x1280)", kind, v);
            return false;
        }
        if (f->rank == IR_MAX_DIMS) {
            snprintf(err, errlen, "%s '%s': more than %d dimensions", kind, v, IR_MAX_DIMS);
            return false;
        }
        f->shape[f->rank++] = d;
        if (*end == 0)
            break;
        if (*end != 'x' && *end != 'X') {
            snprintf(err, errlen, "%s '%s': unexpected '%c' (dimensions are joined by 'x', e.g. 1x1280)",
                     kind, v, *end);
            return false;
        }
        p = end + 1;
    }
    f->has_shape = true;
    return true;
}

static bool parse_numbers(const char *kind, const char *v, import_fix *f, char *err, size_t errlen)
{
    int cap = 8;
    f->vals = xmalloc((size_t)cap * sizeof *f->vals);
    const char *p = v;
    for (;;) {
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno) {
            snprintf(err, errlen, "%s '%s': not a number list (e.g. 16000 or 1,2,3) and no such file", kind, v);
            return false;
        }
        if (f->n_vals == cap) {
            cap *= 2;
            f->vals = xrealloc(f->vals, (size_t)cap * sizeof *f->vals);
        }
        f->vals[f->n_vals++] = d;
        if (*end == 0)
            break;
        if (*end != ',') {
            snprintf(err, errlen, "%s '%s': unexpected '%c' (values are separated by ',')", kind, v, *end);
            return false;
        }
        p = end + 1;
    }
    f->has_value = true;
    return true;
}

static bool read_value_file(const char *kind, const char *v, import_fix *f, char *err, size_t errlen)
{
    tensor_value *tv = xcalloc(1, sizeof *tv);
    char msg[1024];
    if (!tensor_file_read(v, tv, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", kind, msg);
        free(tv);
        return false;
    }
    import_value *iv = xcalloc(1, sizeof *iv);
    iv->dtype = tv->dtype;
    iv->rank = tv->rank;
    memcpy(iv->shape, tv->shape, sizeof iv->shape);
    iv->data = tv->data;        /* owned by iv from here on */
    iv->nbytes = tv->nbytes;
    free(tv->name);
    free(tv);
    f->file = iv;
    f->has_value = true;
    return true;
}

bool import_fix_parse(const char *kind, const char *arg, import_fix *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->pos = -1;
    f->opt = kind;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        snprintf(err, errlen, "%s needs INPUT=%s (INPUT: an input's name or position), not '%s'", kind,
                 strcmp(kind, "--shape") ? "VALUE|FILE" : "DIMS, e.g. samples=1x1280", arg);
        return false;
    }
    const size_t nl = (size_t)(eq - arg);
    if (all_digits(arg, nl))
        f->pos = atoi(arg);
    else {
        char *nm = xmalloc(nl + 1);
        memcpy(nm, arg, nl);
        nm[nl] = 0;
        f->name = nm;
    }
    const char *v = eq + 1;
    bool ok;
    if (!strcmp(kind, "--shape")) {
        ok = parse_dims(kind, v, f, err, errlen);
    } else {
        struct stat st;
        ok = stat(v, &st) == 0 && S_ISREG(st.st_mode) ? read_value_file(kind, v, f, err, errlen)
                                                        : parse_numbers(kind, v, f, err, errlen);
    }
    if (!ok)
        import_fix_free(f);
    return ok;
}

void import_fix_free(import_fix *f)
{
    free((char *)f->name);
    free(f->vals);
    if (f->file) {
        free((void *)f->file->data);
        free((void *)f->file);
    }
    memset(f, 0, sizeof *f);
    f->pos = -1;
}

void import_opts_free_fixes(import_opts *imp)
{
    for (int i = 0; i < imp->n_fixes; i++)
        import_fix_free((import_fix *)&imp->fixes[i]);
    free((void *)imp->fixes);
    imp->fixes = NULL;
    imp->n_fixes = 0;
}

bool import_fix_data(const import_fix *f, ir_tensor *t, const char *path, char *err, size_t errlen)
{
    const int64_t n = ir_numel(t);
    if (n != f->n_vals) {
        snprintf(err, errlen, "%s: --const gives %d value%s for graph input '%s', its shape %s needs %lld "
                 "(fix its shape with --shape %s=DIMS)", path, f->n_vals, f->n_vals == 1 ? "" : "s", t->name,
                 t->rank ? "" : "(a scalar)", (long long)n, t->name);
        return false;
    }
    const size_t es = ir_dtype_size(t->dtype);
    uint8_t *buf = xcalloc((size_t)(n > 0 ? n : 1), es);
    for (int64_t i = 0; i < n; i++) {
        const double v = f->vals[i];
        uint8_t *q = buf + (size_t)i * es;
        switch (t->dtype) {
        case IR_DT_F32: {
            if (isfinite(v) && fabs(v) > FLT_MAX) {
                free(buf);
                snprintf(err, errlen, "%s: --const value %g for graph input '%s' is beyond float32's range",
                         path, v, t->name);
                return false;
            }
            float x = (float)v;
            memcpy(q, &x, 4);
            break;
        }
        case IR_DT_F64: memcpy(q, &v, 8); break;
        case IR_DT_BOOL: *q = v != 0; break;
        default: {
            if (v != floor(v) || fabs(v) > 9.0e15) {
                free(buf);
                snprintf(err, errlen, "%s: --const value %g for graph input '%s' (%s) is not an integer",
                         path, v, t->name, ir_dtype_name(t->dtype));
                return false;
            }
            const int64_t k = (int64_t)v;
            for (size_t b = 0; b < es; b++)
                q[b] = (uint8_t)((uint64_t)k >> (8 * b));
        }
        }
    }
    t->data = buf;
    t->nbytes = (size_t)n * es;
    return true;
}
