/*
 * watch/prom.h: the Prometheus text exposition (format 0.0.4) of the latest values:
 * per metric name a # HELP and a # TYPE line, then its series; counters end in _total
 * (appended when a source's name lacks it); histograms become _bucket{le=...} lines on a
 * fixed set of bounds, _sum and _count. Histograms whose name ends in _seconds record
 * microseconds (core/metric.h) and are exposed in seconds.
 */
#ifndef WATCH_PROM_H
#define WATCH_PROM_H
#include <stdint.h>

#include "core/buf.h"
#include "watch/series.h"

/* Series not reported for this long are left out. */
#define PROM_STALE_S 300

/* Appends every live series of r to out. */
void prom_write(struct series_reg *r, int64_t now_s, struct buf *out);

#endif
