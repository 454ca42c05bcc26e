/*
 * edge/gen.c: configuration generations and the listening sockets they share. A new
 * generation reuses the sockets of the previous one for every address it keeps, so a
 * reload never closes an accept queue that is still wanted. Owns lsocks; borrows the edge.
 */
#include "edge/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "edge/health.h"
#include "edge/tls.h"
#include "edge/worker.h"

#define EDGE_LISTEN_BACKLOG 4096

static void
lsock_release(struct lsock *ls)
{
    if (atomic_fetch_sub(&ls->refs, 1) != 1)
        return;
    for (unsigned i = 0; i < ls->nfds; i++)
        if (ls->fds[i] >= 0)
            close(ls->fds[i]);
    free(ls);
}

static struct lsock *
lsock_new(struct edge *e, const struct sock_addr *addr, char *errbuf, size_t errlen)
{
    struct lsock *ls = calloc(1, sizeof(*ls) + e->nworkers * sizeof(int));
    char text[64];

    if (!ls) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&ls->refs, 1);
    ls->id = ++e->next_lsock_id;
    ls->addr = *addr;
    ls->nfds = e->nworkers;
    for (unsigned i = 0; i < ls->nfds; i++)
        ls->fds[i] = -1;
    for (unsigned i = 0; i < ls->nfds; i++) {
        int fd = sock_listen(addr, true, EDGE_LISTEN_BACKLOG);
        if (fd < 0) {
            sock_addr_format(addr, text, sizeof(text));
            snprintf(errbuf, errlen, "cannot listen on %s: %s", text, strerror(-fd));
            lsock_release(ls);
            return NULL;
        }
        ls->fds[i] = fd;
        /* Port 0 asks the kernel for a port: every worker must share the one it chose. */
        if (i == 0 && sock_addr_port(addr) == 0) {
            ls->addr.len = sizeof(ls->addr.ss);
            getsockname(fd, (struct sockaddr *)&ls->addr.ss, &ls->addr.len);
            addr = &ls->addr;
        }
    }
    return ls;
}

/* The state a target starts in: `initial` until its checks pass when the group has
 * active health checks, else `healthy` at once. */
static void
target_set_initial(struct target *t, const struct edge_tg_conf *tc)
{
    if (tc->health.enabled) {
        atomic_store(&t->state, TARGET_INITIAL);
        atomic_store(&t->reason, TARGET_REASON_INITIAL_HEALTH_CHECKING);
        atomic_store(&t->healthy_since_ms, 0);
        atomic_store(&t->answered, false);
    } else {
        atomic_store(&t->state, TARGET_HEALTHY);
        atomic_store(&t->reason, TARGET_REASON_NONE);
    }
    atomic_store(&t->hs_reset, true);   /* hs belongs to the health thread */
}

static const struct tg_rt *
prev_group(const struct gen *prev, const char *name, const struct edge_tg_conf **tc)
{
    for (unsigned j = 0; prev && j < prev->conf.ntgs; j++)
        if (strcmp(prev->conf.tgs[j].name, name) == 0) {
            *tc = &prev->conf.tgs[j];
            return &prev->tgrt[j];
        }
    return NULL;
}

static struct target *
find_target(const struct tg_rt *rt, const struct sock_addr *a)
{
    for (unsigned k = 0; rt && k < rt->n; k++)
        if (sock_addr_equal(&rt->targets[k]->addr, a))
            return rt->targets[k];
    return NULL;
}

static void
tgrt_free(struct tg_rt *tgrt, unsigned n)
{
    for (unsigned i = 0; tgrt && i < n; i++) {
        for (unsigned k = 0; k < tgrt[i].n; k++)
            target_release(tgrt[i].targets[k]);
        free(tgrt[i].targets);
    }
    free(tgrt);
}

/* Target lists for conf's groups: configured targets (reusing prev's objects, so health
 * and counters carry over), then prev's runtime-registered and still-draining ones;
 * configured targets the new file drops start draining. */
