/*
 * fake.c - a hand-written stand-in for a generated network, for testing the
 * QEMU target before real models compile (tests/e2e/qemu_protocol.sh).
 *
 * Inputs  x f32[16], k s8[3];  outputs y f32[16], s s32[2]:
 *   y[i] = x[i] * w[i] + b[i] + k[0]      (w, b: the blob's tensors 0 and 1)
 *   s[0] = k[0] + k[1] + k[2]
 *   s[1] = iterations of a 2-instruction busy loop: 10000 * (uint8_t)k[2]
 * and k[1] selects a misbehaviour: 1 = undefined instruction (HardFault),
 * 2 = never return (timeout), 3 = a long run of 350,000,000 iterations
 * (700 M instructions, past the 2^24-tick wrap of SysTick).  The tensors' blob offsets are read from the
 * blob's directory, so the blob may be rebuilt without touching this file.
 */
#include "fake.h"

#define ARENA_X 0u
#define ARENA_K 64u
#define ARENA_Y 80u
#define ARENA_S 144u

static uint32_t tensor_offset(const uint8_t *w, uint32_t i)
{
    const uint8_t *dir = w + kiln_rd_u32(w + KILN_BLOB_OFF_DIR);
    return kiln_rd_u32(dir + i * KILN_BLOB_DIR_ENTRY_SIZE + KILN_BLOB_DIR_OFF_OFFSET);
}

static void fake_invoke(const uint8_t *w, uint8_t *arena, const void *const *in, void *const *out)
{
    const float *x = (in && in[0]) ? (const float *)in[0] : (const float *)(arena + ARENA_X);
    const int8_t *k = (in && in[1]) ? (const int8_t *)in[1] : (const int8_t *)(arena + ARENA_K);
    float *y = (out && out[0]) ? (float *)out[0] : (float *)(arena + ARENA_Y);
    int32_t *s = (out && out[1]) ? (int32_t *)out[1] : (int32_t *)(arena + ARENA_S);
    const float *wt = (const float *)(w + tensor_offset(w, 0));
    const float *bt = (const float *)(w + tensor_offset(w, 1));
    uint32_t i, n = k[1] == 3 ? 350000000u : 10000u * (uint32_t)(uint8_t)k[2];

    if (k[1] == 1)
        __builtin_trap();
    if (k[1] == 2)
        for (;;)
            __asm__ volatile("" ::: "memory");
    for (i = 0; i < 16; i++)
        y[i] = x[i] * wt[i] + bt[i] + (float)k[0];
    s[0] = (int32_t)k[0] + k[1] + k[2];
    s[1] = (int32_t)n;
    if (n) {
        /* Exactly 2 instructions per iteration: a known amount of work to
         * check the tick counter against. */
        __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n)::"cc");
    }
}

static const kiln_io_desc fake_inputs[2] = {
    {"x", KILN_BLOB_DT_F32, 1, {16, 0, 0, 0, 0, 0}, 64u, ARENA_X, 0.0f, 0},
    {"k", KILN_BLOB_DT_S8, 1, {3, 0, 0, 0, 0, 0}, 3u, ARENA_K, 0.0f, 0},
};
static const kiln_io_desc fake_outputs[2] = {
    {"y", KILN_BLOB_DT_F32, 1, {16, 0, 0, 0, 0, 0}, 64u, ARENA_Y, 0.0f, 0},
    {"s", KILN_BLOB_DT_S32, 1, {2, 0, 0, 0, 0, 0}, 8u, ARENA_S, 0.0f, 0},
};

/* The blob is pinned by CRC-32 (a SHA-256 would need a digest tool here);
 * the header fields come from make_blob's fake_blob_size.h. */
const kiln_model fake_model = {
    .name = "fake",
    .signature = fake_SIGNATURE,
    .arena_bytes = fake_ARENA_BYTES,
    .arena_align = fake_ARENA_ALIGN,
    .blob_bytes = fake_BLOB_BYTES,
#if fake_WEIGHTS_INLINE
    .inline_blob = fake_blob,
#endif
    .n_inputs = 2,
    .n_outputs = 2,
    .inputs = fake_inputs,
    .outputs = fake_outputs,
    .invoke = fake_invoke,
    .blob = {
        .signature = fake_SIGNATURE,
        .total_size = fake_BLOB_BYTES,
        .flags = FAKE_BLOB_FLAGS,
        .align = FAKE_BLOB_ALIGN,
        .tensor_count = FAKE_BLOB_TENSORS,
        .dir_offset = FAKE_BLOB_DIR,
        .data_offset = FAKE_BLOB_DATA,
        .payload_crc = FAKE_BLOB_CRC,
        .integrity = KILN_INTEGRITY_CRC32,
    },
};
