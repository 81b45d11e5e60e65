/*
 * test_fileio.c - the host tool's file helpers (compiler/util/fileio.c):
 * make_dirs on every shape of path, including the ones that used to read
 * outside the path's copy (the empty string), and the atomic writer.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/fileio.h"
#include "util/sbuf.h"

static char *scratch(void)
{
    char *t = xstrdup("/tmp/kiln-test-fileio-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void rm_rf(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_make_dirs_empty_path_refused(void **state)
{
    (void)state;
    char err[256] = "";
    assert_false(make_dirs("", err, sizeof err));
    assert_non_null(strstr(err, "empty"));
}

static void test_make_dirs_shapes(void **state)
{
    (void)state;
    char *t = scratch(), err[512];
    static const char *const shapes[] = {"a", "b/c/d", "e//f", "g/", "h///", "i/./j"};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char *p = xasprintf("%s/%s", t, shapes[k]);
        assert_true(make_dirs(p, err, sizeof err));
        assert_true(is_dir(p));
        assert_true(make_dirs(p, err, sizeof err));     /* again: already there */
        free(p);
    }
    /* An absolute path and the root itself. */
    assert_true(make_dirs("/", err, sizeof err));
    assert_true(make_dirs("//", err, sizeof err));
    /* Relative to the working directory. */
    char *cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(t), 0);
    assert_true(make_dirs("rel/x", err, sizeof err));
    assert_true(is_dir("rel/x"));
    assert_int_equal(chdir(cwd), 0);
    free(cwd);
    rm_rf(t);
    free(t);
}

static void test_make_dirs_file_in_the_way(void **state)
{
    (void)state;
    char *t = scratch(), err[512];
    char *f = xasprintf("%s/file", t);
    assert_true(write_file_atomic(f, "x", 1, err, sizeof err));
    assert_false(make_dirs(f, err, sizeof err));
    assert_non_null(strstr(err, "not a directory"));
    char *under = xasprintf("%s/file/sub", t);
    assert_false(make_dirs(under, err, sizeof err));
    free(under);
    free(f);
    rm_rf(t);
    free(t);
}

/* read_file takes regular files only: a FIFO is refused at once (opening it
 * used to wait for a writer forever), a directory is named as one. */
static void test_read_file_regular_only(void **state)
{
    (void)state;
    char *t = scratch(), err[512];
    char *fifo = xasprintf("%s/pipe", t);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    uint8_t *d;
    size_t n;
    alarm(20);
    assert_false(read_file(fifo, &d, &n, err, sizeof err));
    alarm(0);
    assert_non_null(strstr(err, "FIFO"));
    assert_false(read_file(t, &d, &n, err, sizeof err));
    assert_non_null(strstr(err, "is a directory, not a regular file"));
    char *f = xasprintf("%s/f", t);
    assert_true(write_file_atomic(f, "abc", 3, err, sizeof err));
    assert_true(read_file(f, &d, &n, err, sizeof err));
    assert_int_equal(n, 3);
    assert_memory_equal(d, "abc", 4);    /* NUL past the end */
    free(d);
    free(f);
    free(fifo);
    rm_rf(t);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_dirs_empty_path_refused),
        cmocka_unit_test(test_make_dirs_shapes),
        cmocka_unit_test(test_make_dirs_file_in_the_way),
        cmocka_unit_test(test_read_file_regular_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
