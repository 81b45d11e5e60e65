/*
 * fully_connected_s8_host.c - int8 FULLY_CONNECTED on the host layout
 * (KILN_BLOB_LAYOUT_FC8_HOST, kiln/kernels_s8.h): kiln_fully_connected_s8_host.
 *
 * The Cortex-M streams interleave int16 pairs for SMLAD; a host compiler
 * vectorises those poorly (the 4x1 micro-kernel took 73 % of AD's host time,
 * its out-of-line output stage 17 %).  Here each channel's weights are one
 * contiguous int8 row and each input row is shifted to uint8 once (x + 128,
 * folded into the bias by the compiler), so every channel's reduction is a
 * plain uint8 x int8 dot product over contiguous bytes: gcc/clang at -O3 turn
 * it into VPDPBUSD where the CPU has VNNI (-march=native decides), into
 * widening multiply-adds elsewhere.  The output stage runs on a group's 8
 * channels at once from the group's per-field arrays, so it vectorises too.
 *
 * Portable C99 (the gcc 12 -O3 -march=native build of it ran AD in 6.0 us
 * against 14.7 us for the Cortex-M stream on the same machine), plus, where
 * the compiler targets AVX-512 VNNI, the dot products and the short
 * requantization in intrinsics (3.8 us); both give the same integers, and
 * only `--cpu host` picks this kernel.  Relies on chan_s8.h for the
 * requantization; never allocates.  Batched, rows go in pairs: both
 * are shifted into scratch before either's outputs are written (the in-place
 * rule of the packed FC, compiler/passes/plan_inplace.c).
 */
#include <string.h>

#include "kiln/kernels_s8.h"
#include "chan_s8.h"

#define G KILN_FC_HOST_G

/* Where the host has AVX-512 VNNI (-march=native on such a CPU), the dot
 * products run in intrinsics: eight channels per pass over 64-byte loads of
 * the row, their accumulators reduced together instead of one horizontal sum
 * per channel.  Never on Arm; KILN_FC_HOST_PORTABLE forces the C (tests
 * build both: tests/e2e/fc_host_native.sh). */
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    !defined(KILN_FC_HOST_PORTABLE)
#define KILN_FC_HOST_VNNI 1
#include <immintrin.h>
#else
#define KILN_FC_HOST_VNNI 0
#endif

/* Elements per int32 partial sum: |sum| <= 255 * 128 * 32768 < 2^31, so the
 * dot products cannot overflow; the chunks are added modulo 2^32, like
 * TFLite's int32 sums. */
#define FC_HOST_CHUNK 32768

size_t kiln_fully_connected_s8_host_scratch_size(const kiln_fc_s8_params *p)
{
    return 2u * (size_t)kiln_fc_host_kp(p->in_features);
}

/* One input row as uint8 (x + 128), zero past k (those lanes meet zero weights). */
static void row_u8(uint8_t *d, const int8_t *x, int32_t k, int32_t kp)
{
    int32_t i = 0;
    for (; i < k; i++)
        d[i] = (uint8_t)((uint8_t)x[i] ^ 0x80u);
    for (; i < kp; i++)
        d[i] = 0;
}

#if !KILN_FC_HOST_VNNI
/* acc[0..3] += the row's dot products with four consecutive channel rows. */
static inline void dot4(const uint8_t *x, const int8_t *w, int32_t kp, int32_t *acc)
{
    for (int32_t i0 = 0; i0 < kp; i0 += FC_HOST_CHUNK) {
        const int32_t end = kp - i0 < FC_HOST_CHUNK ? kp : i0 + FC_HOST_CHUNK;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t i = i0; i < end; i++) {
            const int32_t v = x[i];
            s0 += v * w[i], s1 += v * w[kp + i], s2 += v * w[2 * kp + i], s3 += v * w[3 * kp + i];
        }
        acc[0] = (int32_t)((uint32_t)acc[0] + (uint32_t)s0);
        acc[1] = (int32_t)((uint32_t)acc[1] + (uint32_t)s1);
        acc[2] = (int32_t)((uint32_t)acc[2] + (uint32_t)s2);
        acc[3] = (int32_t)((uint32_t)acc[3] + (uint32_t)s3);
    }
}
#endif

