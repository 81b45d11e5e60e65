/*
 * profile.h - the host's end of per-layer profiling on the QEMU target:
 * collects the PROFILE frames a firmware built with KILN_PROFILE sends after
 * each OUTPUT (firmware/protocol.h) and writes the instructions of every
 * kernel call, with its layer, op, kernel and MACs, as JSON.
 *
 * Asked for with the environment variable KILN_PROFILE=FILE (qemu.c).  The
 * counts come from the same SysTick counter as `instructions per inference`,
 * so one tick (40 instructions) is their resolution; see docs/architecture.md.
 */
#ifndef KILN_TARGET_PROFILE_H
#define KILN_TARGET_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"

typedef struct target_profile {
    uint32_t marks;     /* kernel calls + 1 */
    uint64_t *span;     /* ticks summed over samples: [0] run start .. mark 0, [i+1] call i, [marks] last mark .. run end */
    uint64_t run;       /* ticks of the whole kiln_net_run, summed */
    size_t samples;
} target_profile;

/* Adds one PROFILE payload; run_ticks is the OUTPUT's tick count of the same
 * inference.  false: msg says what is wrong with it (the wrong number of
 * marks, a mark never reached, marks out of order). */
bool target_profile_add(target_profile *p, const compiled *c, const uint8_t *payload, uint32_t len,
                        uint64_t run_ticks, char *msg, size_t msglen);
/* Writes the mean per-call instructions as JSON to path (atomically). */
bool target_profile_write(const target_profile *p, const compiled *c, const char *path, uint32_t tick_hz,
                          char *msg, size_t msglen);
void target_profile_free(target_profile *p);

#endif
