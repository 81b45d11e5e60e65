/*
 * f32_fw_main.c - the packed float32 kernel cases (f32_cases.c) as Cortex-M
 * firmware for QEMU's mps2-an500: runs every family, prints one line per
 * family on UART0, and exits (semihosting) with the number of failing
 * families, so tests/e2e/packed_f32_qemu.sh sees the result in QEMU's exit
 * status.  Built with the firmware's startup, UART and semihosting files; no
 * heap.  Floats are printed as their bit patterns (no printf here).
 */
#include <stdint.h>
#include <string.h>

#include "f32_cases.h"
#include "firmware/qemu-mps2-an500/uart.h"

static void put_str(const char *s)
{
    while (*s)
        uart_putc((uint8_t)*s++);
}

static void put_uint(uint32_t u)
{
    char b[12];
    int n = 0;
    do
        b[n++] = (char)('0' + u % 10u);
    while ((u /= 10u) != 0);
    while (n)
        uart_putc((uint8_t)b[--n]);
}

static void put_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_str("0x");
    for (int i = 7; i >= 0; i--)
        uart_putc((uint8_t)"0123456789abcdef"[(u >> (4 * i)) & 15u]);
}

static int report(const char *what, const fc32_result *r)
{
    put_str(what);
    put_str(": ");
    put_uint(r->cases);
    put_str(" cases (");
    put_uint(r->nhwc);
    put_str(" NHWC, ");
    put_uint(r->nchw);
    put_str(" NCHW, ");
    put_uint(r->direct);
    put_str(" read in place, ");
    put_uint(r->padded);
    put_str(" from a padded copy), ");
    put_uint(r->values);
    put_str(" values, ");
    put_uint(r->failures);
    put_str(" failing");
    if (r->failures) {
        put_str(" (first: seed ");
        put_uint(r->fail_seed);
        put_str(" case ");
        put_uint(r->fail_index);
        put_str(" value ");
        put_uint(r->fail_at);
        put_str(": got ");
        put_bits(r->fail_got);
        put_str(", want ");
        put_bits(r->fail_want);
        put_str(")");
    }
    put_str("\n");
    return r->failures != 0 || r->cases == 0;
}

#ifndef N_CASES
#define N_CASES 1000u
#endif

int main(void)
{
    fc32_result r[4];
    memset(r, 0, sizeof r);
    int bad = 0;
    uart_init();
    fc32_conv(11, N_CASES, &r[0]);
    bad += report("conv", &r[0]);
    fc32_depthwise(12, N_CASES, &r[1]);
    bad += report("depthwise", &r[1]);
    fc32_fc(13, N_CASES, &r[2]);
    bad += report("fully connected", &r[2]);
    fc32_maxpool(14, N_CASES, &r[3]);
    bad += report("max pooling", &r[3]);
    uart_flush();
    return bad;
}
