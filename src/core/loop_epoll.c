/*
 * core/loop_epoll.c: the epoll poller behind core/loop.h, with a timer heap, deferred
 * calls, signals through signalfd and cross-thread wake-ups through an eventfd.
 * Owns the epoll, signal and event fds; never owns the watched fds or handles.
 */
#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"

#define LOOP_EVENTS 256
#define LOOP_SIGNALS 8

struct loop {
    int epfd;
    uint64_t now_ms;
    atomic_bool stopping;

    struct loop_timer **heap;       /* 1-based binary min-heap on deadline_ms */
    uint32_t heap_n, heap_cap;

    struct loop_defer *defer_head, *defer_tail;     /* FIFO: calls run in queue order */

    int sigfd;
    sigset_t sigmask;
    struct loop_io sig_io;
    struct {
        int signo;
        loop_signal_fn fn;
        void *ctx;
    } sigs[LOOP_SIGNALS];
    unsigned nsigs;

    int wakefd;
    struct loop_io wake_io;
    loop_wake_fn wake_fn;
    void *wake_ctx;
};

static void on_wakefd(struct loop *l, struct loop_io *io, unsigned events);

struct loop *
loop_new(void)
{
    struct loop *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->sigfd = -1;
    if (l->epfd < 0 || l->wakefd < 0) {
        int e = errno;
        loop_free(l);
        errno = e;
        return NULL;
    }
    sigemptyset(&l->sigmask);
    l->now_ms = clock_mono_ms();
    if (loop_io_add_read(l, &l->wake_io, l->wakefd, on_wakefd) < 0) {
        int e = errno;
        loop_free(l);
        errno = e;
        return NULL;
    }
    return l;
}

void
loop_free(struct loop *l)
{
    if (!l)
        return;
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    if (l->sigfd >= 0)
        close(l->sigfd);
    free(l->heap);
    free(l);
}

uint64_t
loop_now_ms(const struct loop *l)
{
    return l->now_ms;
}

uint64_t
loop_update_time(struct loop *l)
{
    l->now_ms = clock_mono_ms();
    return l->now_ms;
}

void
loop_stop(struct loop *l)
{
    atomic_store(&l->stopping, true);
    loop_wake(l);
}

static int
io_add(struct loop *l, struct loop_io *io, int fd, loop_io_fn fn, uint32_t ev)
{
    struct epoll_event e = { .events = ev, .data.ptr = io };

    io->fd = fd;
    io->fn = fn;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
        return -errno;
    return 0;
}