#if KILN_FC_HOST_VNNI
/* Four channels' vectors to one whose 128-bit block q holds, in its lanes
 * 0..3, the four channels' sums over block q of their vectors. */
static KILN_ALWAYS_INLINE __m512i sum4(__m512i a, __m512i b, __m512i c, __m512i d)
{
    const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    return _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
}

/* Eight channels' dot products with the row, as two sum4() results: eight
 * accumulators, VPDPBUSD on 64 bytes at a time (a masked last step when kp
 * is not a multiple of 64), wrapping modulo 2^32 like the portable sums. */
static KILN_ALWAYS_INLINE void dot8(const uint8_t *x, const int8_t *w, int32_t kp, __m512i *u)
{
    __m512i a[8];
    for (int c = 0; c < 8; c++)
        a[c] = _mm512_setzero_si512();
    int32_t i = 0;
    for (; i + 64 <= kp; i += 64) {
        const __m512i xv = _mm512_loadu_si512(x + i);
        for (int c = 0; c < 8; c++)
            a[c] = _mm512_dpbusd_epi32(a[c], xv, _mm512_loadu_si512(w + (size_t)c * (size_t)kp + i));
    }
    if (i < kp) {
        const __mmask64 m = ((__mmask64)1 << (kp - i)) - 1;
        const __m512i xv = _mm512_maskz_loadu_epi8(m, x + i);
        for (int c = 0; c < 8; c++)
            a[c] = _mm512_dpbusd_epi32(a[c], xv, _mm512_maskz_loadu_epi8(m, w + (size_t)c * (size_t)kp + i));
    }
    u[0] = sum4(a[0], a[1], a[2], a[3]);
    u[1] = sum4(a[4], a[5], a[6], a[7]);
}

/* acc[0..7] += the row's dot products with a group's 8 rows: dot8(), then
 * the 128-bit blocks of its two sum4() results added across (lanes 0..3 of
 * the first, then of the second, are the channels' totals). */
static void dot_group(const uint8_t *x, const int8_t *w, int32_t kp, int32_t *acc)
{
    __m512i u[2];
    dot8(x, w, kp, u);
    const __m512i s = _mm512_add_epi32(_mm512_shuffle_i32x4(u[0], u[1], 0x44), _mm512_shuffle_i32x4(u[0], u[1], 0xEE));
    const __m512i t = _mm512_add_epi32(_mm512_shuffle_i32x4(s, s, 0x08), _mm512_shuffle_i32x4(s, s, 0x0D));
    const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)acc);
    _mm256_storeu_si256((__m256i *)(void *)acc, _mm256_add_epi32(a, _mm512_castsi512_si256(t)));
}
#endif

/* The short requantizations over all 8 lanes (padding lanes are zeros and
 * never stored): one loop per mode, so each is a straight vector body. */
static KILN_ALWAYS_INLINE void short_lanes(const int32_t *acc, const int32_t *f, int32_t mode,
                                       const kiln_epi *e, int8_t *out)
{
    for (int32_t c = 0; c < G; c++) {
        kiln_chan_s8 ch;
        ch.mult = f[c], ch.shift = f[G + c], ch.rnd_lo = f[2 * G + c], ch.rnd_hi = f[3 * G + c];
        const int32_t v = kiln_chan_value(acc[c], &ch, mode, 0);
        out[c] = (int8_t)(v < e->lo ? e->lo : v > e->hi ? e->hi : v);
    }
}

#if KILN_FC_HOST_VNNI
/* kiln_chan_value's short form on the group's 8 lanes: the 64-bit sums of
 * the channels {0,1,4,5} and {2,3,6,7} (the unpack order, rnd likewise),
 * their high words gathered back into channel order, shifted and clamped. */
