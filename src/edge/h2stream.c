/*
 * edge/h2stream.c: one HTTP/2 stream as a connection of its own. The stream connection
 * (a struct conn without a socket) has this file's transport, which reads the stream's
 * request translated to HTTP/1.1 (h2xlate.c) and takes the HTTP/1.1 response the
 * transaction writes, framing it back into HEADERS and DATA through nghttp2. Its session
 * is HTTP/1's (h1sess.c) with one request per connection, so routing, the shield, retries,
 * the access log and metrics are the same code for both protocols.
 *
 * Backpressure both ways stays the transaction's own: recv() has only what the client
 * sent within its flow-control window (given back as the transaction reads it), and
 * send() refuses bytes (EAGAIN) past H2_STREAM_BUF_BYTES until nghttp2 has framed them,
 * which it does only as the client's window allows.
 *
 * Owns nothing: the struct h2stream belongs to the session (h2sess.c), the connection to
 * conn.c's lifetime rules (freed after conn_close()).
 */
#include "edge/h2sess.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "edge/conn.h"
#include "edge/session.h"
#include "edge/stats.h"
#include "edge/transport.h"
#include "edge/txn.h"
#include "edge/worker.h"

/* A response head may be as large as the target's limit (relay.c) plus what forward.c
 * adds: room for it even though the body is held to H2_STREAM_BUF_BYTES. */
#define H2_RESP_HEAD_MAX_BYTES (128 * 1024)

int
h2stream_open(struct h2stream *st)
{
    struct conn *p = st->h->c, *sc = calloc(1, sizeof(*sc));

    if (!sc)
        return -ENOMEM;
    sc->w = p->w;
    sc->tp = CONN_TP_H2S;
    sc->tp_flags = conn_is_tls(p) ? CONN_H2S_TLS : 0;
    sc->sess = CONN_SESS_H2S;
    sc->sess_ctx = st;
    sc->io.fd = -1;
    sc->listener_id = p->listener_id;
    sc->local_port = p->local_port;
    sc->peer_port = p->peer_port;
    sc->peer_family = p->peer_family;
    memcpy(sc->peer_addr, p->peer_addr, sizeof(sc->peer_addr));
    sc->lstat = STATS_NONE;     /* the client connection is the one counted */
    sc->state = CONN_IDLE;
    sc->close_after = true;     /* one request per stream */
    st->sc = sc;
    return 0;
}

void
h2stream_wake(struct h2stream *st)
{
    if (st->sc && !st->sc->closed)
        conn_io_ready(st->sc, LOOP_READ | LOOP_WRITE);
}

/* Gives n body bytes back to the client's windows (stream and connection). */
static void
h2stream_give_back(struct h2stream *st, size_t n)
{
    if (!n)
        return;
    if (n > st->req_unconsumed)
        n = st->req_unconsumed;
    st->req_unconsumed -= n;
    nghttp2_session_consume(st->h->ng, st->id, n);
    h2sess_kick(st->h);
}

/* The request as HTTP/1.1: the head, then the body; without a content-length the body is
 * chunk-framed as it is read, the framing kept in st->pend so that any room, however
 * small, takes bytes (an EAGAIN with bytes waiting would never be woken again). */
