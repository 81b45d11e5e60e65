/*
 * qemu.c - the QEMU target of `kiln validate`: the generated code, the
 * runtime and firmware/qemu-mps2-an500 built for Cortex-M7 with
 * arm-none-eabi-gcc (-Wall -Wextra -Werror -pedantic, no heap), run on QEMU's
 * mps2-an500 with the weights blob placed at 0x60000000 (the PSRAM standing in
 * for memory-mapped external flash), fed over UART0 with the validation
 * protocol (firmware/protocol.h, docs/validation-protocol.md).
 *
 * Relies on qemu_build.c for the firmware, child.c to run QEMU with its
 * serial port on stdio pipes and vproto.c for framing.  Every path out of
 * target_qemu_run() stops QEMU.  A refusal at init is TARGET_REFUSED with the
 * status name and message, like the host target; anything else that goes
 * wrong (a tool missing, the build, a fault, a timeout, a frame that fails
 * its CRC) is TARGET_ERROR, and no output of a garbled frame is ever used.
 *
 * Environment: KILN_ARM_CC (default arm-none-eabi-gcc), KILN_QEMU (default
 * qemu-system-arm), KILN_QEMU_ARGS (more emulator arguments, e.g. a TCG
 * plugin), KILN_PROFILE=FILE (build with per-layer profiling and write each
 * kernel call's instructions to FILE as JSON; profile.c).
 *
 * Cycles: QEMU models no pipeline, so what the firmware's SysTick measures
 * under `-icount shift=0` is instructions: one tick of the 25 MHz clock is
 * 40 ns of virtual time, i.e. 40 instructions.  io->insns reports the mean
 * instructions per inference (ticks * 1e9 / tick_hz), the figure a
 * one-instruction-per-cycle core would take.
 */
#define _POSIX_C_SOURCE 200809L
#include "target/target.h"
#include "target/target_util.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/status.h"
#include "target/child.h"
#include "target/profile.h"
#include "target/qemu.h"
#include "target/vproto.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "util/sbuf.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static bool on_path(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *p = xstrdup(path);
    bool found = false;
    for (char *d = strtok(p, ":"); d && !found; d = strtok(NULL, ":")) {
        char *f = xasprintf("%s/%s", *d ? d : ".", prog);
        found = access(f, X_OK) == 0;
        free(f);
    }
    free(p);
    return found;
}

/* ---- the emulator command line ----------------------------------------------- */

char **qemu_command(const char *elf, const char *blob)
{
    static const char *fixed[] = {"-M", "mps2-an500", "-nographic", "-monitor", "none", "-serial", "stdio",
                                  "-no-reboot", "-semihosting-config", "enable=on,target=native", "-icount",
                                  "shift=0", "-kernel"};
    size_t nf = sizeof fixed / sizeof fixed[0], n = 0;
    char *extra = xstrdup(env_or("KILN_QEMU_ARGS", ""));
    size_t n_extra = 0;
    for (char *p = extra; *p; p++)
        n_extra += !isspace((unsigned char)*p) && (p == extra || isspace((unsigned char)p[-1]));
    char **argv = xcalloc(nf + n_extra + 6, sizeof *argv);
    argv[n++] = xstrdup(env_or("KILN_QEMU", "qemu-system-arm"));
    for (size_t i = 0; i < nf; i++)
        argv[n++] = xstrdup(fixed[i]);
    argv[n++] = xstrdup(elf);
    if (blob) {
        /* QEMU option values escape a comma by doubling it. */
        sbuf s = {0};
        sb_printf(&s, "loader,file=");
        for (const char *p = blob; *p; p++)
            sb_put(&s, *p == ',' ? ",," : p, *p == ',' ? 2 : 1);
        sb_printf(&s, ",addr=0x%08x,force-raw=on", QEMU_BLOB_ADDR);
        argv[n++] = xstrdup("-device");
        argv[n++] = sb_take(&s);
    }
    for (char *t = strtok(extra, " \t\n"); t; t = strtok(NULL, " \t\n"))
        argv[n++] = xstrdup(t);
    argv[n] = NULL;
    free(extra);
    return argv;
}

