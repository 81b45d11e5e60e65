/*
 * serial_port.c - termios raw mode and deadline-bounded reads and writes
 * (serial_port.h).  The descriptor is non-blocking; every wait is a poll()
 * with what is left of the deadline, so a board that stops answering, or a
 * port that goes away, ends the wait with a status instead of hanging.
 */
#define _DEFAULT_SOURCE
#include "target/serial_port.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "target/child.h"

static const struct {
    unsigned baud;
    speed_t code;
} speeds[] = {
    {9600, B9600},     {19200, B19200},   {38400, B38400},     {57600, B57600},     {115200, B115200},
    {230400, B230400}, {460800, B460800}, {921600, B921600},   {1000000, B1000000}, {2000000, B2000000},
};

static speed_t speed_code(unsigned baud)
{
    for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
        if (speeds[i].baud == baud)
            return speeds[i].code;
    return (speed_t)0;
}

bool sport_baud_ok(unsigned baud)
{
    return speed_code(baud) != (speed_t)0;
}

int sport_open(const char *path, unsigned baud, char *err, size_t errlen)
{
    speed_t sp = speed_code(baud);
    if (!sp) {
        snprintf(err, errlen, "--baud %u: not a speed the serial port takes (9600 .. 2000000, e.g. 115200)", baud);
        return -1;
    }
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            snprintf(err, errlen, "serial port %s does not exist (is the board plugged in? its ST-LINK virtual COM "
                     "port is usually /dev/ttyACM0; for QEMU, the /dev/pts/N it printed)", path);
        else if (e == EACCES)
            snprintf(err, errlen, "no permission to open serial port %s (add your user to the group that owns it, "
                     "e.g. dialout, and log in again)", path);
        else
            snprintf(err, errlen, "cannot open serial port %s: %s", path, strerror(e));
        return -1;
    }
    struct termios t;
    if (!isatty(fd) || tcgetattr(fd, &t) != 0) {
        snprintf(err, errlen, "%s is not a serial port (a terminal device): give the board's UART, e.g. "
                 "/dev/ttyACM0", path);
        close(fd);
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0 || tcsetattr(fd, TCSANOW, &t) != 0) {
        snprintf(err, errlen, "cannot set serial port %s to %u baud, raw mode: %s", path, baud, strerror(errno));
        close(fd);
        return -1;
    }
    tcflush(fd, TCIOFLUSH);
    return fd;
}

static int wait_for(int fd, short events, double deadline)
{
    for (;;) {
        double left = deadline - child_now();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, events, 0};
        int ms = left > 1000.0 ? 1000000 : (int)(left * 1000.0) + 1;
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        if (p.revents & events)
            return 1;
        if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
            return 2;
    }
}

sport_io sport_read(int fd, void *buf, size_t cap, size_t *got, double deadline, char *err, size_t errlen)
{
    for (;;) {
        int w = wait_for(fd, POLLIN, deadline);
        if (w == 0)
            return SPORT_TIMEOUT;
        if (w == 2)
            return SPORT_HANGUP;
        if (w < 0) {
            snprintf(err, errlen, "waiting on the serial port: %s", strerror(errno));
            return SPORT_FAIL;
        }
        ssize_t n = read(fd, buf, cap);
        if (n > 0) {
            *got = (size_t)n;
            return SPORT_OK;
        }
        if (n == 0 || (n < 0 && errno == EIO))
            return SPORT_HANGUP;
        if (errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "reading the serial port: %s", strerror(errno));
            return SPORT_FAIL;
        }
    }
}

sport_io sport_write(int fd, const void *data, size_t n, double deadline, char *err, size_t errlen)
{
    const unsigned char *p = data;
    while (n > 0) {
        int w = wait_for(fd, POLLOUT, deadline);
        if (w == 0)
            return SPORT_TIMEOUT;
        if (w == 2)
            return SPORT_HANGUP;
        if (w < 0) {
            snprintf(err, errlen, "waiting on the serial port: %s", strerror(errno));
            return SPORT_FAIL;
        }
        ssize_t k = write(fd, p, n);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (k < 0 && errno == EIO) {
            return SPORT_HANGUP;
        } else if (k < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "writing the serial port: %s", strerror(errno));
            return SPORT_FAIL;
        }
    }
    return SPORT_OK;
}

void sport_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
