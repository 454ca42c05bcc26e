/*
 * edge/upstream.h: connections to targets and the per-worker pools that keep them
 * between requests (upstream.c). An upstream connection knows nothing of transactions:
 * its owner sets on_event and owner, and is told when the socket changed (readable,
 * writable, connected, failed) or its timer fired with u->err set.
 */
#ifndef EDGE_UPSTREAM_H
#define EDGE_UPSTREAM_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/loop.h"
#include "core/sock.h"

struct upconn;
struct uptls;
struct worker;
typedef struct ssl_st SSL;

/* Idle upstream connections to one target address, per worker. */
struct pool {
    struct pool *next;
    struct sock_addr addr;
    uint64_t tls_key;           /* 0: plain; else uptls_key of what its connections verified */
    char addr_text[64];
    struct upconn *idle;        /* LIFO */
    unsigned nidle;
};

enum up_state {
    UP_CONNECTING = 0,
    UP_ACTIVE,                  /* serving its owner */
    UP_IDLE,                    /* in a pool */
    UP_TUNNEL,
};

/* Fires on socket readiness and on the connection's timer (then u->err is -ETIMEDOUT).
 * Not while the connection is idle in a pool. */
typedef void (*upstream_event_fn)(struct upconn *u, void *owner);

struct upconn {
    struct loop_io io;
    struct loop_timer timer;
    struct loop_defer defer;
    struct worker *w;
    struct pool *pool;
    struct upconn *next_idle;
    struct buf in, out;
    upstream_event_fn on_event;
    void *owner;                /* NULL: nobody listens (idle, or being closed) */
    SSL *ssl;                   /* protocol https: NULL for plain TCP */
    uint32_t nrequests;
    int err;                    /* connect or I/O failure, negative errno */
    uint8_t state;
    bool rd_ready, wr_ready, hup, eof, closed, shut_wr;
    bool tcp_done;              /* connected; with ssl, the handshake follows */
};

/* Returns an idle pooled connection to addr, or starts a new one; NULL with *err. The
 * caller becomes its owner and sets on_event. With tls (protocol https; target_text names
 * the target for SNI and verification) the connection stays UP_CONNECTING through the
 * TLS handshake; a failed handshake sets u->err to -EPROTO and logs why. */
struct upconn *upstream_get(struct worker *w, const struct sock_addr *addr, struct uptls *tls,
                            const char *target_text, bool *reused, int *err);
/* The same; with may_reuse false, always a new connection, and one idle connection to
 * addr is closed (a target that gives each connection a process gets that one back). */
struct upconn *upstream_get_as(struct worker *w, const struct sock_addr *addr, struct uptls *tls,
                               const char *target_text, bool may_reuse, bool *reused,
                               int *err);
/* Sets who is told about u's events; NULL owner silences it. */
void upstream_set_owner(struct upconn *u, upstream_event_fn fn, void *owner);
/* (Re)arms u's timer: when it fires, u->err becomes -ETIMEDOUT and the owner is told. */
void upstream_timer(struct upconn *u, uint64_t ms);
/* Returns a clean connection to its pool, or closes it when it cannot be reused. */
void upstream_release(struct upconn *u, bool reusable);
void upstream_close(struct upconn *u);
/* Half-closes u towards the target (after close_notify over TLS). */
void upstream_shutdown_wr(struct upconn *u);
/* Moves bytes: writes u->out, reads into u->in (while below the high-water mark). Sets
 * u->eof on EOF. Returns 0, or a negative errno for a failed connection. */
int upstream_io(struct upconn *u);
void upstream_pools_free(struct worker *w);

#define EDGE_OUT_HIGH_BYTES (32 * 1024)     /* stop reading the other side above this */
#define EDGE_POOL_MAX_IDLE 256              /* idle upstream connections per target per worker */
#define EDGE_POOL_IDLE_MS 30000

#endif
