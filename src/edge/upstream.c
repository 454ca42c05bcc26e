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

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/log.h"
#include "core/mem.h"
#include "edge/uptls.h"
#include "edge/worker.h"

static void on_up_io(struct loop *l, struct loop_io *io, unsigned events);

/* An idle TLS connection became readable: true when what arrived held no data. */
static bool
up_idle_tls_quiet(struct upconn *u)
{
    char c;

    if (!u->ssl)
        return false;
    int rc = SSL_read(u->ssl, &c, 1);
    if (rc <= 0 && SSL_get_error(u->ssl, rc) == SSL_ERROR_WANT_READ)
        return true;
    ERR_clear_error();
    return false;
}

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
    if (u->ssl) {
        if (SSL_is_init_finished(u->ssl) && !u->shut_wr)
            SSL_shutdown(u->ssl);       /* close_notify; its answer is not awaited */
        SSL_free(u->ssl);
        u->ssl = NULL;
        ERR_clear_error();
    }
    close(u->io.fd);
    u->io.fd = -1;
    u->owner = NULL;
    loop_defer(u->w->loop, &u->defer, on_up_free);
}

static struct pool *
pool_get(struct worker *w, const struct sock_addr *addr, uint64_t tls_key)
{
    for (struct pool *p = w->pools; p; p = p->next)
        if (sock_addr_equal(&p->addr, addr) && p->tls_key == tls_key)
            return p;
    struct pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->addr = *addr;
    p->tls_key = tls_key;
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
upstream_get(struct worker *w, const struct sock_addr *addr, struct uptls *tls,
             const char *target_text, bool *reused, int *err)
{
    return upstream_get_as(w, addr, tls, target_text, true, reused, err);
}

struct upconn *
upstream_get_as(struct worker *w, const struct sock_addr *addr, struct uptls *tls,
                const char *target_text, bool may_reuse, bool *reused, int *err)
{
    struct pool *p = pool_get(w, addr, tls ? uptls_key(tls) : 0);

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
    if (tls && !(u->ssl = uptls_ssl_new(tls, fd, target_text))) {
        *err = -ENOMEM;
        close(fd);
        free(u);
        return NULL;
    }
    if (loop_io_add(w->loop, &u->io, fd, on_up_io) < 0) {
        *err = -errno;
        SSL_free(u->ssl);
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

/* send/recv over TLS: the same results (bytes, 0 for EOF, -1 with errno EAGAIN or another
 * errno) so upstream_io has one loop. Data OpenSSL already holds decrypted is not visible
 * to epoll, and a partial SSL_write stops at a record, so a TLS read or write is never
 * judged drained by its length: only EAGAIN ends it. */
static ssize_t
up_tls_io(struct upconn *u, void *p, size_t n, bool wr)
{
    int rc = wr ? SSL_write(u->ssl, p, (int)(n > INT32_MAX ? INT32_MAX : n))
                : SSL_read(u->ssl, p, (int)(n > INT32_MAX ? INT32_MAX : n));
    char why[160];
    ssize_t got = uptls_io_result(u->ssl, rc, why, sizeof(why));

    if (got < 0 && errno == EPROTO)
        log_warn("edge", "TLS error target=%s err=\"%s\"", u->pool->addr_text, why);
    return got;
}

int
upstream_io(struct upconn *u)
{
    if (u->state == UP_CONNECTING)
        return 0;
    /* Write what is pending. */
    while (u->wr_ready && buf_len(&u->out)) {
        size_t want = buf_len(&u->out);
        ssize_t n = u->ssl ? up_tls_io(u, buf_head(&u->out), want, true)
                           : send(u->io.fd, buf_head(&u->out), want, MSG_NOSIGNAL);
        if (n > 0) {
            u->w->moved += (uint64_t)n;
            buf_consume(&u->out, (size_t)n);
            /* A short send filled the socket; a short SSL_write wrote one record. */
            if ((size_t)n < want && !u->ssl)
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
        ssize_t n = u->ssl ? up_tls_io(u, buf_tail(&u->in), room, false)
                           : recv(u->io.fd, buf_tail(&u->in), room, 0);
        if (n > 0) {
            u->w->moved += (uint64_t)n;
            buf_commit(&u->in, (size_t)n);
            /* A short read drained the socket: edge-triggered epoll reports new data. */
            if ((size_t)n < room && !u->hup && !u->ssl)
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
         * bytes nobody asked for): either way it cannot be reused. Over TLS, records that
         * carry no data (a TLS 1.3 session ticket) are taken and the connection kept. */
        if ((events & LOOP_HUP) || ((events & LOOP_READ) && !up_idle_tls_quiet(u)))
            upstream_close(u);
        return;
    }
    if (u->state == UP_CONNECTING && !u->tcp_done && (events & (LOOP_WRITE | LOOP_HUP))) {
        u->err = sock_connect_result(u->io.fd);
        if (u->err == 0 && (events & LOOP_HUP) && !(events & LOOP_WRITE))
            u->err = -ECONNREFUSED;
        u->tcp_done = true;
        if (!u->ssl || u->err)
            u->state = UP_ACTIVE;
    }
    if (u->state == UP_CONNECTING && u->tcp_done) {
        char why[160];
        int rc = uptls_handshake(u->ssl);
        if (rc == 0)
            return;
        if (rc < 0) {
            uptls_error_text(u->ssl, why, sizeof(why));
            log_warn("edge", "TLS handshake with target failed target=%s err=\"%s\"",
                     u->pool->addr_text, why);
            u->err = -EPROTO;
        }
        u->state = UP_ACTIVE;
        u->wr_ready = u->rd_ready = true;   /* OpenSSL may hold bytes: let I/O find EAGAIN */
    }
    if (u->owner)
        u->on_event(u, u->owner);
}

void
upstream_shutdown_wr(struct upconn *u)
{
    if (u->ssl) {
        SSL_shutdown(u->ssl);
        ERR_clear_error();
    }
    shutdown(u->io.fd, SHUT_WR);
    u->shut_wr = true;
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
