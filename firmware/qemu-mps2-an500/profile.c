/*
 * profile.c - stamps the generated code's profile marks with the tick
 * counter and sends them to the host (see profile.h and the PROFILE frame in
 * ../protocol.h).
 *
 * A mark costs a call and one ticks_now() (a few tens of instructions); that
 * cost lands in the call that follows it, and the counter's resolution is
 * one tick (40 instructions under -icount shift=0), so per-call counts are
 * exact to about a tick plus the mark.  The sum of all calls telescopes to
 * the whole inference minus what runs before the first mark and after the
 * last.  Never allocates; the marks live in a static array sized at build
 * time from KILN_PROFILE_CALLS.
 */
#include "profile.h"

#include "../protocol.h"
#include "frames.h"
#include "kiln/model.h"
#include "ticks.h"

#ifdef KILN_PROFILE

#ifndef KILN_PROFILE_CALLS
#error "a profiling build needs -DKILN_PROFILE_CALLS=<the network's kernel calls>"
#endif
#define MARKS ((uint32_t)(KILN_PROFILE_CALLS) + 1u)

static uint64_t mark[MARKS];

/* Called by the generated code (NET.c built with -DKILN_PROFILE). */
void kiln_profile_mark(const kiln_model *model, int call);
void kiln_profile_mark(const kiln_model *model, int call)
{
    (void)model;
    if (call >= 0 && (uint32_t)call < MARKS)
        mark[call] = ticks_now();
}

int profile_enabled(void)
{
    return 1;
}

void profile_begin(void)
{
    uint32_t i;
    for (i = 0; i < MARKS; i++)
        mark[i] = ~(uint64_t)0;
}

void profile_send(uint8_t seq, uint64_t t0)
{
    kvp_tx t;
    uint8_t b[8];
    uint32_t i;
    kvp_tx_begin(&t, KVP_T_PROFILE, seq, KVP_PROFILE_FIXED + 8u * MARKS);
    kvp_put_u32(b, MARKS);
    kvp_tx_put(&t, b, 4);
    for (i = 0; i < MARKS; i++) {
        kvp_put_u64(b, mark[i] == ~(uint64_t)0 ? mark[i] : mark[i] - t0);
        kvp_tx_put(&t, b, 8);
    }
    kvp_tx_end(&t);
}

#else

int profile_enabled(void)
{
    return 0;
}

void profile_begin(void)
{
}

void profile_send(uint8_t seq, uint64_t t0)
{
    (void)seq;
    (void)t0;
}

#endif
