/*
 * size_probe.c - the smallest program that uses a generated network: init
 * and run, nothing else.  bench/kbench/codesize.py links it with the
 * firmware's objects for the runtime, the kernels and NET.c at
 * --gc-sections, so `arm-none-eabi-size` of the result is what an
 * application pays in code for that network (its arena and I/O buffers are
 * the caller's and not counted).  Never run.
 */
#include "kiln/model.h"

#ifndef KILN_MODEL
#error "build with -DKILN_MODEL=<name>_model"
#endif
extern const kiln_model KILN_MODEL;

void kiln_size_probe(kiln_net *net, const void *blob, void *arena, const void *const *in, void *const *out);
void kiln_size_probe(kiln_net *net, const void *blob, void *arena, const void *const *in, void *const *out)
{
    if (kiln_net_init(net, &KILN_MODEL, blob, KILN_MODEL.blob_bytes, arena, KILN_MODEL.arena_bytes, 0) == KILN_OK)
        (void)kiln_net_run(net, in, out);
}
