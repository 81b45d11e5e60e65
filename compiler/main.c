/*
 * main.c - `kiln`: dispatches to the subcommand named by argv[1].
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"analyze", cmd_analyze, "per-layer MACC, params, weight bytes, arena and its lower bound"},
    {"generate", cmd_generate, "C code + weights (inline C array or external blob) + report"},
    {"validate", cmd_validate, "build the generated code, run it, compare with a reference"},
    {"blob", cmd_blob, "blob info FILE: print and check a weights blob"},
    {"flash", cmd_flash, "write/verify/read/erase/export/update a blob on (simulated) flash"},
    {"boards", cmd_boards, "list the board descriptors"},
    {"supported-ops", cmd_supported_ops, "list the ONNX and TFLite ops Kiln compiles"},
    {"dump", cmd_dump, "print the imported IR (for debugging a model)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kiln COMMAND [ARGS]   (kiln COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "kiln: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
