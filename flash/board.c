/*
 * board.c - reads and checks board descriptors (boards/<name>.json).
 *
 * Relies on cJSON for the syntax and checks everything else here: every field
 * present, of the right type, sizes powers of two that nest (page <= subsector
 * <= sector <= size), typical times no larger than worst-case ones, no key it
 * does not know (a misspelt key is an error, not a silently missing fact),
 * and every "assumptions" entry naming a real field.  Messages name the file
 * and the field.  Never writes a file.
 */
#define _POSIX_C_SOURCE 200809L
#include "flash/board.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/args.h"
#include "util/sbuf.h"
#include "util/suggest.h"

/* Every key a descriptor may hold, as "object.key"; also the names that
 * "assumptions" may refer to. */
static const char *const known_fields[] = {
    "name", "title", "note", "sources", "assumptions", "flash", "timing_ms", "programmers", "mcu",
    "mcu.part", "mcu.flash_size", "mcu.ram_size",
    "flash.part", "flash.part_note", "flash.interface", "flash.base", "flash.size",
    "flash.erase_value", "flash.sector_size", "flash.subsector_size", "flash.page_size",
    "timing_ms.page_program", "timing_ms.subsector_erase", "timing_ms.sector_erase",
    "timing_ms.chip_erase",
    "programmers.stm32cubeprogrammer_loader", "programmers.openocd_config",
    "programmers.jlink_device",
};

static bool is_known_field(const char *f)
{
    for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++)
        if (!strcmp(known_fields[i], f))
            return true;
    return false;
}

/* Rejects keys of `obj` not in known_fields under `prefix` ("" for top level). */
static bool check_keys(const cJSON *obj, const char *prefix, const char *path, char *err,
                       size_t errlen)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        char *f = prefix[0] ? xasprintf("%s.%s", prefix, it->string) : xstrdup(it->string);
        bool ok = is_known_field(f) && (prefix[0] || strchr(f, '.') == NULL);
        if (!ok)
            snprintf(err, errlen, "%s: unknown field '%s' (see docs/boards.md for the fields)",
                     path, f);
        free(f);
        if (!ok)
            return false;
    }
    return true;
}

/* A size or address: a JSON number, or a string "0x1000", "4096", "64 KiB",
 * "128 MiB" (decimal without leading zeros or 0x-hex, as on the command line). */
