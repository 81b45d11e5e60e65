/*
 * flash_dev.h - one struct of callbacks in front of every kind of storage the
 * flash programmer writes: the NOR simulator (nor_sim.c), a target reached
 * through a GDB server (gdb_rsp.c), and whatever comes next (a J-Link, a
 * serial bootloader).
 *
 * Modelled on littlefs's `lfs_config`: geometry plus read/prog/erase.  The
 * planner (program.c) and the A/B updater (ab_update.c) see only this struct,
 * never which implementation is behind it.  Offsets are from the start of the
 * device; `base` is the address where offset 0 appears in the target's memory
 * map and is used only for messages and for GDB packets.
 *
 * The rules every implementation keeps, and every caller may rely on:
 *   - prog() is one page-program command: `len` bytes starting at `off`, not
 *     crossing a page boundary (callers split at page boundaries);
 *   - on NOR, prog() can only clear bits; erase() sets a whole aligned unit
 *     of `erase_small`, `erase_large` or (off 0, len size) the chip to
 *     `erase_value`;
 *   - `erase_small` == 0 means the memory is written in place (RAM, PSRAM):
 *     no erase exists and prog() stores bytes as given;
 *   - a callback that fails leaves a message in `err` and returns non-OK.
 */
#ifndef KILN_FLASH_DEV_H
#define KILN_FLASH_DEV_H

#include <stdint.h>

typedef enum flash_rc {
    FLASH_OK = 0,
    FLASH_E_RANGE,      /* offset/length outside the device or not aligned to its units */
    FLASH_E_IO,         /* the target refused or did not answer (message in err) */
    FLASH_E_POWER       /* simulated power loss: the device is off until re-created */
} flash_rc;

typedef struct flash_dev flash_dev;
struct flash_dev {
    /* Geometry. */
    uint64_t base;          /* address of offset 0 in the target's memory map */
    uint32_t size;          /* bytes */
    uint32_t page_size;     /* largest prog(); 0: no page limit */
    uint32_t erase_small;   /* smallest erase unit (subsector); 0: RAM, no erase */
    uint32_t erase_large;   /* larger erase unit (sector); == erase_small if only one */
    uint8_t erase_value;    /* what erased bytes read as (0xFF on NOR) */

    /* Operations; `off` is from the start of the device. */
    flash_rc (*read)(flash_dev *d, uint32_t off, void *buf, uint32_t len);
    flash_rc (*prog)(flash_dev *d, uint32_t off, const void *buf, uint32_t len);
    flash_rc (*erase)(flash_dev *d, uint32_t off, uint32_t len);
    flash_rc (*sync)(flash_dev *d);     /* end of a write sequence; may be NULL */

    void *ctx;              /* the implementation's own state */
    char err[512];          /* why the last callback failed */
};

#endif
