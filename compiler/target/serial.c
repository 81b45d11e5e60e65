/*
 * serial.c - `kiln validate --target serial`: program the blob through a GDB
 * server, verify it, start the firmware, then speak the validation protocol
 * (firmware/protocol.h, docs/validation-protocol.md) over the board's serial
 * port.  The board runs the firmware `kiln firmware` built (a real board's
 * internal flash, or QEMU's -kernel); this file never builds or flashes it.
 *
 * Relies on serial_port.c (raw termios, deadlines), probe.c (the blob
 * through the GDB server, read back, then 'c'), vproto.c for frames and
 * qemu.c's messages for refusals, ERROR and FAULT.
 * HELLO is checked before any input is sent: blob status, the model's
 * signature, name and I/O sizes must be the compiled model's.  Every exit
 * closes the port.
 */
#define _POSIX_C_SOURCE 200809L
#include "target/serial.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "kiln/status.h"
#include "target/child.h"
#include "target/fw_port.h"
#include "target/probe.h"
#include "target/qemu.h"
#include "target/serial_port.h"
#include "target/target_util.h"
#include "target/vproto.h"

typedef struct link {
    int fd;
    const serial_opts *so;
    vp_decoder dec;
    double deadline;
} link;

/* ---- the protocol over the port --------------------------------------------------- */

static bool recv_frame(link *l, vp_frame *f, const char *waiting_for, char *msg, size_t msglen)
{
    for (;;) {
        vp_status st = vp_next(&l->dec, f);
        if (st == VP_FRAME)
            return true;
        if (st == VP_BAD_CRC || st == VP_BAD_LENGTH) {
            snprintf(msg, msglen,
                     "a frame from the board (type %s, %" PRIu32 " payload bytes) %s while waiting for %s: the serial "
                     "data was garbled (wrong --baud?); its contents were not used",
                     vp_type_name(f->type), f->len, st == VP_BAD_CRC ? "failed its CRC" : "claims an impossible length",
                     waiting_for);
            return false;
        }
        uint8_t buf[4096];
        size_t got = 0;
        char err[256] = "";
        sport_io r = sport_read(l->fd, buf, sizeof buf, &got, l->deadline, err, sizeof err);
        if (r == SPORT_OK) {
            vp_feed(&l->dec, buf, got);
            continue;
        }
        size_t k = (size_t)snprintf(msg, msglen, "%s while waiting for %s on %s",
                                    r == SPORT_TIMEOUT ? "timed out" : r == SPORT_HANGUP ? "the serial port hung up" : err,
                                    waiting_for, l->so->port);
        if (l->dec.skipped && k < msglen)
            snprintf(msg + k, msglen - k, "; %" PRIu64 " bytes outside any frame: \"%s\" (wrong --baud, or not the "
                     "validation firmware?)", l->dec.skipped, l->dec.junk);
        return false;
    }
}

static bool send_frame(link *l, uint8_t type, uint8_t seq, const void *payload, uint32_t len, char *msg,
                       size_t msglen)
{
    uint8_t *b;
    size_t n = vp_encode(type, seq, payload, len, &b);
    char err[256] = "";
    sport_io r = sport_write(l->fd, b, n, l->deadline, err, sizeof err);
    free(b);
    if (r != SPORT_OK)
        snprintf(msg, msglen, "sending %s on %s: %s", vp_type_name(type), l->so->port,
                 r == SPORT_TIMEOUT ? "timed out" : r == SPORT_HANGUP ? "the serial port hung up" : err);
    return r == SPORT_OK;
}

static const char *payload_string(const vp_frame *f, uint32_t *off)
{
    if (*off >= f->len || !memchr(f->payload + *off, 0, f->len - *off))
        return "";
    const char *s = (const char *)f->payload + *off;
    *off += (uint32_t)strlen(s) + 1;
    return s;
}

