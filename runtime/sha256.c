/*
 * sha256.c - SHA-256 as FIPS 180-4 defines it (sections 4.1.2, 4.2.2, 5.1.1,
 * 5.3.3, 6.2), streaming.
 *
 * Written for a Cortex-M7 checking a memory-mapped blob at boot: whole
 * blocks are hashed straight from the caller's bytes (no copy).  Two forms
 * of the compression function, the same arithmetic: the rounds unrolled
 * eight at a time with the working variables renamed instead of shifted
 * (a round is its arithmetic and nothing else; 2.7 KB of Cortex-M7 code),
 * and, when the build optimises for size (-Os, what firmware ships) or
 * defines KILN_SHA256_SMALL, one round per loop pass (about a quarter of
 * the code; 66,100 instead of 49,200 instructions per KiB against the -O2
 * unrolled form, bench/integrity.sh, docs/security.md).  KILN_SHA256_FAST forces the unrolled form at -Os.  Bytes are
 * read one at a time, so the input may sit at any address.  No allocation,
 * no stdio, no global mutable state.
 */
#include "kiln/sha256.h"

/* The first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define BSIG1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define SSIG0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))

/* W[t] for t >= 16, kept in a ring of 16: slot t&15 holds W[t-16] until
 * it is replaced by W[t] = SSIG1(W[t-2]) + W[t-7] + SSIG0(W[t-15]) + W[t-16]. */
#define SCHED(w, t) \
    (w[(t) & 15] += SSIG1(w[((t) + 14) & 15]) + w[((t) + 9) & 15] + SSIG0(w[((t) + 1) & 15]))

/* One round, with the eight working variables named in their current roles;
 * the caller rotates the names instead of moving the values. */
#define ROUND(a, b, c, d, e, f, g, h, t, wt)                       \
    do {                                                            \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + K[t] + (wt);  \
        (d) += t1_;                                                 \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                        \
    } while (0)

static uint32_t rd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void wr_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#if defined(KILN_SHA256_SMALL) || (defined(__OPTIMIZE_SIZE__) && !defined(KILN_SHA256_FAST))
/* FIPS 180-4, 6.2.2: one 64-byte block into the chaining state, one round
 * a pass. */
static void compress(uint32_t st[8], const uint8_t *p)
{
    uint32_t w[16];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    unsigned t;

    for (t = 0; t < 64; t++) {
        uint32_t wt = t < 16 ? (w[t] = rd_be32(p + 4u * t)) : SCHED(w, t);
        uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[t] + wt;
        uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}
#else
/* FIPS 180-4, 6.2.2: one 64-byte block into the chaining state. */
static void compress(uint32_t st[8], const uint8_t *p)
{
    uint32_t w[16];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    unsigned t;

    for (t = 0; t < 16; t++)
        w[t] = rd_be32(p + 4u * t);
    for (t = 0; t < 16; t += 8) {
        ROUND(a, b, c, d, e, f, g, h, t + 0, w[t + 0]);
        ROUND(h, a, b, c, d, e, f, g, t + 1, w[t + 1]);
        ROUND(g, h, a, b, c, d, e, f, t + 2, w[t + 2]);
        ROUND(f, g, h, a, b, c, d, e, t + 3, w[t + 3]);
        ROUND(e, f, g, h, a, b, c, d, t + 4, w[t + 4]);
        ROUND(d, e, f, g, h, a, b, c, t + 5, w[t + 5]);
        ROUND(c, d, e, f, g, h, a, b, t + 6, w[t + 6]);
        ROUND(b, c, d, e, f, g, h, a, t + 7, w[t + 7]);
    }
    for (t = 16; t < 64; t += 8) {
        ROUND(a, b, c, d, e, f, g, h, t + 0, SCHED(w, t + 0));
        ROUND(h, a, b, c, d, e, f, g, t + 1, SCHED(w, t + 1));
        ROUND(g, h, a, b, c, d, e, f, t + 2, SCHED(w, t + 2));
        ROUND(f, g, h, a, b, c, d, e, t + 3, SCHED(w, t + 3));
        ROUND(e, f, g, h, a, b, c, d, t + 4, SCHED(w, t + 4));
        ROUND(d, e, f, g, h, a, b, c, t + 5, SCHED(w, t + 5));
        ROUND(c, d, e, f, g, h, a, b, t + 6, SCHED(w, t + 6));
        ROUND(b, c, d, e, f, g, h, a, t + 7, SCHED(w, t + 7));
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}
#endif

void kiln_sha256_init(kiln_sha256_ctx *c)
{
    /* The first 32 bits of the fractional parts of the square roots of the
     * first 8 primes (FIPS 180-4, 5.3.3). */
    c->h[0] = 0x6a09e667u;
    c->h[1] = 0xbb67ae85u;
    c->h[2] = 0x3c6ef372u;
    c->h[3] = 0xa54ff53au;
    c->h[4] = 0x510e527fu;
    c->h[5] = 0x9b05688cu;
    c->h[6] = 0x1f83d9abu;
    c->h[7] = 0x5be0cd19u;
    c->bytes = 0;
    c->fill = 0;
}

void kiln_sha256_update(kiln_sha256_ctx *c, const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    c->bytes += n;
    /* Top up a started block first; then whole blocks straight from p. */
    if (c->fill) {
        while (n && c->fill < KILN_SHA256_BLOCK) {
            c->block[c->fill++] = *p++;
            n--;
        }
        if (c->fill < KILN_SHA256_BLOCK)
            return;
        compress(c->h, c->block);
        c->fill = 0;
    }
    for (; n >= KILN_SHA256_BLOCK; n -= KILN_SHA256_BLOCK, p += KILN_SHA256_BLOCK)
        compress(c->h, p);
    while (n--)
        c->block[c->fill++] = *p++;
}

/* FIPS 180-4, 5.1.1: a 1 bit, zeros up to 56 mod 64, the length in bits as
 * a big-endian 64-bit number. */
void kiln_sha256_final(kiln_sha256_ctx *c, uint8_t digest[KILN_SHA256_BYTES])
{
    uint64_t bits = c->bytes * 8u;
    unsigned i;
    c->block[c->fill++] = 0x80u;
    if (c->fill > KILN_SHA256_BLOCK - 8u) {
        while (c->fill < KILN_SHA256_BLOCK)
            c->block[c->fill++] = 0;
        compress(c->h, c->block);
        c->fill = 0;
    }
    while (c->fill < KILN_SHA256_BLOCK - 8u)
        c->block[c->fill++] = 0;
    wr_be32(c->block + 56, (uint32_t)(bits >> 32));
    wr_be32(c->block + 60, (uint32_t)bits);
    compress(c->h, c->block);
    for (i = 0; i < 8u; i++)
        wr_be32(digest + 4u * i, c->h[i]);
    c->fill = 0;
}

void kiln_sha256(const void *data, size_t n, uint8_t digest[KILN_SHA256_BYTES])
{
    kiln_sha256_ctx c;
    kiln_sha256_init(&c);
    kiln_sha256_update(&c, data, n);
    kiln_sha256_final(&c, digest);
}
