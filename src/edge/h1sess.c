/*
 * edge/h1sess.c: the HTTP/1 session (session.h). Between transactions it reads request
 * heads from c->in, refuses bytes that can never become a request as soon as they
 * arrive, answers heads that are too large or malformed, and starts one transaction per
 * request; pipelined requests wait in c->in and are answered in order. When a
 * transaction ends it keeps the connection for the next request or lingers it closed.
 * Owns no memory of its own: its state is the connection's (state, head_scan, head_check).
 */
#include "edge/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "edge/accesslog.h"
#include "edge/conn.h"
#include "edge/forward.h"
#include "edge/gen.h"
#include "edge/stats.h"
#include "edge/txn.h"
#include "edge/worker.h"

/* Answers a request that cannot be parsed through a transaction, so that it is logged
 * and counted like any other. */
static void
h1sess_bad_request(struct conn *c, int status, const char *why)
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
    /* A TLS ClientHello (a handshake record, 0x16 0x03): what the log shows instead of
     * its bytes. The client gets the 400 at once, as from nginx and HAProxy; its TLS
     * library reports a non-TLS answer ("wrong version number"). */
    bool tls_hello = len >= 2 && p[0] == 0x16 && p[1] == 0x03;
    if (tls_hello) {
        log_debug("edge", "TLS handshake on a plain HTTP listener peer_port=%u", c->peer_port);
        t->log_request = "(TLS handshake on a plain HTTP listener)";
    }
    t->logmem = tls_hello ? NULL : malloc(n + 1);
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
h1sess_on_io(struct conn *c)
{
    struct worker *w = c->w;
    const struct edge_conf *conf = &w->gen->conf;

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
            h1sess_bad_request(c, st, why);
            return;
        }
        if (c->eof)
            conn_close(c);      /* an incomplete head and nothing more will come */
        return;
    }
    ssize_t n = h1_parse_request(buf_head(&c->in), len, &lim, &w->req, &why);
    if (n == -EAGAIN) {
        if (len > limit)
            h1sess_bad_request(c, 431, "head too large");
        return;
    }
    if (n < 0) {
        h1sess_bad_request(c, w->req.error_status ? w->req.error_status : 400, why);
        return;
    }
    c->head_scan = 0;
    loop_timer_stop(w->loop, &c->timer);
    txn_start(c);
}

static void
h1sess_on_txn_io(struct conn *c)
{
    txn_run(c->txn);
}

static void
h1sess_on_timeout(struct conn *c)
{
    switch (c->state) {
    case CONN_HEAD:
        /* Slow or stalled head (slowloris): 408 and close. */
        c->wr_ready = true;
        forward_local_response(&c->out, 408, true, NULL);
        conn_flush(c);
        conn_close(c);
        return;
    case CONN_TXN:
        if (c->txn && !txn_resp_started(c->txn)) {
            /* The body stalled: 408. */
            c->txn->status = 408;
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
h1sess_on_close(struct conn *c)
{
    struct txn *t = c->txn;

    if (!t)
        return;
    uint64_t now = clock_mono_us();
    if (t->phase != TXN_DONE && t->status == 0)
        t->status = 499;        /* nginx's code for "client went away"; log only */
    accesslog_write(c->w, t, now);
    stats_txn_done(c->w, t, now);
    c->txn = NULL;
    txn_free(t);
}

static void
h1sess_on_txn_done(struct conn *c, bool close_after)
{
    c->nrequests++;
    if (close_after) {
        conn_linger(c);
        return;
    }
    c->state = CONN_IDLE;
    c->head_scan = 0;
    buf_release(&c->in);
    conn_timer(c, c->w->gen->conf.timeouts.keepalive_ms);
    if (buf_len(&c->in) || c->rd_ready || c->eof)
        h1sess_on_io(c);
}

const struct session_ops h1sess_session = {
    .name = "http/1.1",
    .on_io = h1sess_on_io,
    .on_txn_io = h1sess_on_txn_io,
    .on_timeout = h1sess_on_timeout,
    .on_close = h1sess_on_close,
    .on_txn_done = h1sess_on_txn_done,
};
