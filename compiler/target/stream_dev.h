/*
 * stream_dev.h - the storage behind a stream-mode run of `kiln validate`:
 * the blob programmed into a simulated NOR chip (flash/nor_sim.c), whose
 * array the target's read callback reads; and what those reads cost.
 */
#ifndef KILN_STREAM_DEV_H
#define KILN_STREAM_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"

/* What the target's read callback counted. */
typedef struct stream_counts {
    bool valid;
    uint64_t init_bytes, init_reads;    /* kiln_net_init_stream's check */
    uint64_t run_bytes, run_reads;      /* one inference */
} stream_counts;

/* Programs the blob at blob_path into an erased simulated NOR chip (the
 * QEMU board's geometry: 256-byte pages, 4 KiB subsectors) through its
 * page-program command and writes the chip's array, cut after the last
 * subsector holding blob bytes, to image_path. */
bool stream_device_image(const char *blob_path, const char *image_path, char *err, size_t errlen);

/* WORKDIR/nor_device.img, where the targets put the device image (heap). */
char *stream_image_path(const char *workdir);

/* Reads "stream-init B bytes R reads" / "stream-run B bytes R reads" lines. */
void stream_counts_parse(const char *log, stream_counts *sc);

/* "external flash bytes read per inference: N" and the modelled time. */
void stream_counts_print(const compiled *c, const stream_counts *sc);

#endif
