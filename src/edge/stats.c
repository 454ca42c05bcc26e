/*
 * edge/stats.c: the edge's metrics. Each worker counts requests, bytes, connections and
 * latency per listener and per target group in its own slots (no locks, no shared cache
 * lines); edge_visit_metrics() sums the workers' slots for readers on other threads.
 * Slots are found by name, so counters stay monotonic across reloads. Per-target
 * figures live in the shared target objects (edge/target.h).
 */
#include "edge/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/gen.h"
#include "edge/registry.h"
#include "edge/txn.h"
#include "edge/worker.h"

static const char *const classes[6] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };

/* The slot named `name` in tab (creating it); STATS_NONE when the table is full. */
static uint8_t
slot_find(struct stats_slot **tab, atomic_uint *n, const char *name)
{
    unsigned k = atomic_load_explicit(n, memory_order_relaxed);

    for (unsigned i = 0; i < k; i++)
        if (strcmp(tab[i]->name, name) == 0)
            return (uint8_t)i;
    if (k == STATS_SLOTS_MAX)
        return STATS_NONE;
    struct stats_slot *s = calloc(1, sizeof(*s));
    if (!s)
        return STATS_NONE;
    snprintf(s->name, sizeof(s->name), "%s", name);
    tab[k] = s;
    /* Publish the slot only once it is complete. */
    atomic_store_explicit(n, k + 1, memory_order_release);
    return (uint8_t)k;
}

void
stats_take_gen(struct worker *w)
{
    struct worker_stats *st = &w->stats;
    const struct edge_conf *c = &w->gen->conf;

    free(st->lslot);
    free(st->gslot);
    st->lslot = malloc(c->nlisteners ? c->nlisteners : 1);
    st->gslot = malloc(c->ntgs ? c->ntgs : 1);
    for (unsigned i = 0; st->lslot && i < c->nlisteners; i++)
        st->lslot[i] = slot_find(st->l, &st->nl, c->listeners[i].name);
    for (unsigned i = 0; st->gslot && i < c->ntgs; i++)
        st->gslot[i] = slot_find(st->g, &st->ng, c->tgs[i].name);
}

static void
count(struct stats_slot *s, int status, uint64_t bytes, uint64_t us)
{
    unsigned cls = status >= 100 && status < 600 ? (unsigned)status / 100 : 0;

    stats_add(&s->requests[cls], 1);
    stats_add(&s->bytes, bytes);
    metric_hist_record(&s->latency, us);
}

void
stats_txn_done(struct worker *w, const struct txn *t, uint64_t now_us)
{
    struct worker_stats *st = &w->stats;
    uint64_t us = now_us - t->start_us;
    uint8_t ls = STATS_NONE, gs = STATS_NONE;

    if (t->gen == w->gen) {
        if (t->lc && st->lslot)
            ls = st->lslot[t->lc - t->gen->conf.listeners];
        if (t->tg >= 0 && st->gslot)
            gs = st->gslot[t->tg];
    } else {
        /* A request that outlived a reload: find its slots by name. */
        if (t->lc)
            ls = slot_find(st->l, &st->nl, t->lc->name);
        if (t->tg >= 0)
            gs = slot_find(st->g, &st->ng, t->gen->conf.tgs[t->tg].name);
    }
    if (ls != STATS_NONE)
        count(st->l[ls], t->status, t->body_bytes_sent, us);
    if (gs != STATS_NONE)
        count(st->g[gs], t->status, t->body_bytes_sent, us);
}

void
stats_free(struct worker *w)
{
    for (unsigned i = 0; i < w->stats.nl; i++)
        free(w->stats.l[i]);
    for (unsigned i = 0; i < w->stats.ng; i++)
        free(w->stats.g[i]);
    free(w->stats.lslot);
    free(w->stats.gslot);
    memset(&w->stats, 0, sizeof(w->stats));
}

/* ---- reading ---- */

struct sum {
    uint64_t requests[6], bytes, accepted, tls[3];
    int64_t active, waiting;
    struct metric_hist latency;
};

static void
sum_slots(struct edge *e, bool listeners, const char *name, struct sum *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct worker_stats *st = &e->workers[i]->stats;
        struct stats_slot **tab = listeners ? st->l : st->g;
        unsigned n = atomic_load_explicit(listeners ? &st->nl : &st->ng, memory_order_acquire);
        for (unsigned k = 0; k < n; k++) {
            struct stats_slot *s = tab[k];
            if (strcmp(s->name, name) != 0)
                continue;
            for (int c = 0; c < 6; c++)
                out->requests[c] += atomic_load_explicit(&s->requests[c], memory_order_relaxed);
            out->bytes += atomic_load_explicit(&s->bytes, memory_order_relaxed);
            out->accepted += atomic_load_explicit(&s->accepted, memory_order_relaxed);
            for (int k2 = 0; k2 < 3; k2++)
                out->tls[k2] += atomic_load_explicit(&s->tls[k2], memory_order_relaxed);
            out->active += atomic_load_explicit(&s->active, memory_order_relaxed);
            out->waiting += atomic_load_explicit(&s->waiting, memory_order_relaxed);
            /* Bucket counts are read while the worker writes them: a reading may be one
             * request behind, never corrupt (32-bit aligned loads). */
            metric_hist_merge(&out->latency, &s->latency);
        }
    }
}

