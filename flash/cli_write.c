/*
 * cli_write.c - `kiln flash write`, `verify`, `read`, `erase` and `export`.
 *
 * Each checks everything first (cli_common.c), plans with program.c, runs the
 * plan on the NOR simulator over a device image or on a GDB target, and
 * reports with report.c.  A failed command leaves a device image as it was.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/ab_update.h"
#include "flash/cli_common.h"
#include "flash/hexfile.h"
#include "flash/program.h"
#include "flash/report.h"
#include "util/fileio.h"
#include "util/sbuf.h"

/* Whether the simulated device holds the blob at off (read back silently). */
static bool device_holds(flash_dev *d, uint32_t off, const fcli_blob *bf)
{
    bool same = false;
    uint32_t first, crc;
    uint64_t ndiff;
    uint8_t found;
    return flash_compare(d, off, bf->data, bf->len, &same, &first, &ndiff, &crc, &found) == FLASH_OK &&
           same;
}

/* write --device: plan, run on the simulated chip, verify, save the image,
 * then report; a failure leaves the file as it was (or in the cut state of
 * an injected power cut) and prints no success line. */
static int write_device(const fcli_opts *o, const fcli_job *j)
{
    char err[ERRLEN], s[32];
    fcli_image im;
    if (!fcli_image_open(&im, o, &j->b, true))
        return EXIT_ERROR;
    printf("kiln flash write: %s (%s) -> %s %s at 0x%08llx (device image %s%s)\n", o->blob_path,
           fmt_size(s, sizeof s, j->bf.len), j->b.name, j->b.part, (unsigned long long)j->addr,
           o->device, im.existed ? "" : ", new");
    flash_plan plan;
    if (!flash_plan_write(&im.sim.dev, j->off, j->bf.data, j->bf.len, &plan, err, sizeof err)) {
        fcli_image_close(&im);
        return fcli_error("%s", err);
    }
    int rc;
    if (o->dry_run) {
        printf("  plan (dry run, nothing written):\n");
        report_plan_ops(stdout, &plan, j->b.base, 40);
        report_plan_summary(stdout, &plan, "  ");
        report_plan_time(stdout, &plan, &j->b, "  ");
        report_vendor_commands(stdout, &j->b, o->blob_path, j->addr);
        rc = 0;
        goto out;
    }
    progress pr;
    progress_init(&pr, "writing", o->quiet);
    flash_rc frc = flash_plan_run(&im.sim.dev, &plan, progress_update, &pr);
    progress_end(&pr);
    if (frc != FLASH_OK) {
        rc = fcli_device_failure(&im, "write failed", im.sim.dev.err);
        goto out;
    }
    if (!device_holds(&im.sim.dev, j->off, &j->bf)) {
        report_plan_summary(stdout, &plan, "  ");
        fcli_compare(&im.sim.dev, j->off, &j->bf, "the device");   /* names the difference */
        rc = fcli_device_failure(&im, "write did not verify", "read-back differs");
        fcli_report_sim(stdout, &im.sim, &j->b);
        goto out;
    }
    /* The image file is saved (written, synced, renamed) before a line of
     * the success report is printed: a full disk gives an error, not "OK". */
    if ((plan.nops || !im.existed) && !fcli_image_save(&im)) {
        rc = EXIT_ERROR;
        goto out;
    }
    report_plan_summary(stdout, &plan, "  ");
    rc = fcli_compare(&im.sim.dev, j->off, &j->bf, "the device");
    if (!plan.nops)
        printf("  unchanged:   the device already held this blob; nothing written\n");
    fcli_report_sim(stdout, &im.sim, &j->b);
    report_vendor_commands(stdout, &j->b, o->blob_path, j->addr);
out:
    flash_plan_free(&plan);
    fcli_image_close(&im);
    return rc;
}

