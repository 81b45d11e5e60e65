/*
 * cli_common.c - the checks and device handling every `kiln flash`
 * subcommand goes through, so each is done one way: the board is known, the
 * blob passes the runtime's structural check (and, with --model, is byte for
 * byte the blob the model compiles to), the address is aligned and in range, a
 * device image is loaded whole and written back only through a temporary and
 * rename, a GDB target's memory region is found from its memory map.
 */
#define _POSIX_C_SOURCE 200809L
#include "flash/cli_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob_match.h"
#include "flash/ab_update.h"
#include "flash/report.h"
#include "util/args.h"
#include "util/fileio.h"
#include "util/sbuf.h"

int fcli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiln flash: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return EXIT_ERROR;
}

/* ---- inputs: board, blob ---- */

bool fcli_load_board(const fcli_opts *o, board *b)
{
    char err[ERRLEN];
    char *dir = board_dir(o->boards_dir);
    bool ok = board_find(dir, o->board, b, err, sizeof err);
    free(dir);
    if (!ok)
        fcli_error("%s", err);
    return ok;
}


/* Compiles --model and requires the blob to be exactly what it compiles to:
 * the check the firmware will run, then every byte. */
static bool blob_is_models(const fcli_opts *o, const fcli_blob *bf)
{
    char err[ERRLEN];
    compiled c;
    if (!compile_model(o->model, &o->co, &c, err, sizeof err)) {
        fcli_error("--model: %s", err);
        compiled_free(&c);
        return false;
    }
    blob_match m;
    bool same = blob_match_compiled(&c, bf->data, bf->len, &m, err, sizeof err);
    if (!same)
        fcli_error("%s is not the blob %s compiles to (%s integrity): %s; nothing was written",
                   o->blob_path, o->model, integrity_name((kiln_integrity)c.expect.integrity), err);
    else
        printf("kiln flash: %s is the blob %s compiles to (%u bytes, compared byte for byte)\n",
               o->blob_path, o->model, bf->len);
    compiled_free(&c);
    return same;
}

/* Reads BLOB and runs the runtime's structural check (with the blob's own
 * signature, which the firmware will compare with its own); with --model,
 * the comparison with the compiled blob. */
bool fcli_load_blob(const fcli_opts *o, fcli_blob *bf)
{
    const char *path = o->blob_path;
    char err[ERRLEN];
    uint8_t *raw;
    size_t n;
    memset(bf, 0, sizeof *bf);
    if (!read_file(path, &raw, &n, err, sizeof err)) {
        fcli_error("%s", err);
        return false;
    }
    if (n > 0x7FFFFFFFu) {
        free(raw);
        fcli_error("%s: %zu bytes is too large for a blob", path, n);
        return false;
    }
    if (blob_is_model_file(raw, n, path, err, sizeof err)) {
        free(raw);
        fcli_error("%s", err);
        return false;
    }
    bf->len = (uint32_t)n;
    bf->data = ab_alloc_aligned(n ? n : 1);
    memcpy(bf->data, raw, n);
    free(raw);
    /* With a model, its check (a superset of the structural one) gives the
     * very status the firmware will give. */
    bool ok = o->model ? blob_is_models(o, bf) : true;
    uint64_t sig = n >= KILN_BLOB_HEADER_SIZE ? kiln_rd_u64(bf->data + KILN_BLOB_OFF_SIGNATURE) : 0;
    kiln_status st = ok ? kiln_blob_check(bf->data, n, sig, 0, &bf->rep) : KILN_OK;
    if (st != KILN_OK) {
        blob_explain(st, &bf->rep, n, sig, err, sizeof err);
        fcli_error("%s is not a valid Kiln blob: %s (%s%s%s)", path, kiln_status_str(st),
                   kiln_status_name(st), err[0] ? ": " : "", err);
        ok = false;
    } else if (ok && bf->rep.total_size != n) {
        fcli_error("%s: the blob header says %u bytes but the file has %zu (trailing bytes?)", path,
                   bf->rep.total_size, n);
        ok = false;
    }
    if (!ok) {
        free(bf->data);
        bf->data = NULL;
    }
    return ok;
}

/* ---- addresses ---- */

/* Checks that [addr, addr + len) lies in the board's flash and returns the
 * device offset. */