/* Reports one counter or gauge with one or two labels (l2 NULL: one). */
static void
emit(edge_metric_fn fn, void *ctx, enum edge_metric_kind kind, const char *name,
     const char *l1, const char *v1, const char *l2, const char *v2, double value)
{
    struct edge_metric m = { .name = name, .kind = kind };

    if (kind == EDGE_METRIC_COUNTER)
        m.counter = (uint64_t)value;
    else
        m.gauge = value;
    m.label_names[m.nlabels] = l1;
    m.label_values[m.nlabels++] = v1;
    if (l2) {
        m.label_names[m.nlabels] = l2;
        m.label_values[m.nlabels++] = v2;
    }
    fn(ctx, &m);
}

#define emit_counter(fn, ctx, ...) emit(fn, ctx, EDGE_METRIC_COUNTER, __VA_ARGS__)
#define emit_gauge(fn, ctx, ...) emit(fn, ctx, EDGE_METRIC_GAUGE, __VA_ARGS__)

/* One listener's or group's series; the label (listener or target_group) tells them
 * apart under one metric name, as Prometheus prefers. */
static void
emit_slot(edge_metric_fn fn, void *ctx, const char *label, const char *name, struct sum *s,
          bool listener)
{
    struct edge_metric h = { .kind = EDGE_METRIC_HIST, .nlabels = 1, .hist = &s->latency };

    for (int c = 0; c < 6; c++)
        emit_counter(fn, ctx, "tierd_http_requests_total", label, name, "code", classes[c],
                     (double)s->requests[c]);
    emit_counter(fn, ctx, "tierd_http_response_bytes_total", label, name, NULL, NULL,
                 (double)s->bytes);
    /* Recorded in microseconds; a "_seconds" histogram is scaled when exposed. */
    h.name = "tierd_http_response_seconds";
    h.label_names[0] = label;
    h.label_values[0] = name;
    fn(ctx, &h);
    if (listener) {
        emit_counter(fn, ctx, "tierd_connections_accepted_total", label, name, NULL, NULL,
                     (double)s->accepted);
        emit_gauge(fn, ctx, "tierd_edge_active_connections", label, name, NULL, NULL,
                   (double)(s->active > 0 ? s->active : 0));
        static const char *const tls_results[3] = { "full", "resumed", "failed" };
        for (int k = 0; k < 3; k++)
            if (s->tls[0] + s->tls[1] + s->tls[2])     /* TLS listeners only */
                emit_counter(fn, ctx, "tierd_tls_handshakes_total", label, name, "result",
                             tls_results[k], (double)s->tls[k]);
    } else {
        /* Requests held while every target of the group is still initial (initwait.c). */
        emit_gauge(fn, ctx, "tierd_tg_waiting_requests", label, name, NULL, NULL,
                   (double)(s->waiting > 0 ? s->waiting : 0));
    }
}

void
edge_visit_metrics(struct edge *e, edge_metric_fn fn, void *ctx)
{
    struct gen *g = edge_gen_current(e);
    static _Thread_local struct sum s;     /* large (a histogram): not on the stack */

    if (!g)
        return;
    for (unsigned i = 0; i < g->conf.nlisteners; i++) {
        sum_slots(e, true, g->conf.listeners[i].name, &s);
        emit_slot(fn, ctx, "listener", g->conf.listeners[i].name, &s, true);
    }
    for (unsigned i = 0; i < g->conf.ntgs; i++) {
        const char *tg = g->conf.tgs[i].name;
        unsigned healthy = 0, unhealthy = 0;
        sum_slots(e, false, tg, &s);
        emit_slot(fn, ctx, "target_group", tg, &s, false);
        for (unsigned k = 0; k < g->tgrt[i].n; k++) {
            const struct target *t = g->tgrt[i].targets[k];
            enum target_state st = target_state_get(t);
            healthy += st == TARGET_HEALTHY;
            unhealthy += st == TARGET_UNHEALTHY;
            emit_counter(fn, ctx, "tierd_target_requests_total", "target_group", tg, "target",
                         t->addr_text, (double)atomic_load(&t->requests));
            emit_counter(fn, ctx, "tierd_target_errors_total", "target_group", tg, "target",
                         t->addr_text, (double)atomic_load(&t->errors));
            emit_gauge(fn, ctx, "tierd_target_in_flight", "target_group", tg, "target",
                       t->addr_text, (double)atomic_load(&t->outstanding));
            emit_gauge(fn, ctx, "tierd_target_healthy", "target_group", tg, "target",
                       t->addr_text, st == TARGET_HEALTHY ? 1.0 : 0.0);
        }
        emit_gauge(fn, ctx, "tierd_tg_healthy_hosts", "target_group", tg, NULL, NULL,
                   healthy);
        emit_gauge(fn, ctx, "tierd_tg_unhealthy_hosts", "target_group", tg, NULL,
                   NULL, unhealthy);
    }
    gen_release(g);
}
