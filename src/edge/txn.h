/*
 * edge/txn.h: one request/response exchange on a client connection (txn.c, relay.c).
 * What is said to the target, and how its answer is decoded, is the target group's
 * upstream protocol (uproto.h); the transaction owns everything on the client's side.
 *
 * A transaction moves bytes through four buffers: client c->in -> target u->out (request
 * body, re-framed) and target u->in -> client c->out (response, re-framed). Each side
 * stops reading when the other side's output is above EDGE_OUT_HIGH_BYTES, so bodies of
 * any size stream in constant memory. txn_run() is the single place that makes progress.
 *
 * The response side is in one phase (enum txn_phase); the request side only says whether
 * the whole request was passed on (req_done), since a body may still flow while the
 * response streams. Transitions (anything else cannot happen):
 *
 *   from            to              when
 *   TXN_AWAIT_HEAD  TXN_BODY        a final response head reached c->out (from the target,
 *                                   a static file's head) and a body follows
 *   TXN_AWAIT_HEAD  TXN_DONE        a complete bodiless response, or a local one (error
 *                                   page, 503, 405, 204) was written
 *   TXN_AWAIT_HEAD  TXN_TUNNEL      the target answered 101 to a WebSocket upgrade
 *   TXN_BODY        TXN_DONE        the last body byte reached c->out (or the file ended)
 *   TXN_TUNNEL      TXN_DONE        both directions were shut
 *
 * A transaction in TXN_AWAIT_HEAD may fail and retry on another target or answer
 * 502/503/504 itself; from TXN_BODY on a failure can only close the connection. At
 * TXN_DONE with c->out flushed it ends (txn_finish); a finished tunnel closes instead.
 * A transaction parked by initwait.c (wait.queued) stays in TXN_AWAIT_HEAD.
 */
#ifndef EDGE_TXN_H
#define EDGE_TXN_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "edge/edge_conf.h"
#include "edge/initwait.h"
#include "edge/uproto.h"
#include "http/h1.h"
#include "shield/shield.h"

struct conn;
struct gen;
struct target;
struct upconn;
struct worker;

enum txn_phase {
    TXN_AWAIT_HEAD = 0,         /* no response byte reached the client yet */
    TXN_BODY,                   /* head sent; body bytes still to come */
    TXN_TUNNEL,                 /* upgraded: bytes both ways until both sides shut */
    TXN_DONE,                   /* the whole response is in c->out (or was sent) */
};

struct txn {
    struct conn *c;
    struct upconn *u;
    struct gen *gen;
    const struct edge_listener_conf *lc;
    int tg;                     /* target group index, -1 for local responses */
    int target_idx;             /* index in gen->tgrt[tg], -1 before a pick */
    struct target *target;      /* borrowed from gen (pinned); counted in outstanding */
    struct initwait_node wait;  /* queued while its group is starting (initwait.c) */
    unsigned attempts;
    uint64_t start_us;
    uint64_t upstream_start_us;
    uint8_t phase;              /* enum txn_phase */
    const struct uproto_ops *up_ops;    /* the group's upstream protocol, set with t->u */
    union uproto_state ups;             /* its per-transaction state */

    /* request: the client's body framing, decoded by relay_request */
    uint8_t req_framing;        /* enum h1_framing */
    uint64_t req_remaining;     /* LENGTH: body bytes still to forward */
    struct h1_chunked req_chunk;
    struct buf req_trailers;    /* chunked: the trailer section as it arrives */
    bool req_done;              /* the whole request is in u->out (or was written) */
    uint32_t head_in_cin;       /* bodiless requests keep their head in c->in until the
                                   response starts, so a failed attempt can be replayed */
    bool is_head, idempotent, client_keepalive, upgrade, close_after, reused;
    uint8_t version_minor;

    /* response */
    bool resp_chunked_out;      /* re-encoding chunked towards the client */
    bool resp_close_out;        /* close-delimited towards the client */
    struct buf resp_trailers;   /* the target's trailer section, for relay_body_end */
    bool sticky;                /* set the stickiness cookie on the response */
    bool shield_seen;           /* the shield saw the request: tell it the status */
    bool static_asset;
    struct shield_addr client;  /* the client address the shield judged */
    char country[3];            /* its country (shield.geo), "" when unknown */

