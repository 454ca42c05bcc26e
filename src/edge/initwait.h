/*
 * edge/initwait.h: requests waiting for a target group that is starting. While no
 * target of a group with health checks has answered one yet (balance_starting), a new
 * request is parked here rather than sent to a target that is probably not listening
 * yet. It goes on as soon as a target is healthy or answers a probe, or gets 503 with
 * Retry-After once the group's initial_wait has passed. A client that goes away while
 * parked is dropped from the queue with its connection.
 *
 * Each worker has its own queue (nothing shared, no lock). The limit of INITWAIT_MAX
 * waiting requests per group is split evenly between the workers; beyond its share a
 * worker answers 503 at once. The worker re-checks its parked requests every
 * INITWAIT_CHECK_MS on its own loop: the health thread changes a target's state with an
 * atomic store and needs to wake no one, and nothing blocks.
 *
 * The queue (initwait_q_*) is pure bookkeeping and is unit tested on its own; the rest
 * glues it to a worker. A queued transaction stays owned by its connection.
 */
#ifndef EDGE_INITWAIT_H
#define EDGE_INITWAIT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"

#define INITWAIT_MAX 1024           /* waiting requests per group, all workers together */
#define INITWAIT_CHECK_MS 50
#define INITWAIT_GROUPS_MAX 64      /* one count per stats slot (STATS_SLOTS_MAX) */

struct edge_tg_conf;
struct txn;
struct worker;

/* Embedded in a transaction. */
struct initwait_node {
    struct initwait_node *prev, *next;
    uint64_t deadline_ms;
    uint8_t group;              /* the group's stats slot in its worker */
    bool queued;
};

/* One worker's waiting transactions, in arrival order. Zeroed storage is an empty
 * queue. */
struct initwait_q {
    struct initwait_node *head, *tail;
    unsigned n;
    unsigned per_group[INITWAIT_GROUPS_MAX];
    struct loop_timer timer;    /* armed while the queue is not empty */
};

/* Appends n for `group` (< INITWAIT_GROUPS_MAX) until deadline_ms. Returns 0, or
 * -EAGAIN when `cap` nodes of that group are already queued (n is not queued then). */
int initwait_q_push(struct initwait_q *q, struct initwait_node *n, unsigned group,
                    unsigned cap, uint64_t deadline_ms);
/* Unlinks n; nothing happens when it is not queued. */
void initwait_q_remove(struct initwait_q *q, struct initwait_node *n);
/* A worker's share of INITWAIT_MAX (at least one). */
unsigned initwait_cap(unsigned nworkers);
/* The Retry-After (seconds, at least 1) of a 503 for a starting group: the least time
 * its initial checks take to pass, healthy_threshold probes HEALTH_INITIAL_INTERVAL_MS
 * apart. */
unsigned initwait_retry_after_s(const struct edge_tg_conf *tc);

/* True when a new request for group tg of t's generation must wait: the group has
 * health checks and an initial_wait, and is starting (balance_starting). */
bool initwait_wanted(const struct txn *t);
/* Parks t, whose request head is still at the start of its connection's input. Returns
 * 0, after which proxy_wait_done() is called exactly once unless the connection closes
 * first; or -EAGAIN when the worker's share of the group's queue is full, or the group
 * has no stats slot to count it in (the caller answers 503 itself). */
int initwait_park(struct worker *w, struct txn *t);
/* Takes t off its worker's queue if it is there (its connection is closing). */
void initwait_cancel(struct txn *t);

#endif
