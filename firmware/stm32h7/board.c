/*
 * board.c - what runs before main() on the STM32H7 discovery boards (M7
 * core): clocks first (everything else is timed by them), then the MPU
 * (before any cache or speculative access can reach the QSPI window), the
 * QSPI flash memory-mapped, and last the caches, invalidated whole before
 * they are enabled, so no line from before a reset - or from before the
 * blob was reprogrammed under a halted core - survives.
 */
#include "port.h"

#include "cache_mpu.h"
#include "clock.h"
#include "qspi.h"

void board_init(void)
{
    clock_init();
    mpu_init();
    qspi_init();
    caches_enable();
}
