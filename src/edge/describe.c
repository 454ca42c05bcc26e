/*
 * edge/describe.c: read-only views of the running edge for the control API: targets
 * with their health and counters, listeners with their bound addresses, edge totals.
 * Everything is copied out of the current generation under its reference; nothing here
 * changes state.
 */
#include "edge/edge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "edge/gen.h"
#include "edge/health.h"
#include "edge/registry.h"
#include "edge/stats.h"
#include "edge/worker.h"

static void
fill_info(struct edge_target_info *info, const char *group, const struct target *t)
{
    memset(info, 0, sizeof(*info));
    info->group = group;
    info->weight = t->weight;
    info->dynamic = t->dynamic;
    info->state = target_state_name(target_state_get(t));
    info->reason = target_reason_name((enum target_reason)atomic_load(&t->reason));
    const char *tf = atomic_load(&t->tls_failure);
    if (tf)
        snprintf(info->description, sizeof(info->description), "%s%s",
                 atomic_load(&t->tls_verify) ? "certificate verify failed: " : "TLS: ", tf);
    info->in_flight = atomic_load(&t->outstanding);
    info->requests = atomic_load(&t->requests);
    info->errors = atomic_load(&t->errors);
    /* Written by the health thread; a torn read only misreports one status. */
    info->last_health_status = t->hs.last_status;
    snprintf(info->address, sizeof(info->address), "%s", t->addr_text);
    if (target_state_get(t) == TARGET_DRAINING) {
        uint64_t now = clock_mono_ms(), end = atomic_load(&t->drain_deadline_ms);
        info->drain_remaining_ms = end > now ? end - now : 0;
    }
    if (info->requests)
        info->latency_avg_ms = (double)atomic_load(&t->latency_us_sum) / 1000.0 /
                               (double)info->requests;
}

int
edge_target_lookup(struct edge *e, const char *group, const struct sock_addr *addr,
                   struct edge_target_info *out)
{
    struct gen *g = edge_gen_current(e);
    int rc = -ENOENT;

    for (unsigned i = 0; g && i < g->conf.ntgs && rc; i++) {
        if (strcmp(group, g->conf.tgs[i].name) != 0)
            continue;
        for (unsigned k = 0; k < g->tgrt[i].n; k++)
            if (sock_addr_equal(&g->tgrt[i].targets[k]->addr, addr)) {
                fill_info(out, g->conf.tgs[i].name, g->tgrt[i].targets[k]);
                rc = 0;
                break;
            }
    }
    gen_release(g);
    return rc;
}

int
edge_visit_targets(struct edge *e, const char *group, edge_target_fn fn, void *ctx)
{
    struct gen *g = edge_gen_current(e);
    int n = 0;
    bool found = group == NULL;

    if (!g)
        return group ? -ENOENT : 0;
    for (unsigned i = 0; i < g->conf.ntgs; i++) {
        if (group && strcmp(group, g->conf.tgs[i].name) != 0)
            continue;
        found = true;
        for (unsigned k = 0; k < g->tgrt[i].n; k++) {
            struct edge_target_info info;
            fill_info(&info, g->conf.tgs[i].name, g->tgrt[i].targets[k]);
            fn(ctx, &info);
            n++;
        }
    }
    gen_release(g);
    return found ? n : -ENOENT;
}

void
edge_visit_listeners(struct edge *e, edge_listener_fn fn, void *ctx)
{
    struct gen *g = edge_gen_current(e);

    for (unsigned i = 0; g && i < g->conf.nlisteners; i++) {
        struct edge_listener_info info = {
            .name = g->conf.listeners[i].name,
            .rules = g->conf.listeners[i].nrules,
        };
        sock_addr_format(&g->lsocks[i]->addr, info.address, sizeof(info.address));
        fn(ctx, &info);
    }
    gen_release(g);
}

void
edge_get_stats(struct edge *e, struct edge_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->workers = e->nworkers;
    for (unsigned i = 0; i < e->nworkers; i++)
        out->connections += atomic_load_explicit(&e->workers[i]->nconns_shared,
                                                 memory_order_relaxed);
    pthread_mutex_lock(&e->lock);
    out->generation = e->cur ? e->cur->seq : 0;
    pthread_mutex_unlock(&e->lock);
}
