/*
 * net.c - binds a generated network to its weights blob and arena, and runs it.
 *
 * The generated code only computes; every check that protects it lives here,
 * once: the blob is the one the code was generated with (kiln_blob_check_model
 * against the descriptor's expectation: every header field, and the payload's
 * CRC-32 or SHA-256), the arena is big and aligned enough, and run refuses
 * anything not initialised.  Because the payload size is pinned and the blob
 * must fit in the memory given, every offset the kernels read at lies inside
 * the checked bytes.
 */
#include "kiln/model.h"

kiln_status kiln_net_init(kiln_net *net, const kiln_model *model, const void *blob, size_t capacity,
                          void *arena, size_t arena_bytes, uint32_t flags)
{
    kiln_status s;

    if (!net)
        return KILN_E_ARG;
    net->ready = 0;
    net->model = model;
    net->blob = 0;
    net->arena = 0;
    net->src.read = 0;
    if (!model)
        return KILN_E_ARG;
    if (!model->invoke)
        return KILN_E_ARG; /* a stream-mode model: kiln_net_init_stream */
    if (!blob) {
        if (model->inline_blob) {
            blob = model->inline_blob;
            capacity = model->blob_bytes;
        } else if (model->blob_address) {
            blob = (const void *)model->blob_address;
            if (capacity == 0)
                capacity = model->blob_bytes;
        }
    }
    /* The descriptor's top-level copies are what harnesses print and size
     * buffers with: they must be the ones the check uses. */
    if (model->blob.signature != model->signature || model->blob.total_size != model->blob_bytes)
        s = kiln_blob_check_model(blob, capacity, 0, flags, &net->report); /* KILN_E_MODEL */
    else
        s = kiln_blob_check_model(blob, capacity, &model->blob, flags, &net->report);
    if (s != KILN_OK)
        return s;
    if (model->arena_bytes > 0) {
        if (!arena)
            return KILN_E_ARG;
        if (arena_bytes < model->arena_bytes)
            return KILN_E_ARENA_SMALL;
        if (model->arena_align && (uintptr_t)arena % model->arena_align != 0)
            return KILN_E_ARENA_ALIGN;
    }
    net->blob = (const uint8_t *)blob;
    net->arena = (uint8_t *)arena;
    net->ready = 1;
    return kiln_net_reset(net);
}

kiln_status kiln_net_reset(kiln_net *net)
{
    uint32_t i, j;
    if (!net || !net->model)
        return KILN_E_ARG;
    if (!net->ready)
        return KILN_E_NOT_READY;
    for (i = 0; i < net->model->n_state; i++) {
        uint8_t *p = net->arena + net->model->state[i].offset;
        const uint8_t fill = (uint8_t)net->model->state[i].fill;
        for (j = 0; j < net->model->state[i].bytes; j++)
            p[j] = fill;
    }
    return KILN_OK;
}

kiln_status kiln_net_run(kiln_net *net, const void *const *inputs, void *const *outputs)
{
    if (!net || !net->model)
        return KILN_E_ARG;
    if (!net->ready)
        return KILN_E_NOT_READY;
    if (net->model->invoke_stream)
        return net->model->invoke_stream(&net->src, net->arena, inputs, outputs);
    net->model->invoke(net->blob, net->arena, inputs, outputs);
    return KILN_OK;
}

void *kiln_net_input(kiln_net *net, uint32_t i)
{
    if (!net || !net->ready || i >= net->model->n_inputs)
        return 0;
    return net->arena + net->model->inputs[i].arena_offset;
}

const void *kiln_net_output(const kiln_net *net, uint32_t i)
{
    if (!net || !net->ready || i >= net->model->n_outputs)
        return 0;
    return net->arena + net->model->outputs[i].arena_offset;
}
