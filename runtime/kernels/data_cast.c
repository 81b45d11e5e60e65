/*
 * data_cast.c - CAST between the element types the runtime knows.
 *
 * Each element is read into one of three carriers (double for float32,
 * int64 for signed, uint64 for unsigned/bool) and written from it, so every
 * pair of types takes the same two small switches.  Float to integer
 * truncates toward zero and saturates (NaN gives 0), which keeps the C
 * conversion defined; integer to integer wraps (two's complement), as numpy
 * and ONNX do.  Integer to float converts directly from the carrier, with a
 * single rounding.  Uses memcpy for the reads and writes; no allocation.
 */
#include <string.h>

#include "kiln/kernels_data.h"

enum { DT_F32 = 1, DT_S8, DT_U8, DT_S16, DT_S32, DT_S64, DT_U16, DT_U32, DT_BOOL, DT_U64 };

typedef enum carrier { CAR_F, CAR_S, CAR_U } carrier;

typedef struct value {
    carrier kind;
    double f;
    int64_t s;
    uint64_t u;
} value;

static value load(int32_t dt, const unsigned char *p)
{
    value v = {CAR_U, 0.0, 0, 0};
    switch (dt) {
    case DT_F32: { float f; memcpy(&f, p, 4); v.kind = CAR_F; v.f = (double)f; break; }
    case DT_S8: { int8_t t; memcpy(&t, p, 1); v.kind = CAR_S; v.s = t; break; }
    case DT_S16: { int16_t t; memcpy(&t, p, 2); v.kind = CAR_S; v.s = t; break; }
    case DT_S32: { int32_t t; memcpy(&t, p, 4); v.kind = CAR_S; v.s = t; break; }
    case DT_S64: { int64_t t; memcpy(&t, p, 8); v.kind = CAR_S; v.s = t; break; }
    case DT_U8: case DT_BOOL: { uint8_t t; memcpy(&t, p, 1); v.u = t; break; }
    case DT_U16: { uint16_t t; memcpy(&t, p, 2); v.u = t; break; }
    case DT_U32: { uint32_t t; memcpy(&t, p, 4); v.u = t; break; }
    case DT_U64: { uint64_t t; memcpy(&t, p, 8); v.u = t; break; }
    default: break;
    }
    return v;
}

/* The value as an integer with `bits` bits (signed or not), as a uint64 bit
 * pattern: float saturates to the type's range, integers wrap. */
static uint64_t to_bits(value v, int bits, int is_signed)
{
    if (v.kind == CAR_S)
        return (uint64_t)v.s;
    if (v.kind == CAR_U)
        return v.u;
    const double f = v.f;
    if (f != f)
        return 0;
    if (is_signed) {
        const double hi = bits == 64 ? 9223372036854775807.0 : (double)((INT64_C(1) << (bits - 1)) - 1);
        const double lo = bits == 64 ? -9223372036854775808.0 : -(double)(INT64_C(1) << (bits - 1));
        if (f >= hi)
            return bits == 64 ? (uint64_t)INT64_MAX : (uint64_t)(int64_t)hi;
        if (f <= lo)
            return (uint64_t)(int64_t)lo;
        return (uint64_t)(int64_t)f;
    }
    const double hi = bits == 64 ? 18446744073709551615.0 : (double)((UINT64_C(1) << bits) - 1);
    if (f >= hi)
        return bits == 64 ? UINT64_MAX : (uint64_t)hi;
    if (f <= 0.0)
        return 0;
    return (uint64_t)f;
}

static void store(int32_t dt, unsigned char *p, value v)
{
    switch (dt) {
    case DT_F32: {
        float f;
        if (v.kind == CAR_F)
            f = (float)v.f;
        else if (v.kind == CAR_S)
            f = (float)v.s;
        else
            f = (float)v.u;
        memcpy(p, &f, 4);
        break;
    }
    case DT_BOOL: {
        const uint8_t t = v.kind == CAR_F ? v.f != 0.0 : v.kind == CAR_S ? v.s != 0 : v.u != 0;
        memcpy(p, &t, 1);
        break;
    }
    case DT_S8: { const int8_t t = (int8_t)to_bits(v, 8, 1); memcpy(p, &t, 1); break; }
    case DT_U8: { const uint8_t t = (uint8_t)to_bits(v, 8, 0); memcpy(p, &t, 1); break; }
    case DT_S16: { const int16_t t = (int16_t)to_bits(v, 16, 1); memcpy(p, &t, 2); break; }
    case DT_U16: { const uint16_t t = (uint16_t)to_bits(v, 16, 0); memcpy(p, &t, 2); break; }
    case DT_S32: { const int32_t t = (int32_t)to_bits(v, 32, 1); memcpy(p, &t, 4); break; }
    case DT_U32: { const uint32_t t = (uint32_t)to_bits(v, 32, 0); memcpy(p, &t, 4); break; }
    case DT_S64: { const int64_t t = (int64_t)to_bits(v, 64, 1); memcpy(p, &t, 8); break; }
    case DT_U64: { const uint64_t t = to_bits(v, 64, 0); memcpy(p, &t, 8); break; }
    default: break;
    }
}

static int32_t size_of(int32_t dt)
{
    switch (dt) {
    case DT_S8: case DT_U8: case DT_BOOL: return 1;
    case DT_S16: case DT_U16: return 2;
    case DT_S64: case DT_U64: return 8;
    default: return 4;
    }
}

void kiln_cast(const kiln_cast_params *p, const void *x, void *y)
{
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    const int32_t sx = size_of(p->from), sy = size_of(p->to);
    for (int32_t i = 0; i < p->size; i++)
        store(p->to, yb + (ptrdiff_t)i * sy, load(p->from, xb + (ptrdiff_t)i * sx));
}
