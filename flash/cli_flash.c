/*
 * cli_flash.c - `kiln flash SUBCOMMAND` and `kiln boards`.
 *
 * Parses options, checks everything that can be checked before touching a
 * device (board known, blob valid, address aligned, blob fits), then runs the
 * planner or the A/B updater on a flash_dev: the NOR simulator over a device
 * image file (--device) or a target behind a GDB server (--gdb).  A device
 * image is loaded whole, changed in memory and written back through a
 * temporary file and rename, so a command that fails leaves the file exactly
 * as it was.  Exit codes: 0 done, 1 a check that did not pass (verify
 * mismatch, no valid slot), 2 any error.  The user-facing reference is
 * docs/flash.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "flash/ab_update.h"
#include "flash/board.h"
#include "flash/gdb_rsp.h"
#include "flash/hexfile.h"
#include "flash/nor_sim.h"
#include "flash/program.h"
#include "flash/report.h"
#include "kiln/blob.h"
#include "kiln/slots.h"
#include "util/fileio.h"
#include "util/sbuf.h"

#define EXIT_CHECK 1
#define EXIT_ERROR 2
#define ERRLEN 1024

typedef struct opts {
    const char *sub;
    const char *blob_path;
    const char *board, *boards_dir, *device, *gdb, *out, *format;
    bool have_address, have_size, have_signature;
    uint64_t address, size, signature;
    bool all, dry_run, quiet;
    int timeout_ms;
    unsigned record_size;
    const char *cut;            /* --inject-power-cut ops:N | bytes:N (testing) */
    uint32_t seed;
} opts;

static int error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiln flash: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return EXIT_ERROR;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: kiln flash SUBCOMMAND [options]   (docs/flash.md)\n"
        "\n"
        "  write  BLOB --board B [--address A] --device IMAGE [--dry-run]\n"
        "  write  BLOB --gdb HOST:PORT --address A [--board B] [--dry-run]\n"
        "  verify BLOB --board B [--address A] (--device IMAGE | --gdb HOST:PORT)\n"
        "  read   --board B --address A --size N (--device IMAGE | --gdb HOST:PORT) -o OUT\n"
        "  erase  --board B (--address A --size N | --all) (--device IMAGE | --gdb HOST:PORT)\n"
        "  export BLOB (--address A | --board B) --format ihex|srec -o OUT [--record-size 16|32]\n"
        "  update BLOB --board B --device IMAGE [--address A --size N] [--dry-run]\n"
        "  slots  --board B --device IMAGE [--address A --size N] [--signature S]\n"
        "\n"
        "options:\n"
        "  --board B          board descriptor name (`kiln boards` lists them)\n"
        "  --boards-dir DIR   where descriptors live (default $KILN_BOARDS_DIR or <repo>/boards)\n"
        "  --address A        absolute address (0x90000000); default: the board's flash base\n"
        "  --size N           bytes (4096, 0x1000, 64K, 16M)\n"
        "  --device IMAGE     simulated flash: a file holding the chip's bytes (created erased)\n"
        "  --gdb HOST:PORT    a GDB server: QEMU -gdb, OpenOCD (3333), J-Link GDB Server (2331)\n"
        "  --timeout SEC      wait at most SEC seconds for each GDB reply (default 5)\n"
        "  --dry-run          print the plan, change nothing\n"
        "  --quiet            no progress bar\n"
        "  --inject-power-cut ops:N|bytes:N [--seed S]\n"
        "                     (testing) cut the simulated power after N operations or bytes\n");
}

/* "4096", "0x1000", "64K", "64KiB", "16M", "16MiB". */
static bool parse_num(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || errno || s[0] == '-')
        return false;
    uint64_t mul = 1;
    if (!strcmp(end, "K") || !strcmp(end, "KiB") || !strcmp(end, "k"))
        mul = 1024;
    else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
        mul = 1024 * 1024;
    else if (*end)
        return false;
    if (v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

static int parse_opts(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 5000;
    o->record_size = 16;
    o->sub = argv[1];
    for (int i = 2; i < argc; i++) {
        char *a = argv[i], *val = NULL;
        char name[64];
        if (a[0] != '-' || !a[1]) {
            if (o->blob_path)
                return error("unexpected argument '%s' (one BLOB only)", a);
            o->blob_path = a;
            continue;
        }
        snprintf(name, sizeof name, "%s", a);
        char *eq = strchr(name, '=');
        if (eq) {
            *eq = '\0';
            val = a + (eq - name) + 1;
        }
        static const char *const flags[] = {"--all", "--dry-run", "--quiet", "--help", "-h"};
        bool is_flag = false;
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            is_flag |= !strcmp(name, flags[k]);
        if (!is_flag && !val) {
            if (i + 1 >= argc)
                return error("option %s needs a value", name);
            val = argv[++i];
        }
        uint64_t n;
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(name, "--all")) {
            o->all = true;
        } else if (!strcmp(name, "--dry-run")) {
            o->dry_run = true;
        } else if (!strcmp(name, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(name, "--board")) {
            o->board = val;
        } else if (!strcmp(name, "--boards-dir")) {
            o->boards_dir = val;
        } else if (!strcmp(name, "--device")) {
            o->device = val;
        } else if (!strcmp(name, "--gdb")) {
            o->gdb = val;
        } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
            o->out = val;
        } else if (!strcmp(name, "--format")) {
            o->format = val;
        } else if (!strcmp(name, "--inject-power-cut")) {
            o->cut = val;
        } else if (!strcmp(name, "--address") || !strcmp(name, "--size") ||
                   !strcmp(name, "--signature") || !strcmp(name, "--timeout") ||
                   !strcmp(name, "--record-size") || !strcmp(name, "--seed")) {
            if (!parse_num(val, &n))
                return error("%s: '%s' is not a number (use 4096, 0x1000, 64K or 16M)", name, val);
            if (!strcmp(name, "--address")) {
                if (n > 0xFFFFFFFFull)
                    return error("--address 0x%llx is beyond the 32-bit address space",
                                 (unsigned long long)n);
                o->address = n;
                o->have_address = true;
            } else if (!strcmp(name, "--size")) {
                if (n == 0 || n > 0xFFFFFFFFull)
                    return error("--size %llu: need 1 byte to 4 GiB", (unsigned long long)n);
                o->size = n;
                o->have_size = true;
            } else if (!strcmp(name, "--signature")) {
                o->signature = n;
                o->have_signature = true;
            } else if (!strcmp(name, "--timeout")) {
                if (n == 0 || n > 3600)
                    return error("--timeout %llu: give 1 to 3600 seconds", (unsigned long long)n);
                o->timeout_ms = (int)n * 1000;
            } else if (!strcmp(name, "--record-size")) {
                if (n != 16 && n != 32)
                    return error("--record-size must be 16 or 32");
                o->record_size = (unsigned)n;
            } else {
                o->seed = (uint32_t)n;
            }
        } else {
            return error("unknown option '%s' for `kiln flash %s` (kiln flash --help)", name,
                         o->sub);
        }
    }
    return 0;
}

