/*
 * gdb_rsp.c - GDB remote serial protocol client: packets, acks, escaping,
 * the memory map, memory and flash writes; and the flash_dev behind
 * `kiln flash ... --gdb HOST:PORT`.
 *
 * Protocol facts relied on (GDB manual, "Remote Protocol"): packets are
 * `$data#cs` with cs the modulo-256 sum of data; the receiver answers '+' or
 * '-' until QStartNoAckMode is accepted; binary data escapes '#', '$', '}'
 * and '*' as '}' followed by the byte XOR 0x20; replies may be run-length
 * encoded ('*' then a repeat count + 29); errors are "E NN".
 *
 * The server is not trusted: each command's reply must be complete before
 * one deadline (--timeout from the moment the command is sent), so neither
 * silence nor a trickle of bytes hangs the client; a packet longer than
 * GDB_REPLY_MAX is refused before it grows further; the memory map is
 * validated field by field.  Never changes the target's execution state (no
 * continue, no reset, no detach that would resume it).
 */
#define _POSIX_C_SOURCE 200809L
#include "flash/gdb_rsp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRIES 4     /* a packet is sent at most this often when NAKed */

static bool fail(gdb_conn *g, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static bool fail(gdb_conn *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, sizeof g->err, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- bytes on the socket ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts the clock for one command: its reply must be complete by then. */
static void start_deadline(gdb_conn *g)
{
    g->deadline_ms = now_ms() + g->timeout_ms;
    g->got = 0;
}

static int remaining_ms(const gdb_conn *g)
{
    int64_t left = g->deadline_ms - now_ms();
    return left > 0 ? (int)left : 0;
}

static bool timed_out(gdb_conn *g, const char *waiting_for)
{
    if (g->got == 0)
        return fail(g, "GDB server at %s did not answer %s within %d ms (is it a GDB server? is "
                    "the target halted?)", g->where, waiting_for, g->timeout_ms);
    return fail(g, "GDB server at %s did not complete its answer to %s within %d ms (%zu bytes "
                "came; a reply must be whole within --timeout)", g->where, waiting_for,
                g->timeout_ms, g->got);
}

static bool write_all(gdb_conn *g, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t k = send(g->fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pf = {g->fd, POLLOUT, 0};
            int left = remaining_ms(g);
            if (left == 0 || poll(&pf, 1, left) <= 0)
                return fail(g, "GDB server at %s does not accept data (timed out after %d ms)",
                            g->where, g->timeout_ms);
            continue;
        }
        return fail(g, "sending to GDB server at %s: %s", g->where, strerror(errno));
    }
    return true;
}

/* Next byte from the server; -1 when the deadline passed or the connection
 * closed (g->err says which). */
static int read_byte(gdb_conn *g, const char *waiting_for)
{
    if (g->rx_pos == g->rx.len) {
        g->rx.len = g->rx_pos = 0;
        struct pollfd pf = {g->fd, POLLIN, 0};
        int left = remaining_ms(g);
        int r = left > 0 ? poll(&pf, 1, left) : 0;
        if (r == 0) {
            timed_out(g, waiting_for);
            return -1;
        }
        char buf[4096];
        ssize_t k = r > 0 ? recv(g->fd, buf, sizeof buf, 0) : -1;
        if (k == 0) {
            fail(g, "GDB server at %s closed the connection while we waited for %s", g->where,
                 waiting_for);
            return -1;
        }
        if (k < 0) {
            fail(g, "reading from GDB server at %s: %s", g->where, strerror(errno));
            return -1;
        }
        sb_put(&g->rx, buf, (size_t)k);
        g->got += (size_t)k;
    }
    return (unsigned char)g->rx.s[g->rx_pos++];
}

/* ---- packets ---- */

static const char hexdig[] = "0123456789abcdef";

static bool send_packet(gdb_conn *g, const char *what, const void *payload, size_t n)
{
    const uint8_t *p = payload;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    sbuf f = {0};
    sb_put(&f, "$", 1);
    sb_put(&f, p, n);
    char tail[3] = {'#', hexdig[(sum >> 4) & 15], hexdig[sum & 15]};
    sb_put(&f, tail, 3);
    g->packets++;
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        if (!write_all(g, f.s, f.len))
            goto err;
        if (!g->ack)
            goto ok;
        for (;;) {
            int c = read_byte(g, what);
            if (c < 0)
                goto err;
            if (c == '+')
                goto ok;
            if (c == '-')
                break;   /* NAK: send again */
            /* Anything else before the ack is line noise. */
        }
    }
    fail(g, "GDB server at %s rejected %s %d times (NAK '-'): the link corrupts packets or "
         "it is not a GDB server", g->where, what, MAX_TRIES);
err:
    sb_free(&f);
    return false;
ok:
    sb_free(&f);
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool too_long(gdb_conn *g, const char *what, const char *form)
{
    return fail(g, "GDB server at %s sent a reply to %s longer than %u bytes %s (the most this "
                "client takes with packet size %u); refused", g->where, what,
                GDB_REPLY_MAX(g->packet_size), form, g->packet_size);
}

/* Undoes escapes and run lengths of `raw` into `out`, at most `limit` bytes. */
static bool decode_packet(gdb_conn *g, const char *what, const sbuf *raw, sbuf *out, size_t limit)
{
    out->len = 0;
    sb_put(out, "", 0);
    for (size_t i = 0; i < raw->len; i++) {
        char ch = raw->s[i];
        size_t n = 1;
        if (ch == '}' && i + 1 < raw->len) {
            ch = (char)(raw->s[++i] ^ 0x20);
        } else if (ch == '*' && i + 1 < raw->len && out->len > 0) {
            int k = (unsigned char)raw->s[++i] - 29;
            ch = out->s[out->len - 1];
            n = k > 0 ? (size_t)k : 0;
        }
        if (n > limit - out->len)
            return too_long(g, what, "once decoded");
        for (size_t k = 0; k < n; k++)
            sb_put(out, &ch, 1);
    }
    return true;
}

/* Receives one reply packet into `out`, decoded (escapes and run lengths
 * undone), acknowledging it in ack mode.  Never holds more than
 * GDB_REPLY_MAX bytes of it: a server that does not end its packet fails
 * here or at the deadline, whichever comes first. */
static bool recv_packet(gdb_conn *g, const char *what, sbuf *out)
{
    const size_t limit = GDB_REPLY_MAX(g->packet_size);
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        int c;
        /* Skip acks and noise up to the start of a packet; drop
         * notifications ('%...#cs'), which need no reply. */
        for (;;) {
            c = read_byte(g, what);
            if (c < 0)
                return false;
            if (c == '$')
                break;
            if (c == '%') {
                size_t n = 0;
                while ((c = read_byte(g, what)) >= 0 && c != '#')
                    if (++n > limit)
                        return too_long(g, what, "(a notification)");
                if (c < 0 || read_byte(g, what) < 0 || read_byte(g, what) < 0)
                    return false;
            }
        }
        sbuf raw = {0};
        unsigned sum = 0;
        while ((c = read_byte(g, what)) >= 0 && c != '#') {
            if (raw.len == limit) {
                sb_free(&raw);
                return too_long(g, what, "as sent");
            }
            char ch = (char)c;
            sb_put(&raw, &ch, 1);
            sum += (unsigned)c;
        }
        int h = c < 0 ? -1 : read_byte(g, what), l = h < 0 ? -1 : read_byte(g, what);
        if (c < 0 || h < 0 || l < 0) {
            sb_free(&raw);
            return false;
        }
        if (hexval(h) < 0 || hexval(l) < 0 ||
            (unsigned)(hexval(h) * 16 + hexval(l)) != (sum & 0xFFu)) {
            sb_free(&raw);
            if (!g->ack)
                return fail(g, "reply from GDB server at %s to %s has a bad checksum", g->where,
                            what);
            if (!write_all(g, "-", 1))
                return false;
            continue;
        }
        if (g->ack && !write_all(g, "+", 1)) {
            sb_free(&raw);
            return false;
        }
        bool ok = decode_packet(g, what, &raw, out, limit);
        sb_free(&raw);
        return ok;
    }
    return fail(g, "replies from GDB server at %s to %s kept failing their checksum", g->where,
                what);
}

