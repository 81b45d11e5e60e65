/*
 * uart.c - polled CMSDK APB UART (ARM DDI0479C, "APB UART"): DATA, STATE,
 * CTRL and BAUDDIV, nothing else.  No interrupts, no state in RAM.
 */
#include "uart.h"

#include "board.h"

#define UART_REG(off) (*(volatile uint32_t *)(MPS2_UART0_BASE + (off)))
#define UART_DATA UART_REG(0x00)
#define UART_STATE UART_REG(0x04)
#define UART_CTRL UART_REG(0x08)
#define UART_BAUDDIV UART_REG(0x10)

#define STATE_TXFULL 0x1u
#define STATE_RXFULL 0x2u
#define STATE_RXOVERRUN 0x8u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u

void uart_init(void)
{
    /* 115200 baud from the 25 MHz APB clock; QEMU ignores the rate but
     * warns about a divider below 16, and real hardware needs one. */
    UART_BAUDDIV = MPS2_SYSCLK_HZ / 115200u;
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN;
    UART_STATE = STATE_RXOVERRUN; /* write-one-to-clear stale overrun */
}

void uart_putc(uint8_t c)
{
    while (UART_STATE & STATE_TXFULL)
        ;
    UART_DATA = c;
}

void uart_write(const void *data, uint32_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    while (n--)
        uart_putc(*p++);
}

uint8_t uart_getc(int *overrun)
{
    uint32_t st;
    while (!((st = UART_STATE) & STATE_RXFULL))
        ;
    if (st & STATE_RXOVERRUN) {
        UART_STATE = STATE_RXOVERRUN;
        *overrun = 1;
    }
    return (uint8_t)UART_DATA;
}