static bool parse_u64(const cJSON *it, uint64_t *out)
{
    if (cJSON_IsNumber(it)) {
        double v = it->valuedouble;
        if (v < 0 || v > 18446744073709549568.0 || v != (double)(uint64_t)v)
            return false;
        *out = (uint64_t)v;
        return true;
    }
    if (!cJSON_IsString(it))
        return false;
    /* The command line's size form (util/args.h): never octal. */
    return parse_size_spaced(it->valuestring, out);
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool get_string(const cJSON *obj, const char *key, const char *field, bool required,
                       char **out, const char *path, char *err, size_t errlen)
{
    const cJSON *it = get(obj, key);
    if (!it) {
        if (required) {
            snprintf(err, errlen, "%s: missing field '%s'", path, field);
            return false;
        }
        *out = xstrdup("");
        return true;
    }
    if (!cJSON_IsString(it)) {
        snprintf(err, errlen, "%s: field '%s' must be a string", path, field);
        return false;
    }
    *out = xstrdup(it->valuestring);
    return true;
}

static bool get_size(const cJSON *obj, const char *key, const char *field, uint64_t max,
                     uint64_t *out, const char *path, char *err, size_t errlen)
{
    const cJSON *it = get(obj, key);
    if (!it) {
        snprintf(err, errlen, "%s: missing field '%s'", path, field);
        return false;
    }
    if (!parse_u64(it, out) || *out > max) {
        char *v = cJSON_PrintUnformatted(it);
        snprintf(err, errlen,
                 "%s: field '%s' is %s; expected a number or a string like \"0x1000\", "
                 "\"64 KiB\", \"16 MiB\" (at most %llu)",
                 path, field, v ? v : "?", (unsigned long long)max);
        free(v);
        return false;
    }
    return true;
}

static bool get_time(const cJSON *timing, const char *key, board_time *t, const char *path,
                     char *err, size_t errlen)
{
    const cJSON *it = get(timing, key);
    const cJSON *typ = it ? get(it, "typ") : NULL, *max = it ? get(it, "max") : NULL;
    if (!it || !cJSON_IsObject(it) || !cJSON_IsNumber(typ) || !cJSON_IsNumber(max)) {
        snprintf(err, errlen,
                 "%s: field 'timing_ms.%s' must be {\"typ\": ms, \"max\": ms} with two numbers",
                 path, key);
        return false;
    }
    for (const cJSON *k = it->child; k; k = k->next)
        if (strcmp(k->string, "typ") && strcmp(k->string, "max")) {
            snprintf(err, errlen, "%s: unknown field 'timing_ms.%s.%s' (only typ and max)", path,
                     key, k->string);
            return false;
        }
    t->typ_ms = typ->valuedouble;
    t->max_ms = max->valuedouble;
    if (!(t->typ_ms > 0) || !(t->max_ms >= t->typ_ms) || t->max_ms > 1e9) {
        snprintf(err, errlen,
                 "%s: field 'timing_ms.%s' has typ %g ms and max %g ms; need 0 < typ <= max",
                 path, key, t->typ_ms, t->max_ms);
        return false;
    }
    return true;
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* The geometry rules the planner and the A/B layout rely on. */
static bool check_geometry(const board *b, const char *path, char *err, size_t errlen)
{
    struct {
        const char *name;
        uint64_t v;
    } f[] = {{"flash.page_size", b->page_size},
             {"flash.subsector_size", b->subsector_size},
             {"flash.sector_size", b->sector_size}};
    for (int i = 0; i < 3; i++)
        if (!is_pow2(f[i].v)) {
            snprintf(err, errlen, "%s: field '%s' is %llu; it must be a power of two", path,
                     f[i].name, (unsigned long long)f[i].v);
            return false;
        }
    if (b->page_size < 16 || b->page_size > b->subsector_size) {
        snprintf(err, errlen, "%s: page_size %u must be at least 16 and at most subsector_size %u",
                 path, b->page_size, b->subsector_size);
        return false;
    }
    if (b->subsector_size > b->sector_size) {
        snprintf(err, errlen, "%s: subsector_size %u is larger than sector_size %u", path,
                 b->subsector_size, b->sector_size);
        return false;
    }
    if (b->size < 2 * b->sector_size || b->size % b->sector_size) {
        snprintf(err, errlen, "%s: size %u is not a multiple of sector_size %u (at least two)",
                 path, b->size, b->sector_size);
        return false;
    }
    if (b->base % b->sector_size) {
        snprintf(err, errlen, "%s: base 0x%llx is not aligned to sector_size %u", path,
                 (unsigned long long)b->base, b->sector_size);
        return false;
    }
    return true;
}

static bool parse_board(const cJSON *root, board *b, const char *path, char *err, size_t errlen)
{
    uint64_t v;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "%s: the descriptor must be a JSON object", path);
        return false;
    }
    if (!check_keys(root, "", path, err, errlen))
        return false;
    if (!get_string(root, "name", "name", true, &b->name, path, err, errlen) ||
        !get_string(root, "title", "title", true, &b->title, path, err, errlen) ||
        !get_string(root, "note", "note", false, &b->note, path, err, errlen))
        return false;

    const cJSON *fl = get(root, "flash"), *tm = get(root, "timing_ms"),
                *pr = get(root, "programmers"), *as = get(root, "assumptions");
    if (!cJSON_IsObject(fl) || !cJSON_IsObject(tm)) {
        snprintf(err, errlen, "%s: objects 'flash' and 'timing_ms' are required", path);
        return false;
    }
    if (!check_keys(fl, "flash", path, err, errlen) ||
        !check_keys(tm, "timing_ms", path, err, errlen))
        return false;
    if (!get_string(fl, "part", "flash.part", true, &b->part, path, err, errlen) ||
        !get_string(fl, "part_note", "flash.part_note", false, &b->part_note, path, err, errlen) ||
        !get_string(fl, "interface", "flash.interface", true, &b->interface, path, err, errlen))
        return false;
    if (!get_size(fl, "base", "flash.base", UINT32_MAX, &b->base, path, err, errlen))
        return false;
    /* The device image is held in memory and offsets are 32-bit. */
    if (!get_size(fl, "size", "flash.size", 1ull << 31, &v, path, err, errlen))
        return false;
    b->size = (uint32_t)v;
    if (b->base + b->size > 0x100000000ull) {
        snprintf(err, errlen, "%s: base 0x%llx + size %u runs past the 32-bit address space", path,
                 (unsigned long long)b->base, b->size);
        return false;
    }
    if (!get_size(fl, "sector_size", "flash.sector_size", 1u << 30, &v, path, err, errlen))
        return false;
    b->sector_size = (uint32_t)v;
    b->subsector_size = b->sector_size;
    if (get(fl, "subsector_size")) {
        if (!get_size(fl, "subsector_size", "flash.subsector_size", 1u << 30, &v, path, err,
                      errlen))
            return false;
        b->subsector_size = (uint32_t)v;
    }
    if (!get_size(fl, "page_size", "flash.page_size", 1u << 20, &v, path, err, errlen))
        return false;
    b->page_size = (uint32_t)v;
    if (!get_size(fl, "erase_value", "flash.erase_value", 255, &v, path, err, errlen))
        return false;
    b->erase_value = (uint8_t)v;
    if (!check_geometry(b, path, err, errlen))
        return false;

    if (!get_time(tm, "page_program", &b->page_program, path, err, errlen) ||
        !get_time(tm, "sector_erase", &b->sector_erase, path, err, errlen) ||
        !get_time(tm, "chip_erase", &b->chip_erase, path, err, errlen))
        return false;
    b->subsector_erase = b->sector_erase;
    if ((get(tm, "subsector_erase") || b->subsector_size != b->sector_size) &&
        !get_time(tm, "subsector_erase", &b->subsector_erase, path, err, errlen))
        return false;

    const cJSON *mcu = get(root, "mcu");
    if (mcu) {
        if (!cJSON_IsObject(mcu) || !check_keys(mcu, "mcu", path, err, errlen) ||
            !get_string(mcu, "part", "mcu.part", true, &b->mcu_part, path, err, errlen) ||
            !get_size(mcu, "flash_size", "mcu.flash_size", 1ull << 32, &b->mcu_flash, path, err, errlen) ||
            !get_size(mcu, "ram_size", "mcu.ram_size", 1ull << 32, &b->mcu_ram, path, err, errlen))
            return false;
    } else {
        b->mcu_part = xstrdup("");
    }
    if (pr) {
        if (!cJSON_IsObject(pr) || !check_keys(pr, "programmers", path, err, errlen))
            return false;
        if (!get_string(pr, "stm32cubeprogrammer_loader", "programmers.stm32cubeprogrammer_loader",
                        false, &b->cubeprog_loader, path, err, errlen) ||
            !get_string(pr, "openocd_config", "programmers.openocd_config", false,
                        &b->openocd_config, path, err, errlen) ||
            !get_string(pr, "jlink_device", "programmers.jlink_device", false, &b->jlink_device,
                        path, err, errlen))
            return false;
    } else {
        b->cubeprog_loader = xstrdup("");
        b->openocd_config = xstrdup("");
        b->jlink_device = xstrdup("");
    }

    /* "assumptions": {"flash.page_size": "why", ...}; each key a real field. */
    if (as) {
        if (!cJSON_IsObject(as)) {
            snprintf(err, errlen, "%s: 'assumptions' must be an object {\"field\": \"why\"}", path);
            return false;
        }
        int n = cJSON_GetArraySize(as);
        b->assumptions = xcalloc((size_t)n + 1, sizeof *b->assumptions);
        for (const cJSON *it = as->child; it; it = it->next) {
            if (!is_known_field(it->string) || !strchr(it->string, '.') || !cJSON_IsString(it)) {
                snprintf(err, errlen,
                         "%s: assumptions entry '%s' must name a field such as "
                         "\"flash.page_size\" and give the reason as a string",
                         path, it->string);
                return false;
            }
            b->assumptions[b->nassumptions++] = xasprintf("%s: %s", it->string, it->valuestring);
        }
    }
    const cJSON *src = get(root, "sources");
    if (src && !cJSON_IsArray(src)) {
        snprintf(err, errlen, "%s: 'sources' must be an array of strings", path);
        return false;
    }
    return true;
}

