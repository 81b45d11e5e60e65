/*
 * nor_sim.c - the NOR flash simulator behind flash_dev (see nor_sim.h for
 * the rules it keeps).
 *
 * Works on a caller-owned byte array, so the caller decides whether it is a
 * device image loaded from a file (cli_flash.c writes it back atomically) or
 * a test's scratch buffer.  Never touches a file, never prints.
 */
#include "flash/nor_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

void nor_config_from_board(nor_config *c, const board *b)
{
    memset(c, 0, sizeof *c);
    c->size = b->size;
    c->page_size = b->page_size;
    c->subsector_size = b->subsector_size;
    c->sector_size = b->sector_size;
    c->erase_value = b->erase_value;
    c->page_program = b->page_program;
    c->subsector_erase = b->subsector_erase;
    c->sector_erase = b->sector_erase;
    c->chip_erase = b->chip_erase;
}

static uint32_t next_random(nor_sim *s)
{
    /* xorshift32: enough to scatter cut points and torn bits. */
    uint32_t x = s->rng ? s->rng : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    return x;
}

static void add_time(nor_sim *s, board_time t)
{
    s->st.typ_ms += t.typ_ms;
    s->st.max_ms += t.max_ms;
}

/* How many of the `n` bytes of the operation starting now complete before the
 * power is cut; n when it is not cut. */
static uint64_t bytes_before_cut(nor_sim *s, uint64_t n)
{
    uint64_t k = n;
    if (s->st.ops == s->cut_ops)
        k = n ? next_random(s) % n : 0;
    if (s->cut_bytes != UINT64_MAX && s->bytes_done + n > s->cut_bytes) {
        uint64_t left = s->cut_bytes - s->bytes_done;
        if (left < k)
            k = left;
    }
    return k;
}

/* The bits of `from` that differ from `to`, a random subset of them changed:
 * what a cell reads when its program or erase pulse was cut short. */
static uint8_t torn_byte(nor_sim *s, uint8_t from, uint8_t to)
{
    uint8_t m = (uint8_t)(next_random(s) & (uint32_t)(from ^ to));
    return (uint8_t)((from & ~m) | (to & m));
}

static flash_rc powered_off(nor_sim *s)
{
    snprintf(s->dev.err, sizeof s->dev.err,
             "simulated power loss: the device is off (cut after %llu operations, %llu bytes)",
             (unsigned long long)s->st.ops, (unsigned long long)s->bytes_done);
    return FLASH_E_POWER;
}

static flash_rc sim_read(flash_dev *d, uint32_t off, void *buf, uint32_t len)
{
    nor_sim *s = (nor_sim *)d;
    if (s->off)
        return powered_off(s);
    if (off > s->cfg.size || len > s->cfg.size - off) {
        snprintf(d->err, sizeof d->err,
                 "read of %u bytes at offset 0x%x runs past the %u-byte device", len, off,
                 s->cfg.size);
        return FLASH_E_RANGE;
    }
    memcpy(buf, s->mem + off, len);
    return FLASH_OK;
}

static flash_rc sim_prog(flash_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    nor_sim *s = (nor_sim *)d;
    const uint8_t *data = buf;
    if (s->off)
        return powered_off(s);
    if (off >= s->cfg.size || len == 0) {
        snprintf(d->err, sizeof d->err, "page program of %u bytes at offset 0x%x: outside the "
                 "%u-byte device or empty", len, off, s->cfg.size);
        return FLASH_E_RANGE;
    }
    uint32_t page = s->cfg.page_size;
    uint32_t page_start = off - off % page, col = off % page;
    /* A chip sent more than a page keeps only the last page's worth. */
    uint32_t skip = len > page ? len - page : 0;
    uint64_t n = len - skip;
    uint64_t done = bytes_before_cut(s, n);
    for (uint64_t i = 0; i < done; i++) {
        uint32_t at = page_start + (uint32_t)((col + skip + i) % page);
        s->mem[at] &= data[skip + i];
    }
    s->st.ops++;
    s->st.progs++;
    s->st.prog_bytes += done;
    s->bytes_done += done;
    add_time(s, s->cfg.page_program);
    if (done < n) {
        uint32_t at = page_start + (uint32_t)((col + skip + done) % page);
        s->mem[at] = torn_byte(s, s->mem[at], (uint8_t)(s->mem[at] & data[skip + done]));
        s->off = true;
        return powered_off(s);
    }
    return FLASH_OK;
}

static flash_rc sim_erase(flash_dev *d, uint32_t off, uint32_t len)
{
    nor_sim *s = (nor_sim *)d;
    const nor_config *c = &s->cfg;
    if (s->off)
        return powered_off(s);
    bool chip = off == 0 && len == c->size;
    bool unit = (len == c->subsector_size || len == c->sector_size) && off % len == 0 &&
                off < c->size && len <= c->size - off;
    if (!chip && !unit) {
        snprintf(d->err, sizeof d->err,
                 "erase of %u bytes at offset 0x%x: this chip erases aligned %u-byte subsectors, "
                 "aligned %u-byte sectors or the whole chip", len, off, c->subsector_size,
                 c->sector_size);
        return FLASH_E_RANGE;
    }
    uint64_t done = bytes_before_cut(s, len);
    memset(s->mem + off, c->erase_value, (size_t)done);
    for (uint32_t u = off / c->subsector_size; u < (off + len) / c->subsector_size; u++)
        s->erase_count[u]++;
    s->st.ops++;
    s->st.erase_bytes += done;
    s->bytes_done += done;
    if (chip) {
        s->st.erases_chip++;
        add_time(s, c->chip_erase);
    } else if (len == c->subsector_size) {
        s->st.erases_sub++;
        add_time(s, c->subsector_erase);
    } else {
        s->st.erases_sector++;
        add_time(s, c->sector_erase);
    }
    if (done < len) {
        uint8_t *p = s->mem + off + done;
        *p = torn_byte(s, *p, c->erase_value);
        s->off = true;
        return powered_off(s);
    }
    return FLASH_OK;
}

void nor_sim_init(nor_sim *s, const nor_config *c, uint8_t *mem, uint64_t base)
{
    memset(s, 0, sizeof *s);
    s->cfg = *c;
    s->mem = mem;
    s->erase_count = xcalloc(c->size / c->subsector_size, sizeof *s->erase_count);
    s->cut_ops = s->cut_bytes = UINT64_MAX;
    s->dev.base = base;
    s->dev.size = c->size;
    s->dev.page_size = c->page_size;
    s->dev.erase_small = c->subsector_size;
    s->dev.erase_large = c->sector_size;
    s->dev.erase_value = c->erase_value;
    s->dev.read = sim_read;
    s->dev.prog = sim_prog;
    s->dev.erase = sim_erase;
    s->dev.sync = NULL;
    s->dev.ctx = s;
}

void nor_sim_free(nor_sim *s)
{
    free(s->erase_count);
    s->erase_count = NULL;
}

void nor_sim_cut_after_ops(nor_sim *s, uint64_t n, uint32_t seed)
{
    s->cut_ops = n;
    s->rng = seed;
}

void nor_sim_cut_after_bytes(nor_sim *s, uint64_t n, uint32_t seed)
{
    s->cut_bytes = n;
    s->rng = seed;
}

uint32_t nor_sim_max_erase_count(const nor_sim *s)
{
    uint32_t m = 0;
    for (uint32_t u = 0; u < s->cfg.size / s->cfg.subsector_size; u++)
        if (s->erase_count[u] > m)
            m = s->erase_count[u];
    return m;
}
