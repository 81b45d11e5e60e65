/*
 * fw_port.h - the validation firmware's board ports: where each port's
 * sources and linker script are, where it looks for the weights blob and
 * what its tick counter counts.  `kiln firmware` and `kiln validate --target
 * qemu|serial` pick a port by board name (the stem of its descriptor in boards/);
 * qemu_build.c builds any of them the same way.
 *
 * Pure data: nothing here builds or runs anything.
 */
#ifndef KILN_TARGET_FW_PORT_H
#define KILN_TARGET_FW_PORT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct fw_port {
    const char *board;          /* boards/<board>.json */
    const char *dir;            /* the port's sources, relative to KILN_ROOT */
    const char *ldscript;       /* relative to dir */
    /* Sources of firmware/qemu-mps2-an500 the port reuses (main.c, frames.c,
     * profile.c: the protocol), compiled with -DKILN_FW_PORT so that main.c
     * takes its board facts from the port's port.h.  NULL: the port is that
     * directory itself. */
    const char *const *shared;
    uint32_t blob_addr;         /* external-flash address the firmware reads the blob from */
    const char *cycles;         /* what OUTPUT's ticks count, for the output */
    bool ticks_are_insns;       /* QEMU -icount: ticks convert to instructions */
    bool hardware_tested;       /* false: builds, never run on the board (docs/real-board.md) */
} fw_port;

/* The port for a board name, or NULL. */
const fw_port *fw_port_find(const char *board);
/* "qemu-mps2-an500, stm32h745i-disco, stm32h747i-disco", for messages. */
const char *fw_port_names(void);

#endif
