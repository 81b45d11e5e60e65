/*
 * ram_nor.h - NOR geometry on memory that is written in place (a RAM region
 * reached through a GDB server, such as QEMU's PSRAM standing in for a
 * board's QSPI flash).
 *
 * The A/B layout (include/kiln/slots.h) is computed from an erase unit and
 * needs record areas that read 0xFF when free; RAM has neither.  This layer
 * gives the memory the board's NOR geometry: erase() writes `erase_value`
 * over whole aligned units, prog() writes through.  The firmware then sees
 * exactly the bytes a real chip would hold after the same operations.
 * Relies on the inner device storing bytes as given (erase_small == 0).
 */
#ifndef KILN_FLASH_RAM_NOR_H
#define KILN_FLASH_RAM_NOR_H

#include "flash/board.h"
#include "flash/flash_dev.h"

typedef struct ram_nor {
    flash_dev dev;          /* first member: the callbacks get &rn->dev */
    flash_dev *inner;       /* RAM written in place; same base and size */
} ram_nor;

/* Wraps `inner` with board b's page size, erase units and erase value. */
void ram_nor_init(ram_nor *rn, flash_dev *inner, const board *b);

#endif
