/*
 * cmd_blob.c - `kiln blob info FILE`: prints a weights blob's header and
 * directory and runs the same check the runtime runs at init.
 *
 * Without a model, the structural check (kiln_blob_check: header, layout,
 * payload CRC, directory) with the blob's own or a given signature.  With
 * --model, the model is compiled with the same options as for `generate`
 * and the blob must be exactly the one it compiles to (blob_match.c): the
 * runtime's model check, then every byte.  Every directory field is
 * bounds-checked before use: this command exists to look at blobs that may
 * be damaged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_match.h"
#include "cli.h"
#include "cmd_common.h"
#include "compile.h"
#include "kiln/blob.h"
#include "util/args.h"
#include "util/fileio.h"
#include "util/suggest.h"

static const char usage[] =
    "usage: kiln blob info FILE [--signature SIG | --model MODEL [compile options]] [--tensors]\n"
    "Prints the blob header and checks it as the runtime does: magic, version, header CRC,\n"
    "sizes, reserved bytes, layout, payload CRC and directory (exit 1 if a check fails).\n"
    "With --signature, also that it carries that signature.  With --model, that it is\n"
    "exactly the blob MODEL compiles to: every header field, the payload's SHA-256 or CRC-32\n"
    "as the generated code checks it, then every byte.  Give the compile options that\n"
    "change the blob as for `kiln generate`:\n" COMPILE_OPTS_HELP;

static const char *dtype_name(unsigned d)
{
    static const char *names[] = {"?", "f32", "s8", "u8", "s16", "s32", "s64", "u16", "u32", "bool", "u64"};
    return d < sizeof names / sizeof names[0] ? names[d] : "?";
}

static const char *layout_name(uint32_t l)
{
    static const char *names[] = {"plain",   "gemm16x2", "gemm8x2", "gemm16x4", "gemm8x4", "dw3x3",
                                  "dw3x3t",  "dw3x3c4",  "f32panel", "f32dw",   "f32bias", "dw3x3c4s2", "c8",
                                  "gemm16x2rgb", "dwany", "fc8host"};
    return l < sizeof names / sizeof names[0] ? names[l] : "?";
}

static void print_directory(const uint8_t *b, size_t len, uint32_t count, uint32_t dir)
{
    printf("tensors:\n  %-4s %10s %10s %-5s %-8s %-8s %s\n", "#", "offset", "bytes", "type", "kind",
           "layout", "name");
    for (uint32_t i = 0; i < count; i++) {
        uint64_t e = (uint64_t)dir + (uint64_t)i * KILN_BLOB_DIR_ENTRY_SIZE;
        if (e + KILN_BLOB_DIR_ENTRY_SIZE > len) {
            printf("  (directory runs past the end of the file at entry %u)\n", i);
            return;
        }
        const uint8_t *p = b + e;
        uint32_t off = kiln_rd_u32(p + KILN_BLOB_DIR_OFF_OFFSET), sz = kiln_rd_u32(p + KILN_BLOB_DIR_OFF_SIZE);
        uint32_t name = kiln_rd_u32(p + KILN_BLOB_DIR_OFF_NAME);
        const char *nm = "(name out of range)";
        if (name < len && memchr(b + name, 0, len - name))
            nm = (const char *)b + name;
        printf("  %-4u %10u %10u %-5s %-8s %-8s %s%s\n", i, off, sz, dtype_name(p[KILN_BLOB_DIR_OFF_DTYPE]),
               p[KILN_BLOB_DIR_OFF_KIND] == KILN_BLOB_KIND_DERIVED ? "derived" : "weights",
               layout_name(kiln_rd_u16(p + KILN_BLOB_DIR_OFF_LAYOUT)), nm,
               (uint64_t)off + sz > len ? "  (past the end!)" : "");
    }
}

static void print_header(const uint8_t *b, size_t len)
{
    if (len < KILN_BLOB_HEADER_SIZE)
        return;
    printf("magic               %02x %02x %02x %02x (\"%c%c%c%c\")\n", b[0], b[1], b[2], b[3],
           b[0] >= 32 && b[0] < 127 ? b[0] : '.', b[1] >= 32 && b[1] < 127 ? b[1] : '.',
           b[2] >= 32 && b[2] < 127 ? b[2] : '.', b[3] >= 32 && b[3] < 127 ? b[3] : '.');
    printf("version             %u\n", kiln_rd_u16(b + KILN_BLOB_OFF_VERSION));
    printf("header size         %u\n", kiln_rd_u16(b + KILN_BLOB_OFF_HEADER_SIZE));
    printf("flags               0x%08x\n", kiln_rd_u32(b + KILN_BLOB_OFF_FLAGS));
    printf("alignment           %u\n", kiln_rd_u32(b + KILN_BLOB_OFF_ALIGN));
    printf("signature           0x%016" PRIx64 "\n", kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE));
    printf("payload size        %u (blob %llu bytes)\n", kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE),
           (unsigned long long)kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE) + KILN_BLOB_HEADER_SIZE);
    printf("payload crc32       0x%08x\n", kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC));
    printf("tensors             %u\n", kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT));
    printf("directory offset    %u\n", kiln_rd_u32(b + KILN_BLOB_OFF_DIR));
    printf("data offset         %u\n", kiln_rd_u32(b + KILN_BLOB_OFF_DATA));
    printf("header crc32        0x%08x\n", kiln_rd_u32(b + KILN_BLOB_OFF_HEADER_CRC));
}

static void print_failure(kiln_status s, const kiln_blob_report *rep, size_t len, uint64_t sig)
{
    char detail[256];
    printf("check               FAILED: %s: %s\n", kiln_status_name(s), kiln_status_str(s));
    blob_explain(s, rep, len, sig, detail, sizeof detail);
    if (detail[0])
        printf("                    %s\n", detail);
}

/* Without a model: the structural check, with a given or the blob's own signature. */
static int check_structure(const uint8_t *b, size_t len, bool have_sig, uint64_t sig, bool tensors)
{
    if (!have_sig && len >= KILN_BLOB_HEADER_SIZE)
        sig = kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
    kiln_blob_report rep;
    kiln_status s = kiln_blob_check(b, len, sig, 0, &rep);
    if (s != KILN_OK) {
        print_failure(s, &rep, len, sig);
        return 1;
    }
    if (tensors)
        print_directory(b, len, rep.tensor_count, kiln_rd_u32(b + KILN_BLOB_OFF_DIR));
    printf("check               ok%s\n", have_sig ? " (the signature matches)" : "");
    if (!have_sig)
        printf("note                structure only: give --model to check it is a given model's blob\n");
    if (len > rep.total_size)
        printf("note                %zu bytes after the blob's end are not part of it\n", len - rep.total_size);
    return 0;
}

