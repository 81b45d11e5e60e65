/*
 * cmd_validate.c - `kiln validate`: compile a model, build the generated C
 * into a harness for the target, run it, and compare its outputs with a
 * reference.  This file reads the options and runs the phases in order
 * (validate/validate.h): the tensor files (vfiles.c), the inputs and the
 * reference (vref.c), the target (vrun.c), the metrics (vreport.c).
 *
 * The reference is the user's expected outputs (--expected, e.g. ONNX
 * conformance data or TFLite-Micro's outputs) or the reference evaluator
 * (compiler/ref/) run on the model as imported, before any pass touched it.
 * The generated code is built with -Wall -Wextra -Werror -pedantic, so a
 * warning in generated code fails validation too.
 *
 * Exit codes: 0 every output within tolerance, 1 some output outside it,
 * 2 any error (bad arguments, model refused, the blob refused at init, a
 * crash of the generated code).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob_match.h"
#include "cli.h"
#include "cmd_common.h"
#include "util/args.h"
#include "util/fileio.h"
#include "util/suggest.h"
#include "validate/validate.h"

static const char usage[] =
    "usage: kiln validate MODEL [options]\n"
    "Builds the generated code for the target, runs it and compares with a reference.\n"
    "  --target host|qemu|serial where to run: host (the machine's C compiler), qemu\n"
    "                            (Cortex-M7 firmware on an emulated mps2-an500 board) or serial\n"
    "                            (a board running `kiln firmware`'s firmware, over its serial port)\n"
    "  --port DEV --baud N       serial: the board's serial port (/dev/ttyACM0) and speed (115200)\n"
    "  --hello-timeout SEC       serial: how long to wait for the board's HELLO (default 30)\n"
    "  --board B                 serial: the board (kiln firmware --board B); sets the blob address\n"
    "  --gdb HOST:PORT           serial: program the blob through this GDB server, verify it and\n"
    "                            start the target; without it the board is already programmed\n"
    "  --input FILE              an input (.npy, .pb TensorProto, or raw bytes); once per model input;\n"
    "                            one sample, or N along a leading dimension ([N,...])\n"
    "  --expected FILE           an expected output (.npy, .pb, or raw; one raw file may hold all\n"
    "                            outputs concatenated), as many samples as the inputs (a model\n"
    "                            without inputs: --expected alone);\n"
    "                            default: Kiln's reference evaluator\n"
    "  --seed N --samples K      K random inputs from seed N (default seed 1, 1 sample)\n"
    "  --blob FILE               run on this weights blob instead of the generated one\n"
    "  --no-crc                  skip the payload CRC check at init\n"
    "  --atol A --rtol R         float tolerance |out-ref| <= A + R*|ref| (default 1e-7, 1e-3)\n"
    "  --max-lsb N               allowed difference of integer outputs (default 0: exact; 1 when\n"
    "                            the reference evaluator approximates a quantized node, and it says so)\n"
    "  --json FILE               write the metrics as JSON (- for stdout; the text then goes to stderr)\n"
    "  --keep DIR                build in DIR and keep it (default: a temporary directory)\n"
    "  -v                        print the build commands and the harness output\n" COMPILE_OPTS_HELP;

/* ---- option parsing --------------------------------------------------------- */

