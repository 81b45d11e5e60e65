/*
 * cpu.h - the processors Kiln generates code for (`--cpu`): whether the
 * core has the Arm DSP extension (which decides how conv and FC weights are
 * packed: int16 slices pay off only where SMLAD consumes them), and the
 * arm-none-eabi-gcc flags that build for it.  The runtime itself picks its
 * DSP or portable kernels from the compiler's __ARM_FEATURE_DSP
 * (runtime/kernels/kiln_dsp.h); both read every packing.
 */
#ifndef KILN_CPU_H
#define KILN_CPU_H

#include <stdbool.h>

typedef struct cpu_info {
    const char *name;       /* as given to --cpu */
    bool arm;               /* false: the host's own compiler */
    bool dsp;               /* SMLAD, SXTB16 & co. (ARMv7E-M, ARMv8-M Mainline with DSP) */
    bool runs_on_m7;        /* its code runs on QEMU's Cortex-M7 board */
    const char *arm_flags;  /* -mcpu/-mthumb/float ABI for arm-none-eabi-gcc */
} cpu_info;

#define CPU_DEFAULT "cortex-m7"

/* The named CPU, or NULL (cpu_names() lists the valid ones). */
const cpu_info *cpu_find(const char *name);
const char *cpu_names(void);

#endif
