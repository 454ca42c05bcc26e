/*
 * watch/series.h: the registry of series and their in-memory history. A series is a name
 * plus up to WATCH_LABELS_MAX labels; each keeps SERIES_RING_S seconds at 1 s resolution:
 *   counter: the per-second increase (a reset counts from 0; the first sample is unknown),
 *   gauge:   the sampled value,
 *   histogram: per second the count and sum of new observations, and per 10 s slot the
 *            new observations' buckets (sparse), so percentiles of any period that is a
 *            multiple of 10 s are within 1 % (core/metric.h).
 * A second with no report is missing (NAN). Memory per series: 8 bytes x SERIES_RING_S
 * (30 KiB) for counters and gauges; histograms add 8 bytes x SERIES_RING_S, two dense
 * metric_hist (2 x 10.5 KiB) and the sparse slots (6 bytes per non-empty bucket per 10 s,
 * at most 16 KiB per slot, typically well under 1 KiB).
 *
 * Pure and single-threaded: time comes in as a parameter; watch.c locks around it.
 */
#ifndef WATCH_SERIES_H
#define WATCH_SERIES_H
#include <stdbool.h>
#include <stdint.h>

#include "core/metric.h"
#include "watch/internal.h"

#define SERIES_RING_S 3840          /* 64 minutes: an hour plus an evaluation range */
#define SERIES_SLOT_S 10            /* histogram bucket slots */
#define SERIES_MAX_DEFAULT 4096

enum series_kind {
    SERIES_COUNTER = 0,
    SERIES_GAUGE,
    SERIES_HIST,
};

struct series_hslot {
    int64_t t0;                 /* first second of the slot; INT64_MIN when empty */
    uint32_t n;                 /* non-empty buckets */
    uint16_t *idx;
    uint32_t *cnt;
};

struct series {
    struct series *next;        /* hash chain */
    char *key;                  /* name{a="x",b="y"}, labels sorted, values escaped */
    char *name;
    unsigned nlabels;
    char *lname[WATCH_LABELS_MAX];
    char *lvalue[WATCH_LABELS_MAX];
    enum series_kind kind;
    int64_t last_s;             /* newest second in the ring; INT64_MIN before the first */
    int64_t reported_s;         /* last second a source reported it */
    double *vals;               /* ring: counter increase, gauge value, histogram count */
    double *sums;               /* histogram: sum of new observations per second */
    double cur;                 /* counter total or gauge value, for exposition */
    bool has_prev;
    struct metric_hist *hist;   /* histogram: the latest cumulative copy */
    struct metric_hist *pending; /* histogram: new observations of the current slot */
    int64_t pending_t0;
    struct series_hslot *slots; /* SERIES_RING_S / SERIES_SLOT_S */
};

/* What an alarm or a query reads: every series named `name` whose labels include
 * (fixed_label=fixed_value) and each dimension; several matches are added per second
 * (histograms merged). per_series divides by that gauge's matching sum. */
struct series_sel {
    const char *name;
    const char *fixed_label, *fixed_value;
    const char *per_series;
    const struct watch_labels *dims;
    double scale;               /* 0 means 1 */
};

struct series_reg;

struct series_reg *series_reg_new(unsigned max_series);
void series_reg_free(struct series_reg *r);
unsigned series_reg_count(const struct series_reg *r);
/* Reports dropped because the registry was full. */
uint64_t series_reg_dropped(const struct series_reg *r);

/* One sampling round: begin at second now_s, put every value, end. */
void series_reg_begin(struct series_reg *r, int64_t now_s);
void series_put_counter(struct series_reg *r, const char *name, const struct watch_labels *l,
                        uint64_t v);
void series_put_gauge(struct series_reg *r, const char *name, const struct watch_labels *l,
                      double v);
void series_put_hist(struct series_reg *r, const char *name, const struct watch_labels *l,
                     const struct metric_hist *h);
/* Closes histogram slots and forgets series not reported for SERIES_RING_S seconds. */
void series_reg_end(struct series_reg *r);

/* Borrowed; NULL when absent. */
struct series *series_find(struct series_reg *r, const char *name, const struct watch_labels *l);
/* Calls fn for each series in key order (Prometheus groups by name). */
typedef void (*series_visit_fn)(void *ctx, const struct series *s);
void series_reg_visit(struct series_reg *r, series_visit_fn fn, void *ctx);

bool series_matches(const struct series *s, const struct series_sel *sel);
/* The statistic over seconds [t0, t1) of what sel selects; NAN when nothing was seen
 * (no sample, or a histogram without observations). */
double series_stat(struct series_reg *r, const struct series_sel *sel, enum watch_stat st,
                   int64_t t0, int64_t t1);

/* The 60 s aggregate of one series over [t0, t0 + 60): n = samples (histograms:
 * observations), sum, min, max; hist gets the observations' buckets (histograms only;
 * may be NULL). Returns false when the minute holds nothing. */
struct series_agg {
    double n, sum, min, max;
};
bool series_minute(const struct series *s, int64_t t0, struct series_agg *out,
                   struct metric_hist *hist);

/* Writes the canonical key of name + labels into out; returns its length (truncated). */
unsigned series_key(const char *name, const struct watch_labels *l, char *out, unsigned len);
/* The value of bucket i (for percentiles read back from sparse storage). */
double series_percentile_q(enum watch_stat st);

#endif
