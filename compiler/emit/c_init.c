/*
 * c_init.c - a kernel's parameter initializer laid out for a reader
 * (c_init.h): one field group a line, nested structs indented, enum
 * constants by name.
 *
 * Relies on the initializer being code Kiln composed (c_code_is_plain): a
 * brace group of ".field = value" items or of bare values, values being
 * numbers, float literals, casts or nested groups; no string, no comment.
 * Only the layout changes: every value is printed as it came (or as the enum
 * constant with that value, taken from the runtime's own headers), in the
 * same order, so the struct it initializes is byte for byte the same.
 * Never sees outside text.
 */
#include "emit/c_init.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "kiln/kernels.h"

enum { LINE_MAX_COLS = 100 };

/* One item of a brace group: ".name = value" (name may be empty) where value
 * is text or a nested group [val, val + len). */
typedef struct item {
    const char *name;
    size_t name_len;
    const char *val;
    size_t val_len;
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
#undef E

/* Which fields hold an enum: (struct type, field).  A field name alone is
 * not enough: kiln_rnn_f32_params.layout is a sequence order, not a
 * KILN_LAYOUT_*. */
typedef struct enum_field {
    const char *type, *field;
    const enum_name *names;
} enum_field;

static const enum_field enum_fields[] = {
    {"kiln_conv_s8_params", "layout", layout_names},
    {"kiln_pool_s8_params", "layout", layout_names},
    {"kiln_conv_f32_params", "layout", layout_names},
    {"kiln_pool_f32_params", "layout", layout_names},
    {"kiln_maxpool_int_params", "layout", layout_names},
    {"kiln_requantize_params", "in_type", qtype_names},
    {"kiln_requantize_params", "out_type", qtype_names},
    {"kiln_requant", "mode", rq_names},
};

/* The struct type of a member that is a struct: (outer type or "*" for
 * every one, member, its type). */
static const char *const member_types[][3] = {
    {"*", "rq", "kiln_requant"},        /* every kiln_requant member is named rq */
    {"kiln_pool_q8_params", "pool", "kiln_pool_s8_params"},
};

static bool span_is(const char *s, size_t n, const char *z)
{
    return strlen(z) == n && !memcmp(s, z, n);
}

static const enum_name *enum_for(const char *type, const char *f, size_t f_len)
{
    for (size_t i = 0; i < sizeof enum_fields / sizeof *enum_fields; i++)
        if (!strcmp(enum_fields[i].type, type) && span_is(f, f_len, enum_fields[i].field))
            return enum_fields[i].names;
    return NULL;
}

static const char *member_type(const char *type, const char *f, size_t f_len)
{
    for (size_t i = 0; i < sizeof member_types / sizeof *member_types; i++)
        if ((!strcmp(member_types[i][0], "*") || !strcmp(member_types[i][0], type)) &&
            span_is(f, f_len, member_types[i][1]))
            return member_types[i][2];
    return "";
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s))
        (*s)++, (*n)--;
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* The items of the group whose text (braces excluded) is [s, s + n). */
static item *split_items(const char *s, size_t n, int *count)
{
    item *it = NULL;
    int k = 0;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        int depth = 0;
        while (i < n && (depth > 0 || s[i] != ',')) {
            depth += s[i] == '{' ? 1 : s[i] == '}' ? -1 : 0;
            i++;
        }
        const char *p = s + start;
        size_t len = i - start;
        i++;                                /* past the comma */
        trim(&p, &len);
        if (!len)
            continue;                       /* a trailing comma */
        item x = {"", 0, p, len};
        if (p[0] == '.') {
            const char *eq = memchr(p, '=', len);
            if (eq) {
                x.name = p + 1;
                x.name_len = (size_t)(eq - p - 1);
                trim(&x.name, &x.name_len);
                x.val = eq + 1;
                x.val_len = len - (size_t)(eq + 1 - p);
                trim(&x.val, &x.val_len);
            }
        }
        it = realloc(it, ((size_t)k + 1) * sizeof *it);
        if (!it)
            abort();
        it[k++] = x;
    }
    *count = k;
    return it;
}

