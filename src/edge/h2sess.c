/*
 * edge/h2sess.c: the HTTP/2 session (session.h) of a client connection, on nghttp2. It
 * feeds the client's bytes to nghttp2, turns each request's header block into an HTTP/1.1
 * head (h2xlate.c) for a stream connection of its own (h2stream.c), and writes what
 * nghttp2 frames. The listener's `http2:` limits are enforced here: a client that breaks
 * one (resets too fast, too many CONTINUATION frames, too large or too many header fields,
 * a protocol error nghttp2 calls a flood) is sent GOAWAY, cut off and reported to the
 * shield. GOAWAY also ends a connection gracefully after max_requests_per_connection,
 * idle_timeout, a reload and a stop: the streams it already took complete.
 *
 * On a plain listener with h2c, the session first sniffs the connection preface: anything
 * else is HTTP/1 and the connection is handed to h1sess.c for good.
 *
 * Owns the struct h2sess in c->sess_ctx, its nghttp2 session and its streams.
 */
#include "edge/h2sess.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/guard.h"
#include "edge/session.h"
#include "edge/stats.h"
#include "edge/worker.h"

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#define H2_READ_BYTES (64 * 1024)
#define H2_ROUNDS 8

static void h2sess_pump(struct h2sess *h);

/* The client connection's listener counters (stats.h), NULL when it has none. */
static struct stats_slot *
h2sess_slot(const struct h2sess *h)
{
    return h->c->lstat != STATS_NONE ? h->c->w->stats.l[h->c->lstat] : NULL;
}

static void
h2sess_count_goaway(struct h2sess *h, enum stats_h2_goaway why)
{
    struct stats_slot *s = h2sess_slot(h);

    if (s)
        stats_add(&s->h2_goaways[why], 1);
}

static struct h2stream *
h2sess_stream(struct h2sess *h, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h->ng, id);
}

void
h2sess_wake(struct h2sess *h, struct h2stream *st)
{
    if (st->woken)
        return;
    st->woken = true;
    st->wake_next = h->wake;
    h->wake = st;
}

static void
on_h2_kick(struct loop *l, struct loop_defer *d)
{
    struct conn *c = container_of(d, struct conn, kick);

    (void)l;
    if (!c->closed && c->sess_ctx && c->state != CONN_LINGER)
        h2sess_pump(c->sess_ctx);
}

void
h2sess_kick(struct h2sess *h)
{
    loop_defer(h->c->w->loop, &h->c->kick, on_h2_kick);
}

/* Cuts a misbehaving client off: GOAWAY with ENHANCE_YOUR_CALM, its streams closed, the
 * shield told. */
static void
h2sess_cut(struct h2sess *h, const char *why, bool abuse)
{
    char peer[64] = "";

    if (h->abuse)
        return;
    h->abuse = why;
    if (h->c->peer_family == 4)
        snprintf(peer, sizeof(peer), "%u.%u.%u.%u", h->c->peer_addr[0], h->c->peer_addr[1],
                 h->c->peer_addr[2], h->c->peer_addr[3]);
    log_warn("edge", "http2: client cut off peer=%s why=\"%s\" streams=%u requests=%llu",
             peer[0] ? peer : "ipv6", why, h->nstreams, (unsigned long long)h->nrequests);
    nghttp2_session_terminate_session(h->ng, NGHTTP2_ENHANCE_YOUR_CALM);
    h2sess_count_goaway(h, abuse ? STATS_GOAWAY_ABUSE : STATS_GOAWAY_ERROR);
    if (abuse) {
        struct stats_slot *s = h2sess_slot(h);
        if (s)
            stats_add(&s->h2_cut_off, 1);
        guard_abuse(h->c->w, h->c);
    }
    h->goaway = h->ended = true;
}

static void
h2sess_abuse(struct h2sess *h, const char *why)
{
    h2sess_cut(h, why, true);
}

/* A stream reset because its request was malformed (the translation's PROTOCOL_ERROR).
 * Browsers and libraries never send one; past max_malformed_requests on one connection
 * the client is a scanner or a fuzzer and is cut off like any other abuse. False then. */
static bool
h2sess_malformed(struct h2sess *h)
{
    if (++h->nmalformed <= h->conf.max_malformed_requests)
        return true;
    h2sess_abuse(h, "too many malformed requests");
    return false;
}

