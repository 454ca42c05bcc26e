/*
 * edge/txn.c: transactions, one request/response exchange each (txn.h has the phases and
 * their transitions). Routes a parsed request (a target group, a static root, or a local
 * answer), picks a target and an upstream connection, retries idempotent bodiless
 * requests on another target until a response byte is sent, answers 502/503/504 as ALB
 * does, and ends by logging, counting and handing the connection back to its session.
 * txn_run() is the one place that makes progress; relay.c moves the client's bytes and
 * the group's upstream protocol (uproto.h) the target's.
 */
#include "edge/txn.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "edge/accesslog.h"
#include "edge/balance.h"
#include "edge/conn.h"
#include "edge/forward.h"
#include "edge/gen.h"
#include "edge/guard.h"
#include "edge/health.h"
#include "edge/redirect.h"
#include "edge/route.h"
#include "edge/session.h"
#include "edge/static.h"
#include "edge/stats.h"
#include "edge/sticky.h"
#include "edge/upstream.h"
#include "edge/uproto.h"
#include "edge/uptls.h"
#include "edge/worker.h"

#define TXN_MAX_ATTEMPTS 3
#define TXN_ROUNDS 16
/* The methods tierd forwards that a client may rely on; extension methods pass too. */
#define TXN_ALLOW "Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH\r\n"

static void txn_finish(struct txn *t);
static void txn_forward(struct txn *t, const struct h1_request *r);
static void txn_unavailable(struct txn *t);

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

void
txn_free(struct txn *t)
{
    initwait_cancel(t);
    if (t->file_fd >= 0)
        close(t->file_fd);
    if (t->target)
        txn_set_target(t, -1);
    if (t->u) {
        upstream_close(t->u);
    }
    buf_fini(&t->req_trailers);
    buf_fini(&t->resp_trailers);
    gen_release(t->gen);
    free(t->logmem);
    free(t);
}

static void
hex_id(struct worker *w, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = rng_next(&w->rng), b = rng_next(&w->rng);

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
    /* An HTTP/2 stream's head was translated to HTTP/1.1: log the protocol it came in. */
    if (conn_is_stream(t->c) && line >= 8 && memcmp(t->logmem + line - 8, "HTTP/1.1", 8) == 0)
        memcpy(t->logmem + line - 8, "HTTP/2.0", 8);
    t->log_referer = m;
    m = copy_field(m, referer);
    t->log_ua = m;
    m = copy_field(m, ua);
    t->log_host = m;
    copy_field(m, r->host);
}

struct txn *
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
void
txn_local(struct txn *t, int status, bool close)
{
    struct conn *c = t->c;

    if (t->u) {
        upstream_close(t->u);
        t->u = NULL;
    }
    if (close)
        t->close_after = true;
    t->status = status;
    t->phase = TXN_DONE;
    txn_drop_kept_head(t);
    /* tierd's own 405 (CONNECT, TRACE) and 204 (OPTIONS with Max-Forwards: 0) say what
     * it forwards (9110 §15.5.6, §9.3.7). */
    const char *extra = status == 405 || status == 204 ? TXN_ALLOW : NULL;
    size_t at = buf_len(&c->out);
    if (forward_local_response(&c->out, status, t->close_after || c->close_after, extra) < 0)
        t->close_after = true;
    else if (forward_hsts(t))
        forward_add_field(&c->out, at, "Strict-Transport-Security", forward_hsts(t));
}

/* The upstream connection's owner callback: whatever happened, the transaction looks. */
static void
txn_on_upstream(struct upconn *u, void *owner)
{
    (void)u;
    txn_run(owner);
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
        .rnd = rng_next(&w->rng),
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
    t->up_ops = uproto_of(tc->protocol);
    struct uptls *tls = NULL;
    if (tc->protocol == EDGE_TG_PROTO_HTTPS) {
        char why[320];
        if (!(tls = uptls_get(&w->uptls, tc, why, sizeof(why)))) {
            log_warn("edge", "no TLS to target group=%s err=\"%s\"", tc->name, why);
            return -EPROTO;
        }
    }
    /* Bodiless and idempotent: its head stays in c->in for a replay (txn_forward). */
    bool replayable = t->req_done && t->idempotent;
    struct upconn *u = upstream_get_as(w, &t->target->addr, tls, t->target->addr_text,
                                       replayable || !t->up_ops->fresh_unless_replayable,
                                       &t->reused, &err);
    if (!u)
        return err;
    t->u = u;
    upstream_set_owner(u, txn_on_upstream, t);
    u->err = 0;
    u->eof = u->hup = false;
    t->upstream_addr = t->target->addr_text;
    t->upstream_start_us = clock_mono_us();
    if (t->up_ops->request_head(t, r) < 0)
        return -ENOMEM;
    upstream_timer(u, u->state == UP_CONNECTING ? t->gen->conf.timeouts.upstream_connect_ms
                                                : t->gen->conf.timeouts.upstream_read_ms);
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
    size_t at = buf_len(&c->out);
    if (static_serve(sc, r, keep, (int64_t)(clock_wall_ms() / 1000), &c->out, &sr) < 0) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, 503, true);
        txn_run(t);
        return;
    }
    if (forward_hsts(t))
        forward_add_field(&c->out, at, "Strict-Transport-Security", forward_hsts(t));
    buf_consume(&c->in, r->head_len);
    t->req_done = true;
    t->status = sr.status;
    t->file_fd = sr.fd;
    t->file_off = sr.offset;
    t->file_left = sr.length;
    if (sr.close)
        t->close_after = true;
    t->phase = t->file_left == 0 ? TXN_DONE : TXN_BODY;
    txn_run(t);
}

