/*
 * program.c - erase/program planning: the least work that turns what the
 * device holds into what it must hold.
 *
 * Each smallest erase unit (subsector) in the span is one of:
 *   unchanged  - already holds the wanted bytes: no operation at all;
 *   prog-only  - every page that must change is still erased: program those
 *                pages, no erase (programming over erased cells is what every
 *                NOR part allows; programming over programmed ones is not
 *                relied on, some parts forbid it);
 *   erase      - erase, then program the pages that are not all erase_value.
 * A sector whose subsectors all need erasing gets one sector erase instead
 * (faster on every chip in boards/).  Operations are emitted in address
 * order, each erase just before the programs of its unit.  Relies only on
 * flash_dev; never knows whether a simulator or a GDB target is behind it.
 */
#include "flash/program.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "util/sbuf.h"

enum { UNIT_UNCHANGED, UNIT_PROG, UNIT_ERASE };

/* Program chunk for devices without pages (RAM): big enough to be quick over
 * GDB, small enough for a smooth progress bar. */
#define RAM_CHUNK 4096u

static void add_op(flash_plan *p, flash_op_kind k, uint32_t off, uint32_t len)
{
    if (p->nops == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->ops = xrealloc(p->ops, (size_t)p->cap * sizeof *p->ops);
    }
    p->ops[p->nops++] = (flash_op){k, off, len};
    if (k == FLASH_OP_PROG) {
        p->progs++;
        p->prog_bytes += len;
    } else if (k == FLASH_OP_ERASE_SMALL) {
        p->erases_small++;
    } else if (k == FLASH_OP_ERASE_LARGE) {
        p->erases_large++;
    } else {
        p->erases_chip++;
    }
    p->work += len;
}

static bool all_are(const uint8_t *p, uint32_t n, uint8_t v)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

flash_rc flash_read_range(flash_dev *d, uint32_t off, uint8_t *buf, uint32_t len,
                          flash_progress_fn progress, void *ctx)
{
    const uint32_t chunk = 64 * 1024;
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < chunk ? len - done : chunk;
        flash_rc rc = d->read(d, off + done, buf + done, n);
        if (rc != FLASH_OK)
            return rc;
        done += n;
        if (progress)
            progress(ctx, done, len);
    }
    return FLASH_OK;
}

static bool check_range(const flash_dev *d, uint32_t off, uint32_t len, char *err, size_t errlen)
{
    if (off > d->size || len > d->size - off) {
        snprintf(err, errlen,
                 "%u bytes at 0x%llx do not fit: the device spans 0x%llx..0x%llx (%u bytes)",
                 len, (unsigned long long)(d->base + off), (unsigned long long)d->base,
                 (unsigned long long)(d->base + d->size), d->size);
        return false;
    }
    return true;
}

/* Emits page programs for [from, to) of the span, page by page, trimmed to
 * the bytes that matter: those differing from `old` (prog-only), those not
 * erase_value (after an erase), or all of them (`old` NULL: RAM). */
static void emit_progs(flash_plan *p, const flash_dev *d, const uint8_t *old, uint32_t from,
                       uint32_t to, bool erased)
{
    uint32_t page = d->page_size ? d->page_size : RAM_CHUNK;
    for (uint32_t a = from; a < to; a = a - a % page + page) {
        uint32_t end = a - a % page + page;
        if (end > to)
            end = to;
        const uint8_t *w = p->want + (a - p->lo), *o = old ? old + (a - p->lo) : NULL;
        uint32_t n = end - a, first = n, last = 0;
        for (uint32_t i = 0; i < n; i++) {
            bool needed = !o || (erased ? w[i] != d->erase_value : w[i] != o[i]);
            if (needed) {
                if (first == n)
                    first = i;
                last = i;
            }
        }
        if (first < n)
            add_op(p, FLASH_OP_PROG, a + first, last - first + 1);
    }
}

/* The core planner: `p->want` holds the wanted span content, `old` the
 * current one. */
