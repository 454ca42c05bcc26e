/*
 * edge/proxy.c: client connections and the transactions that proxy one request each.
 *
 * A client connection is a state machine (enum conn_state): IDLE between requests, HEAD
 * while a request head arrives, TXN while a transaction runs, TUNNEL after a WebSocket
 * upgrade, LINGER while closing gracefully. One request is handled at a time; pipelined
 * requests wait in c->in and are answered in order.
 *
 * A transaction moves bytes through four buffers: client c->in -> target u->out (request
 * body, re-framed) and target u->in -> client c->out (response, re-framed). Each side
 * stops reading when the other side's output is above EDGE_OUT_HIGH_BYTES, so bodies of
 * any size stream in constant memory. txn_run() is the single place that makes progress;
 * every event on either socket calls it.
 *
 * Errors follow ALB: 502 when a target misbehaves, 503 with no target, 504 on timeouts.
 * Idempotent requests without a body are retried once on another target (and on a fresh
 * connection when a pooled one turned out to be stale) until a response byte is sent.
 */
#include "edge/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "edge/balance.h"
#include "edge/static.h"

#define TXN_MAX_ATTEMPTS 3
#define TXN_ROUNDS 16
/* The methods tierd forwards that a client may rely on; extension methods pass too. */
#define PROXY_ALLOW "Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH\r\n"

static void conn_run(struct conn *c);
static void txn_run(struct txn *t);
static void txn_finish(struct txn *t);
static void txn_forward(struct txn *t, const struct h1_request *r);
static void txn_unavailable(struct txn *t);

/* ------------------------------------------------------------------ client I/O */

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

/* Moves the transaction's in-flight count to target idx of its group (-1: none). */
static void
txn_set_target(struct txn *t, int idx)
{
    if (t->target)
        atomic_fetch_sub_explicit(&t->target->outstanding, 1, memory_order_relaxed);
    t->target_idx = idx;
    t->target = idx >= 0 ? t->gen->tgrt[t->tg].targets[idx] : NULL;
    if (t->target)
        atomic_fetch_add_explicit(&t->target->outstanding, 1, memory_order_relaxed);
}

static void
txn_free(struct txn *t)
{
    initwait_cancel(t);
    if (t->file_fd >= 0)
        close(t->file_fd);
    if (t->target)
        txn_set_target(t, -1);
    if (t->u) {
        t->u->txn = NULL;
        upstream_close(t->u);
    }
    gen_release(t->gen);
    free(t->logmem);
    free(t);
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
    if (c->txn) {
        struct txn *t = c->txn;
        uint64_t now = clock_mono_us();
        if (!t->resp_done && t->status == 0)
            t->status = 499;    /* nginx's code for "client went away"; log only */
        accesslog_write(c->w, t, now);
        stats_txn_done(c->w, t, now);
        c->txn = NULL;
        txn_free(t);
    }
    loop_io_remove(c->w->loop, &c->io);
    loop_timer_stop(c->w->loop, &c->timer);
    close(c->io.fd);
    loop_defer(c->w->loop, &c->defer, on_conn_free);
}

/* Reads until c->in holds more than `limit` bytes (one byte past it tells a head that is
 * too large from one that is exactly at the limit). Returns 0 or -errno. */