    /* static action: the file to send after the head */
    int file_fd;                /* -1 when none */
    off_t file_off;
    uint64_t file_left;
    int status;
    uint64_t body_bytes_sent;

    /* for the access log: one allocation holding the strings below */
    char *logmem;
    const char *log_request;    /* "GET / HTTP/1.1" */
    const char *log_referer;
    const char *log_ua;
    const char *log_host;
    char request_id[33];
    const char *upstream_addr;  /* borrowed from the pinned generation, or "-" */
};

/* A response byte reached the client: from here on no retry and no local answer. */
static inline bool
txn_resp_started(const struct txn *t)
{
    return t->phase != TXN_AWAIT_HEAD;
}

/* A transaction for c under its worker's generation, with c in CONN_TXN; NULL on ENOMEM. */
struct txn *txn_new(struct conn *c);
/* Starts the transaction for the request parsed into c->w->req from c->in. */
void txn_start(struct conn *c);
/* The one place where a transaction makes progress; every event on either side ends
 * here. May end the transaction or close the connection. */
void txn_run(struct txn *t);
/* Answers locally (errors, 404 without a matching rule): drops any upstream, writes the
 * response into c->out and moves to TXN_DONE. */
void txn_local(struct txn *t, int status, bool close);
/* Releases everything t holds (upstream, file, target count, generation) and frees it. */
void txn_free(struct txn *t);
/* Called by initwait.c for a parked transaction, taken off its queue: ready, it goes to
 * a target; else (initial_wait passed) it is answered 503 with Retry-After. */
void txn_wait_done(struct txn *t, bool ready);
/* Starts the once-a-second sweep that ends work still bound to drained targets: 502 for a
 * request not yet answered, as ALB does; a streaming response or a tunnel is closed. */
void txn_sweep_start(struct worker *w);

/* relay.c: the client's side of the bytes; each moves what it can now and returns. */
/* Request body bytes from c->in, decoded from the client's framing, to the upstream
 * protocol's request_data/request_end while u->out is below EDGE_OUT_HIGH_BYTES. 0, or
 * the status to answer (400/413 for a malformed or oversized chunked body, 503 without
 * memory). */
int relay_request(struct txn *t);
/* Called by the upstream protocol with each decoded response head r: an interim one goes
 * to HTTP/1.1 clients (0 is returned, the protocol looks for the next); a final one
 * decides the client's framing and connection, goes to c->out, moves the phase on
 * (TXN_BODY, TXN_DONE, or TXN_TUNNEL for an asked-for 101) and returns 1. A 101 nobody
 * asked for returns -502: the client gets 502 and the connection closes. */
int relay_response_head(struct txn *t, const struct h1_response *r);
/* Room in c->out for response body bytes now (0: stop decoding until it drains). */
size_t relay_body_room(const struct txn *t);
/* n response body bytes to c->out in the client's framing. 0 or -1 without memory. */
int relay_body_put(struct txn *t, const void *p, size_t n);
/* The response body ended: the client's terminator, if any, and TXN_DONE. A chunked
 * response's terminator carries the trailers in t->resp_trailers that may be passed on;
 * other framings cannot carry them, so they are dropped (RFC 9110 §6.5.1). */
void relay_body_end(struct txn *t);
/* Collects the trailer bytes the last h1_chunked_parse() call on ch consumed into sec. 0
 * or -1 without memory. */
int relay_trailers_take(struct buf *sec, const struct h1_chunked *ch);
/* Writes a chunked body's terminator into out: the last chunk, the fields of the trailer
 * section sec that may travel in a trailer (h1_trailer_allowed()), the final CRLF. 0 or
 * -1 without memory. */
int relay_trailers_put(struct buf *out, const struct buf *sec);
/* The head in c->out (flagged to share the first segment) and then the file bytes to
 * the client. 0 or -errno. */
int relay_file(struct txn *t);


#endif