static struct tg_rt *
tgrt_build(const struct edge_conf *conf, const struct gen *prev, uint64_t now_ms)
{
    struct tg_rt *all = calloc(conf->ntgs ? conf->ntgs : 1, sizeof(*all));

    if (!all)
        return NULL;
    for (unsigned i = 0; i < conf->ntgs; i++) {
        const struct edge_tg_conf *tc = &conf->tgs[i], *ptc = NULL;
        const struct tg_rt *old = prev_group(prev, tc->name, &ptc);
        unsigned cap = tc->ntargets + (old ? old->n : 0);
        struct tg_rt *rt = &all[i];

        rt->targets = calloc(cap ? cap : 1, sizeof(*rt->targets));
        if (!rt->targets)
            goto fail;
        for (unsigned k = 0; k < tc->ntargets; k++) {
            const struct edge_target_conf *c = &tc->targets[k];
            struct target *t = find_target(old, &c->addr);
            if (t) {
                target_ref(t);
                t->weight = c->weight;
                t->dynamic = false;
                enum target_state st = target_state_get(t);
                if (st == TARGET_DRAINING || st == TARGET_UNUSED ||
                    (tc->health.enabled && !ptc->health.enabled))
                    target_set_initial(t, tc);
            } else {
                if (!(t = target_new(&c->addr, c->weight, false)))
                    goto fail;
                target_set_initial(t, tc);
            }
            rt->targets[rt->n++] = t;
        }
        for (unsigned k = 0; old && k < old->n; k++) {
            struct target *t = old->targets[k];
            if (find_target(rt, &t->addr))
                continue;
            enum target_state st = target_state_get(t);
            if (st == TARGET_UNUSED)
                continue;
            if (!t->dynamic && st != TARGET_DRAINING) {
                /* Dropped from the file: deregistered, so it drains. */
                atomic_store(&t->state, TARGET_DRAINING);
                atomic_store(&t->reason, TARGET_REASON_DEREGISTRATION_IN_PROGRESS);
                atomic_store(&t->drain_deadline_ms, now_ms + tc->deregistration_delay_ms);
                log_info("edge", "target draining group=%s target=%s delay_ms=%llu", tc->name,
                         t->addr_text, (unsigned long long)tc->deregistration_delay_ms);
            }
            rt->targets[rt->n++] = target_ref(t);
        }
    }
    return all;
fail:
    tgrt_free(all, conf->ntgs);
    return NULL;
}

static void
gen_tls_release(struct tls_listener **tls, unsigned n)
{
    for (unsigned i = 0; tls && i < n; i++)
        tls_listener_release(tls[i]);
    free(tls);
}

/* A copy of prev's TLS references (each taken once more), or NULL without memory. */
static struct tls_listener **
gen_tls_copy(const struct gen *prev)
{
    unsigned n = prev->conf.nlisteners;
    struct tls_listener **tls = calloc(n ? n : 1, sizeof(*tls));

    for (unsigned i = 0; tls && i < n; i++)
        tls[i] = prev->tls[i] ? tls_listener_ref(prev->tls[i]) : NULL;
    return tls;
}

struct gen *
gen_build(struct edge *e, struct edge_conf *conf, const struct gen *prev, uint64_t now_ms,
          char *errbuf, size_t errlen)
{
    struct gen *g = calloc(1, sizeof(*g));
    struct confbox *box = calloc(1, sizeof(*box));

    if (!g || !box || !(g->lsocks = calloc(conf->nlisteners ? conf->nlisteners : 1,
                                           sizeof(*g->lsocks)))) {
        free(g);
        free(box);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&g->refs, 1);
    for (unsigned i = 0; i < conf->nlisteners; i++) {
        const struct sock_addr *a = &conf->listeners[i].addr;
        struct lsock *found = NULL;
        for (unsigned j = 0; prev && j < prev->conf.nlisteners && !found; j++)
            if (sock_addr_equal(&prev->conf.listeners[j].addr, a))
                found = prev->lsocks[j];
        if (found) {
            atomic_fetch_add(&found->refs, 1);
            g->lsocks[i] = found;
        } else if (!(g->lsocks[i] = lsock_new(e, a, errbuf, errlen))) {
            for (unsigned k = 0; k < i; k++)
                lsock_release(g->lsocks[k]);
            free(g->lsocks);
            free(g);
            free(box);
            return NULL;
        }
    }
    if (!(g->tgrt = tgrt_build(conf, prev, now_ms))) {
        for (unsigned k = 0; k < conf->nlisteners; k++)
            lsock_release(g->lsocks[k]);
        free(g->lsocks);
        free(g);
        free(box);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    g->tls = calloc(conf->nlisteners ? conf->nlisteners : 1, sizeof(*g->tls));
    for (unsigned i = 0; g->tls && i < conf->nlisteners; i++) {
        const struct edge_listener_conf *l = &conf->listeners[i];
        if (l->tls && !(g->tls[i] = tls_listener_new(l->tls, l->name, e->nworkers, errbuf,
                                                     errlen))) {
            gen_tls_release(g->tls, conf->nlisteners);
            g->tls = NULL;
            goto fail_tls;
        }
    }
    if (!g->tls) {
        snprintf(errbuf, errlen, "out of memory");
fail_tls:
        tgrt_free(g->tgrt, conf->ntgs);
        for (unsigned k = 0; k < conf->nlisteners; k++)
            lsock_release(g->lsocks[k]);
        free(g->lsocks);
        free(g);
        free(box);
        return NULL;
    }
    atomic_init(&box->refs, 1);
    box->conf = *conf;
    memset(conf, 0, sizeof(*conf));
    g->box = box;
    g->conf = box->conf;
    g->seq = ++e->next_seq;
    return g;
}

struct gen *
gen_with_targets(struct edge *e, const struct gen *prev, struct tg_rt *tgrt)
{
    struct gen *g = calloc(1, sizeof(*g));

    if (!g || !(g->lsocks = calloc(prev->conf.nlisteners ? prev->conf.nlisteners : 1,
                                   sizeof(*g->lsocks)))) {
        free(g);
        tgrt_free(tgrt, prev->conf.ntgs);
        return NULL;
    }
    if (!(g->tls = gen_tls_copy(prev))) {
        free(g->lsocks);
        free(g);
        tgrt_free(tgrt, prev->conf.ntgs);
        return NULL;
    }
    atomic_init(&g->refs, 1);
    for (unsigned i = 0; i < prev->conf.nlisteners; i++) {
        g->lsocks[i] = prev->lsocks[i];
        atomic_fetch_add(&g->lsocks[i]->refs, 1);
    }
    g->box = prev->box;
    atomic_fetch_add(&g->box->refs, 1);
    g->conf = prev->conf;
    g->tgrt = tgrt;
    g->seq = ++e->next_seq;
    return g;
}

void
gen_publish(struct edge *e, struct gen *g)
{
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct worker *w = e->workers[i];
        gen_release(atomic_exchange(&w->next_gen, gen_ref(g)));
        if (e->started)
            loop_wake(w->loop);
    }
    struct gen *old = e->cur;
    e->cur = g;
    gen_release(old);
}