/* Reads HELLO, prints what it says, checks it is this model and ready. */
static target_result hello(link *l, const compiled *c, size_t in_bytes, size_t out_bytes, uint32_t *tick_hz,
                           char *msg, size_t msglen)
{
    vp_frame f;
    char waiting[160];
    snprintf(waiting, sizeof waiting, "the firmware's HELLO (%d s)", l->so->hello_timeout_s);
    if (!recv_frame(l, &f, waiting, msg, msglen))
        return TARGET_ERROR;
    if (f.type == KVP_T_FAULT) {
        target_fault_message(NULL, l->so->elf, &f, "before HELLO, while starting", msg, msglen);
        return TARGET_ERROR;
    }
    if (f.type != KVP_T_HELLO || f.len < KVP_HELLO_FIXED) {
        snprintf(msg, msglen, "the board sent %s (%" PRIu32 " bytes) where HELLO was expected",
                 vp_type_name(f.type), f.len);
        return TARGET_ERROR;
    }
    const uint8_t *p = f.payload;
    if (kvp_get_u32(p + KVP_HELLO_OFF_VERSION) != KVP_VERSION) {
        snprintf(msg, msglen, "the board speaks validation protocol version %" PRIu32 ", kiln speaks %u",
                 kvp_get_u32(p + KVP_HELLO_OFF_VERSION), KVP_VERSION);
        return TARGET_ERROR;
    }
    uint32_t off = KVP_HELLO_FIXED;
    const char *name = payload_string(&f, &off), *st_name = payload_string(&f, &off);
    uint32_t status = kvp_get_u32(p + KVP_HELLO_OFF_STATUS), flags = kvp_get_u32(p + KVP_HELLO_OFF_FLAGS);
    uint64_t sig = kvp_get_u64(p + KVP_HELLO_OFF_SIGNATURE);
    *tick_hz = kvp_get_u32(p + KVP_HELLO_OFF_TICK_HZ);
    fprintf(stderr, "kiln validate: HELLO from '%s' on %s: model signature 0x%016" PRIx64 ", blob %s: %s (status %"
                    PRIu32 "), tick clock %" PRIu32 " Hz\n",
            name, l->so->port, sig, flags & KVP_HELLO_F_INLINE ? "compiled in" : "in external flash", st_name, status,
            *tick_hz);
    if (status != KILN_OK) {
        target_refusal_message(&f, l->so->board, msg, msglen);
        return TARGET_REFUSED;
    }
    if (sig != c->signature || strcmp(name, c->name) || kvp_get_u32(p + KVP_HELLO_OFF_IN_BYTES) != in_bytes ||
        kvp_get_u32(p + KVP_HELLO_OFF_OUT_BYTES) != out_bytes) {
        snprintf(msg, msglen,
                 "the board runs '%s' (signature 0x%016" PRIx64 ", %" PRIu32 "/%" PRIu32 " input/output bytes), not "
                 "the compiled '%s' (0x%016" PRIx64 ", %zu/%zu): flash the firmware `kiln firmware` builds from this "
                 "model with the same compile options",
                 name, sig, kvp_get_u32(p + KVP_HELLO_OFF_IN_BYTES), kvp_get_u32(p + KVP_HELLO_OFF_OUT_BYTES), c->name,
                 c->signature, in_bytes, out_bytes);
        return TARGET_ERROR;
    }
    if (flags & KVP_HELLO_F_PROFILE) {
        snprintf(msg, msglen, "the board runs a profiling build; the serial target takes the plain firmware");
        return TARGET_ERROR;
    }
    if (*tick_hz == 0) {
        snprintf(msg, msglen, "the board reports a tick clock of 0 Hz");
        return TARGET_ERROR;
    }
    return TARGET_OK;
}

static bool infer(link *l, size_t k, const uint8_t *in, size_t in_bytes, uint8_t *out, size_t out_bytes,
                  uint64_t *ticks, char *msg, size_t msglen)
{
    uint8_t seq = (uint8_t)(k & 0xFF);
    char when[64];
    snprintf(when, sizeof when, "on sample %zu", k);
    vp_frame f;
    if (!send_frame(l, KVP_T_INPUT, seq, in, (uint32_t)in_bytes, msg, msglen) ||
        !recv_frame(l, &f, "an OUTPUT frame", msg, msglen))
        return false;
    if (f.type == KVP_T_ERROR) {
        target_error_message(&f, when, msg, msglen);
        return false;
    }
    if (f.type == KVP_T_FAULT) {
        target_fault_message(NULL, l->so->elf, &f, when, msg, msglen);
        return false;
    }
    if (f.type != KVP_T_OUTPUT || f.seq != seq || f.len != KVP_OUTPUT_FIXED + out_bytes) {
        snprintf(msg, msglen,
                 "the board answered sample %zu with %s seq %u of %" PRIu32 " bytes; expected OUTPUT seq %u of %zu", k,
                 vp_type_name(f.type), f.seq, f.len, seq, KVP_OUTPUT_FIXED + out_bytes);
        return false;
    }
    *ticks = kvp_get_u64(f.payload + KVP_OUTPUT_OFF_TICKS);
    memcpy(out, f.payload + KVP_OUTPUT_FIXED, out_bytes);
    return true;
}

static bool quit(link *l, char *msg, size_t msglen)
{
    vp_frame f;
    if (!send_frame(l, KVP_T_QUIT, 0, NULL, 0, msg, msglen) || !recv_frame(l, &f, "BYE", msg, msglen))
        return false;
    if (f.type != KVP_T_BYE) {
        snprintf(msg, msglen, "the board answered QUIT with %s", vp_type_name(f.type));
        return false;
    }
    return true;
}