bool fcli_board_range(const board *b, uint64_t addr, uint64_t len, const char *what,
                      uint32_t *off)
{
    uint64_t end = b->base + b->size;
    if (addr < b->base || addr >= end) {
        if (addr < b->size && b->base)
            fcli_error("address 0x%llx is outside %s's flash (0x%08llx..0x%08llx); did you mean "
                       "0x%08llx (base + 0x%llx)?", (unsigned long long)addr, b->name,
                       (unsigned long long)b->base, (unsigned long long)end - 1,
                       (unsigned long long)(b->base + addr), (unsigned long long)addr);
        else
            fcli_error("address 0x%llx is outside %s's flash (0x%08llx..0x%08llx)",
                       (unsigned long long)addr, b->name, (unsigned long long)b->base,
                       (unsigned long long)end - 1);
        return false;
    }
    if (len > b->size) {
        fcli_error("%s is %llu bytes, larger than %s's whole flash (%u bytes, %s)", what,
                   (unsigned long long)len, b->name, b->size, b->part);
        return false;
    }
    if (len > end - addr) {
        fcli_error("%s is %llu bytes but only %llu bytes of flash remain from 0x%llx to the end of "
                   "%s's %u-byte flash at 0x%08llx", what, (unsigned long long)len,
                   (unsigned long long)(end - addr), (unsigned long long)addr, b->name, b->size,
                   (unsigned long long)b->base);
        return false;
    }
    *off = (uint32_t)(addr - b->base);
    return true;
}

bool fcli_check_span(uint64_t addr, uint64_t len, const char *what)
{
    if (len <= 0x100000000ull && addr <= 0x100000000ull - len)
        return true;
    fcli_error("%s: %llu bytes at 0x%llx would end at 0x%llx, past the 32-bit address space",
               what, (unsigned long long)len, (unsigned long long)addr,
               (unsigned long long)(addr + len));
    return false;
}

bool fcli_check_align(uint64_t addr, uint32_t unit, const char *why)
{
    if (unit && addr % unit) {
        uint64_t lo = addr - addr % unit;
        fcli_error("address 0x%llx is not aligned to %s (%u bytes); nearest aligned: 0x%llx or "
                   "0x%llx", (unsigned long long)addr, why, unit, (unsigned long long)lo,
                   (unsigned long long)(lo + unit));
        return false;
    }
    return true;
}

/* A blob must start on the chip's smallest erase unit (so writing it never
 * erases bytes of a neighbour that shares the unit) and on the alignment its
 * header asks for (or the runtime refuses it). */
bool fcli_check_blob_address(const board *b, const fcli_blob *bf, uint64_t addr)
{
    char why[160];
    if (b) {
        snprintf(why, sizeof why, "the %s's smallest erase unit", b->part);
        if (!fcli_check_align(addr, b->subsector_size, why))
            return false;
    }
    snprintf(why, sizeof why, "the blob's alignment (header field align)");
    return fcli_check_align(addr, bf->rep.align, why);
}

bool fcli_need_place(const fcli_opts *o, const char *cmd, const char *device_hint)
{
    if (!!o->device + !!o->gdb != 1) {
        fcli_error("%s: give exactly one of --device IMAGE%s or --gdb HOST:PORT%s", cmd,
                   device_hint ? " (simulated flash)" : "", device_hint ? " (a target)" : "");
        return false;
    }
    if (o->device && !o->board) {
        fcli_error("%s: --board is required with --device%s", cmd, device_hint ? device_hint : "");
        return false;
    }
    return true;
}

bool fcli_job_open(fcli_job *j, const fcli_opts *o, bool check_blob_address)
{
    memset(j, 0, sizeof *j);
    if (o->board) {
        if (!fcli_load_board(o, &j->b))
            return false;
        j->bp = &j->b;
    }
    if (!fcli_load_blob(o, &j->bf)) {
        fcli_job_close(j);
        return false;
    }
    j->addr = o->have_address ? o->address : j->b.base;
    if (!fcli_check_span(j->addr, j->bf.len, "the blob") ||
        (j->bp && !fcli_board_range(j->bp, j->addr, j->bf.len, "the blob", &j->off)) ||
        (check_blob_address && !fcli_check_blob_address(j->bp, &j->bf, j->addr))) {
        fcli_job_close(j);
        return false;
    }
    return true;
}

void fcli_job_close(fcli_job *j)
{
    free(j->bf.data);
    if (j->bp)
        board_free(&j->b);
    memset(j, 0, sizeof *j);
}

/* ---- device images ---- */


/* Loads an existing device image: a regular file (checked on the opened
 * descriptor: a FIFO or a device is refused, never waited on) of exactly
 * the board's flash size. */
static bool load_image(fcli_image *im, const char *path, const board *b)
{
    char err[ERRLEN];
    uint64_t size;
    int fd = open_regular(path, 0, &size, err, sizeof err);
    if (fd < 0) {
        fcli_error("device image: %s", err);
        return false;
    }
    if (size != b->size) {
        fcli_error("device image %s is %llu bytes but %s's flash is %u bytes (an image of "
                   "another board?)", path, (unsigned long long)size, b->name, b->size);
        close(fd);
        return false;
    }
    im->mem = ab_alloc_aligned(b->size);
    size_t done = 0;
    while (done < b->size) {
        ssize_t k = read(fd, im->mem + done, b->size - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fcli_error("cannot read device image '%s': %s", path,
                       k < 0 ? strerror(errno) : "shorter than it was a moment ago");
            close(fd);
            free(im->mem);
            im->mem = NULL;
            return false;
        }
        done += (size_t)k;
    }
    close(fd);
    return true;
}