/* ---- inputs: board, blob ---- */

static bool load_board(const opts *o, board *b)
{
    char err[ERRLEN];
    char *dir = board_dir(o->boards_dir);
    bool ok = board_find(dir, o->board, b, err, sizeof err);
    free(dir);
    if (!ok)
        error("%s", err);
    return ok;
}

typedef struct blob_file {
    uint8_t *data;          /* aligned copy of the file */
    uint32_t len;
    kiln_blob_report rep;
} blob_file;

/* Reads BLOB and runs every check the runtime will run (with the blob's own
 * signature, which the firmware will compare with its own). */
static bool load_blob(const char *path, blob_file *bf)
{
    char err[ERRLEN];
    uint8_t *raw;
    size_t n;
    memset(bf, 0, sizeof *bf);
    if (!read_file(path, &raw, &n, err, sizeof err)) {
        error("%s", err);
        return false;
    }
    if (n > 0x7FFFFFFFu) {
        free(raw);
        error("%s: %zu bytes is too large for a blob", path, n);
        return false;
    }
    bf->len = (uint32_t)n;
    bf->data = ab_alloc_aligned(n ? n : 1);
    memcpy(bf->data, raw, n);
    free(raw);
    uint64_t sig = n >= KILN_BLOB_HEADER_SIZE ? kiln_rd_u64(bf->data + KILN_BLOB_OFF_SIGNATURE) : 0;
    kiln_status st = kiln_blob_check(bf->data, n, sig, 0, &bf->rep);
    if (st != KILN_OK) {
        if (st == KILN_E_BLOB_HEADER_CRC || st == KILN_E_BLOB_PAYLOAD_CRC)
            error("%s is not a valid Kiln blob: %s (%s: stored 0x%08x, computed 0x%08x)", path,
                  kiln_status_str(st), kiln_status_name(st), bf->rep.crc_expected,
                  bf->rep.crc_found);
        else if (st == KILN_E_BLOB_TRUNCATED)
            error("%s is not a valid Kiln blob: the header says %u bytes, the file has %zu", path,
                  bf->rep.total_size, n);
        else
            error("%s is not a valid Kiln blob: %s (%s)", path, kiln_status_str(st),
                  kiln_status_name(st));
        free(bf->data);
        bf->data = NULL;
        return false;
    }
    if (bf->rep.total_size != n) {
        error("%s: the blob header says %u bytes but the file has %zu (trailing bytes?)", path,
              bf->rep.total_size, n);
        free(bf->data);
        bf->data = NULL;
        return false;
    }
    return true;
}

/* ---- addresses ---- */

/* Checks that [addr, addr + len) lies in the board's flash and returns the
 * device offset. */
static bool board_range(const board *b, uint64_t addr, uint64_t len, const char *what,
                        uint32_t *off)
{
    uint64_t end = b->base + b->size;
    if (addr < b->base || addr >= end) {
        if (addr < b->size && b->base)
            error("address 0x%llx is outside %s's flash (0x%08llx..0x%08llx); did you mean "
                  "0x%08llx (base + 0x%llx)?", (unsigned long long)addr, b->name,
                  (unsigned long long)b->base, (unsigned long long)end - 1,
                  (unsigned long long)(b->base + addr), (unsigned long long)addr);
        else
            error("address 0x%llx is outside %s's flash (0x%08llx..0x%08llx)",
                  (unsigned long long)addr, b->name, (unsigned long long)b->base,
                  (unsigned long long)end - 1);
        return false;
    }
    if (len > b->size) {
        error("%s is %llu bytes, larger than %s's whole flash (%u bytes, %s)", what,
              (unsigned long long)len, b->name, b->size, b->part);
        return false;
    }
    if (len > end - addr) {
        error("%s is %llu bytes but only %llu bytes of flash remain from 0x%llx to the end of "
              "%s's %u-byte flash at 0x%08llx", what, (unsigned long long)len,
              (unsigned long long)(end - addr), (unsigned long long)addr, b->name, b->size,
              (unsigned long long)b->base);
        return false;
    }
    *off = (uint32_t)(addr - b->base);
    return true;
}

static bool check_align(uint64_t addr, uint32_t unit, const char *why)
{
    if (unit && addr % unit) {
        uint64_t lo = addr - addr % unit;
        error("address 0x%llx is not aligned to %s (%u bytes); nearest aligned: 0x%llx or "
              "0x%llx", (unsigned long long)addr, why, unit, (unsigned long long)lo,
              (unsigned long long)(lo + unit));
        return false;
    }
    return true;
}

/* A blob must start on the chip's smallest erase unit (so writing it never
 * erases bytes of a neighbour that shares the unit) and on the alignment its
 * header asks for (or the runtime refuses it). */
static bool check_blob_address(const board *b, const blob_file *bf, uint64_t addr)
{
    char why[160];
    if (b) {
        snprintf(why, sizeof why, "the %s's smallest erase unit", b->part);
        if (!check_align(addr, b->subsector_size, why))
            return false;
    }
    snprintf(why, sizeof why, "the blob's alignment (header field align)");
    return check_align(addr, bf->rep.align, why);
}