/* The mean count, said as what it is: QEMU instructions or DWT cycles. */
static void report_ticks(const fw_port *port, const target_io *io, uint64_t total, uint64_t lo, uint64_t hi,
                         uint32_t tick_hz, target_io *out)
{
    if (!io->samples)
        return;
    double mean = (double)total / (double)io->samples;
    if (port->ticks_are_insns) {
        /* -icount shift=0: 1 instruction per ns of virtual time. */
        double per_tick = 1e9 / (double)tick_hz;
        out->insns = (uint64_t)(mean * per_tick + 0.5);
        out->count = (target_count){"qemu_instructions", out->insns, (uint64_t)(lo * per_tick + 0.5),
                                    (uint64_t)(hi * per_tick + 0.5)};
        fprintf(stderr, "kiln validate: %zu inferences on %s: %" PRIu64 " instructions per inference (QEMU "
                        "-icount; not cycles)\n", io->samples, port->board, out->insns);
    } else {
        out->count = (target_count){"dwt_cycles", (uint64_t)(mean + 0.5), lo, hi};
        fprintf(stderr, "kiln validate: %zu inferences on %s: %.0f %s per inference (min %" PRIu64 ", max %" PRIu64
                        "), %.3f ms at %" PRIu32 " Hz\n",
                io->samples, port->board, mean, port->cycles, lo, hi, mean * 1e3 / (double)tick_hz, tick_hz);
    }
}

static target_result session(link *l, const compiled *c, const fw_port *port, target_io *io, char *msg,
                             size_t msglen)
{
    size_t in_bytes, out_bytes;
    uint32_t tick_hz = 0;
    uint64_t total = 0, lo = UINT64_MAX, hi = 0;
    target_io_bytes(c->g, &in_bytes, &out_bytes);
    target_result res = hello(l, c, in_bytes, out_bytes, &tick_hz, msg, msglen);
    if (res != TARGET_OK)
        return res;
    l->deadline = child_now() + 600;
    for (size_t k = 0; k < io->samples; k++) {
        uint64_t t;
        if (!infer(l, k, io->inputs + k * in_bytes, in_bytes, io->outputs + k * out_bytes, out_bytes, &t, msg, msglen))
            return TARGET_ERROR;
        total += t;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    if (!quit(l, msg, msglen))
        return TARGET_ERROR;
    report_ticks(port, io, total, lo, hi, tick_hz, io);
    return TARGET_OK;
}

target_result target_serial_run(const compiled *c, const target_opts *o, const serial_opts *so, target_io *io,
                                char *msg, size_t msglen)
{
    io->insns = 0;
    const fw_port *port = fw_port_find(so->board);
    if (!port) {
        snprintf(msg, msglen, "--board %s: no validation firmware port for it (ports: %s)",
                 so->board ? so->board : "(none)", fw_port_names());
        return TARGET_ERROR;
    }
    size_t in_bytes, out_bytes;
    target_io_bytes(c->g, &in_bytes, &out_bytes);
    if (in_bytes > KVP_MAX_PAYLOAD || out_bytes + KVP_OUTPUT_FIXED > KVP_MAX_PAYLOAD) {
        snprintf(msg, msglen, "inputs of %zu or outputs of %zu bytes exceed the protocol's %u-byte frames", in_bytes,
                 out_bytes, KVP_MAX_PAYLOAD);
        return TARGET_ERROR;
    }
    link l;
    memset(&l, 0, sizeof l);
    l.so = so;
    /* The port is opened before the target runs: what it sends first
     * (HELLO) would otherwise be lost (QEMU drops output nobody reads). */
    l.fd = sport_open(so->port, so->baud, msg, msglen);
    if (l.fd < 0)
        return TARGET_ERROR;
    size_t max = KVP_OUTPUT_FIXED + out_bytes;
    max = max > KVP_HELLO_MAX ? max : KVP_HELLO_MAX;
    vp_init(&l.dec, (uint32_t)(max > KVP_ERROR_MAX ? max : KVP_ERROR_MAX));
    target_result res = TARGET_ERROR;
    if (so->gdb) {
        if (!probe_program_and_run(so->gdb, so->board, so->boards_dir, port->blob_addr, o->blob_path, msg, msglen))
            goto out;
    } else {
        fprintf(stderr, "kiln validate: waiting up to %d s for the board's HELLO on %s: reset the board now\n",
                so->hello_timeout_s, so->port);
    }
    l.deadline = child_now() + so->hello_timeout_s;
    res = session(&l, c, port, io, msg, msglen);
    if (res == TARGET_OK && l.dec.skipped && o->verbose)
        fprintf(stderr, "kiln validate: %" PRIu64 " bytes outside any frame were ignored: \"%s\"\n", l.dec.skipped,
                l.dec.junk);
out:
    vp_free(&l.dec);
    sport_close(l.fd);
    return res;
}
