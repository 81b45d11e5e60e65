/*
 * cmd_common.h - options shared by the commands that compile a model
 * (analyze, generate, validate): --name, --weights, --address, --cpu, --kernels.
 */
#ifndef KILN_CMD_COMMON_H
#define KILN_CMD_COMMON_H

#include "compile.h"
#include "emit/report_data.h"
#include "flash/board.h"
#include "util/args.h"

/* If argv[*i] is a compile option, consumes it (and its value) and returns 1;
 * returns 0 if it is not one; -1 (after printing why) if its value is bad or
 * it was given before (`seen` holds the command line's single-valued
 * options so far). */
int parse_compile_opt(int argc, char **argv, int *i, const char *cmd, compile_opts *o, arg_seen *seen);
/* --shape INPUT=DIMS / --const INPUT=VALUE|FILE (argv[*i] is one of them):
 * parses its value and appends it to imp's fixes; prints why not. */
bool parse_fix_opt(int argc, char **argv, int *i, const char *cmd, import_opts *imp);
/* --address plus the compiled blob must end within 4 GiB; prints why not. */
bool check_compiled_address(const compiled *c, const char *cmd);

/* --board B [--boards-dir DIR] of generate and analyze: the blob's default
 * address is the board's mapped flash, the blob must fit in it, and the
 * reports compare the totals with the board's memories. */
typedef struct board_sel {
    const char *name, *dir;
    board b;
    bool loaded;
} board_sel;

/* Like parse_compile_opt, for --board and --boards-dir. */
int parse_board_opt(int argc, char **argv, int *i, const char *cmd, board_sel *s, arg_seen *seen);
/* Loads the board (when one was named) and, without --address and with
 * external weights, makes its flash base the default address.  Prints why
 * not (an unknown board gets the closest name suggested). */
bool board_sel_load(board_sel *s, compile_opts *o, const char *cmd);
/* With external weights: the compiled blob at its address must lie in the
 * board's mapped flash window.  Prints why not. */
bool check_board_fit(const compiled *c, const board_sel *s, const char *cmd);
void board_sel_free(board_sel *s);
/* The board's limits for the reports, in *r; NULL without a board. */
const report_board *board_sel_report(const board_sel *s, report_board *r);
/* compile_model, then check_compiled_address and check_board_fit: what
 * analyze, generate and firmware do before their own work.  Prints why not
 * as "kiln CMD: ...".  *c is safe to compiled_free either way. */
bool compile_for_board(const char *model, const compile_opts *o, const board_sel *s, const char *cmd,
                       compiled *c);

#define BOARD_OPTS_HELP                                                                            \
    "  --board B                 check against board B (kiln boards): the blob's address must lie\n" \
    "                            in its mapped flash (default: the flash base); the report shows\n"  \
    "                            the totals against its memories\n"                                  \
    "  --boards-dir DIR          where board descriptors live (default: <repo>/boards)\n"

#define COMPILE_OPTS_HELP                                                                      \
    "  --shape INPUT=DIMS        fix an input's symbolic / -1 dimensions (INPUT: its name or\n"   \
    "                            position; DIMS like 1x1280); repeatable\n"                      \
    "  --const INPUT=VALUE|FILE  freeze an input to a value (16000, 1,2,3, or a .npy/.pb file),\n" \
    "                            so shape arithmetic and If on it fold away; repeatable\n"        \
    "  --name NET                C identifier prefix of the generated code (default: file name)\n" \
    "  --weights inline|external|stream  weights as a C array (internal flash), a memory-mapped blob\n" \
    "                            (default external), or a blob the code reads through a callback,\n" \
    "                            each byte once per inference (docs/streaming.md)\n" \
    "  --internal-budget BYTES   keep the weights read most per byte inline, up to BYTES; the rest\n" \
    "                            stay in the blob (external or stream weights)\n" \
    "  --stage-bytes BYTES       stream mode: cap the staging buffer (default: the largest layer's\n" \
    "                            weights); a packed conv/FC layer above it is read in tiles of\n" \
    "                            output channels, each weight byte still once per inference\n" \
    "  --address ADDR            default memory-mapped address of the blob, in hex: 0x90000000\n"  \
    "  --integrity sha256|crc32  how init checks the blob's payload against this build: its SHA-256\n" \
    "                            (default; catches deliberate edits) or its CRC-32 (faster; catches\n" \
    "                            accidents only); every header field is checked either way\n" \
    "  --no-fuse                 keep BatchNorm and activations as separate layers\n"          \
    "  --cpu CPU                 cortex-m0plus|m3|m4|m7|m33|m55 or host (default cortex-m7;\n"   \
    "                            validate --target host: host): decides the weight packing\n"  \
    "  --kernels fast|compact|plain  int8 conv/FC kernels: packed with int16 weights where the\n" \
    "                            CPU has SMLAD (default), packed with int8 weights, or plain\n"

#endif