static ssize_t
h2stream_recv(struct conn *sc, void *p, size_t len)
{
    struct h2stream *st = sc->sess_ctx;
    char *out = p;
    size_t n = 0;

    /* Once the response is complete the rest of the request is not wanted (the stream
     * is reset with NO_ERROR after the response, 9113 §8.1). */
    if (!st || sc->shut_wr)
        return 0;
    while (n < len) {
        size_t k, avail = buf_len(&st->req);
        if (st->pend_off < st->pend_len) {
            k = (size_t)(st->pend_len - st->pend_off);
            if (k > len - n)
                k = len - n;
            memcpy(out + n, st->pend + st->pend_off, k);
            st->pend_off = (uint8_t)(st->pend_off + k);
            n += k;
            continue;
        }
        if (st->req_head_left || !st->req_chunked || st->chunk_left) {
            k = st->req_head_left ? st->req_head_left
                                  : st->req_chunked ? st->chunk_left : avail;
            if (k > len - n)
                k = len - n;
            if (!k)
                break;
            memcpy(out + n, buf_head(&st->req), k);
            buf_consume(&st->req, k);
            n += k;
            if (st->req_head_left) {
                st->req_head_left -= k;
                continue;
            }
            h2stream_give_back(st, k);
            if (st->req_chunked && !(st->chunk_left -= k)) {
                memcpy(st->pend, "\r\n", 2);
                st->pend_len = 2;
                st->pend_off = 0;
            }
            continue;
        }
        /* Chunked, between chunks: the next one is everything buffered, or the end. */
        if (avail) {
            st->chunk_left = avail;
            st->pend_len = (uint8_t)snprintf(st->pend, sizeof(st->pend), "%zx\r\n", avail);
        } else if (st->req_end && !st->req_last_sent) {
            /* The last chunk with the trailers, if any, read as the head is: unframed. */
            st->req_last_sent = true;
            struct buf *tr = &st->xl.fields;
            if (buf_append_str(&st->req, "0\r\n") < 0 ||
                (buf_len(tr) && buf_append(&st->req, buf_head(tr), buf_len(tr)) < 0) ||
                buf_append(&st->req, "\r\n", 2) < 0) {
                errno = ENOMEM;
                return -1;
            }
            buf_fini(tr);
            st->req_head_left = buf_len(&st->req);
            continue;
        } else {
            break;
        }
        st->pend_off = 0;
    }
    if (!buf_len(&st->req))
        buf_release(&st->req);
    if (!n) {
        errno = EAGAIN;
        return -1;
    }
    return (ssize_t)n;
}

/* nghttp2 wants lowercase names; the head is ours, so they are lowered in place. */
static void
h2stream_lower(struct slice s)
{
    char *p = (char *)s.p;

    for (size_t i = 0; i < s.len; i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            p[i] = (char)(p[i] - 'A' + 'a');
}

#define H2_HOP_FLAGS (H1_HDR_HOP | H1_HDR_CONNECTION | H1_HDR_TRANSFER_ENCODING | \
                      H1_HDR_KEEP_ALIVE | H1_HDR_UPGRADE)

/* Turns the HTTP/1.1 response heads in st->resp into HEADERS (interim ones first), then
 * lets nghttp2 pull body bytes. */
static void
h2stream_frame(struct h2stream *st)
{
    struct h2sess *h = st->h;
    struct h1_response *r = &h->c->w->resp;
    struct h1_limits lim = { 8192, H2_RESP_HEAD_MAX_BYTES, H1_HEADERS_MAX };
    nghttp2_nv nva[H1_HEADERS_MAX + 1];
    char status[4];
    const char *why = "";

    while (st->rphase == H2R_HEAD && buf_len(&st->resp)) {
        ssize_t n = h1_parse_response(buf_head(&st->resp), buf_len(&st->resp), &lim,
                                      st->is_head, r, &why);
        if (n == -EAGAIN)
            break;
        if (n < 0 || r->status < 100 || r->status > 999 || r->status == 101) {
            log_warn("edge", "http2: unframeable response head stream=%d why=\"%s\"", st->id,
                     why);
            nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
            st->rphase = H2R_DONE;
            buf_consume(&st->resp, buf_len(&st->resp));
            break;
        }
        snprintf(status, sizeof(status), "%03d", r->status);
        size_t nv = 0;
        nva[nv++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)status, 7, 3,
                                  NGHTTP2_NV_FLAG_NONE };
        for (unsigned i = 0; i < r->nheaders; i++) {
            const struct h1_header *f = &r->headers[i];
            /* Content-Length is regenerated by forward.c, so it is marked hop-by-hop there;
             * HTTP/2 keeps it as a hint for the client (9113 §8.1.1). */
            if ((f->flags & H2_HOP_FLAGS) && !(f->flags & H1_HDR_CONTENT_LENGTH))
                continue;
            h2stream_lower(f->name);
            nva[nv++] = (nghttp2_nv){ (uint8_t *)f->name.p, (uint8_t *)f->value.p, f->name.len,
                                      f->value.len, NGHTTP2_NV_FLAG_NONE };
        }
        if (r->status < 200) {
            nghttp2_submit_headers(h->ng, NGHTTP2_FLAG_NONE, st->id, NULL, nva, nv, NULL);
            buf_consume(&st->resp, (size_t)n);
            continue;
        }
        bool body = r->framing == H1_FRAMING_CHUNKED || r->framing == H1_FRAMING_CLOSE ||
                    (r->framing == H1_FRAMING_LENGTH && r->content_length > 0);
        if (!body) {
            nghttp2_submit_response(h->ng, st->id, nva, nv, NULL);
            st->rphase = H2R_DONE;
        } else {
            nghttp2_data_provider prd = { .source.ptr = st, .read_callback = h2stream_read_body };
            st->framing = (uint8_t)r->framing;
            st->resp_left = r->content_length;
            h1_chunked_init(&st->chunk, 0);
            nghttp2_submit_response(h->ng, st->id, nva, nv, &prd);
            st->rphase = H2R_BODY;
        }
        buf_consume(&st->resp, (size_t)n);
    }
    if (st->rphase == H2R_BODY && st->deferred && (buf_len(&st->resp) || st->sc_shut)) {
        st->deferred = false;
        nghttp2_session_resume_data(h->ng, st->id);
    }
    h2sess_kick(h);
}

