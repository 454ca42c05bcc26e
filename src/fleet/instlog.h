/*
 * fleet/instlog.h: one instance's stdout/stderr file, rotated by size:
 * <path>, <path>.1 ... <path>.<keep-1>, the oldest dropped. Writes are blocking file
 * writes on the fleet thread (small, and never on an edge loop).
 */
#ifndef FLEET_INSTLOG_H
#define FLEET_INSTLOG_H
#include <stddef.h>
#include <stdint.h>

#define INSTLOG_MAX_BYTES (10u << 20)
#define INSTLOG_KEEP 3

struct instlog;

/* Opens (appends to) path, creating its directory. Returns a new log or NULL (errno). */
struct instlog *instlog_open(const char *path, uint64_t max_bytes, unsigned keep);
/* Appends n bytes, rotating first when the file would pass max_bytes. 0 or -errno. */
int instlog_write(struct instlog *l, const void *p, size_t n);
void instlog_close(struct instlog *l);

#endif
