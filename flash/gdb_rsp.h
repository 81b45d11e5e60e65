/*
 * gdb_rsp.h - a GDB remote serial protocol client that reads and writes a
 * target's memory through a GDB server (QEMU's gdbstub, OpenOCD, J-Link GDB
 * Server, pyOCD, st-util), and a flash_dev on top of it.
 *
 * Memory the server's memory map marks as flash is written with
 * vFlashErase/vFlashWrite/vFlashDone (the server runs its flash driver);
 * anything else with X packets (binary) or M packets (hex) when the server
 * does not take X.
 */
#ifndef KILN_FLASH_GDB_RSP_H
#define KILN_FLASH_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/flash_dev.h"
#include "util/sbuf.h"

typedef enum gdb_mem_type { GDB_MEM_RAM, GDB_MEM_ROM, GDB_MEM_FLASH } gdb_mem_type;

typedef struct gdb_region {
    uint64_t start, length;
    gdb_mem_type type;
    uint32_t blocksize;     /* flash erase unit; 0 for RAM/ROM */
} gdb_region;

typedef struct gdb_conn {
    int fd;
    char *where;            /* "host:port", for messages */
    int timeout_ms;         /* for each reply */
    bool ack;               /* '+'/'-' acknowledgements in use */
    uint32_t packet_size;   /* largest packet the server takes */
    int x_packets;          /* 1 X works, 0 not supported (use M), -1 not tried */
    gdb_region *regions;    /* from qXfer:memory-map:read, if offered */
    int nregions;
    bool has_memory_map;
    sbuf rx;                /* bytes received and not yet consumed */
    size_t rx_pos;
    char err[512];
    uint64_t packets;       /* sent, for the report */
} gdb_conn;

/* Connects, negotiates (qSupported, no-ack mode, packet size) and reads the
 * memory map.  On failure `g->err` says what happened. */
bool gdb_open(gdb_conn *g, const char *host_port, int timeout_ms);
void gdb_close(gdb_conn *g);

bool gdb_read_mem(gdb_conn *g, uint64_t addr, uint8_t *buf, uint32_t len);
bool gdb_write_mem(gdb_conn *g, uint64_t addr, const uint8_t *buf, uint32_t len);
bool gdb_flash_erase(gdb_conn *g, uint64_t addr, uint32_t len);
bool gdb_flash_write(gdb_conn *g, uint64_t addr, const uint8_t *buf, uint32_t len);
bool gdb_flash_done(gdb_conn *g);

/* The memory-map region holding addr, or NULL. */
const gdb_region *gdb_find_region(const gdb_conn *g, uint64_t addr);

/* flash_dev over a GDB connection for [base, base + size): flash (vFlash*)
 * when `flash_region` is given, else RAM written in place. */
typedef struct gdb_dev {
    flash_dev dev;
    gdb_conn *g;
} gdb_dev;

void gdb_dev_init(gdb_dev *gd, gdb_conn *g, uint64_t base, uint32_t size,
                  const gdb_region *flash_region);

#endif
