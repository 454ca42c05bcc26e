/*
 * edge/registry.c: targets that come and go at run time. Registration adds a target to
 * a group (the fleet's instances do this); deregistration starts draining it: no new
 * requests, requests in flight finish until the group's deregistration_delay, then the
 * target leaves the group and workers close what still uses it. Each change publishes a
 * new generation that shares the running configuration. Called from the daemon and the
 * health thread; serialised by e->lock.
 */
#include "edge/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "edge/gen.h"
#include "edge/health.h"
#include "edge/worker.h"

struct gen *
edge_gen_current(struct edge *e)
{
    pthread_mutex_lock(&e->lock);
    struct gen *g = e->cur ? gen_ref(e->cur) : NULL;
    pthread_mutex_unlock(&e->lock);
    return g;
}

static int
group_index(const struct gen *g, const char *group)
{
    for (unsigned i = 0; i < g->conf.ntgs; i++)
        if (strcmp(g->conf.tgs[i].name, group) == 0)
            return (int)i;
    return -1;
}

/* A copy of g's target lists, taking references; `skip` (may be NULL) filters targets
 * out and `extra` is appended to group `extra_group`. */
static struct tg_rt *
tgrt_copy(const struct gen *g, bool (*skip)(const struct target *, uint64_t), uint64_t now_ms,
          int extra_group, struct target *extra)
{
    struct tg_rt *all = calloc(g->conf.ntgs ? g->conf.ntgs : 1, sizeof(*all));

    if (!all)
        return NULL;
    for (unsigned i = 0; i < g->conf.ntgs; i++) {
        const struct tg_rt *src = &g->tgrt[i];
        all[i].targets = calloc(src->n + 1, sizeof(struct target *));
        if (!all[i].targets) {
            for (unsigned j = 0; j < i; j++) {
                for (unsigned k = 0; k < all[j].n; k++)
                    target_release(all[j].targets[k]);
                free(all[j].targets);
            }
            free(all);
            return NULL;
        }
        for (unsigned k = 0; k < src->n; k++)
            if (!skip || !skip(src->targets[k], now_ms))
                all[i].targets[all[i].n++] = target_ref(src->targets[k]);
        if ((int)i == extra_group && extra)
            all[i].targets[all[i].n++] = extra;
    }
    return all;
}

