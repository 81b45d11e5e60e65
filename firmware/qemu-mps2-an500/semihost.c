/*
 * semihost.c - SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit.
 *
 * Plain SYS_EXIT (0x18) on 32-bit ARM carries no status (QEMU maps it to 0
 * or 1); SYS_EXIT_EXTENDED takes a two-word block {reason, status} and QEMU
 * exits with `status`.  Semihosting calls on M-profile are `bkpt 0xAB` with
 * the operation in r0 and the argument in r1.
 */
#include "semihost.h"

#include <stdint.h>

#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

uint32_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_exit(int status)
{
    volatile uint32_t block[2];
    block[0] = ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    for (;;) {
        register uint32_t r0 __asm__("r0") = SYS_EXIT_EXTENDED;
        register volatile uint32_t *r1 __asm__("r1") = block;
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    }
}
