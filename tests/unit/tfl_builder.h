/*
 * tfl_builder.h - writes small TFLite (schema v3) models for tests.
 *
 * A test describes tensors, buffers and operators in plain structs; this
 * lays them out with fb_builder.h using the field numbers of
 * tensorflow/lite/schema/schema.fbs (written here independently of the
 * importer's own tables, so a wrong field number in either shows up as a
 * failing test).  One OperatorCode per operator; subgraph 0 plus, for IF
 * branches, the further subgraphs of tb_model.subs.
 */
#ifndef KILN_TEST_TFL_BUILDER_H
#define KILN_TEST_TFL_BUILDER_H

#include <stdio.h>

#include "unit/fb_builder.h"

typedef struct tb_tensor {
    const char *name;
    int type;                   /* TensorType: 0 FLOAT32, 2 INT32, 7 INT16, 9 INT8 */
    int rank;
    int32_t shape[6];
    int buffer;                 /* index into tb_model.bufs; 0 = no data */
    int nq;                     /* number of scales, 0 = no quantization table */
    float scale[8];
    int64_t zp[8];
    int qdim;
    int is_variable;            /* Tensor.is_variable (field 5), written only when set */
    int sig_rank;               /* Tensor.shape_signature (field 7), written when > 0 */
    int32_t sig[6];
} tb_tensor;

typedef struct tb_op {
    int builtin, version;
    int nin, in[8];
    int nout, out[8];
    int opt_type;               /* BuiltinOptions union member, 0 = none */
    int nopt;
    fbb_field opt[8];           /* scalar fields of the options table */
    const char *custom;         /* custom_code for CUSTOM (32) */
} tb_op;

typedef struct tb_buf {
    const void *data;
    size_t len;
    bool external;              /* stored after the flatbuffer (Buffer.offset/size) */
} tb_buf;

typedef struct tb_model {
    int ntensors;
    const tb_tensor *tensors;
    int nops;
    const tb_op *ops;
    int nbufs;                  /* buffer 0 is the empty sentinel; bufs[0] ignored */
    const tb_buf *bufs;
    int nin, in[4];
    int nout, out[8];
    int nsubs;                  /* further subgraphs (IF branches): their tensors, ops, */
    const struct tb_model *subs;  /* inputs and outputs; buffers are the main model's */
} tb_model;

static size_t tb_i32vec(fbb *b, int n, const int32_t *v) { return fbb_vec(b, 4, (size_t)n, v); }

static size_t tb_tensor_table(fbb *b, const tb_tensor *t)
{
    fbb_field f[7] = {{0, FBB_REF, 0, 0}, {1, 1, (uint64_t)t->type, 0},
                      {2, 4, (uint64_t)t->buffer, 0}, {3, FBB_REF, 0, 0}, {4, FBB_REF, 0, 0},
                      {5, 1, 1, 0}};
    int nf = t->nq ? 5 : 4;
    if (t->is_variable) {
        if (!t->nq)
            f[4] = f[5];
        nf++;
    }
    int sig = -1;
    if (t->sig_rank > 0) {
        sig = nf++;
        f[sig] = (fbb_field){7, FBB_REF, 0, 0};
    }
    size_t tab = fbb_table(b, nf, f);
    fbb_patch(b, f[0].pos, tb_i32vec(b, t->rank, t->shape));
    if (sig >= 0)
        fbb_patch(b, f[sig].pos, tb_i32vec(b, t->sig_rank, t->sig));
    fbb_patch(b, f[3].pos, fbb_str(b, t->name));
    if (t->nq) {
        fbb_field q[3] = {{2, FBB_REF, 0, 0}, {3, FBB_REF, 0, 0}, {6, 4, (uint64_t)t->qdim, 0}};
        fbb_patch(b, f[4].pos, fbb_table(b, 3, q));
        fbb_patch(b, q[0].pos, fbb_vec(b, 4, (size_t)t->nq, t->scale));
        fbb_patch(b, q[1].pos, fbb_vec(b, 8, (size_t)t->nq, t->zp));
    }
    return tab;
}

static size_t tb_op_table(fbb *b, const tb_op *op, int index)
{
    fbb_field f[5] = {{0, 4, (uint64_t)index, 0}, {1, FBB_REF, 0, 0}, {2, FBB_REF, 0, 0},
                      {3, 1, (uint64_t)op->opt_type, 0}, {4, FBB_REF, 0, 0}};
    size_t tab = fbb_table(b, op->opt_type ? 5 : 3, f);
    fbb_patch(b, f[1].pos, tb_i32vec(b, op->nin, op->in));
    fbb_patch(b, f[2].pos, tb_i32vec(b, op->nout, op->out));
    if (op->opt_type) {
        fbb_field o[8];
        memcpy(o, op->opt, sizeof o);
        if (op->nopt == 0) {            /* an options table with no fields set */
            fbb_patch(b, f[4].pos, fbb_table(b, 0, o));
        } else {
            fbb_patch(b, f[4].pos, fbb_table(b, op->nopt, o));
        }
    }
    return tab;
}

