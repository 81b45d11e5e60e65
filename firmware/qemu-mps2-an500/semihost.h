/*
 * semihost.h - ARM semihosting, only what the validation firmware needs: end
 * the program with a status code (SYS_EXIT_EXTENDED), which QEMU started with
 * `-semihosting-config enable=on,target=native` turns into its own exit
 * status; and the file calls stream_src.c reads a stream-mode blob with.  On a board without a debugger attached the BKPT would halt the
 * core: a real board's port replaces this file.
 */
#ifndef KILN_MPS2_SEMIHOST_H
#define KILN_MPS2_SEMIHOST_H

#include <stdint.h>

void semihost_exit(int status) __attribute__((noreturn));

/* Any semihosting operation: `op` in r0, the address of its argument block
 * in r1; returns r0 (stream_src.c reads files with it). */
uint32_t semihost_call(uint32_t op, const void *arg);

#endif
