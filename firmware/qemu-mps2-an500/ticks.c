/*
 * ticks.c - SysTick free-running over its full 24-bit range; its interrupt
 * counts wraps, so ticks_now() = wraps * 2^24 + (2^24 - 1 - VAL).
 *
 * Starting the counter also fixes its phase: QEMU's SysTick counts from the
 * moment it is enabled, so restarting it right before an inference makes the
 * tick boundaries fall at the same instructions every run, and the count of
 * an inference is repeatable to the tick (without the restart the phase
 * depends on how long the firmware polled the UART, i.e. on the host, and
 * counts jitter by one tick).
 *
 * The wrap counter is the firmware's only interrupt-shared variable.  A wrap
 * that happened but whose interrupt has not been taken yet shows as
 * PENDSTSET; ticks_now() reads with interrupts masked and counts such a wrap
 * itself, so a reading is never 2^24 ticks short.
 */
#include "ticks.h"

#include "board.h"

#define RELOAD 0x00FFFFFFu
#define CSR_ENABLE 0x1u
#define CSR_TICKINT 0x2u
#define CSR_CLKSOURCE 0x4u  /* 1: the processor clock */

static volatile uint32_t wraps;

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    wraps++;
}

void ticks_start(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    SYST_CSR = 0;
    SYST_RVR = RELOAD;
    SYST_CVR = 0;   /* any write clears the counter; it reloads on the next clock */
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE;
    while (SYST_CVR == 0)
        ;
    /* That first reload is not a wrap (QEMU flags it as one). */
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    wraps = 0;
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

uint64_t ticks_now(void)
{
    uint32_t primask, w, v;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    w = wraps;
    v = SYST_CVR;
    if (SCB_ICSR & SCB_ICSR_PENDSTSET) {
        /* Wrapped, interrupt not taken yet: re-read so v is after the wrap. */
        v = SYST_CVR;
        w++;
    }
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
    return ((uint64_t)w << 24) + (RELOAD - v);
}