/* Streams with response bytes that wait for the client's flow-control window. */
static bool
h2sess_stalled(const struct h2sess *h)
{
    for (const struct h2stream *st = h->streams; st; st = st->next)
        if (st->rphase == H2R_BODY && buf_len(&st->resp))
            return true;
    return false;
}

/* ---- nghttp2 callbacks ---- */

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct h2sess *h = user;

    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2stream *st = calloc(1, sizeof(*st));
    if (!st)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st->h = h;
    st->id = f->hd.stream_id;
    h2xlate_init(&st->xl);
    st->next = h->streams;
    if (h->streams)
        h->streams->prev = st;
    h->streams = st;
    h->nstreams++;
    nghttp2_session_set_stream_user_data(ng, st->id, st);
    struct stats_slot *s = h2sess_slot(h);
    if (s)
        stats_add(&s->h2_streams, 1);
    return 0;
}

static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
          const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    struct h2sess *h = user;
    struct h2stream *st = h2sess_stream(h, f->hd.stream_id);

    (void)ng;
    (void)flags;
    if (!st)
        return 0;
    /* After the head, a block is the request's trailers (9113 §8.1): checked and counted
     * like a head, they end the chunked body the target gets (h2stream_recv). */
    switch (st->headers_done ? h2xlate_trailer(&st->xl, &h->lim, name, nlen, value, vlen)
                             : h2xlate_add(&st->xl, &h->lim, name, nlen, value, vlen)) {
    case H2XLATE_OK:
        return 0;
    case H2XLATE_MALFORMED:
        if (!st->malformed) {
            st->malformed = true;
            h2sess_malformed(h);        /* past the limit: GOAWAY, as for LIMIT below */
        }
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   /* RST_STREAM for this one */
    case H2XLATE_LIMIT:
        break;
    }
    /* GOAWAY(ENHANCE_YOUR_CALM) now; the rest of the block is still decoded (the HPACK
     * state must stay whole for the GOAWAY to be sent) but reaches no callback. */
    h2sess_abuse(h, st->xl.nfields > h->lim.fields ? "too many header fields"
                                                   : "header list too large");
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

