/*
 * regs.h - the STM32H747/H745 (Cortex-M7 core) registers the port touches,
 * as addresses and bit positions from the reference manual (RM0399) and the
 * ARMv7-M architecture manual.  No vendor header is used or needed.
 */
#ifndef KILN_STM32H7_REGS_H
#define KILN_STM32H7_REGS_H

#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* ---- Cortex-M7 system control space ---- */
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_CCR REG32(0xE000ED14u)      /* IC bit 17, DC bit 16 */
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR REG32(0xE000ED38u)
#define SCB_SHCSR REG32(0xE000ED24u)    /* MEMFAULTENA bit 16, BUSFAULTENA 17, USGFAULTENA 18 */
#define SCB_CCSIDR REG32(0xE000ED80u)
#define SCB_CSSELR REG32(0xE000ED84u)
#define SCB_ICIALLU REG32(0xE000EF50u)
#define SCB_DCIMVAC REG32(0xE000EF5Cu)
#define SCB_DCISW REG32(0xE000EF60u)
#define SCB_ICSR_PENDSTSET (1u << 26)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)

#define MPU_CTRL REG32(0xE000ED94u)     /* ENABLE bit 0, PRIVDEFENA bit 2 */
#define MPU_RNR REG32(0xE000ED98u)
#define MPU_RBAR REG32(0xE000ED9Cu)
#define MPU_RASR REG32(0xE000EDA0u)

#define DEMCR REG32(0xE000EDFCu)        /* TRCENA bit 24 */
#define DWT_CTRL REG32(0xE0001000u)     /* CYCCNTENA bit 0 */
#define DWT_CYCCNT REG32(0xE0001004u)
#define DWT_LAR REG32(0xE0001FB0u)      /* Cortex-M7: write 0xC5ACCE55 to unlock */

/* ---- PWR (0x58024800) ---- */
#define PWR_CR3 REG32(0x5802480Cu)      /* BYPASS 0, LDOEN 1, SDEN 2 (SMPS) */
#define PWR_CSR1 REG32(0x58024804u)     /* ACTVOSRDY bit 13 */
#define PWR_D3CR REG32(0x58024818u)     /* VOS bits 15:14 (11 = VOS1), VOSRDY bit 13 */

/* ---- embedded flash interface (0x52002000) ---- */
#define FLASH_ACR REG32(0x52002000u)    /* LATENCY 3:0, WRHIGHFREQ 5:4 */

/* ---- RCC (0x58024400) ---- */
#define RCC_CR REG32(0x58024400u)       /* HSEON 16, HSERDY 17, PLL1ON 24, PLL1RDY 25 */
#define RCC_CFGR REG32(0x58024410u)     /* SW 2:0, SWS 5:3 (3 = PLL1) */
#define RCC_D1CFGR REG32(0x58024418u)   /* HPRE 3:0, D1PPRE 6:4, D1CPRE 11:8 */
#define RCC_D2CFGR REG32(0x5802441Cu)   /* D2PPRE1 6:4, D2PPRE2 10:8 */
#define RCC_D3CFGR REG32(0x58024420u)   /* D3PPRE 6:4 */
#define RCC_PLLCKSELR REG32(0x58024428u) /* PLLSRC 1:0 (2 = HSE), DIVM1 9:4 */
#define RCC_PLLCFGR REG32(0x5802442Cu)  /* PLL1VCOSEL 1, PLL1RGE 3:2, DIVP1EN 16, DIVQ1EN 17, DIVR1EN 18 */
#define RCC_PLL1DIVR REG32(0x58024430u) /* DIVN1 8:0, DIVP1 15:9, DIVQ1 22:16, DIVR1 30:24 (value - 1) */
#define RCC_AHB3ENR REG32(0x580244D4u)  /* QSPIEN bit 14 */
#define RCC_AHB4ENR REG32(0x580244E0u)  /* GPIOAEN.. bit 0.. */
#define RCC_APB2ENR REG32(0x580244F0u)  /* USART1EN bit 4 */

/* ---- GPIO ports (0x58020000 + 0x400 * port) ---- */
#define GPIO_BASE(port) (0x58020000u + 0x400u * (uint32_t)(port))
#define GPIO_MODER(p) REG32(GPIO_BASE(p) + 0x00u)
#define GPIO_OSPEEDR(p) REG32(GPIO_BASE(p) + 0x08u)
#define GPIO_PUPDR(p) REG32(GPIO_BASE(p) + 0x0Cu)
#define GPIO_AFR(p, pin) REG32(GPIO_BASE(p) + ((pin) < 8u ? 0x20u : 0x24u))
enum { PORT_A, PORT_B, PORT_C, PORT_D, PORT_E, PORT_F, PORT_G, PORT_H };

/* ---- USART1 (0x40011000) ---- */
#define USART1_CR1 REG32(0x40011000u)   /* UE 0, RE 2, TE 3 */
#define USART1_BRR REG32(0x4001100Cu)
#define USART1_ISR REG32(0x4001101Cu)   /* ORE 3, RXNE 5, TC 6, TXE 7 */
#define USART1_ICR REG32(0x40011020u)   /* ORECF 3 */
#define USART1_RDR REG32(0x40011024u)
#define USART1_TDR REG32(0x40011028u)

/* ---- QUADSPI (0x52005000) ---- */
#define QSPI_CR REG32(0x52005000u)      /* EN 0, ABORT 1, SSHIFT 4, DFM 6, FTHRES 12:8, PRESCALER 31:24 */
#define QSPI_DCR REG32(0x52005004u)     /* CKMODE 0, CSHT 10:8, FSIZE 20:16 */
#define QSPI_SR REG32(0x52005008u)      /* TCF 1, BUSY 5 */
#define QSPI_FCR REG32(0x5200500Cu)     /* CTCF 1 */
#define QSPI_CCR REG32(0x52005014u)     /* INSTRUCTION 7:0, IMODE 9:8, ADMODE 11:10, ADSIZE 13:12,
                                           DCYC 22:18, DMODE 25:24, FMODE 27:26 */

#endif