static int
conn_read(struct conn *c, size_t limit)
{
    while (c->rd_ready && !c->eof && buf_len(&c->in) <= limit) {
        if (buf_reserve(&c->in, 2048) < 0)
            return -ENOMEM;
        size_t room = buf_room(&c->in);
        if (room > limit + 1 - buf_len(&c->in))
            room = limit + 1 - buf_len(&c->in);
        ssize_t n = recv(c->io.fd, buf_tail(&c->in), room, 0);
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

/* Writes c->out while the socket takes it. Returns 0 or -errno. */
static int
conn_flush(struct conn *c)
{
    while (c->wr_ready && buf_len(&c->out)) {
        size_t want = buf_len(&c->out);
        ssize_t n = send(c->io.fd, buf_head(&c->out), want, MSG_NOSIGNAL);
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
    switch (c->state) {
    case CONN_HEAD:
        /* Slow or stalled head (slowloris): 408 and close. */
        c->wr_ready = true;
        forward_local_response(&c->out, 408, true, NULL);
        conn_flush(c);
        conn_close(c);
        return;
    case CONN_TXN:
        if (c->txn && !c->txn->resp_started) {
            /* The body stalled: 408. */
            struct txn *t = c->txn;
            t->status = 408;
            forward_local_response(&c->out, 408, true, NULL);
            conn_flush(c);
        }
        conn_close(c);
        return;
    default:
        conn_close(c);
    }
}

static void
conn_timer(struct conn *c, uint64_t ms)
{
    loop_timer_start(c->w->loop, &c->timer, ms, on_conn_timeout);
}

/* Starts a graceful close: everything in c->out goes first, then the write side is shut
 * and input is discarded until the client closes (so the last response is not destroyed
 * by a reset, 9112 §9.6), at most EDGE_LINGER_MS. */
static void
conn_linger(struct conn *c)
{
    c->state = CONN_LINGER;
    conn_timer(c, EDGE_LINGER_MS);
    conn_run(c);
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
    if (c->state == CONN_TXN || c->state == CONN_TUNNEL)
        txn_run(c->txn);
    else
        conn_run(c);
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
            if (peer->ss_family == AF_INET6) {
                tmp.peer_family = 6;
                memcpy(tmp.peer_addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
            } else {
                tmp.peer_family = 4;
                memcpy(tmp.peer_addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
            }
            guard_release(w, &tmp);
        }
        return;
    }
    c->shield_counted = shield_counted;
    c->w = w;
    c->lstat = lstat;
    if (lstat != STATS_NONE) {
        stats_add(&w->stats.l[lstat]->accepted, 1);
        stats_add_signed(&w->stats.l[lstat]->active, 1);
    }
    c->listener_id = listener_id;
    c->local_port = local_port;
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
    sock_set_nodelay(fd);
    if (loop_io_add(w->loop, &c->io, fd, on_conn_io) < 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    atomic_store_explicit(&w->nconns_shared, w->nconns, memory_order_relaxed);
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

/* ------------------------------------------------------------------ transactions */

static void
hex_id(struct worker *w, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = worker_random(w), b = worker_random(w);

    for (int i = 0; i < 16; i++) {
        out[i] = hex[(a >> (i * 4)) & 15];
        out[16 + i] = hex[(b >> (i * 4)) & 15];
    }
    out[32] = '\0';
}

/* Writes s and a NUL at m; returns the byte after the NUL. */
static char *
copy_field(char *m, struct slice s)
{
    if (s.len)
        memcpy(m, s.p, s.len);
    m[s.len] = '\0';
    return m + s.len + 1;
}

/* Copies what the access log needs out of the request head, in one allocation. */
static void
txn_keep_log_fields(struct txn *t, const struct h1_request *r, const char *head)
{
    struct slice referer = { 0 }, ua = { 0 };
    size_t line = 0;

    while (line < r->head_len && head[line] != '\r' && head[line] != '\n')
        line++;
    for (unsigned i = 0; i < r->nheaders; i++) {
        if (r->headers[i].flags & H1_HDR_REFERER)
            referer = r->headers[i].value;
        else if (r->headers[i].flags & H1_HDR_USER_AGENT)
            ua = r->headers[i].value;
    }
    size_t n = line + referer.len + ua.len + r->host.len + 4;
    char *m = malloc(n);
    if (!m)
        return;
    t->logmem = m;
    t->log_request = m;
    m = copy_field(m, slice_make(head, line));
    t->log_referer = m;
    m = copy_field(m, referer);
    t->log_ua = m;
    m = copy_field(m, ua);
    t->log_host = m;
    copy_field(m, r->host);
}

static struct txn *
txn_new(struct conn *c)
{
    struct txn *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->c = c;
    t->gen = gen_ref(c->w->gen);
    t->tg = -1;
    t->target_idx = -1;
    t->file_fd = -1;
    t->start_us = clock_mono_us();
    t->version_minor = 1;
    t->upstream_addr = "-";
    hex_id(c->w, t->request_id);
    c->txn = t;
    c->state = CONN_TXN;
    return t;
}

/* Consumes a request head kept in c->in for replay, once it can no longer be needed. */
static void
txn_drop_kept_head(struct txn *t)
{
    if (t->head_in_cin) {
        buf_consume(&t->c->in, t->head_in_cin);
        t->head_in_cin = 0;
    }
}

/* Answers locally (errors, 404 without a matching rule). The transaction ends once the
 * response is written. */
static void
txn_local(struct txn *t, int status, bool close)
{
    struct conn *c = t->c;

    if (t->u) {
        t->u->txn = NULL;
        upstream_close(t->u);
        t->u = NULL;
    }
    if (close)
        t->close_after = true;
    t->status = status;
    t->resp_started = t->resp_head_done = t->resp_done = true;
    txn_drop_kept_head(t);
    /* tierd's own 405 (CONNECT, TRACE) and 204 (OPTIONS with Max-Forwards: 0) say what
     * it forwards (9110 §15.5.6, §9.3.7). */
    const char *extra = status == 405 || status == 204 ? PROXY_ALLOW : NULL;
    if (forward_local_response(&c->out, status, t->close_after || c->close_after, extra) < 0)
        t->close_after = true;
}

static void
on_up_timeout(struct loop *l, struct loop_timer *tm)
{
    struct upconn *u = container_of(tm, struct upconn, timer);

    (void)l;
    u->err = -ETIMEDOUT;
    if (u->txn)
        txn_run(u->txn);
}

/* Picks a target (avoiding the one that just failed), takes a connection and writes the
 * request head into it. -EHOSTUNREACH when the group has nothing to route to. */
static int
txn_connect(struct txn *t, const struct h1_request *r)
{
    struct worker *w = t->c->w;
    const struct edge_tg_conf *tc = &t->gen->conf.tgs[t->tg];
    const struct tg_rt *rt = &t->gen->tgrt[t->tg];
    struct balance_in in = {
        .alg = tc->algorithm,
        .targets = rt->targets,
        .n = rt->n,
        .now_ms = loop_now_ms(w->loop),
        .slow_start_ms = tc->slow_start_ms,
        .avoid = t->target_idx,
        .rnd = worker_random(w),
        .cw = t->gen == w->gen ? w->cw[t->tg] : NULL,
    };
    bool failed_open;
    int err = 0;

    /* A transaction that outlived a generation switch has no round-robin state for its
     * group: it draws at random instead (rare: a retry across a reload). */
    if (!in.cw && in.alg == EDGE_ALG_ROUND_ROBIN)
        in.alg = EDGE_ALG_WEIGHTED_RANDOM;
    int idx = -1;
    if (tc->stickiness) {
        t->sticky = true;
        if (t->attempts == 0)
            idx = sticky_lookup(r, tc, rt);
    }
    if (idx < 0)
        idx = balance_pick(&in, &failed_open);
    if (idx < 0)
        return -EHOSTUNREACH;
    txn_set_target(t, idx);
    t->attempts++;
    struct upconn *u = upstream_get(w, &t->target->addr, &t->reused, &err);
    if (!u)
        return err;
    t->u = u;
    u->txn = t;
    u->err = 0;
    u->eof = u->hup = false;
    t->upstream_addr = t->target->addr_text;
    t->upstream_start_us = clock_mono_us();
    if (forward_request_head(&u->out, r, t->c, t) < 0)
        return -ENOMEM;
    loop_timer_start(w->loop, &u->timer,
                     u->state == UP_CONNECTING ? t->gen->conf.timeouts.upstream_connect_ms
                                               : t->gen->conf.timeouts.upstream_read_ms,
                     on_up_timeout);
    return 0;
}

/* A failure on live traffic counts against the target's health (passive check). A stale
 * pooled connection says nothing about the target and is not counted. */
static void
txn_count_failure(struct txn *t, bool stale_reuse)
{
    if (!t->target)
        return;
    atomic_fetch_add_explicit(&t->target->errors, 1, memory_order_relaxed);
    if (!stale_reuse) {
        atomic_fetch_add_explicit(&t->target->passive_failures, 1, memory_order_relaxed);
        health_kick(t->c->w->edge->health);
    }
}

/* The current attempt failed before any response byte reached the client. Retries when
 * that is safe, else answers 502/504. */
static void
txn_upstream_failed(struct txn *t, int err)
{
    struct conn *c = t->c;
    struct worker *w = c->w;
    bool timeout = err == -ETIMEDOUT;
    bool connecting = t->u && t->u->state == UP_CONNECTING;
    char why[96];

    snprintf(why, sizeof(why), "%s", timeout ? (connecting ? "connect timeout" : "read timeout")
                                             : strerror(-err));
    if (err != -EHOSTUNREACH)
        txn_count_failure(t, t->reused && !timeout);
    if (t->u) {
        t->u->txn = NULL;
        upstream_close(t->u);
        t->u = NULL;
    }
    if (err == -EHOSTUNREACH) {
        /* Every target is draining (or none is left): ALB answers 503. */
        txn_local(t, 503, !t->req_done);
        return;
    }
    /* Replay is possible only while the head is still in c->in (a bodiless request) and
     * the method is idempotent. A read timeout is not retried: the target may be working. */
    bool can_retry = t->head_in_cin && t->idempotent && !(timeout && !connecting) &&
                     t->attempts < TXN_MAX_ATTEMPTS;
    if (can_retry) {
        const char *reason;
        struct h1_limits lim = { 8192, t->gen->conf.limits.header_bytes,
                                 (unsigned)t->gen->conf.limits.headers };
        ssize_t n = h1_parse_request(buf_head(&c->in), t->head_in_cin, &lim, &w->req, &reason);
        if (n > 0) {
            log_warn("edge", "retrying request target=%s err=\"%s\" attempt=%u%s",
                     t->upstream_addr, why, t->attempts, t->reused ? " reused=1" : "");
            /* A stale pooled connection does not use up an attempt. */
            if (t->reused && !timeout)
                t->attempts--;
            int rc = txn_connect(t, &w->req);
            if (rc == 0)
                return;
            snprintf(why, sizeof(why), "%s", strerror(-rc));
        }
    }
    log_warn("edge", "target failed target=%s err=\"%s\" status=%d", t->upstream_addr, why,
             timeout ? 504 : 502);
    txn_local(t, timeout ? 504 : 502, !t->req_done);
}

/* Answers from the static action's files: the head goes through c->out, the body from
 * the file with sendfile(2) (txn_send_file). A request body is not read: the connection
 * closes after the response instead. */
static void
txn_static(struct txn *t, const struct edge_static_conf *sc, const struct h1_request *r)
{
    struct conn *c = t->c;
    struct static_reply sr;

    if (!t->req_done)
        t->close_after = true;
    bool keep = !t->close_after && !c->close_after && !c->w->stopping;
    if (static_serve(sc, r, keep, (int64_t)(clock_wall_ms() / 1000), &c->out, &sr) < 0) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, 503, true);
        txn_run(t);
        return;
    }
    buf_consume(&c->in, r->head_len);
    t->req_done = true;
    t->status = sr.status;
    t->file_fd = sr.fd;
    t->file_off = sr.offset;
    t->file_left = sr.length;
    if (sr.close)
        t->close_after = true;
    t->resp_started = t->resp_head_done = true;
    t->resp_done = t->file_left == 0;
    txn_run(t);
}

/* Sends file bytes once the head has left. Returns 0 or -errno. */
static int
txn_send_file(struct txn *t)
{
    struct conn *c = t->c;

    while (t->file_left && c->wr_ready && !buf_len(&c->out)) {
        size_t want = t->file_left > (1u << 20) ? (1u << 20) : (size_t)t->file_left;
        ssize_t n = sendfile(c->io.fd, t->file_fd, &t->file_off, want);
        if (n > 0) {
            c->w->moved += (uint64_t)n;
            t->file_left -= (uint64_t)n;
            t->body_bytes_sent += (uint64_t)n;
            if ((size_t)n < want)
                c->wr_ready = false;
        } else if (n == 0) {
            return -EIO;        /* the file shrank under us: the response is broken */
        } else if (errno == EAGAIN) {
            c->wr_ready = false;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
    if (!t->file_left)
        t->resp_done = true;
    return 0;
}

/* Starts the transaction for the request parsed into w->req from c->in. */
static void
txn_start(struct conn *c)
{
    struct worker *w = c->w;
    const struct h1_request *r = &w->req;
    struct txn *t = txn_new(c);
    unsigned li;

    if (!t) {
        conn_close(c);
        return;
    }
    txn_keep_log_fields(t, r, buf_head(&c->in));
    t->is_head = slice_eq(r->method, SLICE_LIT("HEAD"));
    t->idempotent = h1_method_is_idempotent(r->method);
    t->version_minor = (uint8_t)r->version_minor;
    t->client_keepalive = r->keep_alive;
    t->upgrade = r->upgrade_websocket;
    t->req_framing = (uint8_t)r->framing;
    t->req_remaining = r->framing == H1_FRAMING_LENGTH ? r->content_length : 0;
    t->req_done = r->framing == H1_FRAMING_NONE || (r->framing == H1_FRAMING_LENGTH &&
                                                    r->content_length == 0);
    h1_chunked_init(&t->req_chunk, t->gen->conf.limits.body_bytes);
    if (!t->client_keepalive)
        t->close_after = true;

    if (!worker_lsock_of(w, c->listener_id, &li)) {
        /* The listener was removed by a reload while this connection was open. */
        buf_consume(&c->in, r->head_len);
        txn_local(t, 503, true);
        txn_run(t);
        return;
    }
    t->lc = &t->gen->conf.listeners[li];
    uint64_t body_max = t->gen->conf.limits.body_bytes;
    if (r->framing == H1_FRAMING_LENGTH && body_max && r->content_length > body_max) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, 413, true);
        txn_run(t);
        return;
    }
    const struct edge_rule *rule = route_match(t->lc, r);
    int refused = guard_request(t, r, rule && rule->static_files);
    if (refused) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, refused, true);
        txn_run(t);
        return;
    }
    /* TRACE would reflect cookies, credentials and the fields tierd adds (9110 §9.3.8):
     * 405, as nginx and ALB answer. OPTIONS with Max-Forwards: 0 ends here (§7.6.2). */
    bool trace = slice_eq(r->method, SLICE_LIT("TRACE"));
    if (trace || r->max_forwards == 0) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, trace ? 405 : 204, !t->req_done);
        txn_run(t);
        return;
    }
    if (!rule || (!rule->static_files && t->gen->tgrt[rule->tg_index].n == 0)) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, rule ? 503 : 404, !t->req_done);
        txn_run(t);
        return;
    }
    if (rule->static_files) {
        txn_static(t, rule->static_files, r);
        return;
    }
    t->tg = (int)rule->tg_index;
    if (initwait_wanted(t)) {
        /* The group is starting: wait for a verdict with the head left in c->in, or 503
         * at once when too many already wait. */
        if (initwait_park(w, t) == 0)
            return;
        buf_consume(&c->in, r->head_len);
        txn_unavailable(t);
        txn_run(t);
        return;
    }
    txn_forward(t, r);
}