int
loop_io_add(struct loop *l, struct loop_io *io, int fd, loop_io_fn fn)
{
    return io_add(l, io, fd, fn, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

int
loop_io_add_read(struct loop *l, struct loop_io *io, int fd, loop_io_fn fn)
{
    return io_add(l, io, fd, fn, EPOLLIN);
}

void
loop_io_remove(struct loop *l, struct loop_io *io)
{
    if (io->fd >= 0)
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->fn = NULL;
}

/* ---- timer heap ---- */

static void
heap_set(struct loop *l, uint32_t i, struct loop_timer *t)
{
    l->heap[i] = t;
    t->heap_idx = i;
}

static void
heap_up(struct loop *l, uint32_t i)
{
    struct loop_timer *t = l->heap[i];

    while (i > 1 && l->heap[i / 2]->deadline_ms > t->deadline_ms) {
        heap_set(l, i, l->heap[i / 2]);
        i /= 2;
    }
    heap_set(l, i, t);
}

static void
heap_down(struct loop *l, uint32_t i)
{
    struct loop_timer *t = l->heap[i];

    for (;;) {
        uint32_t c = i * 2;
        if (c > l->heap_n)
            break;
        if (c + 1 <= l->heap_n && l->heap[c + 1]->deadline_ms < l->heap[c]->deadline_ms)
            c++;
        if (l->heap[c]->deadline_ms >= t->deadline_ms)
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void
loop_timer_stop(struct loop *l, struct loop_timer *t)
{
    uint32_t i = t->heap_idx;

    if (!i)
        return;
    BUG_ON(i > l->heap_n || l->heap[i] != t);
    struct loop_timer *last = l->heap[l->heap_n--];
    t->heap_idx = 0;
    if (last != t) {
        heap_set(l, i, last);
        heap_up(l, i);
        heap_down(l, last->heap_idx);
    }
}

void
loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t ms, loop_timer_fn fn)
{
    uint64_t deadline = l->now_ms + ms;

    t->fn = fn;
    if (t->heap_idx) {
        uint64_t old = t->deadline_ms;
        t->deadline_ms = deadline;
        if (deadline < old)
            heap_up(l, t->heap_idx);
        else if (deadline > old)
            heap_down(l, t->heap_idx);
        return;
    }
    if (l->heap_n + 1 >= l->heap_cap) {
        uint32_t cap = l->heap_cap ? l->heap_cap * 2 : 256;
        struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));
        BUG_ON(!h);     /* timers are armed on paths that cannot fail; treat as fatal */
        l->heap = h;
        l->heap_cap = cap;
    }
    t->deadline_ms = deadline;
    l->heap_n++;
    heap_set(l, l->heap_n, t);
    heap_up(l, l->heap_n);
}

static int
next_timeout(struct loop *l)
{
    if (l->defer_head)
        return 0;
    if (!l->heap_n)
        return -1;
    uint64_t d = l->heap[1]->deadline_ms;
    if (d <= l->now_ms)
        return 0;
    uint64_t ms = d - l->now_ms;
    return ms > 60000 ? 60000 : (int)ms;
}

static void
run_timers(struct loop *l)
{
    while (l->heap_n && l->heap[1]->deadline_ms <= l->now_ms) {
        struct loop_timer *t = l->heap[1];
        loop_timer_stop(l, t);
        t->fn(l, t);
    }
}

/* ---- deferred calls ---- */

void
loop_defer(struct loop *l, struct loop_defer *d, loop_defer_fn fn)
{
    if (d->queued)
        return;
    d->fn = fn;
    d->queued = true;
    d->next = NULL;
    if (l->defer_tail)
        l->defer_tail->next = d;
    else
        l->defer_head = d;
    l->defer_tail = d;
}

void
loop_flush_deferred(struct loop *l)
{
    while (l->defer_head) {
        struct loop_defer *d = l->defer_head;
        l->defer_head = l->defer_tail = NULL;
        while (d) {
            struct loop_defer *next = d->next;
            d->queued = false;
            d->next = NULL;
            d->fn(l, d);
            d = next;
        }
    }
}

/* ---- signals and wake-ups ---- */

static void
on_sigfd(struct loop *l, struct loop_io *io, unsigned events)
{
    struct signalfd_siginfo si;

    (void)io;
    (void)events;
    while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        for (unsigned i = 0; i < l->nsigs; i++)
            if (l->sigs[i].signo == (int)si.ssi_signo)
                l->sigs[i].fn(l, (int)si.ssi_signo, l->sigs[i].ctx);
    }
}

int
loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *ctx)
{
    if (l->nsigs == LOOP_SIGNALS)
        return -ENOSPC;
    sigaddset(&l->sigmask, signo);
    int fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (l->sigfd < 0) {
        l->sigfd = fd;
        int rc = loop_io_add_read(l, &l->sig_io, fd, on_sigfd);
        if (rc < 0)
            return rc;
    }
    l->sigs[l->nsigs].signo = signo;
    l->sigs[l->nsigs].fn = fn;
    l->sigs[l->nsigs].ctx = ctx;
    l->nsigs++;
    return 0;
}

static void
on_wakefd(struct loop *l, struct loop_io *io, unsigned events)
{
    uint64_t v;

    (void)io;
    (void)events;
    while (read(l->wakefd, &v, sizeof(v)) == (ssize_t)sizeof(v))
        ;
    if (l->wake_fn)
        l->wake_fn(l, l->wake_ctx);
}

void
loop_on_wake(struct loop *l, loop_wake_fn fn, void *ctx)
{
    l->wake_fn = fn;
    l->wake_ctx = ctx;
}

void
loop_wake(struct loop *l)
{
    uint64_t one = 1;
    ssize_t w = write(l->wakefd, &one, sizeof(one));
    (void)w;
}

/* ---- the loop ---- */

int
loop_run(struct loop *l)
{
    struct epoll_event ev[LOOP_EVENTS];

    while (!atomic_load(&l->stopping)) {
        int n = epoll_wait(l->epfd, ev, LOOP_EVENTS, next_timeout(l));
        if (n < 0 && errno != EINTR)
            return -errno;
        l->now_ms = clock_mono_ms();
        for (int i = 0; i < n; i++) {
            struct loop_io *io = ev[i].data.ptr;
            unsigned e = 0;
            if (ev[i].events & EPOLLIN)
                e |= LOOP_READ;
            if (ev[i].events & EPOLLOUT)
                e |= LOOP_WRITE;
            if (ev[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
                e |= LOOP_HUP | LOOP_READ;
            if (io->fn)
                io->fn(l, io, e);
        }
        run_timers(l);
        loop_flush_deferred(l);
    }
    loop_flush_deferred(l);
    return 0;
}
