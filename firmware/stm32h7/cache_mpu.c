/*
 * cache_mpu.c - MPU regions for the QUADSPI window and the Cortex-M7 I/D
 * caches, from the ARMv7-M architecture manual (PMSAv7, cache maintenance
 * operations) and the Cortex-M7 TRM (32-byte lines; D-cache geometry read
 * from CCSIDR).
 *
 * Why the MPU matters here: the default memory map makes 0x60000000-
 * 0x9FFFFFFF normal, executable memory, so the core may read it
 * speculatively; a speculative read of the QSPI window before the flash is
 * memory-mapped, or past the chip's end, stalls or faults the bus.  Region 0
 * covers the whole 256 MiB window with no access; region 1 (higher number,
 * higher priority) opens the 128 MiB chip as normal, write-through, read
 * allocate cacheable, read-only, execute-never memory.
 */
#include "cache_mpu.h"

#include "port.h"
#include "regs.h"

#define RASR_ENABLE 1u
#define RASR_SIZE(log2) ((uint32_t)((log2) - 1u) << 1)
#define RASR_C (1u << 17)
#define RASR_AP(x) ((uint32_t)(x) << 24)
#define RASR_XN (1u << 28)
#define AP_NONE 0u
#define AP_RO 6u                /* read-only, privileged and unprivileged */

static void barrier(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

void mpu_init(void)
{
    barrier();
    MPU_CTRL = 0;
    MPU_RNR = 0;
    MPU_RBAR = H7_QSPI_BASE_ADDR;
    MPU_RASR = RASR_XN | RASR_AP(AP_NONE) | RASR_SIZE(28u) | RASR_ENABLE;      /* 256 MiB, strongly ordered */
    MPU_RNR = 1;
    MPU_RBAR = H7_QSPI_BASE_ADDR;
    MPU_RASR = RASR_XN | RASR_AP(AP_RO) | RASR_C | RASR_SIZE(27u) | RASR_ENABLE; /* 128 MiB, normal WT */
    MPU_CTRL = 1u | (1u << 2);  /* on; the default map stays for everything else */
    SCB_SHCSR |= 1u << 16;      /* a MemManage fault, not a HardFault, names an MPU hit */
    barrier();
}

/* Every line of the D-cache, by set and way (ARMv7-M DCISW). */
static void dcache_invalidate_all(void)
{
    SCB_CSSELR = 0;             /* level 1 data cache */
    barrier();
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u, ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    uint32_t way_shift = (uint32_t)__builtin_clz(ways - 1u);
    for (uint32_t s = 0; s < sets; s++)
        for (uint32_t w = 0; w < ways; w++)
            SCB_DCISW = (w << way_shift) | (s << 5);
    barrier();
}

void caches_enable(void)
{
    barrier();
    SCB_ICIALLU = 0;
    barrier();
    SCB_CCR |= SCB_CCR_IC;
    barrier();
    dcache_invalidate_all();
    SCB_CCR |= SCB_CCR_DC;
    barrier();
}

void dcache_invalidate(uint32_t addr, uint32_t len)
{
    uint32_t a = addr & ~31u, end = addr + len;
    barrier();
    for (; a < end; a += 32u)
        SCB_DCIMVAC = a;
    barrier();
}
