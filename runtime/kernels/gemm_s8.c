/*
 * gemm_s8.c - the channel loop of the packed int8 conv and FC kernels: for
 * one or two rows of int16 slices in scratch, every output channel group is
 * started at its folded biases, run through a micro-kernel (gemm_s8.h) and
 * requantized into the output (chan_s8.h).
 *
 * The epilogue is specialised once per call for the common cases (a short
 * requantization into the full int8 range: one SMLAL, one shift, one SSAT
 * per output on a DSP core); anything else takes the general path.  Relies
 * on the compiler's packing: groups padded with zero channels, whose results
 * are computed and never stored.  Never allocates.
 */
#include "gemm_s8.h"

/* How a layer's epilogue runs: a short mode into [-128, 127], or anything. */
enum { EPI_RELU = 0, EPI_SHORT = 1, EPI_GENERAL = 2 };

static int epi_kind(const kiln_epi *e)
{
    if (!e->full)
        return EPI_GENERAL;
    return e->mode == KILN_RQ_SHORT_RELU ? EPI_RELU
           : e->mode == KILN_RQ_SHORT    ? EPI_SHORT
                                         : EPI_GENERAL;
}

/* The short requantization into [-128, 127]; relu: without the sign term. */
static KILN_ALWAYS_INLINE int8_t out_short(int32_t acc, const kiln_chan_s8 *c, int relu)
{
    return kiln_chan_clamp(kiln_chan_value(acc, c, relu ? KILN_RQ_SHORT_RELU : KILN_RQ_SHORT, 0),
                           1, -128, 127);
}

/* Stores a 2x2 block; y1 NULL: no second row; two: the second channel is real. */
static KILN_ALWAYS_INLINE void store2x2_short(const kiln_acc2x2 *a, const kiln_chan_s8 *c,
                                              int relu, int8_t *y0, int8_t *y1, int two)
{
    y0[0] = out_short(a->c0r0, &c[0], relu);
    if (two)
        y0[1] = out_short(a->c1r0, &c[1], relu);
    if (y1) {
        y1[0] = out_short(a->c0r1, &c[0], relu);
        if (two)
            y1[1] = out_short(a->c1r1, &c[1], relu);
    }
}

static void store2x2_general(const kiln_acc2x2 *a, const kiln_chan_s8 *c, const kiln_epi *e,
                             int8_t *y0, int8_t *y1, int two)
{
    y0[0] = kiln_chan_out(a->c0r0, &c[0], e);
    if (two)
        y0[1] = kiln_chan_out(a->c1r0, &c[1], e);
    if (y1) {
        y1[0] = kiln_chan_out(a->c0r1, &c[0], e);
        if (two)
            y1[1] = kiln_chan_out(a->c1r1, &c[1], e);
    }
}

void kiln_gemm_rows2(const kiln_gemm_job *j, const int16_t *rows, int8_t *y0, int8_t *y1)
{
    const int kind = epi_kind(&j->epi);
    const kiln_chan_s8 *c = j->chan;
    const int32_t wstep = 8 * j->ns; /* elements of one group's weights */
    for (int32_t oc = 0; oc < j->out_c; oc += 2, c += 2) {
        kiln_acc2x2 a;
        a.c0r0 = a.c0r1 = c[0].bias;
        a.c1r0 = a.c1r1 = c[1].bias;
        if (j->w16)
            kiln_mk2x2_p16(rows, (const int16_t *)j->w + (oc / 2) * wstep, j->ns, &a);
        else
            kiln_mk2x2_p8(rows, (const int8_t *)j->w + (oc / 2) * wstep, j->ns, &a);
        int8_t *z1 = y1 ? y1 + oc : 0;
        const int two = oc + 1 < j->out_c;
        if (kind == EPI_RELU)
            store2x2_short(&a, c, 1, y0 + oc, z1, two);
        else if (kind == EPI_SHORT)
            store2x2_short(&a, c, 0, y0 + oc, z1, two);
        else
            store2x2_general(&a, c, &j->epi, y0 + oc, z1, two);
    }
}

void kiln_gemm_row1(const kiln_gemm_job *j, const int16_t *row, int8_t *y)
{
    const int kind = epi_kind(&j->epi);
    const kiln_chan_s8 *c = j->chan;
    const int32_t wstep = 16 * j->ns;
    for (int32_t oc = 0; oc < j->out_c; oc += 4, c += 4) {
        kiln_acc4x1 a;
        a.c0 = c[0].bias, a.c1 = c[1].bias, a.c2 = c[2].bias, a.c3 = c[3].bias;
        if (j->w16)
            kiln_mk4x1_p16(row, (const int16_t *)j->w + (oc / 4) * wstep, j->ns, &a);
        else
            kiln_mk4x1_p8(row, (const int8_t *)j->w + (oc / 4) * wstep, j->ns, &a);
        const int32_t acc[4] = {a.c0, a.c1, a.c2, a.c3};
        const int32_t n = j->out_c - oc < 4 ? j->out_c - oc : 4;
        for (int32_t i = 0; i < n; i++)
            y[oc + i] = kind == EPI_GENERAL ? kiln_chan_out(acc[i], &c[i], &j->epi)
                                            : out_short(acc[i], &c[i], kind == EPI_RELU);
    }
}
