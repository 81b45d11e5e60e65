/*
 * main.c - the smallest complete application of a Kiln network: the MLPerf
 * Tiny keyword-spotting model (examples/models/kws), generated with
 * `kiln generate ... --name kws --weights inline` and built with the
 * generated kws.mk (Makefile) or kws.cmake (CMakeLists.txt).
 *
 * It initialises the network on its compiled-in weights (the init checks
 * them like any blob), runs it on one input and prints the 12 int8 scores
 * and the top class.  app_input comes from input.c, which the build makes
 * from examples/models/kws/seed1.in; tests/e2e/example_app.sh compares the
 * scores with what TensorFlow Lite Micro computed for that input
 * (seed1.out).  Freestanding-friendly: no malloc, no stdio (platform.h).
 */
#include <stdint.h>

#include "kiln/status.h"
#include "kws.h"
#include "platform.h"

extern const int8_t app_input[kws_INPUT0_BYTES];

/* The arena: every activation of the network, planned at build time. */
static uint8_t arena[kws_ARENA_BYTES] KILN_ALIGNED(16);

static void put_int(int v)
{
    char buf[12], *p = buf + sizeof buf;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    *--p = '\0';
    do
        *--p = (char)('0' + u % 10u);
    while (u /= 10u);
    if (v < 0)
        *--p = '-';
    platform_puts(p);
}

int main(void)
{
    platform_init();
    kiln_net net;
    /* blob NULL: the weights compiled in (kws_data.c), checked all the same. */
    kiln_status s = kws_init(&net, NULL, 0, arena, sizeof arena, 0);
    if (s != KILN_OK) {
        platform_puts("kws: init refused the weights: ");
        platform_puts(kiln_status_str(s));
        platform_puts("\n");
        platform_exit(1);
    }
    int8_t scores[kws_OUTPUT0_BYTES];
    const void *in[1] = {app_input};
    void *out[1] = {scores};
    s = kws_run(&net, in, out);
    if (s != KILN_OK) {
        platform_puts("kws: run failed: ");
        platform_puts(kiln_status_str(s));
        platform_puts("\n");
        platform_exit(1);
    }
    unsigned best = 0;
    platform_puts("kws scores:");
    for (unsigned i = 0; i < kws_OUTPUT0_BYTES; i++) {
        platform_puts(" ");
        put_int(scores[i]);
        if (scores[i] > scores[best])
            best = i;
    }
    platform_puts("\nkws class: ");
    put_int((int)best);
    platform_puts("\n");
    platform_exit(0);
    return 0;
}
