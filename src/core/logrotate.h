/*
 * core/logrotate.h: rotation and retention of a log file that tierd writes itself, for
 * hosts without logrotate. A rotated file is the live name plus the UTC time of its
 * rotation, "access.log.20261207T232400Z" (".1", ".2" when a second holds more), so the
 * names sort by age and say it. Every function takes the time as an argument; none reads
 * the clock.
 */
#ifndef CORE_LOGROTATE_H
#define CORE_LOGROTATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a live file of `size` bytes last written at `mtime_ms` is to be rotated at
 * `now_ms`: past max_size (0: no limit), or, when daily, written on an earlier UTC day
 * (so a file never holds two days and retention can drop whole days). An empty file never
 * is. Pure. */
bool logrotate_is_due(uint64_t size, uint64_t mtime_ms, uint64_t now_ms, uint64_t max_size,
                      bool daily);
/* Parses `name` as a rotated file of the live file named `base` (no directory): 0 and
 * *wall_ms (the rotation time), or -EINVAL when it is not one. Pure. */
int logrotate_parse(const char *base, const char *name, uint64_t *wall_ms);
/* Renames path to its rotated name for `now_ms` (the first free one) and writes that name
 * into out (n bytes). Returns 0; -ENOENT when path does not exist; another -errno. */
int logrotate_rotate(const char *path, uint64_t now_ms, char *out, size_t n);
/* Deletes path's rotated files whose rotation is older than retention_ms at now_ms.
 * Returns how many it deleted, or -errno when the directory cannot be read. Files that
 * are not path's rotated files are never touched. */
int logrotate_prune(const char *path, uint64_t now_ms, uint64_t retention_ms);

#endif