/* An ACME http-01 validation request whose token the ACME client is validating gets its
 * key authorization (RFC 8555 §8.3), before the listener's rules and the shield (the CA
 * must reach it). Returns true when it answered. */
static bool
txn_challenge(struct txn *t, const struct h1_request *r)
{
    static const struct slice prefix = SLICE_LIT("/.well-known/acme-challenge/");
    const struct edge *e = t->c->w->edge;
    struct conn *c = t->c;
    char token[129], ka[256];

    if (!e->challenge || r->path.len <= prefix.len || r->path.len - prefix.len >= sizeof(token) ||
        memcmp(r->path.p, prefix.p, prefix.len) != 0)
        return false;
    memcpy(token, r->path.p + prefix.len, r->path.len - prefix.len);
    token[r->path.len - prefix.len] = '\0';
    if (!e->challenge(e->challenge_ctx, token, ka, sizeof(ka)))
        return false;
    buf_consume(&c->in, r->head_len);
    if (!t->req_done)
        t->close_after = true;
    t->status = 200;
    t->phase = TXN_DONE;
    txn_drop_kept_head(t);
    if (buf_printf(&c->out, "HTTP/1.1 200 OK\r\nServer: tierd\r\nContent-Type: text/plain\r\n"
                   "Content-Length: %zu\r\n%s\r\n%s", strlen(ka),
                   t->close_after || c->close_after ? "Connection: close\r\n" : "",
                   t->is_head ? "" : ka) < 0)
        t->close_after = true;
    txn_run(t);
    return true;
}

/* ALB's redirect action: 301 or 302 with the Location the rule builds, and nothing
 * forwarded. */
static void
txn_redirect(struct txn *t, const struct edge_redirect_conf *rd, const struct h1_request *r)
{
    struct conn *c = t->c;
    struct buf hdr = { 0 };
    const struct edge_tls_conf *tls = t->lc->tls;
    struct redirect_req q = { .tls = tls != NULL, .host = r->host, .port = c->local_port,
                              .path = r->path.len ? r->path : SLICE_LIT("/"),
                              .query = r->query };

    if (!r->host.len) {
        /* HTTP/1.0 without Host: there is no name to send the client to. */
        txn_local(t, 400, true);
        return;
    }
    t->status = (int)rd->status;
    t->phase = TXN_DONE;
    t->close_after |= !t->req_done;
    if (buf_append_str(&hdr, "Location: ") < 0 || redirect_location(rd, &q, &hdr) < 0 ||
        buf_append_str(&hdr, "\r\n") < 0 ||
        (forward_hsts(t) && buf_printf(&hdr, "Strict-Transport-Security: %s\r\n",
                                       forward_hsts(t)) < 0) ||
        buf_append(&hdr, "", 1) < 0 ||
        forward_local_response(&c->out, t->status, t->close_after || c->close_after,
                               buf_head(&hdr)) < 0)
        t->close_after = true;
    buf_fini(&hdr);
}

