/*
 * data_maxpool.c - MAXPOOL on int8 and uint8 tensors that are plain integers
 * (ONNX MaxPool on integer inputs) or keep one quantization from input to
 * output: 1/2/3-D, NCHW or NHWC, dilations, ceil-mode shapes and ONNX's
 * Indices.
 *
 * A max only selects, so no arithmetic is needed: one byte walk serves both
 * types, comparing each byte XOR a flip constant as unsigned.  For uint8
 * the flip is 0; for int8 it is 0x80, which maps -128..127 onto 0..255 in
 * the same order (v + 128), and the byte written is always the original.
 * The window walk is pool_f32.c's: taps outside the input are skipped, so
 * padded positions never win.  Integer only; never allocates.
 */
#include "kiln/kernels_data.h"

/* Taps k in [0, k) with lo <= start + k*dil < hi: returns [*k0, *k1). */
static void tap_range(int32_t start, int32_t k, int32_t dil, int32_t hi, int32_t *k0, int32_t *k1)
{
    int32_t a = 0, b = k;
    while (a < k && start + a * dil < 0)
        a++;
    while (b > a && start + (b - 1) * dil >= hi)
        b--;
    *k0 = a;
    *k1 = b;
}

static void maxpool_bytes(const kiln_maxpool_int_params *p, const uint8_t *x, uint8_t *y,
                          int64_t *indices, uint8_t flip)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    /* Element strides of a channel and of a pixel in X and Y. */
    const int32_t xcs = p->layout ? 1 : in_pix, xps = p->layout ? p->channels : 1;
    const int32_t ycs = p->layout ? 1 : out_pix, yps = p->layout ? p->channels : 1;
    int32_t is[3];   /* Indices strides of (d, h, w) */
    if (p->storage_order) {
        is[0] = 1;
        is[1] = p->in[0];
        is[2] = p->in[0] * p->in[1];
    } else {
        is[2] = 1;
        is[1] = p->in[2];
        is[0] = p->in[1] * p->in[2];
    }
    for (int32_t n = 0; n < p->batch; n++) {
        const uint8_t *xn = x + n * p->channels * in_pix;
        uint8_t *yn = y + n * p->channels * out_pix;
        for (int32_t od = 0; od < p->out[0]; od++)
        for (int32_t oh = 0; oh < p->out[1]; oh++)
        for (int32_t ow = 0; ow < p->out[2]; ow++) {
            const int32_t o[3] = {od, oh, ow};
            int32_t start[3], k0[3], k1[3];
            for (int a = 0; a < 3; a++) {
                start[a] = o[a] * p->stride[a] - p->pad[a];
                tap_range(start[a], p->k[a], p->dil[a], p->in[a], &k0[a], &k1[a]);
            }
            const int32_t opix = (od * p->out[1] + oh) * p->out[2] + ow;
            for (int32_t c = 0; c < p->channels; c++) {
                const uint8_t *xc = xn + c * xcs;
                uint8_t best = flip;     /* the type's minimum, for an empty window */
                int32_t best_key = -1, best_idx = 0;
                for (int32_t kd = k0[0]; kd < k1[0]; kd++) {
                    const int32_t id = start[0] + kd * p->dil[0];
                    for (int32_t kh = k0[1]; kh < k1[1]; kh++) {
                        const int32_t ih = start[1] + kh * p->dil[1];
                        for (int32_t kw = k0[2]; kw < k1[2]; kw++) {
                            const int32_t iw = start[2] + kw * p->dil[2];
                            const uint8_t v = xc[((id * p->in[1] + ih) * p->in[2] + iw) * xps];
                            const int32_t key = (int32_t)(uint8_t)(v ^ flip);
                            if (key > best_key) {
                                best_key = key;
                                best = v;
                                best_idx = id * is[0] + ih * is[1] + iw * is[2];
                            }
                        }
                    }
                }
                yn[opix * yps + c * ycs] = best;
                if (indices)
                    indices[(int64_t)(n * p->channels + c) * out_pix + opix] =
                        (int64_t)(n * p->channels + c) * in_pix + best_idx;
            }
        }
    }
}

void kiln_maxpool_uint8(const kiln_maxpool_int_params *p, const uint8_t *x, uint8_t *y,
                        int64_t *indices)
{
    maxpool_bytes(p, x, y, indices, 0x00);
}

void kiln_maxpool_int8(const kiln_maxpool_int_params *p, const int8_t *x, int8_t *y, int64_t *indices)
{
    /* int8_t and uint8_t bytes may alias (character types). */
    maxpool_bytes(p, (const uint8_t *)x, (uint8_t *)y, indices, 0x80);
}
