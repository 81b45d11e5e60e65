/*
 * uart.c - USART1 on PA9 (TX) / PA10 (RX), AF7: the ST-LINK virtual COM
 * port of the STM32H747I-DISCO and STM32H745I-DISCO, 115200 8N1, polled,
 * FIFO off; implements ../qemu-mps2-an500/uart.h, the interface the shared
 * protocol code uses.  Written from RM0399 (USART chapter).
 *
 * The receiver has one byte of buffer: the host sends one INPUT frame and
 * waits for its answer (docs/validation-protocol.md), so the firmware is
 * always reading while bytes arrive; a byte lost anyway sets ORE, which is
 * cleared and reported (the frame is answered with ERROR, not computed).
 */
#include "../qemu-mps2-an500/uart.h"

#include "clock.h"
#include "regs.h"

#ifndef KILN_H7_BAUD
#define KILN_H7_BAUD 115200u
#endif

#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TC (1u << 6)
#define ISR_TXE (1u << 7)

void uart_init(void)
{
    RCC_AHB4ENR |= 1u << PORT_A;
    RCC_APB2ENR |= 1u << 4;         /* USART1EN */
    (void)RCC_APB2ENR;
    for (uint32_t pin = 9; pin <= 10; pin++) {
        uint32_t sh2 = 2u * pin, sh4 = 4u * (pin - 8u);
        GPIO_AFR(PORT_A, pin) = (GPIO_AFR(PORT_A, pin) & ~(0xFu << sh4)) | (7u << sh4);
        GPIO_OSPEEDR(PORT_A) |= 1u << sh2;
        GPIO_MODER(PORT_A) = (GPIO_MODER(PORT_A) & ~(3u << sh2)) | (2u << sh2);
    }
    USART1_CR1 = 0;
    USART1_BRR = (H7_APB2_HZ + KILN_H7_BAUD / 2u) / KILN_H7_BAUD; /* oversampling by 16 */
    USART1_CR1 = (1u << 3) | (1u << 2) | 1u;                       /* TE, RE, UE */
}

void uart_putc(uint8_t c)
{
    while (!(USART1_ISR & ISR_TXE))
        ;
    USART1_TDR = c;
}

void uart_write(const void *data, uint32_t n)
{
    const uint8_t *p = data;
    while (n--)
        uart_putc(*p++);
}

void uart_flush(void)
{
    while (!(USART1_ISR & ISR_TC))
        ;
}

uint8_t uart_getc(int *overrun)
{
    uint32_t isr;
    while (!((isr = USART1_ISR) & ISR_RXNE)) {
        if (isr & ISR_ORE) {
            USART1_ICR = ISR_ORE;   /* ORECF */
            *overrun = 1;
        }
    }
    if (isr & ISR_ORE) {
        USART1_ICR = ISR_ORE;
        *overrun = 1;
    }
    return (uint8_t)USART1_RDR;
}
