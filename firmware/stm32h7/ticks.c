/*
 * ticks.c - core cycles from the DWT cycle counter (CYCCNT), extended to
 * 64 bits; implements ../qemu-mps2-an500/ticks.h.  Unlike QEMU's SysTick
 * instruction count, these are real Cortex-M7 cycles at 400 MHz: caches,
 * wait states and QSPI reads included.
 *
 * CYCCNT wraps every 2^32 cycles (10.7 s).  SysTick interrupts every 2^24
 * cycles (42 ms) and the handler notices a wrap by CYCCNT going backwards,
 * so a long inference is counted in full; ticks_now() does the same check
 * with interrupts masked.  The Cortex-M7 DWT is write-locked until its lock
 * access register is given the CoreSight key.
 */
#include "../qemu-mps2-an500/ticks.h"

#include "regs.h"

static volatile uint32_t high, last;

void SysTick_Handler(void);

static uint64_t sample(void)
{
    uint32_t now = DWT_CYCCNT;
    if (now < last)
        high++;
    last = now;
    return ((uint64_t)high << 32) | now;
}

void SysTick_Handler(void)
{
    (void)sample();
}

void ticks_start(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    DEMCR |= 1u << 24;          /* TRCENA */
    DWT_LAR = 0xC5ACCE55u;
    DWT_CTRL |= 1u;             /* CYCCNTENA */
    SYST_CSR = 0;
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7u;              /* enable, interrupt, processor clock */
    DWT_CYCCNT = 0;
    high = 0;
    last = 0;
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

uint64_t ticks_now(void)
{
    uint32_t primask;
    uint64_t t;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    t = sample();
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
    return t;
}
