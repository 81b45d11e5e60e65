/*
 * semihost.h - ARM semihosting, only what the validation firmware needs: end
 * the program with a status code (SYS_EXIT_EXTENDED), which QEMU started with
 * `-semihosting-config enable=on,target=native` turns into its own exit
 * status.  On a board without a debugger attached the BKPT would halt the
 * core: a real board's port replaces this file.
 */
#ifndef KILN_MPS2_SEMIHOST_H
#define KILN_MPS2_SEMIHOST_H

void semihost_exit(int status) __attribute__((noreturn));

#endif
