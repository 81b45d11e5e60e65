/*
 * cmd_common.c - parsing of the compile options every compiling command
 * takes, and the checks of them that need the compiled model.
 */
#include <errno.h>
#include "cmd_common.h"
#include "util/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
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

/* --internal-budget / --stage-bytes BYTES: a decimal or 0x byte count, optionally with K or M (KiB, MiB). */
static bool parse_budget(const char *v, const char *cmd, const char *opt, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 0);
    unsigned long long mul = 1;
    if (end != v && (*end == 'K' || *end == 'k'))
        mul = 1024, end++;
    else if (end != v && (*end == 'M' || *end == 'm'))
        mul = 1024 * 1024, end++;
    if (end == v || *end || v[0] == '-' || errno || n > 0xFFFFFFFFull / mul) {
        fprintf(stderr, "kiln %s: %s wants a byte count (1234, 0x4000, 64K, 1M) below 4 GiB, not '%s'\n",
                cmd, opt, v);
        return false;
    }
    *out = n * mul;
    return true;
}

bool parse_fix_opt(int argc, char **argv, int *i, const char *cmd, import_opts *imp)
{
    const char *a = argv[*i], *v;
    if (!(v = arg_value(argc, argv, i, cmd)))
        return false;
    import_fix f;
    char err[1024];
    if (!import_fix_parse(a, v, &f, err, sizeof err)) {
        fprintf(stderr, "kiln %s: %s\n", cmd, err);
        return false;
    }
    /* Lives as long as the command: the options are parsed once. */
    import_fix *list = xrealloc((void *)imp->fixes, (size_t)(imp->n_fixes + 1) * sizeof *list);
    list[imp->n_fixes++] = f;
    imp->fixes = list;
    return true;
}

int parse_compile_opt(int argc, char **argv, int *i, const char *cmd, compile_opts *o, arg_seen *seen)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--no-fuse")) {
        o->no_fuse = true;
        return 1;
    }
    if (!strcmp(a, "--stage-double")) {
        o->stage_double = true;
        return 1;
    }
    if (!strcmp(a, "--shape") || !strcmp(a, "--const"))
        return parse_fix_opt(argc, argv, i, cmd, &o->imp) ? 1 : -1;
    if (strcmp(a, "--name") && strcmp(a, "--weights") && strcmp(a, "--address") &&
        strcmp(a, "--integrity") && strcmp(a, "--cpu") && strcmp(a, "--kernels") &&
        strcmp(a, "--internal-budget") && strcmp(a, "--stage-bytes"))
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
        else if (!strcmp(v, "stream"))
            o->weights = WEIGHTS_STREAM;
        else {
            fprintf(stderr, "kiln %s: --weights must be 'inline', 'external' or 'stream', not '%s'\n", cmd, v);
            return -1;
        }
    } else if (!strcmp(a, "--internal-budget") || !strcmp(a, "--stage-bytes")) {
        if (!parse_budget(v, cmd, a, a[2] == 'i' ? &o->internal_budget : &o->stage_bytes))
            return -1;
    } else if (!strcmp(a, "--integrity")) {
        if (!integrity_parse(v, &o->integrity)) {
            fprintf(stderr, "kiln %s: --integrity must be 'sha256' or 'crc32', not '%s'\n", cmd, v);
            return -1;
        }
    } else if (!strcmp(a, "--cpu")) {
        if (!cpu_find(v)) {
            fprintf(stderr, "kiln %s: --cpu '%s' is not a CPU Kiln knows (%s)\n", cmd, v, cpu_names());
            return -1;
        }
        o->cpu = v;
    } else if (!strcmp(a, "--kernels")) {
        if (!strcmp(v, "fast"))
            o->kernels = KERNELS_FAST;
        else if (!strcmp(v, "compact"))
            o->kernels = KERNELS_COMPACT;
        else if (!strcmp(v, "plain"))
            o->kernels = KERNELS_PLAIN;
        else {
            fprintf(stderr, "kiln %s: --kernels must be 'fast', 'compact' or 'plain', not '%s'\n",
                    cmd, v);
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

/* ---- --board ------------------------------------------------------------ */

int parse_board_opt(int argc, char **argv, int *i, const char *cmd, board_sel *s, arg_seen *seen)
{
    const char *a = argv[*i];
    if (strcmp(a, "--board") && strcmp(a, "--boards-dir"))
        return 0;
    const char *v = arg_text(argc, argv, i, cmd, seen, !strcmp(a, "--board") ? "board name" : "directory");
    if (!v)
        return -1;
    *(!strcmp(a, "--board") ? &s->name : &s->dir) = v;
    return 1;
}

bool board_sel_load(board_sel *s, compile_opts *o, const char *cmd)
{
    if (!s->name) {
        if (s->dir)
            fprintf(stderr, "kiln %s: --boards-dir without --board\n", cmd);
        return !s->dir;
    }
    char err[2048];
    char *dir = board_dir(s->dir);
    bool ok = board_find(dir, s->name, &s->b, err, sizeof err);
    free(dir);
    if (!ok) {
        fprintf(stderr, "kiln %s: %s\n", cmd, err);
        return false;
    }
    s->loaded = true;
    if (!o->has_address && o->weights != WEIGHTS_INLINE) {
        o->address = s->b.base;
        o->has_address = true;
    }
    return true;
}

bool check_board_fit(const compiled *c, const board_sel *s, const char *cmd)
{
    if (!s->loaded || c->weights == WEIGHTS_INLINE || !c->has_address)
        return true;
    uint64_t lo = s->b.base, hi = s->b.base + s->b.size;
    if (c->address < lo || c->address >= hi) {
        fprintf(stderr, "kiln %s: --address 0x%08llx is outside %s's mapped flash 0x%08llx..0x%08llx "
                "(%s); give an address in it, or leave --address out for 0x%08llx\n", cmd,
                (unsigned long long)c->address, s->b.name, (unsigned long long)lo,
                (unsigned long long)(hi - 1), s->b.part, (unsigned long long)lo);
        return false;
    }
    if (c->address + c->blob_len > hi) {
        fprintf(stderr, "kiln %s: the %zu-byte weights blob at 0x%08llx would end at 0x%08llx, past %s's "
                "mapped flash (0x%08llx..0x%08llx)\n", cmd, c->blob_len, (unsigned long long)c->address,
                (unsigned long long)(c->address + c->blob_len), s->b.name, (unsigned long long)lo,
                (unsigned long long)(hi - 1));
        return false;
    }
    return true;
}

void board_sel_free(board_sel *s)
{
    if (s->loaded)
        board_free(&s->b);
    s->loaded = false;
}

const report_board *board_sel_report(const board_sel *s, report_board *r)
{
    if (!s->loaded)
        return NULL;
    r->name = s->b.name;
    r->flash_part = s->b.part;
    r->mcu_part = s->b.mcu_part;
    r->ext_base = s->b.base;
    r->ext_size = s->b.size;
    r->mcu_flash = s->b.mcu_flash;
    r->mcu_ram = s->b.mcu_ram;
    return r;
}

bool compile_for_board(const char *model, const compile_opts *o, const board_sel *s, const char *cmd,
                       compiled *c)
{
    char err[1024];
    if (!compile_model(model, o, c, err, sizeof err)) {
        fprintf(stderr, "kiln %s: %s\n", cmd, err);
        return false;
    }
    return check_compiled_address(c, cmd) && check_board_fit(c, s, cmd);
}