static void plan_nor(flash_plan *p, const flash_dev *d, const uint8_t *old)
{
    uint32_t s = d->erase_small, L = d->erase_large ? d->erase_large : s;
    uint32_t page = d->page_size ? d->page_size : s;
    uint32_t nunits = (p->hi - p->lo) / s;
    uint8_t *state = xmalloc(nunits ? nunits : 1);

    p->units = nunits;
    for (uint32_t u = 0; u < nunits; u++) {
        uint32_t a = u * s;
        const uint8_t *w = p->want + a, *o = old + a;
        if (!memcmp(w, o, s)) {
            state[u] = UNIT_UNCHANGED;
            p->units_unchanged++;
            continue;
        }
        state[u] = UNIT_PROG;
        for (uint32_t pg = 0; pg < s; pg += page)
            if (memcmp(w + pg, o + pg, page) && !all_are(o + pg, page, d->erase_value)) {
                state[u] = UNIT_ERASE;
                break;
            }
        if (state[u] == UNIT_PROG)
            p->units_prog_only++;
    }

    for (uint32_t u = 0; u < nunits;) {
        uint32_t a = p->lo + u * s;
        /* A whole sector to erase, inside the span: one large erase. */
        if (L > s && a % L == 0 && a + L <= p->hi) {
            uint32_t per = L / s, k = 0;
            while (k < per && state[u + k] == UNIT_ERASE)
                k++;
            if (k == per) {
                add_op(p, FLASH_OP_ERASE_LARGE, a, L);
                emit_progs(p, d, old, a, a + L, true);
                u += per;
                continue;
            }
        }
        if (state[u] == UNIT_ERASE) {
            add_op(p, FLASH_OP_ERASE_SMALL, a, s);
            emit_progs(p, d, old, a, a + s, true);
        } else if (state[u] == UNIT_PROG) {
            emit_progs(p, d, old, a, a + s, false);
        }
        u++;
    }
    free(state);
}

bool flash_plan_write(flash_dev *d, uint32_t off, const uint8_t *data, uint32_t len,
                      flash_plan *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (!check_range(d, off, len, err, errlen))
        return false;
    if (d->erase_small == 0) {
        /* RAM: nothing to erase, nothing worth reading first. */
        p->in_place = true;
        p->lo = off;
        p->hi = off + len;
        p->want = xmalloc(len ? len : 1);
        memcpy(p->want, data, len);
        emit_progs(p, d, NULL, off, off + len, false);
        return true;
    }
    uint32_t s = d->erase_small;
    p->lo = off - off % s;
    p->hi = (uint32_t)(((uint64_t)off + len + s - 1) / s * s);
    if (p->hi > d->size)
        p->hi = d->size;
    uint32_t span = p->hi - p->lo;
    uint8_t *old = xmalloc(span ? span : 1);
    flash_rc rc = flash_read_range(d, p->lo, old, span, NULL, NULL);
    if (rc != FLASH_OK) {
        snprintf(err, errlen, "reading the device before writing: %s", d->err);
        free(old);
        return false;
    }
    p->want = xmalloc(span ? span : 1);
    memcpy(p->want, old, span);
    memcpy(p->want + (off - p->lo), data, len);
    plan_nor(p, d, old);
    free(old);
    return true;
}