static bool command(gdb_conn *g, const char *what, const void *payload, size_t n, sbuf *reply)
{
    start_deadline(g);
    return send_packet(g, what, payload, n) && recv_packet(g, what, reply);
}

static bool is_error(const sbuf *r)
{
    return r->len >= 1 && r->s[0] == 'E' &&
           ((r->len == 3 && isxdigit((unsigned char)r->s[1]) && isxdigit((unsigned char)r->s[2])) ||
            (r->len >= 2 && r->s[1] == '.'));
}

/* "OK" expected; anything else becomes the error message. */
static bool expect_ok(gdb_conn *g, const char *what, const sbuf *r)
{
    if (r->len == 2 && !memcmp(r->s, "OK", 2))
        return true;
    if (is_error(r))
        return fail(g, "GDB server at %s refused %s (reply %.*s)", g->where, what, (int)r->len,
                    r->s);
    if (r->len == 0)
        return fail(g, "GDB server at %s does not support %s (empty reply)", g->where, what);
    return fail(g, "GDB server at %s answered %s with '%.*s', expected OK", g->where, what,
                (int)(r->len > 40 ? 40 : r->len), r->s);
}

/* ---- binary escaping ---- */

static bool needs_escape(uint8_t b)
{
    return b == '#' || b == '$' || b == '}' || b == '*';
}

