/*
 * integrity_fw.c - bench firmware for bench/integrity.sh: how many
 * instructions kiln_net_init takes on the emulated Cortex-M7 (QEMU
 * mps2-an500, -icount shift=0, so one 25 MHz SysTick tick is exactly 40
 * instructions), with the blob memory-mapped at 0x60000000 as from external
 * flash, and what its two payload checks cost alone (kiln_crc32,
 * kiln_sha256 over the payload).
 *
 * Built with the validation firmware's startup, UART, tick and semihosting
 * files (firmware/qemu-mps2-an500/, everything but main.c), the runtime and
 * one generated network (-DKILN_NET=<name>).  Prints one line on UART0 and
 * exits 0 when init accepted the blob, 1 when it refused it.  No heap, no
 * stdio.
 */
#include <stdint.h>

#include "kiln/model.h"
#include "kiln/sha256.h"
#include "board.h"
#include "ticks.h"
#include "uart.h"

#ifndef KILN_NET
#error "build with -DKILN_NET=<name> of the generated network"
#endif
#define KV_STR_(x) #x
#define KV_STR(x) KV_STR_(x)
#define KV_CAT_(a, b) a##b
#define KV_CAT(a, b) KV_CAT_(a, b)
#include KV_STR(KILN_NET.h)
#define NET_MODEL KV_CAT(KILN_NET, _model)
#define NET_ARENA KV_CAT(KILN_NET, _ARENA_BYTES)
#define NET_ALIGN KV_CAT(KILN_NET, _ARENA_ALIGN)

#define BLOB ((const uint8_t *)(uintptr_t)MPS2_PSRAM_BASE)

static uint8_t arena[NET_ARENA > 0 ? NET_ARENA : 1] KILN_ALIGNED(NET_ALIGN);
static volatile uint32_t sink; /* keeps the checks' results alive */

static void put(const char *s)
{
    while (*s)
        uart_putc((uint8_t)*s++);
}

static void put_u64(uint64_t v)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (k)
        uart_putc((uint8_t)d[--k]);
}

static void field(const char *name, uint64_t v)
{
    put(name);
    put("=");
    put_u64(v);
    put(" ");
}

int main(void)
{
    static kiln_net net;
    const kiln_model *m = &NET_MODEL;
    const uint32_t payload = m->blob_bytes - KILN_BLOB_HEADER_SIZE;
    uint8_t digest[KILN_SHA256_BYTES];
    uint64_t t0, t_init, t_crc, t_sha;
    kiln_status s;

    uart_init();
    ticks_start();
    t0 = ticks_now();
    s = kiln_net_init(&net, m, BLOB, MPS2_PSRAM_BYTES, arena, sizeof arena, 0);
    t_init = ticks_now() - t0;

    ticks_start();
    t0 = ticks_now();
    sink = kiln_crc32(0, BLOB + KILN_BLOB_HEADER_SIZE, payload);
    t_crc = ticks_now() - t0;

    ticks_start();
    t0 = ticks_now();
    kiln_sha256(BLOB + KILN_BLOB_HEADER_SIZE, payload, digest);
    t_sha = ticks_now() - t0;
    sink = digest[0];

    field("payload_bytes", payload);
    field("integrity", m->blob.integrity);
    field("init_ticks", t_init);
    field("crc32_ticks", t_crc);
    field("sha256_ticks", t_sha);
    field("tick_hz", MPS2_SYSCLK_HZ);
    put("status=");
    put(kiln_status_name(s));
    put("\n");
    uart_flush();
    return s == KILN_OK ? 0 : 1;
}
