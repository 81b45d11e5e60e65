/*
 * gdb_rsp.h - a GDB remote serial protocol client that reads and writes a
 * target's memory through a GDB server (QEMU's gdbstub, OpenOCD, J-Link GDB
 * Server, pyOCD, st-util), and a flash_dev on top of it.
 *
 * Memory the server's memory map marks as flash is written with
 * vFlashErase/vFlashWrite/vFlashDone (the server runs its flash driver);
 * anything else with X packets (binary) or M packets (hex) when the server
 * does not take X.
 *
 * Everything the server sends is bounded: a reply must be complete within
 * the timeout (one deadline per reply, however slowly bytes trickle in), a
 * packet may be at most GDB_REPLY_MAX(packet_size) bytes, and the memory map
 * is checked field by field (GDB_MAP_* limits) before any of it is used.
 */
#ifndef KILN_FLASH_GDB_RSP_H
#define KILN_FLASH_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/flash_dev.h"
#include "util/sbuf.h"

/* The largest PacketSize a server may announce (larger ones are clamped). */
#define GDB_PACKET_SIZE_MAX 65536u
/* The longest reply packet taken, as sent (escaped, run-length encoded) and
 * once decoded: twice the packet size (an 'm' reply is hex, two characters
 * a byte) plus room for a long qSupported answer. */
#define GDB_REPLY_MAX(packet_size) (2u * (packet_size) + 4096u)
/* Memory map limits: its XML size, its number of regions, and a flash
 * region's block size (the erase unit the planner reads and rewrites
 * whole; the largest NOR sector in use is 256 KiB). */
#define GDB_MAP_XML_MAX (256u * 1024u)
#define GDB_MAP_REGIONS_MAX 256
#define GDB_MAP_BLOCKSIZE_MAX (1024u * 1024u)

typedef enum gdb_mem_type { GDB_MEM_RAM, GDB_MEM_ROM, GDB_MEM_FLASH } gdb_mem_type;

typedef struct gdb_region {
    uint64_t start, length;
    gdb_mem_type type;
    uint32_t blocksize;     /* flash erase unit; 0 for RAM/ROM */
} gdb_region;

typedef struct gdb_conn {
    int fd;
    char *where;            /* "host:port", for messages */
    int timeout_ms;         /* for each reply, start to end */
    int64_t deadline_ms;    /* monotonic time the reply awaited now is overdue */
    size_t got;             /* bytes received since that deadline was set */
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

/* Lets the target run ('c') without waiting for it to stop: after the
 * blob is programmed, `kiln validate --target serial` starts the firmware. */
bool gdb_continue(gdb_conn *g);

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