/* Appends the escaped form of as many bytes of data[0..n) as fit in `room`
 * bytes; returns how many were taken. */
static uint32_t put_escaped(sbuf *b, const uint8_t *data, uint32_t n, size_t room)
{
    uint32_t i = 0;
    size_t used = 0;
    for (; i < n; i++) {
        size_t w = needs_escape(data[i]) ? 2 : 1;
        if (used + w > room)
            break;
        if (w == 2) {
            char e[2] = {'}', (char)(data[i] ^ 0x20)};
            sb_put(b, e, 2);
        } else {
            sb_put(b, &data[i], 1);
        }
        used += w;
    }
    return i;
}

/* ---- connection ---- */

static bool connect_tcp(gdb_conn *g, const char *host_port)
{
    char *hp = xstrdup(host_port), *colon = strrchr(hp, ':');
    if (!colon || !colon[1]) {
        free(hp);
        return fail(g, "'%s' is not HOST:PORT (e.g. 127.0.0.1:1234 or :3333)", host_port);
    }
    *colon = '\0';
    char *host = hp, *port = colon + 1;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        host[strlen(host) - 1] = '\0';
        host++;
    }
    if (!host[0])
        host = "127.0.0.1";
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        fail(g, "cannot resolve GDB server address '%s': %s", host_port, gai_strerror(gai));
        free(hp);
        return false;
    }
    int last_err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last_err = errno;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            struct pollfd pf = {fd, POLLOUT, 0};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&pf, 1, g->timeout_ms) <= 0) {
                soerr = ETIMEDOUT;
            } else {
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            }
            r = soerr ? -1 : 0;
            errno = soerr;
        }
        if (r == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            g->fd = fd;
            break;
        }
        last_err = errno;
        close(fd);
    }
    freeaddrinfo(res);
    free(hp);
    if (g->fd < 0)
        return fail(g, "cannot connect to GDB server at %s: %s (is it running? QEMU needs "
                    "-gdb tcp::PORT -S; OpenOCD listens on 3333, J-Link GDB Server on 2331)",
                    host_port, strerror(last_err));
    return true;
}

