/*
 * cmd_common.h - options shared by the commands that compile a model
 * (analyze, generate, validate): --name, --weights, --address.
 */
#ifndef KILN_CMD_COMMON_H
#define KILN_CMD_COMMON_H

#include "compile.h"
#include "util/args.h"

/* If argv[*i] is a compile option, consumes it (and its value) and returns 1;
 * returns 0 if it is not one; -1 (after printing why) if its value is bad or
 * it was given before (`seen` holds the command line's single-valued
 * options so far). */
int parse_compile_opt(int argc, char **argv, int *i, const char *cmd, compile_opts *o, arg_seen *seen);
/* --address plus the compiled blob must end within 4 GiB; prints why not. */
bool check_compiled_address(const compiled *c, const char *cmd);

#define COMPILE_OPTS_HELP                                                                      \
    "  --name NET                C identifier prefix of the generated code (default: file name)\n" \
    "  --weights inline|external weights as a C array (internal flash) or a blob file (default external)\n" \
    "  --address ADDR            default memory-mapped address of the blob, in hex: 0x90000000\n"  \
    "  --integrity sha256|crc32  how init checks the blob's payload against this build: its SHA-256\n" \
    "                            (default; catches deliberate edits) or its CRC-32 (faster; catches\n" \
    "                            accidents only); every header field is checked either way\n" \
    "  --no-fuse                 keep BatchNorm and activations as separate layers\n"

#endif
