/*
 * edge/uproto.h: the protocol a transaction speaks to its target over an upstream
 * connection: HTTP/1.1 today (uproto_h1.c), FastCGI next. Chosen per target group
 * (`protocol:`), a const table of functions in the shape of h2o's balancer.h and HAProxy's
 * mux_ops. A protocol frames what the transaction hands it into u->out and decodes u->in
 * into what the transaction writes to the client; it never touches the client's socket,
 * its framing (chunked, close-delimited) or the response status tierd decides itself.
 *
 * The request body reaches it already decoded from the client's framing (relay_request
 * in relay.c calls request_data/request_end); the response goes back the same way: each
 * decoded head to relay_response_head(), body bytes to relay_body_put() while
 * relay_body_room() allows, the end to relay_body_end() (all in txn.h). What a protocol
 * keeps per transaction lives in the transaction's union uproto_state (below; a new
 * protocol adds its member).
 */
#ifndef EDGE_UPROTO_H
#define EDGE_UPROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/edge_conf.h"
#include "http/h1.h"

struct txn;

/* Per-transaction state of the upstream protocol, in struct txn; zeroed with it. */
union uproto_state {
    struct {
        bool req_chunked;           /* the request body goes chunked to the target */
        bool keepalive;             /* the target allows reuse after this response */
        bool odd_body;              /* a body on GET, HEAD or DELETE: never reuse */
        uint8_t resp_framing;       /* enum h1_framing of the target's response */
        uint64_t resp_remaining;    /* LENGTH: body bytes still to come */
        struct h1_chunked resp_chunk;
    } h1;
    struct {
        bool head_done;             /* the CGI head was handed on */
        bool ended;                 /* END_REQUEST arrived: the connection may be pooled */
        bool has_len;               /* the head had Content-Length: body_left counts down */
        uint8_t rec_type;           /* the record being read (enum fcgi_type) */
        uint8_t pad_left;           /* its padding still to skip */
        uint8_t end_have;           /* END_REQUEST content bytes in end[] */
        uint16_t rec_left;          /* its content bytes still to read */
        uint32_t dlen;              /* head phase: STDOUT bytes de-framed at u->in's head */
        uint64_t body_left;
        uint8_t end[8];
    } fcgi;
};

struct uproto_ops {
    const char *name;
    /* A pooled connection may have been closed by the target just after its last answer
     * (PHP-FPM ends a child after pm.max_requests): a request that could not be replayed
     * on another connection then gets a new one instead of a pooled one. */
    bool fresh_unless_replayable;
    /* The target cannot take a request body without a length (FastCGI: PHP-FPM reads
     * CONTENT_LENGTH bytes of STDIN): a chunked one is answered 411 Length Required. */
    bool needs_length;
    /* Writes the head of request r for t into t->u->out, with the framing of the body
     * that follows (t->req_done says there is none). 0 or -ENOMEM. */
    int (*request_head)(struct txn *t, const struct h1_request *r);
    /* n bytes of request body, decoded, into t->u->out (framed for the target). The
     * caller keeps u->out below EDGE_OUT_HIGH_BYTES. 0 or -ENOMEM. */
    int (*request_data)(struct txn *t, const void *p, size_t n);
    /* The request body ended (after its last request_data). 0 or -ENOMEM. */
    int (*request_end)(struct txn *t);
    /* Decodes response heads at the start of t->u->in, each handed to
     * relay_response_head() and then consumed. Returns 1 once a final head was handed
     * on, 0 when more bytes are needed, or minus the status to answer locally (502) with
     * *close set as that answer must (the target's bytes were malformed or unasked for;
     * the parser's strictness is the protocol's). */
    int (*response_head)(struct txn *t, bool *close);
    /* Decodes response body bytes from t->u->in into relay_body_put() while
     * relay_body_room() is not 0, and calls relay_body_end() at the body's end (also on
     * EOF when that ends it). 0, or -1 when the target broke the framing or closed early
     * (the client connection must be aborted). */
    int (*response_body)(struct txn *t);
    /* After a complete exchange (request sent, response ended): whether t->u may carry
     * another request, as far as this protocol knows. */
    bool (*reusable)(const struct txn *t);
    /* Bytes both ways after a 101 answer to an upgrade, with half-close passed through;
     * sets TXN_DONE when both directions are shut. 0 or -1. NULL for a protocol that
     * cannot upgrade (its response_head never hands on a 101). */
    int (*tunnel)(struct txn *t);
};

/* uproto_h1.c: HTTP/1.1 to the target, keep-alive, requests re-framed as received. */
extern const struct uproto_ops uproto_h1_ops;

/* uproto_fcgi.c: FastCGI responder requests (PHP-FPM), FCGI_KEEP_CONN pooled. */
extern const struct uproto_ops uproto_fcgi_ops;

/* The protocol of a target group (enum edge_tg_protocol); never NULL. */
const struct uproto_ops *uproto_of(enum edge_tg_protocol p);

#endif