/* Sends the request parsed into r, whose head starts c->in, to a target of its group. */
static void
txn_forward(struct txn *t, const struct h1_request *r)
{
    struct conn *c = t->c;

    if (r->expect_continue && !t->req_done)
        buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");

    int rc = txn_connect(t, r);
    if (t->req_done)
        t->head_in_cin = (uint32_t)r->head_len;     /* kept for a possible replay */
    else
        buf_consume(&c->in, r->head_len);
    if (rc < 0)
        txn_upstream_failed(t, rc);
    txn_run(t);
}

/* 503 for a group still starting, with the time its first checks take as Retry-After. */
static void
txn_unavailable(struct txn *t)
{
    char hdr[48];

    t->status = 503;
    t->close_after |= !t->req_done;
    t->resp_started = t->resp_head_done = t->resp_done = true;
    snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n",
             initwait_retry_after_s(&t->gen->conf.tgs[t->tg]));
    if (forward_local_response(&t->c->out, 503, t->close_after || t->c->close_after, hdr) < 0)
        t->close_after = true;
}

void
proxy_wait_done(struct txn *t, bool ready)
{
    struct conn *c = t->c;
    struct worker *w = c->w;
    struct h1_limits lim = { 8192, t->gen->conf.limits.header_bytes,
                             (unsigned)t->gen->conf.limits.headers };
    const char *why;
    /* The head was parsed before it was parked, and stays at the start of c->in, so this
     * parse cannot fail; were it to, closing is all that is left. */
    ssize_t n = h1_parse_request(buf_head(&c->in), buf_len(&c->in), &lim, &w->req, &why);

    if (n <= 0) {
        conn_close(c);
        return;
    }
    if (ready) {
        txn_forward(t, &w->req);
        return;
    }
    buf_consume(&c->in, (size_t)n);
    txn_unavailable(t);
    txn_run(t);
}

