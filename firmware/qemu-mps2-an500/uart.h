/*
 * uart.h - polled driver for the CMSDK APB UART (UART0 of mps2-an500).
 *
 * Blocking, no interrupt handlers, no buffering beyond the UART's own one byte each
 * way.  On QEMU the receiver is flow-controlled (QEMU hands over the next
 * byte only once the previous one was read), so nothing is lost however long
 * an inference takes; on hardware an overrun is reported, never hidden.
 */
#ifndef KILN_MPS2_UART_H
#define KILN_MPS2_UART_H

#include <stdint.h>

void uart_init(void);
void uart_putc(uint8_t c);
void uart_write(const void *data, uint32_t n);
/* Waits until the UART has handed its last byte on (TXFULL clear): the
 * emulator may still hold it when the chardev was busy, and exiting first
 * would lose it. */
void uart_flush(void);
/* Waits for one byte.  *overrun is set when the UART reports lost bytes. */
uint8_t uart_getc(int *overrun);

#endif
