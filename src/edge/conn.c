/*
 * edge/conn.c: client connections from accept to close: the list of them in the worker,
 * reading into c->in and flushing c->out through the transport, the client timer,
 * graceful close (linger) and the final free. What the bytes mean belongs to the session
 * (c->sess, h1sess.c today), which starts transactions; this file never names one.
 */
#include "edge/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "edge/gen.h"
#include "edge/guard.h"
#include "edge/session.h"
#include "edge/stats.h"
#include "edge/tls.h"
#include "edge/transport.h"
#include "edge/worker.h"

/* A new transport or session protocol adds its table here and an index in conn.h. */
const struct transport_ops *const conn_transports[] = { [CONN_TP_PLAIN] = &plain_transport,
                                                        [CONN_TP_TLS] = &tls_transport };
const struct session_ops *const conn_sessions[] = { [CONN_SESS_H1] = &h1sess_session };

static void conn_linger_run(struct conn *c);

static void
on_conn_free(struct loop *l, struct loop_defer *d)
{
    struct conn *c = container_of(d, struct conn, defer);

    (void)l;
    buf_fini(&c->in);
    buf_fini(&c->out);
    worker_conn_unlink(c->w, c);
    free(c);
}

void
conn_close(struct conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    guard_release(c->w, c);
    if (c->lstat != STATS_NONE)
        stats_add_signed(&c->w->stats.l[c->lstat]->active, -1);
    conn_sess(c)->on_close(c);
    loop_io_remove(c->w->loop, &c->io);
    loop_timer_stop(c->w->loop, &c->timer);
    if (conn_tp(c)->close)
        conn_tp(c)->close(c);
    close(c->io.fd);
    loop_defer(c->w->loop, &c->defer, on_conn_free);
}

/* One byte past `limit` tells a head that is too large from one exactly at the limit. */
int
conn_read(struct conn *c, size_t limit)
{
    while (c->rd_ready && !c->eof && buf_len(&c->in) <= limit) {
        if (buf_reserve(&c->in, 2048) < 0)
            return -ENOMEM;
        size_t room = buf_room(&c->in);
        if (room > limit + 1 - buf_len(&c->in))
            room = limit + 1 - buf_len(&c->in);
        ssize_t n = conn_tp(c)->recv(c, buf_tail(&c->in), room);
        if (n > 0) {
            c->w->moved += (uint64_t)n;
            buf_commit(&c->in, (size_t)n);
            if ((size_t)n < room && !c->hup)
                c->rd_ready = false;
        } else if (n == 0) {
            c->eof = true;
        } else if (errno == EAGAIN) {
            c->rd_ready = false;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

int
conn_flush(struct conn *c)
{
    while (c->wr_ready && buf_len(&c->out)) {
        size_t want = buf_len(&c->out);
        ssize_t n = conn_tp(c)->send(c, buf_head(&c->out), want);
        if (n > 0) {
            c->w->moved += (uint64_t)n;
            buf_consume(&c->out, (size_t)n);
            if ((size_t)n < want)
                c->wr_ready = false;
        } else if (n < 0 && errno == EAGAIN) {
            c->wr_ready = false;
        } else if (n < 0 && errno != EINTR) {
            return -errno;
        }
    }
    if (!buf_len(&c->out))
        buf_release(&c->out);
    return 0;
}

static void
on_conn_timeout(struct loop *l, struct loop_timer *tm)
{
    struct conn *c = container_of(tm, struct conn, timer);

    (void)l;
    if (c->state == CONN_LINGER)
        conn_close(c);
    else
        conn_sess(c)->on_timeout(c);
}

void
conn_timer(struct conn *c, uint64_t ms)
{
    loop_timer_start(c->w->loop, &c->timer, ms, on_conn_timeout);
}

void
conn_linger(struct conn *c)
{
    c->state = CONN_LINGER;
    conn_timer(c, EDGE_LINGER_MS);
    conn_linger_run(c);
}

static void
conn_linger_run(struct conn *c)
{
    if (c->closed)
        return;
    if (conn_flush(c) < 0) {
        conn_close(c);
        return;
    }
    if (buf_len(&c->out))
        return;
    if (!c->shut_wr) {
        conn_tp(c)->shutdown_wr(c);
        c->shut_wr = true;
    }
    char discard[4096];
    for (;;) {
        ssize_t n = conn_tp(c)->recv(c, discard, sizeof(discard));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_close(c);          /* EOF or error */
        return;
    }
}

static void
on_conn_io(struct loop *l, struct loop_io *io, unsigned events)
{
    struct conn *c = (struct conn *)io;

    (void)l;
    if (events & LOOP_READ)
        c->rd_ready = true;
    if (events & LOOP_WRITE)
        c->wr_ready = true;
    if (events & LOOP_HUP)
        c->hup = true;
    if (conn_tp(c)->on_ready && !c->closed && !conn_tp(c)->on_ready(c, events))
        return;
    if (c->state == CONN_TXN || c->state == CONN_TUNNEL)
        conn_sess(c)->on_txn_io(c);
    else if (c->state == CONN_LINGER)
        conn_linger_run(c);
    else if (!c->closed)
        conn_sess(c)->on_io(c);
}

/* The address family and bytes of a peer, as the shield and the log want them. */
static void
conn_set_peer(struct conn *c, const struct sockaddr_storage *peer)
{
    if (peer->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)peer;
        c->peer_family = 6;
        memcpy(c->peer_addr, &s6->sin6_addr, 16);
        c->peer_port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)peer;
        c->peer_family = 4;
        memcpy(c->peer_addr, &s4->sin_addr, 4);
        c->peer_port = ntohs(s4->sin_port);
    }
}

void
conn_accepted(struct worker *w, int fd, const struct sockaddr_storage *peer,
              uint32_t listener_id, uint16_t local_port, uint8_t lstat, bool shield_counted)
{
    struct conn *c;

    if (w->stopping || !(c = calloc(1, sizeof(*c)))) {
        close(fd);
        if (shield_counted) {
            struct conn tmp = { .shield_counted = true };
            conn_set_peer(&tmp, peer);
            guard_release(w, &tmp);
        }
        return;
    }
    c->shield_counted = shield_counted;
    c->w = w;
    c->tp = CONN_TP_PLAIN;
    c->sess = CONN_SESS_H1;
    c->lstat = lstat;
    if (lstat != STATS_NONE) {
        stats_add(&w->stats.l[lstat]->accepted, 1);
        stats_add_signed(&w->stats.l[lstat]->active, 1);
    }
    c->listener_id = listener_id;
    c->local_port = local_port;
    conn_set_peer(c, peer);
    sock_set_nodelay(fd);
    c->io.fd = fd;
    struct tls_listener *tl = gen_tls_of(w->gen, listener_id);
    if (tl && tls_conn_start(c, tl, w->index) < 0) {
        close(fd);
        free(c);
        return;
    }
    if (loop_io_add(w->loop, &c->io, fd, on_conn_io) < 0) {
        if (conn_tp(c)->close)
            conn_tp(c)->close(c);
        close(fd);
        free(c);
        return;
    }
    worker_conn_link(w, c);
    c->state = CONN_IDLE;
    /* The first request must start within the header timeout. */
    conn_timer(c, w->gen->conf.timeouts.client_header_ms);
}

void
conn_begin_shutdown(struct conn *c)
{
    c->close_after = true;
    if (c->state == CONN_IDLE && buf_len(&c->in) == 0)
        conn_close(c);
}
