/*
 * cmd_firmware.c - `kiln firmware MODEL --board B -o DIR`: the validation
 * firmware for a board (the generated network, the runtime, the board's port
 * under firmware/ and the validation protocol) built with arm-none-eabi-gcc
 * into DIR/NET-B.elf, .bin and .hex, the weights blob next to it, and the
 * steps to flash both and validate over the board's serial port.
 *
 * Relies on target/fw_port.h for the ports and qemu_build.c to compile and
 * link (the same build `kiln validate --target qemu` uses), objcopy for the
 * .bin/.hex.  The compile options must be the ones `kiln validate --target
 * serial` is later given: the printed command repeats them.  Never flashes
 * anything itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "emit/emit_c.h"
#include "flash/report.h"
#include "target/fw_port.h"
#include "target/qemu.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "util/sbuf.h"
#include "util/suggest.h"

static const char usage[] =
    "usage: kiln firmware MODEL --board B -o DIR [options]\n"
    "Builds the validation firmware for board B: the generated network, the runtime, the board's\n"
    "port and the validation protocol, into DIR/NET-B.elf, .bin and .hex, with the weights blob\n"
    "DIR/NET_data.bin, and prints how to flash both and validate over the board's serial port\n"
    "(kiln validate --target serial, with the same compile options).\n"
    "  --board B                 qemu-mps2-an500 (emulated; tested), stm32h747i-disco or\n"
    "                            stm32h745i-disco (Cortex-M7 core; not yet run on hardware)\n"
    "  -o DIR                    output directory (created)\n"
    "  --boards-dir DIR          where board descriptors live (default: <repo>/boards)\n"
    "  -v                        print the compiler commands\n" COMPILE_OPTS_HELP;

typedef struct fw_opts {
    compile_opts co;
    board_sel board;
    const char *model, *dir;
    bool verbose;
    sbuf same_opts;     /* the compile options as given, for the validate command */
} fw_opts;

static void quote_arg(sbuf *b, const char *a)
{
    if (a[strcspn(a, " \t'\"\\$`")] == '\0' && *a) {
        sb_printf(b, " %s", a);
        return;
    }
    sb_printf(b, " '");
    for (; *a; a++)
        sb_printf(b, *a == '\'' ? "'\\''" : "%c", *a);
    sb_printf(b, "'");
}

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, fw_opts *o)
{
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        int first = i;
        int r = parse_compile_opt(argc, argv, &i, "firmware", &o->co, &seen);
        if (r > 0)
            for (int k = first; k <= i; k++)
                quote_arg(&o->same_opts, argv[k]);
        if (r == 0)
            r = parse_board_opt(argc, argv, &i, "firmware", &o->board, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "-o")) {
            const char *v = arg_text(argc, argv, &i, "firmware", &seen, "directory");
            if (!v)
                return 2;
            o->dir = v;
        } else if (!strcmp(argv[i], "-v")) {
            o->verbose = true;
        } else if (argv[i][0] == '-') {
            report_unknown_option("firmware", argv[i], usage);
            return 2;
        } else if (!o->model) {
            o->model = argv[i];
        } else {
            fprintf(stderr, "kiln firmware: more than one model given ('%s', '%s')\n", o->model, argv[i]);
            return 2;
        }
    }
    if (!o->model || !o->dir || !o->board.name) {
        fprintf(stderr, "kiln firmware: %s\n%s",
                !o->model ? "no model given" : !o->board.name ? "which board? (--board B)" : "no output directory (-o DIR)",
                usage);
        return 2;
    }
    if (!fw_port_find(o->board.name)) {
        fprintf(stderr, "kiln firmware: no validation firmware port for board '%s' (ports: %s; kiln boards "
                        "lists the descriptors)\n", o->board.name, fw_port_names());
        return 2;
    }
    return -1;
}

/* arm-none-eabi-objcopy next to the compiler $KILN_ARM_CC names. */
static char *arm_tool(const char *tool)
{
    const char *cc = getenv("KILN_ARM_CC");
    if (!cc || !*cc)
        cc = "arm-none-eabi-gcc";
    size_t L = strlen(cc);
    if (L >= 3 && !strcmp(cc + L - 3, "gcc"))
        return xasprintf("%.*s%s", (int)(L - 3), cc, tool);
    return xasprintf("arm-none-eabi-%s", tool);
}

static bool objcopy(const char *elf, const char *fmt, const char *out, const char *log, char *err, size_t errlen)
{
    char *tool = arm_tool("objcopy");
    char *argv[] = {tool, "-O", (char *)fmt, (char *)elf, (char *)out, NULL};
    proc_result r;
    bool ok = proc_run(argv, log, 120, &r, err, errlen);
    if (ok && (r.signaled || r.timed_out || r.exit_code != 0)) {
        snprintf(err, errlen, "%s -O %s %s failed (log %s)", tool, fmt, elf, log);
        ok = false;
    }
    free(tool);
    return ok;
}

