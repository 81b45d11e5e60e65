/* fake.h - a hand-written stand-in for a generated network header (see
 * README in this directory).  Same shape as what `kiln generate` writes. */
#ifndef fake_H
#define fake_H

#include "kiln/model.h"
#include "fake_blob_size.h" /* written by make_blob with the blob */

#define fake_ARENA_BYTES 160u
#define fake_ARENA_ALIGN 16u
#define fake_BLOB_BYTES FAKE_BLOB_BYTES_VALUE
#define fake_SIGNATURE 0x6b696c6e66616b65ull /* "kilnfake" */
#ifndef fake_WEIGHTS_INLINE
#define fake_WEIGHTS_INLINE 0
#endif
#define fake_NUM_INPUTS 2
#define fake_NUM_OUTPUTS 2
#define fake_INPUT0_BYTES 64u  /* x f32 [16] */
#define fake_INPUT1_BYTES 3u   /* k s8 [3] */
#define fake_OUTPUT0_BYTES 64u /* y f32 [16] */
#define fake_OUTPUT1_BYTES 8u  /* s s32 [2] */

extern const kiln_model fake_model;
#if fake_WEIGHTS_INLINE
extern const uint8_t fake_blob[];
#endif

static inline kiln_status fake_init(kiln_net *net, const void *blob, size_t capacity, void *arena,
                                    size_t arena_bytes, uint32_t flags)
{
    return kiln_net_init(net, &fake_model, blob, capacity, arena, arena_bytes, flags);
}

#endif
