/*
 * examples/app/worker.c: one thread's event loop: its own SO_REUSEPORT listener, a
 * level-triggered epoll, the timer heap, accepting connections and handing their events to
 * conn.c. On worker_stop() it drains: accepts what is already queued, closes the listener,
 * closes idle connections, lets in-flight answers finish, and exits when no connection is left
 * or after APP_DRAIN_MS.
 *
 * epoll data: NULL is the listener, the worker itself is the wake eventfd, anything else is a
 * struct conn.
 */
#include "worker.h"
#include "app.h"
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WORKER_EVENTS          256
#define WORKER_ACCEPT_BATCH    64
#define WORKER_ACCEPT_PAUSE_MS 100

static uint64_t
worker_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
worker_accept(struct worker *w)
{
    for (int i = 0; i < WORKER_ACCEPT_BATCH && w->lfd >= 0; i++) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Level-triggered: stop watching the listener for a while instead of
                 * spinning on a connection we cannot take. */
                struct epoll_event ev = { .events = 0, .data.ptr = NULL };
                epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->lfd, &ev);
                w->accept_paused_until_ms = w->now_ms + WORKER_ACCEPT_PAUSE_MS;
                fprintf(stderr, "app %s: accept: %s; pausing %d ms\n", app.name,
                        strerror(errno), WORKER_ACCEPT_PAUSE_MS);
                return;
            }
            if (errno == ECONNABORTED || errno == EINTR)
                continue;
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (!conn_new(w, fd))
            close(fd);
    }
}

static void
worker_accept_resume(struct worker *w)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

    w->accept_paused_until_ms = 0;
    if (w->lfd >= 0)
        epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->lfd, &ev);
}

static void
worker_drain(struct worker *w)
{
    uint64_t v;

    if (read(w->wakefd, &v, sizeof(v)) < 0 || w->draining)
        return;
    w->draining = true;
    w->drain_deadline_ms = w->now_ms + APP_DRAIN_MS;
    worker_accept(w);               /* already-established connections get served */
    close(w->lfd);                  /* also leaves epoll */
    w->lfd = -1;
    for (struct conn *c = w->conns, *next; c; c = next) {
        next = c->next;             /* conn_drain() may destroy c, never another */
        conn_drain(c);
    }
}

/* Milliseconds until the next timer, drain deadline or accept retry; -1 for none. */
static int
worker_timeout_ms(const struct worker *w)
{
    uint64_t at = UINT64_MAX;
    struct conn *c = timer_peek(&w->timers);

    if (c)
        at = c->timer_at_ms;
    if (w->draining && w->drain_deadline_ms < at)
        at = w->drain_deadline_ms;
    if (w->accept_paused_until_ms && w->accept_paused_until_ms < at)
        at = w->accept_paused_until_ms;
    if (at == UINT64_MAX)
        return -1;
    if (at <= w->now_ms)
        return 0;
    return at - w->now_ms > 60000 ? 60000 : (int)(at - w->now_ms);
}

static void
worker_expire(struct worker *w)
{
    struct conn *c;

    while ((c = timer_peek(&w->timers)) && c->timer_at_ms <= w->now_ms) {
        timer_remove(&w->timers, c);
        conn_on_timer(c);
    }
}

static void
worker_reap(struct worker *w)
{
    while (w->dead) {
        struct conn *c = w->dead;
        w->dead = c->next;
        conn_free(c);
    }
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[WORKER_EVENTS];

    w->now_ms = worker_clock_ms();
    while (!w->draining || (w->nconns > 0 && w->now_ms < w->drain_deadline_ms)) {
        int n = epoll_wait(w->epfd, evs, WORKER_EVENTS, worker_timeout_ms(w));
        w->now_ms = worker_clock_ms();
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "app %s: epoll_wait: %s\n", app.name, strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *ptr = evs[i].data.ptr;
            if (!ptr) {
                worker_accept(w);
            } else if (ptr == w) {
                worker_drain(w);
            } else {
                struct conn *c = ptr;
                if (!c->dead)
                    conn_on_event(c, evs[i].events);
            }
        }
        worker_expire(w);
        if (w->accept_paused_until_ms && w->accept_paused_until_ms <= w->now_ms)
            worker_accept_resume(w);
        worker_reap(w);
    }
    while (w->conns)
        conn_destroy(w->conns);
    worker_reap(w);
    timer_heap_fini(&w->timers);
    return NULL;
}

int
worker_start(struct worker *w, int lfd)
{
    *w = (struct worker){ .lfd = lfd, .epfd = -1, .wakefd = -1 };
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->wakefd < 0)
        return -errno;
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    struct epoll_event wev = { .events = EPOLLIN, .data.ptr = w };
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, lfd, &lev) < 0 ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &wev) < 0)
        return -errno;
    return -pthread_create(&w->thread, NULL, worker_main, w);
}

void
worker_stop(struct worker *w)
{
    uint64_t one = 1;

    if (write(w->wakefd, &one, sizeof(one)) < 0)
        perror("app: worker_stop");
}

void
worker_join(struct worker *w)
{
    pthread_join(w->thread, NULL);
    if (w->lfd >= 0)
        close(w->lfd);
    close(w->epfd);
    close(w->wakefd);
}
