/*
 * cli_flash.c - `kiln flash SUBCOMMAND` (options and dispatch) and
 * `kiln boards`.
 *
 * The subcommands live in cli_write.c (write, verify, read, erase, export)
 * and cli_update.c (update, slots); what they share in cli_common.c.  Exit
 * codes: 0 done, 1 a check that did not pass (verify mismatch, no valid slot),
 * 2 any error.  The user-facing reference is docs/flash.md, docs/boards.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "compile.h"
#include "flash/board.h"
#include "flash/cli_common.h"
#include "flash/report.h"
#include "util/args.h"
#include "util/suggest.h"

static const char flash_usage[] =
        "usage: kiln flash SUBCOMMAND [options]   (docs/flash.md)\n"
        "\n"
        "  write  BLOB --board B [--address A] --device IMAGE [--dry-run] [--model M]\n"
        "  write  BLOB --gdb HOST:PORT --address A [--board B] [--dry-run] [--model M]\n"
        "  verify BLOB --board B [--address A] (--device IMAGE | --gdb HOST:PORT) [--model M]\n"
        "  read   --board B --address A --size N (--device IMAGE | --gdb HOST:PORT) -o OUT\n"
        "  erase  (--address A --size N | --all) (--board B --device IMAGE | --gdb HOST:PORT)\n"
        "  export BLOB (--address A | --board B) --format ihex|srec -o OUT [--record-size 16|32]\n"
        "         [--model M] [--ab --board B [--size N]]\n"
        "  update BLOB --board B --device IMAGE [--address A --size N] [--dry-run] [--model M]\n"
        "  update BLOB --gdb HOST:PORT (--address A | --board B) [--size N] [--dry-run]\n"
        "  slots  (--board B --device IMAGE | --gdb HOST:PORT) [--address A --size N] [--signature S]\n"
        "\n"
        "options:\n"
        "  --board B          board descriptor name (`kiln boards` lists them)\n"
        "  --boards-dir DIR   where descriptors live (default $KILN_BOARDS_DIR or <repo>/boards)\n"
        "  --address A        absolute address in hex (0x90000000); default: the board's flash base\n"
        "  --size N           bytes: decimal or 0x-hex, K/M suffixes (4096, 0x1000, 64K, 16M)\n"
        "  --device IMAGE     simulated flash: a file holding the chip's bytes (created erased)\n"
        "  --gdb HOST:PORT    a GDB server: QEMU -gdb, OpenOCD (3333), J-Link GDB Server (2331)\n"
        "  --timeout SEC      wait at most SEC seconds for each GDB reply (default 5)\n"
        "  --dry-run          print the plan, change nothing\n"
        "  --model M          refuse BLOB unless it is, byte for byte, the blob model M compiles to\n"
        "  --integrity sha256|crc32, --no-fuse, --weights external|stream, --internal-budget B,\n"
        "  --stage-bytes B, --kernels K, --cpu CPU\n"
        "                     with --model: the compile options BLOB was generated with\n"
        "  --quiet            no progress bar\n"
        "  --ab               export: the A/B region's first state (record 1 naming slot A, slot A)\n"
        "  --inject-power-cut ops:N|bytes:N [--seed S]\n";

static void usage(FILE *f)
{
    fputs(flash_usage, f);
}

/* The value of a numeric option, in the form docs/cli.md names for it:
 * addresses and signatures 0x-hex, sizes decimal or 0x-hex with K/M
 * suffixes, counts decimal.  Prints the error and returns false. */
