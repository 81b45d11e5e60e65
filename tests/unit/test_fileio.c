/*
 * test_fileio.c - the host tool's file helpers (compiler/util/fileio.c):
 * make_dirs on every shape of path, including the ones that used to read
 * outside the path's copy (the empty string), reads of regular files only,
 * and the atomic writer: through symbolic links, and its temporaries removed
 * when a signal ends the process; fd_path/path_within, which the ONNX
 * importer uses to check the file it actually opened.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/fileio.h"
#include "util/sbuf.h"
#include "util/tmpfiles.h"

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

static char *slurp(const char *p)
{
    uint8_t *d;
    size_t n;
    char err[256];
    assert_true(read_file(p, &d, &n, err, sizeof err));
    return (char *)d;
}

/* Nothing named NAME.tmp.* is left in dir. */
static void assert_no_temporaries(const char *dir)
{
    char *cmd = xasprintf("ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    if (system(cmd) == 0)
        fail_msg("a temporary was left in %s", dir);
    free(cmd);
}

/* A symbolic link is written through: the file it names gets the bytes
 * (its temporary next to it, in its own directory) and the link stays. */
/* The descriptor's path is where the file really is, whatever link chain
 * opened it: a directory link swapped in after a realpath check shows up. */
static void test_fd_path_sees_through_links(void **state)
{
    (void)state;
    char *t = scratch(), err[512];
    char *inside = xasprintf("%s/model", t), *outside = xasprintf("%s/elsewhere", t);
    assert_true(make_dirs(inside, err, sizeof err));
    assert_true(make_dirs(outside, err, sizeof err));
    char *secret = xasprintf("%s/w.bin", outside), *sub = xasprintf("%s/sub", inside);
    assert_true(write_file_atomic(secret, "abcd", 4, err, sizeof err));
    assert_int_equal(symlink("../elsewhere", sub), 0);
    char *via = xasprintf("%s/w.bin", sub);
    int fd = open(via, O_RDONLY);
    assert_true(fd >= 0);
    char *got = fd_path(fd);
    char *rin = realpath(inside, NULL), *rsecret = realpath(secret, NULL);
    assert_non_null(got);
    assert_string_equal(got, rsecret);
    assert_false(path_within(got, rin));
    close(fd);
    assert_true(path_within("/a/b", "/a"));
    assert_true(path_within("/a", "/a"));
    assert_false(path_within("/ab", "/a"));
    assert_false(path_within("/", "/a"));
    assert_true(path_within("/x", "/"));
    free(got);
    free(rin);
    free(rsecret);
    free(via);
    free(sub);
    free(secret);
    free(inside);
    free(outside);
    rm_rf(t);
    free(t);
}

static void test_write_through_symlink(void **state)
{
    (void)state;
    char *t = scratch(), err[512];
    char *realdir = xasprintf("%s/real", t), *linkdir = xasprintf("%s/links", t);
    assert_true(make_dirs(realdir, err, sizeof err));
    assert_true(make_dirs(linkdir, err, sizeof err));
    char *target = xasprintf("%s/image.bin", realdir), *lnk = xasprintf("%s/dev.img", linkdir);
    assert_true(write_file_atomic(target, "old", 3, err, sizeof err));
    assert_int_equal(chmod(target, 0640), 0);
    assert_int_equal(symlink("../real/image.bin", lnk), 0);
    assert_true(write_file_atomic(lnk, "new!", 4, err, sizeof err));
    struct stat st;
    assert_int_equal(lstat(lnk, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *got = slurp(target);
    assert_string_equal(got, "new!");
    free(got);
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);    /* permissions kept */
    assert_no_temporaries(realdir);
    assert_no_temporaries(linkdir);
    assert_false(write_file_atomic("", "x", 1, err, sizeof err));
    assert_non_null(strstr(err, "empty"));
    /* A dangling link is refused, not replaced by a plain file. */
    char *dangling = xasprintf("%s/dangling.img", linkdir);
    assert_int_equal(symlink("nowhere/x.bin", dangling), 0);
    assert_false(write_file_atomic(dangling, "x", 1, err, sizeof err));
    assert_non_null(strstr(err, "symbolic link"));
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    free(dangling);
    free(target);
    free(lnk);
    free(realdir);
    free(linkdir);
    rm_rf(t);
    free(t);
}

/* In a child: registers `path`, then raises `sig`.  Returns the child's
 * wait status. */
static int child_raises(const char *path, int sig, bool ignore_first)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ignore_first)
            signal(sig, SIG_IGN);
        tmpfiles_add(path);
        raise(sig);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* A fatal signal removes every registered temporary and still ends the
 * process by that signal; an ignored signal stays ignored. */
static void test_signal_removes_temporaries(void **state)
{
    (void)state;
    char *t = scratch(), err[256];
    char *p = xasprintf("%s/x.tmp.1", t);
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        assert_true(write_file_atomic(p, "partial", 7, err, sizeof err));
        int st = child_raises(p, sigs[i], false);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), sigs[i]);
        assert_int_equal(access(p, F_OK), -1);
    }
    assert_true(write_file_atomic(p, "partial", 7, err, sizeof err));
    int st = child_raises(p, SIGINT, true);
    assert_true(WIFEXITED(st));
    assert_int_equal(access(p, F_OK), 0);
    free(p);
    rm_rf(t);
    free(t);
}

int main(void)
{
    /* A test started in the background by a script inherits SIGINT ignored,
     * which tmpfiles (rightly) leaves ignored: start from the default
     * actions, as a terminal would. */
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXFSZ};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_dirs_empty_path_refused),
        cmocka_unit_test(test_make_dirs_shapes),
        cmocka_unit_test(test_make_dirs_file_in_the_way),
        cmocka_unit_test(test_read_file_regular_only),
        cmocka_unit_test(test_write_through_symlink),
        cmocka_unit_test(test_fd_path_sees_through_links),
        cmocka_unit_test(test_signal_removes_temporaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
