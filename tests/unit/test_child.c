/*
 * test_child.c - the child-process pipe layer under the qemu target: a
 * child's last words, written just before it exits, reach the caller before
 * the news that it is gone (the firmware's HELLO explaining a refused blob
 * was once lost this way when the host was slow to read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "target/child.h"

typedef struct {
    char buf[64];
    size_t n;
} collected;

static void collect(void *ctx, const void *data, size_t n)
{
    collected *c = ctx;
    if (c->n + n < sizeof c->buf) {
        memcpy(c->buf + c->n, data, n);
        c->n += n;
    }
}

static void last_words_before_eof(void **state)
{
    (void)state;
    char *argv[] = {"sh", "-c", "printf 'HELLO'; exit 3", NULL};
    char err[256] = "";
    child ch;
    assert_true(child_start(&ch, argv, "/dev/null", err, sizeof err));
    /* Let the child write and exit before the first read: the pipe then
     * holds the data and the EOF together. */
    assert_true(child_wait(&ch, child_now() + 5));
    collected got = {0};
    assert_int_equal(child_read(&ch, child_now() + 5, collect, &got, err, sizeof err), CHILD_OK);
    assert_int_equal(got.n, 5);
    assert_memory_equal(got.buf, "HELLO", 5);
    assert_int_equal(child_read(&ch, child_now() + 5, collect, &got, err, sizeof err), CHILD_EOF);
    char how[64];
    child_describe_exit(&ch, how, sizeof how);
    assert_string_equal(how, "exit status 3");
    child_stop(&ch);
}

static void eof_without_data(void **state)
{
    (void)state;
    char *argv[] = {"true", NULL};
    char err[256] = "";
    child ch;
    assert_true(child_start(&ch, argv, "/dev/null", err, sizeof err));
    assert_true(child_wait(&ch, child_now() + 5));
    collected got = {0};
    assert_int_equal(child_read(&ch, child_now() + 5, collect, &got, err, sizeof err), CHILD_EOF);
    assert_int_equal(got.n, 0);
    child_stop(&ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(last_words_before_eof),
        cmocka_unit_test(eof_without_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
