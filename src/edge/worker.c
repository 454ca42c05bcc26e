/*
 * edge/worker.c: one edge worker thread: its loop, its listening-socket watches, accept,
 * picking up new configuration generations, and graceful stop. Owns its connections
 * (through conn.c), its upstream pools and its access-log buffer.
 */
#include "edge/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/guard.h"
#include "edge/health.h"
#include "edge/session.h"
#include "edge/txn.h"
#include "edge/upstream.h"
#include "edge/uptls.h"
#include "edge/tls_alpn01.h"

#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 100

void
worker_conn_link(struct worker *w, struct conn *c)
{
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    atomic_store_explicit(&w->nconns_shared, w->nconns, memory_order_relaxed);
}

void
worker_conn_unlink(struct worker *w, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    w->nconns--;
    atomic_store_explicit(&w->nconns_shared, w->nconns, memory_order_relaxed);
    if (w->stopping && w->nconns == 0)
        loop_stop(w->loop);
}

static void on_accept(struct loop *l, struct loop_io *io, unsigned events);

static void
watch_listeners(struct worker *w, bool on)
{
    for (unsigned i = 0; i < w->nlw; i++) {
        struct lwatch *lw = &w->lw[i];
        if (on && !lw->watching) {
            int fd = w->gen->lsocks[i]->fds[w->index];
            if (loop_io_add_read(w->loop, &lw->io, fd, on_accept) == 0)
                lw->watching = true;
        } else if (!on && lw->watching) {
            loop_io_remove(w->loop, &lw->io);
            lw->watching = false;
        }
    }
}

static void
on_accept_resume(struct loop *l, struct loop_timer *t)
{
    struct worker *w = container_of(t, struct worker, accept_timer);

    (void)l;
    if (!w->stopping)
        watch_listeners(w, true);
}

static void
on_accept(struct loop *l, struct loop_io *io, unsigned events)
{
    struct lwatch *lw = (struct lwatch *)io;
    struct worker *w = lw->w;

    (void)events;
    for (int n = 0; n < ACCEPT_BATCH; n++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("edge", "accept paused err=\"%s\" conns=%u", strerror(errno),
                         w->nconns);
                watch_listeners(w, false);
                loop_timer_start(l, &w->accept_timer, ACCEPT_PAUSE_MS, on_accept_resume);
            }
            return;
        }
        bool counted;
        if (!guard_accept(w, &peer, &counted)) {
            close(fd);          /* refused before a byte is read, like a security group */
            continue;
        }
        conn_accepted(w, fd, &peer, lw->id, lw->port,
                      w->stats.lslot ? w->stats.lslot[lw - w->lw] : STATS_NONE, counted);
    }
}

static bool
same_listeners(const struct worker *w, const struct gen *g)
{
    if (!w->gen || w->nlw != g->conf.nlisteners)
        return false;
    for (unsigned i = 0; i < w->nlw; i++)
        if (w->lw[i].id != g->lsocks[i]->id)
            return false;
    return true;
}

static void
free_cw(struct worker *w)
{
    for (unsigned i = 0; w->cw && w->gen && i < w->gen->conf.ntgs; i++)
        free(w->cw[i]);
    free(w->cw);
    w->cw = NULL;
}

/* Takes the newest published generation, if any: re-points the listener watches when
 * the listening sockets changed, and resets the per-group balancing state. */
static void
worker_take_gen(struct worker *w)
{
    struct gen *g = atomic_exchange(&w->next_gen, NULL);

    if (!g)
        return;
    if (!same_listeners(w, g)) {
        watch_listeners(w, false);
        free(w->lw);
        w->lw = calloc(g->conf.nlisteners ? g->conf.nlisteners : 1, sizeof(*w->lw));
        w->nlw = w->lw ? g->conf.nlisteners : 0;
        for (unsigned i = 0; i < w->nlw; i++) {
            w->lw[i].w = w;
            w->lw[i].id = g->lsocks[i]->id;
            w->lw[i].port = (uint16_t)sock_addr_port(&g->lsocks[i]->addr);
        }
    }
    free_cw(w);
    uptls_list_free(&w->uptls);         /* re-read CA files: made again on first use */
    w->cw = calloc(g->conf.ntgs ? g->conf.ntgs : 1, sizeof(*w->cw));
    for (unsigned i = 0; w->cw && i < g->conf.ntgs; i++) {
        w->cw[i] = calloc(g->tgrt[i].n ? g->tgrt[i].n : 1, sizeof(int64_t));
        /* Start each worker at a different target so that light load spreads. */
        if (w->cw[i] && g->tgrt[i].n)
            w->cw[i][w->index % g->tgrt[i].n] = 1;
    }
    struct gen *old = w->gen;
    w->gen = g;
    stats_take_gen(w);
    accesslog_open(w);
    for (struct conn *c = w->conns, *next; c; c = next) {
        next = c->next;
        if (!c->closed && conn_sess(c)->on_new_gen)
            conn_sess(c)->on_new_gen(c);
    }
    if (!w->stopping)
        watch_listeners(w, true);
    gen_release(old);
}

