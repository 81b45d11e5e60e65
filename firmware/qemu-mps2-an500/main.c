/*
 * main.c - the validation firmware: runs any generated network on QEMU's
 * mps2-an500 and serves `kiln validate --target qemu` over UART0 with the
 * protocol of ../protocol.h (docs/validation-protocol.md).
 *
 * Built by compiler/target/qemu.c together with the generated NET.c (and
 * NET_data.c for inline weights) and the runtime, with -DKILN_NET=<NET>.  It
 * drives the network only through the kiln_model descriptor and the public
 * runtime API, as an application would, so the blob is checked exactly as
 * on a board.  After init it sends HELLO (model, signature, sizes, the init
 * status and what the blob check found); if init refused the blob it exits
 * with KVP_EXIT_REFUSED.  Otherwise it answers each INPUT frame with an
 * OUTPUT frame (SysTick ticks of the kiln_net_run call, then the outputs)
 * until QUIT.  A frame with a wrong length, type or CRC is answered with
 * ERROR and never computed on.
 *
 * Memory is static and sized at build time: the arena from NET_ARENA_BYTES,
 * the caller-side I/O buffers from -DKILN_QEMU_IO_BYTES (which the host
 * computes from the model).  Even inferences pass those caller buffers, odd
 * ones use the tensors' arena slots (kiln_net_input/kiln_net_output), so
 * both paths of the generated code run on the target.  No heap, no stdio.
 *
 * Build-time options:
 *   KILN_NET              the network's C name (required)
 *   KILN_QEMU_BLOB_ADDR   external-flash address of the blob (default 0x60000000)
 *   KILN_QEMU_EXTERNAL_BLOB  use the blob at that address even when the
 *                         network has its weights compiled in (validate --blob)
 *   KILN_QEMU_NO_CRC      init with KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC
 *   KILN_QEMU_IO_BYTES    bytes for caller-side input/output buffers (0: arena only)
 *   KILN_PROFILE, KILN_PROFILE_CALLS  per-layer profile: a PROFILE frame after
 *                         each OUTPUT (profile.c)
 */
#include <stdint.h>

#include "../protocol.h"
/* Another board's port (firmware/stm32h7) builds this file with
 * -DKILN_FW_PORT and its own port.h first on the include path: the board
 * facts below (FW_XFLASH_*, FW_TICK_HZ) then come from there, and the
 * uart/ticks/startup functions from that port's sources. */
#ifdef KILN_FW_PORT
#include "port.h"
#else
#include "board.h"
#endif
#include "frames.h"
#include "profile.h"
#include "startup.h"
#include "ticks.h"
#include "uart.h"

#ifndef KILN_NET
#error "build with -DKILN_NET=<name> of the generated network (NET.h, NET.c)"
#endif
#define KV_STR_(x) #x
#define KV_STR(x) KV_STR_(x)
#define KV_CAT_(a, b) a##b
#define KV_CAT(a, b) KV_CAT_(a, b)

#include KV_STR(KILN_NET.h)

#define NET_MODEL KV_CAT(KILN_NET, _model)
#define NET_ARENA KV_CAT(KILN_NET, _ARENA_BYTES)
#define NET_ALIGN KV_CAT(KILN_NET, _ARENA_ALIGN)
#define NET_INLINE KV_CAT(KILN_NET, _WEIGHTS_INLINE)
#define NET_N_IN KV_CAT(KILN_NET, _NUM_INPUTS)
#define NET_N_OUT KV_CAT(KILN_NET, _NUM_OUTPUTS)

#ifndef KILN_QEMU_BLOB_ADDR
#define KILN_QEMU_BLOB_ADDR KILN_QEMU_BLOB_ADDR_DEFAULT
#endif
#if KILN_QEMU_BLOB_ADDR < FW_XFLASH_BASE || KILN_QEMU_BLOB_ADDR >= FW_XFLASH_BASE + FW_XFLASH_BYTES
#error "KILN_QEMU_BLOB_ADDR must lie in the board's external-flash window (FW_XFLASH_BASE, FW_XFLASH_BYTES)"
#endif
#ifndef KILN_QEMU_IO_BYTES
#define KILN_QEMU_IO_BYTES 0
#endif

#if NET_INLINE && !defined(KILN_QEMU_EXTERNAL_BLOB)
#define BLOB_PTR ((const void *)0) /* the compiled-in weights */
#define BLOB_ADDR 0u
#define BLOB_CAPACITY 0u
#else
#define BLOB_ADDR ((uint32_t)(KILN_QEMU_BLOB_ADDR))
#define BLOB_PTR ((const void *)(uintptr_t)BLOB_ADDR)
#define BLOB_CAPACITY (FW_XFLASH_BASE + FW_XFLASH_BYTES - BLOB_ADDR)
#endif
#ifdef KILN_QEMU_NO_CRC
#define INIT_FLAGS KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC
#else
#define INIT_FLAGS 0u
#endif

static uint8_t arena[NET_ARENA > 0 ? NET_ARENA : 1] KILN_ALIGNED(NET_ALIGN);
static uint8_t io_area[KILN_QEMU_IO_BYTES + 16] KILN_ALIGNED(16);

