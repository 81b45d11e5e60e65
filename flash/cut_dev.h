/*
 * cut_dev.h - a lost link to the target, injected: after N operations (or N
 * bytes) every call fails, the way an update over a probe ends when the
 * power goes, the cable comes out or the host dies.
 *
 * Wraps any flash_dev (a GDB target, typically).  The operation the cut
 * falls in is done in part: a program sends only a prefix of its bytes (a
 * random length for ops:N, the exact count for bytes:N); an erase is not
 * sent (a GDB server runs an erase as one command).  Nothing after it is
 * sent, not even the closing sync, so a GDB server's buffered flash writes
 * are left to what the server does with a dropped connection.  The NOR
 * simulator has its own, finer cuts (nor_sim.h); this is for real links.
 */
#ifndef KILN_FLASH_CUT_DEV_H
#define KILN_FLASH_CUT_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "flash/flash_dev.h"

typedef struct cut_dev {
    flash_dev dev;          /* first member: the callbacks get &c->dev */
    flash_dev *inner;
    uint64_t cut_ops;       /* ops that complete before the cut (UINT64_MAX: never) */
    uint64_t cut_bytes;     /* bytes that complete before the cut (UINT64_MAX: never) */
    uint64_t ops, bytes;    /* done so far */
    uint32_t rng;
    bool cut;               /* the link is gone */
} cut_dev;

/* Parses "ops:N" or "bytes:N" (false when it is neither) and wraps inner. */
bool cut_dev_init(cut_dev *c, flash_dev *inner, const char *spec, uint32_t seed);

#endif
