/*
 * fleet/cpustat.c: CPU accounting of instances (see cpustat.h). Reads /proc and cgroup
 * files; owns nothing between calls.
 */
#include "fleet/cpustat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cpustat_parse_stat(const char *line, int *pgrp, uint64_t *ticks)
{
    /* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime ...": comm may hold spaces and parentheses, so start after the last ')'. */
    const char *p = strrchr(line, ')');
    unsigned long long ut, st;
    int pg;

    if (!p)
        return -EINVAL;
    if (sscanf(p + 1, " %*c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &pg, &ut,
               &st) != 3)
        return -EINVAL;
    *pgrp = pg;
    *ticks = ut + st;
    return 0;
}

int
cpustat_scan_proc(struct cpustat_pgrp *pgrp, unsigned n)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long hz = sysconf(_SC_CLK_TCK);

    if (!d)
        return -errno;
    if (hz <= 0)
        hz = 100;
    for (unsigned i = 0; i < n; i++)
        pgrp[i].usec = 0;
    while ((e = readdir(d))) {
        char path[64], line[1024];
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%.20s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t r = read(fd, line, sizeof(line) - 1);
        close(fd);
        if (r <= 0)
            continue;
        line[r] = '\0';
        int pg;
        uint64_t ticks;
        if (cpustat_parse_stat(line, &pg, &ticks) < 0)
            continue;
        for (unsigned i = 0; i < n; i++)
            if (pgrp[i].pgid == pg)
                pgrp[i].usec += ticks * 1000000 / (uint64_t)hz;
    }
    closedir(d);
    return 0;
}

int
cpustat_read_cgroup(const char *dir, uint64_t *usec)
{
    char path[512], buf[1024];
    unsigned long long v;

    snprintf(path, sizeof(path), "%s/cpu.stat", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0)
        return -EIO;
    buf[r] = '\0';
    const char *p = strstr(buf, "usage_usec ");
    if (!p || sscanf(p, "usage_usec %llu", &v) != 1)
        return -EINVAL;
    *usec = v;
    return 0;
}

double
cpustat_pct(uint64_t delta_usec, uint64_t interval_usec, unsigned cpu_milli)
{
    double share = cpu_milli ? cpu_milli / 1000.0 : 1.0;

    if (interval_usec == 0)
        return 0;
    return (double)delta_usec / ((double)interval_usec * share) * 100.0;
}
