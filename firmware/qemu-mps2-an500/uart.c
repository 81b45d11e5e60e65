/*
 * uart.c - polled CMSDK APB UART (ARM DDI0479C, "APB UART"): DATA, STATE,
 * CTRL, INTSTATUS and BAUDDIV.  No interrupt handler and no state in RAM.
 *
 * Waiting for a received byte sleeps in WFI with the RX interrupt enabled
 * in the NVIC but masked by PRIMASK: the pending interrupt only wakes the
 * core, it is never taken, and it is disabled and cleared again before
 * uart_getc returns.  Sleeping rather than spinning matters on QEMU: a
 * halted vCPU lets the emulator's I/O thread hand over the next byte at
 * once, which roughly halves the time a large input frame takes.
 */
#include "uart.h"

#include "board.h"

#define UART_REG(off) (*(volatile uint32_t *)(MPS2_UART0_BASE + (off)))
#define UART_DATA UART_REG(0x00)
#define UART_STATE UART_REG(0x04)
#define UART_CTRL UART_REG(0x08)
#define UART_INTSTATUS UART_REG(0x0C)
#define UART_BAUDDIV UART_REG(0x10)

#define STATE_TXFULL 0x1u
#define STATE_RXFULL 0x2u
#define STATE_RXOVERRUN 0x8u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u
#define CTRL_RX_INTEN 0x8u
#define INT_RX 0x2u

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0 (*(volatile uint32_t *)0xE000E180u)
#define NVIC_ICPR0 (*(volatile uint32_t *)0xE000E280u)
#define UART0_RX_IRQ 0u /* mps2-an500: UART0 RX is external interrupt 0 */

void uart_init(void)
{
    /* 115200 baud from the 25 MHz APB clock; QEMU ignores the rate but
     * warns about a divider below 16, and real hardware needs one. */
    UART_BAUDDIV = MPS2_SYSCLK_HZ / 115200u;
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
    UART_STATE = STATE_RXOVERRUN; /* write-one-to-clear stale overrun */
}

void uart_putc(uint8_t c)
{
    while (UART_STATE & STATE_TXFULL)
        ;
    UART_DATA = c;
}

void uart_flush(void)
{
    while (UART_STATE & STATE_TXFULL)
        ;
}

void uart_write(const void *data, uint32_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    while (n--)
        uart_putc(*p++);
}

uint8_t uart_getc(int *overrun)
{
    uint32_t st = UART_STATE;
    if (!(st & STATE_RXFULL)) {
        uint32_t primask;
        __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
        NVIC_ISER0 = 1u << UART0_RX_IRQ;
        while (!((st = UART_STATE) & STATE_RXFULL))
            __asm__ volatile("wfi" ::: "memory");
        NVIC_ICER0 = 1u << UART0_RX_IRQ;
        UART_INTSTATUS = INT_RX;
        NVIC_ICPR0 = 1u << UART0_RX_IRQ;
        __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
    }
    if (st & STATE_RXOVERRUN) {
        UART_STATE = STATE_RXOVERRUN;
        *overrun = 1;
    }
    return (uint8_t)UART_DATA;
}