/* ---- device images ---- */

typedef struct image {
    const char *path;
    uint8_t *mem;           /* board size, aligned */
    bool existed;
    nor_sim sim;
} image;

static bool image_open(image *im, const opts *o, const board *b, bool create)
{
    char err[ERRLEN];
    struct stat st;
    memset(im, 0, sizeof *im);
    im->path = o->device;
    im->mem = ab_alloc_aligned(b->size);
    if (stat(o->device, &st) == 0) {
        uint8_t *data;
        size_t n;
        if (!read_file(o->device, &data, &n, err, sizeof err)) {
            free(im->mem);
            error("%s", err);
            return false;
        }
        if (n != b->size) {
            free(data);
            free(im->mem);
            error("device image %s is %zu bytes but %s's flash is %u bytes (an image of another "
                  "board?)", o->device, n, b->name, b->size);
            return false;
        }
        memcpy(im->mem, data, n);
        free(data);
        im->existed = true;
    } else if (create) {
        memset(im->mem, b->erase_value, b->size);
    } else {
        free(im->mem);
        error("device image %s does not exist (kiln flash write creates one)", o->device);
        return false;
    }
    nor_config c;
    nor_config_from_board(&c, b);
    nor_sim_init(&im->sim, &c, im->mem, b->base);
    if (o->cut) {
        uint64_t n;
        if (!strncmp(o->cut, "ops:", 4) && parse_num(o->cut + 4, &n))
            nor_sim_cut_after_ops(&im->sim, n, o->seed);
        else if (!strncmp(o->cut, "bytes:", 6) && parse_num(o->cut + 6, &n))
            nor_sim_cut_after_bytes(&im->sim, n, o->seed);
        else {
            nor_sim_free(&im->sim);
            free(im->mem);
            error("--inject-power-cut '%s': expected ops:N or bytes:N", o->cut);
            return false;
        }
    }
    return true;
}

static bool image_save(image *im)
{
    char err[ERRLEN];
    if (!write_file_atomic(im->path, im->mem, im->sim.cfg.size, err, sizeof err)) {
        error("%s", err);
        return false;
    }
    return true;
}

static void image_close(image *im)
{
    nor_sim_free(&im->sim);
    free(im->mem);
    im->mem = NULL;
}

/* After a failed operation on a simulated device: a simulated power cut is
 * the device's real state and is saved; anything else leaves the file as it
 * was. */
static int device_failure(image *im, const char *what, const char *msg)
{
    if (im->sim.off) {
        image_save(im);
        fprintf(stderr, "kiln flash: %s: %s\nkiln flash: the device image %s now holds the "
                "interrupted state (simulated power loss)\n", what, msg, im->path);
        return EXIT_ERROR;
    }
    return error("%s: %s; %s left unchanged", what, msg, im->path);
}

static void report_sim(FILE *f, const nor_sim *s, const board *b)
{
    char a[32], c[32];
    fprintf(f, "  modelled time on %s: %s typical, %s worst case (%llu operations)\n", b->part,
            fmt_ms(a, sizeof a, s->st.typ_ms), fmt_ms(c, sizeof c, s->st.max_ms),
            (unsigned long long)s->st.ops);
    fprintf(f, "  wear:        highest erase count of any subsector in this run: %u\n",
            nor_sim_max_erase_count(s));
}

/* ---- GDB targets ---- */

typedef struct target {
    gdb_conn g;
    gdb_dev gd;
    uint32_t off;           /* of the address within gd.dev */
} target;

/* Connects and picks the memory the write lands in: a flash region of the
 * server's memory map (vFlash packets), a RAM region, the board's flash as
 * RAM-like memory when the server has no map (QEMU), or just [addr, len). */
