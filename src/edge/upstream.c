/*
 * edge/upstream.c: connections to targets and the per-worker pools that keep them alive
 * between requests (keyed by target address, LIFO, capped, idle-timed). An idle pooled
 * connection is watched: if the target closes it or sends anything, it is dropped, so
 * unsolicited bytes are never taken for a response (9112 §9.2). Owns upconns; tells
 * their owner (a transaction today) through the on_event callback it set, never by name.
 */
#include "edge/upstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "edge/worker.h"

static void on_up_io(struct loop *l, struct loop_io *io, unsigned events);

static void
on_up_free(struct loop *l, struct loop_defer *d)
{
    struct upconn *u = container_of(d, struct upconn, defer);

    (void)l;
    buf_fini(&u->in);
    buf_fini(&u->out);
    free(u);
}

static void
pool_unlink_idle(struct upconn *u)
{
    struct pool *p = u->pool;

    for (struct upconn **pp = &p->idle; *pp; pp = &(*pp)->next_idle)
        if (*pp == u) {
            *pp = u->next_idle;
            p->nidle--;
            break;
        }
    u->next_idle = NULL;
}

void
upstream_close(struct upconn *u)
{
    if (u->closed)
        return;
    u->closed = true;
    if (u->state == UP_IDLE)
        pool_unlink_idle(u);
    loop_io_remove(u->w->loop, &u->io);
    loop_timer_stop(u->w->loop, &u->timer);
    close(u->io.fd);
    u->io.fd = -1;
    u->owner = NULL;
    loop_defer(u->w->loop, &u->defer, on_up_free);
}

static struct pool *
pool_get(struct worker *w, const struct sock_addr *addr)
{
    for (struct pool *p = w->pools; p; p = p->next)
        if (sock_addr_equal(&p->addr, addr))
            return p;
    struct pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->addr = *addr;
    sock_addr_format(addr, p->addr_text, sizeof(p->addr_text));
    p->next = w->pools;
    w->pools = p;
    return p;
}

static void
on_idle_timeout(struct loop *l, struct loop_timer *t)
{
    (void)l;
    upstream_close(container_of(t, struct upconn, timer));
}

struct upconn *
upstream_get(struct worker *w, const struct sock_addr *addr, bool *reused, int *err)
{
    return upstream_get_as(w, addr, true, reused, err);
}

struct upconn *
upstream_get_as(struct worker *w, const struct sock_addr *addr, bool may_reuse, bool *reused,
                int *err)
{
    struct pool *p = pool_get(w, addr);

    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    if (!may_reuse && p->idle) {
        /* The target may give each connection a process (PHP-FPM): the idle one is closed
         * so that the new one does not wait for a process the idle one holds. */
        upstream_close(p->idle);       /* unlinks it */
    }
    if (may_reuse && p->idle) {
        struct upconn *u = p->idle;
        p->idle = u->next_idle;
        p->nidle--;
        u->next_idle = NULL;
        u->state = UP_ACTIVE;
        u->wr_ready = true;     /* an idle socket is writable; EAGAIN would say otherwise */
        loop_timer_stop(w->loop, &u->timer);
        *reused = true;
        return u;
    }
    struct upconn *u = calloc(1, sizeof(*u));
    if (!u) {
        *err = -ENOMEM;
        return NULL;
    }
    int fd = sock_connect(addr);
    if (fd < 0) {
        free(u);
        *err = fd;
        return NULL;
    }
    u->w = w;
    u->pool = p;
    u->state = UP_CONNECTING;
    if (loop_io_add(w->loop, &u->io, fd, on_up_io) < 0) {
        *err = -errno;
        close(fd);
        free(u);
        return NULL;
    }
    *reused = false;
    return u;
}

