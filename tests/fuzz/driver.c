/*
 * driver.c - main() for a harness where libFuzzer is missing (fuzz.mk
 * ENGINE=driver; gcc with ASan/UBSan): runs each file given, each file of
 * each directory given, then -runs=N mutants of them.
 *
 *   fuzz_X [-runs=N] [-max_total_time=S] [-seed=S] [-artifact_prefix=DIR/] FILE|DIR ...
 *
 * Every input goes to LLVMFuzzerTestOneInput in a heap buffer of exactly its
 * size, so ASan sees a read one byte past it.  The mutator is deliberately
 * plain (bit flips, boundary bytes, truncation, a copied span, a splice of
 * two files) and seeded, so a run is repeatable; it finds shallow bugs only,
 * which is what keeps the harnesses honest in `make test`.  Before a mutant
 * runs it is written to ARTIFACT_PREFIX + "current-input"; a crash leaves it
 * there, a clean exit removes it (a crashing file needs no copy).
 * -max_total_time stops the mutants (not the files) after that many seconds.
 * Other libFuzzer flags are ignored.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz_util.h"

typedef struct input {
    uint8_t *data;
    size_t size;
} input;

static input *inputs;
static size_t n_inputs, cap_inputs;
static char current[4096] = "current-input";
static uint64_t rng;

static uint64_t next(void)
{
    /* xorshift64*: repeatable across platforms */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static void add_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "driver: cannot open %s\n", path);
        exit(2);
    }
    input in = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (in.size == cap) {
            cap = cap ? 2 * cap : 4096;
            in.data = realloc(in.data, cap);
            if (!in.data)
                abort();
        }
        size_t k = fread(in.data + in.size, 1, cap - in.size, f);
        if (k == 0)
            break;
        in.size += k;
    }
    fclose(f);
    if (n_inputs == cap_inputs) {
        cap_inputs = cap_inputs ? 2 * cap_inputs : 64;
        inputs = realloc(inputs, cap_inputs * sizeof *inputs);
        if (!inputs)
            abort();
    }
    inputs[n_inputs++] = in;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's files in name order, so the run does not depend on readdir. */
static void add_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        if (!names || !(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)))
            abort();
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            add_file(names[i]);
        free(names[i]);
    }
    free(names);
}

static void run_one(const uint8_t *data, size_t size, int save)
{
    FILE *f = save ? fopen(current, "wb") : NULL;
    if (f) {
        fwrite(data, 1, size, f);
        fclose(f);
    }
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
}

/* One mutant of input `in` (and, for a splice, of another) into *out. */
static size_t mutate(const input *in, uint8_t **out)
{
    size_t n = in->size, cap = n + 16;
    uint8_t *b = malloc(cap);
    if (!b)
        abort();
    memcpy(b, in->data, n);
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits; e++) {
        size_t pos = n ? next() % n : 0;
        switch (next() % 6) {
        case 0: if (n) b[pos] ^= (uint8_t)(1u << (next() % 8)); break;
        case 1: if (n) b[pos] = (uint8_t[]){0x00, 0xFF, 0x7F, 0x80, 0x01}[next() % 5]; break;
        case 2: if (n) b[pos] = (uint8_t)(b[pos] + 1 + next() % 16); break;
        case 3: n = n ? next() % n : 0; break;                      /* truncate */
        case 4: if (n) { size_t src = next() % n, len = 1 + next() % 8;  /* copy a span */
                    if (len > n - src) len = n - src;
                    if (len > n - pos) len = n - pos;
                    memmove(b + pos, b + src, len); } break;
        default: {                                                  /* splice another input's tail */
            const input *o = &inputs[next() % n_inputs];
            size_t keep = next() % (n + 1), from = o->size ? next() % o->size : 0;
            if (keep + (o->size - from) > cap) {
                cap = keep + (o->size - from) + 16;
                b = realloc(b, cap);
                if (!b)
                    abort();
            }
            memcpy(b + keep, o->data + from, o->size - from);
            n = keep + o->size - from;
        } break;
        }
    }
    *out = b;
    return n;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long runs = 0, done = 0;
    double max_time = 0;
    rng = 0x9E3779B97F4A7C15ull;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        struct stat st;
        if (!strncmp(a, "-runs=", 6))
            runs = atol(a + 6);
        else if (!strncmp(a, "-max_total_time=", 16))
            max_time = atof(a + 16);
        else if (!strncmp(a, "-seed=", 6))
            rng ^= strtoull(a + 6, NULL, 0) * 0x100000001B3ull;
        else if (!strncmp(a, "-artifact_prefix=", 17))
            snprintf(current, sizeof current, "%scurrent-input", a + 17);
        else if (a[0] == '-')
            continue;   /* a libFuzzer flag the driver has no use for */
        else if (stat(a, &st) == 0 && S_ISDIR(st.st_mode))
            add_dir(a);
        else
            add_file(a);
    }
    if (!rng)
        rng = 1;
    for (size_t i = 0; i < n_inputs; i++)
        run_one(inputs[i].data, inputs[i].size, 0);
    double t0 = now();
    for (; done < runs && n_inputs && !(max_time > 0 && now() - t0 > max_time); done++) {
        uint8_t *m;
        size_t n = mutate(&inputs[next() % n_inputs], &m);
        run_one(m, n, 1);
        free(m);
    }
    if (done)
        remove(current);
    fprintf(stderr, "driver: %zu inputs and %ld mutants ran, no failure\n", n_inputs, done);
    for (size_t i = 0; i < n_inputs; i++)
        free(inputs[i].data);
    free(inputs);
    return 0;
}
