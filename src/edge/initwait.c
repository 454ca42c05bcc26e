/*
 * edge/initwait.c: requests waiting for a starting target group (see initwait.h). Owns
 * the queue links of parked transactions and the worker's re-check timer; borrows the
 * transactions, which txn.c owns and resumes through txn_wait_done().
 */
#include "edge/initwait.h"

#include <errno.h>

#include "core/err.h"
#include "core/mem.h"
#include "edge/balance.h"
#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/health.h"
#include "edge/stats.h"
#include "edge/txn.h"
#include "edge/worker.h"

_Static_assert(INITWAIT_GROUPS_MAX == STATS_SLOTS_MAX, "one wait count per stats slot");

int
initwait_q_push(struct initwait_q *q, struct initwait_node *n, unsigned group, unsigned cap,
                uint64_t deadline_ms)
{
    BUG_ON(n->queued || group >= INITWAIT_GROUPS_MAX);
    if (q->per_group[group] >= cap)
        return -EAGAIN;
    n->group = (uint8_t)group;
    n->deadline_ms = deadline_ms;
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    n->queued = true;
    q->n++;
    q->per_group[group]++;
    return 0;
}

void
initwait_q_remove(struct initwait_q *q, struct initwait_node *n)
{
    if (!n->queued)
        return;
    if (n->prev)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    n->prev = n->next = NULL;
    n->queued = false;
    q->n--;
    q->per_group[n->group]--;
}

unsigned
initwait_cap(unsigned nworkers)
{
    unsigned cap = nworkers ? INITWAIT_MAX / nworkers : INITWAIT_MAX;

    return cap ? cap : 1;
}

unsigned
initwait_retry_after_s(const struct edge_tg_conf *tc)
{
    uint64_t interval = tc->health.interval_ms;
    unsigned up = tc->health.healthy_threshold ? tc->health.healthy_threshold : 1;

    if (!interval || interval > HEALTH_INITIAL_INTERVAL_MS)
        interval = HEALTH_INITIAL_INTERVAL_MS;
    uint64_t s = (up * interval + 999) / 1000;
    return s ? (unsigned)s : 1;
}

bool
initwait_wanted(const struct txn *t)
{
    const struct edge_tg_conf *tc = &t->gen->conf.tgs[t->tg];
    const struct tg_rt *rt = &t->gen->tgrt[t->tg];

    return tc->health.enabled && tc->initial_wait_ms > 0 &&
           balance_starting(rt->targets, rt->n);
}

/* Moves a parked transaction to the worker's current generation when only the targets
 * changed (a registration or the end of a drain publishes a new one), so that it sees a
 * newly registered target. After a reload it keeps the rules it started under. */
static void
follow_targets(struct worker *w, struct txn *t)
{
    if (t->gen == w->gen || t->gen->box != w->gen->box)
        return;
    struct gen *old = t->gen;
    unsigned li = (unsigned)(t->lc - old->conf.listeners);
    t->gen = gen_ref(w->gen);
    t->lc = &t->gen->conf.listeners[li];
    gen_release(old);
}

static void
waiting_gauge(struct worker *w, unsigned group, int64_t delta)
{
    if (group < atomic_load_explicit(&w->stats.ng, memory_order_relaxed))
        stats_add_signed(&w->stats.g[group]->waiting, delta);
}

static void
dequeue(struct worker *w, struct txn *t)
{
    struct initwait_q *q = &w->waitq;

    waiting_gauge(w, t->wait.group, -1);
    initwait_q_remove(q, &t->wait);
    if (!q->n)
        loop_timer_stop(w->loop, &q->timer);
}

static void
on_check(struct loop *l, struct loop_timer *tm)
{
    struct worker *w = container_of(tm, struct worker, waitq.timer);
    uint64_t now = loop_now_ms(l);

    /* Resuming a transaction touches only its own connection, so the saved next node
     * stays valid; a request parked meanwhile (a pipelined one) is appended and looked at
     * in this pass too, harmlessly. */
    for (struct initwait_node *n = w->waitq.head, *next; n; n = next) {
        struct txn *t = container_of(n, struct txn, wait);
        next = n->next;
        follow_targets(w, t);
        const struct tg_rt *rt = &t->gen->tgrt[t->tg];
        bool ready = !balance_starting(rt->targets, rt->n);
        if (!ready && now < n->deadline_ms)
            continue;
        dequeue(w, t);
        txn_wait_done(t, ready);
    }
    if (w->waitq.n)
        loop_timer_start(l, &w->waitq.timer, INITWAIT_CHECK_MS, on_check);
}

int
initwait_park(struct worker *w, struct txn *t)
{
    struct initwait_q *q = &w->waitq;
    uint8_t slot = t->gen == w->gen && w->stats.gslot ? w->stats.gslot[t->tg] : STATS_NONE;
    uint64_t deadline = loop_now_ms(w->loop) + t->gen->conf.tgs[t->tg].initial_wait_ms;

    if (slot == STATS_NONE)
        return -EAGAIN;
    int rc = initwait_q_push(q, &t->wait, slot, initwait_cap(w->edge->nworkers), deadline);
    if (rc < 0)
        return rc;
    waiting_gauge(w, slot, 1);
    if (!q->timer.heap_idx)
        loop_timer_start(w->loop, &q->timer, INITWAIT_CHECK_MS, on_check);
    return 0;
}

void
initwait_cancel(struct txn *t)
{
    if (t->wait.queued)
        dequeue(t->c->w, t);
}
