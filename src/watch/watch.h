/*
 * watch/watch.h: metrics, alarms and notifications, the facade for daemon/.
 *
 * Watch never calls other subsystems. The daemon registers sources: once a second the
 * watch thread calls each source's collect(), which reports the current value of its
 * counters, gauges and histograms through a sink (names and labels follow Prometheus
 * conventions: tierd_http_requests_total{listener="public",code="2xx"}). Watch keeps
 * every series at 1 s resolution in memory for at least an hour, writes 60 s aggregates
 * to SQLite (15 days) from its own thread, evaluates alarms with CloudWatch semantics
 * (watch/alarm_eval.h), and delivers notifications durably (queued in SQLite before an
 * alarm transition is acknowledged; retried with backoff; webhooks with an HMAC-SHA256
 * signature, email through SMTP with libcurl, commands with the JSON on stdin).
 */
#ifndef WATCH_WATCH_H
#define WATCH_WATCH_H
#include <stdbool.h>
#include <stdint.h>

#include "conf/ctx.h"
#include "conf/node.h"
#include "core/buf.h"
#include "core/metric.h"

struct watch;
struct watch_conf;
struct watch_sink;

/* One label set: up to WATCH_LABELS_MAX name/value pairs, borrowed for the call. */
#define WATCH_LABELS_MAX 4
struct watch_labels {
    unsigned n;
    const char *name[WATCH_LABELS_MAX];
    const char *value[WATCH_LABELS_MAX];
};

/* Reports a monotonically increasing counter, a gauge, or a cumulative histogram. */
void watch_sink_counter(struct watch_sink *s, const char *name, const struct watch_labels *l,
                        uint64_t value);
void watch_sink_gauge(struct watch_sink *s, const char *name, const struct watch_labels *l,
                      double value);
void watch_sink_hist(struct watch_sink *s, const char *name, const struct watch_labels *l,
                     const struct metric_hist *h);

typedef void (*watch_collect_fn)(void *ctx, struct watch_sink *sink);

/* Reads them (absent: no alarms); NULL after diagnostics. `groups`: the auto scaling
 * group names and `tgs` the target group names that dimensions may name. */
int watch_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                     struct watch_conf **out);
void watch_conf_free(struct watch_conf *c);

/* A new watch keeping its database in state_dir; NULL with a message in errbuf. */
struct watch *watch_new(const char *state_dir, char *errbuf, size_t errlen);
/* Adds a source (before watch_start). */
void watch_add_source(struct watch *w, watch_collect_fn fn, void *ctx);
/* Swaps in alarms/topics (takes ownership); alarm states and queued deliveries survive. */
void watch_apply(struct watch *w, struct watch_conf *conf);
int watch_start(struct watch *w);
void watch_stop(struct watch *w);
void watch_free(struct watch *w);

/* Prometheus text exposition of the latest values (for GET /metrics). Thread-safe. */
void watch_prometheus(struct watch *w, struct buf *out);
/* The latest value of one series (the autoscaler's and the control API's reads), e.g.
 * watch_latest(w, "tierd_instance_cpu_utilization", &labels, &v). Thread-safe. */
bool watch_latest(struct watch *w, const char *name, const struct watch_labels *l, double *out);

/* Added by the watch implementation (additive to the lead's facade): */

/* One datapoint of a query: the period starting at t_s (Unix seconds) and its value. */
struct watch_datapoint {
    int64_t t_s;
    double value;
};
/* A CloudWatch-shaped query (GetMetricStatistics): metric is an alarm metric name
 * (cpu_utilization, docs/watch.md) or a Prometheus series name; dims must all match;
 * statistic as in the stack file (average, sum, minimum, maximum, sample_count, p50,
 * p90, p99); periods of period_s from start_s up to end_s. Writes at most max datapoints
 * (periods without data are left out, as CloudWatch does) and returns how many, or
 * -EINVAL for an unknown statistic or a zero period. Recent periods come from memory
 * (1 s resolution, the last hour), older ones from the 60 s aggregates in watch.db
 * (period then rounded to minutes). Thread-safe; reads, never waits for the watch thread's
 * evaluation or deliveries. */
int watch_query(struct watch *w, const char *metric, const struct watch_labels *dims,
                const char *statistic, uint64_t period_s, int64_t start_s, int64_t end_s,
                struct watch_datapoint *out, unsigned max);

/* One alarm for `tierd alarms`; the strings are valid during the callback only. */
struct watch_alarm_info {
    const char *name;
    const char *state;          /* "OK", "ALARM", "INSUFFICIENT_DATA" */
    const char *reason;         /* CloudWatch's reason text */
    uint64_t updated_ms;        /* Unix ms of the last state change */
    const char *metric;
    /* What it watches and against what, for drawing it (the console): the statistic
     * (watch_stat names: "average", "p99", ...) over period_s, compared ("greater than",
     * ...) with threshold; the first dimension (name NULL when none). */
    const char *statistic;
    uint64_t period_s;
    const char *comparison;
    double threshold;
    unsigned evaluation_periods, datapoints_to_alarm;
    const char *dim_name, *dim_value;
};
typedef void (*watch_alarm_fn)(void *ctx, const struct watch_alarm_info *a);
/* Calls fn for each configured alarm, in stack-file order, under watch's lock (fn must
 * not call back into watch). Thread-safe. */
void watch_alarms_visit(struct watch *w, watch_alarm_fn fn, void *ctx);
/* An alarm's state changes from its stored history, newest first, at most limit. Returns
 * -ENOENT for an alarm not configured. Thread-safe (reads the query connection). */
typedef void (*watch_history_fn)(void *ctx, uint64_t at_ms, const char *old_state,
                                 const char *new_state, const char *reason);
int watch_alarm_history(struct watch *w, const char *name, unsigned limit,
                        watch_history_fn fn, void *ctx);

#endif