static bool is_group(const item *x)
{
    return x->val_len >= 2 && x->val[0] == '{' && x->val[x->val_len - 1] == '}';
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

/* The value of x as text: the enum constant's name where the field holds an
 * enum and the value is one of its constants, else as given. */
static void put_value(sbuf *o, const char *type, const item *x)
{
    const enum_name *names = x->name_len ? enum_for(type, x->name, x->name_len) : NULL;
    if (names) {
        char buf[32];
        if (x->val_len < sizeof buf) {
            memcpy(buf, x->val, x->val_len);
            buf[x->val_len] = 0;
            char *end;
            long v = strtol(buf, &end, 10);
            if (*buf && !*end)
                for (const enum_name *e = names; e->name; e++)
                    if (e->value == v) {
                        sb_printf(o, "%s", e->name);
                        return;
                    }
        }
    }
    sb_put(o, x->val, x->val_len);
}

static void put_indent(sbuf *o, int indent)
{
    for (int i = 0; i < indent; i++)
        sb_put(o, " ", 1);
}

static void put_group(sbuf *o, const char *type, const char *g, size_t n, int indent);

/* A group of bare values (an array): on one line when it fits, else wrapped. */
static void put_array(sbuf *o, const item *it, int k, int indent)
{
    size_t total = 4;
    for (int i = 0; i < k; i++)
        total += it[i].val_len + 2;
    if ((size_t)indent + total <= LINE_MAX_COLS) {
        sb_printf(o, "{ ");
        for (int i = 0; i < k; i++) {
            sb_printf(o, "%s", i ? ", " : "");
            sb_put(o, it[i].val, it[i].val_len);
        }
        sb_printf(o, " }");
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
}

/* ".name = value" into a scratch buffer (its length decides the line). */
static void field_text(sbuf *t, const char *type, const item *x)
{
    sb_printf(t, ".%.*s = ", (int)x->name_len, x->name);
    put_value(t, type, x);
}

/* A designated group: one line per family of scalar fields; a nested group
 * on lines of its own. */
static void put_fields(sbuf *o, const char *type, const item *it, int k, int indent)
{
    sb_printf(o, "{\n");
    for (int i = 0; i < k;) {
        put_indent(o, indent + 4);
        if (is_group(&it[i])) {
            sb_printf(o, ".%.*s = ", (int)it[i].name_len, it[i].name);
            put_group(o, member_type(type, it[i].name, it[i].name_len), it[i].val + 1, it[i].val_len - 2,
                      indent + 4);
            sb_printf(o, ",\n");
            i++;
            continue;
        }
        size_t col = (size_t)indent + 4;
        int j = i, rule = FAMILY_NONE;
        do {
            sbuf t = {0};
            field_text(&t, type, &it[j]);
            if (j > i && col + t.len + 2 > LINE_MAX_COLS) {
                sb_free(&t);
                break;
            }
            if (j > i)
                sb_printf(o, " ");
            sb_put(o, t.s, t.len);
            sb_printf(o, ",");
            col += t.len + 2;
            sb_free(&t);
            j++;
            if (j == i + 1 && j < k)
                rule = family(&it[i], &it[j], FAMILY_NONE);
        } while (j < k && !is_group(&it[j]) && rule != FAMILY_NONE && family(&it[i], &it[j], rule) == rule);
        sb_printf(o, "\n");
        i = j;
    }
    put_indent(o, indent);
    sb_printf(o, "}");
}

static void put_group(sbuf *o, const char *type, const char *g, size_t n, int indent)
{
    int k;
    item *it = split_items(g, n, &k);
    bool designated = k > 0;
    for (int i = 0; i < k; i++)
        designated = designated && it[i].name_len > 0;
    if (k == 0)
        sb_printf(o, "{0}");
    else if (designated)
        put_fields(o, type, it, k, indent);
    else
        put_array(o, it, k, indent);
    free(it);
}

void c_init_pretty(sbuf *o, const char *ptype, const char *init, int indent)
{
    const char *s = init;
    size_t n = strlen(init);
    trim(&s, &n);
    if (n < 2 || s[0] != '{' || s[n - 1] != '}') {
        sb_put(o, s, n);                    /* not a brace group: as it is */
        return;
    }
    put_group(o, ptype, s + 1, n - 2, indent);
}
