/*
 * cache_mpu.h - the Cortex-M7 caches and the MPU region for the external
 * flash (cache_mpu.c).
 */
#ifndef KILN_STM32H7_CACHE_MPU_H
#define KILN_STM32H7_CACHE_MPU_H

#include <stdint.h>

/* The QSPI window: no access beyond the chip, the chip normal memory,
 * cacheable, read-only, never executed.  Before the caches are on. */
void mpu_init(void);
/* Invalidates both caches whole, then enables them: no line from before a
 * reset, or from before the blob was reprogrammed, is ever read. */
void caches_enable(void);
/* Drops the D-cache lines of [addr, addr + len): for an application that
 * rewrites the blob while the caches are on (an A/B update in the field). */
void dcache_invalidate(uint32_t addr, uint32_t len);

#endif
