/*
 * watch/prom.c: Prometheus text exposition (see prom.h). Reads the registry; owns nothing.
 */
#include "watch/prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Histogram bounds: in seconds for _seconds histograms, else in the recorded unit. */
static const double prom_le_seconds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5, 1, 2.5, 5, 10 };
static const double prom_le_units[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };

static const struct {
    const char *name, *help;
} prom_help[] = {
    { "tierd_host_cpu_utilization", "Host CPU busy, percent of all CPUs (from /proc/stat)." },
    { "tierd_host_load1", "Host load average over 1 minute." },
    { "tierd_host_load5", "Host load average over 5 minutes." },
    { "tierd_host_load15", "Host load average over 15 minutes." },
    { "tierd_host_memory_available_bytes", "MemAvailable from /proc/meminfo." },
    { "tierd_state_dir_free_bytes", "Free bytes on the file system of the state directory." },
    { "tierd_process_cpu_utilization", "tierd's own CPU use, percent of one CPU." },
    { "tierd_process_resident_memory_bytes", "tierd's resident memory." },
    { "tierd_asg_cpu_utilization", "Average CPU utilization of an auto scaling group." },
    { "tierd_http_requests_total", "HTTP requests answered." },
    { "tierd_http_response_seconds", "Time to answer an HTTP request." },
    { "tierd_tg_healthy_hosts", "Healthy targets of a target group." },
    { "tierd_tg_unhealthy_hosts", "Unhealthy targets of a target group." },
    { "tierd_tg_waiting_requests", "Requests held while a target group is starting "
                                   "(initial_wait)." },
    { "tierd_http_response_bytes_total", "Bytes of HTTP responses sent to clients." },
    { "tierd_connections_accepted_total", "Client connections accepted by a listener." },
    { "tierd_edge_active_connections", "Client connections open on a listener." },
    { "tierd_tls_handshakes_total", "TLS handshakes on a listener: full, resumed (ticket or "
                                    "session id) or failed." },
    { "tierd_db_connections", "Client connections open on a database (Threads_connected)." },
    { "tierd_db_cpu_utilization", "CPU use of a managed mariadbd, percent of one CPU." },
    { "tierd_db_free_storage_bytes", "Free bytes on the file system of a database's datadir." },
    { "tierd_db_deadlocks_total", "InnoDB deadlocks of a database (Innodb_deadlocks)." },
    { "tierd_db_read_latency_seconds", "Mean InnoDB file read time of the last sample period "
                                       "(performance_schema=ON)." },
    { "tierd_db_write_latency_seconds", "Mean InnoDB file write time of the last sample "
                                        "period (performance_schema=ON)." },
    { "tierd_db_backup_age_seconds", "Seconds since a database's newest good base backup ended." },
    { "tierd_db_binlog_archive_lag_seconds", "Seconds the newest restorable point is behind "
                                             "now." },
    { "tierd_db_last_verify_ok", "1 when a database's newest verify restored and matched, "
                                 "else 0." },
    { "tierd_db_restore_duration_seconds", "How long the newest verify's restore took." },
    { "tierd_watch_series", "Series kept by watch." },
    { "tierd_watch_series_dropped_total", "Series reports dropped: registry full or kind "
                                          "changed." },
    { "tierd_watch_deliveries_total", "Notification delivery attempts by result." },
    { "tierd_watch_deliveries_pending", "Notifications queued and not yet delivered." },
    { "tierd_certificate_days_to_expiry", "Days until an automatic (ACME) certificate "
                                          "expires." },
};

static const char *
prom_help_text(const char *name)
{
    for (size_t i = 0; i < sizeof(prom_help) / sizeof(prom_help[0]); i++)
        if (strcmp(prom_help[i].name, name) == 0)
            return prom_help[i].help;
    return "tierd metric.";
}

