/*
 * fileio.c - whole-file reads of regular files and atomic writes (temp file
 * beside the target, fsync, rename, fsync of the directory).
 *
 * The temporary is registered with tmpfiles.c for as long as it exists, so a
 * signal that ends the tool mid-write removes it.  A target that is a
 * symbolic link is written through: the link's target is replaced, the link
 * stays.
 */
#define _XOPEN_SOURCE 700
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sbuf.h"
#include "util/tmpfiles.h"

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO (named pipe)" :
           S_ISCHR(m) || S_ISBLK(m) ? "a device" : S_ISSOCK(m) ? "a socket" : "not a plain file";
}

int open_regular(const char *path, int extra_flags, uint64_t *size, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO without a writer, or some devices, would
     * otherwise wait forever before the check below could refuse it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | extra_flags);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "'%s' is %s, not a regular file", path, file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (size)
        *size = (uint64_t)st.st_size;
    return fd;
}

bool read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    uint64_t size;
    int fd = open_regular(path, 0, &size, err, errlen);
    if (fd < 0)
        return false;
    if (size > SIZE_MAX / 2) {
        snprintf(err, errlen, "'%s' is too large (%llu bytes)", path, (unsigned long long)size);
        close(fd);
        return false;
    }
    /* The size is a hint: a file that grows or shrinks meanwhile is read to its end. */
    size_t cap = size ? (size_t)size : 1 << 16, n = 0;
    uint8_t *buf = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
            close(fd);
            free(buf);
            return false;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return true;
}

/* The file a write to `path` must replace: `path` itself, or the file a
 * symbolic link there points to (so the link stays a link and its target
 * gets the bytes).  Heap string, or NULL with err set. */
static char *write_target(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
        return xstrdup(path);
    char *real = realpath(path, NULL);
    if (!real) {
        snprintf(err, errlen, "'%s' is a symbolic link whose target cannot be resolved (%s); not "
                 "replacing the link", path, strerror(errno));
        return NULL;
    }
    char *r = xstrdup(real);
    free(real);
    return r;
}

static bool write_all_fd(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = ENOSPC;
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Makes the rename itself durable: 0, or the errno of a failed fsync.  A
 * directory that cannot be opened or synced (some file systems say EINVAL)
 * is not an error. */
static int sync_dir_of(const char *path)
{
    char *dir = path_dir(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return 0;
    int e = fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : errno;
    close(fd);
    return e;
}

/* Creates the temporary `tmp`, registered for removal on a fatal signal
 * (*slot); the descriptor, or -1 with errno set and nothing registered.
 * O_EXCL: never writes through something already at that name (a leftover
 * of a killed run with the same PID, even a planted link, is unlinked once). */
static int create_temp(const char *tmp, int *slot)
{
    *slot = tmpfiles_add(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        tmpfiles_remove(*slot);
        errno = e;
    }
    return fd;
}

/* Writes, syncs and closes the temporary: 0, or the errno of what failed. */
static int fill_temp(int fd, const void *data, size_t len)
{
    int e = 0;
    if (!write_all_fd(fd, data, len) || fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    return e;
}

bool write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    if (!*path) {
        snprintf(err, errlen, "empty output file name");
        return false;
    }
    char *target = write_target(path, err, errlen);
    if (!target)
        return false;
    char *tmp = xasprintf("%s.tmp.%ld", target, (long)getpid());
    int slot;
    int fd = create_temp(tmp, &slot);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        free(target);
        return false;
    }
    struct stat old;
    if (stat(target, &old) == 0 && S_ISREG(old.st_mode))
        fchmod(fd, old.st_mode & 07777);   /* a replaced file keeps its permissions */
    int e = fill_temp(fd, data, len);
    if (!e && rename(tmp, target) != 0)
        e = errno;
    if (!e)
        e = sync_dir_of(target);
    if (e) {
        snprintf(err, errlen, "cannot write '%s': %s", target, strerror(e));
        unlink(tmp);
    }
    tmpfiles_remove(slot);
    free(tmp);
    free(target);
    return !e;
}

char *write_file_temp(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int slot;
    int fd = create_temp(tmp, &slot);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return NULL;
    }
    int e = fill_temp(fd, data, len);
    if (e) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
        unlink(tmp);
        tmpfiles_remove(slot);
        free(tmp);
        return NULL;
    }
    return tmp;     /* still registered: the caller calls tmpfiles_forget once it is renamed or removed */
}

/* mkdir -p, one component at a time.  The walk starts at the first
 * character and every index is checked against the copy's length, so no
 * input (empty, all slashes, "a//b", trailing '/') reads outside it. */
bool make_dirs(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "empty directory path");
        return false;
    }
    char *p = xstrdup(path);
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        if (p[i - 1] == '/')    /* "//" or a trailing '/': nothing new to create */
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory '%s': %s", p, strerror(errno));
            free(p);
            return false;
        }
        p[i] = c;
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' exists and is not a directory", path);
        return false;
    }
    return true;
}

char *fd_path(int fd)
{
    char link[64], buf[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0 || (size_t)n >= sizeof buf - 1 || buf[0] != '/')
        return NULL;
    buf[n] = 0;
    return xstrdup(buf);
}

bool path_within(const char *path, const char *dir)
{
    size_t dl = strlen(dir);
    if (dl == 1 && dir[0] == '/')
        return path[0] == '/';
    return strncmp(path, dir, dl) == 0 && (path[dl] == '/' || path[dl] == 0);
}

char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n && dir[n - 1] == '/')
        return xasprintf("%s%s", dir, name);
    return xasprintf("%s/%s", dir, name);
}

const char *path_ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash))
        return "";
    return dot + 1;
}

char *path_stem(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *s = xstrdup(base);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
}

char *path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    char *d = xmalloc((size_t)(slash - path) + 1);
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = 0;
    return d;
}
