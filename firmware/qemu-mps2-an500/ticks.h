/*
 * ticks.h - a 64-bit tick counter on SysTick, clocked by the CPU clock.
 *
 * Under QEMU's `-icount shift=0` every guest instruction advances virtual
 * time by 1 ns, so a tick of the 25 MHz clock is exactly 40 instructions and
 * counts are repeatable run to run.  (QEMU models no pipeline: these are
 * instruction counts, not cycles of a real Cortex-M7.)
 */
#ifndef KILN_MPS2_TICKS_H
#define KILN_MPS2_TICKS_H

#include <stdint.h>

/* (Re)starts the counter at 0 with its phase fixed by this call. */
void ticks_start(void);
uint64_t ticks_now(void);

#endif