/* Submits the response's trailers (from the chunked body's trailer section, the fields
 * that may travel in a trailer) as a HEADERS frame that ends the stream. False when there
 * are none: the last DATA frame ends it. */
static bool
h2stream_trailers(struct h2stream *st)
{
    nghttp2_nv nva[64];
    size_t nv = 0;
    struct slice s, name, value;

    if (!buf_len(&st->resp_trailers))
        return false;
    s = slice_make(buf_head(&st->resp_trailers), buf_len(&st->resp_trailers));
    while (nv < sizeof(nva) / sizeof(nva[0]) && h1_trailer_next(&s, &name, &value)) {
        if (!h1_trailer_allowed(name))
            continue;
        h2stream_lower(name);
        nva[nv++] = (nghttp2_nv){ (uint8_t *)name.p, (uint8_t *)value.p, name.len, value.len,
                                  NGHTTP2_NV_FLAG_NONE };
    }
    /* nghttp2 copies the fields: the section may go. */
    bool sent = nv && nghttp2_submit_trailer(st->h->ng, st->id, nva, nv) == 0;
    buf_fini(&st->resp_trailers);
    return sent;
}

ssize_t
h2stream_read_body(nghttp2_session *ng, int32_t id, uint8_t *out, size_t len, uint32_t *flags,
                   nghttp2_data_source *src, void *user)
{
    struct h2stream *st = src->ptr;
    size_t n = 0, avail = buf_len(&st->resp);
    bool eof = false;

    (void)ng;
    (void)id;
    (void)user;
    if (st->framing == H1_FRAMING_CHUNKED) {
        while (n < len && buf_len(&st->resp)) {
            struct slice data = { 0 };
            bool done = false;
            const char *why = NULL;
            size_t in = buf_len(&st->resp) < len - n ? buf_len(&st->resp) : len - n;
            ssize_t k = h1_chunked_parse(&st->chunk, buf_head(&st->resp), in, &data, &done, &why);
            if (k < 0 || relay_trailers_take(&st->resp_trailers, &st->chunk) < 0)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            memcpy(out + n, data.p, data.len);
            n += data.len;
            buf_consume(&st->resp, (size_t)k);
            if (done) {
                eof = true;
                if (h2stream_trailers(st))
                    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
                break;
            }
            if (k == 0)
                break;
        }
    } else {
        size_t k = len < avail ? len : avail;
        if (st->framing == H1_FRAMING_LENGTH && k > st->resp_left)
            k = (size_t)st->resp_left;
        if (k) {
            memcpy(out, buf_head(&st->resp), k);
            buf_consume(&st->resp, k);
        }
        n = k;
        if (st->framing == H1_FRAMING_LENGTH) {
            st->resp_left -= k;
            eof = st->resp_left == 0;
        } else {
            eof = st->sc_shut && !buf_len(&st->resp);
        }
    }
    if (!buf_len(&st->resp))
        buf_release(&st->resp);
    if (eof) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        st->rphase = H2R_DONE;
    } else if (!n && st->sc_shut) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  /* the body ended short: reset */
    } else if (!n) {
        st->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (st->sc && !st->sc->wr_ready)
        h2sess_wake(st->h, st);
    return (ssize_t)n;
}

static size_t
h2stream_room(const struct h2stream *st)
{
    size_t cap = st->rphase == H2R_HEAD ? H2_RESP_HEAD_MAX_BYTES : H2_STREAM_BUF_BYTES;
    return buf_len(&st->resp) < cap ? cap - buf_len(&st->resp) : 0;
}

