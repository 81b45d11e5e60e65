/* cmd_placeholder.c - commands not written yet (removed as each lands). */
#include <stdio.h>
#include "cli.h"

#define PLACEHOLDER(fn, name)                                              \
    int fn(int argc, char **argv)                                          \
    {                                                                      \
        (void)argc; (void)argv;                                            \
        fprintf(stderr, "kiln %s: not available in this build yet\n", name); \
        return 2;                                                          \
    }
PLACEHOLDER(cmd_analyze, "analyze")
PLACEHOLDER(cmd_generate, "generate")
PLACEHOLDER(cmd_validate, "validate")
PLACEHOLDER(cmd_blob, "blob")
