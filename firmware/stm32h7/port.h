/*
 * port.h - what the shared validation firmware (../qemu-mps2-an500/main.c,
 * built with -DKILN_FW_PORT) needs of the STM32H747I-DISCO / STM32H745I-DISCO
 * Cortex-M7 port: the external-flash window the blob may lie in and the
 * clock of the tick counter.  Facts only; regs.h has the registers.
 */
#ifndef KILN_STM32H7_PORT_H
#define KILN_STM32H7_PORT_H

#include <stdint.h>

#define H7_CPU_HZ 400000000u            /* PLL1P: 25 MHz HSE / 5 * 160 / 2, VOS1 */
#define H7_QSPI_BASE_ADDR 0x90000000u   /* QUADSPI memory-mapped window */
#define H7_QSPI_BYTES 0x08000000u       /* MT25TL01G: 2 x 64 MiB dies in dual-flash mode */

#define FW_XFLASH_BASE H7_QSPI_BASE_ADDR
#define FW_XFLASH_BYTES H7_QSPI_BYTES
#define FW_TICK_HZ H7_CPU_HZ            /* DWT CYCCNT counts core cycles */

#ifndef KILN_QEMU_BLOB_ADDR_DEFAULT
#define KILN_QEMU_BLOB_ADDR_DEFAULT H7_QSPI_BASE_ADDR
#endif

/* board.c: clocks, caches, MPU and the QSPI flash, in that order, before main(). */
void board_init(void);

#endif
