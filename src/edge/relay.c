/*
 * edge/relay.c: the client's side of one transaction's bytes. A request body is decoded
 * from the client's framing (a length, or chunked) and handed to the upstream protocol
 * (uproto.h), which frames it for the target; the response head and body the protocol
 * decodes come back here and go to c->out in the client's framing (chunked towards
 * HTTP/1.1 clients when the end is not known from a length, close-delimited towards
 * HTTP/1.0 ones), trailers with it when the client's framing can carry them (chunked, and
 * only the fields RFC 9110 §6.5.1 lets travel in a trailer); a static file goes out with
 * sendfile through the transport. Decides no response status and ends nothing: txn.c acts
 * on what these functions return. Declared in txn.h.
 */
#include "edge/txn.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

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
    const struct uproto_ops *up = t->up_ops;

    while (!t->req_done && buf_len(&c->in) && buf_len(&u->out) < EDGE_OUT_HIGH_BYTES) {
        if (t->req_framing == H1_FRAMING_LENGTH) {
            size_t n = buf_len(&c->in);
            if (n > t->req_remaining)
                n = (size_t)t->req_remaining;
            if (n > EDGE_OUT_HIGH_BYTES - buf_len(&u->out))
                n = EDGE_OUT_HIGH_BYTES - buf_len(&u->out);
            if (up->request_data(t, buf_head(&c->in), n) < 0)
                return 503;
            buf_consume(&c->in, n);
            t->req_remaining -= n;
            if (!t->req_remaining) {
                t->req_done = true;
                if (up->request_end(t) < 0)
                    return 503;
            }
        } else {
            struct slice data = { 0 };
            bool done = false;
            const char *why = NULL;
            ssize_t n = h1_chunked_parse(&t->req_chunk, buf_head(&c->in), buf_len(&c->in),
                                         &data, &done, &why);
            if (n < 0)
                return n == -EMSGSIZE ? 413 : 400;
            if (data.len && up->request_data(t, data.p, data.len) < 0)
                return 503;
            if (relay_trailers_take(&t->req_trailers, &t->req_chunk) < 0)
                return 503;
            buf_consume(&c->in, (size_t)n);
            if (done) {
                t->req_done = true;
                if (up->request_end(t) < 0)
                    return 503;
            }
            if (n == 0 && !done)
                break;
        }
    }
    return 0;
}

int
relay_response_head(struct txn *t, const struct h1_response *r)
{
    struct conn *c = t->c;
    struct upconn *u = t->u;
    struct worker *w = c->w;

    if (r->status >= 100 && r->status < 200 && r->status != 101) {
        /* Interim responses go to HTTP/1.1 clients, except 100: tierd answered the
         * client's Expect itself and does not forward Expect. */
        if (t->version_minor == 1 && r->status != 100)
            forward_response_head(&c->out, r, t, false);
        return 0;
    }
    if (r->status == 101 && !(t->upgrade && r->upgrade_websocket)) {
        log_warn("edge", "target switched protocols unasked target=%s", t->upstream_addr);
        return -502;
    }
    t->status = r->status;
    bool delimited_by_close = r->framing == H1_FRAMING_CHUNKED ||
                              r->framing == H1_FRAMING_CLOSE;
    t->resp_chunked_out = delimited_by_close && t->version_minor == 1;
    t->resp_close_out = delimited_by_close && t->version_minor == 0;
    if (t->resp_close_out || !t->req_done || c->close_after || w->stopping)
        t->close_after = true;
    if (r->status == 101)
        t->close_after = false;
    forward_response_head(&c->out, r, t, t->close_after && r->status != 101);
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
    if (t->target && !atomic_load_explicit(&t->target->passive_success, memory_order_relaxed))
        atomic_store_explicit(&t->target->passive_success, true, memory_order_relaxed);
    return 1;
}

size_t
relay_body_room(const struct txn *t)
{
    size_t n = buf_len(&t->c->out);

    return n < EDGE_OUT_HIGH_BYTES ? EDGE_OUT_HIGH_BYTES - n : 0;
}

int
relay_body_put(struct txn *t, const void *p, size_t n)
{
    struct buf *out = &t->c->out;

    if (n == 0)                 /* an empty chunk would end the body */
        return 0;
    if (t->resp_chunked_out) {
        buf_append_hex(out, n);
        buf_append(out, "\r\n", 2);
    }
    if (buf_append(out, p, n) < 0)
        return -1;
    if (t->resp_chunked_out)
        buf_append(out, "\r\n", 2);
    t->body_bytes_sent += n;
    return 0;
}

int
relay_trailers_take(struct buf *sec, const struct h1_chunked *ch)
{
    return ch->trailer.len ? buf_append(sec, ch->trailer.p, ch->trailer.len) : 0;
}

int
relay_trailers_put(struct buf *out, const struct buf *sec)
{
    struct slice s = slice_make(buf_len(sec) ? buf_head(sec) : "", buf_len(sec));
    struct slice name, value;

    if (buf_append_str(out, "0\r\n") < 0)
        return -1;
    while (h1_trailer_next(&s, &name, &value)) {
        if (!h1_trailer_allowed(name))
            continue;
        if (buf_reserve(out, name.len + value.len + 4) < 0)
            return -1;
        buf_append(out, name.p, name.len);
        buf_append(out, ": ", 2);
        buf_append(out, value.p, value.len);
        buf_append(out, "\r\n", 2);
    }
    return buf_append(out, "\r\n", 2) < 0 ? -1 : 0;
}

void
relay_body_end(struct txn *t)
{
    t->phase = TXN_DONE;
    if (t->resp_chunked_out)
        relay_trailers_put(&t->c->out, &t->resp_trailers);
    buf_fini(&t->resp_trailers);
}

int
relay_file(struct txn *t)
{
    struct conn *c = t->c;
    const struct transport_ops *tp = conn_tp(c);

    /* The head goes first when the transport can flag "more follows": it then leaves in
     * the file's first segment instead of a packet of its own (which both ends would have
     * to handle). Otherwise conn_flush() sends it and the file waits for an empty c->out. */
    while (t->file_left && c->wr_ready && (!buf_len(&c->out) || tp->send_more)) {
        bool head = buf_len(&c->out) > 0;
        size_t want = head ? buf_len(&c->out)
                           : t->file_left > (1u << 20) ? (1u << 20) : (size_t)t->file_left;
        ssize_t n = head ? tp->send_more(c, buf_head(&c->out), want)
                         : tp->sendfile(c, t->file_fd, &t->file_off, want);
        if (n > 0) {
            c->w->moved += (uint64_t)n;
            if (head) {
                buf_consume(&c->out, (size_t)n);
            } else {
                t->file_left -= (uint64_t)n;
                t->body_bytes_sent += (uint64_t)n;
            }
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
