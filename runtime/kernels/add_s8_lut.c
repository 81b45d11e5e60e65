/*
 * add_s8_lut.c - int8 ADD and SUB of two same-shape tensors with the
 * per-input rescaling looked up (kiln_add_s8_lut): TFLM's int8 ADD shifts
 * each input left by 20 bits and rescales it by its own multiplier; that
 * value depends on the int8 input alone, so the compiler tabulates it (256
 * int32 per input, exact: computed with the same MultiplyByQuantized-
 * Multiplier).  Per element there remain two loads, two table loads, an add
 * and the output requantization (chan_s8.h; the short form where the
 * compiler proved it exact).  Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "chan_s8.h"

static KILN_ALWAYS_INLINE void add_kind(const kiln_add_s8_lut_params *p, const int8_t *a, const int8_t *b,
                     const int32_t *ta, const int32_t *tb, int8_t *y, const kiln_epi *e, int kind)
{
    const kiln_chan_s8 out = p->out;
    for (int32_t i = 0; i < p->n; i++) {
        const int32_t s = ta[a[i]] + tb[b[i]];
        if (kind == 0)
            y[i] = kiln_chan_clamp(kiln_chan_value(s, &out, KILN_RQ_SHORT_RELU, 0), 1, -128, 127);
        else if (kind == 1)
            y[i] = kiln_chan_clamp(kiln_chan_value(s, &out, KILN_RQ_SHORT, 0), 1, -128, 127);
        else
            y[i] = kiln_chan_out(s, &out, e);
    }
}

void kiln_add_s8_lut(const kiln_add_s8_lut_params *p, const int8_t *a, const int8_t *b,
                     const int32_t *tables, int8_t *y)
{
    const int32_t *ta = tables + 128, *tb = tables + 256 + 128; /* indexed by the int8 */
    const kiln_epi e = kiln_epi_of(&p->rq);
    if (e.full && e.mode == KILN_RQ_SHORT_RELU)
        add_kind(p, a, b, ta, tb, y, &e, 0);
    else if (e.full && e.mode == KILN_RQ_SHORT)
        add_kind(p, a, b, ta, tb, y, &e, 1);
    else
        add_kind(p, a, b, ta, tb, y, &e, 2);
}