/* A number as the memory map writes them ("0x08000000", "4096"): digits
 * only, then `stop` (a closing quote or '<' after optional spaces). */
static bool map_number(const char *p, const char *end, char stop, uint64_t *v)
{
    if (p >= end || !isdigit((unsigned char)*p))
        return false;
    char *e;
    errno = 0;
    unsigned long long x = strtoull(p, &e, 0);
    if (errno || e == p || e > end)
        return false;
    while (stop == '<' && e < end && isspace((unsigned char)*e))
        e++;
    if (e >= end || *e != stop)
        return false;
    *v = x;
    return true;
}

/* Where the value of attribute `name` starts inside the tag [tag, end), or
 * NULL: `name="` preceded by white space. */
static const char *map_attr_value(const char *tag, const char *end, const char *name)
{
    char key[32];
    snprintf(key, sizeof key, "%s=\"", name);
    for (const char *p = tag; (p = strstr(p, key)) != NULL && p < end; p++)
        if (p > tag && isspace((unsigned char)p[-1]))
            return p + strlen(key) <= end ? p + strlen(key) : NULL;
    return NULL;
}

/* The numeric attribute `name`; false when absent or not a plain number. */
static bool map_attr(const char *tag, const char *end, const char *name, uint64_t *v)
{
    const char *p = map_attr_value(tag, end, name);
    return p && map_number(p, end, '"', v);
}

static const char *const mem_type_names[] = {"ram", "rom", "flash"};

/* One <memory> element starting at p; *next is where the next search starts. */
static bool map_region(gdb_conn *g, const char *p, int index, gdb_region *r, const char **next)
{
    const char *tag_end = strchr(p, '>');
    if (!tag_end)
        return fail(g, "memory map from %s: region %d: <memory> tag is not closed", g->where, index);
    memset(r, 0, sizeof *r);
    if (!map_attr(p, tag_end, "start", &r->start) || !map_attr(p, tag_end, "length", &r->length))
        return fail(g, "memory map from %s: region %d has no numeric start and length", g->where,
                    index);
    const char *type = map_attr_value(p, tag_end, "type");
    if (!type)
        return fail(g, "memory map from %s: region %d has no type", g->where, index);
    int t = -1;
    for (int k = 0; k < 3; k++)
        if (!strncmp(type, mem_type_names[k], strlen(mem_type_names[k])) &&
            type[strlen(mem_type_names[k])] == '"')
            t = k;
    if (t < 0)
        return fail(g, "memory map from %s: region %d has type '%.*s' (expected ram, rom or flash)",
                    g->where, index, (int)strcspn(type, "\">"), type);
    r->type = (gdb_mem_type)t;
    *next = tag_end + 1;
    if (tag_end[-1] == '/')
        return true;
    const char *close = strstr(tag_end, "</memory>");
    if (!close)
        return fail(g, "memory map from %s: region %d: no </memory>", g->where, index);
    const char *bs = strstr(tag_end, "\"blocksize\"");
    if (bs && bs < close) {
        const char *v = strchr(bs, '>');
        uint64_t x;
        while (v && v + 1 < close && isspace((unsigned char)v[1]))
            v++;
        if (!v || v > close || !map_number(v + 1, close + 1, '<', &x))
            return fail(g, "memory map from %s: region %d: blocksize is not a number", g->where,
                        index);
        if (x == 0 || x > GDB_MAP_BLOCKSIZE_MAX)
            return fail(g, "memory map from %s: region %d: blocksize %llu is outside 1..%u (an "
                        "erase unit the client would read and rewrite whole)", g->where, index,
                        (unsigned long long)x, GDB_MAP_BLOCKSIZE_MAX);
        r->blocksize = (uint32_t)x;
    }
    *next = close;
    return true;
}

/* Each region on its own: a length, no wrap past 2^64, and for flash a
 * block size that tiles it. */