/* Moves request body bytes from c->in into u->out, re-framed. Returns 0, or the status to
 * answer (400/413) for a malformed or oversized chunked body. */
static int
txn_pump_request(struct txn *t)
{
    struct conn *c = t->c;
    struct upconn *u = t->u;

    while (!t->req_done && buf_len(&c->in) && buf_len(&u->out) < EDGE_OUT_HIGH_BYTES) {
        if (t->req_framing == H1_FRAMING_LENGTH) {
            size_t n = buf_len(&c->in);
            if (n > t->req_remaining)
                n = (size_t)t->req_remaining;
            if (n > EDGE_OUT_HIGH_BYTES - buf_len(&u->out))
                n = EDGE_OUT_HIGH_BYTES - buf_len(&u->out);
            if (buf_append(&u->out, buf_head(&c->in), n) < 0)
                return 503;
            buf_consume(&c->in, n);
            t->req_remaining -= n;
            if (!t->req_remaining)
                t->req_done = true;
        } else {
            struct slice data = { 0 };
            bool done = false;
            const char *why = NULL;
            ssize_t n = h1_chunked_parse(&t->req_chunk, buf_head(&c->in), buf_len(&c->in),
                                         &data, &done, &why);
            if (n < 0)
                return n == -EMSGSIZE ? 413 : 400;
            if (data.len) {
                buf_append_hex(&u->out, data.len);
                buf_append(&u->out, "\r\n", 2);
                buf_append(&u->out, data.p, data.len);
                buf_append(&u->out, "\r\n", 2);
            }
            buf_consume(&c->in, (size_t)n);
            if (done) {
                buf_append_str(&u->out, "0\r\n\r\n");
                t->req_done = true;
            }
            if (n == 0 && !done)
                break;
        }
    }
    return 0;
}