static void print_steps(const fw_opts *o, const fw_port *port, const compiled *c, const char *elf,
                        const char *hex, const char *blob)
{
    const board *b = &o->board.b;
    bool ext = c->weights == WEIGHTS_EXTERNAL;
    printf("how to run it:\n");
    if (!strcmp(port->board, "qemu-mps2-an500")) {
        printf("  1. start the emulated board halted, with its UART on a pty and a GDB stub:\n"
               "     qemu-system-arm -M mps2-an500 -nographic -monitor none -serial pty -icount shift=0 \\\n"
               "       -semihosting-config enable=on,target=native -S -gdb tcp:127.0.0.1:1234 -kernel %s\n"
               "     (QEMU prints \"char device redirected to /dev/pts/N\")\n", elf);
    } else {
        printf("  1. program the firmware into the MCU's internal flash (vectors at 0x08000000):\n"
               "     STM32_Programmer_CLI -c port=SWD -w %s -v -rst\n"
               "     or: openocd -f %s -c \"program %s verify reset exit\"\n",
               hex, b->openocd_config[0] ? b->openocd_config : "board/stm32h747i-disco.cfg", elf);
        if (ext) {
            printf("     the weights blob into the external flash, with the vendor tools:\n");
            report_vendor_commands(stdout, b, blob, c->address);
            printf("     (or let kiln validate program it: step 2 with --gdb)\n");
        }
        printf("  then start a GDB server for the probe (openocd -f %s: port 3333) if kiln is to program\n"
               "  the blob, and find the ST-LINK virtual COM port (/dev/ttyACM0 on Linux).\n",
               b->openocd_config[0] ? b->openocd_config : "board/stm32h747i-disco.cfg");
    }
    printf("  2. validate over the serial port%s:\n", ext ? " (--gdb programs the blob and verifies it first)" : "");
    printf("     kiln validate %s --target serial --board %s --port %s%s%s\n", o->model, port->board,
           !strcmp(port->board, "qemu-mps2-an500") ? "/dev/pts/N" : "/dev/ttyACM0",
           ext ? (!strcmp(port->board, "qemu-mps2-an500") ? " --gdb 127.0.0.1:1234" : " --gdb 127.0.0.1:3333") : "",
           o->same_opts.s ? o->same_opts.s : "");
    if (!port->hardware_tested)
        printf("note: this port builds and links but has not yet run on a %s (docs/real-board.md)\n", b->title);
}

static int build(fw_opts *o, const fw_port *port, compiled *c)
{
    char err[4096];
    char *work = xasprintf("%s/build", o->dir);
    char *stem = xasprintf("%s/%s-%s", o->dir, c->name, port->board);
    char *elf = xasprintf("%s.elf", stem), *bin = xasprintf("%s.bin", stem), *hex = xasprintf("%s.hex", stem);
    char *blob = xasprintf("%s/%s_data.bin", work, c->name), *blob_out = xasprintf("%s/%s_data.bin", o->dir, c->name);
    char *log = xasprintf("%s/objcopy.log", work);
    int rc = 2;
    target_opts to = {work, NULL, false, o->verbose, 600, NULL};
    if (!make_dirs(work, err, sizeof err) || !emit_all(c, work, err, sizeof err))
        goto fail;
    /* A board's end: after QUIT or a refusal the firmware sleeps, it does not
     * exit (on QEMU that would close the serial pty under the last frame). */
    if (!fw_build_firmware(c, &to, port, false, false, "-DKILN_FW_HALT=1", elf, err, sizeof err))
        goto fail;
    if (!objcopy(elf, "binary", bin, log, err, sizeof err) || !objcopy(elf, "ihex", hex, log, err, sizeof err))
        goto fail;
    if (c->weights == WEIGHTS_EXTERNAL) {
        uint8_t *d;
        size_t n;
        if (!read_file(blob, &d, &n, err, sizeof err))
            goto fail;
        bool ok = write_file_atomic(blob_out, d, n, err, sizeof err);
        free(d);
        if (!ok)
            goto fail;
    }
    if (c->weights == WEIGHTS_EXTERNAL)
        printf("kiln firmware: %s for %s, blob read at 0x%08llx; timing in %s\n", c->name, o->board.b.title,
               (unsigned long long)c->address, port->cycles);
    else
        printf("kiln firmware: %s for %s, weights compiled in; timing in %s\n", c->name, o->board.b.title,
               port->cycles);
    printf("wrote %s, %s, %s%s%s (link map %s/fw.map)\n", elf, bin, hex, c->weights == WEIGHTS_EXTERNAL ? ", " : "",
           c->weights == WEIGHTS_EXTERNAL ? blob_out : "", work);
    print_steps(o, port, c, elf, hex, blob_out);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "kiln firmware: %s\n", err);
    /* No half-built firmware left looking valid. */
    remove(elf);
    remove(bin);
    remove(hex);
out:
    free(work);
    free(stem);
    free(elf);
    free(bin);
    free(hex);
    free(blob);
    free(blob_out);
    free(log);
    return rc;
}

int cmd_firmware(int argc, char **argv)
{
    fw_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        goto out;
    rc = 2;
    if (!board_sel_load(&o.board, &o.co, "firmware"))
        goto out;
    const fw_port *port = fw_port_find(o.board.name);
    compiled c;
    if (compile_for_board(o.model, &o.co, &o.board, "firmware", &c)) {
        if (c.weights == WEIGHTS_EXTERNAL && c.address != port->blob_addr)
            fprintf(stderr, "kiln firmware: --address 0x%08llx: the firmware for %s reads its blob at 0x%08x "
                            "(leave --address out)\n", (unsigned long long)c.address, port->board,
                    (unsigned)port->blob_addr);
        else
            rc = build(&o, port, &c);
    }
    compiled_free(&c);
out:
    board_sel_free(&o.board);
    sb_free(&o.same_opts);
    import_opts_free_fixes(&o.co.imp);
    return rc;
}