/* write --gdb: the same plan on a target behind a GDB server, read back. */
static int write_gdb(const fcli_opts *o, const fcli_job *j)
{
    char err[ERRLEN], s[32];
    fcli_target t;
    if (!fcli_target_open(&t, o, j->bp, j->addr, j->bf.len))
        return EXIT_ERROR;
    flash_dev *d = &t.gd.dev;
    printf("kiln flash write: %s (%s) -> 0x%08llx through the GDB server at %s (%s)\n",
           o->blob_path, fmt_size(s, sizeof s, j->bf.len), (unsigned long long)j->addr, o->gdb,
           d->erase_small ? "flash in its memory map: vFlashErase/vFlashWrite/vFlashDone" :
           t.g.has_memory_map ? "RAM in its memory map: X/M packets" :
           "no memory map: written as RAM with X/M packets");
    double t0 = fcli_now_s();
    flash_plan plan;
    if (!flash_plan_write(d, t.off, j->bf.data, j->bf.len, &plan, err, sizeof err)) {
        gdb_close(&t.g);
        return fcli_error("%s", err);
    }
    int rc;
    if (o->dry_run) {
        printf("  plan (dry run, nothing written):\n");
        report_plan_ops(stdout, &plan, d->base, 40);
        report_plan_summary(stdout, &plan, "  ");
        rc = 0;
    } else {
        progress pr;
        progress_init(&pr, "writing", o->quiet);
        flash_rc frc = flash_plan_run(d, &plan, progress_update, &pr);
        progress_end(&pr);
        if (frc != FLASH_OK) {
            rc = fcli_error("write failed: %s", d->err);
        } else {
            report_plan_summary(stdout, &plan, "  ");
            rc = fcli_compare(d, t.off, &j->bf, "the target");
            printf("  link:        %llu packets in %.2f s (packet size %u, %s%s)\n",
                   (unsigned long long)t.g.packets, fcli_now_s() - t0, t.g.packet_size,
                   t.g.ack ? "ack mode" : "no-ack mode",
                   d->erase_small ? ", vFlash packets" :
                   t.g.x_packets == 0 ? ", M packets: the server takes no X" : ", X packets");
        }
    }
    const board *bp = j->bp;
    if (bp && rc == 0 && bp->base <= j->addr) {
        /* The target's own operations (RAM, or the server's flash driver)
         * say nothing about the board's chip: model a full rewrite on it. */
        double typ, max;
        char a[32], c[32];
        flash_time_full_rewrite(bp, (uint32_t)(j->addr - bp->base), j->bf.len, &typ, &max);
        printf("  modelled time on %s for erasing and programming this range: %s typical, %s "
               "worst case\n", bp->part, fmt_ms(a, sizeof a, typ), fmt_ms(c, sizeof c, max));
    }
    flash_plan_free(&plan);
    gdb_close(&t.g);
    return rc;
}

int fcli_write(const fcli_opts *o)
{
    if (!o->blob_path)
        return fcli_error("write: which BLOB? (kiln flash write BLOB --board B --device IMAGE)");
    if (!fcli_need_place(o, "write", " (kiln boards lists them)"))
        return EXIT_ERROR;
    if (o->gdb && !o->have_address && !o->board)
        return fcli_error("write: --address is required with --gdb (or give --board for its base)");
    fcli_job j;
    if (!fcli_job_open(&j, o, true))
        return EXIT_ERROR;
    int rc = o->device ? write_device(o, &j) : write_gdb(o, &j);
    fcli_job_close(&j);
    return rc;
}

int fcli_verify(const fcli_opts *o)
{
    if (!o->blob_path)
        return fcli_error("verify: which BLOB? (kiln flash verify BLOB --board B --device IMAGE)");
    if (!fcli_need_place(o, "verify", NULL))
        return EXIT_ERROR;
    if (o->gdb && !o->have_address && !o->board)
        return fcli_error("verify: --address is required with --gdb (or give --board)");
    fcli_job j;
    if (!fcli_job_open(&j, o, false))
        return EXIT_ERROR;
    const board *bp = j.bp;
    const uint64_t addr = j.addr;
    int rc = EXIT_ERROR;
    printf("kiln flash verify: %s (%u bytes) against 0x%08llx of %s\n", o->blob_path, j.bf.len,
           (unsigned long long)addr, o->device ? o->device : o->gdb);
    if (o->device) {
        fcli_image im;
        if (!fcli_image_open(&im, o, &j.b, false))
            goto out;
        rc = fcli_compare(&im.sim.dev, j.off, &j.bf, "the device image");
        fcli_image_close(&im);
    } else {
        fcli_target t;
        if (!fcli_target_open(&t, o, bp, addr, j.bf.len))
            goto out;
        rc = fcli_compare(&t.gd.dev, t.off, &j.bf, "the target");
        gdb_close(&t.g);
    }
out:
    fcli_job_close(&j);
    return rc;
}

