/*
 * daemon/sources.c: the metric sources the daemon gives watch. Watch never calls other
 * subsystems; these adapters read the edge's, the shield's and the fleet's figures and
 * report them through watch's sink once a second (on watch's thread, through each
 * subsystem's thread-safe visitors).
 */
#include "daemon/sources.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"
#include "core/clock.h"
#include "data/data.h"
#include "edge/edge.h"
#include "fleet/fleet.h"
#include "shield/shield.h"
#include "watch/watch.h"

static void
edge_metric(void *ctx, const struct edge_metric *m)
{
    struct watch_sink *sink = ctx;
    struct watch_labels l = { .n = m->nlabels };

    for (unsigned i = 0; i < m->nlabels && i < WATCH_LABELS_MAX; i++) {
        l.name[i] = m->label_names[i];
        l.value[i] = m->label_values[i];
    }
    switch (m->kind) {
    case EDGE_METRIC_COUNTER:
        watch_sink_counter(sink, m->name, &l, m->counter);
        break;
    case EDGE_METRIC_GAUGE:
        watch_sink_gauge(sink, m->name, &l, m->gauge);
        break;
    case EDGE_METRIC_HIST:
        watch_sink_hist(sink, m->name, &l, m->hist);
        break;
    }
}

static void
collect_edge(void *ctx, struct watch_sink *sink)
{
    edge_visit_metrics(ctx, edge_metric, sink);
}

static void
shield_counter(void *ctx, const char *name, uint64_t value)
{
    static const char *const gauges[] = { "bans_active", "queue_length", "addresses_connected",
                                          NULL };
    char metric[96];
    struct watch_labels none = { 0 };

    for (const char *const *g = gauges; *g; g++)
        if (strcmp(name, *g) == 0) {
            snprintf(metric, sizeof(metric), "tierd_shield_%s", name);
            watch_sink_gauge(ctx, metric, &none, (double)value);
            return;
        }
    /* "geo_block:SG": the geo rule's hits in one country, a label. */
    const char *colon = strchr(name, ':');
    if (colon) {
        struct watch_labels cc = { 1, { "country" }, { colon + 1 } };
        snprintf(metric, sizeof(metric), "tierd_shield_%.*s_total", (int)(colon - name), name);
        watch_sink_counter(ctx, metric, &cc, value);
        return;
    }
    snprintf(metric, sizeof(metric), "tierd_shield_%s_total", name);
    watch_sink_counter(ctx, metric, &none, value);
}

static void
collect_shield(void *ctx, struct watch_sink *sink)
{
    shield_counters_visit(ctx, shield_counter, sink);
}

/* Per group: capacity figures, and the CPU utilization the autoscaler uses (mean over
 * in-service instances past warm-up). */
struct fleet_acc {
    struct watch_sink *sink;
    struct fleet *fleet;
};

struct cpu_acc {
    double sum;
    unsigned n;
    struct watch_sink *sink;
};

static void
instance_cpu(void *ctx, const struct fleet_instance_info *i)
{
    struct cpu_acc *a = ctx;
    struct watch_labels l = { 2, { "auto_scaling_group", "instance" }, { i->group, i->id } };

    if (isnan(i->cpu_pct))
        return;
    watch_sink_gauge(a->sink, "tierd_instance_cpu_utilization", &l, i->cpu_pct);
    if (strcmp(i->state, "InService") == 0 && !i->warming) {
        a->sum += i->cpu_pct;
        a->n++;
    }
}

static void
group_metrics(void *ctx, const struct fleet_group_info *g)
{
    struct fleet_acc *fa = ctx;
    struct watch_labels l = { 1, { "auto_scaling_group" }, { g->name } };

    watch_sink_gauge(fa->sink, "tierd_asg_desired_capacity", &l, g->desired);
    watch_sink_gauge(fa->sink, "tierd_asg_in_service_instances", &l, g->in_service);
    watch_sink_gauge(fa->sink, "tierd_asg_pending_instances", &l, g->pending);
}

/* Group names, copied out first: the visitors hold the fleet's lock, so no nested call. */
struct names {
    char v[64][64];
    unsigned n;
};

static void
group_name(void *ctx, const struct fleet_group_info *g)
{
    struct names *nm = ctx;

    if (nm->n < 64)
        snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%s", g->name);
}

static void
collect_fleet(void *ctx, struct watch_sink *sink)
{
    struct fleet_acc fa = { sink, ctx };
    struct names nm = { .n = 0 };

    fleet_visit_groups(ctx, group_metrics, &fa);
    fleet_visit_groups(ctx, group_name, &nm);
    for (unsigned i = 0; i < nm.n; i++) {
        struct cpu_acc a = { 0, 0, sink };
        struct watch_labels l = { 1, { "auto_scaling_group" }, { nm.v[i] } };
        fleet_visit_instances(ctx, nm.v[i], instance_cpu, &a);
        if (a.n)
            watch_sink_gauge(sink, "tierd_asg_cpu_utilization", &l, a.sum / a.n);
    }
}

static void
data_metric(void *ctx, const char *name, const char *db, double value, bool counter)
{
    struct watch_labels l = { 1, { "database" }, { db } };

    if (counter)
        watch_sink_counter(ctx, name, &l, (uint64_t)value);
    else
        watch_sink_gauge(ctx, name, &l, value);
}

static void
collect_data(void *ctx, struct watch_sink *sink)
{
    data_visit_metrics(ctx, data_metric, sink);
}

void
sources_add(struct watch *w, struct edge *e, struct shield *s, struct fleet *f,
            struct data *d)
{
    watch_add_source(w, collect_edge, e);
    watch_add_source(w, collect_shield, s);
    watch_add_source(w, collect_fleet, f);
    if (d)
        watch_add_source(w, collect_data, d);
}

/* Days until each automatic certificate expires (fractional, below 0 once expired), by
 * its first domain: what an alarm on certificate_days_to_expiry reads. */
static void
acme_days(void *ctx, const struct acme_cert_view *v)
{
    struct watch_sink *sink = ctx;
    struct watch_labels l = { 1, { "domain" }, { v->name } };

    if (v->has_cert)
        watch_sink_gauge(sink, "tierd_certificate_days_to_expiry", &l,
                         (double)(v->not_after_s * 1000 - (int64_t)clock_wall_ms()) / 86400e3);
}

static void
collect_acme(void *ctx, struct watch_sink *sink)
{
    acme_visit(ctx, acme_days, sink);
}

void
sources_add_acme(struct watch *w, struct acme *a)
{
    watch_add_source(w, collect_acme, a);
}
