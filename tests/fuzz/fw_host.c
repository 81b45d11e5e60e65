/*
 * fw_host.c - host stand-ins for the mps2-an500 drivers the validation
 * firmware calls (uart.h, ticks.h, startup.h); see fw_host.h.
 *
 * Relies on the firmware reading only through uart_getc() and writing only
 * through uart_putc()/uart_write().  Never sets an overrun: QEMU's UART is
 * flow-controlled, and the overrun path is a hardware matter.
 */
#include "fw_host.h"

#include "startup.h"
#include "ticks.h"
#include "uart.h"

jmp_buf fw_host_eof;

static const uint8_t *in;
static size_t in_len, in_pos;
static vp_decoder *out;
static uint64_t ticks;

void fw_host_begin(const uint8_t *rx, size_t n, vp_decoder *tx)
{
    in = rx;
    in_len = n;
    in_pos = 0;
    out = tx;
    ticks = 0;
}

void uart_init(void) {}

void uart_putc(uint8_t c)
{
    vp_feed(out, &c, 1);
}

void uart_write(const void *data, uint32_t n)
{
    vp_feed(out, data, n);
}

void uart_flush(void) {}

uint8_t uart_getc(int *overrun)
{
    (void)overrun;
    if (in_pos >= in_len)
        longjmp(fw_host_eof, 1);
    return in[in_pos++];
}

void ticks_start(void)
{
    ticks = 0;
}

uint64_t ticks_now(void)
{
    return ticks += 1000;
}

int stack_intact(void)
{
    return 1;
}

uint32_t stack_bytes(void)
{
    return 0;
}
