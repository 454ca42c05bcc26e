/*
 * watch/metricmap.h: the one table that maps an alarm's metric name (cpu_utilization,
 * request_count, ...) to the Prometheus series that sources report, with the dimensions
 * an alarm may give and CloudWatch's name for the message. docs/watch.md lists the same
 * table; change both together.
 */
#ifndef WATCH_METRICMAP_H
#define WATCH_METRICMAP_H
#include <stdbool.h>

enum metricmap_kind {
    METRICMAP_COUNTER = 0,      /* per-second increase of a counter */
    METRICMAP_GAUGE,            /* sampled value */
    METRICMAP_HIST,             /* observations of a histogram */
};

struct metricmap {
    const char *metric;         /* alarm metric name */
    const char *series;         /* Prometheus series name */
    enum metricmap_kind kind;
    const char *fixed_label;    /* a label every matching series must have, or NULL */
    const char *fixed_value;
    const char *per_series;     /* divide by this gauge (same dimensions), or NULL */
    double scale;               /* applied to values read (histograms record us: 1e-6) */
    const char *cw_name;        /* CloudWatch's MetricName in messages */
    const char *dims[3];        /* dimension (= label) names an alarm may give */
};

/* The entry for an alarm metric name, or NULL. */
const struct metricmap *metricmap_find(const char *metric);
/* The NULL-terminated list of metric names (for "did you mean"). */
const char *const *metricmap_names(void);
bool metricmap_has_dim(const struct metricmap *m, const char *dim);

#endif
