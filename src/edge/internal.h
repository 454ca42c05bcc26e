/*
 * edge/internal.h: types shared by the files of edge/. Not for other subsystems.
 *
 * Ownership: the edge owns its workers and the current generation; a generation owns
 * its edge_conf and holds references on its listener sockets; a worker owns its client
 * connections, upstream connections and pools; a client connection owns its current
 * transaction, which holds a reference on the generation it started under.
 */
#ifndef EDGE_INTERNAL_H
#define EDGE_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/loop.h"
#include "core/metric.h"
#include "core/sock.h"
#include "edge/edge.h"
#include "edge/edge_conf.h"
#include "edge/health.h"
#include "edge/initwait.h"
#include "edge/target.h"
#include "http/h1.h"
#include "shield/shield.h"

struct worker;

/* One listening address: one SO_REUSEPORT socket per worker. Shared by the generations
 * that use the address (so a reload keeps its accept queues); closed with the last. */
struct lsock {
    atomic_int refs;
    uint32_t id;                /* unique for the process; connections remember it */
    struct sock_addr addr;
    unsigned nfds;
    int fds[];                  /* one per worker */
};

/* The targets of one group in one generation: the configured ones, those registered
 * at run time, and draining ones until their delay ends. */
struct tg_rt {
    unsigned n;
    struct target **targets;    /* references */
};

/* One loaded edge configuration; several generations share it when only their targets
 * differ (runtime registration, the end of a drain). */
struct confbox {
    atomic_int refs;
    struct edge_conf conf;
};

/* A configuration generation. */
struct gen {
    atomic_int refs;
    uint64_t seq;
    struct edge_conf conf;      /* a shallow copy of box->conf, which owns the storage */
    struct confbox *box;
    struct lsock **lsocks;      /* parallel to conf.listeners */
    struct tg_rt *tgrt;         /* parallel to conf.tgs */
};

struct edge {
    struct health *health;
    struct shield *shield;      /* borrowed; NULL when the daemon has none */
    unsigned nworkers;
    struct worker **workers;
    pthread_mutex_t lock;       /* guards cur for edge_apply */
    struct gen *cur;
    uint64_t next_seq;
    uint32_t next_lsock_id;
    atomic_uint log_reopen_seq;
    bool started;
};

/* Idle upstream connections to one target address, per worker. */
struct pool {
    struct pool *next;
    struct sock_addr addr;
    char addr_text[64];
    struct upconn *idle;        /* LIFO */
    unsigned nidle;
};

struct accesslog {
    int fd;
    char *path;                 /* owned copy, to compare across generations */
    unsigned reopen_seq;
    int64_t ts_sec;             /* the second ts_combined was formatted for */
    char ts_combined[32];       /* "24/Nov/2026:21:59:58 +0000" */
    struct buf buf;
    struct loop_timer flush_timer;
};

/* A worker's watch on one listening socket. */
struct lwatch {
    struct loop_io io;
    struct worker *w;
    uint32_t id;
    uint16_t port;
    bool watching;
};

/* Counters of one listener or target group in one worker, found by name so that they
 * survive reloads. Written by the worker alone; other threads read them (relaxed). */
#define STATS_SLOTS_MAX 64
struct stats_slot {
    char name[64];
    _Atomic uint64_t requests[6];       /* by status class: [0] other, [1] 1xx .. [5] 5xx */
    _Atomic uint64_t bytes;             /* response body bytes sent */
    _Atomic uint64_t accepted;          /* listeners: connections accepted */
    _Atomic int64_t active;             /* listeners: connections open */
    _Atomic int64_t waiting;            /* groups: requests parked in initwait.c */
    struct metric_hist latency;         /* request time, microseconds */
};

struct worker_stats {
    struct stats_slot *l[STATS_SLOTS_MAX];  /* listeners; allocated once, never moved */
    atomic_uint nl;
    struct stats_slot *g[STATS_SLOTS_MAX];  /* target groups */
    atomic_uint ng;
    uint8_t *lslot;             /* listener index of w->gen -> slot (255: none) */
    uint8_t *gslot;             /* target-group index of w->gen -> slot */
};

