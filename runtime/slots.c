/*
 * slots.c - on-target choice between two weights slots (docs/ab-update.md).
 *
 * Relies on kiln_blob_check_model() (with the model's expectation, as
 * kiln_net_init checks) or kiln_blob_check() (signature only, for host tools)
 * for what "a good blob" means, so with the model a slot passes here exactly
 * when the network would accept it.  Reads the region through a
 * plain pointer (memory-mapped flash); never writes, never allocates.
 *
 * Why every power cut leaves a usable blob -- the invariant the host-side
 * writer (flash/ab_update.c) keeps, and this reader depends on:
 *   1. The writer never modifies the slot that kiln_slots_select() returns
 *      when the update starts, and kiln_slots_select() returns any slot that
 *      passes every check (records only decide the order), so that blob stays
 *      usable whatever is cut.
 *   2. The commit record naming the new slot is written last, after the slot
 *      was written and read back identical.  Until it exists the old slot's
 *      record is the newest, so the old blob is the one chosen; from the
 *      moment it exists, the new one is.
 *   3. A record torn by a power cut fails its CRC and is ignored.  A record
 *      area is erased only when the newest record is in the other area.
 * Records are matched to the blob now in their slot (size and header CRC),
 * so a record never vouches for bytes other than the ones it was written for.
 */
#include "kiln/slots.h"

static uint32_t rd16(const uint8_t *p) { return kiln_rd_u16(p); }
static uint32_t rd32(const uint8_t *p) { return kiln_rd_u32(p); }

kiln_status kiln_slots_layout_init(kiln_slots_layout *l, uint32_t region_size, uint32_t erase_unit)
{
    uint32_t step, first;
    if (!l || erase_unit < 64u || erase_unit > (1u << 20) || (erase_unit & (erase_unit - 1u)))
        return KILN_E_ARG;
    /* Slots start on an erase unit and on the largest blob alignment. */
    step = erase_unit > KILN_SLOTS_BLOB_ALIGN ? erase_unit : KILN_SLOTS_BLOB_ALIGN;
    first = 2u * erase_unit;
    first = (first + step - 1u) / step * step;
    if (region_size < first || (region_size - first) / 2u < step)
        return KILN_E_ARG;
    l->unit = erase_unit;
    l->record_off[0] = 0;
    l->record_off[1] = erase_unit;
    l->slot_size = (region_size - first) / 2u / step * step;
    l->slot_off[0] = first;
    l->slot_off[1] = first + l->slot_size;
    return KILN_OK;
}

int kiln_slots_record_valid(const uint8_t *e, kiln_slots_record *r)
{
    if (e[0] != KILN_SLOTS_REC_MAGIC0 || e[1] != KILN_SLOTS_REC_MAGIC1 ||
        e[2] != KILN_SLOTS_REC_MAGIC2 || e[3] != KILN_SLOTS_REC_MAGIC3)
        return 0;
    if (rd32(e + KILN_SLOTS_REC_OFF_CRC) != kiln_crc32(0, e, KILN_SLOTS_REC_OFF_CRC))
        return 0;
    if (rd16(e + KILN_SLOTS_REC_OFF_VERSION) != KILN_SLOTS_REC_VERSION ||
        rd16(e + KILN_SLOTS_REC_OFF_SIZE) != KILN_SLOTS_REC_SIZE)
        return 0;
    if (e[KILN_SLOTS_REC_OFF_SLOT] > 1u || e[13] || e[14] || e[15] ||
        rd32(e + KILN_SLOTS_REC_OFF_RESERVED1) != 0u || rd32(e + KILN_SLOTS_REC_OFF_SEQ) == 0u)
        return 0;
    r->seq = rd32(e + KILN_SLOTS_REC_OFF_SEQ);
    r->slot = e[KILN_SLOTS_REC_OFF_SLOT];
    r->blob_size = rd32(e + KILN_SLOTS_REC_OFF_BLOB_SIZE);
    r->blob_hcrc = rd32(e + KILN_SLOTS_REC_OFF_BLOB_HCRC);
    return 1;
}

static int entry_erased(const uint8_t *e)
{
    uint32_t i;
    for (i = 0; i < KILN_SLOTS_REC_SIZE; i++)
        if (e[i] != 0xFFu)
            return 0;
    return 1;
}

void kiln_slots_scan_records(const uint8_t *region, const kiln_slots_layout *l, kiln_slots_scan *s)
{
    uint32_t a, i, per = l->unit / KILN_SLOTS_REC_SIZE;
    s->records = 0;
    s->newest_area = 0;
    s->newest.seq = s->newest.slot = s->newest.blob_size = s->newest.blob_hcrc = 0;
    for (a = 0; a < 2u; a++) {
        const uint8_t *area = region + l->record_off[a];
        s->next_free[a] = 0;
        for (i = 0; i < per; i++) {
            const uint8_t *e = area + i * KILN_SLOTS_REC_SIZE;
            kiln_slots_record r;
            if (!entry_erased(e))
                s->next_free[a] = i + 1u;
            if (!kiln_slots_record_valid(e, &r))
                continue;
            s->records++;
            if (r.seq > s->newest.seq) {
                s->newest = r;
                s->newest_area = a;
            }
        }
    }
}

