/*
 * gemm_s8.c - the channel loop of the packed int8 conv and FC kernels: for
 * one or two rows of int16 slices in scratch, every output channel group of
 * the packed stream is started at its folded biases, run through a
 * micro-kernel (gemm_s8.h) and requantized into the output (chan_s8.h).
 *
 * On a DSP core the common case (short requantization into [-128, 127],
 * two rows, full groups) runs in gemm_s8_dsp.c's assembly; what is left
 * (the exact requantization or a narrower clamp, a group with one real
 * channel, a single row) runs here, with the inline micro-kernels.  Relies
 * on the compiler's packing: groups padded with zero channels, whose
 * results are computed and never stored.  Never allocates.
 */
#include "gemm_s8.h"
#include "bytes.h"

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

/* A group of the stream: the accumulators' start, slices, requantization. */
typedef struct kiln_group {
    const int32_t *acc;
    const void *slices;
    const kiln_chan_s8 *chan;
} kiln_group;

static kiln_group group_at(const kiln_gemm_job *j, int32_t g, int32_t size)
{
    const uint8_t *p = j->w + (size_t)g * kiln_packed_group_bytes(j->ns, size, j->w16);
    kiln_group r;
    r.acc = (const int32_t *)(const void *)p;
    r.slices = p + 16;
    r.chan = (const kiln_chan_s8 *)(const void *)(p + 16 + (size_t)j->ns * size * (j->w16 ? 8 : 4));
    return r;
}

static int8_t out_of(int32_t acc, const kiln_chan_s8 *c, const kiln_epi *e, int kind)
{
    if (kind == EPI_RELU)
        return kiln_chan_clamp(kiln_chan_value(acc, c, KILN_RQ_SHORT_RELU, 0), 1, -128, 127);
    if (kind == EPI_SHORT)
        return kiln_chan_clamp(kiln_chan_value(acc, c, KILN_RQ_SHORT, 0), 1, -128, 127);
    return kiln_chan_out(acc, c, e);
}

/* Groups [g0, end) over two rows, in C (and the inline micro-kernels). */
static KILN_ALWAYS_INLINE void rows2_c(const kiln_gemm_job *j, int32_t g0, const int16_t *rows,
                                       int8_t *y0, int8_t *y1, int w16)
{
    const int kind = j->kind;
    for (int32_t oc = 2 * g0; oc < j->out_c; oc += 2) {
        const kiln_group g = group_at(j, oc / 2, 2);
        kiln_acc2x2 a;
        a.c0r0 = g.acc[0], a.c0r1 = g.acc[1], a.c1r0 = g.acc[2], a.c1r1 = g.acc[3];
        if (w16)
            kiln_mk2x2_p16(rows, (const int16_t *)g.slices, j->ns, &a);
        else
            kiln_mk2x2_p8(rows, (const int8_t *)g.slices, j->ns, &a);
        const int two = oc + 1 < j->out_c;
        y0[oc] = out_of(a.c0r0, &g.chan[0], &j->epi, kind);
        if (two)
            y0[oc + 1] = out_of(a.c1r0, &g.chan[1], &j->epi, kind);
        if (y1) {
            y1[oc] = out_of(a.c0r1, &g.chan[0], &j->epi, kind);
            if (two)
                y1[oc + 1] = out_of(a.c1r1, &g.chan[1], &j->epi, kind);
        }
    }
}

void kiln_gemm_rows2_c_p16(const kiln_gemm_job *j, int32_t g0, const int16_t *rows, int8_t *y0,
                           int8_t *y1)
{
    rows2_c(j, g0, rows, y0, y1, 1);
}

void kiln_gemm_rows2_c_p8(const kiln_gemm_job *j, int32_t g0, const int16_t *rows, int8_t *y0,
                          int8_t *y1)
{
    rows2_c(j, g0, rows, y0, y1, 0);
}

void kiln_gemm_start(kiln_gemm_job *j)
{
    j->kind = epi_kind(&j->epi);
    j->g0 = 0;
#if KILN_HAS_DSP
    /* The assembly needs a second row to write: y1, or the spare. */
    if (j->kind != EPI_GENERAL && j->spare && j->out_c >= 2 && j->rows2) {
        const int32_t groups = j->out_c / 2;
        kiln_rows2_args *a = &j->a;
        kiln_bytes_fill(a, 0, sizeof *a); /* entry 0: the first call prepares */
        a->stream = j->w;
        a->end = j->w + (size_t)groups * kiln_packed_group_bytes(j->ns, 2, j->w16);
        a->ns = j->ns, a->relu = j->kind == EPI_RELU;
        j->g0 = groups;
    }
#endif
}

