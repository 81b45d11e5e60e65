/*
 * test_serial_port.c - the serial target's port (compiler/target/serial_port.c)
 * on a pseudo-terminal pair standing in for a USB UART: raw mode really is
 * raw (bytes the line discipline would translate, echo or swallow - CR, ^C,
 * ^D, 0xFF, NUL - arrive unchanged and nothing is echoed back), a read with
 * nothing to read ends at its deadline, the other end closing is a hang-up,
 * and the errors name what is wrong (no such port, not a terminal, a speed
 * termios does not have).
 */
#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "target/child.h"
#include "target/serial_port.h"

/* A pty master; *slave gets the slave's path. */
static int open_pty(char *slave, size_t n)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    const char *p = ptsname(m);
    assert_non_null(p);
    snprintf(slave, n, "%s", p);
    return m;
}

static void raw_bytes_both_ways(void **state)
{
    (void)state;
    char path[128], err[256];
    int m = open_pty(path, sizeof path);
    int fd = sport_open(path, 115200, err, sizeof err);
    assert_true(fd >= 0);
    /* Every byte a cooked terminal would act on. */
    static const uint8_t frame[] = {0x4B, 0x56, '\r', '\n', 0x03, 0x04, 0x11, 0x13, 0x7F, 0xFF, 0x00, 0x1A};
    assert_int_equal(write(m, frame, sizeof frame), (ssize_t)sizeof frame);
    uint8_t got[64];
    size_t have = 0, n;
    while (have < sizeof frame) {
        assert_int_equal(sport_read(fd, got + have, sizeof got - have, &n, child_now() + 5, err, sizeof err), SPORT_OK);
        have += n;
    }
    assert_int_equal(have, sizeof frame);
    assert_memory_equal(got, frame, sizeof frame);
    /* Nothing echoed back to the board. */
    int fl = fcntl(m, F_GETFL);
    fcntl(m, F_SETFL, fl | O_NONBLOCK);
    assert_true(read(m, got, sizeof got) <= 0);
    fcntl(m, F_SETFL, fl);
    /* And the other way, unchanged. */
    assert_int_equal(sport_write(fd, frame, sizeof frame, child_now() + 5, err, sizeof err), SPORT_OK);
    have = 0;
    while (have < sizeof frame) {
        ssize_t k = read(m, got + have, sizeof got - have);
        assert_true(k > 0);
        have += (size_t)k;
    }
    assert_memory_equal(got, frame, sizeof frame);
    sport_close(fd);
    close(m);
}

static void timeout_then_hangup(void **state)
{
    (void)state;
    char path[128], err[256];
    int m = open_pty(path, sizeof path);
    int fd = sport_open(path, 115200, err, sizeof err);
    assert_true(fd >= 0);
    uint8_t b[8];
    size_t n;
    double t0 = child_now();
    assert_int_equal(sport_read(fd, b, sizeof b, &n, t0 + 0.2, err, sizeof err), SPORT_TIMEOUT);
    assert_true(child_now() - t0 >= 0.19);
    close(m);   /* QEMU exited, the USB UART was unplugged */
    assert_int_equal(sport_read(fd, b, sizeof b, &n, child_now() + 5, err, sizeof err), SPORT_HANGUP);
    sport_close(fd);
}

static void errors_name_the_problem(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(sport_open("/dev/kiln-no-such-port", 115200, err, sizeof err), -1);
    assert_non_null(strstr(err, "/dev/kiln-no-such-port does not exist"));
    assert_int_equal(sport_open("/dev/null", 115200, err, sizeof err), -1);
    assert_non_null(strstr(err, "/dev/null is not a serial port"));
    assert_int_equal(sport_open("/dev/null", 12345, err, sizeof err), -1);
    assert_non_null(strstr(err, "--baud 12345"));
    assert_true(sport_baud_ok(115200));
    assert_true(sport_baud_ok(921600));
    assert_false(sport_baud_ok(0));
    assert_false(sport_baud_ok(115201));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_bytes_both_ways),
        cmocka_unit_test(timeout_then_hangup),
        cmocka_unit_test(errors_name_the_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
