/*
 * stream_src.c - semihosting file reads behind stream mode's read callback
 * (stream_src.h).  Every call is SYS_SEEK then SYS_READ on one handle; a
 * short read or a failed seek is KILN_E_IO, which the runtime turns into a
 * refused init or a stopped run.  Counts live in static memory: the
 * firmware is one network, one session.
 */
#include "stream_src.h"

#include "semihost.h"

#ifdef KILN_QEMU_STREAM_FILE

#define SYS_OPEN 0x01u
#define SYS_CLOSE 0x02u
#define SYS_WRITE 0x05u
#define SYS_READ 0x06u
#define SYS_SEEK 0x0Au
#define MODE_RB 1u
#define MODE_W 4u

static int32_t handle = -1;
static uint64_t bytes, reads, init_bytes, init_reads, run_bytes, run_reads, run_b0, run_r0;
static int run_done;

static uint32_t str_len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

int stream_src_open(void)
{
    uint32_t a[3];
    a[0] = (uint32_t)(uintptr_t)KILN_QEMU_STREAM_FILE;
    a[1] = MODE_RB;
    a[2] = str_len(KILN_QEMU_STREAM_FILE);
    handle = (int32_t)semihost_call(SYS_OPEN, a);
    return handle >= 0;
}

kiln_status stream_src_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    uint32_t a[3];
    (void)ctx;
    if (handle < 0)
        return KILN_E_IO;
    a[0] = (uint32_t)handle;
    a[1] = offset;
    if (semihost_call(SYS_SEEK, a) != 0)
        return KILN_E_IO;
    a[1] = (uint32_t)(uintptr_t)dst;
    a[2] = len;
    if (semihost_call(SYS_READ, a) != 0) /* bytes not read */
        return KILN_E_IO;
    bytes += len;
    reads++;
    return KILN_OK;
}

void stream_src_mark_init(void)
{
    init_bytes = bytes;
    init_reads = reads;
}

void stream_src_mark_run(int begin)
{
    if (run_done)
        return;
    if (begin) {
        run_b0 = bytes;
        run_r0 = reads;
        return;
    }
    run_bytes = bytes - run_b0;
    run_reads = reads - run_r0;
    run_done = 1;
}

static char *put_u64(char *p, uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *p++ = t[--n];
    return p;
}

static char *put_s(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

void stream_src_report(void)
{
    static const char path[] = KILN_QEMU_STREAM_FILE ".counts";
    char line[160], *p = line;
    uint32_t a[3];
    int32_t h;
    p = put_s(p, "stream-init ");
    p = put_u64(p, init_bytes);
    p = put_s(p, " bytes ");
    p = put_u64(p, init_reads);
    p = put_s(p, " reads\n");
    if (run_done) {
        p = put_s(p, "stream-run ");
        p = put_u64(p, run_bytes);
        p = put_s(p, " bytes ");
        p = put_u64(p, run_reads);
        p = put_s(p, " reads\n");
    }
    a[0] = (uint32_t)(uintptr_t)path;
    a[1] = MODE_W;
    a[2] = sizeof path - 1u;
    h = (int32_t)semihost_call(SYS_OPEN, a);
    if (h < 0)
        return;
    a[0] = (uint32_t)h;
    a[1] = (uint32_t)(uintptr_t)line;
    a[2] = (uint32_t)(p - line);
    (void)semihost_call(SYS_WRITE, a);
    a[0] = (uint32_t)h;
    (void)semihost_call(SYS_CLOSE, a);
}

#else
typedef int stream_src_unused; /* memory-mapped and inline builds read no file */
#endif
