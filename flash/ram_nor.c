/*
 * ram_nor.c - NOR erase semantics over memory written in place: erase()
 * writes the erase value over whole aligned units, prog() passes through.
 * Never widens an erase past the unit it was given, so bytes outside the
 * unit (the live slot, the other record area) are never rewritten.
 */
#include "flash/ram_nor.h"

#include <stdio.h>
#include <string.h>

static flash_rc pass_err(ram_nor *rn, flash_rc rc)
{
    if (rc != FLASH_OK)
        snprintf(rn->dev.err, sizeof rn->dev.err, "%s", rn->inner->err);
    return rc;
}

static flash_rc rn_read(flash_dev *d, uint32_t off, void *buf, uint32_t len)
{
    ram_nor *rn = (ram_nor *)d;
    return pass_err(rn, rn->inner->read(rn->inner, off, buf, len));
}

static flash_rc rn_prog(flash_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    ram_nor *rn = (ram_nor *)d;
    return pass_err(rn, rn->inner->prog(rn->inner, off, buf, len));
}

/* Erases [off, off + len) of whole units (a chip erase is off 0, len size):
 * writes the erase value a page at a time, the size of one prog(). */
static flash_rc rn_erase(flash_dev *d, uint32_t off, uint32_t len)
{
    ram_nor *rn = (ram_nor *)d;
    if (off % d->erase_small || len % d->erase_small || off > d->size || len > d->size - off) {
        snprintf(d->err, sizeof d->err, "erase of 0x%llx + %u is not whole %u-byte units inside "
                 "the region", (unsigned long long)(d->base + off), len, d->erase_small);
        return FLASH_E_RANGE;
    }
    uint8_t ff[4096];
    memset(ff, d->erase_value, sizeof ff);
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < sizeof ff ? len - done : (uint32_t)sizeof ff;
        flash_rc rc = rn->inner->prog(rn->inner, off + done, ff, n);
        if (rc != FLASH_OK)
            return pass_err(rn, rc);
        done += n;
    }
    return FLASH_OK;
}

static flash_rc rn_sync(flash_dev *d)
{
    ram_nor *rn = (ram_nor *)d;
    return rn->inner->sync ? pass_err(rn, rn->inner->sync(rn->inner)) : FLASH_OK;
}

void ram_nor_init(ram_nor *rn, flash_dev *inner, const board *b)
{
    memset(rn, 0, sizeof *rn);
    rn->inner = inner;
    flash_dev *d = &rn->dev;
    d->base = inner->base;
    d->size = inner->size;
    d->page_size = b->page_size;
    d->erase_small = b->subsector_size;
    d->erase_large = b->sector_size ? b->sector_size : b->subsector_size;
    d->erase_value = b->erase_value;
    d->read = rn_read;
    d->prog = rn_prog;
    d->erase = rn_erase;
    d->sync = rn_sync;
    d->ctx = rn;
}
