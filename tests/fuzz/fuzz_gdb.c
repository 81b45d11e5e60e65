/*
 * fuzz_gdb.c - fuzz target: arbitrary bytes as everything a GDB server
 * answers `kiln flash ... --gdb` (flash/gdb_rsp.c): acks, packets with their
 * checksums, escapes and run lengths, notifications, qSupported, the memory
 * map XML, replies to memory reads and writes and to vFlash*.
 *
 * gdb_rsp.c talks TCP, so the harness listens on a loopback port once and,
 * per input, a thread plays the server: it accepts the connection, sends the
 * whole input, closes its sending side (the client then sees the server hang
 * up, never a wait) and reads whatever the client sends until it closes.  The
 * client opens the connection (negotiation and memory map), then reads and
 * writes memory and, where the map names flash, erases, programs and
 * finishes.  Failures must say why; successes must hold what was promised.
 */
#define _POSIX_C_SOURCE 200809L
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flash/gdb_rsp.h"
#include "fuzz_util.h"

static int listen_fd = -1;
static char where[64];

static void listen_once(void)
{
    if (listen_fd >= 0)
        return;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) ||
        listen(listen_fd, 4) || getsockname(listen_fd, (struct sockaddr *)&a, &al))
        abort();
    snprintf(where, sizeof where, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
}

typedef struct server {
    const uint8_t *data;
    size_t size;
} server;

static void *serve(void *arg)
{
    const server *s = arg;
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    for (size_t off = 0; off < s->size;) {
        ssize_t k = send(fd, s->data + off, s->size - off, MSG_NOSIGNAL);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0)
        ;
    close(fd);
    return NULL;
}

static void need_message(const gdb_conn *g, const char *what)
{
    if (!g->err[0])
        fuzz_fail("%s failed without a message", what);
}

static void check_map(const gdb_conn *g)
{
    if (g->packet_size < 64 || g->packet_size > 65536)
        fuzz_fail("packet size %u outside 64..65536", g->packet_size);
    for (int i = 0; i < g->nregions; i++)
        if (!g->regions[i].length)
            fuzz_fail("memory-map region %d has length 0", i);
}

/* What `kiln flash write/read --gdb` does after connecting, in miniature;
 * returns false at the first failure (which must have said why). */
static bool use_connection(gdb_conn *g)
{
    uint8_t buf[300];
    memset(buf, 0xA5, sizeof buf);
    uint64_t addr = g->nregions ? g->regions[0].start : 0x20000000u;
    const gdb_region *r = gdb_find_region(g, addr);
    if (g->nregions && (!r || r->start > addr || addr - r->start >= r->length))
        fuzz_fail("gdb_find_region(0x%llx) misses the region that starts there", (unsigned long long)addr);
    if (!gdb_read_mem(g, addr, buf, sizeof buf) || !gdb_write_mem(g, addr, buf, 100))
        return false;
    for (int i = 0; i < g->nregions; i++) {
        if (g->regions[i].type != GDB_MEM_FLASH)
            continue;
        uint64_t a = g->regions[i].start;
        return gdb_flash_erase(g, a, 4096) && gdb_flash_write(g, a, buf, sizeof buf) &&
               gdb_flash_done(g);
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    listen_once();
    server s = {data, size};
    pthread_t th;
    if (pthread_create(&th, NULL, serve, &s))
        abort();
    gdb_conn g;
    if (gdb_open(&g, where, 2000)) {
        check_map(&g);
        if (!use_connection(&g))
            need_message(&g, "a memory or flash operation");
    } else {
        need_message(&g, "gdb_open");
    }
    gdb_close(&g);
    pthread_join(th, NULL);
    return 0;
}
