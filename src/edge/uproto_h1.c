/*
 * edge/uproto_h1.c: HTTP/1.1 as the upstream protocol (uproto.h). Writes the request head
 * as forward.c rewrites it, frames the request body as the client framed it (a length
 * stays a length, chunked stays chunked), parses the target's response heads with the
 * strict parser of http/h1_response.c, decodes the response body (a length, chunked with
 * its trailers, or up to EOF), says when a connection may go back to its pool, and relays
 * a WebSocket tunnel's bytes after 101. Keeps its per-transaction state in t->ups.h1; owns
 * no memory.
 */
#include "edge/uproto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "edge/conn.h"
#include "edge/forward.h"
#include "edge/transport.h"
#include "edge/txn.h"
#include "edge/upstream.h"
#include "edge/worker.h"

/* The target's response head: 8 KiB for the status line, 64 KiB in all. */
#define UPROTO_H1_LINE_MAX_BYTES 8192
#define UPROTO_H1_HEAD_MAX_BYTES 65536

/* A body on GET, HEAD or DELETE "has no generally defined semantics" (RFC 9110 §9.3.1,
 * 9.3.2, 9.3.5): it is forwarded whole with its framing, but a target may answer without
 * reading it (Python's http.server does), leaving it to prefix the next request on the
 * connection. Such a connection is closed after the exchange instead of pooled. */
static bool
h1_body_is_odd(const struct h1_request *r)
{
    if (r->framing == H1_FRAMING_NONE ||
        (r->framing == H1_FRAMING_LENGTH && r->content_length == 0))
        return false;
    return slice_eq(r->method, SLICE_LIT("GET")) || slice_eq(r->method, SLICE_LIT("HEAD")) ||
           slice_eq(r->method, SLICE_LIT("DELETE"));
}

static int
h1_request_head(struct txn *t, const struct h1_request *r)
{
    t->ups.h1.req_chunked = r->framing == H1_FRAMING_CHUNKED;
    t->ups.h1.odd_body = h1_body_is_odd(r);
    return forward_request_head(&t->u->out, r, t->c, t);
}

static int
h1_request_data(struct txn *t, const void *p, size_t n)
{
    struct buf *out = &t->u->out;

    if (t->ups.h1.req_chunked) {
        buf_append_hex(out, n);
        buf_append(out, "\r\n", 2);
    }
    if (buf_append(out, p, n) < 0)
        return -ENOMEM;
    if (t->ups.h1.req_chunked)
        buf_append(out, "\r\n", 2);
    return 0;
}

static int
h1_request_end(struct txn *t)
{
    /* The client's trailers go on with the body's end (relay_trailers_put() filters). */
    if (t->ups.h1.req_chunked && relay_trailers_put(&t->u->out, &t->req_trailers) < 0)
        return -ENOMEM;
    return 0;
}

static int
h1_response_head(struct txn *t, bool *close)
{
    struct upconn *u = t->u;
    struct h1_response *r = &t->c->w->resp;
    const char *why = "";
    struct h1_limits lim = { UPROTO_H1_LINE_MAX_BYTES, UPROTO_H1_HEAD_MAX_BYTES,
                             H1_HEADERS_MAX };

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
            *close = !t->req_done;
            return -502;
        }
        int rc = relay_response_head(t, r);
        if (rc < 0) {
            *close = true;
            return rc;
        }
        if (rc == 1) {
            t->ups.h1.resp_framing = (uint8_t)r->framing;
            t->ups.h1.resp_remaining = r->framing == H1_FRAMING_LENGTH ? r->content_length : 0;
            t->ups.h1.keepalive = r->keep_alive;
            h1_chunked_init(&t->ups.h1.resp_chunk, 0);
        }
        buf_consume(&u->in, (size_t)n);
        if (rc == 1)
            return 1;
    }
}

static int
h1_response_body(struct txn *t)
{
    struct upconn *u = t->u;
    uint8_t framing = t->ups.h1.resp_framing;

    while (t->phase != TXN_DONE && buf_len(&u->in) && relay_body_room(t)) {
        if (framing == H1_FRAMING_LENGTH || framing == H1_FRAMING_CLOSE) {
            size_t n = buf_len(&u->in), room = relay_body_room(t);
            if (framing == H1_FRAMING_LENGTH && n > t->ups.h1.resp_remaining)
                n = (size_t)t->ups.h1.resp_remaining;
            if (n > room)
                n = room;
            if (relay_body_put(t, buf_head(&u->in), n) < 0)
                return -1;
            buf_consume(&u->in, n);
            if (framing == H1_FRAMING_LENGTH) {
                t->ups.h1.resp_remaining -= n;
                if (!t->ups.h1.resp_remaining)
                    relay_body_end(t);
            }
        } else {
            struct slice data = { 0 };
            bool done = false;
            const char *why = NULL;
            ssize_t n = h1_chunked_parse(&t->ups.h1.resp_chunk, buf_head(&u->in),
                                         buf_len(&u->in), &data, &done, &why);
            if (n < 0) {
                log_warn("edge", "bad chunked response target=%s why=\"%s\"", t->upstream_addr,
                         why ? why : "");
                return -1;
            }
            if (data.len && relay_body_put(t, data.p, data.len) < 0)
                return -1;
            if (relay_trailers_take(&t->resp_trailers, &t->ups.h1.resp_chunk) < 0)
                return -1;
            buf_consume(&u->in, (size_t)n);
            if (done)
                relay_body_end(t);
            if (n == 0 && !done)
                break;
        }
    }
    if (t->phase != TXN_DONE && u->eof && !buf_len(&u->in)) {
        if (framing != H1_FRAMING_CLOSE) {
            log_warn("edge", "target closed mid-response target=%s", t->upstream_addr);
            return -1;
        }
        relay_body_end(t);
    }
    return 0;
}

/* A close-delimited response used the connection up, and one that carried an odd body is
 * in a state nobody knows; otherwise the target's word. */
static bool
h1_reusable(const struct txn *t)
{
    return t->ups.h1.keepalive && t->ups.h1.resp_framing != H1_FRAMING_CLOSE &&
           !t->ups.h1.odd_body;
}

static int
h1_tunnel(struct txn *t)
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
        upstream_shutdown_wr(u);
    }
    if (u->eof && !buf_len(&u->in) && !buf_len(&c->out) && !c->shut_wr) {
        conn_tp(c)->shutdown_wr(c);
        c->shut_wr = true;
    }
    if (c->shut_wr && u->shut_wr)
        t->phase = TXN_DONE;
    return 0;
}

const struct uproto_ops uproto_h1_ops = {
    .name = "http",
    .request_head = h1_request_head,
    .request_data = h1_request_data,
    .request_end = h1_request_end,
    .response_head = h1_response_head,
    .response_body = h1_response_body,
    .reusable = h1_reusable,
    .tunnel = h1_tunnel,
};