/* Parses the response head in u->in. Returns 1 when the head was handled, 0 when more
 * bytes are needed, or a negative value after the transaction was failed. */
static int
txn_response_head(struct txn *t)
{
    struct conn *c = t->c;
    struct upconn *u = t->u;
    struct worker *w = c->w;
    struct h1_response *r = &w->resp;
    const char *why = "";
    struct h1_limits lim = { 8192, 65536, H1_HEADERS_MAX };

    for (;;) {
        if (!buf_len(&u->in))
            return 0;
        ssize_t n = h1_parse_response(buf_head(&u->in), buf_len(&u->in), &lim, t->is_head, r,
                                      &why);
        if (n == -EAGAIN)
            return 0;
        if (n < 0) {
            log_warn("edge", "bad response from target target=%s why=\"%s\"", t->upstream_addr,
                     why);
            u->txn = NULL;
            upstream_close(u);
            t->u = NULL;
            txn_local(t, 502, !t->req_done);
            return -1;
        }
        if (r->status >= 100 && r->status < 200 && r->status != 101) {
            /* Interim responses go to HTTP/1.1 clients, except 100: tierd answered the
             * client's Expect itself and does not forward Expect. */
            if (t->version_minor == 1 && r->status != 100)
                forward_response_head(&c->out, r, t, false);
            buf_consume(&u->in, (size_t)n);
            continue;
        }
        if (r->status == 101 && !(t->upgrade && r->upgrade_websocket)) {
            log_warn("edge", "target switched protocols unasked target=%s", t->upstream_addr);
            u->txn = NULL;
            upstream_close(u);
            t->u = NULL;
            txn_local(t, 502, true);
            return -1;
        }
        t->status = r->status;
        t->resp_framing = (uint8_t)r->framing;
        t->resp_remaining = r->framing == H1_FRAMING_LENGTH ? r->content_length : 0;
        h1_chunked_init(&t->resp_chunk, 0);
        bool delimited_by_close = r->framing == H1_FRAMING_CHUNKED ||
                                  r->framing == H1_FRAMING_CLOSE;
        t->resp_chunked_out = delimited_by_close && t->version_minor == 1;
        t->resp_close_out = delimited_by_close && t->version_minor == 0;
        if (t->resp_close_out || !t->req_done || c->close_after || w->stopping)
            t->close_after = true;
        if (r->status == 101)
            t->close_after = false;
        forward_response_head(&c->out, r, t, t->close_after && r->status != 101);
        buf_consume(&u->in, (size_t)n);
        txn_drop_kept_head(t);
        t->resp_head_done = t->resp_started = true;
        if (r->status == 101) {
            /* From here on the client timer alone watches the tunnel's idle time. */
            c->state = CONN_TUNNEL;
            u->state = UP_TUNNEL;
            t->resp_done = false;
            loop_timer_stop(w->loop, &u->timer);
        } else if (r->framing == H1_FRAMING_NONE ||
                   (r->framing == H1_FRAMING_LENGTH && r->content_length == 0)) {
            t->resp_done = true;
        }
        t->target_keepalive = r->keep_alive;
        if (t->target && !atomic_load_explicit(&t->target->passive_success, memory_order_relaxed))
            atomic_store_explicit(&t->target->passive_success, true, memory_order_relaxed);
        return 1;
    }
}

