/*
 * test_bytes.c - the runtime's own copy and fill (runtime/kernels/bytes.h),
 * which replace libc's memcpy/memset in firmware: every destination and
 * source alignment within a word and every length up to 70 bytes (the
 * head, the word loops and the tail), against byte-by-byte expectations;
 * bytes around the destination stay untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../runtime/kernels/bytes.h"

enum { N = 70, GUARD = 8, BUF = N + 2 * GUARD + 8 };

static void copy_every_alignment_and_length(void **state)
{
    (void)state;
    uint8_t src[BUF], dst[BUF];
    for (int i = 0; i < BUF; i++)
        src[i] = (uint8_t)(37 * i + 11);
    for (int da = 0; da < 4; da++)
        for (int sa = 0; sa < 4; sa++)
            for (int n = 0; n <= N; n++) {
                for (int i = 0; i < BUF; i++)
                    dst[i] = 0xA5;
                kiln_bytes_copy(dst + GUARD + da, src + GUARD + sa, (size_t)n);
                for (int i = 0; i < BUF; i++) {
                    const int k = i - GUARD - da;
                    const uint8_t want = k >= 0 && k < n ? src[GUARD + sa + k] : 0xA5;
                    if (dst[i] != want)
                        fail_msg("copy da=%d sa=%d n=%d: byte %d is %u, want %u", da, sa, n, i,
                                 dst[i], want);
                }
            }
}

static void fill_every_alignment_and_length(void **state)
{
    (void)state;
    uint8_t dst[BUF];
    const uint8_t values[3] = {0x00, 0x80, 0x7F};
    for (int v = 0; v < 3; v++)
        for (int da = 0; da < 4; da++)
            for (int n = 0; n <= N; n++) {
                for (int i = 0; i < BUF; i++)
                    dst[i] = 0xA5;
                kiln_bytes_fill(dst + GUARD + da, values[v], (size_t)n);
                for (int i = 0; i < BUF; i++) {
                    const int k = i - GUARD - da;
                    const uint8_t want = k >= 0 && k < n ? values[v] : 0xA5;
                    if (dst[i] != want)
                        fail_msg("fill v=%u da=%d n=%d: byte %d is %u, want %u", values[v], da, n,
                                 i, dst[i], want);
                }
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_every_alignment_and_length),
        cmocka_unit_test(fill_every_alignment_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