struct worker {
    struct edge *edge;
    unsigned index;
    pthread_t thread;
    struct loop *loop;
    struct gen *gen;            /* current generation (a reference) */
    _Atomic(struct gen *) next_gen;     /* published by edge_apply, taken by the worker */
    atomic_bool stop_requested;
    bool stopping;
    struct loop_timer stop_timer;
    struct lwatch *lw;          /* one per listener of gen, watching lsocks[i]->fds[index] */
    unsigned nlw;
    struct loop_timer accept_timer;     /* resumes accepting after EMFILE */
    struct conn *conns;         /* every client connection (doubly linked) */
    unsigned nconns;
    atomic_uint nconns_shared;  /* nconns, readable by other threads */
    struct pool *pools;
    int64_t **cw;               /* per target group of gen: smooth round-robin weights */
    struct loop_timer sweep_timer;      /* closes connections to drained targets */
    uint64_t rng;
    uint64_t moved;             /* bytes received or sent by this worker: progress meter */
    struct accesslog log;
    struct worker_stats stats;
    struct initwait_q waitq;    /* requests waiting for a starting group */
    struct h1_request req;      /* parse scratch: large, so one per worker */
    struct h1_response resp;
};

enum conn_state {
    CONN_IDLE = 0,              /* between requests (keep-alive) or before the first */
    CONN_HEAD,                  /* reading a request head */
    CONN_TXN,                   /* a transaction is running */
    CONN_TUNNEL,                /* upgraded: bytes both ways */
    CONN_LINGER,                /* write side shut, discarding input until EOF */
};

/* A client connection. Kept small: an idle one holds no buffer. */
struct conn {
    struct loop_io io;
    struct loop_timer timer;
    struct loop_defer defer;    /* frees the connection after close */
    struct loop_defer kick;     /* resumes a transaction that yielded to others */
    struct worker *w;
    struct conn *prev, *next;
    struct buf in, out;
    struct txn *txn;
    uint32_t listener_id;
    uint32_t nrequests;
    uint16_t local_port;
    uint16_t peer_port;
    uint8_t peer_family;
    uint16_t head_scan;         /* bytes of in already searched for the end of a head */
    struct h1_request_prefix head_check;  /* how far in can still begin a request */
    uint8_t lstat;              /* stats slot of its listener, 255 for none */
    bool shield_counted;        /* shield_accept counted it: shield_release at close */
    uint8_t state;              /* enum conn_state */
    bool rd_ready, wr_ready, hup, eof, closed, close_after, shut_wr;
    uint8_t peer_addr[16];
};

enum up_state {
    UP_CONNECTING = 0,
    UP_ACTIVE,                  /* serving a transaction */
    UP_IDLE,                    /* in a pool */
    UP_TUNNEL,
};

struct upconn {
    struct loop_io io;
    struct loop_timer timer;
    struct loop_defer defer;
    struct worker *w;
    struct pool *pool;
    struct upconn *next_idle;
    struct buf in, out;
    struct txn *txn;
    uint32_t nrequests;
    int err;                    /* connect or I/O failure, negative errno */
    uint8_t state;
    bool rd_ready, wr_ready, hup, eof, closed, shut_wr;
};

/* One request/response exchange on a client connection. */
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

    /* request */
    uint8_t req_framing;        /* enum h1_framing */
    uint64_t req_remaining;     /* LENGTH: body bytes still to forward */
    struct h1_chunked req_chunk;
    bool req_done;              /* the whole request is in u->out (or was written) */
    uint32_t head_in_cin;       /* bodiless requests keep their head in c->in until the
                                   response starts, so a failed attempt can be replayed */
    bool is_head, idempotent, client_keepalive, upgrade, close_after, reused;
    uint8_t version_minor;

    /* response */
    bool resp_started;          /* a response byte reached c->out */
    bool resp_head_done;
    bool resp_done;
    bool resp_chunked_out;      /* re-encoding chunked towards the client */
    bool resp_close_out;        /* close-delimited towards the client */
    bool target_keepalive;      /* the target allows reuse after this response */
    bool sticky;                /* set the stickiness cookie on the response */
    bool shield_seen;           /* the shield saw the request: tell it the status */
    bool static_asset;
    struct shield_addr client;  /* the client address the shield judged */

    /* static action: the file to send after the head */
    int file_fd;                /* -1 when none */
    off_t file_off;
    uint64_t file_left;
    uint8_t resp_framing;
    uint64_t resp_remaining;
    struct h1_chunked resp_chunk;
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

/* worker.c */
void worker_conn_unlink(struct worker *w, struct conn *c);
struct lsock *worker_lsock_of(struct worker *w, uint32_t id, unsigned *index);
uint64_t worker_random(struct worker *w);

/* proxy.c: client side */
void conn_accepted(struct worker *w, int fd, const struct sockaddr_storage *peer,
                   uint32_t listener_id, uint16_t local_port, uint8_t lstat,
                   bool shield_counted);
void conn_close(struct conn *c);
void conn_begin_shutdown(struct conn *c);
/* Starts the once-a-second sweep that closes work still bound to drained targets. */
void proxy_sweep_start(struct worker *w);
/* Called by the upstream side when something happened that the transaction must see. */
void txn_upstream_event(struct txn *t);
/* Called by initwait.c for a parked transaction, taken off its queue: ready, it goes to
 * a target; else (initial_wait passed) it is answered 503 with Retry-After. */