static bool numeric_opt(fcli_opts *o, const char *name, const char *val)
{
    uint64_t n;
    if (!strcmp(name, "--address") || !strcmp(name, "--signature")) {
        if (!parse_hex(val, &n)) {
            char why[160];
            hex_problem(val, why, sizeof why);
            fcli_error("%s %s; give it in hex, e.g. %s", name, why,
                       !strcmp(name, "--address") ? "0x90000000" : "0x1122334455667788");
            return false;
        }
        if (!strcmp(name, "--signature")) {
            o->signature = n;
            o->have_signature = true;
            return true;
        }
        if (n > 0xFFFFFFFFull) {
            fcli_error("--address %s is beyond the 32-bit address space", val);
            return false;
        }
        o->address = n;
        o->have_address = true;
        return true;
    }
    if (!strcmp(name, "--size")) {
        if (!parse_size(val, &n) || n == 0 || n > 0xFFFFFFFFull) {
            fcli_error("--size '%s': give 1 byte to 4 GiB as 4096, 0x1000, 64K or 16M", val);
            return false;
        }
        o->size = n;
        o->have_size = true;
        return true;
    }
    bool ok = parse_count(val, &n);
    if (!strcmp(name, "--timeout")) {
        if (!ok || n == 0 || n > 3600) {
            fcli_error("--timeout '%s': give 1 to 3600 seconds", val);
            return false;
        }
        o->timeout_ms = (int)n * 1000;
    } else if (!strcmp(name, "--record-size")) {
        if (!ok || (n != 16 && n != 32)) {
            fcli_error("--record-size '%s': give 16 or 32", val);
            return false;
        }
        o->record_size = (unsigned)n;
    } else {    /* --seed */
        if (!ok || n > UINT32_MAX) {
            fcli_error("--seed '%s': give a decimal number up to 4294967295", val);
            return false;
        }
        o->seed = (uint32_t)n;
    }
    return true;
}

/* The compile options that change the blob --model compiles to, parsed as
 * `kiln generate` parses them; with --weights inline there is no blob. */
static bool compile_opt(fcli_opts *o, const char *name, const char *val)
{
    static const char *const names[] = {"--weights", "--internal-budget", "--stage-bytes", "--kernels", "--cpu"};
    bool known = false;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        known |= !strcmp(name, names[k]);
    if (!known)
        return false;
    char cmd[80], *argv[2] = {(char *)name, (char *)val};
    snprintf(cmd, sizeof cmd, "flash %s", o->sub);
    int i = 0;
    arg_seen seen = {0};
    o->compile_opt_given = true;
    if (parse_compile_opt(2, argv, &i, cmd, &o->co, &seen) != 1)
        o->compile_opt_bad = true;
    else if (o->co.weights == WEIGHTS_INLINE) {
        fcli_error("--weights inline keeps the weights in the code: there is no blob to flash (give the "
                   "--weights external or stream it was generated with)");
        o->compile_opt_bad = true;
    }
    return true;
}

/* The canonical spelling of an option that takes a value (a static
 * string), or NULL for flags and unknown options. */
static const char *valued_option(const char *name)
{
    static const char *const valued[] = {"--board", "--boards-dir", "--device", "--gdb", "-o",
                                         "--format", "--inject-power-cut", "--address", "--size",
                                         "--signature", "--timeout", "--record-size", "--seed",
                                         "--model", "--integrity", "--weights", "--internal-budget",
                                         "--stage-bytes", "--kernels", "--cpu"};
    if (!strcmp(name, "--output"))
        return "-o";
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
        if (!strcmp(name, valued[k]))
            return valued[k];
    return NULL;
}

