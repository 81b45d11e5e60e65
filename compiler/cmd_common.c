/*
 * cmd_common.c - parsing of the compile options every compiling command
 * takes, and the checks of them that need the compiled model.
 */
#include "cmd_common.h"

#include <stdio.h>
#include <string.h>

static bool parse_address(const char *v, const char *cmd, compile_opts *o)
{
    uint64_t addr;
    if (!parse_hex(v, &addr)) {
        char why[160];
        hex_problem(v, why, sizeof why);
        fprintf(stderr, "kiln %s: --address %s; give a 32-bit address in hex, e.g. 0x90000000\n", cmd,
                why);
        return false;
    }
    if (addr > 0xFFFFFFFFull) {
        fprintf(stderr, "kiln %s: --address %s is beyond the 32-bit address space\n", cmd, v);
        return false;
    }
    if (addr % PLAN_ALIGN) {
        fprintf(stderr, "kiln %s: --address 0x%llx is not %u-byte aligned as the blob needs\n", cmd,
                (unsigned long long)addr, PLAN_ALIGN);
        return false;
    }
    o->address = addr;
    o->has_address = true;
    return true;
}

int parse_compile_opt(int argc, char **argv, int *i, const char *cmd, compile_opts *o, arg_seen *seen)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--no-fuse")) {
        o->no_fuse = true;
        return 1;
    }
    if (strcmp(a, "--name") && strcmp(a, "--weights") && strcmp(a, "--address") && strcmp(a, "--integrity"))
        return 0;
    if (!(v = arg_value(argc, argv, i, cmd)) || !arg_once(seen, a, v, cmd))
        return -1;
    if (!strcmp(a, "--name")) {
        if (!*v) {
            fprintf(stderr, "kiln %s: --name needs a C identifier, not an empty string\n", cmd);
            return -1;
        }
        o->name = v;
    } else if (!strcmp(a, "--weights")) {
        if (!strcmp(v, "inline"))
            o->weights = WEIGHTS_INLINE;
        else if (!strcmp(v, "external"))
            o->weights = WEIGHTS_EXTERNAL;
        else {
            fprintf(stderr, "kiln %s: --weights must be 'inline' or 'external', not '%s'\n", cmd, v);
            return -1;
        }
    } else if (!strcmp(a, "--integrity")) {
        if (!integrity_parse(v, &o->integrity)) {
            fprintf(stderr, "kiln %s: --integrity must be 'sha256' or 'crc32', not '%s'\n", cmd, v);
            return -1;
        }
    } else if (!parse_address(v, cmd, o)) {
        return -1;
    }
    return 1;
}

bool check_compiled_address(const compiled *c, const char *cmd)
{
    if (!c->has_address || c->address + c->blob_len <= 0x100000000ull)
        return true;
    fprintf(stderr, "kiln %s: the %zu-byte weights blob at --address 0x%08llx would end at 0x%llx, "
            "past the 32-bit address space\n", cmd, c->blob_len, (unsigned long long)c->address,
            (unsigned long long)(c->address + c->blob_len));
    return false;
}