int
edge_target_register(struct edge *e, const char *group, const struct sock_addr *addr,
                     unsigned weight)
{
    int rc = 0;

    pthread_mutex_lock(&e->lock);
    struct gen *g = e->cur;
    int gi = g ? group_index(g, group) : -1;
    if (gi < 0) {
        rc = -ENOENT;
        goto out;
    }
    const struct edge_tg_conf *tc = &g->conf.tgs[gi];
    for (unsigned k = 0; k < g->tgrt[gi].n; k++) {
        struct target *t = g->tgrt[gi].targets[k];
        if (!sock_addr_equal(&t->addr, addr))
            continue;
        /* Registering again is idempotent; it also cancels a drain in progress. */
        if (target_state_get(t) == TARGET_DRAINING) {
            atomic_store(&t->state, tc->health.enabled ? TARGET_INITIAL : TARGET_HEALTHY);
            atomic_store(&t->reason, tc->health.enabled ? TARGET_REASON_INITIAL_HEALTH_CHECKING
                                                        : TARGET_REASON_NONE);
            /* A new start: probed as a new target until its checks pass (health.c). */
            if (tc->health.enabled) {
                atomic_store(&t->healthy_since_ms, 0);
                atomic_store(&t->answered, false);
            }
            atomic_store(&t->hs_reset, true);   /* hs belongs to the health thread */
            log_info("edge", "target registered again group=%s target=%s", group, t->addr_text);
        }
        goto out;
    }
    struct target *t = target_new(addr, weight ? weight : 1, true);
    if (!t) {
        rc = -ENOMEM;
        goto out;
    }
    if (tc->health.enabled) {
        atomic_store(&t->state, TARGET_INITIAL);
        atomic_store(&t->reason, TARGET_REASON_INITIAL_HEALTH_CHECKING);
    } else {
        atomic_store(&t->state, TARGET_HEALTHY);
    }
    struct tg_rt *tgrt = tgrt_copy(g, NULL, 0, gi, t);
    struct gen *ng = tgrt ? gen_with_targets(e, g, tgrt) : NULL;
    if (!ng) {
        if (!tgrt)
            target_release(t);
        rc = -ENOMEM;
        goto out;
    }
    log_info("edge", "target registered group=%s target=%s state=%s", group, t->addr_text,
             target_state_name(target_state_get(t)));
    gen_publish(e, ng);
out:
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int
edge_target_deregister(struct edge *e, const char *group, const struct sock_addr *addr)
{
    int rc = -ENOENT;
    uint64_t now = clock_mono_ms();

    pthread_mutex_lock(&e->lock);
    struct gen *g = e->cur;
    int gi = g ? group_index(g, group) : -1;
    for (unsigned k = 0; gi >= 0 && k < g->tgrt[gi].n; k++) {
        struct target *t = g->tgrt[gi].targets[k];
        if (!sock_addr_equal(&t->addr, addr))
            continue;
        rc = 0;
        if (target_state_get(t) != TARGET_DRAINING) {
            uint64_t delay = g->conf.tgs[gi].deregistration_delay_ms;
            atomic_store(&t->drain_deadline_ms, now + delay);
            atomic_store(&t->reason, TARGET_REASON_DEREGISTRATION_IN_PROGRESS);
            atomic_store(&t->state, TARGET_DRAINING);
            log_info("edge", "target draining group=%s target=%s delay_ms=%llu in_flight=%u",
                     group, t->addr_text, (unsigned long long)delay,
                     atomic_load(&t->outstanding));
        }
        break;
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

/* A draining target leaves when its delay has passed or nothing uses it any more. */
static bool
drain_done(const struct target *t, uint64_t now_ms)
{
    return target_state_get(t) == TARGET_DRAINING &&
           (now_ms >= atomic_load(&t->drain_deadline_ms) || atomic_load(&t->outstanding) == 0);
}

void
registry_drain_tick(struct edge *e, uint64_t now_ms)
{
    pthread_mutex_lock(&e->lock);
    struct gen *g = e->cur;
    bool any = false;
    for (unsigned i = 0; g && i < g->conf.ntgs && !any; i++)
        for (unsigned k = 0; k < g->tgrt[i].n && !any; k++)
            any = drain_done(g->tgrt[i].targets[k], now_ms);
    if (any) {
        for (unsigned i = 0; i < g->conf.ntgs; i++)
            for (unsigned k = 0; k < g->tgrt[i].n; k++) {
                struct target *t = g->tgrt[i].targets[k];
                if (!drain_done(t, now_ms))
                    continue;
                unsigned left = atomic_load(&t->outstanding);
                atomic_store(&t->reason, TARGET_REASON_NOT_REGISTERED);
                atomic_store(&t->state, TARGET_UNUSED);
                if (left)
                    log_warn("edge", "drain deadline passed, closing requests group=%s "
                                     "target=%s in_flight=%u",
                             g->conf.tgs[i].name, t->addr_text, left);
                else
                    log_info("edge", "target deregistered group=%s target=%s",
                             g->conf.tgs[i].name, t->addr_text);
            }
        struct tg_rt *tgrt = tgrt_copy(g, drain_done, now_ms, -1, NULL);
        /* drain_done is false for UNUSED targets, so filter those explicitly. */
        for (unsigned i = 0; tgrt && i < g->conf.ntgs; i++)
            for (unsigned k = 0; k < tgrt[i].n;) {
                if (target_state_get(tgrt[i].targets[k]) == TARGET_UNUSED) {
                    target_release(tgrt[i].targets[k]);
                    tgrt[i].targets[k] = tgrt[i].targets[--tgrt[i].n];
                } else {
                    k++;
                }
            }
        struct gen *ng = tgrt ? gen_with_targets(e, g, tgrt) : NULL;
        if (ng)
            gen_publish(e, ng);
    }
    pthread_mutex_unlock(&e->lock);
}