/* Moves response body bytes from u->in into c->out, re-framed. Returns 0, or -1 when the
 * target broke the framing (the client connection must be aborted). */
static int
txn_pump_response(struct txn *t)
{
    struct conn *c = t->c;
    struct upconn *u = t->u;
    uint8_t framing = t->resp_framing;

    while (!t->resp_done && buf_len(&u->in) && buf_len(&c->out) < EDGE_OUT_HIGH_BYTES) {
        if (framing == H1_FRAMING_LENGTH || framing == H1_FRAMING_CLOSE) {
            size_t n = buf_len(&u->in);
            if (framing == H1_FRAMING_LENGTH && n > t->resp_remaining)
                n = (size_t)t->resp_remaining;
            if (n > EDGE_OUT_HIGH_BYTES - buf_len(&c->out))
                n = EDGE_OUT_HIGH_BYTES - buf_len(&c->out);
            if (t->resp_chunked_out) {
                buf_append_hex(&c->out, n);
                buf_append(&c->out, "\r\n", 2);
            }
            if (buf_append(&c->out, buf_head(&u->in), n) < 0)
                return -1;
            if (t->resp_chunked_out)
                buf_append(&c->out, "\r\n", 2);
            buf_consume(&u->in, n);
            t->body_bytes_sent += n;
            if (framing == H1_FRAMING_LENGTH) {
                t->resp_remaining -= n;
                if (!t->resp_remaining)
                    t->resp_done = true;
            }
        } else {
            struct slice data = { 0 };
            bool done = false;
            const char *why = NULL;
            ssize_t n = h1_chunked_parse(&t->resp_chunk, buf_head(&u->in), buf_len(&u->in),
                                         &data, &done, &why);
            if (n < 0) {
                log_warn("edge", "bad chunked response target=%s why=\"%s\"", t->upstream_addr,
                         why ? why : "");
                return -1;
            }
            if (data.len) {
                if (t->resp_chunked_out) {
                    buf_append_hex(&c->out, data.len);
                    buf_append(&c->out, "\r\n", 2);
                }
                buf_append(&c->out, data.p, data.len);
                if (t->resp_chunked_out)
                    buf_append(&c->out, "\r\n", 2);
                t->body_bytes_sent += data.len;
            }
            buf_consume(&u->in, (size_t)n);
            if (done)
                t->resp_done = true;
            if (n == 0 && !done)
                break;
        }
    }
    if (!t->resp_done && u->eof && !buf_len(&u->in)) {
        if (framing != H1_FRAMING_CLOSE) {
            log_warn("edge", "target closed mid-response target=%s", t->upstream_addr);
            return -1;
        }
        t->resp_done = true;
    }
    if (t->resp_done && t->resp_chunked_out)
        buf_append_str(&c->out, "0\r\n\r\n");
    return 0;
}

/* Tunnel: bytes both ways, untouched, with half-close passed through. */
static int
txn_pump_tunnel(struct txn *t)
{
    struct conn *c = t->c;
    struct upconn *u = t->u;

    if (buf_len(&c->in) && buf_len(&u->out) < EDGE_OUT_HIGH_BYTES) {
        size_t n = buf_len(&c->in);
        if (buf_append(&u->out, buf_head(&c->in), n) < 0)
            return -1;
        buf_consume(&c->in, n);
    }
    if (buf_len(&u->in) && buf_len(&c->out) < EDGE_OUT_HIGH_BYTES) {
        size_t n = buf_len(&u->in);
        if (buf_append(&c->out, buf_head(&u->in), n) < 0)
            return -1;
        t->body_bytes_sent += n;
        buf_consume(&u->in, n);
    }
    if (c->eof && !buf_len(&c->in) && !buf_len(&u->out) && !u->shut_wr) {
        shutdown(u->io.fd, SHUT_WR);
        u->shut_wr = true;
    }
    if (u->eof && !buf_len(&u->in) && !buf_len(&c->out) && !c->shut_wr) {
        shutdown(c->io.fd, SHUT_WR);
        c->shut_wr = true;
    }
    if (c->shut_wr && u->shut_wr)
        t->resp_done = true;
    return 0;
}

void
txn_upstream_event(struct txn *t)
{
    txn_run(t);
}

static void
on_kick(struct loop *l, struct loop_defer *d)
{
    struct conn *c = container_of(d, struct conn, kick);

    (void)l;
    if (!c->closed && c->txn)
        txn_run(c->txn);
}

/* The one place where a transaction makes progress. It yields after TXN_ROUNDS rounds so
 * that one fast stream cannot starve the worker's other connections; the readiness it
 * still holds would not be reported again (edge-triggered), so it re-queues itself. */
