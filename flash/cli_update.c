/*
 * cli_update.c - `kiln flash update` (power-fail-safe A/B update) and
 * `kiln flash slots` (what the runtime's kiln_slots_select will pick).
 *
 * The region layout and the slot choice are the runtime's own code
 * (runtime/slots.c), the writer is ab_update.c; this file checks the inputs
 * and reports.  docs/ab-update.md describes the layout.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/ab_update.h"
#include "flash/cli_common.h"
#include "flash/report.h"
#include "kiln/slots.h"

/* The A/B region: --address/--size, or the whole flash. */
static bool ab_region(const fcli_opts *o, const board *b, uint32_t *off, uint32_t *size)
{
    uint64_t addr = o->have_address ? o->address : b->base;
    uint64_t len = o->have_size ? o->size : b->base + b->size - addr;
    if (!fcli_board_range(b, addr, len, "the A/B region", off))
        return false;
    if (addr % b->subsector_size || len % b->subsector_size) {
        fcli_error("A/B region 0x%llx + %llu is not aligned to the %s's %u-byte erase unit",
                   (unsigned long long)addr, (unsigned long long)len, b->part, b->subsector_size);
        return false;
    }
    if (!fcli_check_align(addr, KILN_SLOTS_BLOB_ALIGN,
                          "4 KiB (slots hold blobs aligned up to 4 KiB)"))
        return false;
    *size = (uint32_t)len;
    return true;
}

/* The layout, the records and each slot's check: with the firmware's
 * signature when known, else each blob's own. */
static void print_slot_state(const ab_state *st, const uint8_t *region, uint64_t base,
                             const fcli_opts *o)
{
    const kiln_slots_layout *l = &st->layout;
    char s[32], s2[32];
    printf("  layout:      record areas 0x%08llx, 0x%08llx (%s each); slot A 0x%08llx, slot B "
           "0x%08llx (%s each)\n", (unsigned long long)(base + l->record_off[0]),
           (unsigned long long)(base + l->record_off[1]), fmt_size(s, sizeof s, l->unit),
           (unsigned long long)(base + l->slot_off[0]), (unsigned long long)(base + l->slot_off[1]),
           fmt_size(s2, sizeof s2, l->slot_size));
    if (st->scan.newest.seq)
        printf("  records:     %u valid; newest #%u names slot %c\n", st->scan.records,
               st->scan.newest.seq, 'A' + st->scan.newest.slot);
    else
        printf("  records:     none\n");
    for (int k = 0; k < 2; k++) {
        const uint8_t *b = region + l->slot_off[k];
        kiln_blob_report rep;
        uint64_t sig = o->have_signature ? o->signature : kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
        kiln_status c = kiln_blob_check(b, l->slot_size, sig, 0, &rep);
        if (c == KILN_OK)
            printf("  slot %c:      valid blob, %u bytes, signature 0x%016llx\n", 'A' + k,
                   rep.total_size, (unsigned long long)rep.signature);
        else
            printf("  slot %c:      %s (%s)\n", 'A' + k, kiln_status_str(c), kiln_status_name(c));
    }
}

