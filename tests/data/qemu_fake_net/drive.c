/*
 * drive.c - drives the QEMU target (compiler/target/qemu.c) around the fake
 * network of this directory, for tests/e2e/qemu_protocol.sh.  It stands in
 * for `kiln validate` until real models compile: it builds the `compiled`
 * description of fake.c by hand (inputs x f32[16], k s8[3]; outputs y
 * f32[16], s s32[2]) and calls target_qemu_run().
 *
 *   drive run WORKDIR [--inline] [--blob FILE] [--no-crc] [--timeout S] [--samples K] IN OUT
 *       prints "ok insns N", "refused: MSG" or "error: MSG"; exits 0, 3 or 2.
 *   drive raw WORKDIR BLOB OUT
 *       runs WORKDIR/fw.elf and sends it bad frames, then one good INPUT
 *       (x[i] = i/8 - 1, k = {3, 0, 0}) and QUIT; prints one line per reply
 *       and writes the good OUTPUT's outputs to OUT.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "target/child.h"
#include "target/cpu.h"
#include "target/qemu.h"
#include "target/target.h"
#include "target/vproto.h"
#include "util/fileio.h"

#define FAKE_SIGNATURE 0x6b696c6e66616b65ull
#define IN_BYTES 67u
#define OUT_BYTES 72u

static void fake_compiled(compiled *c, bool inline_weights)
{
    memset(c, 0, sizeof *c);
    c->name = "fake";
    c->g = ir_new("fake");
    int64_t s16[1] = {16}, s3[1] = {3}, s2[1] = {2};
    int x = ir_add_tensor(c->g, "x", IR_DT_F32, 1, s16);
    int k = ir_add_tensor(c->g, "k", IR_DT_S8, 1, s3);
    int y = ir_add_tensor(c->g, "y", IR_DT_F32, 1, s16);
    int s = ir_add_tensor(c->g, "s", IR_DT_S32, 1, s2);
    ir_mark_input(c->g, x, 0);
    ir_mark_input(c->g, k, 1);
    ir_mark_output(c->g, y);
    ir_mark_output(c->g, s);
    c->signature = FAKE_SIGNATURE;
    c->cpu = cpu_find(CPU_DEFAULT); /* the firmware is built for the compiled code's --cpu */
    c->weights = inline_weights ? WEIGHTS_INLINE : WEIGHTS_EXTERNAL;
}

static int run(int argc, char **argv)
{
    target_opts o = {argv[2], NULL, false, false, 120};
    bool inl = false;
    size_t samples = 1;
    const char *in = NULL, *out = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--inline"))
            inl = true;
        else if (!strcmp(argv[i], "--blob") && i + 1 < argc)
            o.blob_path = argv[++i];
        else if (!strcmp(argv[i], "--no-crc"))
            o.no_crc = true;
        else if (!strcmp(argv[i], "-v"))
            o.verbose = true;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            o.timeout_s = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = (size_t)atoi(argv[++i]);
        else if (!in)
            in = argv[i];
        else
            out = argv[i];
    }
    if (!in || !out) {
        fprintf(stderr, "drive run: IN and OUT needed\n");
        return 2;
    }
    uint8_t *ib;
    size_t n;
    char msg[2048];
    if (!read_file(in, &ib, &n, msg, sizeof msg) || n != IN_BYTES * samples) {
        fprintf(stderr, "drive run: '%s' must hold %zu samples of %u bytes\n", in, samples, IN_BYTES);
        return 2;
    }
    uint8_t *ob = calloc(samples, OUT_BYTES);
    compiled c;
    fake_compiled(&c, inl);
    target_io io = {ib, ob, samples, 0};
    target_result r = target_qemu_run(&c, &o, &io, msg, sizeof msg);
    int rc = 2;
    if (r == TARGET_OK && write_file_atomic(out, ob, OUT_BYTES * samples, msg, sizeof msg)) {
        printf("ok insns %" PRIu64 "\n", io.insns);
        rc = 0;
    } else if (r == TARGET_REFUSED) {
        printf("refused: %s\n", msg);
        rc = 3;
    } else
        printf("error: %s\n", msg);
    ir_free(c.g);
    free(ib);
    free(ob);
    return rc;
}

/* ---- raw mode ------------------------------------------------------------- */

static vp_decoder dec;
static child ch;

static void sink(void *ctx, const void *d, size_t n)
{
    (void)ctx;
    vp_feed(&dec, d, n);
}

