/*
 * qemu.h - the pieces of the QEMU target: the firmware build (qemu_build.c)
 * and the emulator command line (qemu.c), which tests also drive on their own.
 */
#ifndef KILN_TARGET_QEMU_H
#define KILN_TARGET_QEMU_H

#include <stdbool.h>
#include <stddef.h>

#include "target/target.h"
#include "target/vproto.h"

/* Where QEMU's loader places the weights blob: the start of mps2-an500's
 * PSRAM, the board's stand-in for memory-mapped external flash. */
#define QEMU_BLOB_ADDR 0x60000000u
#define QEMU_PSRAM_BYTES 0x01000000u

/* The command that runs `elf` on mps2-an500 with the serial port on stdio,
 * semihosting on (the firmware's exit status becomes QEMU's) and
 * `-icount shift=0` (1 ns of virtual time per instruction: deterministic
 * tick counts), and `blob` (NULL: nothing) placed at QEMU_BLOB_ADDR.
 * $KILN_QEMU names the binary, $KILN_QEMU_ARGS adds arguments (e.g. a TCG
 * plugin).  A NULL-terminated heap array; free with qemu_command_free(). */
char **qemu_command(const char *elf, const char *blob);
void qemu_command_free(char **argv);

/* Builds the validation firmware for the network emitted in o->workdir into
 * the ELF file `elf`.  external_blob: the firmware checks the blob at QEMU_BLOB_ADDR
 * even when the network has its weights compiled in.  profile: build the
 * generated code and firmware with -DKILN_PROFILE (a PROFILE frame after each
 * OUTPUT).  false: msg has the compiler's or linker's complaint. */
bool qemu_build_firmware(const compiled *c, const target_opts *o, bool external_blob, bool profile,
                         const char *elf, char *msg, size_t msglen);
/* The same for any board port (target/fw_port.h), for `kiln firmware`;
 * `defines`: more -D options, space-separated (NULL: none).
 * qemu_build_firmware is this with the mps2-an500 port. */
struct fw_port;
bool fw_build_firmware(const compiled *c, const target_opts *o, const struct fw_port *port, bool external_blob,
                       bool profile, const char *defines, const char *elf, char *msg, size_t msglen);

/* Messages from the firmware's frames, shared with the serial target
 * (serial.c): a HELLO refusing the blob ("NAME: message; details ... (where)"),
 * an ERROR frame, a FAULT frame (decoded fault bits, pc's function and line
 * from `elf` by addr2line). */
void target_refusal_message(const vp_frame *f, const char *where, char *msg, size_t msglen);
void target_error_message(const vp_frame *f, const char *when, char *msg, size_t msglen);
void target_fault_message(const target_opts *o, const char *elf, const vp_frame *f, const char *when, char *msg,
                          size_t msglen);

#endif
