/*
 * fuzz_infer.c - fuzz target: arbitrary bytes as the input tensors of real
 * generated networks with their real weights (compiled in): what a sensor,
 * a file or a host sends to kiln_net_run.  Any input value is legitimate
 * data, NaN and infinities included, so no kernel may hit undefined
 * behaviour on it, and none may read or write outside the caller's buffers.
 *
 * Input: byte 0 picks the network: fz_cnn_in (small_cnn.onnx, float) or
 * fz_s8_in (qdq_torch_cnn.onnx: float in, QuantizeLinear, int8 layers); the
 * rest is repeated to fill every input.  Inputs and outputs are caller
 * buffers of exactly their declared size (odd bytes of byte 0 instead pass
 * NULL, so the tensors live in the arena), so ASan sees any access beyond.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "fz_cnn_in.h"
#include "fz_s8_in.h"
#include "kiln/model.h"

#define MAX_IO 8

static void *xalloc(size_t n, size_t align)
{
    void *p = NULL;
    if (posix_memalign(&p, align, n ? n : 1))
        abort();
    return p;
}

static void fill(uint8_t *dst, size_t n, const uint8_t *src, size_t len)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = len ? src[i % len] : 0;
}

static void infer(const kiln_model *m, const uint8_t *src, size_t len, int caller_bufs)
{
    if (m->n_inputs > MAX_IO || m->n_outputs > MAX_IO)
        abort();
    uint8_t *arena = xalloc(m->arena_bytes, m->arena_align ? m->arena_align : 16);
    memset(arena, 0x5A, m->arena_bytes ? m->arena_bytes : 1);
    kiln_net net;
    if (kiln_net_init(&net, m, NULL, 0, arena, m->arena_bytes, 0) != KILN_OK)
        fuzz_fail("init refused the compiled-in blob of %s", m->name);
    void *in[MAX_IO] = {0}, *out[MAX_IO] = {0};
    for (uint32_t i = 0; i < m->n_inputs; i++) {
        in[i] = caller_bufs ? xalloc(m->inputs[i].bytes, 16) : kiln_net_input(&net, i);
        fill(in[i], m->inputs[i].bytes, src, len);
    }
    for (uint32_t i = 0; caller_bufs && i < m->n_outputs; i++)
        out[i] = xalloc(m->outputs[i].bytes, 16);
    if (kiln_net_run(&net, caller_bufs ? (const void *const *)in : NULL, caller_bufs ? out : NULL) != KILN_OK)
        fuzz_fail("run refused after init accepted");
    for (uint32_t i = 0; caller_bufs && i < MAX_IO; i++) {
        free(in[i]);
        free(out[i]);
    }
    free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    infer((data[0] & 1) ? &fz_s8_in_model : &fz_cnn_in_model, data + 1, size - 1, !(data[0] & 2));
    return 0;
}