/* Returns the file bytes (malloc'd) and their length. */
static uint8_t *tb_build(const tb_model *m, size_t *len)
{
    fbb b;
    fbb_start(&b, "TFL3");
    fbb_field mf[4] = {{0, 4, 3, 0}, {1, FBB_REF, 0, 0}, {2, FBB_REF, 0, 0}, {4, FBB_REF, 0, 0}};
    size_t root = fbb_table(&b, 4, mf);

    /* One OperatorCode per operator, over every subgraph in order. */
    const int nsg = 1 + m->nsubs;
    int total = 0;
    for (int s = 0; s < nsg; s++)
        total += (s ? &m->subs[s - 1] : m)->nops;
    size_t codes = fbb_refvec(&b, (size_t)total);
    fbb_patch(&b, mf[1].pos, codes);
    for (int s = 0, at = 0; s < nsg; s++) {
        const tb_model *sm = s ? &m->subs[s - 1] : m;
        for (int i = 0; i < sm->nops; i++, at++) {
            const tb_op *op = &sm->ops[i];
            int dep = op->builtin < 127 ? op->builtin : 127;
            fbb_field oc[4] = {{0, 1, (uint64_t)dep, 0}, {2, 4, (uint64_t)op->version, 0},
                               {3, 4, (uint64_t)op->builtin, 0}, {1, FBB_REF, 0, 0}};
            fbb_patch_elem(&b, codes, (size_t)at, fbb_table(&b, op->custom ? 4 : 3, oc));
            if (op->custom)
                fbb_patch(&b, oc[3].pos, fbb_str(&b, op->custom));
        }
    }

    size_t sgs = fbb_refvec(&b, (size_t)nsg);
    fbb_patch(&b, mf[2].pos, sgs);
    for (int s = 0, at = 0; s < nsg; s++) {
        const tb_model *sm = s ? &m->subs[s - 1] : m;
        fbb_field sf[4] = {{0, FBB_REF, 0, 0}, {1, FBB_REF, 0, 0}, {2, FBB_REF, 0, 0}, {3, FBB_REF, 0, 0}};
        fbb_patch_elem(&b, sgs, (size_t)s, fbb_table(&b, 4, sf));
        size_t tv = fbb_refvec(&b, (size_t)sm->ntensors);
        fbb_patch(&b, sf[0].pos, tv);
        for (int i = 0; i < sm->ntensors; i++)
            fbb_patch_elem(&b, tv, (size_t)i, tb_tensor_table(&b, &sm->tensors[i]));
        fbb_patch(&b, sf[1].pos, tb_i32vec(&b, sm->nin, sm->in));
        fbb_patch(&b, sf[2].pos, tb_i32vec(&b, sm->nout, sm->out));
        size_t ov = fbb_refvec(&b, (size_t)sm->nops);
        fbb_patch(&b, sf[3].pos, ov);
        for (int i = 0; i < sm->nops; i++, at++)
            fbb_patch_elem(&b, ov, (size_t)i, tb_op_table(&b, &sm->ops[i], at));
    }

    int nb = m->nbufs > 0 ? m->nbufs : 1;
    size_t bv = fbb_refvec(&b, (size_t)nb);
    fbb_patch(&b, mf[3].pos, bv);
    size_t ext_field[16] = {0};
    for (int i = 0; i < nb; i++) {
        fbb_field bf[1] = {{0, FBB_REF, 0, 0}};
        bool has = i > 0 && m->bufs && m->bufs[i].len > 0;
        fbb_field none[1];
        if (has && m->bufs[i].external && i < 16) {
            /* Buffer { offset: ulong (id 1), size: ulong (id 2) }: offset filled below */
            fbb_field ef[2] = {{1, 8, 0, 0}, {2, 8, m->bufs[i].len, 0}};
            fbb_patch_elem(&b, bv, (size_t)i, fbb_table(&b, 2, ef));
            ext_field[i] = ef[0].pos;
            continue;
        }
        fbb_patch_elem(&b, bv, (size_t)i, has ? fbb_table(&b, 1, bf) : fbb_table(&b, 0, none));
        if (has)
            fbb_patch(&b, bf[0].pos, fbb_vec(&b, 1, m->bufs[i].len, m->bufs[i].data));
    }
    fbb_finish(&b, root);
    for (int i = 0; i < nb && i < 16; i++) {
        if (!ext_field[i])
            continue;
        fbb_align(&b, 16);
        size_t at = b.len;
        fbb_put(&b, m->bufs[i].data, m->bufs[i].len);
        for (int k = 0; k < 8; k++)
            b.buf[ext_field[i] + (size_t)k] = (uint8_t)((uint64_t)at >> (8 * k));
    }
    *len = b.len;
    return b.buf;
}

/* Builds m and writes it to dir/name; prints why on failure. */
static inline bool tb_write(const tb_model *m, const char *dir, const char *name)
{
    size_t len;
    uint8_t *bytes = tb_build(m, &len);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(bytes, 1, len, f) == len;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(bytes);
    if (!ok)
        fprintf(stderr, "cannot write %s\n", path);
    return ok;
}

#endif
