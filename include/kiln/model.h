/*
 * model.h - what a generated network looks like from the outside.
 *
 * `kiln generate` writes NET.c/NET.h; NET.c defines one `const kiln_model
 * NET_model` describing its inputs, outputs, arena and weights, and the two
 * entry points.  Harnesses (the host validator, the QEMU firmware, a user's
 * application) drive any network through this descriptor alone, so one
 * harness binary serves every model.
 *
 * There is no global mutable state: everything a running network needs is in
 * the caller's kiln_net and arena.
 */
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "kiln/blob.h"
#include "kiln/status.h"
#include "kiln/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_MAX_DIMS 6

/* Alignment of inline weights and of arenas declared by harnesses.  Compilers
 * without the GNU attribute get none: then align the arrays by other means. */
#if defined(__GNUC__) || defined(__clang__)
#define KILN_ALIGNED(n) __attribute__((aligned(n)))
#else
#define KILN_ALIGNED(n)
#endif

/* Element types of inputs/outputs; the same numbers as kiln_blob_dtype. */
typedef kiln_blob_dtype kiln_dtype;

typedef struct kiln_io_desc {
    const char *name;
    kiln_dtype dtype;
    int32_t rank;
    int32_t shape[KILN_MAX_DIMS];
    uint32_t bytes;
    uint32_t arena_offset;      /* where the tensor lives when the caller gives no buffer */
    float scale;                /* per-tensor quantization, 0 when not quantized */
    int32_t zero_point;
} kiln_io_desc;

/* A region of the arena that keeps its bytes between runs (a stateful op's
 * memory, e.g. SVDF's activation history); init and reset set every byte to
 * `fill` (0, or an int8 state's zero point, as TFLite-Micro resets it). */
typedef struct kiln_state_desc {
    uint32_t offset;
    uint32_t bytes;
    uint32_t fill;              /* byte value, 0..255 */
} kiln_state_desc;

struct kiln_net;

typedef struct kiln_model {
    const char *name;
    uint64_t signature;         /* must equal the blob header's (and blob.signature) */
    uint32_t arena_bytes;       /* caller's arena must be at least this */
    uint32_t arena_align;       /* ... and aligned to this */
    uint32_t blob_bytes;        /* header + payload of the matching blob (and blob.total_size) */
    uintptr_t blob_address;     /* default memory-mapped address, 0 if none */
    const void *inline_blob;    /* the blob compiled in (internal flash), or NULL */
    uint32_t n_inputs;
    uint32_t n_outputs;
    const kiln_io_desc *inputs;
    const kiln_io_desc *outputs;
    uint32_t n_state;
    const kiln_state_desc *state;
    /* Runs every layer; called by kiln_net_run after the argument checks. */
    void (*invoke)(const uint8_t *weights, uint8_t *arena, const void *const *in, void *const *out);
    /* The blob this code was generated with: every header field, and the
     * payload's CRC-32 or SHA-256.  The kernels read at offsets compiled in,
     * so init refuses any blob that differs (kiln_blob_check_model). */
    kiln_blob_expect blob;
    /* Stream mode (kiln generate --weights stream; docs/streaming.md): the
     * code never dereferences the blob.  invoke is NULL and invoke_stream
     * stages each layer's weights through the read callback into the arena's
     * bytes [stage_offset, stage_offset + stage_bytes), and returns KILN_OK,
     * KILN_E_IO (a read failed) or KILN_E_BLOB_PAYLOAD_CRC (the staged bytes
     * are not the checked ones).  NULL / 0 in memory-mapped and inline mode. */
    kiln_status (*invoke_stream)(const kiln_stream_src *src, uint8_t *arena, const void *const *in,
                                 void *const *out);
    uint32_t stage_offset;
    uint32_t stage_bytes;
} kiln_model;

typedef struct kiln_net {
    const kiln_model *model;
    const uint8_t *blob;        /* checked blob base */
    uint8_t *arena;
    uint32_t ready;             /* set only by a successful kiln_net_init */
    kiln_blob_report report;    /* what the blob check found */
    kiln_stream_src src;        /* stream mode: the read callback init checked through */
} kiln_net;

/*
 * Check the blob and bind the arena.  blob == NULL means: the model's inline
 * blob if it has one, else the default address (model->blob_address) with
 * capacity model->blob_bytes when capacity is 0.  flags: KILN_BLOB_CHECK_*.
 * The blob must be exactly the one the code was generated with
 * (kiln_blob_check_model against model->blob); KILN_E_MODEL when the
 * descriptor's own copies of the signature and blob size disagree.
 * On any failure the net stays unusable and kiln_net_run refuses to run.
 */
kiln_status kiln_net_init(kiln_net *net, const kiln_model *model, const void *blob, size_t capacity,
                          void *arena, size_t arena_bytes, uint32_t flags);

/* inputs[i]/outputs[i] may be NULL (or the arrays themselves NULL): the
 * tensor then lives in the arena, see kiln_net_input()/kiln_net_output(). */
kiln_status kiln_net_run(kiln_net *net, const void *const *inputs, void *const *outputs);

/* Resets the network's state (stateful models only; a no-op otherwise) to
 * what init leaves (kiln_state_desc.fill): the next run starts from a fresh
 * history. */
kiln_status kiln_net_reset(kiln_net *net);

void *kiln_net_input(kiln_net *net, uint32_t i);
const void *kiln_net_output(const kiln_net *net, uint32_t i);

#ifdef __cplusplus
}
#endif
#endif
