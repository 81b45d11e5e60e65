/*
 * nor_read.h - what reading a NOR flash in indirect (command) mode costs:
 * each read is one command (opcode, address, dummy clocks) followed by the
 * data, so the time is reads x overhead + bytes x clocks per byte.
 */
#ifndef KILN_FLASH_NOR_READ_H
#define KILN_FLASH_NOR_READ_H

#include <stdint.h>

typedef struct nor_read_model {
    const char *what;           /* the command and bus it models, for reports */
    double clock_hz;
    uint32_t overhead_clocks;   /* opcode + address + dummy clocks per read command */
    uint32_t clocks_per_byte;   /* data phase */
} nor_read_model;

/* The model Kiln assumes for the simulated NOR (N25Q128A-like, as the QEMU
 * board descriptor): quad I/O fast read 0xEB at 108 MHz. */
const nor_read_model *nor_read_default(void);

/* Seconds `reads` read commands carrying `bytes` in all take. */
double nor_read_seconds(const nor_read_model *m, uint64_t reads, uint64_t bytes);

#endif
