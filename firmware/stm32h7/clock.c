/*
 * clock.c - the STM32H747/H745 Cortex-M7 at 400 MHz from the discovery
 * board's 25 MHz HSE crystal: SMPS supply, voltage scale 1, flash wait
 * states, PLL1 (25 / 5 = 5 MHz reference, x160 = 800 MHz VCO, /2 = 400 MHz),
 * AXI/AHB at 200 MHz, every APB at 100 MHz (USART1's kernel clock).
 *
 * Written from RM0399 (power control, RCC and flash chapters).  The supply
 * configuration in PWR_CR3 may be written once after power-on and must
 * match the board's wiring: both discovery boards feed the core from the
 * SMPS (KILN_H7_SUPPLY_LDO selects the LDO for a board wired that way); a
 * wrong value leaves ACTVOSRDY clear and the loop below never ends (the
 * board then needs a power cycle with BOOT0 high to be reprogrammed).
 */
#include "clock.h"

#include "regs.h"

static void wait_set(volatile uint32_t *reg, uint32_t mask)
{
    while ((*reg & mask) == 0u)
        ;
}

static void power_vos1(void)
{
#ifdef KILN_H7_SUPPLY_LDO
    PWR_CR3 = (PWR_CR3 & ~0x7u) | (1u << 1);        /* LDOEN */
#else
    PWR_CR3 = (PWR_CR3 & ~0x7u) | (1u << 2);        /* SDEN: direct SMPS supply */
#endif
    wait_set(&PWR_CSR1, 1u << 13);                   /* ACTVOSRDY */
    PWR_D3CR = (PWR_D3CR & ~(3u << 14)) | (3u << 14); /* VOS1 */
    wait_set(&PWR_D3CR, 1u << 13);                   /* VOSRDY */
}

static void pll1_400mhz(void)
{
    RCC_CR |= 1u << 16;                              /* HSEON (crystal, not bypass) */
    wait_set(&RCC_CR, 1u << 17);                     /* HSERDY */
    RCC_PLLCKSELR = (RCC_PLLCKSELR & ~((0x3Fu << 4) | 3u)) | (5u << 4) | 2u; /* DIVM1 5, HSE */
    /* 4..8 MHz input range (RGE 2), wide VCO (VCOSEL 0), no fraction; P, Q, R outputs on. */
    RCC_PLLCFGR = (RCC_PLLCFGR & ~(0xFu | (7u << 16))) | (2u << 2) | (1u << 16) | (1u << 17) | (1u << 18);
    RCC_PLL1DIVR = (160u - 1u) | ((2u - 1u) << 9) | ((4u - 1u) << 16) | ((2u - 1u) << 24);
    RCC_CR |= 1u << 24;                              /* PLL1ON */
    wait_set(&RCC_CR, 1u << 25);                     /* PLL1RDY */
}

void clock_init(void)
{
    power_vos1();
    /* 200 MHz AXI at VOS1: 2 wait states, programming delay 2 (RM0399 flash table). */
    FLASH_ACR = (FLASH_ACR & ~0x3Fu) | 2u | (2u << 4);
    while ((FLASH_ACR & 0xFu) != 2u)
        ;
    pll1_400mhz();
    RCC_D1CFGR = (0u << 8) | (4u << 4) | 8u;         /* core /1, APB3 /2, AHB /2 */
    RCC_D2CFGR = (4u << 8) | (4u << 4);              /* APB2 /2 (USART1), APB1 /2 */
    RCC_D3CFGR = 4u << 4;                            /* APB4 /2 */
    RCC_CFGR = (RCC_CFGR & ~7u) | 3u;                /* system clock: PLL1 */
    while (((RCC_CFGR >> 3) & 7u) != 3u)
        ;
}
