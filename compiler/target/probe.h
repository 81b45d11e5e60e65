/*
 * probe.h - programming the weights blob through a GDB server and starting
 * the target (probe.c), for the serial target.
 */
#ifndef KILN_TARGET_PROBE_H
#define KILN_TARGET_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Connects to the GDB server at `gdb` (HOST:PORT), writes the file
 * `blob_path` at `addr` (an empty file, or NULL for compiled-in weights:
 * nothing), reads it back and compares, then continues the target.  The
 * board's descriptor (boards_dir NULL: the default) gives the flash window
 * when the server has no memory map.  false: msg says why. */
bool probe_program_and_run(const char *gdb, const char *board_name, const char *boards_dir, uint32_t addr,
                           const char *blob_path, char *msg, size_t msglen);

#endif