static bool check_region(gdb_conn *g, const gdb_region *r, int index)
{
    if (r->length == 0 || r->start + r->length - 1 < r->start)
        return fail(g, "memory map from %s: region %d (0x%llx + 0x%llx) is empty or wraps past "
                    "the end of the address space", g->where, index, (unsigned long long)r->start,
                    (unsigned long long)r->length);
    if (r->type == GDB_MEM_FLASH &&
        (r->blocksize == 0 || r->start % r->blocksize || r->length % r->blocksize))
        return fail(g, "memory map from %s: flash region %d (0x%llx + 0x%llx) has block size %u, "
                    "which does not tile it", g->where, index, (unsigned long long)r->start,
                    (unsigned long long)r->length, r->blocksize);
    return true;
}

static int region_cmp(const void *a, const void *b)
{
    const gdb_region *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Parses the <memory-map> XML (GDB manual, "Memory Map Format") and checks
 * every field before any is used: a numeric start and length, a known type,
 * flash block sizes within GDB_MAP_BLOCKSIZE_MAX that tile their region, at
 * most GDB_MAP_REGIONS_MAX regions, none overlapping another. */
static bool parse_memory_map(gdb_conn *g, const char *xml)
{
    int n = 0;
    for (const char *p = xml; (p = strstr(p, "<memory ")) != NULL; n++) {
        if (n == GDB_MAP_REGIONS_MAX)
            return fail(g, "memory map from %s lists more than %d regions", g->where,
                        GDB_MAP_REGIONS_MAX);
        gdb_region r;
        if (!map_region(g, p, n, &r, &p) || !check_region(g, &r, n))
            return false;
        g->regions = xrealloc(g->regions, (size_t)(g->nregions + 1) * sizeof *g->regions);
        g->regions[g->nregions++] = r;
    }
    if (g->nregions > 1) /* a map without regions: regions is NULL, which qsort may not take */
        qsort(g->regions, (size_t)g->nregions, sizeof *g->regions, region_cmp);
    for (int i = 1; i < g->nregions; i++) {
        const gdb_region *a = &g->regions[i - 1], *b = &g->regions[i];
        if (b->start - a->start < a->length)
            return fail(g, "memory map from %s: regions 0x%llx + 0x%llx and 0x%llx + 0x%llx "
                        "overlap", g->where, (unsigned long long)a->start,
                        (unsigned long long)a->length, (unsigned long long)b->start,
                        (unsigned long long)b->length);
    }
    return true;
}

static bool read_memory_map(gdb_conn *g)
{
    sbuf xml = {0}, reply = {0};
    bool ok = false;
    for (uint32_t off = 0;;) {
        char *pkt = xasprintf("qXfer:memory-map:read::%x,%x", off, g->packet_size - 16);
        bool sent = command(g, "qXfer:memory-map:read", pkt, strlen(pkt), &reply);
        free(pkt);
        if (!sent)
            goto out;
        if (reply.len == 0 || (reply.s[0] != 'm' && reply.s[0] != 'l')) {
            fail(g, "GDB server at %s offered a memory map but sent '%.*s' for it", g->where,
                 (int)(reply.len > 20 ? 20 : reply.len), reply.s);
            goto out;
        }
        if (reply.s[0] == 'm' && reply.len == 1) {
            fail(g, "GDB server at %s sent an empty part of its memory map without ending it",
                 g->where);
            goto out;
        }
        if (memchr(reply.s + 1, 0, reply.len - 1)) {
            fail(g, "GDB server at %s sent a memory map with a NUL byte in it", g->where);
            goto out;
        }
        sb_put(&xml, reply.s + 1, reply.len - 1);
        off += (uint32_t)(reply.len - 1);
        if (xml.len > GDB_MAP_XML_MAX) {
            fail(g, "GDB server at %s sent a memory map larger than %u bytes", g->where,
                 GDB_MAP_XML_MAX);
            goto out;
        }
        if (reply.s[0] == 'l')
            break;
    }
    sb_put(&xml, "", 1);
    if (!parse_memory_map(g, xml.s))
        goto out;
    g->has_memory_map = true;
    ok = true;
out:
    sb_free(&xml);
    sb_free(&reply);
    return ok;
}

bool gdb_open(gdb_conn *g, const char *host_port, int timeout_ms)
{
    memset(g, 0, sizeof *g);
    g->fd = -1;
    g->where = xstrdup(host_port);
    g->timeout_ms = timeout_ms;
    g->ack = true;
    g->packet_size = 256;   /* until the server says otherwise */
    g->x_packets = -1;
    if (!connect_tcp(g, host_port))
        return false;

    sbuf r = {0};
    const char *q = "qSupported:multiprocess-;swbreak+;hwbreak+";
    if (!command(g, "qSupported", q, strlen(q), &r))
        goto fail;
    bool no_ack = false, mmap = false;
    sb_put(&r, "", 1);
    for (char *tok = strtok(r.s, ";"); tok; tok = strtok(NULL, ";")) {
        if (!strncmp(tok, "PacketSize=", 11)) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(tok + 11, &end, 16);
            if (errno || end == tok + 11 || *end || tok[11] == '-') {
                fail(g, "GDB server at %s announced PacketSize '%s', not a hex number", g->where,
                     tok + 11);
                goto fail;
            }
            g->packet_size = v < 64 ? 64 : v > GDB_PACKET_SIZE_MAX ? GDB_PACKET_SIZE_MAX : (uint32_t)v;
        } else if (!strcmp(tok, "QStartNoAckMode+")) {
            no_ack = true;
        } else if (!strcmp(tok, "qXfer:memory-map:read+")) {
            mmap = true;
        }
    }
    if (no_ack) {
        if (!command(g, "QStartNoAckMode", "QStartNoAckMode", 15, &r))
            goto fail;
        if (r.len == 2 && !memcmp(r.s, "OK", 2))
            g->ack = false;
    }
    /* The stop reason: makes sure the stub talks and the target is halted. */
    if (!command(g, "'?' (halt reason)", "?", 1, &r))
        goto fail;
    if (mmap && !read_memory_map(g))
        goto fail;
    sb_free(&r);
    return true;
fail:
    sb_free(&r);
    return false;
}