/* Starts the transaction for the request parsed into w->req from c->in. */
void
txn_start(struct conn *c)
{
    struct worker *w = c->w;
    const struct h1_request *r = &w->req;
    struct txn *t = txn_new(c);

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

    int li = gen_listener_of(w->gen, c->listener_id);
    if (li < 0) {
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
    if (txn_challenge(t, r))
        return;
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
    if (rule && rule->redirect) {
        buf_consume(&c->in, r->head_len);
        txn_redirect(t, rule->redirect, r);
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
    if (r->framing == H1_FRAMING_CHUNKED &&
        uproto_of(t->gen->conf.tgs[t->tg].protocol)->needs_length) {
        buf_consume(&c->in, r->head_len);
        txn_local(t, 411, true);
        txn_run(t);
        return;
    }
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
    t->phase = TXN_DONE;
    snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n",
             initwait_retry_after_s(&t->gen->conf.tgs[t->tg]));
    if (forward_local_response(&t->c->out, 503, t->close_after || t->c->close_after, hdr) < 0)
        t->close_after = true;
}

void
txn_wait_done(struct txn *t, bool ready)
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
void
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
        /* Each side's EOF on its own: the target's end after the client's is progress too
         * (a tunnel passes it on in the next round). */
        unsigned was_eof = (c->eof ? 1u : 0u) | (t->u && t->u->eof ? 2u : 0u);
        struct upconn *u = t->u;

        /* Client side: read request body (or tunnel bytes) while the target keeps up. */
        size_t limit = t->gen->conf.limits.header_bytes;
        if (c->state == CONN_TUNNEL || (!t->req_done && u))
            limit = EDGE_OUT_HIGH_BYTES;
        if (t->phase != TXN_DONE || c->state == CONN_TUNNEL) {
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
                if (t->up_ops->tunnel(t) < 0) {
                    conn_close(c);
                    return;
                }
            } else if (!t->req_done) {
                int st = relay_request(t);
                if (st) {
                    if (txn_resp_started(t)) {
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
            if (rc == 0 && c->state != CONN_TUNNEL && t->phase == TXN_AWAIT_HEAD && u->eof &&
                !buf_len(&u->in))
                rc = -ECONNRESET;
            if (rc < 0) {
                if (txn_resp_started(t)) {
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
                upstream_timer(u, to->upstream_read_ms);
            if (c->state != CONN_TUNNEL) {
                if (t->phase == TXN_AWAIT_HEAD) {
                    bool close = false;
                    int hr = t->up_ops->response_head(t, &close);
                    if (hr == 1) {
                        txn_drop_kept_head(t);
                    } else if (hr < 0) {
                        txn_local(t, -hr, close);
                    } else if (u->eof) {
                        /* The target closed in the middle of a response head. */
                        log_warn("edge", "truncated response head target=%s", t->upstream_addr);
                        txn_local(t, 502, !t->req_done);
                    }
                }
                if (t->u && txn_resp_started(t) && t->phase != TXN_DONE && c->state != CONN_TUNNEL &&
                    t->up_ops->response_body(t) < 0) {
                    conn_close(c);
                    return;
                }
            }
        }
        /* Client side: write (a file's head goes with the file: relay_file first). */
        if ((t->file_fd >= 0 && relay_file(t) < 0) || conn_flush(c) < 0) {
            conn_close(c);
            return;
        }
        if (c->state == CONN_TUNNEL && t->phase == TXN_DONE) {
            conn_close(c);
            return;
        }
        if (t->phase == TXN_DONE && c->state != CONN_TUNNEL && !buf_len(&c->out)) {
            txn_finish(t);
            return;
        }
        size_t after = buf_len(&c->in) + buf_len(&c->out) +
                       (t->u ? buf_len(&t->u->in) + buf_len(&t->u->out) : 0);
        unsigned now_eof = (c->eof ? 1u : 0u) | (t->u && t->u->eof ? 2u : 0u);
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
        bool reusable = t->req_done && t->phase == TXN_DONE && t->up_ops->reusable(t);
        t->u = NULL;
        upstream_release(u, reusable);
    }
    txn_drop_kept_head(t);
    bool close_after = t->close_after || c->close_after;
    c->txn = NULL;
    txn_free(t);
    conn_sess(c)->on_txn_done(c, close_after);
}

/* ---- draining ---- */

#define TXN_SWEEP_MS 1000

/* Closes work bound to targets whose drain ended (deregistration delay passed): a
 * request not yet answered gets 502, as ALB does; anything else (a response being
 * streamed, a WebSocket tunnel) is closed. */
static void
txn_sweep_conn(struct conn *c)
{
    struct txn *t = c->txn;

    if (c->closed || !t || !t->target || target_state_get(t->target) != TARGET_UNUSED)
        return;
    if (!txn_resp_started(t)) {
        txn_local(t, 502, true);
        txn_run(t);
    } else {
        conn_close(c);
    }
}

static void
on_sweep(struct loop *l, struct loop_timer *tm)
{
    struct worker *w = container_of(tm, struct worker, sweep_timer);

    for (struct conn *c = w->conns; c; c = c->next) {
        txn_sweep_conn(c);
        /* HTTP/2: the transactions run on the connection's streams. */
        if (!c->closed && conn_sess(c)->each_stream)
            conn_sess(c)->each_stream(c, txn_sweep_conn);
    }
    loop_timer_start(l, &w->sweep_timer, TXN_SWEEP_MS, on_sweep);
}

void
txn_sweep_start(struct worker *w)
{
    loop_timer_start(w->loop, &w->sweep_timer, TXN_SWEEP_MS, on_sweep);
}
