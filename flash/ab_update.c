/*
 * ab_update.c - the host-side writer of the A/B region: write the inactive
 * slot, verify it, commit last.
 *
 * Relies on runtime/slots.c for the layout, the record format and the choice
 * of the active slot (the same code the MCU runs, so host and target never
 * disagree about which slot is live), and on program.c for the slot write.
 * Never modifies the slot that is live when it starts; see the invariant at
 * the top of runtime/slots.c, which this file keeps.
 */
#include "flash/ab_update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void ab_record_encode(uint8_t out[KILN_SLOTS_REC_SIZE], const kiln_slots_record *r)
{
    memset(out, 0, KILN_SLOTS_REC_SIZE);
    out[0] = KILN_SLOTS_REC_MAGIC0;
    out[1] = KILN_SLOTS_REC_MAGIC1;
    out[2] = KILN_SLOTS_REC_MAGIC2;
    out[3] = KILN_SLOTS_REC_MAGIC3;
    out[KILN_SLOTS_REC_OFF_VERSION] = KILN_SLOTS_REC_VERSION;
    out[KILN_SLOTS_REC_OFF_SIZE] = KILN_SLOTS_REC_SIZE;
    wr32(out + KILN_SLOTS_REC_OFF_SEQ, r->seq);
    out[KILN_SLOTS_REC_OFF_SLOT] = (uint8_t)r->slot;
    wr32(out + KILN_SLOTS_REC_OFF_BLOB_SIZE, r->blob_size);
    wr32(out + KILN_SLOTS_REC_OFF_BLOB_HCRC, r->blob_hcrc);
    wr32(out + KILN_SLOTS_REC_OFF_CRC, kiln_crc32(0, out, KILN_SLOTS_REC_OFF_CRC));
}