void board_free(board *b)
{
    free(b->name);
    free(b->title);
    free(b->path);
    free(b->part);
    free(b->part_note);
    free(b->interface);
    for (int i = 0; i < b->nassumptions; i++)
        free(b->assumptions[i]);
    free(b->assumptions);
    free(b->cubeprog_loader);
    free(b->mcu_part);
    free(b->openocd_config);
    free(b->jlink_device);
    free(b->note);
    memset(b, 0, sizeof *b);
}

bool board_load(const char *path, board *b, char *err, size_t errlen)
{
    uint8_t *text;
    size_t len;
    memset(b, 0, sizeof *b);
    if (!read_file(path, &text, &len, err, errlen))
        return false;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= (const char *)text ? (size_t)(at - (const char *)text) : 0;
        snprintf(err, errlen, "%s: not valid JSON (near byte %zu)", path, off);
        free(text);
        return false;
    }
    bool ok = parse_board(root, b, path, err, errlen);
    cJSON_Delete(root);
    free(text);
    if (ok) {
        char *stem = path_stem(path);
        if (strcmp(stem, b->name)) {
            snprintf(err, errlen, "%s: field 'name' is \"%s\" but the file is named %s.json; "
                     "they must match", path, b->name, stem);
            ok = false;
        }
        free(stem);
    }
    if (!ok) {
        board_free(b);
        return false;
    }
    b->path = xstrdup(path);
    return true;
}