/* The request's head is complete: translate it and start its stream connection. */
static int
h2sess_request(struct h2sess *h, struct h2stream *st, bool end_stream)
{
    bool chunked = false;

    st->headers_done = true;
    st->req_end = end_stream;
    if (h->goaway) {
        nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    if (h2xlate_head(&st->xl, end_stream, &st->req, &chunked) != H2XLATE_OK) {
        nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_PROTOCOL_ERROR);
        return h2sess_malformed(h) ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    st->is_head = st->xl.is_head;
    st->req_head_left = buf_len(&st->req);
    st->req_chunked = chunked;
    h2xlate_fini(&st->xl);
    st->xl.list_bytes = st->xl.nfields = 0;
    if (h2stream_open(st) < 0) {
        nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    h2sess_wake(h, st);
    if (++h->nrequests >= h->conf.max_requests_per_connection && !h->goaway) {
        /* Enough for one connection: this stream is the last (as nginx's
         * keepalive_requests); the client opens another connection. */
        nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR, NULL, 0);
        h2sess_count_goaway(h, STATS_GOAWAY_MAX_REQUESTS);
        h->goaway = true;
    }
    return 0;
}

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct h2sess *h = user;
    struct h2stream *st = h2sess_stream(h, f->hd.stream_id);
    bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;

    (void)ng;
    switch (f->hd.type) {
    case NGHTTP2_HEADERS:
        if (!st)
            return 0;
        if (!st->headers_done && f->headers.cat == NGHTTP2_HCAT_REQUEST)
            return h2sess_request(h, st, end);
        if (end && !st->req_end) {      /* trailers end the request */
            st->req_end = true;
            h2sess_wake(h, st);
        }
        return 0;
    case NGHTTP2_DATA:
        if (st && end && !st->req_end) {
            st->req_end = true;
            h2sess_wake(h, st);
        }
        return 0;
    case NGHTTP2_RST_STREAM: {
        /* Rapid Reset (CVE-2023-44487): each reset stream may have started work. */
        uint64_t now = loop_now_ms(h->c->w->loop);
        if (now - h->rst_window_ms >= 1000) {
            h->rst_window_ms = now;
            h->rst_count = 0;
        }
        struct stats_slot *s = h2sess_slot(h);
        if (s)
            stats_add(&s->h2_resets[0], 1);
        if (++h->rst_count > h->conf.max_resets_per_second) {
            h2sess_abuse(h, "too many stream resets");
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* nghttp2's own HTTP messaging checks (RFC 9113 §8.1.1, §8.2) reset a stream without
 * the header reaching on_header: a malformed request too. */
static int
on_invalid_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, int lib_error, void *user)
{
    struct h2sess *h = user;
    struct h2stream *st = h2sess_stream(h, f->hd.stream_id);

    (void)ng;
    if (lib_error != NGHTTP2_ERR_HTTP_HEADER && lib_error != NGHTTP2_ERR_HTTP_MESSAGING)
        return 0;
    if (st && st->malformed)
        return 0;
    if (st)
        st->malformed = true;
    h2sess_malformed(h);
    return 0;
}

static int
on_data_chunk_recv(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *user)
{
    struct h2sess *h = user;
    struct h2stream *st = h2sess_stream(h, id);

    (void)flags;
    if (!st || !st->sc) {
        nghttp2_session_consume(ng, id, len);   /* nobody will read it */
        return 0;
    }
    if (buf_append(&st->req, data, len) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st->req_unconsumed += len;
    h2sess_wake(h, st);
    return 0;
}

static int
on_frame_send(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct h2sess *h = user;

    if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code != NGHTTP2_NO_ERROR) {
        struct stats_slot *s = h2sess_slot(h);
        if (s)
            stats_add(&s->h2_resets[1], 1);
    }
    if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        struct h2stream *st = h2sess_stream(h, f->hd.stream_id);
        /* The response is complete while the request is not: reset with NO_ERROR so the
         * client stops sending (9113 §8.1). */
        if (st && !st->req_end)
            nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

static void
h2sess_unwake(struct h2sess *h, struct h2stream *st)
{
    if (!st->woken)
        return;
    for (struct h2stream **p = &h->wake; *p; p = &(*p)->wake_next)
        if (*p == st) {
            *p = st->wake_next;
            break;
        }
    st->woken = false;
}

static void
h2sess_stream_free(struct h2sess *h, struct h2stream *st)
{
    h2stream_end(st);
    h2sess_unwake(h, st);
    if (st->prev)
        st->prev->next = st->next;
    else
        h->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    h->nstreams--;
    h2xlate_fini(&st->xl);
    buf_fini(&st->req);
    buf_fini(&st->resp);
    buf_fini(&st->resp_trailers);
    free(st);
}

static int
on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user)
{
    struct h2sess *h = user;
    struct h2stream *st = h2sess_stream(h, id);

    (void)code;
    if (!st)
        return 0;
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    h2sess_stream_free(h, st);
    return 0;
}

static nghttp2_session_callbacks *h2sess_callbacks;

static void
h2sess_callbacks_init(void)
{
    nghttp2_session_callbacks *cb;

    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    h2sess_callbacks = cb;
}

/* Starts HTTP/2 on c (its preface is in c->in). 0 or -ENOMEM. */
static int
h2sess_start(struct conn *c)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct worker *w = c->w;
    int li = gen_listener_of(w->gen, c->listener_id);
    struct h2sess *h = calloc(1, sizeof(*h));
    nghttp2_option *opt = NULL;

    pthread_once(&once, h2sess_callbacks_init);
    if (!h || li < 0 || nghttp2_option_new(&opt) != 0) {
        free(h);
        return -ENOMEM;
    }
    h->c = c;
    h->conf = w->gen->conf.listeners[li].http2;
    h->lim.list_bytes = h->conf.max_header_list_size;
    h->lim.fields = h->conf.max_header_fields;
    /* Window updates only as stream connections read (bounded memory per stream). */
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_max_continuations(opt, h->conf.max_continuations);
    /* nghttp2's own Rapid Reset limit stays as a backstop behind ours. */
    nghttp2_option_set_stream_reset_rate_limit(opt, h->conf.max_resets_per_second * 2,
                                               h->conf.max_resets_per_second * 2);
    nghttp2_option_set_max_send_header_block_length(opt, 256 * 1024);
    int rc = nghttp2_session_server_new2(&h->ng, h2sess_callbacks, h, opt);
    nghttp2_option_del(opt);
    if (rc != 0) {
        free(h);
        return -ENOMEM;
    }
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)h->conf.max_concurrent_streams },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_BUF_BYTES },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)h->conf.max_header_list_size },
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
    };
    nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
    nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW_BYTES);
    c->sess_ctx = h;
    return 0;
}

