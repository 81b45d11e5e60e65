/*
 * serial_port.h - a serial port (a USB UART, an ST-LINK virtual COM port, or
 * QEMU's -serial pty) in raw mode for the validation protocol: 8N1, no flow
 * control, no echo, no line discipline, every byte passed as it is; reads
 * and writes wait with a deadline, never forever.
 */
#ifndef KILN_TARGET_SERIAL_PORT_H
#define KILN_TARGET_SERIAL_PORT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sport_io {
    SPORT_OK = 0,
    SPORT_TIMEOUT,      /* the deadline passed */
    SPORT_HANGUP,       /* the other end went away (a pty whose QEMU exited, a USB UART unplugged) */
    SPORT_FAIL          /* a system call failed (err says which) */
} sport_io;

/* Opens `path` at `baud` in raw mode and discards anything already queued.
 * Returns the descriptor, or -1 with err naming the problem: the port does
 * not exist, may not be opened (permissions), is not a terminal, or the
 * speed is not one termios has. */
int sport_open(const char *path, unsigned baud, char *err, size_t errlen);
/* Whether termios has this speed. */
bool sport_baud_ok(unsigned baud);
/* Reads what is there (at least one byte, at most cap) by the deadline
 * (child_now() clock); *got is set on SPORT_OK. */
sport_io sport_read(int fd, void *buf, size_t cap, size_t *got, double deadline, char *err, size_t errlen);
/* Writes all n bytes by the deadline. */
sport_io sport_write(int fd, const void *data, size_t n, double deadline, char *err, size_t errlen);
void sport_close(int fd);

#endif