static ssize_t
h2stream_send(struct conn *sc, const void *p, size_t len)
{
    struct h2stream *st = sc->sess_ctx;

    if (!st) {
        errno = EPIPE;
        return -1;
    }
    if (st->rphase == H2R_DONE)
        return (ssize_t)len;    /* nothing after the response's end (a reset one) */
    size_t k = h2stream_room(st);
    if (!k) {
        errno = EAGAIN;
        return -1;
    }
    if (k > len)
        k = len;
    if (buf_append(&st->resp, p, k) < 0) {
        errno = ENOMEM;
        return -1;
    }
    h2stream_frame(st);
    return (ssize_t)k;
}

static ssize_t
h2stream_sendfile(struct conn *sc, int fd, off_t *off, size_t len)
{
    struct h2stream *st = sc->sess_ctx;

    if (!st) {
        errno = EPIPE;
        return -1;
    }
    size_t k = h2stream_room(st);
    if (k > BUF_CHUNK_BYTES)
        k = BUF_CHUNK_BYTES;
    if (k > len)
        k = len;
    if (!k) {
        errno = EAGAIN;
        return -1;
    }
    if (buf_reserve(&st->resp, k) < 0) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n = pread(fd, buf_tail(&st->resp), k, *off);
    if (n <= 0)
        return n;
    buf_commit(&st->resp, (size_t)n);
    *off += n;
    h2stream_frame(st);
    return n;
}

static void
h2stream_shutdown_wr(struct conn *sc)
{
    struct h2stream *st = sc->sess_ctx;

    if (!st)
        return;
    st->sc_shut = true;
    h2stream_frame(st);
}

const struct transport_ops h2stream_transport = {
    .name = "h2-stream",
    .recv = h2stream_recv,
    .send = h2stream_send,
    .sendfile = h2stream_sendfile,
    .shutdown_wr = h2stream_shutdown_wr,
};

/* ---- the stream connection's session: HTTP/1's, plus telling the stream it ended ---- */

static void
h2stream_on_io(struct conn *sc)
{
    h1sess_session.on_io(sc);
}

static void
h2stream_on_txn_io(struct conn *sc)
{
    h1sess_session.on_txn_io(sc);
}

static void
h2stream_on_timeout(struct conn *sc)
{
    h1sess_session.on_timeout(sc);
}

static void
h2stream_on_txn_done(struct conn *sc, bool close_after)
{
    h1sess_session.on_txn_done(sc, true);
    (void)close_after;
}

static void
h2stream_on_close(struct conn *sc)
{
    struct h2stream *st = sc->sess_ctx;
    /* A transaction still running was aborted (a timeout, a target that failed
     * mid-response): its response will never be complete. */
    bool aborted = sc->txn != NULL;

    h1sess_session.on_close(sc);
    if (!st)
        return;
    sc->sess_ctx = NULL;
    st->sc = NULL;
    st->sc_shut = true;
    /* Request bytes nobody will read go back to the window at once. */
    nghttp2_session_consume_connection(st->h->ng, st->req_unconsumed);
    if (!st->closing)
        nghttp2_session_consume_stream(st->h->ng, st->id, st->req_unconsumed);
    st->req_unconsumed = 0;
    buf_fini(&st->req);
    st->req_head_left = 0;
    if (st->closing)
        return;
    /* A local answer written just before the close (408) is whole: let it go out. */
    if (aborted && st->rphase == H2R_BODY && st->framing == H1_FRAMING_LENGTH &&
        st->resp_left <= buf_len(&st->resp))
        aborted = false;
    if (st->rphase == H2R_HEAD || (st->rphase == H2R_BODY && aborted)) {
        /* Closed before a whole response: nothing to end it with but a reset. */
        nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        st->rphase = H2R_DONE;
    } else if (st->rphase == H2R_BODY && st->deferred) {
        st->deferred = false;
        nghttp2_session_resume_data(st->h->ng, st->id);
    }
    h2sess_kick(st->h);
}

void
h2stream_end(struct h2stream *st)
{
    st->closing = true;
    if (st->sc)
        conn_close(st->sc);
}

const struct session_ops h2stream_session = {
    .name = "h2-stream",
    .on_io = h2stream_on_io,
    .on_txn_io = h2stream_on_txn_io,
    .on_timeout = h2stream_on_timeout,
    .on_close = h2stream_on_close,
    .on_txn_done = h2stream_on_txn_done,
};