/* Ends gracefully: GOAWAY naming the last stream taken; those complete, no new one. */
static void
h2sess_goaway(struct h2sess *h, enum stats_h2_goaway why)
{
    if (h->goaway)
        return;
    h->goaway = true;
    h2sess_count_goaway(h, why);
    nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(h->ng), NGHTTP2_NO_ERROR,
                          NULL, 0);
}

static void
h2sess_run_wakes(struct h2sess *h)
{
    while (h->wake) {
        struct h2stream *st = h->wake;
        h->wake = st->wake_next;
        st->woken = false;
        h2stream_wake(st);
    }
}

/* nghttp2's output into c->out while below the high mark, then to the socket. */
static int
h2sess_send(struct h2sess *h, bool *wrote)
{
    struct conn *c = h->c;

    for (;;) {
        while (buf_len(&c->out) < H2_OUT_HIGH_BYTES) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(h->ng, &p);
            if (n < 0)
                return -EPROTO;
            if (n == 0)
                break;
            if (buf_append(&c->out, p, (size_t)n) < 0)
                return -ENOMEM;
        }
        size_t before = buf_len(&c->out);
        if (conn_flush(c) < 0)
            return -EPIPE;
        if (buf_len(&c->out) < before)
            *wrote = true;
        if (!buf_len(&c->out) && before && nghttp2_session_want_write(h->ng))
            continue;
        return 0;
    }
}

static void
h2sess_pump(struct h2sess *h)
{
    struct conn *c = h->c;
    struct worker *w = c->w;
    bool wrote = false;

    for (int round = 0; round < H2_ROUNDS; round++) {
        if (!h->ended) {
            if (conn_read(c, H2_READ_BYTES) < 0) {
                conn_close(c);
                return;
            }
            if (buf_len(&c->in)) {
                ssize_t n = nghttp2_session_mem_recv(h->ng, (const uint8_t *)buf_head(&c->in),
                                                     buf_len(&c->in));
                if (n < 0) {
                    if (n == NGHTTP2_ERR_FLOODED)
                        h2sess_abuse(h, "flood of control frames");
                    else if (n == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS)
                        h2sess_abuse(h, "too many CONTINUATION frames");
                    else if (n == NGHTTP2_ERR_NOMEM)
                        h2sess_cut(h, "out of memory", false);
                    else if (n != NGHTTP2_ERR_CALLBACK_FAILURE || !h->abuse)
                        h2sess_abuse(h, nghttp2_strerror((int)n));
                    buf_consume(&c->in, buf_len(&c->in));
                } else {
                    buf_consume(&c->in, (size_t)n);
                }
            }
            if (c->eof && !h->ended) {
                conn_close(c);          /* the client went away: its streams too */
                return;
            }
        }
        if (h->ended) {
            for (struct h2stream *st = h->streams; st; st = st->next)
                h2stream_end(st);
            h->wake = NULL;
            for (struct h2stream *st = h->streams; st; st = st->next)
                st->woken = false;
        }
        h2sess_run_wakes(h);
        if (c->closed)
            return;
        if (h2sess_send(h, &wrote) < 0) {
            conn_close(c);
            return;
        }
        if (!h->wake && !(c->rd_ready && !h->ended))
            break;
    }
    if (h->wake || (c->rd_ready && !h->ended && !c->eof))
        h2sess_kick(h);             /* more to do: after the other connections' turn */
    bool done = h->ended || (h->goaway && h->nstreams == 0) ||
                (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng));
    if (done && !buf_len(&c->out) && !nghttp2_session_want_write(h->ng)) {
        conn_linger(c);
        return;
    }
    if (buf_len(&c->out) && !c->wr_ready)
        conn_timer(c, w->gen->conf.timeouts.send_ms);
    else if (h->nstreams == 0)
        conn_timer(c, h->conf.idle_timeout_ms);
    else if (h2sess_stalled(h)) {
        /* A window held at zero (a slow-read attack, or a dead client): edge.timeouts.send
         * without a byte written ends the connection. */
        if (wrote || !loop_timer_is_armed(&c->timer))
            conn_timer(c, w->gen->conf.timeouts.send_ms);
    } else
        loop_timer_stop(w->loop, &c->timer);
}

