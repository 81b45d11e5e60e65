/*
 * fc_host_main.c - the random families of kiln_fully_connected_s8_host
 * (tests/kernels/packed_cases.c: pc_fc and pc_edges with PC_FC_HOST) as a
 * program, for tests/e2e/fc_host_native.sh, which builds it with the
 * runtime at the host flags (-O3 -march=native: the AVX-512 VNNI path on a
 * CPU that has it) and again with the portable C forced.  Prints which path
 * the build has and one line per family; exit 1 when a value differs.
 */
#include <stdio.h>
#include <string.h>

#include "packed_cases.h"

static int family(const char *what, const pc_result *r)
{
    printf("%s: %u cases, %u values, modes tflite %u short %u relu %u, %u failing", what, r->cases,
           r->values, r->modes[0], r->modes[3], r->modes[4], r->failures);
    if (r->failures)
        printf(" (first: seed %u case %u value %u: got %d, want %d)", r->fail_seed, r->fail_index,
               r->fail_at, r->fail_got, r->fail_want);
    printf("\n");
    return r->failures != 0;
}

int main(void)
{
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && !defined(KILN_FC_HOST_PORTABLE)
    printf("path: avx512-vnni\n");
#else
    printf("path: portable\n");
#endif
    pc_result r;
    int bad = 0;
    memset(&r, 0, sizeof r);
    pc_fc(40, 4000, PC_FC_HOST, &r);
    bad |= family("fc host", &r);
    memset(&r, 0, sizeof r);
    pc_edges(41, 3000, 0, PC_FC_HOST, &r);
    bad |= family("fc host edges", &r);
    return bad;
}