void qemu_command_free(char **argv)
{
    if (!argv)
        return;
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* ---- talking to the firmware ---------------------------------------------------------- */

typedef struct session {
    child ch;
    vp_decoder dec;
    const target_opts *o;
    const char *qemu_log;
    const char *elf;
    double deadline;
    target_profile *prof;   /* non-NULL: a PROFILE frame follows every OUTPUT */
    const compiled *c;
} session;

static void to_decoder(void *ctx, const void *data, size_t n)
{
    vp_feed(&((session *)ctx)->dec, data, n);
}

/* Why QEMU is gone: its exit status (the firmware's, through semihosting)
 * and the start of its log. */
static void describe_end(session *s, const char *when, char *msg, size_t msglen)
{
    char how[64];
    child_wait(&s->ch, child_now() + 5);
    child_describe_exit(&s->ch, how, sizeof how);
    snprintf(msg, msglen, "QEMU ended %s (%s", when, how);
    size_t k = strlen(msg);
    if (s->ch.reaped && !WIFSIGNALED(s->ch.status)) {
        int st = WEXITSTATUS(s->ch.status);
        const char *why = st == KVP_EXIT_REFUSED ? "; the firmware refused its weights"
                        : st == KVP_EXIT_FAULT  ? "; the firmware faulted"
                        : st == 1               ? "; QEMU itself failed, or a plain semihosting exit"
                                                : "";
        snprintf(msg + k, msglen - k, "%s", why);
        k = strlen(msg);
    }
    if (s->dec.skipped)
        snprintf(msg + k, msglen - k, "; %" PRIu64 " bytes outside any frame: \"%s\"", s->dec.skipped, s->dec.junk);
    k = strlen(msg);
    snprintf(msg + k, msglen - k, "); QEMU log %s:\n", s->qemu_log);
    target_append_file(msg, msglen, s->qemu_log, 12);
}

/* Next frame from the firmware.  false: msg says why (timeout, QEMU gone,
 * a frame that failed its CRC or claimed an impossible length). */
static bool recv_frame(session *s, vp_frame *f, const char *waiting_for, char *msg, size_t msglen)
{
    char err[256] = "";
    for (;;) {
        vp_status st = vp_next(&s->dec, f);
        if (st == VP_FRAME)
            return true;
        if (st == VP_BAD_CRC) {
            snprintf(msg, msglen,
                     "a frame from the firmware (type %s, %" PRIu32 " payload bytes) failed its CRC (computed 0x%08"
                     PRIx32 ", received 0x%08" PRIx32 ") while waiting for %s: the serial data was garbled; its "
                     "contents were not used",
                     vp_type_name(f->type), f->len, f->crc_computed, f->crc_received, waiting_for);
            return false;
        }
        if (st == VP_BAD_LENGTH) {
            snprintf(msg, msglen,
                     "a frame from the firmware claims %" PRIu32 " payload bytes (at most %" PRIu32
                     " allowed) while waiting for %s: the serial data was garbled",
                     f->len, s->dec.max_payload, waiting_for);
            return false;
        }
        child_io r = child_read(&s->ch, s->deadline, to_decoder, s, err, sizeof err);
        if (r == CHILD_OK)
            continue;
        if (r == CHILD_TIMEOUT)
            snprintf(msg, msglen,
                     "the qemu target timed out after %d s waiting for %s (the firmware hung, or the model "
                     "is too slow for the limit); QEMU was killed",
                     s->o->timeout_s, waiting_for);
        else if (r == CHILD_EOF) {
            char *when = xasprintf("while waiting for %s", waiting_for);
            describe_end(s, when, msg, msglen);
            free(when);
        } else
            snprintf(msg, msglen, "talking to QEMU: %s", err);
        return false;
    }
}

static bool send_frame(session *s, uint8_t type, uint8_t seq, const void *payload, uint32_t len, char *msg,
                       size_t msglen)
{
    uint8_t *b;
    size_t n = vp_encode(type, seq, payload, len, &b);
    char err[256] = "";
    child_io r = child_write(&s->ch, b, n, s->deadline, to_decoder, s, err, sizeof err);
    free(b);
    if (r == CHILD_OK)
        return true;
    if (r == CHILD_TIMEOUT)
        snprintf(msg, msglen, "the qemu target timed out after %d s sending %s; QEMU was killed", s->o->timeout_s,
                 vp_type_name(type));
    else if (r == CHILD_EOF) {
        char *when = xasprintf("while being sent %s", vp_type_name(type));
        describe_end(s, when, msg, msglen);
        free(when);
    } else
        snprintf(msg, msglen, "talking to QEMU: %s", err);
    return false;
}

/* A NUL-terminated string at *off within the payload, or "" if it runs off. */
static const char *payload_str(const vp_frame *f, uint32_t *off)
{
    if (*off >= f->len)
        return "";
    const char *p = (const char *)f->payload + *off;
    const void *nul = memchr(p, 0, f->len - *off);
    if (!nul)
        return "";
    *off += (uint32_t)((const char *)nul - p) + 1;
    return p;
}

/* "NAME: message; details" from a HELLO whose status is not KILN_OK, in the
 * shape the host target gives; `where` names the board. */
void target_refusal_message(const vp_frame *f, const char *where, char *msg, size_t msglen)
{
    const uint8_t *p = f->payload;
    uint32_t off = KVP_HELLO_FIXED;
    payload_str(f, &off); /* model name */
    const char *name = payload_str(f, &off);
    const char *text = payload_str(f, &off);
    uint32_t status = kvp_get_u32(p + KVP_HELLO_OFF_STATUS);
    uint32_t addr = kvp_get_u32(p + KVP_HELLO_OFF_BLOB_ADDR), cap = kvp_get_u32(p + KVP_HELLO_OFF_CAPACITY);
    char detail[256] = "";
    switch (status) {
    case KILN_E_BLOB_SIGNATURE:
        snprintf(detail, sizeof detail, "; blob signature 0x%016" PRIx64 ", model signature 0x%016" PRIx64,
                 kvp_get_u64(p + KVP_HELLO_OFF_R_SIGNATURE), kvp_get_u64(p + KVP_HELLO_OFF_SIGNATURE));
        break;
    case KILN_E_BLOB_TRUNCATED:
        snprintf(detail, sizeof detail, "; header says %" PRIu32 " bytes, %" PRIu32 " bytes given",
                 kvp_get_u32(p + KVP_HELLO_OFF_R_TOTAL), cap);
        break;
    case KILN_E_BLOB_HEADER_CRC:
    case KILN_E_BLOB_PAYLOAD_CRC:
        snprintf(detail, sizeof detail, "; stored CRC 0x%08" PRIx32 ", computed 0x%08" PRIx32,
                 kvp_get_u32(p + KVP_HELLO_OFF_R_CRC_EXP), kvp_get_u32(p + KVP_HELLO_OFF_R_CRC_FOUND));
        break;
    case KILN_E_BLOB_VERSION:
        snprintf(detail, sizeof detail, "; blob format version %" PRIu32 ", runtime reads %u",
                 kvp_get_u32(p + KVP_HELLO_OFF_R_VERSION), KILN_BLOB_VERSION);
        break;
    default:
        break;
    }
    size_t k = (size_t)snprintf(msg, msglen, "%s: %s%s; kiln_status %" PRIu32 ", ", *name ? name : "?", text,
                                detail, status);
    if (k < msglen) {
        if (addr)
            snprintf(msg + k, msglen - k, "blob looked for at 0x%08" PRIx32 " with %" PRIu32 " bytes readable (%s)",
                     addr, cap, where);
        else
            snprintf(msg + k, msglen - k, "compiled-in blob of %" PRIu32 " bytes (%s)", cap, where);
    }
}

static const char *exception_name(uint32_t exc)
{
    switch (exc) {
    case 2: return "an NMI";
    case 3: return "a HardFault";
    case 4: return "a MemManage fault";
    case 5: return "a BusFault";
    case 6: return "a UsageFault";
    case 11: return "an SVCall";
    case 12: return "a DebugMonitor exception";
    case 14: return "a PendSV";
    }
    return exc >= 16 ? "an unexpected interrupt" : "an exception";
}

/* The fault status bits that say what happened (ARMv7-M CFSR/HFSR). */
static void fault_causes(uint32_t cfsr, uint32_t hfsr, uint32_t mmfar, uint32_t bfar, sbuf *b)
{
    static const struct { uint32_t bit; const char *what; } bits[] = {
        {1u << 0, "instruction access violation"}, {1u << 1, "data access violation"},
        {1u << 3, "MPU fault unstacking"}, {1u << 4, "MPU fault stacking"},
        {1u << 5, "MPU fault in lazy FP state"}, {1u << 8, "instruction bus error"},
        {1u << 9, "precise data bus error"}, {1u << 10, "imprecise data bus error"},
        {1u << 11, "bus fault unstacking"}, {1u << 12, "bus fault stacking (stack overflow?)"},
        {1u << 13, "bus fault in lazy FP state"}, {1u << 16, "undefined instruction"},
        {1u << 17, "invalid state (Thumb bit clear?)"}, {1u << 18, "invalid EXC_RETURN"},
        {1u << 19, "coprocessor access (FPU disabled?)"}, {1u << 24, "unaligned access"},
        {1u << 25, "divide by zero"},
    };
    const char *sep = "";
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (cfsr & bits[i].bit) {
            sb_printf(b, "%s%s", sep, bits[i].what);
            sep = ", ";
        }
    if (cfsr & (1u << 7))
        sb_printf(b, "%saddress 0x%08" PRIx32, sep, mmfar), sep = ", ";
    if (cfsr & (1u << 15))
        sb_printf(b, "%saddress 0x%08" PRIx32, sep, bfar), sep = ", ";
    if (hfsr & (1u << 1))
        sb_printf(b, "%svector table read fault", sep), sep = ", ";
    if (!*sep)
        sb_printf(b, "no fault status bit set");
}

/* "function at file:line" for a code address, from addr2line, or "". */
static char *code_location(const target_opts *o, const char *elf, uint32_t pc)
{
    const char *cc = env_or("KILN_ARM_CC", "arm-none-eabi-gcc");
    size_t L = strlen(cc);
    char *tool = L >= 3 && !strcmp(cc + L - 3, "gcc") ? xasprintf("%.*saddr2line", (int)(L - 3), cc)
                                                       : xstrdup("arm-none-eabi-addr2line");
    char *addr = xasprintf("0x%08" PRIx32, pc & ~1u);
    char *log = xasprintf("%s/fault-addr2line.txt", o->workdir);
    char *argv[] = {tool, "-f", "-p", "-e", (char *)elf, addr, NULL};
    char err[128], *res = xstrdup("");
    proc_result r;
    remove(log);
    if (proc_run(argv, log, 30, &r, err, sizeof err) && !r.signaled && !r.timed_out && r.exit_code == 0) {
        uint8_t *d;
        size_t n;
        if (read_file(log, &d, &n, err, sizeof err)) {
            char *nl = strchr((char *)d, '\n');
            if (nl)
                *nl = '\0';
            if (strncmp((char *)d, "??", 2)) {
                free(res);
                res = xasprintf(" (%s)", (char *)d);
            }
            free(d);
        }
    }
    free(tool);
    free(addr);
    free(log);
    return res;
}

static void fault_message(session *s, const vp_frame *f, const char *when, char *msg, size_t msglen)
{
    target_fault_message(s->o, s->elf, f, when, msg, msglen);
}

void target_fault_message(const target_opts *o, const char *elf, const vp_frame *f, const char *when, char *msg,
                          size_t msglen)
{
    if (f->len < KVP_FAULT_BYTES) {
        snprintf(msg, msglen, "the firmware faulted %s (a short FAULT frame of %" PRIu32 " bytes)", when, f->len);
        return;
    }
    const uint8_t *p = f->payload;
    uint32_t pc = kvp_get_u32(p + KVP_FAULT_OFF_PC), lr = kvp_get_u32(p + KVP_FAULT_OFF_LR);
    uint32_t exc = kvp_get_u32(p + KVP_FAULT_OFF_EXC);
    sbuf causes = {0};
    fault_causes(kvp_get_u32(p + KVP_FAULT_OFF_CFSR), kvp_get_u32(p + KVP_FAULT_OFF_HFSR),
                 kvp_get_u32(p + KVP_FAULT_OFF_MMFAR), kvp_get_u32(p + KVP_FAULT_OFF_BFAR), &causes);
    char *where = elf ? code_location(o, elf, pc) : xstrdup(""); /* no ELF: no line */
    snprintf(msg, msglen,
             "the firmware took %s (exception %" PRIu32 ") %s: %s; pc 0x%08" PRIx32 "%s, lr 0x%08" PRIx32
             ", CFSR 0x%08" PRIx32 ", HFSR 0x%08" PRIx32 "; outputs discarded",
             exception_name(exc), exc, when, causes.s, pc, where, lr, kvp_get_u32(p + KVP_FAULT_OFF_CFSR),
             kvp_get_u32(p + KVP_FAULT_OFF_HFSR));
    free(where);
    sb_free(&causes);
}

void target_error_message(const vp_frame *f, const char *when, char *msg, size_t msglen)
{
    if (f->len < KVP_ERROR_FIXED) {
        snprintf(msg, msglen, "the firmware reported an error %s (a short ERROR frame)", when);
        return;
    }
    uint32_t code = kvp_get_u32(f->payload + KVP_ERROR_OFF_CODE);
    uint32_t a = kvp_get_u32(f->payload + KVP_ERROR_OFF_A), b = kvp_get_u32(f->payload + KVP_ERROR_OFF_B);
    uint32_t off = KVP_ERROR_FIXED;
    const char *text = payload_str(f, &off);
    char detail[128] = "";
    switch (code) {
    case KVP_E_CRC:
        snprintf(detail, sizeof detail, "computed 0x%08" PRIx32 ", received 0x%08" PRIx32, a, b);
        break;
    case KVP_E_LENGTH:
        snprintf(detail, sizeof detail, "%" PRIu32 " bytes received, %" PRIu32 " expected", a, b);
        break;
    case KVP_E_TYPE:
        snprintf(detail, sizeof detail, "frame type 0x%02" PRIx32, a);
        break;
    case KVP_E_RUN:
        snprintf(detail, sizeof detail, "kiln_status %" PRIu32 " %s", a, kiln_status_name((kiln_status)a));
        break;
    case KVP_E_OVERRUN:
        snprintf(detail, sizeof detail, "after %" PRIu32 " payload bytes", a);
        break;
    case KVP_E_STACK:
        snprintf(detail, sizeof detail, "%" PRIu32 " bytes of stack", a);
        break;
    default:
        snprintf(detail, sizeof detail, "code %" PRIu32 ", %" PRIu32 ", %" PRIu32, code, a, b);
    }
    snprintf(msg, msglen, "the firmware reported an error %s: %s (%s)", when, text, detail);
}

/* Reads and checks HELLO.  Returns TARGET_OK when the network is ready. */
static target_result hello(session *s, const compiled *c, size_t in_bytes, size_t out_bytes, uint32_t *tick_hz,
                           char *msg, size_t msglen)
{
    vp_frame f;
    if (!recv_frame(s, &f, "the firmware's HELLO", msg, msglen))
        return TARGET_ERROR;
    if (f.type == KVP_T_FAULT) {
        fault_message(s, &f, "before HELLO, while starting", msg, msglen);
        return TARGET_ERROR;
    }
    if (f.type != KVP_T_HELLO || f.len < KVP_HELLO_FIXED) {
        snprintf(msg, msglen, "the firmware sent %s (%" PRIu32 " bytes) where HELLO was expected",
                 vp_type_name(f.type), f.len);
        return TARGET_ERROR;
    }
    const uint8_t *p = f.payload;
    uint32_t version = kvp_get_u32(p + KVP_HELLO_OFF_VERSION);
    if (version != KVP_VERSION) {
        snprintf(msg, msglen, "the firmware speaks validation protocol version %" PRIu32 ", kiln speaks %u",
                 version, KVP_VERSION);
        return TARGET_ERROR;
    }
    uint32_t off = KVP_HELLO_FIXED;
    const char *name = payload_str(&f, &off);
    uint32_t status = kvp_get_u32(p + KVP_HELLO_OFF_STATUS);
    *tick_hz = kvp_get_u32(p + KVP_HELLO_OFF_TICK_HZ);
    if (status == KILN_OK && !(kvp_get_u32(p + KVP_HELLO_OFF_FLAGS) & KVP_HELLO_F_PROFILE) != !s->prof) {
        snprintf(msg, msglen, "the firmware was%s built for profiling, but kiln %s profile frames",
                 s->prof ? " not" : "", s->prof ? "expects" : "does not expect");
        return TARGET_ERROR;
    }
    if (s->o->verbose)
        fprintf(stderr, "qemu: HELLO from '%s': init status %" PRIu32 ", %" PRIu32 " input / %" PRIu32
                        " output bytes, arena %" PRIu32 ", blob at 0x%08" PRIx32 ", tick clock %" PRIu32 " Hz\n",
                name, status, kvp_get_u32(p + KVP_HELLO_OFF_IN_BYTES), kvp_get_u32(p + KVP_HELLO_OFF_OUT_BYTES),
                kvp_get_u32(p + KVP_HELLO_OFF_ARENA), kvp_get_u32(p + KVP_HELLO_OFF_BLOB_ADDR), *tick_hz);
    if (status != KILN_OK) {
        target_refusal_message(&f, "qemu", msg, msglen);
        /* The firmware exits with KVP_EXIT_REFUSED; anything else is worth saying. */
        if (child_wait(&s->ch, child_now() + 10) && !WIFSIGNALED(s->ch.status) &&
            WEXITSTATUS(s->ch.status) != KVP_EXIT_REFUSED) {
            size_t k = strlen(msg);
            snprintf(msg + k, msglen - k, " (and the firmware exited with status %d, not %d)",
                     WEXITSTATUS(s->ch.status), KVP_EXIT_REFUSED);
        }
        return TARGET_REFUSED;
    }
    uint64_t sig = kvp_get_u64(p + KVP_HELLO_OFF_SIGNATURE);
    if (sig != c->signature || strcmp(name, c->name) ||
        kvp_get_u32(p + KVP_HELLO_OFF_IN_BYTES) != in_bytes || kvp_get_u32(p + KVP_HELLO_OFF_OUT_BYTES) != out_bytes) {
        snprintf(msg, msglen,
                 "the firmware runs '%s' (signature 0x%016" PRIx64 ", %" PRIu32 "/%" PRIu32
                 " input/output bytes), not the compiled '%s' (0x%016" PRIx64 ", %zu/%zu): a stale build?",
                 name, sig, kvp_get_u32(p + KVP_HELLO_OFF_IN_BYTES), kvp_get_u32(p + KVP_HELLO_OFF_OUT_BYTES),
                 c->name, c->signature, in_bytes, out_bytes);
        return TARGET_ERROR;
    }
    if (*tick_hz == 0) {
        snprintf(msg, msglen, "the firmware reports a tick clock of 0 Hz");
        return TARGET_ERROR;
    }
    return TARGET_OK;
}

/* The PROFILE frame that follows sample k's OUTPUT. */
static bool profile_frame(session *s, size_t k, uint8_t seq, uint64_t ticks, char *msg, size_t msglen)
{
    vp_frame f;
    if (!recv_frame(s, &f, "a PROFILE frame", msg, msglen))
        return false;
    if (f.type != KVP_T_PROFILE || f.seq != seq) {
        snprintf(msg, msglen, "the firmware followed the OUTPUT of sample %zu with %s seq %u, not PROFILE seq %u", k,
                 vp_type_name(f.type), f.seq, seq);
        return false;
    }
    return target_profile_add(s->prof, s->c, f.payload, f.len, ticks, msg, msglen);
}

/* One INPUT -> OUTPUT exchange (and PROFILE, in a profiling build). */
static bool infer(session *s, size_t k, const uint8_t *in, size_t in_bytes, uint8_t *out, size_t out_bytes,
                  uint64_t *ticks, char *msg, size_t msglen)
{
    uint8_t seq = (uint8_t)(k & 0xFF);
    char when[64];
    snprintf(when, sizeof when, "on sample %zu", k);
    if (!send_frame(s, KVP_T_INPUT, seq, in, (uint32_t)in_bytes, msg, msglen))
        return false;
    vp_frame f;
    if (!recv_frame(s, &f, "an OUTPUT frame", msg, msglen))
        return false;
    if (f.type == KVP_T_ERROR) {
        target_error_message(&f, when, msg, msglen);
        return false;
    }
    if (f.type == KVP_T_FAULT) {
        fault_message(s, &f, when, msg, msglen);
        return false;
    }
    if (f.type != KVP_T_OUTPUT || f.seq != seq || f.len != KVP_OUTPUT_FIXED + out_bytes) {
        snprintf(msg, msglen,
                 "the firmware answered sample %zu with %s seq %u of %" PRIu32 " bytes; expected OUTPUT seq %u of %zu",
                 k, vp_type_name(f.type), f.seq, f.len, seq, KVP_OUTPUT_FIXED + out_bytes);
        return false;
    }
    *ticks = kvp_get_u64(f.payload + KVP_OUTPUT_OFF_TICKS);
    memcpy(out, f.payload + KVP_OUTPUT_FIXED, out_bytes);
    return !s->prof || profile_frame(s, k, seq, *ticks, msg, msglen);
}

static bool quit(session *s, char *msg, size_t msglen)
{
    if (!send_frame(s, KVP_T_QUIT, 0, NULL, 0, msg, msglen))
        return false;
    vp_frame f;
    if (!recv_frame(s, &f, "BYE", msg, msglen))
        return false;
    if (f.type != KVP_T_BYE) {
        snprintf(msg, msglen, "the firmware answered QUIT with %s", vp_type_name(f.type));
        return false;
    }
    if (!child_wait(&s->ch, s->deadline)) {
        snprintf(msg, msglen, "QEMU did not exit after BYE within the time limit; killed");
        return false;
    }
    if (WIFSIGNALED(s->ch.status) || WEXITSTATUS(s->ch.status) != KVP_EXIT_OK) {
        char how[64];
        child_describe_exit(&s->ch, how, sizeof how);
        snprintf(msg, msglen, "QEMU ended with %s after BYE (expected 0); log %s", how, s->qemu_log);
        return false;
    }
    return true;
}

target_result target_qemu_run(const compiled *c, const target_opts *o, target_io *io, char *msg,
                              size_t msglen)
{
    const ir_graph *g = c->g;
    size_t in_bytes, out_bytes;
    target_io_bytes(g, &in_bytes, &out_bytes);
    io->insns = 0;

    const char *qemu = env_or("KILN_QEMU", "qemu-system-arm");
    const char *cc = env_or("KILN_ARM_CC", "arm-none-eabi-gcc");
    if (!on_path(cc)) {
        snprintf(msg, msglen, "the qemu target needs %s, which is not on PATH (Debian: apt install "
                              "gcc-arm-none-eabi libnewlib-arm-none-eabi; or set KILN_ARM_CC)", cc);
        return TARGET_ERROR;
    }
    if (!on_path(qemu)) {
        snprintf(msg, msglen, "the qemu target needs %s, which is not on PATH (Debian: apt install "
                              "qemu-system-arm; or set KILN_QEMU)", qemu);
        return TARGET_ERROR;
    }
    if (in_bytes > KVP_MAX_PAYLOAD || out_bytes + KVP_OUTPUT_FIXED > KVP_MAX_PAYLOAD) {
        snprintf(msg, msglen, "inputs of %zu or outputs of %zu bytes exceed the protocol's %u-byte frames",
                 in_bytes, out_bytes, KVP_MAX_PAYLOAD);
        return TARGET_ERROR;
    }
    /* Which blob goes where: none given means the compiled-in weights; an
     * empty file means "nothing programmed" (the PSRAM reads zeros). */
    const char *load = NULL;
    if (o->blob_path) {
        struct stat st;
        if (stat(o->blob_path, &st) != 0) {
            snprintf(msg, msglen, "cannot read the weights blob '%s'", o->blob_path);
            return TARGET_ERROR;
        }
        if ((uint64_t)st.st_size > QEMU_PSRAM_BYTES) {
            snprintf(msg, msglen,
                     "the weights blob '%s' is %lld bytes; the mps2-an500 PSRAM standing in for external flash "
                     "holds %u",
                     o->blob_path, (long long)st.st_size, QEMU_PSRAM_BYTES);
            return TARGET_ERROR;
        }
        if (st.st_size > 0)
            load = o->blob_path;
        if (c->weights == WEIGHTS_STREAM) {
            /* Not in the address space: the firmware reads a NOR device image by semihosting. */
            char *img = stream_image_path(o->workdir);
            bool made = stream_device_image(o->blob_path, img, msg, msglen);
            free(img);
            if (!made)
                return TARGET_ERROR;
            load = NULL;
        }
    } else if (c->weights != WEIGHTS_INLINE) {
        snprintf(msg, msglen, "the model's weights are external but no blob was given to the qemu target");
        return TARGET_ERROR;
    }

    char *elf = xasprintf("%s/fw.elf", o->workdir);
    char *qlog = xasprintf("%s/qemu.log", o->workdir);
    target_result res = TARGET_ERROR;
    session s;
    memset(&s, 0, sizeof s);
    s.ch.pid = -1;
    s.ch.in_fd = s.ch.out_fd = -1;
    /* The largest frame the firmware may send: a garbled length beyond it is
     * reported at once instead of being waited for. */
    size_t max_frame = KVP_OUTPUT_FIXED + out_bytes;
    const char *prof_path = getenv("KILN_PROFILE");
    target_profile prof = {0};
    if (prof_path && *prof_path) {
        s.prof = &prof;
        if (KVP_PROFILE_FIXED + 8u * ((size_t)c->prog.n_calls + 1) > max_frame)
            max_frame = KVP_PROFILE_FIXED + 8u * ((size_t)c->prog.n_calls + 1);
    }
    s.c = c;
    max_frame = max_frame > KVP_HELLO_MAX ? max_frame : KVP_HELLO_MAX;
    max_frame = max_frame > KVP_ERROR_MAX ? max_frame : KVP_ERROR_MAX;
    vp_init(&s.dec, (uint32_t)max_frame);
    s.o = o;
    s.qemu_log = qlog;
    s.elf = elf;
    char **argv = NULL;
    uint64_t ticks_total = 0, ticks_min = UINT64_MAX, ticks_max = 0;
    uint32_t tick_hz = 0;

    if (o->progress)
        o->progress("building the Cortex-M7 firmware", 0, 0);
    if (!qemu_build_firmware(c, o, o->blob_path != NULL, s.prof != NULL, elf, msg, msglen))
        goto out;
    if (o->progress)
        o->progress("starting QEMU (mps2-an500)", 0, 0);
    argv = qemu_command(elf, load);
    target_echo(o, argv);
    remove(qlog);
    s.deadline = child_now() + (o->timeout_s > 0 ? o->timeout_s : 600);
    if (!child_start(&s.ch, argv, qlog, msg, msglen))
        goto out;
    res = hello(&s, c, in_bytes, out_bytes, &tick_hz, msg, msglen);
    if (res != TARGET_OK)
        goto out;
    res = TARGET_ERROR;
    for (size_t k = 0; k < io->samples; k++) {
        uint64_t t;
        if (o->progress)
            o->progress("running on QEMU", k + 1, io->samples);
        if (!infer(&s, k, io->inputs + k * in_bytes, in_bytes, io->outputs + k * out_bytes, out_bytes, &t, msg,
                   msglen))
            goto out;
        ticks_total += t;
        ticks_min = t < ticks_min ? t : ticks_min;
        ticks_max = t > ticks_max ? t : ticks_max;
    }
    if (!quit(&s, msg, msglen))
        goto out;
    if (c->weights == WEIGHTS_STREAM) {
        char *img = stream_image_path(o->workdir), *cpath = xasprintf("%s.counts", img);
        uint8_t *txt;
        size_t tlen;
        char e2[256];
        if (read_file(cpath, &txt, &tlen, e2, sizeof e2)) {
            txt = xrealloc(txt, tlen + 1);
            txt[tlen] = 0;
            stream_counts_parse((const char *)txt, &io->stream);
            free(txt);
        }
        free(img);
        free(cpath);
    }
    /* As the host target leaves them, for comparing runs. */
    char *out_path = xasprintf("%s/output.bin", o->workdir);
    bool wrote = write_file_atomic(out_path, io->outputs, out_bytes * io->samples, msg, msglen);
    free(out_path);
    if (!wrote)
        goto out;
    if (io->samples > 0) {
        /* -icount shift=0: 1 instruction per ns of virtual time. */
        double per_tick = 1e9 / (double)tick_hz;
        io->insns = (uint64_t)((double)ticks_total * per_tick / (double)io->samples + 0.5);
        io->count = (target_count){"qemu_instructions", io->insns, (uint64_t)(ticks_min * per_tick + 0.5),
                                   (uint64_t)(ticks_max * per_tick + 0.5)};
        if (o->verbose)
            fprintf(stderr,
                    "qemu: %zu inferences; SysTick ticks per inference min %" PRIu64 " max %" PRIu64
                    " mean %.1f (%u Hz); about %" PRIu64 " instructions each (%.0f per tick)\n",
                    io->samples, ticks_min, ticks_max, (double)ticks_total / (double)io->samples, tick_hz,
                    io->insns, per_tick);
    }
    if (s.prof && !target_profile_write(s.prof, c, prof_path, tick_hz, msg, msglen))
        goto out;
    if (s.dec.skipped && o->verbose)
        fprintf(stderr, "qemu: %" PRIu64 " bytes outside any frame were ignored: \"%s\"\n", s.dec.skipped,
                s.dec.junk);
    res = TARGET_OK;
out:
    child_stop(&s.ch);
    vp_free(&s.dec);
    target_profile_free(&prof);
    qemu_command_free(argv);
    free(elf);
    free(qlog);
    return res;
}