/* With a model: exactly the blob it compiles to (the runtime's model check,
 * then every byte). */
static int check_model(const uint8_t *b, size_t len, const char *model, const compile_opts *co, bool tensors)
{
    char err[1024];
    compiled c;
    if (!compile_model(model, co, &c, err, sizeof err)) {
        fprintf(stderr, "kiln blob info: %s\n", err);
        compiled_free(&c);
        return 2;
    }
    blob_match m;
    bool same = blob_match_compiled(&c, b, len, &m, err, sizeof err);
    if (m.status == KILN_OK && tensors)
        print_directory(b, len, m.rep.tensor_count, kiln_rd_u32(b + KILN_BLOB_OFF_DIR));
    if (same)
        printf("check               ok: identical to the blob %s compiles to (%zu bytes; the code "
               "checks it by %s)\n", model, c.blob_len, integrity_name((kiln_integrity)c.expect.integrity));
    else if (m.status != KILN_OK)
        print_failure(m.status, &m.rep, len, c.expect.signature);
    else
        printf("check               FAILED: not the blob %s compiles to: %s\n", model, err);
    compiled_free(&c);
    return same ? 0 : 1;
}

int cmd_blob(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "info")) {
        if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
            fputs(usage, stdout);
            return 0;
        }
        const char *info[] = {"info"};
        if (argc >= 2 && suggest_word(argv[1], info, 1))
            fprintf(stderr, "kiln blob: unknown subcommand '%s'; did you mean 'info'?\n", argv[1]);
        else
            fprintf(stderr, "kiln blob: expected 'info'\n%s", usage);
        return 2;
    }
    const char *file = NULL, *model = NULL;
    uint64_t sig = 0;
    bool have_sig = false, tensors = false;
    compile_opts co = {0};
    arg_seen seen = {0};
    for (int i = 2; i < argc; i++) {
        int r = parse_compile_opt(argc, argv, &i, "blob info", &co, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--signature")) {
            const char *v = arg_value(argc, argv, &i, "blob info");
            if (!v || !arg_once(&seen, "--signature", v, "blob info"))
                return 2;
            if (!parse_hex(v, &sig)) {
                char why[160];
                hex_problem(v, why, sizeof why);
                fprintf(stderr, "kiln blob info: --signature %s; give it as printed, e.g. "
                        "0x1122334455667788\n", why);
                return 2;
            }
            have_sig = true;
        } else if (!strcmp(argv[i], "--model")) {
            if (!(model = arg_value(argc, argv, &i, "blob info")) ||
                !arg_once(&seen, "--model", model, "blob info"))
                return 2;
        } else if (!strcmp(argv[i], "--tensors")) {
            tensors = true;
        } else if (argv[i][0] == '-') {
            report_unknown_option("blob info", argv[i], usage);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "kiln blob info: more than one file given\n");
            return 2;
        }
    }
    if (have_sig && model) {
        fprintf(stderr, "kiln blob info: give --signature or --model, not both\n");
        return 2;
    }
    if (!file) {
        fprintf(stderr, "kiln blob info: no file given\n%s", usage);
        return 2;
    }
    char err[1024];
    uint8_t *raw;
    size_t len;
    if (!read_file(file, &raw, &len, err, sizeof err)) {
        fprintf(stderr, "kiln blob info: %s\n", err);
        return 2;
    }
    /* The check wants the blob at an address aligned as the header says. */
    uint8_t *b = aligned_alloc(4096, (len + 4095) / 4096 * 4096 + 4096);
    if (!b) {
        free(raw);
        fprintf(stderr, "kiln blob info: out of memory for %zu bytes\n", len);
        return 2;
    }
    memcpy(b, raw, len);
    free(raw);
    if (blob_is_model_file(b, len, file, err, sizeof err)) {
        fprintf(stderr, "kiln blob info: %s\n", err);
        free(b);
        return 2;
    }
    printf("file                %s (%zu bytes)\n", file, len);
    print_header(b, len);
    int rc = model ? check_model(b, len, model, &co, tensors) : check_structure(b, len, have_sig, sig, tensors);
    free(b);
    return rc;
}
