/*
 * edge/relay.c: the bytes of one transaction between its four buffers: a request body
 * from c->in into u->out (re-framed), the response head and body from u->in into c->out
 * (re-framed: chunked towards HTTP/1.1 clients when the target's framing is not a
 * length, close-delimited towards HTTP/1.0 ones), a tunnel's bytes both ways, and a
 * static file with sendfile through the transport. Decides no response status and ends
 * nothing: txn.c acts on what these functions return. Declared in txn.h.
 */
#include "edge/txn.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "edge/conn.h"
#include "edge/forward.h"
#include "edge/target.h"
#include "edge/transport.h"
#include "edge/upstream.h"
#include "edge/worker.h"

int
relay_request(struct txn *t)
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

int
relay_response_head(struct txn *t, bool *close)
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
            *close = !t->req_done;
            return -502;
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
            *close = true;
            return -502;
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
        t->phase = TXN_BODY;
        if (r->status == 101) {
            /* From here on the client timer alone watches the tunnel's idle time. */
            c->state = CONN_TUNNEL;
            u->state = UP_TUNNEL;
            t->phase = TXN_TUNNEL;
            loop_timer_stop(w->loop, &u->timer);
        } else if (r->framing == H1_FRAMING_NONE ||
                   (r->framing == H1_FRAMING_LENGTH && r->content_length == 0)) {
            t->phase = TXN_DONE;
        }
        t->target_keepalive = r->keep_alive;
        if (t->target && !atomic_load_explicit(&t->target->passive_success, memory_order_relaxed))
            atomic_store_explicit(&t->target->passive_success, true, memory_order_relaxed);
        return 1;
    }
}

int
relay_response(struct txn *t)
{
    struct conn *c = t->c;
    struct upconn *u = t->u;
    uint8_t framing = t->resp_framing;

    while (t->phase != TXN_DONE && buf_len(&u->in) && buf_len(&c->out) < EDGE_OUT_HIGH_BYTES) {
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
                    t->phase = TXN_DONE;
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
                t->phase = TXN_DONE;
            if (n == 0 && !done)
                break;
        }
    }
    if (t->phase != TXN_DONE && u->eof && !buf_len(&u->in)) {
        if (framing != H1_FRAMING_CLOSE) {
            log_warn("edge", "target closed mid-response target=%s", t->upstream_addr);
            return -1;
        }
        t->phase = TXN_DONE;
    }
    if (t->phase == TXN_DONE && t->resp_chunked_out)
        buf_append_str(&c->out, "0\r\n\r\n");
    return 0;
}

int
relay_tunnel(struct txn *t)
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
        conn_tp(c)->shutdown_wr(c);
        c->shut_wr = true;
    }
    if (c->shut_wr && u->shut_wr)
        t->phase = TXN_DONE;
    return 0;
}

int
relay_file(struct txn *t)
{
    struct conn *c = t->c;

    while (t->file_left && c->wr_ready && !buf_len(&c->out)) {
        size_t want = t->file_left > (1u << 20) ? (1u << 20) : (size_t)t->file_left;
        ssize_t n = conn_tp(c)->sendfile(c, t->file_fd, &t->file_off, want);
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
        t->phase = TXN_DONE;
    return 0;
}