void gdb_close(gdb_conn *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    free(g->where);
    free(g->regions);
    sb_free(&g->rx);
    g->where = NULL;
    g->regions = NULL;
}

const gdb_region *gdb_find_region(const gdb_conn *g, uint64_t addr)
{
    for (int i = 0; i < g->nregions; i++)
        if (addr >= g->regions[i].start && addr - g->regions[i].start < g->regions[i].length)
            return &g->regions[i];
    return NULL;
}

/* ---- memory ---- */

bool gdb_read_mem(gdb_conn *g, uint64_t addr, uint8_t *buf, uint32_t len)
{
    uint32_t chunk = (g->packet_size - 16) / 2;
    sbuf r = {0};
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < chunk ? len - done : chunk;
        char pkt[64];
        int pl = snprintf(pkt, sizeof pkt, "m%llx,%x", (unsigned long long)(addr + done), n);
        if (!command(g, "a memory read ('m')", pkt, (size_t)pl, &r))
            goto fail;
        if (is_error(&r)) {
            fail(g, "GDB server at %s cannot read %u bytes at 0x%llx (reply %.*s): is that "
                 "address mapped on the target?", g->where, n,
                 (unsigned long long)(addr + done), (int)r.len, r.s);
            goto fail;
        }
        /* A stub may return fewer bytes than asked; take what came. */
        uint32_t got = (uint32_t)(r.len / 2);
        if (got == 0 || got > n || r.len % 2) {
            fail(g, "GDB server at %s sent a malformed reply to 'm' at 0x%llx ('%.*s')",
                 g->where, (unsigned long long)(addr + done), (int)(r.len > 20 ? 20 : r.len), r.s);
            goto fail;
        }
        for (uint32_t i = 0; i < got; i++) {
            int h = hexval((unsigned char)r.s[2 * i]), l = hexval((unsigned char)r.s[2 * i + 1]);
            if (h < 0 || l < 0) {
                fail(g, "GDB server at %s sent non-hex data for memory at 0x%llx", g->where,
                     (unsigned long long)(addr + done + i));
                goto fail;
            }
            buf[done + i] = (uint8_t)(h * 16 + l);
        }
        done += got;
    }
    sb_free(&r);
    return true;