int fcli_read(const fcli_opts *o)
{
    board b = {0};
    if (o->blob_path)
        return fcli_error("read: unexpected argument '%s' (the output goes to -o OUT)",
                          o->blob_path);
    if (!o->have_address || !o->have_size || !o->out)
        return fcli_error("read: --address A, --size N and -o OUT are required");
    if (!fcli_need_place(o, "read", NULL))
        return EXIT_ERROR;
    if (o->board && !fcli_load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    uint32_t off = 0, len = (uint32_t)o->size;
    char err[ERRLEN];
    if (!fcli_check_span(o->address, o->size, "the read") ||
        (bp && !fcli_board_range(bp, o->address, o->size, "the read", &off)))
        goto out;
    uint8_t *buf = ab_alloc_aligned(len);
    progress pr;
    progress_init(&pr, "reading", o->quiet);
    flash_rc frc;
    if (o->device) {
        fcli_image im;
        if (!fcli_image_open(&im, o, &b, false)) {
            free(buf);
            goto out;
        }
        frc = flash_read_range(&im.sim.dev, off, buf, len, progress_update, &pr);
        if (frc != FLASH_OK)
            fcli_error("read failed: %s", im.sim.dev.err);
        fcli_image_close(&im);
    } else {
        fcli_target t;
        if (!fcli_target_open(&t, o, bp, o->address, len)) {
            free(buf);
            goto out;
        }
        frc = flash_read_range(&t.gd.dev, t.off, buf, len, progress_update, &pr);
        if (frc != FLASH_OK)
            fcli_error("read failed: %s", t.gd.dev.err);
        gdb_close(&t.g);
    }
    progress_end(&pr);
    if (frc == FLASH_OK) {
        if (!write_file_atomic(o->out, buf, len, err, sizeof err)) {
            fcli_error("%s", err);
        } else {
            printf("kiln flash read: %u bytes at 0x%08llx -> %s (CRC-32 0x%08x)\n", len,
                   (unsigned long long)o->address, o->out, kiln_crc32(0, buf, len));
            /* Say what is there: the question users could not answer. */
            kiln_blob_report rep;
            uint64_t sig = len >= KILN_BLOB_HEADER_SIZE ?
                           kiln_rd_u64(buf + KILN_BLOB_OFF_SIGNATURE) : 0;
            kiln_status st = kiln_blob_check(buf, len, sig, 0, &rep);
            if (st == KILN_OK)
                printf("  content:     a valid Kiln blob of %u bytes (signature 0x%016llx)\n",
                       rep.total_size, (unsigned long long)rep.signature);
            else
                printf("  content:     not a valid Kiln blob: %s (%s)\n", kiln_status_str(st),
                       kiln_status_name(st));
            rc = 0;
        }
    }
    free(buf);
out:
    if (bp)
        board_free(&b);
    return rc;
}

int fcli_erase(const fcli_opts *o)
{
    board b = {0};
    if (o->blob_path)
        return fcli_error("erase: unexpected argument '%s'", o->blob_path);
    if (!fcli_need_place(o, "erase", NULL))
        return EXIT_ERROR;
    if (o->all ? (o->have_address || o->have_size) : !(o->have_address && o->have_size))
        return fcli_error("erase: give either --address A --size N, or --all");
    if (o->all && !o->board)
        return fcli_error("erase: --all needs --board (the whole of its flash)");
    if (o->board && !fcli_load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    uint64_t addr = o->all ? b.base : o->address, len = o->all ? b.size : o->size;
    uint32_t off;
    char err[ERRLEN], s[32];
    if (!fcli_check_span(addr, len, "the erase range") ||
        (bp && !fcli_board_range(bp, addr, len, "the erase range", &off)))
        goto out;
    if (bp && (addr % b.subsector_size || len % b.subsector_size)) {
        rc = fcli_error("erase range 0x%llx + %llu is not aligned to the %s's %u-byte erase unit "
                        "(subsector); erases cover whole units", (unsigned long long)addr,
                        (unsigned long long)len, b.part, b.subsector_size);
        goto out;
    }
    flash_plan plan;
    progress pr;
    if (o->device) {
        fcli_image im;
        if (!fcli_image_open(&im, o, &b, true))
            goto out;
        printf("kiln flash erase: %s at 0x%08llx on %s %s (device image %s)\n",
               o->all ? "the whole chip" : fmt_size(s, sizeof s, len), (unsigned long long)addr,
               b.name, b.part, o->device);
        if (!flash_plan_erase(&im.sim.dev, off, (uint32_t)len, o->all, &plan, err, sizeof err)) {
            rc = fcli_error("%s", err);
            fcli_image_close(&im);
            goto out;
        }
        if (o->dry_run) {
            printf("  plan (dry run, nothing erased):\n");
            report_plan_ops(stdout, &plan, b.base, 40);
            report_plan_summary(stdout, &plan, "  ");
            report_plan_time(stdout, &plan, &b, "  ");
            rc = 0;
        } else {
            progress_init(&pr, "erasing", o->quiet);
            flash_rc frc = flash_plan_run(&im.sim.dev, &plan, progress_update, &pr);
            progress_end(&pr);
            if (frc != FLASH_OK) {
                rc = fcli_device_failure(&im, "erase failed", im.sim.dev.err);
            } else if ((plan.nops || !im.existed) && !fcli_image_save(&im)) {
                rc = EXIT_ERROR;    /* saved before anything says it worked */
            } else {
                report_plan_summary(stdout, &plan, "  ");
                fcli_report_sim(stdout, &im.sim, &b);
                rc = 0;
            }
        }
        flash_plan_free(&plan);
        fcli_image_close(&im);
        goto out;
    }

    /* --gdb: the server's memory map must mark the range as flash. */
    fcli_target t;
    if (!fcli_target_open(&t, o, bp, addr, len))
        goto out;
    printf("kiln flash erase: %s at 0x%08llx through the GDB server at %s\n",
           fmt_size(s, sizeof s, len), (unsigned long long)addr, o->gdb);
    if (!flash_plan_erase(&t.gd.dev, t.off, (uint32_t)len, false, &plan, err, sizeof err)) {
        rc = fcli_error("%s (the GDB server's memory map does not list 0x%llx as flash)", err,
                        (unsigned long long)addr);
    } else {
        if (o->dry_run) {
            printf("  plan (dry run, nothing erased):\n");
            report_plan_ops(stdout, &plan, t.gd.dev.base, 40);
            rc = 0;
        } else if (flash_plan_run(&t.gd.dev, &plan, NULL, NULL) != FLASH_OK) {
            rc = fcli_error("erase failed: %s", t.gd.dev.err);
        } else {
            rc = 0;
        }
        report_plan_summary(stdout, &plan, "  ");
        flash_plan_free(&plan);
    }
    gdb_close(&t.g);
out:
    if (bp)
        board_free(&b);
    return rc;
}

/* export --ab: the A/B region's first state (ab_first_state), sized like
 * `kiln flash update` sizes it; *n is its length.  NULL after an error. */
static uint8_t *export_ab_state(const fcli_opts *o, const fcli_job *j, uint32_t *n)
{
    if (!j->bp) {
        fcli_error("export --ab: --board B is required (its erase unit sets the A/B layout)");
        return NULL;
    }
    uint32_t unit = j->b.subsector_size, off;
    uint64_t size = o->have_size ? o->size : ab_region_size_for(unit, j->bf.len);
    char err[ERRLEN];
    if (!fcli_check_align(j->addr, KILN_SLOTS_BLOB_ALIGN, "4 KiB (slots hold blobs aligned up to "
                          "4 KiB)") ||
        !fcli_board_range(&j->b, j->addr, size ? size : 1, "the A/B region", &off))
        return NULL;
    if (size == 0 || size % unit) {
        fcli_error("export --ab: region size %llu is not a multiple of the %s's %u-byte erase "
                   "unit", (unsigned long long)size, j->b.part, unit);
        return NULL;
    }
    uint8_t *img = ab_first_state(unit, (uint32_t)size, j->bf.data, j->bf.len, n, err, sizeof err);
    if (!img) {
        fcli_error("export --ab: %s", err);
        return NULL;
    }
    kiln_slots_layout l;
    kiln_slots_layout_init(&l, (uint32_t)size, unit);
    printf("kiln flash export: A/B region 0x%08llx + %llu: commit record 1 at 0x%08llx names slot "
           "A at 0x%08llx; record areas erased (0x%08llx + %u)\n", (unsigned long long)j->addr,
           (unsigned long long)size, (unsigned long long)j->addr,
           (unsigned long long)(j->addr + l.slot_off[0]), (unsigned long long)j->addr,
           l.slot_off[0]);
    printf("  on target:   kiln_slots_select((const uint8_t *)0x%08llx, %llu, %u, NET_SIGNATURE, 0, "
           "&choice); later updates: kiln flash update --size %llu\n",
           (unsigned long long)j->addr, (unsigned long long)size, unit, (unsigned long long)size);
    return img;
}

int fcli_export(const fcli_opts *o)
{
    if (!o->blob_path || !o->out)
        return fcli_error("export: kiln flash export BLOB --address A --format ihex|srec -o OUT");
    const char *fmt = o->format;
    if (!fmt) {
        const char *ext = path_ext(o->out);
        if (!strcmp(ext, "hex") || !strcmp(ext, "ihex"))
            fmt = "ihex";
        else if (!strcmp(ext, "srec") || !strcmp(ext, "s19") || !strcmp(ext, "s37") ||
                 !strcmp(ext, "mot"))
            fmt = "srec";
        else
            return fcli_error("export: --format ihex or srec (cannot tell from '%s')", o->out);
    }
    if (strcmp(fmt, "ihex") && strcmp(fmt, "srec"))
        return fcli_error("export: unknown --format '%s' (ihex or srec)", fmt);
    if (!o->have_address && !o->board)
        return fcli_error("export: --address A is required (or --board B for its flash base)");
    fcli_job j;
    if (!fcli_job_open(&j, o, true))
        return EXIT_ERROR;
    const uint64_t addr = j.addr;
    int rc = EXIT_ERROR;
    char err[ERRLEN];
    sbuf text = {0};
    const uint8_t *data = j.bf.data;
    uint32_t n = j.bf.len;
    uint8_t *first = NULL;
    if (o->ab && !(first = export_ab_state(o, &j, &n)))
        goto out;
    if (first)
        data = first;
    bool ok = !strcmp(fmt, "ihex")
                  ? hex_write_ihex(&text, (uint32_t)addr, data, n, o->record_size, err, sizeof err)
                  : hex_write_srec(&text, (uint32_t)addr, data, n, o->record_size, "kiln", err,
                                   sizeof err);
    if (!ok) {
        rc = fcli_error("%s", err);
    } else if (!write_file_atomic(o->out, text.s, text.len, err, sizeof err)) {
        rc = fcli_error("%s", err);
    } else {
        printf("kiln flash export: %s (%u bytes) at 0x%08llx -> %s (%s, %u data bytes per "
               "record)\n", o->blob_path, j.bf.len, (unsigned long long)addr, o->out,
               !strcmp(fmt, "ihex") ? "Intel HEX" : "Motorola S-record", o->record_size);
        if (j.bp && j.bp->cubeprog_loader[0])
            /* The file carries its addresses; the external loader is what
             * lets the programmer reach the board's QSPI/OSPI flash. */
            printf("  program it with: STM32_Programmer_CLI -c port=SWD -el \"<STM32CubeProgrammer>/bin/"
                   "ExternalLoader/%s\" -d %s -v\n", j.bp->cubeprog_loader, o->out);
        else
            printf("  program it with: STM32_Programmer_CLI -c port=SWD -el <the board's external loader> "
                   "-d %s -v\n", o->out);
        if (j.bp && j.bp->openocd_config[0])
            printf("               or: openocd -f %s -c \"program %s verify reset exit\"\n", j.bp->openocd_config,
                   o->out);
        printf("               or: J-Flash, or objcopy -I %s -O binary %s blob.bin\n",
               !strcmp(fmt, "ihex") ? "ihex" : "srec", o->out);
        rc = 0;
    }
out:
    free(first);
    sb_free(&text);
    fcli_job_close(&j);
    return rc;
}
