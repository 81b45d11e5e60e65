/*
 * cpu.c - the table of processors behind `--cpu` (see cpu.h).
 */
#include "target/cpu.h"

#include <string.h>

static const cpu_info cpus[] = {
    /* M0+ code would run on the M7, but the firmware's startup is ARMv7-M (IT, Thumb-2) */
    {"cortex-m0plus", true, false, false, "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft"},
    {"cortex-m3", true, false, true, "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft"},
    {"cortex-m4", true, true, true, "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"},
    {"cortex-m7", true, true, true, "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16"},
    {"cortex-m33", true, true, false, "-mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16"},
    {"cortex-m55", true, true, false, "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard"},
    {"host", false, false, false, ""},
};

const cpu_info *cpu_find(const char *name)
{
    for (size_t i = 0; i < sizeof cpus / sizeof cpus[0]; i++)
        if (!strcmp(cpus[i].name, name))
            return &cpus[i];
    return NULL;
}

const char *cpu_names(void)
{
    return "cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, host";
}