static void
txn_run(struct txn *t)
{
    struct conn *c = t->c;
    struct worker *w = c->w;
    const struct edge_timeouts *to = &t->gen->conf.timeouts;

    int round;

    for (round = 0; round < TXN_ROUNDS; round++) {
        /* Progress is bytes moved on a socket, or bytes moved between buffers, or a
         * peer's EOF seen. */
        uint64_t moved = w->moved;
        size_t before = buf_len(&c->in) + buf_len(&c->out) +
                        (t->u ? buf_len(&t->u->in) + buf_len(&t->u->out) : 0);
        bool was_eof = c->eof || (t->u && t->u->eof);
        struct upconn *u = t->u;

        /* Client side: read request body (or tunnel bytes) while the target keeps up. */
        size_t limit = t->gen->conf.limits.header_bytes;
        if (c->state == CONN_TUNNEL || (!t->req_done && u))
            limit = EDGE_OUT_HIGH_BYTES;
        if (!t->resp_done || c->state == CONN_TUNNEL) {
            if (conn_read(c, limit) < 0) {
                conn_close(c);
                return;
            }
        }
        if (t->wait.queued) {
            /* Parked (initwait.c): only the client going away matters until then. */
            if (c->eof)
                conn_close(c);
            return;
        }
        if (u && u->state != UP_CONNECTING && u->err == 0) {
            if (c->state == CONN_TUNNEL) {
                if (txn_pump_tunnel(t) < 0) {
                    conn_close(c);
                    return;
                }
            } else if (!t->req_done) {
                int st = txn_pump_request(t);
                if (st) {
                    if (t->resp_started) {
                        conn_close(c);
                        return;
                    }
                    txn_local(t, st, true);
                    u = NULL;
                } else if (c->eof && !t->req_done && !buf_len(&c->in)) {
                    conn_close(c);      /* the client gave up mid-body */
                    return;
                }
            }
        }
        /* Target side. */
        if (u && (u->state != UP_CONNECTING || u->err)) {
            size_t in_before = buf_len(&u->in), out_before = buf_len(&u->out);
            int rc = u->err ? u->err : upstream_io(u);
            if (rc == 0 && c->state != CONN_TUNNEL && !t->resp_head_done && u->eof &&
                !buf_len(&u->in))
                rc = -ECONNRESET;
            if (rc < 0) {
                if (t->resp_started) {
                    log_warn("edge", "target failed mid-response target=%s err=\"%s\"",
                             t->upstream_addr, strerror(-rc));
                    conn_close(c);
                    return;
                }
                txn_upstream_failed(t, rc);
                u = t->u;
                continue;
            }
            if (c->state != CONN_TUNNEL &&
                (buf_len(&u->in) != in_before || buf_len(&u->out) != out_before))
                loop_timer_start(w->loop, &u->timer,
                                 to->upstream_read_ms, on_up_timeout);
            if (c->state != CONN_TUNNEL) {
                if (!t->resp_head_done) {
                    int hr = txn_response_head(t);
                    if (hr == 0 && u->eof) {
                        /* The target closed in the middle of a response head. */
                        log_warn("edge", "truncated response head target=%s", t->upstream_addr);
                        txn_local(t, 502, !t->req_done);
                    }
                }
                if (t->u && t->resp_head_done && !t->resp_done && c->state != CONN_TUNNEL &&
                    txn_pump_response(t) < 0) {
                    conn_close(c);
                    return;
                }
            }
        }
        /* Client side: write. */
        if (conn_flush(c) < 0 || (t->file_fd >= 0 && txn_send_file(t) < 0)) {
            conn_close(c);
            return;
        }
        if (c->state == CONN_TUNNEL && t->resp_done) {
            conn_close(c);
            return;
        }
        if (t->resp_done && c->state != CONN_TUNNEL && !buf_len(&c->out)) {
            txn_finish(t);
            return;
        }
        size_t after = buf_len(&c->in) + buf_len(&c->out) +
                       (t->u ? buf_len(&t->u->in) + buf_len(&t->u->out) : 0);
        bool now_eof = c->eof || (t->u && t->u->eof);
        if (moved == w->moved && after == before && now_eof == was_eof)
            break;
    }
    if (round == TXN_ROUNDS)
        loop_defer(w->loop, &c->kick, on_kick);
    /* Client timer: the write gap while output waits, the body gap while input is due,
     * the tunnel idle time in a tunnel; none while only the target is awaited. */
    if (c->state == CONN_TUNNEL)
        conn_timer(c, to->tunnel_ms);
    else if (buf_len(&c->out) && !c->wr_ready)
        conn_timer(c, to->send_ms);
    else if (!t->req_done)
        conn_timer(c, to->client_body_ms);
    else
        loop_timer_stop(w->loop, &c->timer);
}

static void
txn_finish(struct txn *t)
{
    struct conn *c = t->c;
    struct worker *w = c->w;
    uint64_t now = clock_mono_us();

    accesslog_write(w, t, now);
    stats_txn_done(w, t, now);
    guard_response(t);
    if (t->target) {
        struct target *tg = t->target;
        atomic_fetch_add_explicit(&tg->requests, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&tg->latency_us_sum, now - t->upstream_start_us,
                                  memory_order_relaxed);
        if (t->status >= 500)
            atomic_fetch_add_explicit(&tg->errors, 1, memory_order_relaxed);
    }
    if (t->u) {
        struct upconn *u = t->u;
        bool reusable = t->req_done && t->target_keepalive &&
                        t->resp_framing != H1_FRAMING_CLOSE && t->resp_done;
        t->u = NULL;
        upstream_release(u, reusable);
    }
    txn_drop_kept_head(t);
    bool close_after = t->close_after || c->close_after;
    c->txn = NULL;
    txn_free(t);
    c->nrequests++;
    if (close_after) {
        conn_linger(c);
        return;
    }
    c->state = CONN_IDLE;
    c->head_scan = 0;
    buf_release(&c->in);
    conn_timer(c, w->gen->conf.timeouts.keepalive_ms);
    if (buf_len(&c->in) || c->rd_ready || c->eof)
        conn_run(c);
}