static void short_lanes_avx(const int32_t *acc, const int32_t *f, int sign, const kiln_epi *e,
                            int8_t *y, int32_t nv)
{
#define LD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
    const __m256i a = LD(acc), m = LD(f), sh = LD(f + G), rl = LD(f + 2 * G), rh = LD(f + 3 * G);
#undef LD
    __m256i t[2];
    for (int h = 0; h < 2; h++) {
        const __m256i aa = h ? _mm256_unpackhi_epi32(a, a) : _mm256_unpacklo_epi32(a, a);
        const __m256i mm = h ? _mm256_unpackhi_epi32(m, m) : _mm256_unpacklo_epi32(m, m);
        const __m256i r = h ? _mm256_unpackhi_epi32(rl, rh) : _mm256_unpacklo_epi32(rl, rh);
        t[h] = _mm256_add_epi64(r, _mm256_mul_epi32(aa, mm));
        if (sign) /* - [acc < 0] * 2^31: the lane's top bit is acc's sign */
            t[h] = _mm256_sub_epi64(t[h], _mm256_slli_epi64(_mm256_srli_epi64(aa, 63), 31));
    }
    const __m256i hi = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(t[0]),
                                                             _mm256_castsi256_ps(t[1]), 0xDD));
    __m256i v = _mm256_srav_epi32(hi, sh);
    v = _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(e->lo)), _mm256_set1_epi32(e->hi));
    _mm_mask_storeu_epi8(y, (__mmask16)((1u << nv) - 1u), _mm256_cvtepi32_epi8(v));
}
#endif

/* Group output stage: nv (<= 8) outputs from the accumulators. */
static void group_out(const int32_t *acc, const int32_t *f, const kiln_epi *e, int8_t *y, int32_t nv)
{
    int8_t out[G];
#if KILN_FC_HOST_VNNI
    if (e->mode != KILN_RQ_TFLITE) {
        short_lanes_avx(acc, f, e->mode == KILN_RQ_SHORT, e, y, nv);
        return;
    }
#endif
    if (e->mode == KILN_RQ_SHORT_RELU)
        short_lanes(acc, f, KILN_RQ_SHORT_RELU, e, out);
    else if (e->mode == KILN_RQ_SHORT)
        short_lanes(acc, f, KILN_RQ_SHORT, e, out);
    else
        for (int32_t c = 0; c < nv; c++) {
            kiln_chan_s8 ch;
            ch.mult = f[c], ch.shift = f[G + c], ch.rnd_lo = 0, ch.rnd_hi = 0;
            out[c] = kiln_chan_out(acc[c], &ch, e);
        }
    memcpy(y, out, (size_t)nv);
}

/* Every group of the stream against one shifted row into y[0..n). */
static void row_groups(const uint8_t *stream, const uint8_t *row, int32_t k, int32_t n,
                       const kiln_epi *e, int8_t *y)
{
    const int32_t kp = kiln_fc_host_kp(k);
    const size_t step = kiln_fc_host_group_bytes(k);
    for (int32_t c0 = 0; c0 < n; c0 += G, stream += step) {
        const int32_t nv = n - c0 < G ? n - c0 : G;
        int32_t acc[G];
        memcpy(acc, stream, sizeof acc);
        const int8_t *w = (const int8_t *)(stream + sizeof acc);
#if KILN_FC_HOST_VNNI
        dot_group(row, w, kp, acc); /* padding channels' rows are zeros */
#else
        for (int32_t c = 0; c < nv; c += 4) /* padding channels' rows are zeros */
            dot4(row, w + (size_t)c * (size_t)kp, kp, acc + c);
#endif
        const int32_t *f = (const int32_t *)(const void *)(stream + sizeof acc + (size_t)G * (size_t)kp);
        group_out(acc, f, e, y + c0, nv);
    }
}

void kiln_fully_connected_s8_host(const kiln_fc_s8_params *p, const int8_t *x, const void *w,
                                  int8_t *y, void *scratch)
{
    const int32_t k = p->in_features, n = p->out_features, kp = kiln_fc_host_kp(k);
    const kiln_epi e = kiln_epi_of(&p->rq);
    uint8_t *rows = (uint8_t *)scratch;
    for (int32_t b = 0; b < p->batch; b += 2) {
        const int32_t nr = p->batch - b < 2 ? p->batch - b : 2;
        for (int32_t r = 0; r < nr; r++)
            row_u8(rows + (size_t)r * (size_t)kp, x + (size_t)(b + r) * (size_t)k, k, kp);
        for (int32_t r = 0; r < nr; r++)
            row_groups((const uint8_t *)w, rows + (size_t)r * (size_t)kp, k, n, &e,
                       y + (size_t)(b + r) * (size_t)n);
    }
}
