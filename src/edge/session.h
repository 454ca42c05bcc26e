/*
 * edge/session.h: the protocol that turns a client connection's bytes into transactions:
 * HTTP/1 (h1sess.c) and HTTP/2 (h2sess.c, one stream connection per stream). A session
 * reads and parses request heads while no transaction runs, starts one per request, and
 * decides what happens when one ends (the next request, or closing). The connection (conn.c) owns lifetime, buffers, timers and
 * the transport; the transaction (txn.c) owns one exchange. Shaped after h2o's
 * balancer.h callbacks and HAProxy's mux_ops: a const table chosen at accept.
 */
#ifndef EDGE_SESSION_H
#define EDGE_SESSION_H
/* The HTTP/2 session exists: TLS offers h2 by ALPN (tls.c). */
#define EDGE_HAVE_H2 1
#include <stdbool.h>

struct conn;

struct session_ops {
    const char *name;
    /* Readiness or buffered input while no transaction runs (IDLE and HEAD states). */
    void (*on_io)(struct conn *c);
    /* Readiness while a transaction runs (TXN and TUNNEL states). */
    void (*on_txn_io)(struct conn *c);
    /* The client timer fired in any state but LINGER. */
    void (*on_timeout)(struct conn *c);
    /* The connection closes: log and free what it carries (a running transaction). */
    void (*on_close)(struct conn *c);
    /* The connection's transaction ended cleanly; close_after says the connection must
     * not carry another request. Called with c->txn already NULL. */
    void (*on_txn_done)(struct conn *c, bool close_after);
    /* Optional. The worker stops: finish what runs, take nothing new (HTTP/2: GOAWAY).
     * Absent: close when idle, else after the current response. */
    void (*on_shutdown)(struct conn *c);
    /* Optional. The worker took a new configuration generation (a reload). */
    void (*on_new_gen)(struct conn *c);
    /* Optional. Calls fn on each connection the session carries inside c (HTTP/2: one per
     * stream), for the worker-wide sweeps; fn may close the one it is given. */
    void (*each_stream)(struct conn *c, void (*fn)(struct conn *stream));
};

/* h1sess.c: HTTP/1.0 and 1.1, one request at a time, pipelined ones wait in c->in. */
extern const struct session_ops h1sess_session;
/* h2sess.c: HTTP/2, many streams at once; each stream is a connection of its own
 * (CONN_SESS_H2S, h2stream.c) that runs the HTTP/1 session over translated bytes. */
extern const struct session_ops h2sess_session;
extern const struct session_ops h2stream_session;

#endif