/* ------------------------------------------------------------------ heads and idle */

static void
conn_bad_request(struct conn *c, int status, const char *why)
{
    struct txn *t = txn_new(c);

    log_debug("edge", "bad request status=%d why=\"%s\"", status, why);
    if (!t) {
        conn_close(c);
        return;
    }
    /* Log the request line as far as it is printable text. */
    size_t n = 0, len = buf_len(&c->in);
    const char *p = buf_head(&c->in);
    while (n < len && n < 512 && p[n] != '\r' && p[n] != '\n')
        n++;
    t->logmem = malloc(n + 1);
    if (t->logmem) {
        memcpy(t->logmem, p, n);
        t->logmem[n] = '\0';
        t->log_request = t->logmem;
    }
    buf_consume(&c->in, len);
    c->rd_ready = false;
    txn_local(t, status, true);
    txn_run(t);
}

static void
conn_run(struct conn *c)
{
    struct worker *w = c->w;
    const struct edge_conf *conf = &w->gen->conf;

    if (c->closed)
        return;
    if (c->state == CONN_LINGER) {
        if (conn_flush(c) < 0) {
            conn_close(c);
            return;
        }
        if (buf_len(&c->out))
            return;
        if (!c->shut_wr) {
            shutdown(c->io.fd, SHUT_WR);
            c->shut_wr = true;
        }
        char discard[4096];
        for (;;) {
            ssize_t n = recv(c->io.fd, discard, sizeof(discard), 0);
            if (n > 0)
                continue;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return;
            conn_close(c);      /* EOF or error */
            return;
        }
    }
    if (c->state != CONN_IDLE && c->state != CONN_HEAD)
        return;

    size_t limit = conf->limits.header_bytes;
    if (conn_read(c, limit) < 0) {
        conn_close(c);
        return;
    }
    size_t len = buf_len(&c->in);
    if (len == 0) {
        if (c->eof || c->close_after)
            conn_close(c);
        else
            buf_release(&c->in);
        return;
    }
    if (c->state == CONN_IDLE) {
        c->state = CONN_HEAD;
        conn_timer(c, conf->timeouts.client_header_ms);
        h1_request_prefix_init(&c->head_check);
    }
    struct h1_limits lim = { 8192, conf->limits.header_bytes, (unsigned)conf->limits.headers };
    const char *why = "";
    ssize_t end = h1_head_end(buf_head(&c->in), len, c->head_scan > 3 ? c->head_scan - 3u : 0);
    if (end < 0 && len <= limit) {
        c->head_scan = (uint16_t)(len < 65535 ? len : 65535);
        /* Bytes that can never become a request (a TLS ClientHello, an SSH banner, a
         * broken request-line) are answered now, not at client_header, as nginx does. */
        int st;
        if (h1_request_prefix_check(&c->head_check, buf_head(&c->in), len, &lim, &st, &why) ==
            -EBADMSG) {
            conn_bad_request(c, st, why);
            return;
        }
        if (c->eof)
            conn_close(c);      /* an incomplete head and nothing more will come */
        return;
    }
    ssize_t n = h1_parse_request(buf_head(&c->in), len, &lim, &w->req, &why);
    if (n == -EAGAIN) {
        if (len > limit)
            conn_bad_request(c, 431, "head too large");
        return;
    }
    if (n < 0) {
        conn_bad_request(c, w->req.error_status ? w->req.error_status : 400, why);
        return;
    }
    c->head_scan = 0;
    loop_timer_stop(w->loop, &c->timer);
    txn_start(c);
}

/* ------------------------------------------------------------------ draining */

#define PROXY_SWEEP_MS 1000

/* Closes work bound to targets whose drain ended (deregistration delay passed): a
 * request not yet answered gets 502, as ALB does; anything else (a response being
 * streamed, a WebSocket tunnel) is closed. */
static void
on_sweep(struct loop *l, struct loop_timer *tm)
{
    struct worker *w = container_of(tm, struct worker, sweep_timer);

    for (struct conn *c = w->conns; c; c = c->next) {
        struct txn *t = c->txn;
        if (c->closed || !t || !t->target || target_state_get(t->target) != TARGET_UNUSED)
            continue;
        if (!t->resp_started) {
            txn_local(t, 502, true);
            txn_run(t);
        } else {
            conn_close(c);
        }
    }
    loop_timer_start(l, &w->sweep_timer, PROXY_SWEEP_MS, on_sweep);
}

void
proxy_sweep_start(struct worker *w)
{
    loop_timer_start(w->loop, &w->sweep_timer, PROXY_SWEEP_MS, on_sweep);
}
