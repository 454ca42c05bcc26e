/*
 * watch/hostsrc.c: host and process metrics from /proc (see hostsrc.h). Owns its previous
 * readings; reads files with plain read(2) (small procfs files, never blocking long).
 */
#include "watch/hostsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/mem.h"

struct hostsrc {
    char *state_dir;
    uint64_t busy, total;           /* host CPU ticks at the last reading */
    uint64_t self_ticks, self_us;   /* process CPU ticks, and when */
    bool have_host, have_self;
};

struct hostsrc *
hostsrc_new(const char *state_dir)
{
    struct hostsrc *h = mem_alloc_or_exit(sizeof(*h));

    h->state_dir = mem_strdup_or_exit(state_dir ? state_dir : ".");
    return h;
}

void
hostsrc_free(struct hostsrc *h)
{
    if (!h)
        return;
    free(h->state_dir);
    free(h);
}

static ssize_t
hostsrc_read(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return n;
}

int
hostsrc_parse_proc_stat(const char *text, uint64_t *busy, uint64_t *total)
{
    unsigned long long v[10] = { 0 };

    if (strncmp(text, "cpu ", 4) != 0)
        return -EINVAL;
    int n = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    if (n < 4)
        return -EINVAL;
    /* user nice system idle iowait irq softirq steal guest guest_nice; guest time is
     * already in user and nice, so it is not added again. */
    uint64_t idle = v[3] + v[4];
    uint64_t all = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *total = all;
    *busy = all - idle;
    return 0;
}

int
hostsrc_parse_self_stat(const char *line, uint64_t *ticks)
{
    const char *p = strrchr(line, ')');
    unsigned long long ut, st;

    if (!p)
        return -EINVAL;
    /* After the command: field 3 (state) ... field 14 utime, 15 stime. */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -EINVAL;
    *ticks = ut + st;
    return 0;
}

int
hostsrc_parse_meminfo(const char *text, uint64_t *avail_bytes)
{
    const char *p = strstr(text, "MemAvailable:");
    unsigned long long kb;

    if (!p || sscanf(p + 13, " %llu", &kb) != 1)
        return -EINVAL;
    *avail_bytes = (uint64_t)kb * 1024;
    return 0;
}

void
hostsrc_collect(void *ctx, struct watch_sink *sink)
{
    struct hostsrc *h = ctx;
    char buf[4096];
    uint64_t a, b;
    double l1, l5, l15;

    if (hostsrc_read("/proc/stat", buf, sizeof(buf)) > 0 &&
        hostsrc_parse_proc_stat(buf, &a, &b) == 0) {
        if (h->have_host && b > h->total)
            watch_sink_gauge(sink, "tierd_host_cpu_utilization", NULL,
                             100.0 * (double)(a - h->busy) / (double)(b - h->total));
        h->busy = a;
        h->total = b;
        h->have_host = true;
    }
    if (hostsrc_read("/proc/self/stat", buf, sizeof(buf)) > 0 &&
        hostsrc_parse_self_stat(buf, &a) == 0) {
        uint64_t now = clock_mono_us();
        long hz = sysconf(_SC_CLK_TCK);
        if (h->have_self && now > h->self_us && hz > 0)
            watch_sink_gauge(sink, "tierd_process_cpu_utilization", NULL,
                             100.0 * (double)(a - h->self_ticks) / (double)hz /
                                 ((double)(now - h->self_us) / 1e6));
        h->self_ticks = a;
        h->self_us = now;
        h->have_self = true;
    }
    if (hostsrc_read("/proc/self/statm", buf, sizeof(buf)) > 0) {
        unsigned long long size, rss;
        if (sscanf(buf, "%llu %llu", &size, &rss) == 2)
            watch_sink_gauge(sink, "tierd_process_resident_memory_bytes", NULL,
                             (double)rss * (double)sysconf(_SC_PAGESIZE));
    }
    if (hostsrc_read("/proc/loadavg", buf, sizeof(buf)) > 0 &&
        sscanf(buf, "%lf %lf %lf", &l1, &l5, &l15) == 3) {
        watch_sink_gauge(sink, "tierd_host_load1", NULL, l1);
        watch_sink_gauge(sink, "tierd_host_load5", NULL, l5);
        watch_sink_gauge(sink, "tierd_host_load15", NULL, l15);
    }
    if (hostsrc_read("/proc/meminfo", buf, sizeof(buf)) > 0 && hostsrc_parse_meminfo(buf, &a) == 0)
        watch_sink_gauge(sink, "tierd_host_memory_available_bytes", NULL, (double)a);
    struct statvfs vfs;
    if (statvfs(h->state_dir, &vfs) == 0)
        watch_sink_gauge(sink, "tierd_state_dir_free_bytes", NULL,
                         (double)vfs.f_bavail * (double)vfs.f_frsize);
}