/* Whether record r describes the bytes now at the start of its slot. */
static int record_matches(const uint8_t *region, const kiln_slots_layout *l,
                          const kiln_slots_record *r)
{
    const uint8_t *b = region + l->slot_off[r->slot];
    uint32_t payload = rd32(b + KILN_BLOB_OFF_PAYLOAD_SIZE);
    if (payload > l->slot_size - KILN_BLOB_HEADER_SIZE)
        return 0;
    return r->blob_size == KILN_BLOB_HEADER_SIZE + payload &&
           r->blob_hcrc == rd32(b + KILN_BLOB_OFF_HEADER_CRC);
}

/* The check one slot gets: the model's, or the structural one with a
 * signature (the given one, or with KILN_SLOTS_ANY_SIGNATURE the blob's own). */
static kiln_status check_slot(const uint8_t *b, uint32_t size, uint64_t signature,
                              const kiln_blob_expect *expect, uint32_t flags, kiln_blob_report *rep)
{
    const uint32_t check_flags = flags & KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC;
    if (expect)
        return kiln_blob_check_model(b, size, expect, check_flags, rep);
    if (flags & KILN_SLOTS_ANY_SIGNATURE)
        signature = kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
    return kiln_blob_check(b, size, signature, check_flags, rep);
}

static void clear_choice(kiln_slots_choice *out)
{
    out->blob = 0;
    out->blob_size = out->slot = out->seq = out->fell_back = 0;
    out->checked[0] = out->checked[1] = 0;
    out->slot_status[0] = out->slot_status[1] = KILN_E_NO_VALID_SLOT;
}

static kiln_status select_slot(const uint8_t *region, uint32_t region_size, uint32_t erase_unit,
                               uint64_t signature, const kiln_blob_expect *expect, uint32_t flags,
                               kiln_slots_choice *out)
{
    kiln_slots_layout l;
    uint32_t best_seq[2] = {0, 0}, newest_seq = 0, order[2], k, a, i, per;
    kiln_status st;

    if (!out)
        return KILN_E_ARG;
    clear_choice(out);
    if (!region)
        return KILN_E_ARG;
    st = kiln_slots_layout_init(&l, region_size, erase_unit);
    if (st != KILN_OK)
        return st;

    /* For each slot, the newest valid record that describes its bytes. */
    per = l.unit / KILN_SLOTS_REC_SIZE;
    for (a = 0; a < 2u; a++)
        for (i = 0; i < per; i++) {
            kiln_slots_record r;
            if (!kiln_slots_record_valid(region + l.record_off[a] + i * KILN_SLOTS_REC_SIZE, &r))
                continue;
            if (r.seq > newest_seq)
                newest_seq = r.seq;
            if (r.seq > best_seq[r.slot] && record_matches(region, &l, &r))
                best_seq[r.slot] = r.seq;
        }

    /* Newest vouched-for slot first; a slot no record describes comes last
     * (A before B), so a blob written but not yet committed is used only
     * when nothing committed is usable. */
    order[0] = best_seq[1] > best_seq[0] ? 1u : 0u;
    order[1] = 1u - order[0];
    for (k = 0; k < 2u; k++) {
        uint32_t s = order[k];
        const uint8_t *b = region + l.slot_off[s];
        kiln_blob_report rep;
        st = check_slot(b, l.slot_size, signature, expect, flags, &rep);
        out->checked[s] = 1;
        out->slot_status[s] = st;
        if (st == KILN_OK) {
            out->blob = b;
            out->blob_size = rep.total_size;
            out->slot = s;
            out->seq = best_seq[s];
            out->fell_back = best_seq[s] < newest_seq ? 1u : 0u;
            return KILN_OK;
        }
    }
    return KILN_E_NO_VALID_SLOT;
}

kiln_status kiln_slots_select(const uint8_t *region, uint32_t region_size, uint32_t erase_unit,
                              uint64_t signature, uint32_t flags, kiln_slots_choice *out)
{
    return select_slot(region, region_size, erase_unit, signature, 0, flags, out);
}

kiln_status kiln_slots_select_model(const uint8_t *region, uint32_t region_size, uint32_t erase_unit,
                                    const kiln_blob_expect *expect, uint32_t flags, kiln_slots_choice *out)
{
    if (!out)
        return KILN_E_ARG;
    if (!expect) {
        clear_choice(out);
        return KILN_E_MODEL;
    }
    return select_slot(region, region_size, erase_unit, 0, expect, flags & ~KILN_SLOTS_ANY_SIGNATURE, out);
}
