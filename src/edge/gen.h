/*
 * edge/gen.h: configuration generations and the listening sockets they share, plus the
 * edge object that publishes them. A generation owns its edge_conf (through a confbox)
 * and holds references on its listener sockets and targets; a transaction holds a
 * reference on the generation it started under.
 */
#ifndef EDGE_GEN_H
#define EDGE_GEN_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sock.h"
#include "edge/edge.h"
#include "edge/edge_conf.h"
#include "edge/target.h"

struct health;
struct shield;
struct tls_listener;
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
    struct tls_listener **tls;  /* parallel to conf.listeners (references); NULL for plain
                                   listeners. A certificate change makes a new generation
                                   with new ones (gen_tls_poll) */
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
/* The index in g's listeners of the socket with this id, or -1 when a reload removed it
 * (a connection accepted under an older generation remembers only the id). */
int gen_listener_of(const struct gen *g, uint32_t lsock_id);
/* The TLS contexts of the listener with this socket id, or NULL (plain, or removed). */
struct tls_listener *gen_tls_of(const struct gen *g, uint32_t lsock_id);
/* Rebuilds the TLS contexts of every listener of the current generation whose
 * certificate or key files changed since they were loaded, and publishes a generation
 * with them; a file that does not load keeps the old contexts (logged). Takes e->lock.
 * Returns the number of listeners reloaded. */
unsigned gen_tls_poll(struct edge *e);

static inline struct gen *
gen_ref(struct gen *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return g;
}

#endif