static int parse(int argc, char **argv, vopts *o)
{
    memset(o, 0, sizeof *o);
    o->target = "host";
    o->seed = 1;
    o->samples = 1;
    o->atol = 1e-7;
    o->rtol = 1e-3;
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r = parse_compile_opt(argc, argv, &i, "validate", &o->co, &seen);
        if (r == 0)
            r = parse_board_opt(argc, argv, &i, "validate", &o->board, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-v")) {
            o->verbose = true;
        } else if (!strcmp(a, "--no-crc")) {
            o->no_crc = true;
        } else if (!strcmp(a, "--input") || !strcmp(a, "--expected")) {
            bool in = !strcmp(a, "--input");
            if (!(v = arg_value(argc, argv, &i, "validate")))
                return 2;
            if ((in ? o->n_inputs : o->n_expected) == VALIDATE_MAX_FILES) {
                fprintf(stderr, "kiln validate: more than %d %s files\n", VALIDATE_MAX_FILES, a);
                return 2;
            }
            if (in)
                o->inputs[o->n_inputs++] = v;
            else
                o->expected[o->n_expected++] = v;
        } else if (!strcmp(a, "--port") || !strcmp(a, "--gdb") || !strcmp(a, "--baud") ||
                   !strcmp(a, "--hello-timeout")) {
            if (!(v = arg_value(argc, argv, &i, "validate")) || !arg_once(&seen, a, v, "validate"))
                return 2;
            uint64_t n = 0;
            if (!strcmp(a, "--baud") && (!parse_count(v, &n) || n > 4000000)) {
                fprintf(stderr, "kiln validate: --baud '%s' is not a baud rate (e.g. 115200)\n", v);
                return 2;
            }
            if (!strcmp(a, "--hello-timeout") && (!parse_count(v, &n) || n < 1 || n > 3600)) {
                fprintf(stderr, "kiln validate: --hello-timeout '%s': give whole seconds, 1 to 3600\n", v);
                return 2;
            }
            if (!*v) {
                fprintf(stderr, "kiln validate: %s needs a value, not an empty string\n", a);
                return 2;
            }
            if (!strcmp(a, "--baud"))
                o->baud = (unsigned)n;
            else if (!strcmp(a, "--hello-timeout"))
                o->hello_timeout_s = (unsigned)n;
            else
                *(!strcmp(a, "--port") ? &o->port : &o->gdb) = v;
        } else if (!strcmp(a, "--target") || !strcmp(a, "--blob") || !strcmp(a, "--json") ||
                   !strcmp(a, "--keep")) {
            if (!(v = arg_text(argc, argv, &i, "validate", &seen,
                               !strcmp(a, "--keep") ? "directory" : !strcmp(a, "--target") ? "target" : "file")))
                return 2;
            *(!strcmp(a, "--target") ? &o->target : !strcmp(a, "--blob") ? &o->blob :
              !strcmp(a, "--json") ? &o->json : &o->keep) = v;
        } else if (!strcmp(a, "--seed") || !strcmp(a, "--samples") || !strcmp(a, "--max-lsb")) {
            uint64_t n;
            if (!(v = arg_value(argc, argv, &i, "validate")) || !arg_once(&seen, a, v, "validate"))
                return 2;
            if (!parse_count(v, &n)) {
                fprintf(stderr, "kiln validate: %s '%s' is not a decimal count (digits, no leading zeros)\n", a, v);
                return 2;
            }
            if (!strcmp(a, "--seed")) {
                if (n > UINT32_MAX) {
                    fprintf(stderr, "kiln validate: --seed %s is larger than 4294967295\n", v);
                    return 2;
                }
                o->seed = n;
                o->seed_given = true;
            } else if (!strcmp(a, "--samples")) {
                if (n < 1 || n > 100000) {
                    fprintf(stderr, "kiln validate: --samples must be 1..100000, not %s\n", v);
                    return 2;
                }
                o->samples = n;
            } else {
                o->max_lsb = n;
                o->max_lsb_given = true;
            }
        } else if (!strcmp(a, "--atol") || !strcmp(a, "--rtol")) {
            double d;
            if (!(v = arg_value(argc, argv, &i, "validate")) || !arg_once(&seen, a, v, "validate"))
                return 2;
            if (!parse_double(v, &d) || d < 0) {
                fprintf(stderr, "kiln validate: %s '%s' is not a non-negative number\n", a, v);
                return 2;
            }
            *(!strcmp(a, "--atol") ? &o->atol : &o->rtol) = d;
        } else if (a[0] == '-') {
            report_unknown_option("validate", a, usage);
            return 2;
        } else if (!o->model) {
            o->model = a;
        } else {
            fprintf(stderr, "kiln validate: more than one model given ('%s', '%s')\n", o->model, a);
            return 2;
        }
    }
    if (!o->model) {
        fprintf(stderr, "kiln validate: no model given\n%s", usage);
        return 2;
    }
    if (strcmp(o->target, "host") && strcmp(o->target, "qemu") && strcmp(o->target, "serial")) {
        fprintf(stderr, "kiln validate: unknown --target '%s' (host, qemu or serial)\n", o->target);
        return 2;
    }
    if (!vserial_check_opts(o))
        return 2;
    if (!o->co.cpu && !strcmp(o->target, "host"))
        o->co.cpu = "host"; /* the code is built by the host's compiler */
    if (o->n_inputs && (o->seed_given || o->samples > 1)) {
        fprintf(stderr, "kiln validate: --seed/--samples make random inputs; do not combine them with --input\n");
        return 2;
    }
    /* --expected without --input: only for a model without inputs, which
     * vfiles_inputs checks once the model is imported. */
    return -1;
}

/* ---- the command -------------------------------------------------------------- */

/* --blob is checked here, not left to the harness: a directory or a FIFO
 * would otherwise reach the runtime as an empty blob (KILN_E_BLOB_NULL). */
static bool check_blob_arg(const vopts *o, char *err, size_t errlen)
{
    if (!o->blob)
        return true;
    char why[1024];
    int fd = open_regular(o->blob, 0, NULL, why, sizeof why);
    if (fd < 0) {
        snprintf(err, errlen, "--blob: %s", why);
        return false;
    }
    uint8_t head[8];
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    if (got > 0 && blob_is_model_file(head, (size_t)got, o->blob, why, sizeof why)) {
        snprintf(err, errlen, "--blob: %s", why);
        return false;
    }
    return true;
}

int cmd_validate(int argc, char **argv)
{
    vopts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) {
        import_opts_free_fixes(&o.co.imp);
        return rc;
    }
    char err[2048];
    int status = 2;
    compiled c;
    memset(&c, 0, sizeof c);
    vfileset fs;
    vbatch b;
    vref_info ref;
    uint64_t insns = 0;
    memset(&b, 0, sizeof b);
    memset(&fs, 0, sizeof fs);
    /* Tensor files first: they may fix shapes of the model. */
    if (!board_sel_load(&o.board, &o.co, "validate"))
        goto done;
    if (!check_blob_arg(&o, err, sizeof err) || !vfiles_load(&o, &fs, err, sizeof err) ||
        !vfiles_compile(&o, &fs, &c, err, sizeof err))
        goto fail;
    if (!check_compiled_address(&c, "validate"))
        goto done;
    if (!vfiles_inputs(&o, &fs, c.g, &b, err, sizeof err) || !vref_make(&o, &fs, &c, &b, &ref, err, sizeof err))
        goto fail;
    status = vrun_target(&o, &c, &b, &insns);
    if (status == 0)
        status = vreport(&o, &c, &b, &ref, insns);
    goto done;
fail:
    fprintf(stderr, "kiln validate: %s\n", err);
    status = 2;
done:
    vfiles_free(&fs);
    vbatch_free(&b);
    compiled_free(&c);
    board_sel_free(&o.board);
    import_opts_free_fixes(&o.co.imp);
    return status;
}
