/*
 * probe.c - `kiln validate --target serial --gdb`: the weights blob written
 * at the board's external-flash address through a GDB server (a probe's:
 * OpenOCD, ST-LINK gdbserver, J-Link; or QEMU's stub), read back and
 * compared, then the core let run.  Uses the client and planner of `kiln
 * flash write --gdb` (flash/gdb_rsp.c, flash/program.c): vFlash packets where
 * the server's memory map marks the region as flash, memory writes where it
 * maps RAM or has no map (then the board descriptor gives the window).
 * Prints what it did on stderr; a write that fails or does not verify
 * leaves the core halted, so nothing runs on a half-written blob.
 */
#define _POSIX_C_SOURCE 200809L
#include "target/probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/board.h"
#include "flash/gdb_rsp.h"
#include "flash/program.h"
#include "util/fileio.h"

/* The memory the blob is written to: a region of the server's memory map,
 * or the board's flash window when the server has no map (QEMU's stub). */
static bool gdb_target_dev(gdb_conn *g, const board *b, uint64_t addr, uint32_t len, gdb_dev *gd,
                           uint32_t *off, char *msg, size_t msglen)
{
    const gdb_region *r = gdb_find_region(g, addr);
    uint64_t base, size;
    if (r && r->type == GDB_MEM_ROM) {
        snprintf(msg, msglen, "0x%08" PRIx64 " is ROM in the memory map of the GDB server at %s", addr, g->where);
        return false;
    }
    if (r && r->type == GDB_MEM_FLASH && (r->blocksize == 0 || r->start % r->blocksize || r->length % r->blocksize)) {
        snprintf(msg, msglen, "the GDB server's memory map gives flash at 0x%08" PRIx64 " no usable blocksize",
                 r->start);
        return false;
    }
    if (r) {
        base = r->start;
        size = r->length;
    } else if (!g->has_memory_map) {
        base = b->base;
        size = b->size;
    } else {
        snprintf(msg, msglen,
                 "the GDB server at %s maps nothing at 0x%08" PRIx64 " (%s's external flash): configure its "
                 "external-flash bank (OpenOCD: the board config's stmqspi bank), or program the blob with the "
                 "vendor tool and leave --gdb out",
                 g->where, addr, b->title);
        return false;
    }
    if (addr < base || len > size || addr - base > size - len || size > 0xFFFFFFFFu) {
        snprintf(msg, msglen, "%" PRIu32 " bytes at 0x%08" PRIx64 " do not fit in the target's memory region 0x%08"
                 PRIx64 " + %" PRIu64, len, addr, base, size);
        return false;
    }
    gdb_dev_init(gd, g, base, (uint32_t)size, r && r->type == GDB_MEM_FLASH ? r : NULL);
    *off = (uint32_t)(addr - base);
    return true;
}

/* Writes, reads back and compares; prints what it did on stderr. */
static bool program_blob(gdb_conn *g, const board *b, uint64_t addr, const uint8_t *data, uint32_t len,
                         char *msg, size_t msglen)
{
    gdb_dev gd;
    uint32_t off;
    if (!gdb_target_dev(g, b, addr, len, &gd, &off, msg, msglen))
        return false;
    flash_plan plan;
    char err[512];
    if (!flash_plan_write(&gd.dev, off, data, len, &plan, err, sizeof err)) {
        snprintf(msg, msglen, "programming the blob through the GDB server at %s: %s", g->where, err);
        return false;
    }
    flash_rc rc = flash_plan_run(&gd.dev, &plan, NULL, NULL);
    flash_plan_free(&plan);
    if (rc != FLASH_OK) {
        snprintf(msg, msglen, "programming the blob at 0x%08" PRIx64 " through the GDB server at %s failed: %s", addr,
                 g->where, gd.dev.err);
        return false;
    }
    bool same = false;
    uint32_t first = 0, crc = 0;
    uint64_t ndiff = 0;
    uint8_t found = 0;
    rc = flash_compare(&gd.dev, off, data, len, &same, &first, &ndiff, &crc, &found);
    if (rc != FLASH_OK) {
        snprintf(msg, msglen, "reading the blob back through the GDB server at %s: %s", g->where, gd.dev.err);
        return false;
    }
    if (!same) {
        snprintf(msg, msglen,
                 "the blob did not verify after programming: first difference at 0x%08" PRIx64 " (target has 0x%02x, "
                 "blob 0x%02x), %" PRIu64 " of %" PRIu32 " bytes differ",
                 addr + first, found, data[first], ndiff, len);
        return false;
    }
    fprintf(stderr, "kiln validate: programmed %" PRIu32 " bytes at 0x%08" PRIx64 " through the GDB server at %s (%s); "
                    "read back: OK (CRC-32 0x%08" PRIx32 ")\n",
            len, addr, g->where,
            gd.dev.erase_small ? "flash: vFlash packets" : g->has_memory_map ? "RAM in its memory map" :
                                                                               "no memory map: written as RAM",
            crc);
    return true;
}

bool probe_program_and_run(const char *gdb, const char *board_name, const char *boards_dir, uint32_t addr,
                           const char *blob_path, char *msg, size_t msglen)
{
    board b;
    char err[1024];
    char *dir = board_dir(boards_dir);
    bool ok = board_find(dir, board_name, &b, err, sizeof err);
    free(dir);
    if (!ok) {
        snprintf(msg, msglen, "%s", err);
        return false;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (blob_path && !read_file(blob_path, &data, &len, err, sizeof err)) {
        snprintf(msg, msglen, "%s", err);
        board_free(&b);
        return false;
    }
    gdb_conn g;
    ok = gdb_open(&g, gdb, 10000);
    if (!ok)
        snprintf(msg, msglen, "%s", g.err);
    else if (len > 0)
        ok = program_blob(&g, &b, addr, data, (uint32_t)len, msg, msglen);
    else if (blob_path)
        fprintf(stderr, "kiln validate: the blob file is empty: nothing programmed at 0x%08" PRIx32 " (the firmware "
                        "sees what the external flash held)\n", addr);
    else
        fprintf(stderr, "kiln validate: the weights are compiled into the firmware: no blob to program\n");
    if (ok && !(ok = gdb_continue(&g)))
        snprintf(msg, msglen, "letting the target run: %s", g.err);
    gdb_close(&g);
    free(data);
    board_free(&b);
    return ok;
}
