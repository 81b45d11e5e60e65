/*
 * cli_common.h - what the `kiln flash` subcommand files share: the parsed
 * options, and the checks and device handling every subcommand goes through
 * (board, blob, address, device image, GDB target, verify).
 *
 * Internal to flash/cli_*.c; everything is prefixed fcli_.
 */
#ifndef KILN_FLASH_CLI_COMMON_H
#define KILN_FLASH_CLI_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compile.h"
#include "flash/board.h"
#include "flash/gdb_rsp.h"
#include "flash/nor_sim.h"
#include "kiln/blob.h"

#define EXIT_CHECK 1   /* a check that did not pass: verify mismatch, no valid slot */
#define EXIT_ERROR 2
#define ERRLEN 1024

typedef struct fcli_opts {
    const char *sub;
    const char *blob_path;
    const char *board, *boards_dir, *device, *gdb, *out, *format;
    bool have_address, have_size, have_signature;
    uint64_t address, size, signature;
    bool all, dry_run, quiet;
    bool ab;                    /* export: the A/B region's first state */
    int timeout_ms;
    unsigned record_size;
    const char *cut;            /* --inject-power-cut ops:N | bytes:N (testing) */
    uint32_t seed;
    const char *model;          /* --model: the blob must be exactly the one it compiles to */
    compile_opts co;            /* ... with these options (--integrity, --no-fuse, --weights,
                                 * --internal-budget, --stage-bytes, --kernels, --cpu) */
    bool compile_opt_given;     /* one of the generate options was given */
    bool compile_opt_bad;       /* ... and refused (the message is printed) */
} fcli_opts;

/* A blob file, read whole into memory aligned for kiln_blob_check. */
typedef struct fcli_blob {
    uint8_t *data;          /* aligned copy of the file */
    uint32_t len;
    kiln_blob_report rep;
} fcli_blob;

/* A device image file behind the NOR simulator. */
typedef struct fcli_image {
    const char *path;
    uint8_t *mem;           /* board size, aligned */
    bool existed;
    nor_sim sim;
} fcli_image;

/* A target behind a GDB server. */
typedef struct fcli_target {
    gdb_conn g;
    gdb_dev gd;
    uint32_t off;           /* of the address within gd.dev */
} fcli_target;

/* Prints "kiln flash: error: ..." and returns EXIT_ERROR. */
int fcli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The --board descriptor; prints the error (with the known boards). */
bool fcli_load_board(const fcli_opts *o, board *b);
/* Reads o->blob_path and runs the runtime's structural check, with the blob's
 * own signature; the file must be exactly the blob.  With --model, the blob
 * must also be, byte for byte, the one the model compiles to. */
bool fcli_load_blob(const fcli_opts *o, fcli_blob *bf);
/* [addr, addr + len) inside the board's flash; *off is its device offset. */
bool fcli_board_range(const board *b, uint64_t addr, uint64_t len, const char *what,
                      uint32_t *off);
/* [addr, addr + len) ends within the 32-bit address space. */
bool fcli_check_span(uint64_t addr, uint64_t len, const char *what);
/* addr a multiple of unit (0: no constraint); `why` names the unit. */
bool fcli_check_align(uint64_t addr, uint32_t unit, const char *why);
/* A blob starts on the chip's smallest erase unit (b may be NULL) and on the
 * alignment its header asks for. */
bool fcli_check_blob_address(const board *b, const fcli_blob *bf, uint64_t addr);

/* The start of write, verify and export: the board (when --board is given),
 * the blob and its address, all checked; fcli_job_close frees them. */
typedef struct fcli_job {
    board b;
    const board *bp;        /* &b, or NULL without --board */
    fcli_blob bf;
    uint64_t addr;          /* --address, or the board's flash base */
    uint32_t off;           /* addr within the board's flash (0 without --board) */
} fcli_job;
bool fcli_job_open(fcli_job *j, const fcli_opts *o, bool check_blob_address);
void fcli_job_close(fcli_job *j);

/* Exactly one of --device and --gdb, and --board with --device; `cmd` and
 * `device_hint` go into the message. */
bool fcli_need_place(const fcli_opts *o, const char *cmd, const char *device_hint);

/* Loads --device (or, with `create`, makes an erased one in memory) behind a
 * NOR simulator of the board's chip, with --inject-power-cut applied. */
bool fcli_image_open(fcli_image *im, const fcli_opts *o, const board *b, bool create);
/* Writes the image back through a temporary file and rename. */
bool fcli_image_save(fcli_image *im);
void fcli_image_close(fcli_image *im);
/* After a failed operation: a simulated power cut is saved (it is the
 * device's state); anything else leaves the file as it was. */
int fcli_device_failure(fcli_image *im, const char *what, const char *msg);
/* Modelled time and wear of what the simulator did. */
void fcli_report_sim(FILE *f, const nor_sim *s, const board *b);

/* Connects to --gdb and picks the memory [addr, addr + len) lands in. */
bool fcli_target_open(fcli_target *t, const fcli_opts *o, const board *b, uint64_t addr,
                      uint64_t len);
double fcli_now_s(void);
/* Reads the blob's range back and prints OK or the first difference:
 * 0 equal, EXIT_CHECK different, EXIT_ERROR read failure. */
int fcli_compare(flash_dev *d, uint32_t off, const fcli_blob *bf, const char *what);

/* The subcommands (cli_write.c, cli_update.c). */
int fcli_write(const fcli_opts *o);
int fcli_verify(const fcli_opts *o);
int fcli_read(const fcli_opts *o);
int fcli_erase(const fcli_opts *o);
int fcli_export(const fcli_opts *o);
int fcli_update(const fcli_opts *o);
int fcli_slots(const fcli_opts *o);

#endif
