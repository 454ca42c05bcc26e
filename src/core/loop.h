/*
 * core/loop.h: one event loop per thread. File descriptors are watched edge-triggered
 * through handles embedded in their owners (no allocation per watch); timers live in a
 * binary heap; deferred calls run after the current iteration (that is where objects
 * closed inside their own callbacks are freed). Nothing here blocks but epoll_wait.
 *
 * Edge-triggered contract: a callback receives the events that became ready; the owner
 * must read or write until EAGAIN, or remember that it stopped early and try again later.
 */
#ifndef CORE_LOOP_H
#define CORE_LOOP_H
#include <stdbool.h>
#include <stdint.h>

struct loop;

enum {
    LOOP_READ = 1,
    LOOP_WRITE = 2,
    LOOP_HUP = 4,           /* peer closed or error; read to find out which */
};

struct loop_io;
typedef void (*loop_io_fn)(struct loop *l, struct loop_io *io, unsigned events);
struct loop_timer;
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t);
struct loop_defer;
typedef void (*loop_defer_fn)(struct loop *l, struct loop_defer *d);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *ctx);
typedef void (*loop_wake_fn)(struct loop *l, void *ctx);

struct loop_io {
    int fd;
    loop_io_fn fn;
};

struct loop_timer {
    uint64_t deadline_ms;
    uint32_t heap_idx;      /* 0 when not armed; heap positions start at 1 */
    loop_timer_fn fn;
};

struct loop_defer {
    struct loop_defer *next;
    loop_defer_fn fn;
    bool queued;
};

/* Returns a new loop; NULL with errno set on failure. */
struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Runs until loop_stop(); returns 0, or a negative errno if epoll fails. */
int loop_run(struct loop *l);
/* Makes loop_run() return after the current iteration. Thread-safe. */
void loop_stop(struct loop *l);
/* The time read at the start of this iteration. */
uint64_t loop_now_ms(const struct loop *l);
/* Rereads the clock (for long iterations). */
uint64_t loop_update_time(struct loop *l);

/* Watches io->fd for readiness (edge-triggered read, write and hang-up). */
int loop_io_add(struct loop *l, struct loop_io *io, int fd, loop_io_fn fn);
/* Watches for reads only (listeners, eventfds). */
int loop_io_add_read(struct loop *l, struct loop_io *io, int fd, loop_io_fn fn);
/* Stops watching; the caller still owns and closes the fd. */
void loop_io_remove(struct loop *l, struct loop_io *io);

/* Arms (or re-arms) a timer to fire once, `ms` from the iteration's time. */
void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t ms, loop_timer_fn fn);
void loop_timer_stop(struct loop *l, struct loop_timer *t);
static inline bool
loop_timer_is_armed(const struct loop_timer *t)
{
    return t->heap_idx != 0;
}

/* Queues fn to run after this iteration, in queue order; queuing twice runs it once. */
void loop_defer(struct loop *l, struct loop_defer *d, loop_defer_fn fn);
/* Runs the deferred calls now (for teardown outside loop_run). */
void loop_flush_deferred(struct loop *l);

/* Delivers `signo` to fn on this loop (the signal must be blocked in every thread). */
int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *ctx);

/* Sets the function that runs on this loop after loop_wake() from any thread. */
void loop_on_wake(struct loop *l, loop_wake_fn fn, void *ctx);
/* Thread-safe: makes the loop's wake function run soon. */
void loop_wake(struct loop *l);

#endif
