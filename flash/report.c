/*
 * report.c - the human-readable side of `kiln flash`: progress bar, plan
 * listing, summaries with the modelled time for the board's chip, and the
 * commands a user would type to do the same with vendor tools.
 *
 * Output only; decides nothing.  The progress bar goes to stderr and only to
 * a terminal, so scripts and logs see the summary alone.
 */
#include "flash/report.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/term.h"

void progress_init(progress *p, const char *label, bool quiet)
{
    p->label = label;
    p->enabled = !quiet && isatty(2);
    p->last_pct = -1;
}

void progress_update(void *ctx, uint64_t done, uint64_t total)
{
    progress *p = ctx;
    if (!p->enabled || total == 0)
        return;
    int pct = (int)(done * 100 / total);
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    char bar[41];
    int fill = pct * 40 / 100;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(40 - fill));
    bar[40] = '\0';
    char a[32], b[32];
    term_progress("\r  %-8s [%s] %3d%%  %s / %s   ", p->label, bar, pct,
                  fmt_size(a, sizeof a, done), fmt_size(b, sizeof b, total));
}

void progress_end(progress *p)
{
    if (p->enabled && p->last_pct >= 0)
        fprintf(stderr, "\n");
    p->last_pct = -1;
}

const char *fmt_size(char *buf, size_t n, uint64_t v)
{
    /* Exact when it can be (sizes of units and regions), rounded otherwise. */
    if (v >= (1u << 20) && v % (1u << 20) == 0)
        snprintf(buf, n, "%llu MiB", (unsigned long long)(v >> 20));
    else if (v >= 1024 && v % 1024 == 0)
        snprintf(buf, n, "%llu KiB", (unsigned long long)(v >> 10));
    else if (v >= (1u << 20))
        snprintf(buf, n, "%.1f MiB", v / 1048576.0);
    else if (v >= 1024)
        snprintf(buf, n, "%.1f KiB", v / 1024.0);
    else
        snprintf(buf, n, "%llu B", (unsigned long long)v);
    return buf;
}

const char *fmt_ms(char *buf, size_t n, double ms)
{
    if (ms < 1000)
        snprintf(buf, n, "%.3g ms", ms);
    else if (ms < 120000)
        snprintf(buf, n, "%.3g s", ms / 1000);
    else
        snprintf(buf, n, "%d min %d s", (int)(ms / 60000), (int)(ms / 1000) % 60);
    return buf;
}

static const char *op_name(flash_op_kind k)
{
    switch (k) {
    case FLASH_OP_ERASE_SMALL: return "erase sub";
    case FLASH_OP_ERASE_LARGE: return "erase sect";
    case FLASH_OP_ERASE_CHIP: return "erase chip";
    case FLASH_OP_PROG: return "program";
    }
    return "?";
}

void report_plan_ops(FILE *f, const flash_plan *p, uint64_t base, int max_lines)
{
    int lines = 0, i = 0;
    char s[32];
    while (i < p->nops) {
        /* A run: same kind, each op starting where the previous unit or
         * page ended (programs of one page each merge across pages). */
        int j = i + 1;
        uint32_t end = p->ops[i].off + p->ops[i].len;
        while (j < p->nops && p->ops[j].kind == p->ops[i].kind && p->ops[j].off >= end &&
               p->ops[j].off - end < (p->ops[i].kind == FLASH_OP_PROG ? 4096u : 1u)) {
            end = p->ops[j].off + p->ops[j].len;
            j++;
        }
        if (lines == max_lines) {
            fprintf(f, "    ... %d more operations\n", p->nops - i);
            return;
        }
        uint64_t from = base + p->ops[i].off, to = base + end - 1;
        if (p->ops[i].kind == FLASH_OP_PROG)
            fprintf(f, "    program     0x%08llx..0x%08llx  %s in %d page program%s\n",
                    (unsigned long long)from, (unsigned long long)to,
                    fmt_size(s, sizeof s, end - p->ops[i].off), j - i, j - i == 1 ? "" : "s");
        else
            fprintf(f, "    %-11s 0x%08llx..0x%08llx  %d x %s\n", op_name(p->ops[i].kind),
                    (unsigned long long)from, (unsigned long long)to, j - i,
                    fmt_size(s, sizeof s, p->ops[i].len));
        lines++;
        i = j;
    }
    if (p->nops == 0)
        fprintf(f, "    (nothing to do)\n");
}

void report_plan_summary(FILE *f, const flash_plan *p, const char *ind)
{
    char s[32];
    if (p->in_place) {
        fprintf(f, "%swritten:     %s (%llu bytes) in %u write%s (RAM: no erase)\n", ind,
                fmt_size(s, sizeof s, p->prog_bytes), (unsigned long long)p->prog_bytes, p->progs,
                p->progs == 1 ? "" : "s");
        return;
    }
    if (p->units) {
        uint32_t changed = p->units - p->units_unchanged;
        fprintf(f, "%serase units: %u in range: %u unchanged (skipped), %u programmed without "
                "erase, %u erased\n", ind, p->units, p->units_unchanged, p->units_prog_only,
                changed - p->units_prog_only);
    }
    fprintf(f, "%serased:      %u sector%s, %u subsector%s%s\n", ind, p->erases_large,
            p->erases_large == 1 ? "" : "s", p->erases_small, p->erases_small == 1 ? "" : "s",
            p->erases_chip ? ", the whole chip" : "");
    fprintf(f, "%sprogrammed:  %s (%llu bytes) in %u page program%s\n", ind,
            fmt_size(s, sizeof s, p->prog_bytes), (unsigned long long)p->prog_bytes, p->progs,
            p->progs == 1 ? "" : "s");
}

void report_plan_time(FILE *f, const flash_plan *p, const board *b, const char *ind)
{
    double typ, max;
    char a[32], c[32];
    flash_plan_time(p, b, &typ, &max);
    fprintf(f, "%smodelled time on %s: %s typical, %s worst case\n", ind, b->part,
            fmt_ms(a, sizeof a, typ), fmt_ms(c, sizeof c, max));
}

void report_vendor_commands(FILE *f, const board *b, const char *blob, uint64_t addr)
{
    unsigned long long a = (unsigned long long)addr;
    fprintf(f, "  the same write with other tools (%s):\n", b->title);
    if (b->cubeprog_loader[0])
        fprintf(f, "    STM32_Programmer_CLI -c port=SWD -el \"<STM32CubeProgrammer>/bin/"
                "ExternalLoader/%s\" -d %s 0x%08llx -v\n", b->cubeprog_loader, blob, a);
    if (b->openocd_config[0])
        fprintf(f, "    openocd -f %s -c \"program %s 0x%08llx verify reset exit\"\n",
                b->openocd_config, blob, a);
    if (b->jlink_device[0])
        fprintf(f, "    printf 'loadbin %s,0x%08llx\\nverifybin %s,0x%08llx\\nexit\\n' > "
                "prog.jlink && JLinkExe -device %s -if SWD -speed 4000 -autoconnect 1 "
                "-CommandFile prog.jlink\n", blob, a, blob, a, b->jlink_device);
    if (!b->cubeprog_loader[0] && !b->openocd_config[0] && !b->jlink_device[0])
        fprintf(f, "    (no vendor programmer for this board)\n");
    if (b->note[0])
        fprintf(f, "    note: %s\n", b->note);
}