/* ---- session_ops ---- */

static void
h2sess_on_io(struct conn *c)
{
    struct h2sess *h = c->sess_ctx;

    if (h) {
        h2sess_pump(h);
        return;
    }
    /* h2c: the preface, or HTTP/1 from its first byte on. */
    if (conn_read(c, c->w->gen->conf.limits.header_bytes) < 0) {
        conn_close(c);
        return;
    }
    size_t len = buf_len(&c->in);
    if (!len) {
        if (c->eof || c->close_after)
            conn_close(c);
        return;
    }
    if (memcmp(buf_head(&c->in), H2_PREFACE, len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN)) {
        c->sess = CONN_SESS_H1;
        h1sess_session.on_io(c);
        return;
    }
    if (len < H2_PREFACE_LEN) {
        if (c->eof)
            conn_close(c);
        return;
    }
    if (c->close_after) {
        conn_close(c);              /* stopping: take nothing new */
        return;
    }
    if (h2sess_start(c) < 0) {
        conn_close(c);
        return;
    }
    h2sess_pump(c->sess_ctx);
}

static void
h2sess_on_txn_io(struct conn *c)
{
    h2sess_on_io(c);
}

static void
h2sess_on_timeout(struct conn *c)
{
    struct h2sess *h = c->sess_ctx;

    if (!h || (buf_len(&c->out) && !c->wr_ready)) {
        conn_close(c);              /* no preface in time, or a client that does not read */
        return;
    }
    if (h->nstreams && h2sess_stalled(h))
        h2sess_cut(h, "flow-control window stalled", false);
    else
        h2sess_goaway(h, STATS_GOAWAY_IDLE);
    h2sess_pump(h);
}

static void
h2sess_on_close(struct conn *c)
{
    struct h2sess *h = c->sess_ctx;

    if (!h)
        return;
    while (h->streams) {
        nghttp2_session_set_stream_user_data(h->ng, h->streams->id, NULL);
        h2sess_stream_free(h, h->streams);
    }
    nghttp2_session_del(h->ng);
    c->sess_ctx = NULL;
    free(h);
}

static void
h2sess_on_txn_done(struct conn *c, bool close_after)
{
    (void)c;
    (void)close_after;          /* the client connection itself runs no transaction */
}

static void
h2sess_on_shutdown(struct conn *c)
{
    struct h2sess *h = c->sess_ctx;

    c->close_after = true;
    if (!h) {
        if (buf_len(&c->in) == 0)
            conn_close(c);
        return;
    }
    h2sess_goaway(h, STATS_GOAWAY_SHUTDOWN);
    h2sess_pump(h);
}

static void
h2sess_on_new_gen(struct conn *c)
{
    struct h2sess *h = c->sess_ctx;

    /* A reload: the client reconnects to meet the new configuration (listener limits);
     * the streams it already opened finish under the old one. */
    if (h && !h->goaway) {
        h2sess_goaway(h, STATS_GOAWAY_SHUTDOWN);
        h2sess_kick(h);
    }
}

static void
h2sess_each_stream(struct conn *c, void (*fn)(struct conn *stream))
{
    struct h2sess *h = c->sess_ctx;

    /* fn may close a stream connection, never free a struct h2stream (nghttp2 does that
     * when it sends or reads the stream's end), so the list holds still. */
    for (struct h2stream *st = h ? h->streams : NULL; st; st = st->next)
        if (st->sc && !st->sc->closed)
            fn(st->sc);
}

const struct session_ops h2sess_session = {
    .name = "h2",
    .on_io = h2sess_on_io,
    .on_txn_io = h2sess_on_txn_io,
    .on_timeout = h2sess_on_timeout,
    .on_close = h2sess_on_close,
    .on_txn_done = h2sess_on_txn_done,
    .on_shutdown = h2sess_on_shutdown,
    .on_new_gen = h2sess_on_new_gen,
    .each_stream = h2sess_each_stream,
};