uint8_t *ab_alloc_aligned(size_t n)
{
    size_t a = KILN_SLOTS_BLOB_ALIGN;
    uint8_t *p = aligned_alloc(a, (n + a - 1) / a * a);
    if (!p) {
        fprintf(stderr, "kiln: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

uint64_t ab_region_size_for(uint32_t unit, uint32_t blob_len)
{
    uint64_t step = unit > KILN_SLOTS_BLOB_ALIGN ? unit : KILN_SLOTS_BLOB_ALIGN;
    uint64_t first = (2ull * unit + step - 1) / step * step;
    uint64_t slot = ((uint64_t)blob_len + step - 1) / step * step;
    uint64_t size = first + 2 * (slot ? slot : step);
    return size > 0xFFFFFFFFull ? 0 : size;
}

/* Whether record r describes the bytes at the start of its slot under
 * layout l (the runtime's rule: blob size and header CRC). */
static bool record_fits(const uint8_t *region, const kiln_slots_layout *l,
                        const kiln_slots_record *r)
{
    const uint8_t *b = region + l->slot_off[r->slot];
    uint32_t payload = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE);
    return payload <= l->slot_size - KILN_BLOB_HEADER_SIZE &&
           r->blob_size == KILN_BLOB_HEADER_SIZE + payload &&
           r->blob_hcrc == kiln_rd_u32(b + KILN_BLOB_OFF_HEADER_CRC);
}

/* Of the records in `areas`, how many describe their slot when the region
 * is `size` bytes, and whether the newest does; -1 when it does not. */
static int layout_score(flash_dev *d, uint32_t off, uint32_t size, const uint8_t *areas)
{
    kiln_slots_layout l;
    if (kiln_slots_layout_init(&l, size, d->erase_small) != KILN_OK)
        return -1;
    uint8_t *region = ab_alloc_aligned(size);
    int score = -1;
    if (flash_read_range(d, off, region, size, NULL, NULL) == FLASH_OK) {
        uint32_t per = l.unit / KILN_SLOTS_REC_SIZE, newest = 0;
        bool newest_fits = false;
        score = 0;
        for (uint32_t a = 0; a < 2; a++)
            for (uint32_t i = 0; i < per; i++) {
                kiln_slots_record r;
                if (!kiln_slots_record_valid(areas + l.record_off[a] + i * KILN_SLOTS_REC_SIZE, &r))
                    continue;
                bool fits = record_fits(region, &l, &r);
                score += fits;
                if (r.seq > newest) {
                    newest = r.seq;
                    newest_fits = fits;
                }
            }
        if (!newest_fits)
            score = -1;
    }
    free(region);
    return score;
}

/* The region size the records in `areas` were written with: of the sizes
 * for each record's blob (oldest first), the one under which the newest
 * record describes its slot and the most records do; 0 when none fits. */
static uint32_t size_from_records(flash_dev *d, uint32_t off, const uint8_t *areas,
                                  uint32_t *blob_size)
{
    uint32_t u = d->erase_small, per = u / KILN_SLOTS_REC_SIZE, best = 0;
    int best_score = -1;
    uint32_t tried_seq = 0;
    /* Candidates in seq order: the first update's size is the one printed. */
    for (;;) {
        kiln_slots_record next = {0, 0, 0, 0};
        for (uint32_t i = 0; i < 2 * per; i++) {
            kiln_slots_record r;
            if (kiln_slots_record_valid(areas + i * KILN_SLOTS_REC_SIZE, &r) &&
                r.seq > tried_seq && (next.seq == 0 || r.seq < next.seq))
                next = r;
        }
        if (next.seq == 0)
            break;
        tried_seq = next.seq;
        uint64_t size = ab_region_size_for(u, next.blob_size);
        if (size == 0 || size > d->size - off)
            continue;
        int score = layout_score(d, off, (uint32_t)size, areas);
        if (score > best_score) {
            best_score = score;
            best = (uint32_t)size;
            *blob_size = next.blob_size;
        }
    }
    return best;
}

bool ab_default_size(flash_dev *d, uint32_t off, uint32_t blob_len, uint32_t *size,
                     uint32_t *from_record, char *err, size_t errlen)
{
    *size = *from_record = 0;
    uint32_t u = d->erase_small;
    if (u == 0 || off > d->size || 2ull * u > d->size - off) {
        snprintf(err, errlen, "no room for the A/B record areas (2 x %u bytes) at 0x%llx",
                 u, (unsigned long long)(d->base + off));
        return false;
    }
    /* The record areas: at 0 and u whatever the region size. */
    kiln_slots_layout rl = {u, {0, u}, {0, 0}, 0};
    uint8_t *areas = ab_alloc_aligned(2u * u);
    kiln_slots_scan scan;
    if (flash_read_range(d, off, areas, 2u * u, NULL, NULL) != FLASH_OK) {
        snprintf(err, errlen, "reading the A/B record areas: %s", d->err);
        free(areas);
        return false;
    }
    kiln_slots_scan_records(areas, &rl, &scan);
    if (scan.newest.seq) {
        *size = size_from_records(d, off, areas, from_record);
        free(areas);
        if (*size == 0)
            snprintf(err, errlen, "the region at 0x%llx holds commit records (newest #%u, a blob "
                     "of %u bytes in slot %c) that match no layout sized for their blobs: it was "
                     "written with another size; give --size (the size the firmware uses)",
                     (unsigned long long)(d->base + off), scan.newest.seq,
                     scan.newest.blob_size, 'A' + scan.newest.slot);
        return *size != 0;
    }
    free(areas);
    uint64_t want = ab_region_size_for(u, blob_len);
    if (blob_len == 0 || want == 0 || want > d->size - off) {
        snprintf(err, errlen, "%s: give --size (the A/B region size the firmware uses)",
                 blob_len == 0 ? "no commit record at the region start, so no layout to read"
                               : "two slots for the blob do not fit in the flash there");
        return false;
    }
    *size = (uint32_t)want;
    return true;
}

uint8_t *ab_first_state(uint32_t unit, uint32_t size, const uint8_t *blob, uint32_t len,
                        uint32_t *n, char *err, size_t errlen)
{
    kiln_slots_layout l;
    if (len < KILN_BLOB_HEADER_SIZE || kiln_slots_layout_init(&l, size, unit) != KILN_OK ||
        len > l.slot_size) {
        snprintf(err, errlen, "a blob of %u bytes does not fit an A/B slot of a %u-byte region "
                 "with %u-byte erase units", len, size, unit);
        return NULL;
    }
    *n = l.slot_off[0] + len;
    uint8_t *img = malloc(*n);
    if (!img) {
        snprintf(err, errlen, "out of memory (%u bytes)", *n);
        return NULL;
    }
    memset(img, 0xFF, l.slot_off[0]);
    kiln_slots_record r = {1, 0, len, kiln_rd_u32(blob + KILN_BLOB_OFF_HEADER_CRC)};
    ab_record_encode(img + l.record_off[0], &r);
    memcpy(img + l.slot_off[0], blob, len);
    return img;
}

bool ab_read_state(flash_dev *d, uint32_t off, uint32_t size, uint8_t *buf, ab_state *st,
                   char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    if (d->erase_small == 0) {
        snprintf(err, errlen, "an A/B region needs erasable flash; this target is written as RAM");
        return false;
    }
    if (off % d->erase_small || size % d->erase_small || off > d->size || size > d->size - off) {
        snprintf(err, errlen,
                 "A/B region 0x%llx + %u must lie inside the flash and be aligned to its "
                 "%u-byte erase unit", (unsigned long long)(d->base + off), size, d->erase_small);
        return false;
    }
    if (kiln_slots_layout_init(&st->layout, size, d->erase_small) != KILN_OK) {
        snprintf(err, errlen, "A/B region of %u bytes is too small for two record areas of %u "
                 "bytes and two slots", size, d->erase_small);
        return false;
    }
    if (flash_read_range(d, off, buf, size, NULL, NULL) != FLASH_OK) {
        snprintf(err, errlen, "reading the A/B region: %s", d->err);
        return false;
    }
    kiln_slots_scan_records(buf, &st->layout, &st->scan);
    st->status = kiln_slots_select(buf, size, d->erase_small, 0, KILN_SLOTS_ANY_SIGNATURE,
                                   &st->choice);
    return true;
}

bool ab_update(flash_dev *d, uint32_t off, uint32_t size, const uint8_t *blob, uint32_t len,
               bool dry_run, flash_progress_fn progress, void *ctx, ab_result *r, char *err,
               size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (len < KILN_BLOB_HEADER_SIZE) {
        snprintf(err, errlen, "a blob is at least %u bytes; this one is %u", KILN_BLOB_HEADER_SIZE,
                 len);
        return false;
    }
    uint8_t *region = ab_alloc_aligned(size);
    ab_state st;
    bool ok = false;
    if (!ab_read_state(d, off, size, region, &st, err, errlen))
        goto out;
    const kiln_slots_layout *l = &st.layout;
    r->layout = st.layout;
    r->before = st.status;
    r->before_slot = st.choice.slot;
    r->before_seq = st.choice.seq;
    if (len > l->slot_size) {
        snprintf(err, errlen, "blob is %u bytes but each A/B slot holds %u (region of %u bytes "
                 "at 0x%llx)", len, l->slot_size, size, (unsigned long long)(d->base + off));
        goto out;
    }

    /* The live slot is left alone; the other one is written. */
    r->had_active = st.status == KILN_OK;
    r->old_slot = st.choice.slot;
    if (r->had_active && st.choice.seq && st.choice.seq == st.scan.newest.seq &&
        st.choice.blob_size == len && !memcmp(st.choice.blob, blob, len)) {
        r->up_to_date = true;
        r->slot = st.choice.slot;
        r->seq = st.choice.seq;
        ok = true;
        goto out;
    }
    if (r->had_active)
        r->slot = 1u - st.choice.slot;
    else
        r->slot = st.scan.newest.seq ? 1u - st.scan.newest.slot : 0u;
    r->seq = st.scan.newest.seq + 1u;

    uint32_t slot_off = off + l->slot_off[r->slot];
    if (!flash_plan_write(d, slot_off, blob, len, &r->plan, err, errlen))
        goto out;
    /* Where the record goes: after the newest one; in the other area, erased
     * first, when this one is full.  Never over a non-erased entry. */
    uint32_t per = l->unit / KILN_SLOTS_REC_SIZE;
    uint32_t area = st.scan.newest.seq ? st.scan.newest_area : 0u;
    uint32_t idx = st.scan.next_free[area];
    if (idx >= per) {
        area = 1u - area;
        idx = 0;
        r->record_area_erased = true;
    }
    r->record_progs = 1;
    if (dry_run) {
        ok = true;
        goto out;
    }

    /* 1. The slot.  The live slot is not touched, so a cut here leaves it
     *    the one selected. */
    flash_rc rc = flash_plan_run(d, &r->plan, progress, ctx);
    if (rc != FLASH_OK) {
        snprintf(err, errlen, "writing slot %c: %s", 'A' + r->slot, d->err);
        goto out;
    }
    /* 2. Verify it before anything can point at it. */
    bool same;
    uint32_t first, crc;
    uint64_t ndiff;
    uint8_t found;
    rc = flash_compare(d, slot_off, blob, len, &same, &first, &ndiff, &crc, &found);
    if (rc != FLASH_OK || !same) {
        if (rc != FLASH_OK)
            snprintf(err, errlen, "reading slot %c back: %s", 'A' + r->slot, d->err);
        else
            snprintf(err, errlen, "slot %c reads back different at 0x%llx (%llu bytes differ); "
                     "not committed, the old blob stays active", 'A' + r->slot,
                     (unsigned long long)(d->base + slot_off + first), (unsigned long long)ndiff);
        goto out;
    }
    /* 3. Commit: the record is the last thing written.  Erasing the other
     *    area cannot lose the newest record, which is in this one. */
    uint32_t area_off = off + l->record_off[area];
    if (r->record_area_erased) {
        rc = d->erase(d, area_off, l->unit);
        if (rc != FLASH_OK) {
            snprintf(err, errlen, "erasing record area %u: %s", area, d->err);
            goto out;
        }
    }
    uint8_t rec[KILN_SLOTS_REC_SIZE];
    kiln_slots_record kr = {r->seq, r->slot, len, kiln_rd_u32(blob + KILN_BLOB_OFF_HEADER_CRC)};
    ab_record_encode(rec, &kr);
    rc = d->prog(d, area_off + idx * KILN_SLOTS_REC_SIZE, rec, KILN_SLOTS_REC_SIZE);
    if (rc == FLASH_OK && d->sync)
        rc = d->sync(d);
    if (rc != FLASH_OK) {
        snprintf(err, errlen, "writing the commit record: %s", d->err);
        goto out;
    }
    /* 4. The runtime's own choice must now be the new slot. */
    ab_state after;
    if (!ab_read_state(d, off, size, region, &after, err, errlen))
        goto out;
    if (after.status != KILN_OK || after.choice.slot != r->slot || after.choice.seq != r->seq) {
        snprintf(err, errlen, "after the commit the runtime would pick slot %c (record %u, %s), "
                 "not slot %c (record %u)", 'A' + after.choice.slot, after.choice.seq,
                 kiln_status_name(after.status), 'A' + r->slot, r->seq);
        goto out;
    }
    ok = true;
out:
    free(region);
    return ok;
}
