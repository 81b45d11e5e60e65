/*
 * board.h - the facts of QEMU's mps2-an500 machine the validation firmware
 * relies on: where the UART, SysTick and the "external flash" are, and how
 * fast the clocks run.  Checked against QEMU 7.2 (`info mtree`, `info qtree`):
 * PSRAM (mps.ram, 16 MiB) at 0x60000000, CMSDK UART0 at 0x40004000, the
 * SysTick cpuclk at 25 MHz.  Nothing here touches hardware.
 */
#ifndef KILN_MPS2_BOARD_H
#define KILN_MPS2_BOARD_H

#include <stdint.h>

#define MPS2_SYSCLK_HZ 25000000u        /* CPU clock; SysTick counts it with CLKSOURCE=1 */
#define MPS2_UART0_BASE 0x40004000u
#define MPS2_PSRAM_BASE 0x60000000u     /* used as memory-mapped external flash */
#define MPS2_PSRAM_BYTES 0x01000000u    /* 16 MiB */

/* System control space (ARMv7-M). */
#define SCS_REG(off) (*(volatile uint32_t *)(0xE000E000u + (off)))
#define SYST_CSR SCS_REG(0x010)
#define SYST_RVR SCS_REG(0x014)
#define SYST_CVR SCS_REG(0x018)
#define SCB_ICSR SCS_REG(0xD04)
#define SCB_VTOR SCS_REG(0xD08)
#define SCB_SHPR3 SCS_REG(0xD20)
#define SCB_CFSR SCS_REG(0xD28)
#define SCB_HFSR SCS_REG(0xD2C)
#define SCB_MMFAR SCS_REG(0xD34)
#define SCB_BFAR SCS_REG(0xD38)
#define SCB_CPACR SCS_REG(0xD88)

#define SCB_ICSR_PENDSTSET (1u << 26)
#define SCB_ICSR_PENDSTCLR (1u << 25)

/* What main.c needs of any board (another port's port.h defines the same):
 * the external-flash window the blob may lie in, and the tick clock. */
#define FW_XFLASH_BASE MPS2_PSRAM_BASE
#define FW_XFLASH_BYTES MPS2_PSRAM_BYTES
#define FW_TICK_HZ MPS2_SYSCLK_HZ

/* Start of the external-flash blob; a build may move it (-DKILN_QEMU_BLOB_ADDR). */
#ifndef KILN_QEMU_BLOB_ADDR_DEFAULT
#define KILN_QEMU_BLOB_ADDR_DEFAULT MPS2_PSRAM_BASE
#endif

#endif
