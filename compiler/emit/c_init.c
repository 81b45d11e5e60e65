/*
 * c_init.c - a kernel's params printed as C for a reader (c_init.h): one
 * field group a line, nested structs indented, enum constants by name.
 *
 * Relies on the struct's description (lir_params.c, made from the runtime
 * header's own field list) for every field's name, size, count and format,
 * and on the headers' promise of no padding: a field's bytes follow the
 * previous field's.  Every field is printed, in declaration order, so the
 * initializer names exactly the struct's fields and is its bytes.  Never
 * sees outside text: names come from the headers, values are numbers.
 */
#include "emit/c_init.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/kernels.h"
#include "passes/lower.h"

enum { LINE_MAX_COLS = 100 };

/* One item of a brace group: ".name = value" (name empty for an array
 * element), the value as text, or a nested group (array or struct). */
typedef struct item {
    const char *name;
    size_t name_len;
    char *val;                  /* scalar: its text */
    size_t val_len;
    const lir_field *field;     /* group: the array or struct field */
    const unsigned char *bytes; /* group: its first byte */
} item;

typedef struct enum_name {
    long value;
    const char *name;
} enum_name;

#define E(x) {(long)(x), #x}
static const enum_name layout_names[] = {E(KILN_LAYOUT_NCHW), E(KILN_LAYOUT_NHWC), {0, NULL}};
static const enum_name rq_names[] = {E(KILN_RQ_TFLITE), E(KILN_RQ_ONNX), E(KILN_RQ_NONE), E(KILN_RQ_SHORT),
                                     E(KILN_RQ_SHORT_RELU), {0, NULL}};
static const enum_name qtype_names[] = {E(KILN_QT_S8), E(KILN_QT_U8), E(KILN_QT_S16), E(KILN_QT_U16),
                                        E(KILN_QT_S32), {0, NULL}};
static const enum_name method_names[] = {E(KILN_CONV_F32_DIRECT), E(KILN_CONV_F32_IM2COL),
                                         E(KILN_CONV_F32_PADDED), {0, NULL}};
#undef E

static const enum_name *enum_names(lir_fmt f)
{
    switch (f) {
    case LIR_FMT_LAYOUT: return layout_names;
    case LIR_FMT_QTYPE: return qtype_names;
    case LIR_FMT_RQ_MODE: return rq_names;
    case LIR_FMT_CONV_F32_METHOD: return method_names;
    default: return NULL;
    }
}

/* One scalar of format f at p, as C. */
static char *scalar_text(lir_fmt f, const unsigned char *p)
{
    if (f == LIR_FMT_F32 || f == LIR_FMT_F32_BITS) {
        float v;
        memcpy(&v, p, sizeof v);
        if (f == LIR_FMT_F32_BITS && isfinite(v))
            return xasprintf("%af", (double)v);
        return xasprintf("%s", lir_f32(v));
    }
    int32_t v;
    memcpy(&v, p, sizeof v);
    const enum_name *names = enum_names(f);
    for (const enum_name *e = names; e && e->name; e++)
        if (e->value == v)
            return xasprintf("%s", e->name);
    return xasprintf("%ld", (long)v);
}

static item scalar_item(const char *name, lir_fmt f, const unsigned char *p)
{
    item x = {name, strlen(name), scalar_text(f, p), 0, NULL, NULL};
    x.val_len = strlen(x.val);
    return x;
}

/* The items of struct t at bytes: one per field. */
static item *struct_items(const lir_struct *t, const unsigned char *bytes)
{
    item *it = xcalloc((size_t)t->n_fields + 1, sizeof *it);
    size_t off = 0;
    for (int i = 0; i < t->n_fields; i++) {
        const lir_field *f = &t->fields[i];
        if (f->fmt == LIR_FMT_STRUCT || f->count > 0)
            it[i] = (item){f->name, strlen(f->name), NULL, 0, f, bytes + off};
        else
            it[i] = scalar_item(f->name, f->fmt, bytes + off);
        off += f->size * (size_t)(f->count > 0 ? f->count : 1);
    }
    if (off != t->size) {
        fprintf(stderr, "kiln: internal error: %s's fields cover %zu of its %zu bytes\n", t->name,
                off, t->size);
        abort();
    }
    return it;
}

static void free_items(item *it, int k)
{
    for (int i = 0; i < k; i++)
        free(it[i].val);
    free(it);
}

static bool is_group(const item *x)
{
    return x->field != NULL;
}

/* Fields of one family share a line: the same part before the first '_'
 * (in_c, in_h, in_w; pad_t, pad_l), or the same word after the last one
 * when it is a word (in_offset, w_offset; not the _h of stride_h, dil_h). */
static size_t prefix_len(const item *x)
{
    const char *u = memchr(x->name, '_', x->name_len);
    return u ? (size_t)(u - x->name) : x->name_len;
}

static size_t suffix_len(const item *x)
{
    size_t n = 0;
    while (n < x->name_len && x->name[x->name_len - 1 - n] != '_')
        n++;
    return n < x->name_len ? n : 0;
}

enum { FAMILY_NONE, FAMILY_PREFIX, FAMILY_SUFFIX };