static void
prom_num(struct buf *out, double v)
{
    if (isnan(v))
        buf_append_str(out, "NaN");
    else if (isinf(v))
        buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == rint(v) && fabs(v) < 9007199254740992.0)
        buf_printf(out, "%.0f", v);
    else {
        /* The shortest text that reads back as v ("0.0025", not "0.0025000000000000001"). */
        char t[32];
        for (int p = 1; p <= 17; p++) {
            snprintf(t, sizeof(t), "%.*g", p, v);
            if (strtod(t, NULL) == v)
                break;
        }
        buf_append_str(out, t);
    }
}

struct prom_ctx {
    const struct series **all;
    unsigned n;
    int64_t now_s;
};

static void
prom_collect(void *ctx, const struct series *s)
{
    struct prom_ctx *p = ctx;

    if (p->now_s - s->reported_s < PROM_STALE_S && s->has_prev)
        p->all[p->n++] = s;
}

static int
prom_cmp(const void *a, const void *b)
{
    const struct series *x = *(const struct series *const *)a, *y = *(const struct series *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->key, y->key);
}

static bool
prom_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The label part of the key ("{a=\"x\"}") or "". */
static const char *
prom_labels(const struct series *s)
{
    const char *b = strchr(s->key + strlen(s->name), '{');
    return b ? b : "";
}

static void
prom_hist(struct buf *out, const struct series *s)
{
    bool secs = prom_ends_with(s->name, "_seconds");
    const double *le = secs ? prom_le_seconds : prom_le_units;
    size_t nle = secs ? sizeof(prom_le_seconds) / sizeof(double)
                      : sizeof(prom_le_units) / sizeof(double);
    double unit = secs ? 1e6 : 1;
    const char *labels = prom_labels(s);
    size_t llen = strlen(labels);
    uint64_t cum = 0;
    unsigned b = 0;

    for (size_t i = 0; i <= nle; i++) {
        if (i < nle) {
            double bound = le[i] * unit;
            for (; b < METRIC_BUCKETS && (double)metric_bucket_value(b) <= bound; b++)
                cum += s->hist->buckets[b];
        } else {
            cum = s->hist->count;
        }
        buf_printf(out, "%s_bucket", s->name);
        if (llen)
            buf_printf(out, "%.*s,le=\"", (int)(llen - 1), labels);
        else
            buf_append_str(out, "{le=\"");
        if (i < nle)
            prom_num(out, le[i]);
        else
            buf_append_str(out, "+Inf");
        buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
    }
    buf_printf(out, "%s_sum%s ", s->name, labels);
    prom_num(out, (double)s->hist->sum / unit);
    buf_printf(out, "\n%s_count%s %llu\n", s->name, labels,
               (unsigned long long)s->hist->count);
}

void
prom_write(struct series_reg *r, int64_t now_s, struct buf *out)
{
    struct prom_ctx p = { .now_s = now_s };

    p.all = mem_alloc_or_exit((series_reg_count(r) + 1) * sizeof(*p.all));
    series_reg_visit(r, prom_collect, &p);
    qsort(p.all, p.n, sizeof(*p.all), prom_cmp);
    for (unsigned i = 0; i < p.n; i++) {
        const struct series *s = p.all[i];
        bool first = i == 0 || strcmp(p.all[i - 1]->name, s->name) != 0;
        const char *suffix = s->kind == SERIES_COUNTER && !prom_ends_with(s->name, "_total")
                                 ? "_total" : "";
        if (first) {
            const char *type = s->kind == SERIES_COUNTER ? "counter"
                               : s->kind == SERIES_GAUGE ? "gauge" : "histogram";
            buf_printf(out, "# HELP %s%s %s\n# TYPE %s%s %s\n", s->name, suffix,
                       prom_help_text(s->name), s->name, suffix, type);
        }
        if (s->kind == SERIES_HIST) {
            prom_hist(out, s);
            continue;
        }
        buf_printf(out, "%s%s%s ", s->name, suffix, prom_labels(s));
        prom_num(out, s->cur);
        buf_append_str(out, "\n");
    }
    free(p.all);
}