static int parse_opts(int argc, char **argv, fcli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 5000;
    o->record_size = 16;
    o->sub = argv[1];
    char cmd[80];
    snprintf(cmd, sizeof cmd, "flash %s", o->sub);
    arg_seen seen = {0};
    for (int i = 2; i < argc; i++) {
        char *a = argv[i], *val = NULL;
        char name[64];
        if (a[0] != '-' || !a[1]) {
            if (o->blob_path)
                return fcli_error("unexpected argument '%s' (one BLOB only)", a);
            o->blob_path = a;
            continue;
        }
        snprintf(name, sizeof name, "%s", a);
        char *eq = strchr(name, '=');
        if (eq) {
            *eq = '\0';
            val = a + (eq - name) + 1;
        }
        static const char *const flags[] = {"--all", "--dry-run", "--quiet", "--help", "-h", "--no-fuse",
                                            "--ab"};
        bool is_flag = false;
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            is_flag |= !strcmp(name, flags[k]);
        if (!is_flag && !val) {
            if (i + 1 >= argc)
                return fcli_error("option %s needs a value", name);
            val = argv[++i];
        }
        /* Every option with a value takes one value: a second is refused,
         * not silently preferred. */
        const char *canon = valued_option(name);
        if (canon && !arg_once(&seen, canon, val, cmd))
            return EXIT_ERROR;
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(name, "--all")) {
            o->all = true;
        } else if (!strcmp(name, "--ab")) {
            o->ab = true;
        } else if (!strcmp(name, "--dry-run")) {
            o->dry_run = true;
        } else if (!strcmp(name, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(name, "--board")) {
            o->board = val;
        } else if (!strcmp(name, "--boards-dir")) {
            o->boards_dir = val;
        } else if (!strcmp(name, "--device")) {
            o->device = val;
        } else if (!strcmp(name, "--gdb")) {
            o->gdb = val;
        } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
            o->out = val;
        } else if (!strcmp(name, "--format")) {
            o->format = val;
        } else if (!strcmp(name, "--inject-power-cut")) {
            o->cut = val;
        } else if (!strcmp(name, "--model")) {
            o->model = val;
        } else if (!strcmp(name, "--no-fuse")) {
            o->co.no_fuse = true;
        } else if (!strcmp(name, "--integrity")) {
            if (!integrity_parse(val, &o->co.integrity))
                return fcli_error("--integrity must be 'sha256' or 'crc32', not '%s'", val);
        } else if (compile_opt(o, name, val)) {
            if (o->compile_opt_bad)
                return EXIT_ERROR;
        } else if (!strcmp(name, "--address") || !strcmp(name, "--size") ||
                   !strcmp(name, "--signature") || !strcmp(name, "--timeout") ||
                   !strcmp(name, "--record-size") || !strcmp(name, "--seed")) {
            if (!numeric_opt(o, name, val))
                return EXIT_ERROR;
        } else {
        {
            char sugg[64];
            if (suggest_option(name, flash_usage, sugg, sizeof sugg))
                return fcli_error("unknown option '%s' for `kiln flash %s`; did you mean '%s'? (kiln help "
                                  "flash)", name, o->sub, sugg);
            return fcli_error("unknown option '%s' for `kiln flash %s` (kiln help flash)", name, o->sub);
        }
        }
        if (!is_flag && !*val)
            return fcli_error("%s needs a value, not an empty string", name);
    }
    return 0;
}

int cmd_flash(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : 0;
    }
    fcli_opts o;
    int p = parse_opts(argc, argv, &o);
    if (p)
        return p < 0 ? 0 : p;
    if ((o.co.integrity || o.co.no_fuse || o.compile_opt_given) && !o.model)
        return fcli_error("compile options (--integrity, --no-fuse, --weights, --internal-budget, ...) "
                          "describe the --model BLOB was compiled from; give --model too");
    if (o.model && (!strcmp(o.sub, "read") || !strcmp(o.sub, "erase") || !strcmp(o.sub, "slots")))
        return fcli_error("--model applies to write, verify, export and update (the commands that "
                          "take a BLOB), not to %s", o.sub);
    static const struct {
        const char *name;
        int (*fn)(const fcli_opts *);
    } subs[] = {
        {"write", fcli_write}, {"verify", fcli_verify}, {"read", fcli_read},
        {"erase", fcli_erase}, {"export", fcli_export}, {"update", fcli_update},
        {"slots", fcli_slots},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(o.sub, subs[i].name))
            return subs[i].fn(&o);
    const char *names[sizeof subs / sizeof subs[0]];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        names[i] = subs[i].name;
    const char *s = suggest_word(o.sub, names, sizeof subs / sizeof subs[0]);
    if (s) {
        fcli_error("unknown subcommand '%s'; did you mean '%s'?", o.sub, s);
        return EXIT_ERROR;
    }
    fcli_error("unknown subcommand '%s'", o.sub);
    usage(stderr);
    return EXIT_ERROR;
}

/* ---- kiln boards ---- */