/* How a and b are of one family (FAMILY_*); `want` FAMILY_NONE accepts
 * either way, else only that one, so one line keeps to one rule. */
static int family(const item *a, const item *b, int want)
{
    size_t la = prefix_len(a), lb = prefix_len(b);
    if (want != FAMILY_SUFFIX && la == lb && !memcmp(a->name, b->name, la))
        return FAMILY_PREFIX;
    la = suffix_len(a), lb = suffix_len(b);
    if (want != FAMILY_PREFIX && la > 1 && la == lb &&
        !memcmp(a->name + a->name_len - la, b->name + b->name_len - lb, la))
        return FAMILY_SUFFIX;
    return FAMILY_NONE;
}

static void put_indent(sbuf *o, int indent)
{
    for (int i = 0; i < indent; i++)
        sb_put(o, " ", 1);
}

static void put_struct(sbuf *o, const lir_struct *t, const unsigned char *bytes, int indent);

/* An array: on one line when it fits, else wrapped. */
static void put_array(sbuf *o, const lir_field *f, const unsigned char *bytes, int indent)
{
    const int k = f->count;
    item *it = xcalloc((size_t)k, sizeof *it);
    size_t total = 4;
    for (int i = 0; i < k; i++) {
        it[i] = scalar_item("", f->fmt, bytes + (size_t)i * f->size);
        total += it[i].val_len + 2;
    }
    if ((size_t)indent + total <= LINE_MAX_COLS) {
        sb_printf(o, "{ ");
        for (int i = 0; i < k; i++) {
            sb_printf(o, "%s", i ? ", " : "");
            sb_put(o, it[i].val, it[i].val_len);
        }
        sb_printf(o, " }");
        free_items(it, k);
        return;
    }
    sb_printf(o, "{\n");
    size_t col = 0;
    for (int i = 0; i < k; i++) {
        if (col == 0) {
            put_indent(o, indent + 4);
            col = (size_t)indent + 4;
        }
        sb_put(o, it[i].val, it[i].val_len);
        sb_printf(o, ",");
        col += it[i].val_len + 1;
        if (i + 1 == k || col + it[i + 1].val_len + 2 > LINE_MAX_COLS) {
            sb_printf(o, "\n");
            col = 0;
        } else {
            sb_printf(o, " ");
            col++;
        }
    }
    put_indent(o, indent);
    sb_printf(o, "}");
    free_items(it, k);
}

/* A nested group (struct or array) at the given indentation. */
static void put_group(sbuf *o, const item *x, int indent)
{
    if (x->field->fmt == LIR_FMT_STRUCT)
        put_struct(o, x->field->sub, x->bytes, indent);
    else
        put_array(o, x->field, x->bytes, indent);
}

/* One struct: one line per family of scalar fields; a nested group on
 * lines of its own. */
static void put_struct(sbuf *o, const lir_struct *t, const unsigned char *bytes, int indent)
{
    const int k = t->n_fields;
    item *it = struct_items(t, bytes);
    sb_printf(o, "{\n");
    for (int i = 0; i < k;) {
        put_indent(o, indent + 4);
        if (is_group(&it[i])) {
            sb_printf(o, ".%s = ", it[i].name);
            put_group(o, &it[i], indent + 4);
            sb_printf(o, ",\n");
            i++;
            continue;
        }
        size_t col = (size_t)indent + 4;
        int j = i, rule = FAMILY_NONE;
        do {
            const size_t len = it[j].name_len + 4 + it[j].val_len; /* ".name = value" */
            if (j > i && col + len + 2 > LINE_MAX_COLS)
                break;
            sb_printf(o, "%s.%s = ", j > i ? " " : "", it[j].name);
            sb_put(o, it[j].val, it[j].val_len);
            sb_printf(o, ",");
            col += len + 2;
            j++;
            if (j == i + 1 && j < k)
                rule = family(&it[i], &it[j], FAMILY_NONE);
        } while (j < k && !is_group(&it[j]) && rule != FAMILY_NONE && family(&it[i], &it[j], rule) == rule);
        sb_printf(o, "\n");
        i = j;
    }
    put_indent(o, indent);
    sb_printf(o, "}");
    free_items(it, k);
}

void c_init_print(sbuf *o, const lir_struct *t, const void *v, int indent)
{
    put_struct(o, t, v, indent);
}

static bool needs_math(const lir_struct *t, const unsigned char *bytes)
{
    size_t off = 0;
    for (int i = 0; i < t->n_fields; i++) {
        const lir_field *f = &t->fields[i];
        const int n = f->count > 0 ? f->count : 1;
        for (int e = 0; e < n; e++) {
            const unsigned char *p = bytes + off + (size_t)e * f->size;
            if (f->fmt == LIR_FMT_STRUCT && needs_math(f->sub, p))
                return true;
            if (f->fmt == LIR_FMT_F32 || f->fmt == LIR_FMT_F32_BITS) {
                float x;
                memcpy(&x, p, sizeof x);
                if (isinf(x))
                    return true;
            }
        }
        off += f->size * (size_t)n;
    }
    return false;
}

bool c_init_needs_math_h(const lir_struct *t, const void *v)
{
    return needs_math(t, v);
}
