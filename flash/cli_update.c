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
#include "flash/cut_dev.h"
#include "flash/ram_nor.h"
#include "flash/report.h"
#include "kiln/slots.h"

/* Where the A/B region lives: a device image behind the NOR simulator, or a
 * target behind a GDB server.  RAM on the target gets the board's NOR
 * geometry (ram_nor.c); --inject-power-cut there cuts the link (cut_dev.c). */
typedef struct ab_place {
    bool image;
    fcli_image im;
    fcli_target t;
    ram_nor rn;
    cut_dev cut;
    flash_dev *d;
    uint32_t off, size;     /* the region within d */
    uint64_t base;          /* its address on the target */
    uint32_t from_record;   /* default size taken from this record's blob size (0: not) */
    char where[300];        /* "device image X" or "the GDB server at H:P (...)" */
} ab_place;

static void place_close(ab_place *p)
{
    if (p->image)
        fcli_image_close(&p->im);
    else
        gdb_close(&p->t.g);
}

/* The device: the image, or the GDB target with its layers. */
static bool place_device(const fcli_opts *o, const board *bp, uint64_t addr, bool create,
                         ab_place *p)
{
    if (p->image) {
        if (!fcli_image_open(&p->im, o, bp, create))
            return false;
        p->d = &p->im.sim.dev;
        snprintf(p->where, sizeof p->where, "device image %s", o->device);
        if (!fcli_board_range(bp, addr, 1, "the A/B region", &p->off)) {
            place_close(p);
            return false;
        }
        return true;
    }
    if (!fcli_target_open(&p->t, o, bp, addr, 1))
        return false;
    p->d = &p->t.gd.dev;
    p->off = p->t.off;
    const char *how = "flash in its memory map";
    if (p->d->erase_small == 0) {
        if (!bp) {
            place_close(p);
            fcli_error("0x%llx is written as RAM through the GDB server at %s: give --board B, "
                       "whose flash geometry (erase unit) the A/B layout and the firmware use",
                       (unsigned long long)addr, o->gdb);
            return false;
        }
        ram_nor_init(&p->rn, p->d, bp);
        p->d = &p->rn.dev;
        how = "RAM, given the board's NOR geometry";
    }
    if (o->cut) {
        if (!cut_dev_init(&p->cut, p->d, o->cut, o->seed)) {
            place_close(p);
            fcli_error("--inject-power-cut '%s': expected ops:N or bytes:N", o->cut);
            return false;
        }
        p->d = &p->cut.dev;
    }
    snprintf(p->where, sizeof p->where, "the GDB server at %s (%s)", o->gdb, how);
    return true;
}

/* The region: --address (or the flash base) and --size, or by default two
 * slots of the blob's size (ab_default_size); aligned to the erase unit and
 * to 4 KiB.  blob_len 0: no blob (slots), the records must tell. */
static bool place_open(const fcli_opts *o, const board *bp, uint32_t blob_len, ab_place *p)
{
    memset(p, 0, sizeof *p);
    p->image = o->device != NULL;
    if (!o->have_address && !bp) {
        fcli_error("--address A is required with --gdb (or --board B for its flash base)");
        return false;
    }
    uint64_t addr = o->have_address ? o->address : bp->base;
    if (bp && (addr % bp->subsector_size || (o->have_size && o->size % bp->subsector_size))) {
        fcli_error("A/B region 0x%llx + %llu is not aligned to the %s's %u-byte erase unit",
                   (unsigned long long)addr, (unsigned long long)o->size, bp->part,
                   bp->subsector_size);
        return false;
    }
    if (!fcli_check_align(addr, KILN_SLOTS_BLOB_ALIGN,
                          "4 KiB (slots hold blobs aligned up to 4 KiB)") ||
        !place_device(o, bp, addr, blob_len != 0, p))
        return false;
    p->base = addr;
    flash_dev *d = p->d;
    char err[ERRLEN];
    if (o->have_size) {
        if (o->size > d->size - p->off || o->size % d->erase_small) {
            fcli_error("A/B region 0x%llx + %llu must lie inside the flash (0x%llx + %u) and be "
                       "a multiple of its %u-byte erase unit", (unsigned long long)addr,
                       (unsigned long long)o->size, (unsigned long long)d->base, d->size,
                       d->erase_small);
            place_close(p);
            return false;
        }
        p->size = (uint32_t)o->size;
    } else if (!ab_default_size(d, p->off, blob_len, &p->size, &p->from_record, err,
                                sizeof err)) {
        fcli_error("%s", err);
        place_close(p);
        return false;
    }
    return true;
}

