/*
 * profile.h - per-layer profiling of the validation firmware (opt-in).
 *
 * Built with -DKILN_PROFILE -DKILN_PROFILE_CALLS=<kernel calls of the
 * network>, the generated code calls kiln_profile_mark() before each kernel
 * call and once after the last; profile.c stamps each mark with the tick
 * counter and profile_send() reports the stamps in a PROFILE frame after the
 * OUTPUT frame.  Without KILN_PROFILE these functions do nothing and the
 * generated code makes no calls, so the measured inference is unchanged.
 */
#ifndef KILN_MPS2_PROFILE_H
#define KILN_MPS2_PROFILE_H

#include <stdint.h>

/* 1 in a profiling build (HELLO says so to the host). */
int profile_enabled(void);
/* Forgets the previous inference's marks; call before ticks_start(). */
void profile_begin(void);
/* Sends the marks of the inference that started at tick t0 (seq of its OUTPUT). */
void profile_send(uint8_t seq, uint64_t t0);

#endif