void
gen_release(struct gen *g)
{
    if (!g || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < g->conf.nlisteners; i++)
        lsock_release(g->lsocks[i]);
    free(g->lsocks);
    tgrt_free(g->tgrt, g->conf.ntgs);
    gen_tls_release(g->tls, g->conf.nlisteners);
    if (atomic_fetch_sub_explicit(&g->box->refs, 1, memory_order_acq_rel) == 1) {
        edge_conf_fini(&g->box->conf);
        free(g->box);
    }
    free(g);
}

int
gen_listener_of(const struct gen *g, uint32_t lsock_id)
{
    for (unsigned i = 0; g && i < g->conf.nlisteners; i++)
        if (g->lsocks[i]->id == lsock_id)
            return (int)i;
    return -1;
}

struct tls_listener *
gen_tls_of(const struct gen *g, uint32_t lsock_id)
{
    int i = gen_listener_of(g, lsock_id);

    return i >= 0 && g->tls ? g->tls[i] : NULL;
}

/* The target lists of g, each target referenced once more (for a generation that only
 * changes something else). */
static struct tg_rt *
gen_tgrt_copy(const struct gen *g)
{
    struct tg_rt *all = calloc(g->conf.ntgs ? g->conf.ntgs : 1, sizeof(*all));

    for (unsigned i = 0; all && i < g->conf.ntgs; i++) {
        all[i].targets = calloc(g->tgrt[i].n ? g->tgrt[i].n : 1, sizeof(*all[i].targets));
        if (!all[i].targets) {
            tgrt_free(all, g->conf.ntgs);
            return NULL;
        }
        for (unsigned k = 0; k < g->tgrt[i].n; k++)
            all[i].targets[all[i].n++] = target_ref(g->tgrt[i].targets[k]);
    }
    return all;
}

unsigned
gen_tls_poll(struct edge *e)
{
    unsigned changed = 0;
    char err[512];

    pthread_mutex_lock(&e->lock);
    struct gen *g = e->cur;
    struct tls_listener **fresh = g ? calloc(g->conf.nlisteners + 1, sizeof(*fresh)) : NULL;
    for (unsigned i = 0; fresh && i < g->conf.nlisteners; i++) {
        const struct edge_listener_conf *l = &g->conf.listeners[i];
        if (!g->tls[i] || !tls_listener_files_changed(g->tls[i], l->tls))
            continue;
        if (!(fresh[i] = tls_listener_new(l->tls, l->name, e->nworkers, err, sizeof(err)))) {
            /* Mark the failure as seen, so that the log says it once per change. */
            tls_listener_files_seen(g->tls[i], l->tls);
            log_error("edge", "certificate reload failed listener=%s: %s; the loaded "
                      "certificates keep serving", l->name, err);
            continue;
        }
        log_info("edge", "certificates reloaded listener=%s", l->name);
        changed++;
    }
    if (changed) {
        struct tg_rt *tgrt = gen_tgrt_copy(g);
        struct gen *ng = tgrt ? gen_with_targets(e, g, tgrt) : NULL;
        for (unsigned i = 0; ng && i < g->conf.nlisteners; i++)
            if (fresh[i]) {
                tls_listener_release(ng->tls[i]);
                ng->tls[i] = fresh[i];
                fresh[i] = NULL;
            }
        if (ng)
            gen_publish(e, ng);
        else
            log_error("edge", "certificate reload failed: out of memory");
    }
    for (unsigned i = 0; fresh && g && i < g->conf.nlisteners; i++)
        tls_listener_release(fresh[i]);
    free(fresh);
    pthread_mutex_unlock(&e->lock);
    return changed;
}