void
upstream_release(struct upconn *u, bool reusable)
{
    struct worker *w = u->w;
    struct pool *p = u->pool;

    u->owner = NULL;
    if (!reusable || buf_len(&u->in) || buf_len(&u->out) || u->eof || w->stopping ||
        p->nidle >= EDGE_POOL_MAX_IDLE) {
        upstream_close(u);
        return;
    }
    buf_release(&u->in);
    buf_release(&u->out);
    u->state = UP_IDLE;
    u->nrequests++;
    u->next_idle = p->idle;
    p->idle = u;
    p->nidle++;
    loop_timer_start(w->loop, &u->timer, EDGE_POOL_IDLE_MS, on_idle_timeout);
}

int
upstream_io(struct upconn *u)
{
    if (u->state == UP_CONNECTING)
        return 0;
    /* Write what is pending. */
    while (u->wr_ready && buf_len(&u->out)) {
        size_t want = buf_len(&u->out);
        ssize_t n = send(u->io.fd, buf_head(&u->out), want, MSG_NOSIGNAL);
        if (n > 0) {
            u->w->moved += (uint64_t)n;
            buf_consume(&u->out, (size_t)n);
            if ((size_t)n < want)
                u->wr_ready = false;
        } else if (n < 0 && errno == EAGAIN) {
            u->wr_ready = false;
        } else if (n < 0 && errno != EINTR) {
            return -errno;
        }
    }
    if (!buf_len(&u->out))
        buf_release(&u->out);
    /* Read while there is room below the high-water mark. */
    while (u->rd_ready && !u->eof && buf_len(&u->in) < EDGE_OUT_HIGH_BYTES) {
        if (buf_reserve(&u->in, 4096) < 0)
            return -ENOMEM;
        size_t room = buf_room(&u->in);
        ssize_t n = recv(u->io.fd, buf_tail(&u->in), room, 0);
        if (n > 0) {
            u->w->moved += (uint64_t)n;
            buf_commit(&u->in, (size_t)n);
            /* A short read drained the socket: edge-triggered epoll reports new data. */
            if ((size_t)n < room && !u->hup)
                u->rd_ready = false;
        } else if (n == 0) {
            u->eof = true;
        } else if (errno == EAGAIN) {
            u->rd_ready = false;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
    if (!buf_len(&u->in))
        buf_release(&u->in);
    return 0;
}

static void
on_up_io(struct loop *l, struct loop_io *io, unsigned events)
{
    struct upconn *u = (struct upconn *)io;

    (void)l;
    if (events & LOOP_READ)
        u->rd_ready = true;
    if (events & LOOP_WRITE)
        u->wr_ready = true;
    if (events & LOOP_HUP)
        u->hup = true;
    if (u->state == UP_IDLE) {
        /* A pooled connection that becomes readable was closed by the target (or it sent
         * bytes nobody asked for): either way it cannot be reused. */
        if (events & (LOOP_READ | LOOP_HUP))
            upstream_close(u);
        return;
    }
    if (u->state == UP_CONNECTING && (events & (LOOP_WRITE | LOOP_HUP))) {
        u->err = sock_connect_result(u->io.fd);
        if (u->err == 0 && (events & LOOP_HUP) && !(events & LOOP_WRITE))
            u->err = -ECONNREFUSED;
        u->state = UP_ACTIVE;
    }
    if (u->owner)
        u->on_event(u, u->owner);
}

void
upstream_set_owner(struct upconn *u, upstream_event_fn fn, void *owner)
{
    u->on_event = fn;
    u->owner = owner;
}

static void
on_up_timeout(struct loop *l, struct loop_timer *tm)
{
    struct upconn *u = container_of(tm, struct upconn, timer);

    (void)l;
    u->err = -ETIMEDOUT;
    if (u->owner)
        u->on_event(u, u->owner);
}

void
upstream_timer(struct upconn *u, uint64_t ms)
{
    loop_timer_start(u->w->loop, &u->timer, ms, on_up_timeout);
}

void
upstream_pools_free(struct worker *w)
{
    struct pool *p = w->pools;

    while (p) {
        struct pool *next = p->next;
        while (p->idle)
            upstream_close(p->idle);
        free(p);
        p = next;
    }
    w->pools = NULL;
    loop_flush_deferred(w->loop);
}