/* What the assembly leaves (or everything, where it does not run); kept
 * out of line so that kiln_gemm_rows2's common case needs no frame. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void rows2_rest(kiln_gemm_job *j, const int16_t *rows, int8_t *y0, int8_t *y1)
{
#if KILN_HAS_DSP
    if (j->g0) {
        j->a.y = y0, j->a.y1 = y1 ? y1 : j->spare, j->a.rows = rows; /* it writes both rows */
        j->rows2(&j->a);
    }
#endif
    j->rows2c(j, j->g0, rows, y0, y1);
}

void kiln_gemm_rows2(kiln_gemm_job *j, const int16_t *rows, int8_t *y0, int8_t *y1)
{
#if KILN_HAS_DSP
    /* The common case, every group in the assembly, as a tail call: no
     * frame of its own (the pair loops call this once per pixel pair). */
    if (j->g0 * 2 >= j->out_c && j->g0) {
        j->a.y = y0, j->a.y1 = y1 ? y1 : j->spare, j->a.rows = rows;
        j->rows2(&j->a);
        return;
    }
#endif
    rows2_rest(j, rows, y0, y1);
}

#if KILN_HAS_DSP
/* One row through gemm_s8_dsp.c: every full group in one call when the
 * short requantization applies; the rest (a last group with fewer than four
 * real channels, or every group under the exact requantization) a group per
 * call in raw mode, requantized here. */
static void row1_dsp(const kiln_gemm_job *j, const int16_t *row, int8_t *y,
                     void (*fn)(kiln_row1_args *))
{
    const size_t step = kiln_packed_group_bytes(j->ns, 4, j->w16);
    const int32_t full = j->kind == EPI_GENERAL ? 0 : j->out_c / 4;
    kiln_row1_args a;
    a.y = y, a.row = row, a.row_end = row + 4 * j->ns, a.stream = j->w;
    if (full) {
        a.end = j->w + (size_t)full * step, a.kind = j->kind;
        fn(&a);
    }
    a.kind = 2;
    for (int32_t oc = 4 * full; oc < j->out_c; oc += 4) {
        const uint8_t *g = j->w + (size_t)(oc / 4) * step;
        const kiln_chan_s8 *c = (const kiln_chan_s8 *)(const void *)(g + step - 4 * sizeof *c);
        a.stream = g, a.end = g + step;
        fn(&a);
        for (int32_t i = 0; i < 4 && oc + i < j->out_c; i++)
            y[oc + i] = out_of(a.acc[i], &c[i], &j->epi, j->kind);
    }
}

void kiln_gemm_row1_p16(const kiln_gemm_job *j, const int16_t *row, int8_t *y)
{
    row1_dsp(j, row, y, kiln_row1_p16_dsp);
}

void kiln_gemm_row1_p8(const kiln_gemm_job *j, const int16_t *row, int8_t *y)
{
    row1_dsp(j, row, y, kiln_row1_p8_dsp);
}
#else
static KILN_ALWAYS_INLINE void row1(const kiln_gemm_job *j, const int16_t *row, int8_t *y, int w16)
{
    for (int32_t oc = 0; oc < j->out_c; oc += 4) {
        const kiln_group g = group_at(j, oc / 4, 4);
        kiln_acc4x1 a;
        a.c0 = g.acc[0], a.c1 = g.acc[1], a.c2 = g.acc[2], a.c3 = g.acc[3];
        if (w16)
            kiln_mk4x1_p16(row, (const int16_t *)g.slices, j->ns, &a);
        else
            kiln_mk4x1_p8(row, (const int8_t *)g.slices, j->ns, &a);
        const int32_t acc[4] = {a.c0, a.c1, a.c2, a.c3};
        for (int32_t i = 0; i < 4 && oc + i < j->out_c; i++)
            y[oc + i] = out_of(acc[i], &g.chan[i], &j->epi, j->kind);
    }
}

void kiln_gemm_row1_p16(const kiln_gemm_job *j, const int16_t *row, int8_t *y) { row1(j, row, y, 1); }

void kiln_gemm_row1_p8(const kiln_gemm_job *j, const int16_t *row, int8_t *y) { row1(j, row, y, 0); }
#endif