fail:
    sb_free(&r);
    return false;
}

static bool write_mem_hex(gdb_conn *g, uint64_t addr, const uint8_t *buf, uint32_t n, sbuf *r)
{
    sbuf p = {0};
    sb_printf(&p, "M%llx,%x:", (unsigned long long)addr, n);
    for (uint32_t i = 0; i < n; i++) {
        char h[2] = {hexdig[buf[i] >> 4], hexdig[buf[i] & 15]};
        sb_put(&p, h, 2);
    }
    bool ok = command(g, "a memory write ('M')", p.s, p.len, r);
    sb_free(&p);
    if (!ok)
        return false;
    if (is_error(r))
        return fail(g, "GDB server at %s refused to write %u bytes at 0x%llx (reply %.*s): is "
                    "that address writable RAM, or flash the server does not list in its memory "
                    "map?", g->where, n, (unsigned long long)addr, (int)r->len, r->s);
    return expect_ok(g, "a memory write ('M')", r);
}

bool gdb_write_mem(gdb_conn *g, uint64_t addr, const uint8_t *buf, uint32_t len)
{
    sbuf r = {0};
    bool ok = true;
    for (uint32_t done = 0; ok && done < len;) {
        if (g->x_packets != 0) {
            /* Header "X<addr>,<len>:" is at most 27 characters. */
            sbuf body = {0}, p = {0};
            uint32_t n = put_escaped(&body, buf + done, len - done, g->packet_size - 32);
            sb_printf(&p, "X%llx,%x:", (unsigned long long)(addr + done), n);
            sb_put(&p, body.s, body.len);
            ok = command(g, "a memory write ('X')", p.s, p.len, &r);
            sb_free(&body);
            sb_free(&p);
            if (!ok)
                break;
            if (r.len == 0) {
                g->x_packets = 0;   /* not supported (QEMU): use M from now on */
                continue;
            }
            if (is_error(&r)) {
                ok = fail(g, "GDB server at %s refused to write %u bytes at 0x%llx (reply %.*s): "
                          "is that address writable RAM, or flash the server does not list in "
                          "its memory map?", g->where, n, (unsigned long long)(addr + done),
                          (int)r.len, r.s);
                break;
            }
            ok = expect_ok(g, "a memory write ('X')", &r);
            g->x_packets = 1;
            done += n;
        } else {
            uint32_t chunk = (g->packet_size - 32) / 2;
            uint32_t n = len - done < chunk ? len - done : chunk;
            ok = write_mem_hex(g, addr + done, buf + done, n, &r);
            done += n;
        }
    }
    sb_free(&r);
    return ok;
}

bool gdb_flash_erase(gdb_conn *g, uint64_t addr, uint32_t len)
{
    char pkt[64];
    sbuf r = {0};
    int pl = snprintf(pkt, sizeof pkt, "vFlashErase:%llx,%x", (unsigned long long)addr, len);
    bool ok = command(g, "vFlashErase", pkt, (size_t)pl, &r) && expect_ok(g, "vFlashErase", &r);
    if (!ok && is_error(&r))
        fail(g, "GDB server at %s refused to erase %u bytes at 0x%llx (reply %.*s)", g->where, len,
             (unsigned long long)addr, (int)r.len, r.s);
    sb_free(&r);
    return ok;
}

