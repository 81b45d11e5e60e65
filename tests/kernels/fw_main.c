/*
 * fw_main.c - the packed-kernel cases (packed_cases.c) as Cortex-M firmware
 * for QEMU's mps2-an500: runs every family, prints one line per family on
 * UART0, and exits (semihosting) with the number of failing families, so
 * tests/e2e/packed_kernels_qemu.sh sees the result in QEMU's exit status.
 * Built with the firmware's startup, UART and semihosting files; no heap.
 */
#include <stdint.h>

#include "packed_cases.h"
#include "firmware/qemu-mps2-an500/uart.h"

static void put_str(const char *s)
{
    while (*s)
        uart_putc((uint8_t)*s++);
}

static void put_int(int32_t v)
{
    char b[12];
    int n = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    do
        b[n++] = (char)('0' + u % 10u);
    while ((u /= 10u) != 0);
    if (v < 0)
        uart_putc('-');
    while (n)
        uart_putc((uint8_t)b[--n]);
}

static int report(const char *what, const pc_result *r)
{
    put_str(what);
    put_str(": ");
    put_int((int32_t)r->cases);
    put_str(" cases, ");
    put_int((int32_t)r->values);
    put_str(" values, ");
    put_int((int32_t)r->failures);
    put_str(" failing");
    if (r->failures) {
        put_str(" (first: seed ");
        put_int((int32_t)r->fail_seed);
        put_str(" case ");
        put_int((int32_t)r->fail_index);
        put_str(" value ");
        put_int((int32_t)r->fail_at);
        put_str(": got ");
        put_int(r->fail_got);
        put_str(", want ");
        put_int(r->fail_want);
        put_str(")");
    }
    put_str("\n");
    return r->failures != 0 || r->cases == 0;
}

#define N_CASES 1500u

int main(void)
{
    pc_result r[19] = {{0}};
    int bad = 0;
    uart_init();
    pc_requant(11, N_CASES * 4u, &r[0]);
    bad += report("requant", &r[0]);
    pc_conv(12, N_CASES, 0, &r[1]);
    bad += report("conv p8", &r[1]);
    pc_conv(13, N_CASES, 1, &r[2]);
    bad += report("conv p16", &r[2]);
    pc_fc(14, N_CASES, 0, &r[3]);
    bad += report("fc p8", &r[3]);
    pc_fc(15, N_CASES, 1, &r[4]);
    bad += report("fc p16", &r[4]);
    pc_dw3x3(16, N_CASES, &r[5]);
    bad += report("depthwise 3x3", &r[5]);
    pc_add(17, N_CASES, &r[6]);
    bad += report("add/sub tables", &r[6]);
    pc_avgpool(18, N_CASES, &r[7]);
    bad += report("average pool", &r[7]);
    pc_dw3x3c4(19, N_CASES, &r[8]);
    bad += report("depthwise 3x3 c4", &r[8]);
    pc_dw3x3c4s2(20, N_CASES, &r[9]);
    bad += report("depthwise 3x3 c4 stride 2", &r[9]);
    pc_conv_c8(21, N_CASES, &r[10]);
    bad += report("conv 1x1 c8", &r[10]);
    pc_conv_rgb(22, N_CASES, &r[11]);
    bad += report("conv 3x3 rgb", &r[11]);
    pc_edges(23, N_CASES, 0, 0, &r[12]);
    bad += report("fc p8 at the requantization's edges", &r[12]);
    pc_edges(24, N_CASES, 0, 1, &r[13]);
    bad += report("fc p16 at the requantization's edges", &r[13]);
    pc_edges(25, N_CASES, 1, 0, &r[14]);
    bad += report("conv p8 at the requantization's edges", &r[14]);
    pc_edges(26, N_CASES, 1, 1, &r[15]);
    bad += report("conv p16 at the requantization's edges", &r[15]);
    pc_dw_any(27, N_CASES, &r[16]);
    bad += report("depthwise any window", &r[16]);
    pc_conv_1x1(28, N_CASES, 0, &r[17]);
    bad += report("conv 1x1 p8", &r[17]);
    pc_conv_1x1(29, N_CASES, 1, &r[18]);
    bad += report("conv 1x1 p16", &r[18]);
    return bad;
}
