/*
 * cut_dev.c - injected loss of the link to a target (see cut_dev.h).
 * Deterministic for a given spec and seed.  Reads pass through until the cut.
 */
#include "flash/cut_dev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static flash_rc gone(cut_dev *c)
{
    c->cut = true;
    snprintf(c->dev.err, sizeof c->dev.err, "simulated loss of the link to the target (after %llu "
             "operations, %llu bytes; --inject-power-cut)", (unsigned long long)c->ops,
             (unsigned long long)c->bytes);
    return FLASH_E_POWER;
}

static flash_rc pass(cut_dev *c, flash_rc rc)
{
    if (rc != FLASH_OK)
        snprintf(c->dev.err, sizeof c->dev.err, "%s", c->inner->err);
    return rc;
}

static uint32_t next_rand(cut_dev *c)
{
    c->rng = c->rng * 1103515245u + 12345u;
    return c->rng >> 8;
}

static flash_rc cd_read(flash_dev *d, uint32_t off, void *buf, uint32_t len)
{
    cut_dev *c = (cut_dev *)d;
    return c->cut ? gone(c) : pass(c, c->inner->read(c->inner, off, buf, len));
}

static flash_rc cd_prog(flash_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    cut_dev *c = (cut_dev *)d;
    if (c->cut)
        return gone(c);
    uint64_t keep = len;
    if (c->ops == c->cut_ops)
        keep = len ? next_rand(c) % len : 0;
    if (c->cut_bytes - c->bytes < keep)
        keep = c->cut_bytes - c->bytes;
    if (keep < len) {
        /* The prefix that made it out before the link went. */
        if (keep && pass(c, c->inner->prog(c->inner, off, buf, (uint32_t)keep)) != FLASH_OK)
            return FLASH_E_IO;
        c->bytes += keep;
        return gone(c);
    }
    flash_rc rc = pass(c, c->inner->prog(c->inner, off, buf, len));
    c->ops++;
    c->bytes += len;
    return rc;
}

static flash_rc cd_erase(flash_dev *d, uint32_t off, uint32_t len)
{
    cut_dev *c = (cut_dev *)d;
    if (c->cut || c->ops == c->cut_ops || c->cut_bytes - c->bytes < len)
        return gone(c);
    flash_rc rc = pass(c, c->inner->erase(c->inner, off, len));
    c->ops++;
    c->bytes += len;
    return rc;
}

static flash_rc cd_sync(flash_dev *d)
{
    cut_dev *c = (cut_dev *)d;
    if (c->cut)
        return gone(c);
    return c->inner->sync ? pass(c, c->inner->sync(c->inner)) : FLASH_OK;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long n = strtoull(s, &end, 10);
    *v = n;
    return *end == '\0';
}

bool cut_dev_init(cut_dev *c, flash_dev *inner, const char *spec, uint32_t seed)
{
    memset(c, 0, sizeof *c);
    c->cut_ops = c->cut_bytes = UINT64_MAX;
    uint64_t n;
    if (!strncmp(spec, "ops:", 4) && parse_u64(spec + 4, &n))
        c->cut_ops = n;
    else if (!strncmp(spec, "bytes:", 6) && parse_u64(spec + 6, &n))
        c->cut_bytes = n;
    else
        return false;
    c->inner = inner;
    c->rng = seed * 2654435761u + 1u;
    flash_dev *d = &c->dev;
    *d = *inner;
    d->err[0] = '\0';
    d->read = cd_read;
    d->prog = cd_prog;
    d->erase = cd_erase;
    d->sync = inner->sync ? cd_sync : NULL;
    d->ctx = c;
    return true;
}
