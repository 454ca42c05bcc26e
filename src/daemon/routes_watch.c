/*
 * daemon/routes_watch.c: GET /metrics (Prometheus text exposition), GET /v1/alarms and
 * GET /v1/alarms/{name}/history and GET /v1/metrics (a CloudWatch-shaped query).
 */
#include "daemon/routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "watch/watch.h"

static void
metrics_prom(struct ctl_req *req, void *ctx)
{
    struct buf b = { 0 };

    watch_prometheus(ctx, &b);
    buf_append(&b, "", 1);
    ctl_req_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", buf_head(&b),
                       buf_len(&b) - 1);
    buf_fini(&b);
}

static void
add_alarm(void *ctx, const struct watch_alarm_info *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:f, s:I, s:I}", "name",
                          a->name, "state", a->state, "reason", a->reason, "metric", a->metric,
                          "updated", (json_int_t)(a->updated_ms / 1000), "statistic",
                          a->statistic, "period", (json_int_t)a->period_s, "comparison",
                          a->comparison, "threshold", a->threshold, "evaluation_periods",
                          (json_int_t)a->evaluation_periods, "datapoints_to_alarm",
                          (json_int_t)a->datapoints_to_alarm);

    if (o && a->dim_name)       /* as GET /v1/metrics takes it: name:value */
        json_object_set_new(o, "dimension", json_sprintf("%s:%s", a->dim_name, a->dim_value));
    json_array_append_new(ctx, o);
}

static void
add_history(void *ctx, uint64_t at_ms, const char *old_state, const char *new_state,
            const char *reason)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s}", "time_ms", (json_int_t)at_ms,
                                         "old_state", old_state ? old_state : "",
                                         "new_state", new_state ? new_state : "",
                                         "reason", reason ? reason : ""));
}

/* GET /v1/alarms/{name}/history?limit=100: state changes, newest first (at most 1000). */
static void
alarm_history_get(struct ctl_req *req, void *ctx)
{
    const char *name = ctl_req_param(req, "name");
    const char *lim = ctl_req_query(req, "limit");
    unsigned long limit = lim ? strtoul(lim, NULL, 10) : 100;
    json_t *list = json_array();

    if (limit == 0 || limit > 1000)
        limit = 1000;
    if (watch_alarm_history(ctx, name, (unsigned)limit, add_history, list) < 0) {
        json_decref(list);
        ctl_req_error(req, 404, "not_found", "name", "no alarm named \"%s\"", name);
        return;
    }
    ctl_req_reply(req, 200, json_pack("{s:s, s:o}", "alarm", name, "history", list));
}

static void
alarms_get(struct ctl_req *req, void *ctx)
{
    json_t *list = json_array();

    watch_alarms_visit(ctx, add_alarm, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "alarms", list));
}

/* GET /v1/metrics?metric=cpu_utilization&statistic=average&period=60&start=..&end=..
 *   &dimension=auto_scaling_group:web (repeatable up to 4 times is not supported by the
 *   query parser: one dimension) */
static void
metrics_query(struct ctl_req *req, void *ctx)
{
    const char *metric = ctl_req_query(req, "metric");
    const char *stat = ctl_req_query(req, "statistic");
    const char *period = ctl_req_query(req, "period");
    const char *start = ctl_req_query(req, "start");
    const char *end = ctl_req_query(req, "end");
    const char *dim = ctl_req_query(req, "dimension");
    int64_t now = (int64_t)time(NULL);
    struct watch_labels l = { 0 };
    char dname[64];
    static struct watch_datapoint pts[4096];

    if (!metric) {
        ctl_req_error(req, 400, "invalid", "metric", "metric: missing, e.g. "
                                                     "?metric=cpu_utilization");
        return;
    }
    if (dim) {
        const char *colon = strchr(dim, ':');
        if (!colon || colon == dim || (size_t)(colon - dim) >= sizeof(dname)) {
            ctl_req_error(req, 400, "invalid", "dimension", "dimension: write name:value, "
                                                            "e.g. auto_scaling_group:web");
            return;
        }
        memcpy(dname, dim, (size_t)(colon - dim));
        dname[colon - dim] = '\0';
        l.n = 1;
        l.name[0] = dname;
        l.value[0] = colon + 1;
    }
    uint64_t p = period ? strtoull(period, NULL, 10) : 60;
    int64_t s = start ? strtoll(start, NULL, 10) : now - 3600;
    int64_t e = end ? strtoll(end, NULL, 10) : now;
    int n = watch_query(ctx, metric, &l, stat ? stat : "average", p, s, e, pts,
                        sizeof(pts) / sizeof(pts[0]));
    if (n < 0) {
        ctl_req_error(req, 400, "invalid", "statistic", "statistic or period not valid: use "
                      "average, sum, minimum, maximum, sample_count, p50, p90 or p99 and a "
                      "period above 0");
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:I, s:f}", "timestamp", (json_int_t)pts[i].t_s,
                                              "value", pts[i].value));
    ctl_req_reply(req, 200, json_pack("{s:s, s:s, s:I, s:o}", "metric", metric, "statistic",
                                      stat ? stat : "average", "period", (json_int_t)p,
                                      "datapoints", list));
}

void
routes_watch_add(struct ctl *ctl, struct watch *w)
{
    BUG_ON(ctl_route(ctl, "GET", "/metrics", metrics_prom, w) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/alarms", alarms_get, w) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/alarms/{name}/history", alarm_history_get, w) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/metrics", metrics_query, w) < 0);
}