static int cmp_board(const void *a, const void *b)
{
    return strcmp(((const board *)a)->name, ((const board *)b)->name);
}

int board_list(const char *dir, board **out, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open boards directory '%s': %s (use --boards-dir or "
                 "KILN_BOARDS_DIR)", dir, strerror(errno));
        return -1;
    }
    board *v = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            v = xrealloc(v, (size_t)cap * sizeof *v);
        }
        char *p = path_join(dir, e->d_name);
        bool ok = board_load(p, &v[n], err, errlen);
        free(p);
        if (!ok) {
            for (int i = 0; i < n; i++)
                board_free(&v[i]);
            free(v);
            closedir(d);
            return -1;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof *v, cmp_board);
    *out = v;
    return n;
}

bool board_find(const char *dir, const char *name, board *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    /* A name is a file stem: no path tricks. */
    bool plain = name[0] != '\0' && name[0] != '.' && !strchr(name, '/');
    char *p = plain ? xasprintf("%s/%s.json", dir, name) : NULL;
    struct stat st;
    if (p && stat(p, &st) == 0) {
        bool ok = board_load(p, b, err, errlen);
        free(p);
        return ok;
    }
    free(p);
    board *all;
    int n = board_list(dir, &all, err, errlen);
    if (n < 0)
        return false;
    sbuf names = {0};
    const char **cands = xcalloc((size_t)n + 1, sizeof *cands);
    for (int i = 0; i < n; i++) {
        sb_printf(&names, "%s%s", i ? ", " : "", all[i].name);
        cands[i] = all[i].name;
    }
    const char *close = suggest_word(name, cands, (size_t)n);
    char mean[128] = "";
    if (close)
        snprintf(mean, sizeof mean, "; did you mean '%s'?", close);
    snprintf(err, errlen, "unknown board '%s'%s %snown boards (in %s): %s. A board is added by "
             "adding <name>.json there (docs/boards.md)", name, close ? mean : ";", close ? "K" : "k", dir,
             n ? names.s : "none");
    for (int i = 0; i < n; i++)
        board_free(&all[i]);
    free(all);
    free(cands);
    sb_free(&names);
    return false;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *board_dir(const char *override)
{
    if (override && override[0])
        return xstrdup(override);
    const char *env = getenv("KILN_BOARDS_DIR");
    if (env && env[0])
        return xstrdup(env);
    /* build/kiln and build/san/kiln both sit below the repository root. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
            char *cand = path_join(exe[0] ? exe : "/", "boards");
            if (is_dir(cand))
                return cand;
            free(cand);
        }
    }
    return xstrdup("boards");
}
