/*
 * fleet/cpustat.h: CPU time used by instances, read once a second. With cgroup v2 an
 * instance's cgroup has cpu.stat (usage_usec, which includes exited children); otherwise
 * the utime+stime of every live process in the instance's process group, from a scan of
 * /proc/<pid>/stat (time of processes that already exited is not seen).
 */
#ifndef FLEET_CPUSTAT_H
#define FLEET_CPUSTAT_H
#include <stdint.h>

/* One process group to measure: fill pgid, get usec back. */
struct cpustat_pgrp {
    int pgid;
    uint64_t usec;
};

/* Sums CPU time of every process per pgrp[i].pgid (one pass over /proc). 0 or -errno. */
int cpustat_scan_proc(struct cpustat_pgrp *pgrp, unsigned n);
/* Parses one /proc/<pid>/stat line: pgrp and utime+stime in clock ticks. 0 or -EINVAL. */
int cpustat_parse_stat(const char *line, int *pgrp, uint64_t *ticks);
/* usage_usec from <dir>/cpu.stat. 0 or -errno. */
int cpustat_read_cgroup(const char *dir, uint64_t *usec);
/* Utilization in percent of the instance's share: delta / (interval * share) * 100.
 * cpu_milli 0 means one CPU. */
double cpustat_pct(uint64_t delta_usec, uint64_t interval_usec, unsigned cpu_milli);

#endif