static void print_board(const board *b)
{
    char s[32], t[32], u[32];
    printf("%s: %s\n", b->name, b->title);
    printf("  descriptor:  %s\n", b->path);
    printf("  flash:       %s%s%s%s, %s\n", b->part, b->part_note[0] ? " (" : "", b->part_note,
           b->part_note[0] ? ")" : "", b->interface);
    printf("  mapped at:   0x%08llx..0x%08llx (%s), erased bytes read 0x%02X\n",
           (unsigned long long)b->base, (unsigned long long)(b->base + b->size - 1),
           fmt_size(s, sizeof s, b->size), b->erase_value);
    printf("  units:       sector %s, subsector %s, page %s\n",
           fmt_size(s, sizeof s, b->sector_size),
           fmt_size(t, sizeof t, b->subsector_size), fmt_size(u, sizeof u, b->page_size));
    printf("  times (ms):  page program %g / %g, subsector erase %g / %g, sector erase %g / %g, "
           "chip erase %g / %g (typical / max)\n", b->page_program.typ_ms, b->page_program.max_ms,
           b->subsector_erase.typ_ms, b->subsector_erase.max_ms, b->sector_erase.typ_ms,
           b->sector_erase.max_ms, b->chip_erase.typ_ms, b->chip_erase.max_ms);
    if (b->mcu_part[0])
        printf("  mcu:         %s, %s internal flash, %s RAM\n", b->mcu_part,
               fmt_size(s, sizeof s, b->mcu_flash), fmt_size(t, sizeof t, b->mcu_ram));
    if (b->cubeprog_loader[0])
        printf("  CubeProg:    -el %s\n", b->cubeprog_loader);
    if (b->openocd_config[0])
        printf("  OpenOCD:     -f %s\n", b->openocd_config);
    if (b->jlink_device[0])
        printf("  J-Link:      -device %s\n", b->jlink_device);
    for (int i = 0; i < b->nassumptions; i++)
        printf("  assumption:  %s\n", b->assumptions[i]);
    if (b->note[0])
        printf("  note:        %s\n", b->note);
}

int cmd_boards(int argc, char **argv)
{
    const char *dir_opt = NULL, *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--boards-dir") && i + 1 < argc) {
            dir_opt = argv[++i];
        } else if (!strncmp(argv[i], "--boards-dir=", 13)) {
            dir_opt = argv[i] + 13;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: kiln boards [NAME] [--boards-dir DIR]\n"
                   "  lists the board descriptors; with NAME, shows one in full "
                   "(docs/boards.md)\n");
            return 0;
        } else if (argv[i][0] != '-' && !name) {
            name = argv[i];
        } else if (argv[i][0] == '-') {
            report_unknown_option("boards", argv[i], "usage: kiln boards [NAME] [--boards-dir DIR]");
            return EXIT_ERROR;
        } else {
            fprintf(stderr, "kiln boards: unexpected argument '%s' (one NAME at most)\n", argv[i]);
            return EXIT_ERROR;
        }
    }
    char err[ERRLEN];
    char *dir = board_dir(dir_opt);
    if (name) {
        board b;
        bool ok = board_find(dir, name, &b, err, sizeof err);
        free(dir);
        if (!ok) {
            fprintf(stderr, "kiln boards: error: %s\n", err);
            return EXIT_ERROR;
        }
        print_board(&b);
        board_free(&b);
        return 0;
    }
    board *all;
    int n = board_list(dir, &all, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "kiln boards: error: %s\n", err);
        free(dir);
        return EXIT_ERROR;
    }
    int wpart = 5;
    for (int i = 0; i < n; i++)
        if ((int)strlen(all[i].part) > wpart)
            wpart = (int)strlen(all[i].part);
    printf("%-18s %-*s %-9s %-11s %-22s %s\n", "board", wpart, "flash", "size", "mapped at",
           "sector/subsector/page", "interface");
    for (int i = 0; i < n; i++) {
        char s[32], u1[32], u2[32], u3[32], units[80];
        const board *b = &all[i];
        snprintf(units, sizeof units, "%s / %s / %s", fmt_size(u1, sizeof u1, b->sector_size),
                 fmt_size(u2, sizeof u2, b->subsector_size), fmt_size(u3, sizeof u3, b->page_size));
        printf("%-18s %-*s %-9s 0x%08llx  %-22s %s%s\n", b->name, wpart, b->part,
               fmt_size(s, sizeof s, b->size), (unsigned long long)b->base, units, b->interface,
               b->nassumptions ? "  (*)" : "");
        board_free(&all[i]);
    }
    free(all);
    printf("\n%d boards in %s; (*) some facts are assumptions: kiln boards NAME shows them\n", n,
           dir);
    free(dir);
    return 0;
}
