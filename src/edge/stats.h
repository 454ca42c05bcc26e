/*
 * edge/stats.h: per-worker counters of listeners and target groups, found by name so
 * that they survive reloads (stats.c). Written by the worker alone; other threads read.
 */
#ifndef EDGE_STATS_H
#define EDGE_STATS_H
#include <stdatomic.h>
#include <stdint.h>

#include "core/metric.h"

struct txn;
struct worker;

/* Counters of one listener or target group in one worker. Other threads read them
 * (relaxed). */
#define STATS_SLOTS_MAX 64
#define STATS_NONE 255
struct stats_slot {
    char name[64];
    _Atomic uint64_t requests[6];       /* by status class: [0] other, [1] 1xx .. [5] 5xx */
    _Atomic uint64_t bytes;             /* response body bytes sent */
    _Atomic uint64_t accepted;          /* listeners: connections accepted */
    _Atomic int64_t active;             /* listeners: connections open */
    _Atomic int64_t waiting;            /* groups: requests parked in initwait.c */
    _Atomic uint64_t tls[3];            /* listeners: TLS handshakes by enum stats_tls */
    struct metric_hist latency;         /* request time, microseconds */
};

/* How a TLS handshake ended (tls.c counts, stats.c names them). */
enum stats_tls { STATS_TLS_FULL = 0, STATS_TLS_RESUMED, STATS_TLS_FAILED };

struct worker_stats {
    struct stats_slot *l[STATS_SLOTS_MAX];  /* listeners; allocated once, never moved */
    atomic_uint nl;
    struct stats_slot *g[STATS_SLOTS_MAX];  /* target groups */
    atomic_uint ng;
    uint8_t *lslot;             /* listener index of w->gen -> slot (255: none) */
    uint8_t *gslot;             /* target-group index of w->gen -> slot */
};

/* Adds to a counter only its worker writes: a relaxed load and store, no locked
 * read-modify-write; readers on other threads still see whole values. */
static inline void
stats_add(_Atomic uint64_t *x, uint64_t v)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + v,
                          memory_order_relaxed);
}
static inline void
stats_add_signed(_Atomic int64_t *x, int64_t v)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + v,
                          memory_order_relaxed);
}
/* Maps the listeners and groups of w->gen to slots (after a generation switch). */
void stats_take_gen(struct worker *w);
void stats_txn_done(struct worker *w, const struct txn *t, uint64_t now_us);
void stats_free(struct worker *w);

#endif