static uint32_t round16(uint32_t n)
{
    return (n + 15u) & ~15u;
}

/* Lays the caller buffers out in io_area, 16-byte aligned each; returns 0
 * when they do not fit (the firmware then uses the arena slots only). */
static int layout_caller_buffers(const kiln_model *m, void **in, void **out)
{
    uint32_t i, off = 0;
    for (i = 0; i < m->n_inputs; i++)
        off += round16(m->inputs[i].bytes);
    for (i = 0; i < m->n_outputs; i++)
        off += round16(m->outputs[i].bytes);
    if (off > KILN_QEMU_IO_BYTES)
        return 0;
    off = 0;
    for (i = 0; i < m->n_inputs; i++) {
        in[i] = io_area + off;
        off += round16(m->inputs[i].bytes);
    }
    for (i = 0; i < m->n_outputs; i++) {
        out[i] = io_area + off;
        off += round16(m->outputs[i].bytes);
    }
    return 1;
}

static uint32_t put_str(uint8_t *p, uint32_t n, uint32_t cap, const char *s)
{
    while (s && *s && n + 1 < cap)
        p[n++] = (uint8_t)*s++;
    if (n < cap)
        p[n++] = 0;
    return n;
}

static void send_hello(const kiln_model *m, const kiln_net *net, kiln_status s, uint32_t in_bytes,
                       uint32_t out_bytes, int caller_bufs)
{
    uint8_t p[KVP_HELLO_MAX];
    const kiln_blob_report *r = &net->report;
    uint32_t i, n, flags = 0;
    for (i = 0; i < KVP_HELLO_FIXED; i++)
        p[i] = 0;
    if (BLOB_ADDR == 0u)
        flags |= KVP_HELLO_F_INLINE;
    if (INIT_FLAGS & KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC)
        flags |= KVP_HELLO_F_NO_CRC;
    if (caller_bufs)
        flags |= KVP_HELLO_F_CALLER_BUFS;
    if (profile_enabled())
        flags |= KVP_HELLO_F_PROFILE;
    kvp_put_u32(p + KVP_HELLO_OFF_VERSION, KVP_VERSION);
    kvp_put_u32(p + KVP_HELLO_OFF_STATUS, (uint32_t)s);
    kvp_put_u64(p + KVP_HELLO_OFF_SIGNATURE, m->signature);
    kvp_put_u32(p + KVP_HELLO_OFF_IN_BYTES, in_bytes);
    kvp_put_u32(p + KVP_HELLO_OFF_OUT_BYTES, out_bytes);
    kvp_put_u32(p + KVP_HELLO_OFF_N_INPUTS, m->n_inputs);
    kvp_put_u32(p + KVP_HELLO_OFF_N_OUTPUTS, m->n_outputs);
    kvp_put_u32(p + KVP_HELLO_OFF_ARENA, m->arena_bytes);
    kvp_put_u32(p + KVP_HELLO_OFF_BLOB_ADDR, BLOB_ADDR);
    kvp_put_u32(p + KVP_HELLO_OFF_CAPACITY, BLOB_CAPACITY ? BLOB_CAPACITY : m->blob_bytes);
    kvp_put_u32(p + KVP_HELLO_OFF_TICK_HZ, FW_TICK_HZ);
    kvp_put_u32(p + KVP_HELLO_OFF_FLAGS, flags);
    kvp_put_u32(p + KVP_HELLO_OFF_R_VERSION, r->version);
    kvp_put_u32(p + KVP_HELLO_OFF_R_HEADER_SIZE, r->header_size);
    kvp_put_u32(p + KVP_HELLO_OFF_R_FLAGS, r->flags);
    kvp_put_u32(p + KVP_HELLO_OFF_R_ALIGN, r->align);
    kvp_put_u32(p + KVP_HELLO_OFF_R_PAYLOAD, r->payload_size);
    kvp_put_u32(p + KVP_HELLO_OFF_R_TENSORS, r->tensor_count);
    kvp_put_u64(p + KVP_HELLO_OFF_R_SIGNATURE, r->signature);
    kvp_put_u32(p + KVP_HELLO_OFF_R_TOTAL, r->total_size);
    kvp_put_u32(p + KVP_HELLO_OFF_R_CRC_EXP, r->crc_expected);
    kvp_put_u32(p + KVP_HELLO_OFF_R_CRC_FOUND, r->crc_found);
    n = put_str(p, KVP_HELLO_FIXED, sizeof p, m->name);
    n = put_str(p, n, sizeof p, kiln_status_name(s));
    n = put_str(p, n, sizeof p, kiln_status_str(s));
    /* A check about one field says which, in the same string:
     * "...; header field payload_size: found 0, expected 14928". */
    if (r->field && n > 0 && n + 3 < sizeof p) {
        p[n - 1] = ';';
        p[n++] = ' ';
        n += (uint32_t)kiln_blob_report_str(r, (char *)p + n, sizeof p - n) + 1u;
    }
    kvp_send(KVP_T_HELLO, 0, p, n);
}