static bool send_bytes(const void *b, size_t n)
{
    char err[256];
    return child_write(&ch, b, n, child_now() + 30, sink, NULL, err, sizeof err) == CHILD_OK;
}

/* Prints the next reply as one line; returns its type (0 on failure). */
static int reply(const char *step, vp_frame *f)
{
    char err[256];
    for (;;) {
        vp_status st = vp_next(&dec, f);
        if (st == VP_FRAME)
            break;
        if (st != VP_MORE) {
            printf("%s: bad frame from the target (%d)\n", step, (int)st);
            return 0;
        }
        if (child_read(&ch, child_now() + 30, sink, NULL, err, sizeof err) != CHILD_OK) {
            printf("%s: no reply\n", step);
            return 0;
        }
    }
    printf("%s: %s seq %u", step, vp_type_name(f->type), f->seq);
    if (f->type == KVP_T_ERROR && f->len > KVP_ERROR_FIXED)
        printf(" code %" PRIu32 " a %" PRIu32 " b %" PRIu32 " \"%s\"", kvp_get_u32(f->payload),
               kvp_get_u32(f->payload + 4), kvp_get_u32(f->payload + 8), (const char *)f->payload + KVP_ERROR_FIXED);
    printf("\n");
    return f->type;
}

static int raw(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: drive raw WORKDIR BLOB OUT\n");
        return 2;
    }
    char elf[4096], log[4096], err[256];
    snprintf(elf, sizeof elf, "%s/fw.elf", argv[2]);
    snprintf(log, sizeof log, "%s/qemu-raw.log", argv[2]);
    char **cmd = qemu_command(elf, argv[3]);
    vp_init(&dec, KVP_MAX_PAYLOAD);
    if (!child_start(&ch, cmd, log, err, sizeof err)) {
        printf("cannot start QEMU: %s\n", err);
        return 2;
    }
    vp_frame f;
    reply("hello", &f);

    uint8_t in[IN_BYTES];
    for (int i = 0; i < 16; i++) {
        float v = (float)i / 8.0f - 1.0f;
        memcpy(in + 4 * i, &v, 4);
    }
    in[64] = 3, in[65] = 0, in[66] = 0;
    uint8_t *fr;
    size_t n;

    /* 1. One payload bit flipped after the CRC was computed. */
    n = vp_encode(KVP_T_INPUT, 1, in, IN_BYTES, &fr);
    fr[KVP_HEADER_BYTES + 10] ^= 0x10;
    send_bytes(fr, n);
    free(fr);
    reply("flipped-bit", &f);
    /* 2. A header that claims one byte too many (the target refuses it at
     *    the header, so no payload follows). */
    n = vp_encode(KVP_T_INPUT, 2, in, IN_BYTES, &fr);
    kvp_put_u32(fr + KVP_OFF_LEN, IN_BYTES + 1);
    send_bytes(fr, KVP_HEADER_BYTES);
    free(fr);
    reply("wrong-length", &f);
    /* 3. A type the target does not know. */
    n = vp_encode(0x07, 3, NULL, 0, &fr);
    send_bytes(fr, n);
    free(fr);
    reply("unknown-type", &f);
    /* 4. Line noise (with a lone sync byte), then a good frame: the target
     *    resynchronises and computes on the good one only. */
    static const uint8_t noise[] = "noise K on the line \x4b\x4b\x00\xff";
    send_bytes(noise, sizeof noise);
    n = vp_encode(KVP_T_INPUT, 4, in, IN_BYTES, &fr);
    send_bytes(fr, n);
    free(fr);
    if (reply("good-after-noise", &f) == KVP_T_OUTPUT && f.len == KVP_OUTPUT_FIXED + OUT_BYTES)
        write_file_atomic(argv[4], f.payload + KVP_OUTPUT_FIXED, OUT_BYTES, err, sizeof err);
    /* 5. QUIT. */
    n = vp_encode(KVP_T_QUIT, 5, NULL, 0, &fr);
    send_bytes(fr, n);
    free(fr);
    reply("quit", &f);
    char how[64];
    if (!child_wait(&ch, child_now() + 10))
        printf("exit: still running\n");
    else {
        child_describe_exit(&ch, how, sizeof how);
        printf("exit: %s\n", how);
    }
    child_stop(&ch);
    vp_free(&dec);
    qemu_command_free(cmd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "run"))
        return run(argc, argv);
    if (argc >= 3 && !strcmp(argv[1], "raw"))
        return raw(argc, argv);
    fprintf(stderr, "usage: drive run|raw WORKDIR ...\n");
    return 2;
}
