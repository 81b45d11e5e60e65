/*
 * main.c - `kiln`: dispatches to the subcommand named by argv[1], and
 * answers `kiln help [CMD [SUB]]`, `kiln --help` and `kiln --version`.  A
 * mistyped command gets the closest one suggested (util/suggest.h).
 * Everything printed goes through util/term.h's filter.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln/blob.h"
#include "util/suggest.h"
#include "util/term.h"
#include "version.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"analyze", cmd_analyze, "per-layer MACC, params, weight bytes, RAM; arena and its lower bound"},
    {"generate", cmd_generate, "C code + weights (inline C array or external blob) + reports + NET.mk"},
    {"validate", cmd_validate, "build the generated code, run it, compare with a reference"},
    {"firmware", cmd_firmware, "the validation firmware for a board (ELF/bin/hex) and how to flash it"},
    {"blob", cmd_blob, "blob info FILE: print and check a weights blob"},
    {"flash", cmd_flash, "write/verify/read/erase/export/update/slots: a blob on (simulated) flash"},
    {"boards", cmd_boards, "list the board descriptors"},
    {"supported-ops", cmd_supported_ops, "list the ONNX and TFLite ops Kiln compiles"},
    {"dump", cmd_dump, "print the imported IR (for debugging a model)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: kiln COMMAND [ARGS]   (kiln help COMMAND, or kiln COMMAND --help, for its options)\n"
               "       kiln --version\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "  %-14s %s\n", "help", "help COMMAND [SUBCOMMAND]: the options of a command");
}

static int find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return (int)i;
    return -1;
}

static int unknown_command(const char *name)
{
    const char *names[N_COMMANDS + 1];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = "help";
    const char *s = suggest_word(name, names, N_COMMANDS + 1);
    if (s)
        fprintf(stderr, "kiln: unknown command '%s'; did you mean '%s'?\n", name, s);
    else
        fprintf(stderr, "kiln: unknown command '%s'\n", name);
    usage(stderr);
    return 2;
}

/* kiln help CMD [SUB]: CMD [SUB] --help. */
static int help(int argc, char **argv)
{
    if (argc < 3 || !strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")) {
        usage(stdout);
        return 0;
    }
    int c = find_command(argv[2]);
    if (c < 0)
        return unknown_command(argv[2]);
    char *sub[4] = {argv[2], "--help", NULL, NULL};
    if (argc > 3) {
        sub[1] = argv[3];
        sub[2] = "--help";
    }
    return commands[c].fn(argc > 3 ? 3 : 2, sub);
}

int main(int argc, char **argv)
{
    term_install(); /* a model's names cannot drive the terminal (util/term.h) */
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "help"))
        return help(argc, argv);
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("kiln %s (weights blob format %u)\n", KILN_VERSION, (unsigned)KILN_BLOB_VERSION);
        return 0;
    }
    int c = find_command(argv[1]);
    if (c >= 0)
        return commands[c].fn(argc - 1, argv + 1);
    return unknown_command(argv[1]);
}