/* How the region size was chosen, and the call the firmware must make. */
static void print_region_origin(const ab_place *p, const fcli_opts *o)
{
    if (o->have_size)
        return;
    if (p->from_record)
        printf("  region:      %u bytes: the layout of the commit records already there (blobs "
               "of %u bytes); --size sets another\n", p->size, p->from_record);
    else
        printf("  region:      %u bytes: two record areas and two slots of the blob's size "
               "rounded to the %u-byte erase unit; --size reserves room for larger blobs\n",
               p->size, p->d->erase_small);
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

/* What the update did, once it succeeded. */
static void print_update_done(const ab_place *p, const ab_result *r, const board *bp,
                              const fcli_blob *bf)
{
    printf("  wrote:       slot %c at 0x%08llx\n", 'A' + r->slot,
           (unsigned long long)(p->base + r->layout.slot_off[r->slot]));
    report_plan_summary(stdout, &r->plan, "  ");
    printf("  verify:      OK (slot read back identical before the commit)\n");
    printf("  commit:      record %u -> slot %c%s\n", r->seq, 'A' + r->slot,
           r->record_area_erased ? " (record area full: the other one erased and reused)" : "");
    printf("  after:       the runtime picks slot %c (record %u)\n", 'A' + r->slot, r->seq);
    if (p->image)
        fcli_report_sim(stdout, &p->im.sim, bp);
    printf("  on target:   kiln_slots_select((const uint8_t *)0x%08llx, %u, %u, 0x%016llxull, 0, "
           "&choice)\n               (the signature is NET_SIGNATURE of the generated NET.h; or "
           "kiln_slots_select_model(..., &NET_model.blob, 0, &choice))\n",
           (unsigned long long)p->base, p->size, r->layout.unit,
           (unsigned long long)bf->rep.signature);
}

int fcli_update(const fcli_opts *o)
{
    board b = {0};
    fcli_blob bf;
    if (!o->blob_path)
        return fcli_error("update: which BLOB? (kiln flash update BLOB --board B --device IMAGE, "
                          "or --gdb HOST:PORT)");
    if (!fcli_need_place(o, "update", NULL))
        return EXIT_ERROR;
    if (o->board && !fcli_load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    if (!fcli_load_blob(o, &bf))
        goto out_board;
    ab_place p;
    if (!place_open(o, bp, bf.len, &p))
        goto out_blob;
    char err[ERRLEN], s[32], s2[32];
    printf("kiln flash update: %s (%s) -> A/B region 0x%08llx + %s through %s\n", o->blob_path,
           fmt_size(s, sizeof s, bf.len), (unsigned long long)p.base,
           fmt_size(s2, sizeof s2, p.size), p.where);
    print_region_origin(&p, o);
    progress pr;
    progress_init(&pr, "writing", o->quiet);
    ab_result r;
    bool ok = ab_update(p.d, p.off, p.size, bf.data, bf.len, o->dry_run, progress_update, &pr,
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
        rc = p.image ? fcli_device_failure(&p.im, "update failed", err)
                     : fcli_error("update failed: %s; the slot live before stays the one the "
                                  "runtime picks (kiln flash slots --gdb shows it)", err);
        flash_plan_free(&r.plan);
        goto out_place;
    }
    if (r.up_to_date) {
        if (p.image && !p.im.existed && !fcli_image_save(&p.im))
            goto out_place;
        printf("  unchanged:   slot %c already holds this blob under the newest record (%u); "
               "nothing written\n", 'A' + r.slot, r.seq);
        rc = 0;
        goto out_place;
    }
    if (o->dry_run) {
        printf("  plan (dry run, nothing written): slot %c at 0x%08llx, then record %u\n",
               'A' + r.slot, (unsigned long long)(p.base + r.layout.slot_off[r.slot]), r.seq);
        report_plan_ops(stdout, &r.plan, p.d->base, 40);
        report_plan_summary(stdout, &r.plan, "  ");
        if (bp && p.image)
            report_plan_time(stdout, &r.plan, bp, "  ");
        flash_plan_free(&r.plan);
        rc = 0;
        goto out_place;
    }
    /* The image is on disk (written, synced, renamed) before any line says
     * the update happened: a full disk gives exit 2 and no success report. */
    if (p.image && !fcli_image_save(&p.im)) {
        flash_plan_free(&r.plan);
        goto out_place;
    }
    print_update_done(&p, &r, bp, &bf);
    flash_plan_free(&r.plan);
    rc = 0;
out_place:
    place_close(&p);
out_blob:
    free(bf.data);
out_board:
    if (bp)
        board_free(&b);
    return rc;
}

int fcli_slots(const fcli_opts *o)
{
    board b = {0};
    if (o->blob_path)
        return fcli_error("slots: unexpected argument '%s'", o->blob_path);
    if (!fcli_need_place(o, "slots", NULL))
        return EXIT_ERROR;
    if (o->board && !fcli_load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    ab_place p;
    if (!place_open(o, bp, 0, &p))
        goto out;
    uint8_t *region = ab_alloc_aligned(p.size);
    ab_state st;
    char err[ERRLEN];
    if (!ab_read_state(p.d, p.off, p.size, region, &st, err, sizeof err)) {
        rc = fcli_error("%s", err);
        goto out_region;
    }
    uint32_t unit = st.layout.unit;
    /* With the firmware's signature, exactly what the target will decide. */
    if (o->have_signature)
        st.status = kiln_slots_select(region, p.size, unit, o->signature, 0, &st.choice);
    printf("kiln flash slots: A/B region 0x%08llx + %u through %s, erase unit %u\n",
           (unsigned long long)p.base, p.size, p.where, unit);
    print_region_origin(&p, o);
    print_slot_state(&st, region, p.base, o);
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
out_region:
    free(region);
    place_close(&p);
out:
    if (bp)
        board_free(&b);
    return rc;
}
