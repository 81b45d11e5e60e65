/*
 * report.h - what `kiln flash` prints: the progress bar, the plan, the
 * summary with modelled time, and the equivalent vendor-tool commands.
 */
#ifndef KILN_FLASH_REPORT_H
#define KILN_FLASH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flash/board.h"
#include "flash/program.h"

/* Progress bar on stderr; shown only when stderr is a terminal. */
typedef struct progress {
    const char *label;
    bool enabled;
    int last_pct;
} progress;

void progress_init(progress *p, const char *label, bool quiet);
void progress_update(void *ctx, uint64_t done, uint64_t total);   /* a flash_progress_fn */
void progress_end(progress *p);

/* "64 KiB", "1.5 MiB", "300 B". */
const char *fmt_size(char *buf, size_t n, uint64_t bytes);
/* "1.85 s", "220 ms", "2 min 30 s". */
const char *fmt_ms(char *buf, size_t n, double ms);

/* The plan's operations, runs of like operations merged, at most max_lines. */
void report_plan_ops(FILE *f, const flash_plan *p, uint64_t base, int max_lines);
/* Erase units skipped/erased, pages programmed. */
void report_plan_summary(FILE *f, const flash_plan *p, const char *indent);
/* Modelled time of the plan on the board's chip. */
void report_plan_time(FILE *f, const flash_plan *p, const board *b, const char *indent);
/* STM32CubeProgrammer, OpenOCD and J-Link command lines for the same write. */
void report_vendor_commands(FILE *f, const board *b, const char *blob_path, uint64_t addr);

#endif
