/*
 * edge/health.h: target health. A state machine with ALB semantics (health_apply, pure
 * apart from the target's atomics) and the active prober, which runs on its own thread
 * with its own loop: every target of a group with health_check enabled gets a plain
 * HTTP/1.1 GET of the configured path every interval, with a timeout, judged by the
 * matcher. Failures seen on live traffic (passive checks) are counted by workers in
 * target.passive_failures and folded in here, except while a target is `initial`: it is
 * judged by its checks alone. Every state change is logged with its ALB reason code.
 *
 * Without active checks a target starts healthy; `unhealthy_threshold` consecutive
 * passive failures eject it for HEALTH_RETRY_MS, after which it is tried again.
 */
#ifndef EDGE_HEALTH_H
#define EDGE_HEALTH_H
#include <stdbool.h>
#include <stdint.h>

#include "edge/edge_conf.h"
#include "edge/target.h"

#define HEALTH_RETRY_MS 10000
#define HEALTH_TICK_MS 100
#define HEALTH_INITIAL_INTERVAL_MS 500    /* probe cadence until a target's first healthy */

struct edge;
struct health;

/* One result for target t. ok: the check passed. fail_reason: why not (ignored when ok).
 * hc: the group's settings (hc->enabled false: passive-only rules above). Returns true
 * when the state changed (the caller logs it). Draining/unused targets never change. */
bool health_apply(struct target *t, bool ok, enum target_reason fail_reason,
                  const struct edge_health_conf *hc, uint64_t now_ms);
/* Time-based transitions without a result (passive-only retry). True when changed. */
bool health_tick(struct target *t, const struct edge_health_conf *hc, uint64_t now_ms);
/* Takes the live-traffic failures workers counted for t since the last call and returns
 * how many count: none while t is `initial` in a group with active checks. */
unsigned health_passive_take(struct target *t, const struct edge_health_conf *hc);
/* True when status matches the group's matcher. */
bool health_matcher_ok(const struct edge_health_conf *hc, int status);

/* The prober thread for edge e. Returns NULL on failure. */
struct health *health_new(struct edge *e);
int health_start(struct health *h);
/* Wakes the prober soon (a worker saw a passive failure). Thread-safe. */
void health_kick(struct health *h);
void health_stop(struct health *h);
void health_free(struct health *h);

#endif
