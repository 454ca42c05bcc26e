/*
 * edge/balance.h: choosing a target for a request. Pure: the caller passes the targets,
 * the clock, a random number and its own per-worker state, so every decision is
 * testable without sockets or time.
 *
 * Eligible targets are the healthy ones. When none is healthy the group fails open to
 * every registered target that is not draining (ALB routes to all when all are
 * unhealthy). A group whose targets are all still `initial` is starting: proxy.c first
 * holds new requests for initial_wait (initwait.c) and comes here only once a target has
 * a verdict, or at once when initial_wait is 0.
 */
#ifndef EDGE_BALANCE_H
#define EDGE_BALANCE_H
#include <stdbool.h>
#include <stdint.h>

#include "edge/edge_conf.h"
#include "edge/target.h"

struct balance_in {
    enum edge_algorithm alg;
    struct target *const *targets;
    unsigned n;
    uint64_t now_ms;
    uint64_t slow_start_ms;     /* 0: off (round_robin only) */
    int avoid;                  /* index to skip if another is eligible (a retry), or -1 */
    uint64_t rnd;               /* a fresh random number */
    int64_t *cw;                /* per-worker smooth round-robin weights, n entries */
};

/* Returns the chosen index, or -1 when no target is routable (none registered, or all
 * draining). *failed_open tells whether fail-open was needed. */
int balance_pick(const struct balance_in *in, bool *failed_open);

/* True when t may receive new requests while some target is healthy. */
bool balance_is_routable(const struct target *t);

/* True when the group is starting: no target is healthy, at least one is `initial`
 * or failed its checks before it ever answered one, and none has answered a probe
 * (draining and unused ones do not count). Such a group has nothing to fail open to:
 * a request waits for a target rather than being sent to one that is not listening. */
bool balance_starting(struct target *const *targets, unsigned n);

/* A target's weight in thousandths after slow start: weight * 1000 scaled by the time
 * since it became healthy over slow_start_ms (at least 1). */
uint64_t balance_weight_milli(const struct target *t, uint64_t now_ms, uint64_t slow_start_ms);

#endif
