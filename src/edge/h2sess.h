/*
 * edge/h2sess.h: the HTTP/2 session's state, shared by its two files: h2sess.c (the client
 * connection: nghttp2, limits, GOAWAY, abuse) and h2stream.c (one stream as a connection of
 * its own whose transport is the session and whose session is HTTP/1's, so routing, the
 * shield, the transaction, the access log and metrics run unchanged per stream).
 *
 * Ownership: the client connection's c->sess_ctx owns the struct h2sess, which owns its
 * nghttp2 session and its streams. A struct h2stream lives from the stream's first HEADERS
 * to nghttp2's on_stream_close; its stream connection (st->sc, a struct conn with no
 * socket) may close earlier (its response is all handed over) or be closed by the stream's
 * end (a reset). Each points at the other until one goes.
 */
#ifndef EDGE_H2SESS_H
#define EDGE_H2SESS_H
#include <stdbool.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#include "core/buf.h"
#include "edge/edge_conf.h"
#include "edge/h2xlate.h"
#include "http/h1.h"

struct conn;

/* Per stream: request bytes waiting for the stream connection to read them, and response
 * bytes waiting for nghttp2 to frame them; past this, the stream's peer waits (its flow
 * control window, or the target through the transaction's own backpressure). */
#define H2_STREAM_BUF_BYTES (64 * 1024)
/* The connection's receive window (the sum over its streams) and its output buffer. */
#define H2_CONN_WINDOW_BYTES (1024 * 1024)
#define H2_OUT_HIGH_BYTES (64 * 1024)

enum h2_resp_phase {
    H2R_HEAD = 0,       /* waiting for the HTTP/1.1 response head */
    H2R_BODY,           /* DATA from the response body */
    H2R_DONE,           /* END_STREAM handed to nghttp2 */
};

struct h2sess;

struct h2stream {
    struct h2sess *h;
    int32_t id;
    struct conn *sc;            /* the stream connection, NULL once it closed */
    struct h2stream *prev, *next;       /* h->streams */
    struct h2stream *wake_next; /* h->wake list, while `woken` */
    bool woken;
    struct h2xlate xl;          /* while the request head arrives; then xl.fields holds
                                   the request's trailers, as HTTP/1.1 field lines */
    /* request */
    struct buf req;             /* translated head not yet read, then body bytes */
    size_t req_head_left;       /* bytes of req that are head */
    size_t req_unconsumed;      /* DATA bytes received, not yet given back to the window */
    bool req_chunked;           /* the body gets chunk framing as it is read */
    size_t chunk_left;          /* chunked: data bytes of the current chunk still to read */
    char pend[24];              /* chunked: framing bytes not yet read ... */
    uint8_t pend_len, pend_off; /* ... from pend_off to pend_len */
    bool req_end;               /* END_STREAM came from the client */
    bool req_last_sent;         /* the final "0\r\n\r\n" was read */
    bool headers_done;
    bool malformed;             /* counted once in h->nmalformed */
    /* response */
    struct buf resp;            /* HTTP/1.1 bytes from the transaction, not yet framed */
    uint8_t rphase;             /* enum h2_resp_phase */
    uint8_t framing;            /* enum h1_framing of the response body */
    bool is_head;
    bool deferred;              /* nghttp2 waits for more body bytes (resume_data) */
    bool sc_shut;               /* the stream connection ended its output */
    bool closing;               /* nghttp2 closes the stream: do not reset it again */
    uint64_t resp_left;         /* LENGTH: body bytes still to come */
    struct h1_chunked chunk;
    struct buf resp_trailers;   /* chunked: the response's trailer section */
};

struct h2sess {
    struct conn *c;
    nghttp2_session *ng;
    struct edge_http2_conf conf;        /* the listener's, when the connection began */
    struct h2xlate_limits lim;
    struct h2stream *streams;
    unsigned nstreams;
    struct h2stream *wake;      /* streams whose connection has something to do */
    uint64_t nrequests;
    uint64_t rst_window_ms;     /* start of the current one-second reset window */
    uint64_t rst_count;
    uint64_t nmalformed;        /* streams reset for a malformed request */
    const char *abuse;          /* why the client was cut off, NULL while it behaves */
    bool goaway;                /* a final GOAWAY was submitted: take no new stream */
    bool ended;                 /* the session is over: flush and close */
};

/* h2stream.c: a stream's connection, for h2sess.c. */
/* Makes the stream connection for st once its request head is translated into st->req.
 * 0 or -ENOMEM. */
int h2stream_open(struct h2stream *st);
/* Gives the stream connection a turn (its readiness) if it has one. */
void h2stream_wake(struct h2stream *st);
/* nghttp2's data source read callback for a response body. */
ssize_t h2stream_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                           uint32_t *flags, nghttp2_data_source *src, void *user);
/* The stream ends (nghttp2 closed it): closes its connection, if any. */
void h2stream_end(struct h2stream *st);

/* h2sess.c: for h2stream.c. */
/* Queues st for a turn after the current frames are handled. */
void h2sess_wake(struct h2sess *h, struct h2stream *st);
/* Asks for the session's output to be produced and sent after this iteration. */
void h2sess_kick(struct h2sess *h);

#endif
