/*
 * serial.h - the serial target of `kiln validate`: a board (or QEMU standing
 * in for one) that already runs the validation firmware `kiln firmware`
 * built, reached over a serial port, with its blob optionally programmed
 * first through a GDB server (OpenOCD, ST-LINK's gdbserver, QEMU's stub).
 */
#ifndef KILN_TARGET_SERIAL_H
#define KILN_TARGET_SERIAL_H

#include "target/target.h"

typedef struct serial_opts {
    const char *port;           /* /dev/ttyACM0, /dev/pts/N */
    unsigned baud;              /* 115200 unless given */
    const char *board;          /* a board with a firmware port (target/fw_port.h) */
    const char *boards_dir;     /* NULL: the default */
    const char *gdb;            /* HOST:PORT of a GDB server; NULL: the board is already programmed */
    const char *elf;            /* the firmware, to name a fault's function and line; NULL: none */
    int hello_timeout_s;        /* how long to wait for HELLO */
} serial_opts;

/* With so->gdb: programs o->blob_path (an empty file: nothing) at the
 * board's blob address through the GDB server, reads it back, lets the
 * target run; then (or straight away without --gdb, after asking for a
 * reset) reads HELLO, runs every sample over the protocol and says QUIT.
 * Outputs and the mean instruction count (on QEMU) or nothing (a board's
 * cycles are printed, not returned as instructions) go into io. */
target_result target_serial_run(const compiled *c, const target_opts *o, const serial_opts *so, target_io *io,
                                char *msg, size_t msglen);

#endif
