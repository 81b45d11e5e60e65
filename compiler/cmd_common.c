/*
 * cmd_common.c - parsing of the compile options every compiling command takes.
 */
#include "cmd_common.h"

#include <stdio.h>
#include <string.h>

#include "util/args.h"

int parse_compile_opt(int argc, char **argv, int *i, const char *cmd, compile_opts *o)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--name")) {
        if (!(v = arg_value(argc, argv, i, cmd)))
            return -1;
        o->name = v;
        return 1;
    }
    if (!strcmp(a, "--weights")) {
        if (!(v = arg_value(argc, argv, i, cmd)))
            return -1;
        if (!strcmp(v, "inline"))
            o->weights = WEIGHTS_INLINE;
        else if (!strcmp(v, "external"))
            o->weights = WEIGHTS_EXTERNAL;
        else {
            fprintf(stderr, "kiln %s: --weights must be 'inline' or 'external', not '%s'\n", cmd, v);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--address")) {
        uint64_t addr;
        if (!(v = arg_value(argc, argv, i, cmd)))
            return -1;
        if (!parse_u64(v, &addr) || addr > 0xFFFFFFFFull) {
            fprintf(stderr, "kiln %s: --address '%s' is not a 32-bit address (e.g. 0x90000000)\n", cmd, v);
            return -1;
        }
        if (addr % PLAN_ALIGN) {
            fprintf(stderr, "kiln %s: --address 0x%llx is not %u-byte aligned as the blob needs\n", cmd,
                    (unsigned long long)addr, PLAN_ALIGN);
            return -1;
        }
        o->address = addr;
        o->has_address = true;
        return 1;
    }
    if (!strcmp(a, "--cpu")) {
        if (!(v = arg_value(argc, argv, i, cmd)))
            return -1;
        if (!cpu_find(v)) {
            fprintf(stderr, "kiln %s: --cpu '%s' is not a CPU Kiln knows (%s)\n", cmd, v, cpu_names());
            return -1;
        }
        o->cpu = v;
        return 1;
    }
    if (!strcmp(a, "--kernels")) {
        if (!(v = arg_value(argc, argv, i, cmd)))
            return -1;
        if (!strcmp(v, "fast"))
            o->kernels = KERNELS_FAST;
        else if (!strcmp(v, "compact"))
            o->kernels = KERNELS_COMPACT;
        else if (!strcmp(v, "plain"))
            o->kernels = KERNELS_PLAIN;
        else {
            fprintf(stderr, "kiln %s: --kernels must be 'fast', 'compact' or 'plain', not '%s'\n", cmd, v);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--no-fuse")) {
        o->no_fuse = true;
        return 1;
    }
    return 0;
}
