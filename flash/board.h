/*
 * board.h - board descriptors: what Kiln knows about a board's external flash.
 *
 * One JSON file per board in the boards directory (docs/boards.md lists every
 * field).  board.c parses and checks them; nothing else reads the JSON.  A
 * user adds a board by adding a file; no code changes.
 */
#ifndef KILN_FLASH_BOARD_H
#define KILN_FLASH_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Typical and worst-case duration of one operation, in milliseconds. */
typedef struct board_time {
    double typ_ms, max_ms;
} board_time;

typedef struct board {
    char *name;             /* file stem, e.g. "stm32h747i-disco" */
    char *title;            /* e.g. "STM32H747I-DISCO" */
    char *path;             /* descriptor file it came from */
    char *part;             /* flash chip, e.g. "MT25TL01G" */
    char *part_note;        /* "" if none */
    char *interface;        /* e.g. "QUADSPI (QPI, DTR)" */
    uint64_t base;          /* memory-mapped (XIP) address of byte 0 */
    uint32_t size;          /* bytes */
    uint32_t sector_size;   /* large erase unit */
    uint32_t subsector_size;/* small erase unit (== sector_size if the chip has one) */
    uint32_t page_size;     /* page-program unit */
    uint8_t erase_value;
    board_time page_program, subsector_erase, sector_erase, chip_erase;
    char **assumptions;     /* "field: why it is assumed", one per unconfirmed fact */
    int nassumptions;
    char *cubeprog_loader;  /* STM32CubeProgrammer external loader (.stldr), "" if none */
    char *openocd_config;   /* OpenOCD board config, "" if none */
    char *jlink_device;     /* J-Link device name, "" if none */
    char *note;             /* free text shown by `kiln boards NAME`, "" if none */
    /* The MCU's own memories, for reports (optional "mcu" object; 0 and ""
     * when the descriptor does not give them). */
    char *mcu_part;
    uint64_t mcu_flash;     /* internal flash bytes: code and inline weights */
    uint64_t mcu_ram;       /* SRAM bytes, all regions together: the arena and the stack */
} board;

/* Parses and checks one descriptor file.  On failure `err` names the file,
 * the field and what was wrong; *b is left empty. */
bool board_load(const char *path, board *b, char *err, size_t errlen);

/* Loads "<dir>/<name>.json"; an unknown name lists the known ones in `err`. */
bool board_find(const char *dir, const char *name, board *b, char *err, size_t errlen);

/* Every *.json in dir, sorted by name, in *out (heap; free each with
 * board_free, then the array).  Returns the count, or -1 with `err` set. */
int board_list(const char *dir, board **out, char *err, size_t errlen);

void board_free(board *b);

/* The boards directory: `override` if given, else $KILN_BOARDS_DIR, else the
 * first `boards/` found walking up from the kiln executable's directory.
 * Heap string. */
char *board_dir(const char *override);

#endif
