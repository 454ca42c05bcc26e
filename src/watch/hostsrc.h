/*
 * watch/hostsrc.h: the built-in source of host and process metrics, read once a second:
 *   tierd_process_cpu_utilization        percent of one CPU (/proc/self/stat utime+stime)
 *   tierd_process_resident_memory_bytes  /proc/self/statm resident pages x page size
 *   tierd_host_cpu_utilization           percent busy of all CPUs (/proc/stat "cpu" line)
 *   tierd_host_load1, _load5, _load15    /proc/loadavg
 *   tierd_host_memory_available_bytes    /proc/meminfo MemAvailable
 *   tierd_state_dir_free_bytes           statvfs(state_dir), bytes available to tierd
 * Rates need two readings, so the CPU gauges appear from the second collection on.
 */
#ifndef WATCH_HOSTSRC_H
#define WATCH_HOSTSRC_H
#include <stdint.h>

#include "watch/watch.h"

struct hostsrc;

struct hostsrc *hostsrc_new(const char *state_dir);
void hostsrc_free(struct hostsrc *h);
/* A watch_collect_fn; ctx is the hostsrc. */
void hostsrc_collect(void *ctx, struct watch_sink *sink);

/* Pure parsers, 0 or -EINVAL. */
int hostsrc_parse_proc_stat(const char *text, uint64_t *busy, uint64_t *total);
int hostsrc_parse_self_stat(const char *line, uint64_t *ticks);
int hostsrc_parse_meminfo(const char *text, uint64_t *avail_bytes);

#endif