bool fcli_image_open(fcli_image *im, const fcli_opts *o, const board *b, bool create)
{
    struct stat st;
    memset(im, 0, sizeof *im);
    im->path = o->device;
    if (stat(o->device, &st) == 0) {
        if (!load_image(im, o->device, b))
            return false;
        im->existed = true;
    } else if (create) {
        im->mem = ab_alloc_aligned(b->size);
        memset(im->mem, b->erase_value, b->size);
    } else {
        fcli_error("device image %s does not exist (kiln flash write creates one)", o->device);
        return false;
    }
    nor_config c;
    nor_config_from_board(&c, b);
    nor_sim_init(&im->sim, &c, im->mem, b->base);
    if (o->cut) {
        uint64_t n;
        if (!strncmp(o->cut, "ops:", 4) && parse_count(o->cut + 4, &n))
            nor_sim_cut_after_ops(&im->sim, n, o->seed);
        else if (!strncmp(o->cut, "bytes:", 6) && parse_size(o->cut + 6, &n))
            nor_sim_cut_after_bytes(&im->sim, n, o->seed);
        else {
            nor_sim_free(&im->sim);
            free(im->mem);
            fcli_error("--inject-power-cut '%s': expected ops:N or bytes:N", o->cut);
            return false;
        }
    }
    return true;
}

bool fcli_image_save(fcli_image *im)
{
    char err[ERRLEN];
    if (!write_file_atomic(im->path, im->mem, im->sim.cfg.size, err, sizeof err)) {
        fcli_error("%s", err);
        return false;
    }
    return true;
}

void fcli_image_close(fcli_image *im)
{
    nor_sim_free(&im->sim);
    free(im->mem);
    im->mem = NULL;
}

/* After a failed operation on a simulated device: a simulated power cut is
 * the device's real state and is saved; anything else leaves the file as it
 * was. */
int fcli_device_failure(fcli_image *im, const char *what, const char *msg)
{
    if (im->sim.off) {
        fprintf(stderr, "kiln flash: %s: %s\n", what, msg);
        if (fcli_image_save(im))
            fprintf(stderr, "kiln flash: the device image %s now holds the interrupted state "
                    "(simulated power loss)\n", im->path);
        return EXIT_ERROR;
    }
    return fcli_error("%s: %s; %s left unchanged", what, msg, im->path);
}

void fcli_report_sim(FILE *f, const nor_sim *s, const board *b)
{
    char a[32], c[32];
    fprintf(f, "  modelled time on %s: %s typical, %s worst case (%llu operations)\n", b->part,
            fmt_ms(a, sizeof a, s->st.typ_ms), fmt_ms(c, sizeof c, s->st.max_ms),
            (unsigned long long)s->st.ops);
    fprintf(f, "  wear:        highest erase count of any subsector in this run: %u\n",
            nor_sim_max_erase_count(s));
}

/* ---- GDB targets ---- */


/* Connects and picks the memory the write lands in: a flash region of the
 * server's memory map (vFlash packets), a RAM region, the board's flash as
 * RAM-like memory when the server has no map (QEMU), or just [addr, len). */
bool fcli_target_open(fcli_target *t, const fcli_opts *o, const board *b, uint64_t addr,
                      uint64_t len)
{
    memset(t, 0, sizeof *t);
    if (!gdb_open(&t->g, o->gdb, o->timeout_ms)) {
        fcli_error("%s", t->g.err);
        gdb_close(&t->g);
        return false;
    }
    const gdb_region *r = gdb_find_region(&t->g, addr);
    uint64_t base, size;
    if (r) {
        if (r->type == GDB_MEM_ROM) {
            fcli_error("0x%llx is ROM in the memory map of the GDB server at %s",
                       (unsigned long long)addr, o->gdb);
            gdb_close(&t->g);
            return false;
        }
        if (r->type == GDB_MEM_FLASH && (r->blocksize == 0 || r->start % r->blocksize ||
                                         r->length % r->blocksize)) {
            fcli_error("the GDB server's memory map gives flash at 0x%llx no usable blocksize",
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
        fcli_error("%llu bytes at 0x%llx do not fit in the target's memory region 0x%llx + %llu",
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

double fcli_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- verify ---- */

/* Compares and prints; returns 0 equal, 1 different, 2 read error. */
int fcli_compare(flash_dev *d, uint32_t off, const fcli_blob *bf, const char *what)
{
    bool same;
    uint32_t first, crc;
    uint64_t ndiff;
    uint8_t found;
    flash_rc rc = flash_compare(d, off, bf->data, bf->len, &same, &first, &ndiff, &crc, &found);
    if (rc != FLASH_OK)
        return fcli_error("reading back %s: %s", what, d->err);
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