/* Reads an INPUT payload straight into the input buffers. */
static void receive_inputs(kvp_rx *r, const kiln_model *m, uint8_t *const *dst)
{
    uint32_t i, b;
    for (i = 0; i < m->n_inputs; i++)
        for (b = 0; b < m->inputs[i].bytes; b++)
            dst[i][b] = kvp_rx_byte(r);
}

static void send_outputs(uint8_t seq, const kiln_model *m, const uint8_t *const *src, uint32_t out_bytes,
                         uint64_t ticks)
{
    kvp_tx t;
    uint8_t fixed[KVP_OUTPUT_FIXED];
    uint32_t i;
    kvp_put_u64(fixed + KVP_OUTPUT_OFF_TICKS, ticks);
    kvp_tx_begin(&t, KVP_T_OUTPUT, seq, KVP_OUTPUT_FIXED + out_bytes);
    kvp_tx_put(&t, fixed, sizeof fixed);
    for (i = 0; i < m->n_outputs; i++)
        kvp_tx_put(&t, src[i], m->outputs[i].bytes);
    kvp_tx_end(&t);
}

int main(void)
{
    const kiln_model *m = &NET_MODEL;
    static kiln_net net;
    void *cin[NET_N_IN + 1], *cout[NET_N_OUT + 1];
    uint8_t *in_ptr[NET_N_IN + 1];
    const uint8_t *out_ptr[NET_N_OUT + 1];
    uint32_t i, in_bytes = 0, out_bytes = 0, runs = 0;
    int caller_bufs;
    kiln_status s;

    uart_init();
    for (i = 0; i < m->n_inputs; i++)
        in_bytes += m->inputs[i].bytes;
    for (i = 0; i < m->n_outputs; i++)
        out_bytes += m->outputs[i].bytes;
    caller_bufs = m->n_inputs <= NET_N_IN && m->n_outputs <= NET_N_OUT &&
                  layout_caller_buffers(m, cin, cout);

    s = kiln_net_init(&net, m, BLOB_PTR, BLOB_CAPACITY, arena, sizeof arena, INIT_FLAGS);
    send_hello(m, &net, s, in_bytes, out_bytes, caller_bufs);
    if (s != KILN_OK)
        return KVP_EXIT_REFUSED;

    for (;;) {
        kvp_rx r;
        uint32_t computed, received;
        int own;
        uint64_t t0, t1;

        kvp_rx_header(&r);
        if (r.type != KVP_T_INPUT && r.type != KVP_T_QUIT) {
            kvp_send_error(r.seq, KVP_E_TYPE, r.type, 0, "unknown frame type");
            continue;
        }
        if (r.len != (r.type == KVP_T_INPUT ? in_bytes : 0u)) {
            kvp_send_error(r.seq, KVP_E_LENGTH, r.len, r.type == KVP_T_INPUT ? in_bytes : 0u,
                           "payload length differs from what this frame type carries");
            continue;
        }
        /* Even inferences through caller buffers, odd ones through the arena. */
        own = !caller_bufs || (runs & 1u);
        for (i = 0; i < m->n_inputs; i++)
            in_ptr[i] = own ? (uint8_t *)kiln_net_input(&net, i) : (uint8_t *)cin[i];
        if (r.type == KVP_T_INPUT)
            receive_inputs(&r, m, in_ptr);
        if (!kvp_rx_crc(&r, &computed, &received)) {
            kvp_send_error(r.seq, KVP_E_CRC, computed, received, "frame CRC mismatch: not computed");
            continue;
        }
        if (r.overrun) {
            kvp_send_error(r.seq, KVP_E_OVERRUN, r.got, 0, "UART receive overrun: not computed");
            continue;
        }
        if (r.type == KVP_T_QUIT) {
            uint8_t bye[KVP_BYE_BYTES];
            kvp_put_u32(bye + KVP_BYE_OFF_RUNS, runs);
            kvp_send(KVP_T_BYE, r.seq, bye, sizeof bye);
            return KVP_EXIT_OK;
        }

        profile_begin();
        ticks_start(); /* same tick phase every inference: repeatable counts */
        t0 = ticks_now();
        s = kiln_net_run(&net, own ? 0 : (const void *const *)cin, own ? 0 : (void *const *)cout);
        t1 = ticks_now();
        if (!stack_intact()) {
            kvp_send_error(r.seq, KVP_E_STACK, stack_bytes(), 0,
                           "the inference overflowed the firmware stack");
            return KVP_EXIT_FAULT;
        }
        if (s != KILN_OK) {
            kvp_send_error(r.seq, KVP_E_RUN, (uint32_t)s, 0, kiln_status_str(s));
            continue;
        }
        for (i = 0; i < m->n_outputs; i++)
            out_ptr[i] = own ? (const uint8_t *)kiln_net_output(&net, i) : (const uint8_t *)cout[i];
        send_outputs(r.seq, m, out_ptr, out_bytes, t1 - t0);
        profile_send(r.seq, t0);
        runs++;
    }
}