static void
on_stop_deadline(struct loop *l, struct loop_timer *t)
{
    struct worker *w = container_of(t, struct worker, stop_timer);

    if (w->nconns)
        log_warn("edge", "shutdown deadline reached, closing connections=%u", w->nconns);
    for (struct conn *c = w->conns; c; c = c->next)
        conn_close(c);
    loop_stop(l);
}

static void
on_wake(struct loop *l, void *ctx)
{
    struct worker *w = ctx;

    worker_take_gen(w);
    if (atomic_load(&w->stop_requested) && !w->stopping) {
        w->stopping = true;
        watch_listeners(w, false);
        loop_timer_stop(l, &w->accept_timer);
        for (struct conn *c = w->conns, *next; c; c = next) {
            next = c->next;
            conn_begin_shutdown(c);
        }
        if (w->nconns == 0)
            loop_stop(l);
        else
            loop_timer_start(l, &w->stop_timer, w->gen->conf.timeouts.shutdown_ms,
                             on_stop_deadline);
    }
    if (w->log.reopen_seq != atomic_load(&w->edge->log_reopen_seq))
        accesslog_open(w);
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    int rc;

    on_wake(w->loop, w);
    txn_sweep_start(w);
    rc = loop_run(w->loop);
    if (rc < 0)
        log_error("edge", "worker loop failed worker=%u err=\"%s\"", w->index, strerror(-rc));
    for (struct conn *c = w->conns; c; c = c->next)
        conn_close(c);
    loop_flush_deferred(w->loop);
    watch_listeners(w, false);
    upstream_pools_free(w);
    accesslog_close(w);
    buf_pool_drain();
    return NULL;
}

struct edge *
edge_new(unsigned workers)
{
    struct edge *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->nworkers = workers ? workers : 1;
    pthread_mutex_init(&e->lock, NULL);
    e->health = health_new(e);
    e->workers = calloc(e->nworkers, sizeof(*e->workers));
    if (!e->health || !e->workers) {
        edge_free(e);
        return NULL;
    }
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct worker *w = calloc(1, sizeof(*w));
        if (!w || !(w->loop = loop_new())) {
            free(w);
            edge_free(e);
            return NULL;
        }
        w->edge = e;
        w->index = i;
        w->log.fd = -1;
        rng_seed(&w->rng, i);
        loop_on_wake(w->loop, on_wake, w);
        e->workers[i] = w;
    }
    return e;
}

int
edge_apply(struct edge *e, struct edge_conf *conf, char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&e->lock);
    struct gen *g = gen_build(e, conf, e->cur, clock_mono_ms(), errbuf, errlen);
    if (!g) {
        pthread_mutex_unlock(&e->lock);
        return -EADDRNOTAVAIL;
    }
    gen_publish(e, g);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

unsigned
edge_tls_poll(struct edge *e)
{
    return gen_tls_poll(e);
}

int
edge_start(struct edge *e)
{
    int hrc = health_start(e->health);
    if (hrc < 0)
        return hrc;
    for (unsigned i = 0; i < e->nworkers; i++) {
        int rc = pthread_create(&e->workers[i]->thread, NULL, worker_main, e->workers[i]);
        if (rc != 0)
            return -rc;
        e->started = true;
    }
    return 0;
}

void
edge_shutdown(struct edge *e)
{
    if (!e->started)
        return;
    for (unsigned i = 0; i < e->nworkers; i++) {
        atomic_store(&e->workers[i]->stop_requested, true);
        loop_wake(e->workers[i]->loop);
    }
    for (unsigned i = 0; i < e->nworkers; i++)
        pthread_join(e->workers[i]->thread, NULL);
    health_stop(e->health);
    e->started = false;
}

void
edge_set_shield(struct edge *e, struct shield *s)
{
    e->shield = s;
}

void
edge_set_challenge(struct edge *e, edge_challenge_fn fn, void *ctx)
{
    e->challenge = fn;
    e->challenge_ctx = ctx;
}

void
edge_set_alpn_challenge(struct edge *e, edge_alpn_cert_fn fn, void *ctx)
{
    (void)e;                    /* one hook per process: the TLS layer's callbacks */
    tls_alpn01_set_hook(fn, ctx);
}

void
edge_reopen_logs(struct edge *e)
{
    atomic_fetch_add(&e->log_reopen_seq, 1);
    for (unsigned i = 0; i < e->nworkers; i++)
        loop_wake(e->workers[i]->loop);
}

void
edge_free(struct edge *e)
{
    if (!e)
        return;
    for (unsigned i = 0; e->workers && i < e->nworkers; i++) {
        struct worker *w = e->workers[i];
        if (!w)
            continue;
        gen_release(atomic_exchange(&w->next_gen, NULL));
        free_cw(w);
        uptls_list_free(&w->uptls);
        stats_free(w);
        gen_release(w->gen);
        free(w->lw);
        loop_free(w->loop);
        free(w);
    }
    if (e->health)
        health_free(e->health);
    gen_release(e->cur);
    free(e->workers);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
