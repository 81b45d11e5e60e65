/*
 * stream_dev.c - the storage a stream-mode `kiln validate` reads from, and
 * the report of what the reads cost (stream_dev.h).
 *
 * The blob goes into a simulated NOR chip (flash/nor_sim.c, the QEMU board
 * descriptor's geometry) through the chip's own erase and page-program
 * commands, as `kiln flash write` would put it there; the chip's array is
 * the device image the target's read callback reads.  The time per
 * inference is flash/nor_read.c's model applied to the reads the callback
 * counted: measured reads, modelled bus.  Never judges outputs.
 */
#include "target/stream_dev.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/nor_read.h"
#include "flash/nor_sim.h"
#include "util/fileio.h"
#include "util/sbuf.h"

/* N25Q128A-like, as boards/qemu-mps2-an500.json describes the board's NOR model. */
static void qemu_board_nor(nor_config *cfg, uint32_t size)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = size;
    cfg->page_size = 256;
    cfg->subsector_size = 4096;
    cfg->sector_size = 65536;
    cfg->erase_value = 0xFF;
}

bool stream_device_image(const char *blob_path, const char *image_path, char *err, size_t errlen)
{
    uint8_t *blob;
    size_t len;
    if (!read_file(blob_path, &blob, &len, err, errlen))
        return false;
    nor_config cfg;
    uint32_t size = (uint32_t)((len + 4095) / 4096 * 4096);
    qemu_board_nor(&cfg, size ? size : 4096);
    uint8_t *mem = xmalloc(cfg.size);
    memset(mem, 0x00, cfg.size); /* whatever was there: the erase below must clear it */
    nor_sim sim;
    nor_sim_init(&sim, &cfg, mem, 0);
    bool ok = true;
    for (uint32_t off = 0; ok && off < cfg.size; off += cfg.subsector_size)
        ok = sim.dev.erase(&sim.dev, off, cfg.subsector_size) == FLASH_OK;
    for (size_t off = 0; ok && off < len; off += cfg.page_size) {
        uint32_t n = (uint32_t)(len - off < cfg.page_size ? len - off : cfg.page_size);
        ok = sim.dev.prog(&sim.dev, (uint32_t)off, blob + off, n) == FLASH_OK;
    }
    if (!ok)
        snprintf(err, errlen, "programming the simulated NOR device failed: %s", sim.dev.err);
    else if (memcmp(mem, blob, len) != 0) {
        snprintf(err, errlen, "the simulated NOR device does not read back the blob");
        ok = false;
    }
    if (ok)
        ok = write_file_atomic(image_path, mem, cfg.size, err, errlen);
    nor_sim_free(&sim);
    free(mem);
    free(blob);
    return ok;
}

char *stream_image_path(const char *workdir)
{
    return xasprintf("%s/nor_device.img", workdir);
}

void stream_counts_parse(const char *log, stream_counts *sc)
{
    const char *p;
    memset(sc, 0, sizeof *sc);
    if ((p = strstr(log, "stream-init ")) != NULL)
        sscanf(p, "stream-init %" SCNu64 " bytes %" SCNu64 " reads", &sc->init_bytes, &sc->init_reads);
    if ((p = strstr(log, "stream-run ")) != NULL &&
        sscanf(p, "stream-run %" SCNu64 " bytes %" SCNu64 " reads", &sc->run_bytes, &sc->run_reads) == 2)
        sc->valid = true;
}

void stream_counts_print(const compiled *c, const stream_counts *sc)
{
    const nor_read_model *m = nor_read_default();
    printf("external flash bytes read per inference: %" PRIu64 " (%" PRIu64 " reads; blob %zu bytes, "
           "staging buffer %zu bytes)\n", sc->run_bytes, sc->run_reads, c->blob_len, c->stage_bytes);
    printf("modelled external-flash time per inference: %.1f us (%s)\n",
           nor_read_seconds(m, sc->run_reads, sc->run_bytes) * 1e6, m->what);
    printf("blob check at init through the callback: %" PRIu64 " bytes in %" PRIu64 " reads, %.1f us modelled\n",
           sc->init_bytes, sc->init_reads, nor_read_seconds(m, sc->init_reads, sc->init_bytes) * 1e6);
}
