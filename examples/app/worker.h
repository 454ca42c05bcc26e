/*
 * examples/app/worker.h: one thread with its own listener (SO_REUSEPORT), epoll loop, timers
 * and connections. Workers share nothing but the read-only `app` settings.
 */
#ifndef APP_WORKER_H
#define APP_WORKER_H

#include "timer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

struct worker {
    pthread_t thread;
    int epfd;
    int lfd;                        /* listener, -1 once draining */
    int wakefd;                     /* eventfd: worker_stop() writes, the loop drains */
    struct timer_heap timers;
    struct conn *conns;             /* live connections */
    struct conn *dead;              /* destroyed this iteration, freed at its end */
    size_t nconns;
    uint64_t now_ms;                /* CLOCK_MONOTONIC, read once per iteration */
    bool draining;
    uint64_t drain_deadline_ms;
    uint64_t accept_paused_until_ms;/* out of descriptors: retry accept() later */
};

/* Starts a thread serving listener lfd (taking it); 0 or a negative errno. */
int worker_start(struct worker *w, int lfd);
/* Asks the worker to drain and exit; safe from any thread. */
void worker_stop(struct worker *w);
/* Waits for the thread and releases the worker's descriptors. */
void worker_join(struct worker *w);

#endif
