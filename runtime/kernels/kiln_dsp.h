/*
 * kiln_dsp.h - the one place that decides whether the packed int8 kernels
 * use the Arm DSP extension (SMLAD, SXTB16, SMLAL, SSAT: Cortex-M4, M7, M33,
 * M55) or their portable C form (Cortex-M0+/M3, the host).  Internal to
 * the runtime.
 *
 * KILN_HAS_DSP follows the compiler's __ARM_FEATURE_DSP (set by -mcpu), so
 * the choice is made by the flags the runtime is built with; defining
 * KILN_NO_DSP forces the portable path (tests build both on one core).  The
 * two paths read the same packed layouts and give the same integers.
 * KILN_ALWAYS_INLINE marks the few hot helpers that must be inlined.
 */
#ifndef KILN_DSP_H
#define KILN_DSP_H

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(KILN_NO_DSP)
#define KILN_HAS_DSP 1
#else
#define KILN_HAS_DSP 0
#endif

/* For the few helpers of the hot loops whose inlining the speed depends on. */
#if defined(__GNUC__)
#define KILN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KILN_ALWAYS_INLINE inline
#endif

#endif