void proxy_wait_done(struct txn *t, bool ready);

/* upstream.c */
/* Returns an idle pooled connection to addr, or starts a new one; NULL with *err. */
struct upconn *upstream_get(struct worker *w, const struct sock_addr *addr, bool *reused,
                            int *err);
/* Returns a clean connection to its pool, or closes it when it cannot be reused. */
void upstream_release(struct upconn *u, bool reusable);
void upstream_close(struct upconn *u);
/* Moves bytes: writes u->out, reads into u->in (while below the high-water mark). Sets
 * u->eof on EOF. Returns 0, or a negative errno for a failed connection. */
int upstream_io(struct upconn *u);
void upstream_pools_free(struct worker *w);

/* forward.c: heads in both directions and local responses */
int forward_request_head(struct buf *out, const struct h1_request *r, const struct conn *c,
                         const struct txn *t);
int forward_response_head(struct buf *out, const struct h1_response *r, struct txn *t,
                          bool close_client);
/* A complete locally generated response (error pages). */
int forward_local_response(struct buf *out, int status, bool close, const char *extra_headers);

/* route.c */
const struct edge_rule *route_match(const struct edge_listener_conf *lc,
                                    const struct h1_request *r);
bool route_glob_match(const char *pat, const char *s, size_t len);

/* stats.c */
#define STATS_NONE 255
/* Adds to a counter only its worker writes: a relaxed load and store, no locked
 * read-modify-write; readers on other threads still see whole values. */
static inline void
stats_add(_Atomic uint64_t *x, uint64_t v)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + v,
                          memory_order_relaxed);
}
static inline void
stats_add_signed(_Atomic int64_t *x, int64_t v)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + v,
                          memory_order_relaxed);
}
/* Maps the listeners and groups of w->gen to slots (after a generation switch). */
void stats_take_gen(struct worker *w);
void stats_txn_done(struct worker *w, const struct txn *t, uint64_t now_us);
void stats_free(struct worker *w);

/* guard.c: the edge's side of the shield */
/* At accept: false when the shield refuses the connection (it is closed, uncounted). */
bool guard_accept(struct worker *w, const struct sockaddr_storage *peer, bool *counted);
void guard_release(struct worker *w, const struct conn *c);
/* After routing: 0 to go on, or the status to answer (403/429) when refused. */
int guard_request(struct txn *t, const struct h1_request *r, bool static_asset);
/* When a request the shield saw has its status. */
void guard_response(struct txn *t);

/* sticky.c */
#define STICKY_COOKIE "tierd_tg"
uint64_t sticky_key(const char *group, const struct target *t);
/* The index in rt of the target r's cookie names, if it may take traffic now; else -1. */
int sticky_lookup(const struct h1_request *r, const struct edge_tg_conf *tc,
                  const struct tg_rt *rt);
void sticky_set_cookie(struct buf *out, const struct edge_tg_conf *tc, const struct target *t);

/* accesslog.c */
void accesslog_open(struct worker *w);
void accesslog_write(struct worker *w, const struct txn *t, uint64_t now_us);
void accesslog_close(struct worker *w);

/* registry.c: runtime (de)registration and the end of draining */
/* Returns the current generation with a reference (caller releases), or NULL. */
struct gen *edge_gen_current(struct edge *e);
/* Removes draining targets whose delay has passed; called by the health thread. */
void registry_drain_tick(struct edge *e, uint64_t now_ms);

/* gen.c */
/* Builds a generation from conf (moved in), reusing prev's sockets for unchanged
 * addresses and prev's target objects for targets it keeps; targets prev had and conf
 * drops start draining. Returns NULL with a message in errbuf when a socket cannot be
 * bound. */
struct gen *gen_build(struct edge *e, struct edge_conf *conf, const struct gen *prev,
                      uint64_t now_ms, char *errbuf, size_t errlen);
/* A generation with prev's configuration and sockets and the given target lists
 * (tgrt: one per group, references moved in). */
struct gen *gen_with_targets(struct edge *e, const struct gen *prev, struct tg_rt *tgrt);
void gen_release(struct gen *g);
/* Publishes g as the current generation (takes the caller's reference). Caller holds
 * e->lock. */
void gen_publish(struct edge *e, struct gen *g);
static inline struct gen *
gen_ref(struct gen *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return g;
}

#define EDGE_OUT_HIGH_BYTES (32 * 1024)     /* stop reading the other side above this */
#define EDGE_POOL_MAX_IDLE 256              /* idle upstream connections per target per worker */
#define EDGE_POOL_IDLE_MS 30000
#define EDGE_LINGER_MS 5000

#endif
