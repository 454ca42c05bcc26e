/*
 * edge/worker.h: one edge worker thread (worker.c): its loop, generation, listener
 * watches, client connections, upstream pools, counters, log and parse scratch.
 */
#ifndef EDGE_WORKER_H
#define EDGE_WORKER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "edge/accesslog.h"
#include "edge/initwait.h"
#include "edge/rng.h"
#include "edge/stats.h"
#include "http/h1.h"

struct conn;
struct edge;
struct gen;
struct pool;
struct uptls;

/* A worker's watch on one listening socket. */
struct lwatch {
    struct loop_io io;
    struct worker *w;
    uint32_t id;
    uint16_t port;
    bool watching;
};

struct worker {
    struct edge *edge;
    unsigned index;
    pthread_t thread;
    struct loop *loop;
    struct gen *gen;            /* current generation (a reference) */
    _Atomic(struct gen *) next_gen;     /* published by edge_apply, taken by the worker */
    atomic_bool stop_requested;
    bool stopping;
    struct loop_timer stop_timer;
    struct lwatch *lw;          /* one per listener of gen, watching lsocks[i]->fds[index] */
    unsigned nlw;
    struct loop_timer accept_timer;     /* resumes accepting after EMFILE */
    struct conn *conns;         /* every client connection (doubly linked) */
    unsigned nconns;
    atomic_uint nconns_shared;  /* nconns, readable by other threads */
    struct pool *pools;
    struct uptls *uptls;        /* client TLS contexts for protocol https (uptls.h) */
    int64_t **cw;               /* per target group of gen: smooth round-robin weights */
    struct loop_timer sweep_timer;      /* closes connections to drained targets */
    struct rng rng;
    uint64_t moved;             /* bytes received or sent by this worker: progress meter */
    struct accesslog log;
    struct worker_stats stats;
    struct initwait_q waitq;    /* requests waiting for a starting group */
    struct h1_request req;      /* parse scratch: large, so one per worker */
    struct h1_response resp;
};

/* Adds a new client connection to w's list, and takes it off (the last one off a
 * stopping worker stops its loop). */
void worker_conn_link(struct worker *w, struct conn *c);
void worker_conn_unlink(struct worker *w, struct conn *c);

#endif