static bool target_open(target *t, const opts *o, const board *b, uint64_t addr, uint64_t len)
{
    memset(t, 0, sizeof *t);
    if (!gdb_open(&t->g, o->gdb, o->timeout_ms)) {
        error("%s", t->g.err);
        gdb_close(&t->g);
        return false;
    }
    const gdb_region *r = gdb_find_region(&t->g, addr);
    uint64_t base, size;
    if (r) {
        if (r->type == GDB_MEM_ROM) {
            error("0x%llx is ROM in the memory map of the GDB server at %s",
                  (unsigned long long)addr, o->gdb);
            gdb_close(&t->g);
            return false;
        }
        if (r->type == GDB_MEM_FLASH && (r->blocksize == 0 || r->start % r->blocksize ||
                                         r->length % r->blocksize)) {
            error("the GDB server's memory map gives flash at 0x%llx no usable blocksize",
                  (unsigned long long)r->start);
            gdb_close(&t->g);
            return false;
        }
        base = r->start;
        size = r->length;
    } else if (b && !t->g.has_memory_map) {
        base = b->base;
        size = b->size;
    } else {
        base = addr;
        size = len;
    }
    if (addr < base || len > size || addr - base > size - len || size > 0xFFFFFFFFu) {
        error("%llu bytes at 0x%llx do not fit in the target's memory region 0x%llx + %llu",
              (unsigned long long)len, (unsigned long long)addr, (unsigned long long)base,
              (unsigned long long)size);
        gdb_close(&t->g);
        return false;
    }
    gdb_dev_init(&t->gd, &t->g, base, (uint32_t)size,
                 r && r->type == GDB_MEM_FLASH ? r : NULL);
    t->off = (uint32_t)(addr - base);
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- verify ---- */

/* Compares and prints; returns 0 equal, 1 different, 2 read error. */
static int compare_and_report(flash_dev *d, uint32_t off, const blob_file *bf, const char *what)
{
    bool same;
    uint32_t first, crc;
    uint64_t ndiff;
    uint8_t found;
    flash_rc rc = flash_compare(d, off, bf->data, bf->len, &same, &first, &ndiff, &crc, &found);
    if (rc != FLASH_OK)
        return error("reading back %s: %s", what, d->err);
    uint32_t want = kiln_crc32(0, bf->data, bf->len);
    if (same) {
        printf("  verify:      OK: %u bytes at 0x%08llx match (CRC-32 0x%08x)\n", bf->len,
               (unsigned long long)(d->base + off), crc);
        return 0;
    }
    printf("  verify:      MISMATCH: first difference at 0x%08llx: device has 0x%02x, blob has "
           "0x%02x; %llu of %u bytes differ; CRC-32 device 0x%08x, blob 0x%08x\n",
           (unsigned long long)(d->base + off + first), found, bf->data[first],
           (unsigned long long)ndiff, bf->len, crc, want);
    return EXIT_CHECK;
}

/* ---- subcommands ---- */

static int flash_write(const opts *o)
{
    board b = {0};
    blob_file bf;
    if (!o->blob_path)
        return error("write: which BLOB? (kiln flash write BLOB --board B --device IMAGE)");
    if (!!o->device + !!o->gdb != 1)
        return error("write: give exactly one of --device IMAGE (simulated flash) or --gdb "
                     "HOST:PORT (a target)");
    if (o->device && !o->board)
        return error("write: --board is required with --device (kiln boards lists them)");
    if (o->gdb && !o->have_address && !o->board)
        return error("write: --address is required with --gdb (or give --board for its base)");
    if (o->board && !load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    if (!load_blob(o->blob_path, &bf))
        goto out_board;
    uint64_t addr = o->have_address ? o->address : b.base;
    uint32_t off = 0;
    if (bp && !board_range(bp, addr, bf.len, "the blob", &off))
        goto out_blob;
    if (!check_blob_address(bp, &bf, addr))
        goto out_blob;
    char err[ERRLEN], s[32];
    flash_plan plan;
    progress pr;

    if (o->device) {
        image im;
        if (!image_open(&im, o, &b, true))
            goto out_blob;
        printf("kiln flash write: %s (%s) -> %s %s at 0x%08llx (device image %s%s)\n",
               o->blob_path, fmt_size(s, sizeof s, bf.len), b.name, b.part,
               (unsigned long long)addr, o->device, im.existed ? "" : ", new");
        if (!flash_plan_write(&im.sim.dev, off, bf.data, bf.len, &plan, err, sizeof err)) {
            rc = error("%s", err);
            image_close(&im);
            goto out_blob;
        }
        if (o->dry_run) {
            printf("  plan (dry run, nothing written):\n");
            report_plan_ops(stdout, &plan, b.base, 40);
            report_plan_summary(stdout, &plan, "  ");
            report_plan_time(stdout, &plan, &b, "  ");
            report_vendor_commands(stdout, &b, o->blob_path, addr);
            flash_plan_free(&plan);
            image_close(&im);
            rc = 0;
            goto out_blob;
        }
        progress_init(&pr, "writing", o->quiet);
        flash_rc frc = flash_plan_run(&im.sim.dev, &plan, progress_update, &pr);
        progress_end(&pr);
        if (frc != FLASH_OK) {
            rc = device_failure(&im, "write failed", im.sim.dev.err);
            flash_plan_free(&plan);
            image_close(&im);
            goto out_blob;
        }
        report_plan_summary(stdout, &plan, "  ");
        rc = compare_and_report(&im.sim.dev, off, &bf, "the device");
        if (rc == 0) {
            if ((plan.nops || !im.existed) && !image_save(&im))
                rc = EXIT_ERROR;
            else if (!plan.nops)
                printf("  unchanged:   the device already held this blob; nothing written\n");
        } else {
            rc = device_failure(&im, "write did not verify", "read-back differs");
        }
        report_sim(stdout, &im.sim, &b);
        if (rc == 0)
            report_vendor_commands(stdout, &b, o->blob_path, addr);
        flash_plan_free(&plan);
        image_close(&im);
        goto out_blob;
    }

    /* --gdb */
    target t;
    if (!target_open(&t, o, bp, addr, bf.len))
        goto out_blob;
    flash_dev *d = &t.gd.dev;
    printf("kiln flash write: %s (%s) -> 0x%08llx through the GDB server at %s (%s)\n",
           o->blob_path, fmt_size(s, sizeof s, bf.len), (unsigned long long)addr, o->gdb,
           d->erase_small ? "flash in its memory map: vFlashErase/vFlashWrite/vFlashDone" :
           t.g.has_memory_map ? "RAM in its memory map: X/M packets" :
           "no memory map: written as RAM with X/M packets");
    double t0 = now_s();
    if (!flash_plan_write(d, t.off, bf.data, bf.len, &plan, err, sizeof err)) {
        rc = error("%s", err);
        gdb_close(&t.g);
        goto out_blob;
    }
    if (o->dry_run) {
        printf("  plan (dry run, nothing written):\n");
        report_plan_ops(stdout, &plan, d->base, 40);
        report_plan_summary(stdout, &plan, "  ");
        rc = 0;
    } else {
        progress_init(&pr, "writing", o->quiet);
        flash_rc frc = flash_plan_run(d, &plan, progress_update, &pr);
        progress_end(&pr);
        if (frc != FLASH_OK) {
            rc = error("write failed: %s", d->err);
        } else {
            report_plan_summary(stdout, &plan, "  ");
            rc = compare_and_report(d, t.off, &bf, "the target");
            printf("  link:        %llu packets in %.2f s (packet size %u, %s%s)\n",
                   (unsigned long long)t.g.packets, now_s() - t0, t.g.packet_size,
                   t.g.ack ? "ack mode" : "no-ack mode",
                   d->erase_small ? ", vFlash packets" :
                   t.g.x_packets == 0 ? ", M packets: the server takes no X" : ", X packets");
        }
    }
    if (bp && rc == 0 && bp->base <= addr) {
        /* The target's own operations (RAM, or the server's flash driver)
         * say nothing about the board's chip: model a full rewrite on it. */
        double typ, max;
        char a[32], c[32];
        flash_time_full_rewrite(bp, (uint32_t)(addr - bp->base), bf.len, &typ, &max);
        printf("  modelled time on %s for erasing and programming this range: %s typical, %s "
               "worst case\n", bp->part, fmt_ms(a, sizeof a, typ), fmt_ms(c, sizeof c, max));
    }
    flash_plan_free(&plan);
    gdb_close(&t.g);
out_blob:
    free(bf.data);
out_board:
    if (bp)
        board_free(&b);
    return rc;
}

static int flash_verify(const opts *o)
{
    board b = {0};
    blob_file bf;
    if (!o->blob_path)
        return error("verify: which BLOB? (kiln flash verify BLOB --board B --device IMAGE)");
    if (!!o->device + !!o->gdb != 1)
        return error("verify: give exactly one of --device IMAGE or --gdb HOST:PORT");
    if (o->device && !o->board)
        return error("verify: --board is required with --device");
    if (o->gdb && !o->have_address && !o->board)
        return error("verify: --address is required with --gdb (or give --board)");
    if (o->board && !load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    if (!load_blob(o->blob_path, &bf))
        goto out_board;
    uint64_t addr = o->have_address ? o->address : b.base;
    uint32_t off = 0;
    if (bp && !board_range(bp, addr, bf.len, "the blob", &off))
        goto out_blob;
    printf("kiln flash verify: %s (%u bytes) against 0x%08llx of %s\n", o->blob_path, bf.len,
           (unsigned long long)addr, o->device ? o->device : o->gdb);
    if (o->device) {
        image im;
        if (!image_open(&im, o, &b, false))
            goto out_blob;
        rc = compare_and_report(&im.sim.dev, off, &bf, "the device image");
        image_close(&im);
    } else {
        target t;
        if (!target_open(&t, o, bp, addr, bf.len))
            goto out_blob;
        rc = compare_and_report(&t.gd.dev, t.off, &bf, "the target");
        gdb_close(&t.g);
    }
out_blob:
    free(bf.data);
out_board:
    if (bp)
        board_free(&b);
    return rc;
}

static int flash_read(const opts *o)
{
    board b = {0};
    if (o->blob_path)
        return error("read: unexpected argument '%s' (the output goes to -o OUT)", o->blob_path);
    if (!o->have_address || !o->have_size || !o->out)
        return error("read: --address A, --size N and -o OUT are required");
    if (!!o->device + !!o->gdb != 1)
        return error("read: give exactly one of --device IMAGE or --gdb HOST:PORT");
    if (o->device && !o->board)
        return error("read: --board is required with --device");
    if (o->board && !load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    uint32_t off = 0, len = (uint32_t)o->size;
    char err[ERRLEN];
    if (bp && !board_range(bp, o->address, o->size, "the read", &off))
        goto out;
    uint8_t *buf = ab_alloc_aligned(len);
    progress pr;
    progress_init(&pr, "reading", o->quiet);
    flash_rc frc;
    if (o->device) {
        image im;
        if (!image_open(&im, o, &b, false)) {
            free(buf);
            goto out;
        }
        frc = flash_read_range(&im.sim.dev, off, buf, len, progress_update, &pr);
        if (frc != FLASH_OK)
            error("read failed: %s", im.sim.dev.err);
        image_close(&im);
    } else {
        target t;
        if (!target_open(&t, o, bp, o->address, len)) {
            free(buf);
            goto out;
        }
        frc = flash_read_range(&t.gd.dev, t.off, buf, len, progress_update, &pr);
        if (frc != FLASH_OK)
            error("read failed: %s", t.gd.dev.err);
        gdb_close(&t.g);
    }
    progress_end(&pr);
    if (frc == FLASH_OK) {
        if (!write_file_atomic(o->out, buf, len, err, sizeof err)) {
            error("%s", err);
        } else {
            printf("kiln flash read: %u bytes at 0x%08llx -> %s (CRC-32 0x%08x)\n", len,
                   (unsigned long long)o->address, o->out, kiln_crc32(0, buf, len));
            /* Say what is there: the question users could not answer. */
            kiln_blob_report rep;
            uint64_t sig = len >= KILN_BLOB_HEADER_SIZE ?
                           kiln_rd_u64(buf + KILN_BLOB_OFF_SIGNATURE) : 0;
            kiln_status st = kiln_blob_check(buf, len, sig, 0, &rep);
            if (st == KILN_OK)
                printf("  content:     a valid Kiln blob of %u bytes (signature 0x%016llx)\n",
                       rep.total_size, (unsigned long long)rep.signature);
            else
                printf("  content:     not a valid Kiln blob: %s (%s)\n", kiln_status_str(st),
                       kiln_status_name(st));
            rc = 0;
        }
    }
    free(buf);
out:
    if (bp)
        board_free(&b);
    return rc;
}

static int flash_erase(const opts *o)
{
    board b = {0};
    if (o->blob_path)
        return error("erase: unexpected argument '%s'", o->blob_path);
    if (!!o->device + !!o->gdb != 1)
        return error("erase: give exactly one of --device IMAGE or --gdb HOST:PORT");
    if (o->device && !o->board)
        return error("erase: --board is required with --device");
    if (o->all ? (o->have_address || o->have_size) : !(o->have_address && o->have_size))
        return error("erase: give either --address A --size N, or --all");
    if (o->all && !o->board)
        return error("erase: --all needs --board (the whole of its flash)");
    if (o->board && !load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    uint64_t addr = o->all ? b.base : o->address, len = o->all ? b.size : o->size;
    uint32_t off;
    char err[ERRLEN], s[32];
    if (bp && !board_range(bp, addr, len, "the erase range", &off))
        goto out;
    if (bp && (addr % b.subsector_size || len % b.subsector_size)) {
        rc = error("erase range 0x%llx + %llu is not aligned to the %s's %u-byte erase unit "
                   "(subsector); erases cover whole units", (unsigned long long)addr,
                   (unsigned long long)len, b.part, b.subsector_size);
        goto out;
    }
    flash_plan plan;
    progress pr;
    if (o->device) {
        image im;
        if (!image_open(&im, o, &b, true))
            goto out;
        printf("kiln flash erase: %s at 0x%08llx on %s %s (device image %s)\n",
               o->all ? "the whole chip" : fmt_size(s, sizeof s, len), (unsigned long long)addr,
               b.name, b.part, o->device);
        if (!flash_plan_erase(&im.sim.dev, off, (uint32_t)len, o->all, &plan, err, sizeof err)) {
            rc = error("%s", err);
            image_close(&im);
            goto out;
        }
        if (o->dry_run) {
            printf("  plan (dry run, nothing erased):\n");
            report_plan_ops(stdout, &plan, b.base, 40);
            report_plan_summary(stdout, &plan, "  ");
            report_plan_time(stdout, &plan, &b, "  ");
            rc = 0;
        } else {
            progress_init(&pr, "erasing", o->quiet);
            flash_rc frc = flash_plan_run(&im.sim.dev, &plan, progress_update, &pr);
            progress_end(&pr);
            if (frc != FLASH_OK) {
                rc = device_failure(&im, "erase failed", im.sim.dev.err);
            } else {
                report_plan_summary(stdout, &plan, "  ");
                report_sim(stdout, &im.sim, &b);
                rc = (plan.nops || !im.existed) && !image_save(&im) ? EXIT_ERROR : 0;
            }
        }
        flash_plan_free(&plan);
        image_close(&im);
        goto out;
    }

    /* --gdb: the server's memory map must mark the range as flash. */
    target t;
    if (!target_open(&t, o, bp, addr, len))
        goto out;
    printf("kiln flash erase: %s at 0x%08llx through the GDB server at %s\n",
           fmt_size(s, sizeof s, len), (unsigned long long)addr, o->gdb);
    if (!flash_plan_erase(&t.gd.dev, t.off, (uint32_t)len, false, &plan, err, sizeof err)) {
        rc = error("%s (the GDB server's memory map does not list 0x%llx as flash)", err,
                   (unsigned long long)addr);
    } else {
        if (o->dry_run) {
            printf("  plan (dry run, nothing erased):\n");
            report_plan_ops(stdout, &plan, t.gd.dev.base, 40);
            rc = 0;
        } else if (flash_plan_run(&t.gd.dev, &plan, NULL, NULL) != FLASH_OK) {
            rc = error("erase failed: %s", t.gd.dev.err);
        } else {
            rc = 0;
        }
        report_plan_summary(stdout, &plan, "  ");
        flash_plan_free(&plan);
    }
    gdb_close(&t.g);
out:
    if (bp)
        board_free(&b);
    return rc;
}

static int flash_export(const opts *o)
{
    board b = {0};
    blob_file bf;
    if (!o->blob_path || !o->out)
        return error("export: kiln flash export BLOB --address A --format ihex|srec -o OUT");
    const char *fmt = o->format;
    if (!fmt) {
        const char *ext = path_ext(o->out);
        if (!strcmp(ext, "hex") || !strcmp(ext, "ihex"))
            fmt = "ihex";
        else if (!strcmp(ext, "srec") || !strcmp(ext, "s19") || !strcmp(ext, "s37") ||
                 !strcmp(ext, "mot"))
            fmt = "srec";
        else
            return error("export: --format ihex or srec (cannot tell from '%s')", o->out);
    }
    if (strcmp(fmt, "ihex") && strcmp(fmt, "srec"))
        return error("export: unknown --format '%s' (ihex or srec)", fmt);
    if (!o->have_address && !o->board)
        return error("export: --address A is required (or --board B for its flash base)");
    if (o->board && !load_board(o, &b))
        return EXIT_ERROR;
    const board *bp = o->board ? &b : NULL;
    int rc = EXIT_ERROR;
    if (!load_blob(o->blob_path, &bf))
        goto out_board;
    uint64_t addr = o->have_address ? o->address : b.base;
    uint32_t off;
    char err[ERRLEN];
    if (bp && !board_range(bp, addr, bf.len, "the blob", &off))
        goto out_blob;
    if (!check_blob_address(bp, &bf, addr))
        goto out_blob;
    sbuf text = {0};
    bool ok = !strcmp(fmt, "ihex")
                  ? hex_write_ihex(&text, (uint32_t)addr, bf.data, bf.len, o->record_size, err,
                                   sizeof err)
                  : hex_write_srec(&text, (uint32_t)addr, bf.data, bf.len, o->record_size, "kiln",
                                   err, sizeof err);
    if (!ok) {
        rc = error("%s", err);
    } else if (!write_file_atomic(o->out, text.s, text.len, err, sizeof err)) {
        rc = error("%s", err);
    } else {
        printf("kiln flash export: %s (%u bytes) at 0x%08llx -> %s (%s, %u data bytes per "
               "record)\n", o->blob_path, bf.len, (unsigned long long)addr, o->out,
               !strcmp(fmt, "ihex") ? "Intel HEX" : "Motorola S-record", o->record_size);
        printf("  program it with: STM32_Programmer_CLI ... -d %s -v | openocd ... -c \"program "
               "%s verify\" | J-Flash | objcopy -I %s -O binary\n", o->out, o->out,
               !strcmp(fmt, "ihex") ? "ihex" : "srec");
        rc = 0;
    }
    sb_free(&text);
out_blob:
    free(bf.data);
out_board:
    if (bp)
        board_free(&b);
    return rc;
}

/* The A/B region: --address/--size, or the whole flash. */
static bool ab_region(const opts *o, const board *b, uint32_t *off, uint32_t *size)
{
    uint64_t addr = o->have_address ? o->address : b->base;
    uint64_t len = o->have_size ? o->size : b->base + b->size - addr;
    if (!board_range(b, addr, len, "the A/B region", off))
        return false;
    if (addr % b->subsector_size || len % b->subsector_size) {
        error("A/B region 0x%llx + %llu is not aligned to the %s's %u-byte erase unit",
              (unsigned long long)addr, (unsigned long long)len, b->part, b->subsector_size);
        return false;
    }
    if (!check_align(addr, KILN_SLOTS_BLOB_ALIGN, "4 KiB (slots hold blobs aligned up to 4 KiB)"))
        return false;
    *size = (uint32_t)len;
    return true;
}

/* The layout, the records and each slot's check: with the firmware's
 * signature when known, else each blob's own. */
static void print_slot_state(const ab_state *st, const uint8_t *region, uint64_t base,
                             const opts *o)
{
    const kiln_slots_layout *l = &st->layout;
    char s[32], s2[32];
    printf("  layout:      record areas 0x%08llx, 0x%08llx (%s each); slot A 0x%08llx, slot B "
           "0x%08llx (%s each)\n", (unsigned long long)(base + l->record_off[0]),
           (unsigned long long)(base + l->record_off[1]), fmt_size(s, sizeof s, l->unit),
           (unsigned long long)(base + l->slot_off[0]), (unsigned long long)(base + l->slot_off[1]),
           fmt_size(s2, sizeof s2, l->slot_size));
    if (st->scan.newest.seq)
        printf("  records:     %u valid; newest #%u names slot %c\n", st->scan.records,
               st->scan.newest.seq, 'A' + st->scan.newest.slot);
    else
        printf("  records:     none\n");
    for (int k = 0; k < 2; k++) {
        const uint8_t *b = region + l->slot_off[k];
        kiln_blob_report rep;
        uint64_t sig = o->have_signature ? o->signature : kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
        kiln_status c = kiln_blob_check(b, l->slot_size, sig, 0, &rep);
        if (c == KILN_OK)
            printf("  slot %c:      valid blob, %u bytes, signature 0x%016llx\n", 'A' + k,
                   rep.total_size, (unsigned long long)rep.signature);
        else
            printf("  slot %c:      %s (%s)\n", 'A' + k, kiln_status_str(c), kiln_status_name(c));
    }
}

static int flash_update(const opts *o)
{
    board b = {0};
    blob_file bf;
    if (!o->blob_path)
        return error("update: which BLOB? (kiln flash update BLOB --board B --device IMAGE)");
    if (o->gdb)
        return error("update: A/B updates run on --device images; over --gdb use `write` into a "
                     "slot (docs/ab-update.md)");
    if (!o->device || !o->board)
        return error("update: --board B and --device IMAGE are required");
    if (!load_board(o, &b))
        return EXIT_ERROR;
    int rc = EXIT_ERROR;
    if (!load_blob(o->blob_path, &bf))
        goto out_board;
    uint32_t off, size;
    if (!ab_region(o, &b, &off, &size))
        goto out_blob;
    image im;
    if (!image_open(&im, o, &b, true))
        goto out_blob;
    char err[ERRLEN], s[32], s2[32];
    uint64_t base = b.base + off;
    printf("kiln flash update: %s (%s) -> A/B region 0x%08llx + %s of %s %s (device image %s)\n",
           o->blob_path, fmt_size(s, sizeof s, bf.len), (unsigned long long)base,
           fmt_size(s2, sizeof s2, size), b.name, b.part, o->device);
    uint8_t *region = ab_alloc_aligned(size);
    ab_state st;
    if (!ab_read_state(&im.sim.dev, off, size, region, &st, err, sizeof err)) {
        rc = error("%s", err);
        goto out_image;
    }
    if (st.status == KILN_OK)
        printf("  before:      slot %c is live (record %u)\n", 'A' + st.choice.slot,
               st.choice.seq);
    else
        printf("  before:      no valid slot (%s)\n", kiln_status_name(st.status));
    progress pr;
    progress_init(&pr, "writing", o->quiet);
    ab_result r;
    bool ok = ab_update(&im.sim.dev, off, size, bf.data, bf.len, o->dry_run, progress_update, &pr,
                        &r, err, sizeof err);
    progress_end(&pr);
    if (!ok) {
        rc = device_failure(&im, "update failed", err);
        flash_plan_free(&r.plan);
        goto out_image;
    }
    if (r.up_to_date) {
        printf("  unchanged:   slot %c already holds this blob under the newest record (%u); "
               "nothing written\n", 'A' + r.slot, r.seq);
        rc = im.existed ? 0 : (image_save(&im) ? 0 : EXIT_ERROR);
        goto out_image;
    }
    if (o->dry_run) {
        printf("  plan (dry run, nothing written): slot %c at 0x%08llx, then record %u\n",
               'A' + r.slot, (unsigned long long)(base + st.layout.slot_off[r.slot]), r.seq);
        report_plan_ops(stdout, &r.plan, b.base, 40);
        report_plan_summary(stdout, &r.plan, "  ");
        report_plan_time(stdout, &r.plan, &b, "  ");
        flash_plan_free(&r.plan);
        rc = 0;
        goto out_image;
    }
    printf("  wrote:       slot %c at 0x%08llx\n", 'A' + r.slot,
           (unsigned long long)(base + st.layout.slot_off[r.slot]));
    report_plan_summary(stdout, &r.plan, "  ");
    printf("  verify:      OK (slot read back identical before the commit)\n");
    printf("  commit:      record %u -> slot %c%s\n", r.seq, 'A' + r.slot,
           r.record_area_erased ? " (record area full: the other one erased and reused)" : "");
    printf("  after:       the runtime picks slot %c (record %u)\n", 'A' + r.slot, r.seq);
    report_sim(stdout, &im.sim, &b);
    printf("  on target:   kiln_slots_select((const uint8_t *)0x%08llx, %u, %u, <signature>, 0, "
           "&choice)\n", (unsigned long long)base, size, b.subsector_size);
    flash_plan_free(&r.plan);
    rc = image_save(&im) ? 0 : EXIT_ERROR;
out_image:
    free(region);
    image_close(&im);
out_blob:
    free(bf.data);
out_board:
    board_free(&b);
    return rc;
}

static int flash_slots(const opts *o)
{
    board b = {0};
    if (!o->device || !o->board)
        return error("slots: --board B and --device IMAGE are required");
    if (!load_board(o, &b))
        return EXIT_ERROR;
    int rc = EXIT_ERROR;
    uint32_t off, size;
    image im;
    if (!ab_region(o, &b, &off, &size) || !image_open(&im, o, &b, false))
        goto out;
    uint8_t *region = ab_alloc_aligned(size);
    ab_state st;
    char err[ERRLEN];
    if (!ab_read_state(&im.sim.dev, off, size, region, &st, err, sizeof err)) {
        rc = error("%s", err);
        free(region);
        image_close(&im);
        goto out;
    }
    /* With the firmware's signature, exactly what the target will decide. */
    if (o->have_signature)
        st.status = kiln_slots_select(region, size, b.subsector_size, o->signature, 0, &st.choice);
    printf("kiln flash slots: A/B region 0x%08llx + %u of %s (device image %s), erase unit %u\n",
           (unsigned long long)(b.base + off), size, b.name, o->device, b.subsector_size);
    print_slot_state(&st, region, b.base + off, o);
    if (st.status == KILN_OK) {
        printf("  runtime:     picks slot %c (record %u%s)\n", 'A' + st.choice.slot, st.choice.seq,
               st.choice.fell_back ? "; fell back: a newer record names a slot that fails" : "");
        rc = 0;
    } else {
        printf("  runtime:     %s (%s)%s\n", kiln_status_str(st.status),
               kiln_status_name(st.status),
               o->have_signature ? "" : "; checked with each blob's own signature");
        rc = EXIT_CHECK;
    }
    free(region);
    image_close(&im);
out:
    board_free(&b);
    return rc;
}

int cmd_flash(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : 0;
    }
    opts o;
    int p = parse_opts(argc, argv, &o);
    if (p)
        return p < 0 ? 0 : p;
    static const struct {
        const char *name;
        int (*fn)(const opts *);
    } subs[] = {
        {"write", flash_write}, {"verify", flash_verify}, {"read", flash_read},
        {"erase", flash_erase}, {"export", flash_export}, {"update", flash_update},
        {"slots", flash_slots},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(o.sub, subs[i].name))
            return subs[i].fn(&o);
    error("unknown subcommand '%s'", o.sub);
    usage(stderr);
    return EXIT_ERROR;
}

/* ---- kiln boards ---- */

static void print_board(const board *b)
{
    char s[32], t[32], u[32];
    printf("%s: %s\n", b->name, b->title);
    printf("  descriptor:  %s\n", b->path);
    printf("  flash:       %s%s%s%s, %s\n", b->part, b->part_note[0] ? " (" : "", b->part_note,
           b->part_note[0] ? ")" : "", b->interface);
    printf("  mapped at:   0x%08llx..0x%08llx (%s), erased bytes read 0x%02X\n",
           (unsigned long long)b->base, (unsigned long long)(b->base + b->size - 1),
           fmt_size(s, sizeof s, b->size), b->erase_value);
    printf("  units:       sector %s, subsector %s, page %s\n", fmt_size(s, sizeof s, b->sector_size),
           fmt_size(t, sizeof t, b->subsector_size), fmt_size(u, sizeof u, b->page_size));
    printf("  times (ms):  page program %g / %g, subsector erase %g / %g, sector erase %g / %g, "
           "chip erase %g / %g (typical / max)\n", b->page_program.typ_ms, b->page_program.max_ms,
           b->subsector_erase.typ_ms, b->subsector_erase.max_ms, b->sector_erase.typ_ms,
           b->sector_erase.max_ms, b->chip_erase.typ_ms, b->chip_erase.max_ms);
    if (b->cubeprog_loader[0])
        printf("  CubeProg:    -el %s\n", b->cubeprog_loader);
    if (b->openocd_config[0])
        printf("  OpenOCD:     -f %s\n", b->openocd_config);
    if (b->jlink_device[0])
        printf("  J-Link:      -device %s\n", b->jlink_device);
    for (int i = 0; i < b->nassumptions; i++)
        printf("  assumption:  %s\n", b->assumptions[i]);
    if (b->note[0])
        printf("  note:        %s\n", b->note);
}

int cmd_boards(int argc, char **argv)
{
    const char *dir_opt = NULL, *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--boards-dir") && i + 1 < argc) {
            dir_opt = argv[++i];
        } else if (!strncmp(argv[i], "--boards-dir=", 13)) {
            dir_opt = argv[i] + 13;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: kiln boards [NAME] [--boards-dir DIR]\n"
                   "  lists the board descriptors; with NAME, shows one in full (docs/boards.md)\n");
            return 0;
        } else if (argv[i][0] != '-' && !name) {
            name = argv[i];
        } else {
            fprintf(stderr, "kiln boards: unexpected argument '%s'\n", argv[i]);
            return EXIT_ERROR;
        }
    }
    char err[ERRLEN];
    char *dir = board_dir(dir_opt);
    if (name) {
        board b;
        bool ok = board_find(dir, name, &b, err, sizeof err);
        free(dir);
        if (!ok) {
            fprintf(stderr, "kiln boards: error: %s\n", err);
            return EXIT_ERROR;
        }
        print_board(&b);
        board_free(&b);
        return 0;
    }
    board *all;
    int n = board_list(dir, &all, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "kiln boards: error: %s\n", err);
        free(dir);
        return EXIT_ERROR;
    }
    printf("%-18s %-14s %-9s %-11s %-22s %s\n", "board", "flash", "size", "mapped at",
           "sector/subsector/page", "interface");
    for (int i = 0; i < n; i++) {
        char s[32], u1[32], u2[32], u3[32], units[80];
        const board *b = &all[i];
        snprintf(units, sizeof units, "%s / %s / %s", fmt_size(u1, sizeof u1, b->sector_size),
                 fmt_size(u2, sizeof u2, b->subsector_size), fmt_size(u3, sizeof u3, b->page_size));
        char part[15];
        snprintf(part, sizeof part, "%s", b->part);
        printf("%-18s %-14s %-9s 0x%08llx  %-22s %s%s\n", b->name, part,
               fmt_size(s, sizeof s, b->size), (unsigned long long)b->base, units, b->interface,
               b->nassumptions ? "  (*)" : "");
        board_free(&all[i]);
    }
    free(all);
    printf("\n%d boards in %s; (*) some facts are assumptions: kiln boards NAME shows them\n", n,
           dir);
    free(dir);
    return 0;
}