bool gdb_flash_write(gdb_conn *g, uint64_t addr, const uint8_t *buf, uint32_t len)
{
    sbuf r = {0};
    bool ok = true;
    for (uint32_t done = 0; ok && done < len;) {
        sbuf body = {0}, p = {0};
        uint32_t n = put_escaped(&body, buf + done, len - done, g->packet_size - 40);
        sb_printf(&p, "vFlashWrite:%llx:", (unsigned long long)(addr + done));
        sb_put(&p, body.s, body.len);
        ok = command(g, "vFlashWrite", p.s, p.len, &r) && expect_ok(g, "vFlashWrite", &r);
        if (!ok && is_error(&r))
            fail(g, "GDB server at %s refused to program %u bytes at 0x%llx (reply %.*s)",
                 g->where, n, (unsigned long long)(addr + done), (int)r.len, r.s);
        sb_free(&body);
        sb_free(&p);
        done += n;
    }
    sb_free(&r);
    return ok;
}

bool gdb_flash_done(gdb_conn *g)
{
    sbuf r = {0};
    bool ok = command(g, "vFlashDone", "vFlashDone", 10, &r) && expect_ok(g, "vFlashDone", &r);
    sb_free(&r);
    return ok;
}

/* ---- running the target ---- */

/* The stop reply comes only when the target stops again (a breakpoint, or
 * never): nothing is awaited, the connection stays usable for closing. */
bool gdb_continue(gdb_conn *g)
{
    start_deadline(g);
    return send_packet(g, "the continue packet (c)", "c", 1);
}

/* ---- flash_dev ---- */

static flash_rc io_error(flash_dev *d, gdb_conn *g)
{
    snprintf(d->err, sizeof d->err, "%s", g->err);
    return FLASH_E_IO;
}

static flash_rc gd_read(flash_dev *d, uint32_t off, void *buf, uint32_t len)
{
    gdb_conn *g = ((gdb_dev *)d)->g;
    return gdb_read_mem(g, d->base + off, buf, len) ? FLASH_OK : io_error(d, g);
}

static flash_rc gd_prog_ram(flash_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    gdb_conn *g = ((gdb_dev *)d)->g;
    return gdb_write_mem(g, d->base + off, buf, len) ? FLASH_OK : io_error(d, g);
}

static flash_rc gd_prog_flash(flash_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    gdb_conn *g = ((gdb_dev *)d)->g;
    return gdb_flash_write(g, d->base + off, buf, len) ? FLASH_OK : io_error(d, g);
}

static flash_rc gd_erase(flash_dev *d, uint32_t off, uint32_t len)
{
    gdb_conn *g = ((gdb_dev *)d)->g;
    return gdb_flash_erase(g, d->base + off, len) ? FLASH_OK : io_error(d, g);
}

static flash_rc gd_erase_ram(flash_dev *d, uint32_t off, uint32_t len)
{
    snprintf(d->err, sizeof d->err, "0x%llx + %u is RAM on this target: nothing to erase",
             (unsigned long long)(d->base + off), len);
    return FLASH_E_RANGE;
}

static flash_rc gd_sync(flash_dev *d)
{
    gdb_conn *g = ((gdb_dev *)d)->g;
    return gdb_flash_done(g) ? FLASH_OK : io_error(d, g);
}

void gdb_dev_init(gdb_dev *gd, gdb_conn *g, uint64_t base, uint32_t size,
                  const gdb_region *flash_region)
{
    memset(gd, 0, sizeof *gd);
    gd->g = g;
    flash_dev *d = &gd->dev;
    d->base = base;
    d->size = size;
    d->ctx = gd;
    d->read = gd_read;
    d->erase_value = 0xFF;
    if (flash_region) {
        d->page_size = 0;
        d->erase_small = d->erase_large = flash_region->blocksize;
        d->prog = gd_prog_flash;
        d->erase = gd_erase;
        d->sync = gd_sync;
    } else {
        d->page_size = 0;
        d->erase_small = d->erase_large = 0;
        d->prog = gd_prog_ram;
        d->erase = gd_erase_ram;
        d->sync = NULL;
    }
}
