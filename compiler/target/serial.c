/*
 * serial.c - `kiln validate --target serial`: program the blob through a GDB
 * server, verify it, start the firmware, then speak the validation protocol
 * (firmware/protocol.h, docs/validation-protocol.md) over the board's serial
 * port.  The board runs the firmware `kiln firmware` built (a real board's
 * internal flash, or QEMU's -kernel); this file never builds or flashes it.
 *
 * Relies on serial_port.c (raw termios, deadlines), flash/gdb_rsp.c and
 * flash/program.c (the planner `kiln flash write --gdb` uses: vFlash where
 * the server maps flash, memory writes where it maps RAM or has no map),
 * vproto.c for frames and qemu.c's messages for refusals, ERROR and FAULT.
 * HELLO is checked before any input is sent: blob status, the model's
 * signature, name and I/O sizes must be the compiled model's.  Every exit
 * closes the port and the GDB connection; a blob that did not program or
 * verify leaves the core halted as it was, so nothing runs on a half-written
 * blob.
 */
#define _POSIX_C_SOURCE 200809L
#include "target/serial.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/board.h"
#include "flash/gdb_rsp.h"
#include "flash/program.h"
#include "kiln/blob.h"
#include "kiln/status.h"
#include "target/child.h"
#include "target/fw_port.h"
#include "target/qemu.h"
#include "target/serial_port.h"
#include "target/target_util.h"
#include "target/vproto.h"
#include "util/fileio.h"

typedef struct link {
    int fd;
    const serial_opts *so;
    vp_decoder dec;
    double deadline;
} link;

/* ---- programming the blob through the GDB server ------------------------------- */

/* The memory the blob is written to: a region of the server's memory map,
 * or the board's flash window when the server has no map (QEMU's stub). */
static bool gdb_target_dev(gdb_conn *g, const board *b, uint64_t addr, uint32_t len, gdb_dev *gd,
                           uint32_t *off, char *msg, size_t msglen)
{
    const gdb_region *r = gdb_find_region(g, addr);
    uint64_t base, size;
    if (r && r->type == GDB_MEM_ROM) {
        snprintf(msg, msglen, "0x%08" PRIx64 " is ROM in the memory map of the GDB server at %s", addr, g->where);
        return false;
    }
    if (r && r->type == GDB_MEM_FLASH && (r->blocksize == 0 || r->start % r->blocksize || r->length % r->blocksize)) {
        snprintf(msg, msglen, "the GDB server's memory map gives flash at 0x%08" PRIx64 " no usable blocksize",
                 r->start);
        return false;
    }
    if (r) {
        base = r->start;
        size = r->length;
    } else if (!g->has_memory_map) {
        base = b->base;
        size = b->size;
    } else {
        snprintf(msg, msglen,
                 "the GDB server at %s maps nothing at 0x%08" PRIx64 " (%s's external flash): configure its "
                 "external-flash bank (OpenOCD: the board config's stmqspi bank), or program the blob with the "
                 "vendor tool and leave --gdb out",
                 g->where, addr, b->title);
        return false;
    }
    if (addr < base || len > size || addr - base > size - len || size > 0xFFFFFFFFu) {
        snprintf(msg, msglen, "%" PRIu32 " bytes at 0x%08" PRIx64 " do not fit in the target's memory region 0x%08"
                 PRIx64 " + %" PRIu64, len, addr, base, size);
        return false;
    }
    gdb_dev_init(gd, g, base, (uint32_t)size, r && r->type == GDB_MEM_FLASH ? r : NULL);
    *off = (uint32_t)(addr - base);
    return true;
}

/* Writes, reads back and compares; prints what it did on stderr. */
static bool program_blob(gdb_conn *g, const board *b, uint64_t addr, const uint8_t *data, uint32_t len,
                         char *msg, size_t msglen)
{
    gdb_dev gd;
    uint32_t off;
    if (!gdb_target_dev(g, b, addr, len, &gd, &off, msg, msglen))
        return false;
    flash_plan plan;
    char err[512];
    if (!flash_plan_write(&gd.dev, off, data, len, &plan, err, sizeof err)) {
        snprintf(msg, msglen, "programming the blob through the GDB server at %s: %s", g->where, err);
        return false;
    }
    flash_rc rc = flash_plan_run(&gd.dev, &plan, NULL, NULL);
    flash_plan_free(&plan);
    if (rc != FLASH_OK) {
        snprintf(msg, msglen, "programming the blob at 0x%08" PRIx64 " through the GDB server at %s failed: %s", addr,
                 g->where, gd.dev.err);
        return false;
    }
    bool same = false;
    uint32_t first = 0, crc = 0;
    uint64_t ndiff = 0;
    uint8_t found = 0;
    rc = flash_compare(&gd.dev, off, data, len, &same, &first, &ndiff, &crc, &found);
    if (rc != FLASH_OK) {
        snprintf(msg, msglen, "reading the blob back through the GDB server at %s: %s", g->where, gd.dev.err);
        return false;
    }
    if (!same) {
        snprintf(msg, msglen,
                 "the blob did not verify after programming: first difference at 0x%08" PRIx64 " (target has 0x%02x, "
                 "blob 0x%02x), %" PRIu64 " of %" PRIu32 " bytes differ",
                 addr + first, found, data[first], ndiff, len);
        return false;
    }
    fprintf(stderr, "kiln validate: programmed %" PRIu32 " bytes at 0x%08" PRIx64 " through the GDB server at %s (%s); "
                    "read back: OK (CRC-32 0x%08" PRIx32 ")\n",
            len, addr, g->where,
            gd.dev.erase_small ? "flash: vFlash packets" : g->has_memory_map ? "RAM in its memory map" :
                                                                               "no memory map: written as RAM",
            crc);
    return true;
}

/* --gdb: the blob (or nothing, for an empty file), then 'c'. */
static bool program_and_start(const target_opts *o, const serial_opts *so, const fw_port *port, char *msg,
                              size_t msglen)
{
    board b;
    char err[1024];
    char *dir = board_dir(so->boards_dir);
    bool ok = board_find(dir, so->board, &b, err, sizeof err);
    free(dir);
    if (!ok) {
        snprintf(msg, msglen, "%s", err);
        return false;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (o->blob_path && !read_file(o->blob_path, &data, &len, err, sizeof err)) {
        snprintf(msg, msglen, "%s", err);
        board_free(&b);
        return false;
    }
    gdb_conn g;
    ok = gdb_open(&g, so->gdb, 10000);
    if (!ok)
        snprintf(msg, msglen, "%s", g.err);
    else if (len > 0)
        ok = program_blob(&g, &b, port->blob_addr, data, (uint32_t)len, msg, msglen);
    else if (o->blob_path)
        fprintf(stderr, "kiln validate: the blob file is empty: nothing programmed at 0x%08" PRIx32 " (the firmware "
                        "sees what the external flash held)\n", port->blob_addr);
    else
        fprintf(stderr, "kiln validate: the weights are compiled into the firmware: no blob to program\n");
    if (ok && !(ok = gdb_continue(&g)))
        snprintf(msg, msglen, "letting the target run: %s", g.err);
    gdb_close(&g);
    free(data);
    board_free(&b);
    return ok;
}

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
        out->insns = (uint64_t)(mean * 1e9 / (double)tick_hz + 0.5);
        fprintf(stderr, "kiln validate: %zu inferences on %s: %" PRIu64 " instructions per inference (QEMU "
                        "-icount; not cycles)\n", io->samples, port->board, out->insns);
    } else {
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
        if (!program_and_start(o, so, port, msg, msglen))
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