int fcli_update(const fcli_opts *o)
{
    board b = {0};
    fcli_blob bf;
    if (!o->blob_path)
        return fcli_error("update: which BLOB? (kiln flash update BLOB --board B --device IMAGE)");
    if (o->gdb)
        return fcli_error("update: A/B updates run on --device images; over --gdb use `write` "
                          "into a slot (docs/ab-update.md)");
    if (!o->device || !o->board)
        return fcli_error("update: --board B and --device IMAGE are required");
    if (!fcli_load_board(o, &b))
        return EXIT_ERROR;
    int rc = EXIT_ERROR;
    if (!fcli_load_blob(o, &bf))
        goto out_board;
    uint32_t off, size;
    if (!ab_region(o, &b, &off, &size))
        goto out_blob;
    fcli_image im;
    if (!fcli_image_open(&im, o, &b, true))
        goto out_blob;
    char err[ERRLEN], s[32], s2[32];
    uint64_t base = b.base + off;
    printf("kiln flash update: %s (%s) -> A/B region 0x%08llx + %s of %s %s (device image %s)\n",
           o->blob_path, fmt_size(s, sizeof s, bf.len), (unsigned long long)base,
           fmt_size(s2, sizeof s2, size), b.name, b.part, o->device);
    progress pr;
    progress_init(&pr, "writing", o->quiet);
    ab_result r;
    bool ok = ab_update(&im.sim.dev, off, size, bf.data, bf.len, o->dry_run, progress_update, &pr,
                        &r, err, sizeof err);
    progress_end(&pr);
    if (r.layout.unit) {    /* the region was read */
        if (r.before == KILN_OK)
            printf("  before:      slot %c is live (record %u)\n", 'A' + r.before_slot,
                   r.before_seq);
        else
            printf("  before:      no valid slot (%s)\n", kiln_status_name(r.before));
    }
    if (!ok) {
        rc = fcli_device_failure(&im, "update failed", err);
        flash_plan_free(&r.plan);
        goto out_image;
    }
    if (r.up_to_date) {
        if (!im.existed && !fcli_image_save(&im))
            goto out_image;
        printf("  unchanged:   slot %c already holds this blob under the newest record (%u); "
               "nothing written\n", 'A' + r.slot, r.seq);
        rc = 0;
        goto out_image;
    }
    if (o->dry_run) {
        printf("  plan (dry run, nothing written): slot %c at 0x%08llx, then record %u\n",
               'A' + r.slot, (unsigned long long)(base + r.layout.slot_off[r.slot]), r.seq);
        report_plan_ops(stdout, &r.plan, b.base, 40);
        report_plan_summary(stdout, &r.plan, "  ");
        report_plan_time(stdout, &r.plan, &b, "  ");
        flash_plan_free(&r.plan);
        rc = 0;
        goto out_image;
    }
    /* The image is on disk (written, synced, renamed) before any line says
     * the update happened: a full disk gives exit 2 and no success report. */
    if (!fcli_image_save(&im)) {
        flash_plan_free(&r.plan);
        goto out_image;
    }
    printf("  wrote:       slot %c at 0x%08llx\n", 'A' + r.slot,
           (unsigned long long)(base + r.layout.slot_off[r.slot]));
    report_plan_summary(stdout, &r.plan, "  ");
    printf("  verify:      OK (slot read back identical before the commit)\n");
    printf("  commit:      record %u -> slot %c%s\n", r.seq, 'A' + r.slot,
           r.record_area_erased ? " (record area full: the other one erased and reused)" : "");
    printf("  after:       the runtime picks slot %c (record %u)\n", 'A' + r.slot, r.seq);
    fcli_report_sim(stdout, &im.sim, &b);
    printf("  on target:   kiln_slots_select((const uint8_t *)0x%08llx, %u, %u, 0x%016llxull, 0, "
           "&choice)\n               (the signature is NET_SIGNATURE of the generated NET.h; or "
           "kiln_slots_select_model(..., &NET_model.blob, 0, &choice))\n", (unsigned long long)base, size,
           b.subsector_size, (unsigned long long)bf.rep.signature);
    flash_plan_free(&r.plan);
    rc = 0;
out_image:
    fcli_image_close(&im);
out_blob:
    free(bf.data);
out_board:
    board_free(&b);
    return rc;
}

int fcli_slots(const fcli_opts *o)
{
    board b = {0};
    if (!o->device || !o->board)
        return fcli_error("slots: --board B and --device IMAGE are required");
    if (!fcli_load_board(o, &b))
        return EXIT_ERROR;
    int rc = EXIT_ERROR;
    uint32_t off, size;
    fcli_image im;
    if (!ab_region(o, &b, &off, &size) || !fcli_image_open(&im, o, &b, false))
        goto out;
    uint8_t *region = ab_alloc_aligned(size);
    ab_state st;
    char err[ERRLEN];
    if (!ab_read_state(&im.sim.dev, off, size, region, &st, err, sizeof err)) {
        rc = fcli_error("%s", err);
        free(region);
        fcli_image_close(&im);
        goto out;
    }
    /* With the firmware's signature, exactly what the target will decide. */
    if (o->have_signature)
        st.status = kiln_slots_select(region, size, b.subsector_size, o->signature, 0, &st.choice);
    printf("kiln flash slots: A/B region 0x%08llx + %u of %s (device image %s), erase unit %u\n",
           (unsigned long long)(b.base + off), size, b.name, o->device, b.subsector_size);
    print_slot_state(&st, region, b.base + off, o);
    if (st.status == KILN_OK) {
        printf("  runtime:     picks slot %c (record %u%s)\n", 'A' + st.choice.slot, st.choice.seq,
               st.choice.fell_back ? "; fell back: a newer record names a slot that fails" : "");
        rc = 0;
    } else {
        printf("  runtime:     %s (%s)%s\n", kiln_status_str(st.status),
               kiln_status_name(st.status),
               o->have_signature ? "" : "; checked with each blob's own signature");
        rc = EXIT_CHECK;
    }
    free(region);
    fcli_image_close(&im);
out:
    board_free(&b);
    return rc;
}
