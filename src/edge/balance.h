/*
 * edge/balance.h: choosing a target for a request. Pure: the caller passes the targets,
 * the clock, a random number and its own per-worker state, so every decision is
 * testable without sockets or time.
 *
 * Eligible targets are the healthy ones. When none is healthy the group fails open to
 * every registered target that is not draining (ALB routes to all when all are
 * unhealthy; tierd does the same while every target is still `initial`, so a freshly
 * started stack serves at once instead of answering 503 until the first probes pass).
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

/* A target's weight in thousandths after slow start: weight * 1000 scaled by the time
 * since it became healthy over slow_start_ms (at least 1). */
uint64_t balance_weight_milli(const struct target *t, uint64_t now_ms, uint64_t slow_start_ms);

#endif