bool flash_plan_erase(flash_dev *d, uint32_t off, uint32_t len, bool chip, flash_plan *p,
                      char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (d->erase_small == 0) {
        snprintf(err, errlen, "this memory has no erase operation (RAM)");
        return false;
    }
    if (chip) {
        off = 0;
        len = d->size;
    }
    if (!check_range(d, off, len, err, errlen))
        return false;
    if (off % d->erase_small || len % d->erase_small) {
        snprintf(err, errlen,
                 "erase range 0x%llx + %u is not aligned to the chip's %u-byte erase unit",
                 (unsigned long long)(d->base + off), len, d->erase_small);
        return false;
    }
    p->lo = off;
    p->hi = off + len;
    uint8_t *old = xmalloc(len ? len : 1);
    if (flash_read_range(d, off, old, len, NULL, NULL) != FLASH_OK) {
        snprintf(err, errlen, "reading the device before erasing: %s", d->err);
        free(old);
        return false;
    }
    p->want = xmalloc(len ? len : 1);
    memset(p->want, d->erase_value, len);
    if (chip) {
        p->units = len / d->erase_small;
        if (all_are(old, len, d->erase_value))
            p->units_unchanged = p->units;
        else
            add_op(p, FLASH_OP_ERASE_CHIP, 0, len);
    } else {
        plan_nor(p, d, old);
    }
    free(old);
    return true;
}

flash_rc flash_plan_run(flash_dev *d, const flash_plan *p, flash_progress_fn progress, void *ctx)
{
    uint64_t done = 0;
    for (int i = 0; i < p->nops; i++) {
        const flash_op *op = &p->ops[i];
        flash_rc rc;
        if (op->kind == FLASH_OP_PROG)
            rc = d->prog(d, op->off, p->want + (op->off - p->lo), op->len);
        else
            rc = d->erase(d, op->off, op->len);
        if (rc != FLASH_OK)
            return rc;
        done += op->len;
        if (progress)
            progress(ctx, done, p->work);
    }
    return d->sync ? d->sync(d) : FLASH_OK;
}

void flash_plan_free(flash_plan *p)
{
    free(p->want);
    free(p->ops);
    memset(p, 0, sizeof *p);
}

void flash_plan_time(const flash_plan *p, const board *b, double *typ_ms, double *max_ms)
{
    *typ_ms = p->progs * b->page_program.typ_ms + p->erases_small * b->subsector_erase.typ_ms +
              p->erases_large * b->sector_erase.typ_ms + p->erases_chip * b->chip_erase.typ_ms;
    *max_ms = p->progs * b->page_program.max_ms + p->erases_small * b->subsector_erase.max_ms +
              p->erases_large * b->sector_erase.max_ms + p->erases_chip * b->chip_erase.max_ms;
}

void flash_time_full_rewrite(const board *b, uint32_t off, uint32_t len, double *typ_ms,
                             double *max_ms)
{
    flash_plan p;
    memset(&p, 0, sizeof p);
    uint32_t s = b->subsector_size, L = b->sector_size;
    uint64_t lo = off - off % s, hi = ((uint64_t)off + len + s - 1) / s * s;
    for (uint64_t a = lo; a < hi;) {
        if (a % L == 0 && a + L <= hi) {
            p.erases_large++;
            a += L;
        } else {
            p.erases_small++;
            a += s;
        }
    }
    uint64_t first = off / b->page_size;
    uint64_t last = ((uint64_t)off + len + b->page_size - 1) / b->page_size;
    p.progs = (uint32_t)(last - first);
    flash_plan_time(&p, b, typ_ms, max_ms);
}

flash_rc flash_compare(flash_dev *d, uint32_t off, const uint8_t *data, uint32_t len, bool *same,
                       uint32_t *first_diff, uint64_t *ndiff, uint32_t *crc, uint8_t *found_byte)
{
    const uint32_t chunk = 64 * 1024;
    uint8_t *buf = xmalloc(chunk);
    *same = true;
    *first_diff = 0;
    *ndiff = 0;
    *crc = 0;
    *found_byte = 0;
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < chunk ? len - done : chunk;
        flash_rc rc = d->read(d, off + done, buf, n);
        if (rc != FLASH_OK) {
            free(buf);
            return rc;
        }
        *crc = kiln_crc32(*crc, buf, n);
        for (uint32_t i = 0; i < n; i++)
            if (buf[i] != data[done + i]) {
                if (*same) {
                    *first_diff = done + i;
                    *found_byte = buf[i];
                }
                *same = false;
                (*ndiff)++;
            }
        done += n;
    }
    free(buf);
    return FLASH_OK;
}
