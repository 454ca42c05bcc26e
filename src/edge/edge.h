/*
 * edge/edge.h: the edge facade for daemon/. The edge runs one worker thread per
 * configured worker, each with its own event loop and its own SO_REUSEPORT socket per
 * listener. Configuration arrives as generations: edge_apply() publishes a new one, new
 * requests use it at once, requests already running finish under the one they started.
 */
#ifndef EDGE_EDGE_H
#define EDGE_EDGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "core/sock.h"

#include "edge/edge_conf.h"

struct edge;

/* Returns a new edge with `workers` threads (not started yet). */
struct edge *edge_new(unsigned workers);
/* Binds what `conf` needs and publishes it. Takes ownership of *conf on success (the
 * struct is moved and zeroed); on failure returns a negative errno with the reason in
 * errbuf, and the running configuration is untouched. */
int edge_apply(struct edge *e, struct edge_conf *conf, char *errbuf, size_t errlen);
struct shield;
/* Gives the edge the shield to ask for verdicts (borrowed; before edge_start). */
void edge_set_shield(struct edge *e, struct shield *s);
/* Answers an ACME http-01 challenge: the key authorization for token into out (NUL-
 * terminated) and true, or false when the token is not being validated. Called on edge
 * worker threads; must be thread-safe and never block. */
typedef bool (*edge_challenge_fn)(void *ctx, const char *token, char *out, size_t outlen);
/* Makes every listener answer GET /.well-known/acme-challenge/TOKEN from fn before its
 * rules (an unknown token goes on to the rules). Before edge_start. */
void edge_set_challenge(struct edge *e, edge_challenge_fn fn, void *ctx);
/* Finds the ACME tls-alpn-01 validation certificate for servername: true with two new
 * references (the edge frees them), or false. Called on edge worker threads during
 * handshakes; must be thread-safe and never block. */
typedef bool (*edge_alpn_cert_fn)(void *ctx, const char *servername, X509 **cert,
                                  EVP_PKEY **key);
/* Makes TLS listeners answer tls-alpn-01 (RFC 8737) from fn when a client offers ALPN
 * acme-tls/1. Before edge_start. */
void edge_set_alpn_challenge(struct edge *e, edge_alpn_cert_fn fn, void *ctx);
/* Reloads the certificates of TLS listeners whose files changed (call every few seconds
 * from the control thread). Returns how many listeners were reloaded. */
unsigned edge_tls_poll(struct edge *e);
#define EDGE_TLS_POLL_MS 5000
/* Starts the worker threads; 0 or a negative errno. */
int edge_start(struct edge *e);
/* Stops accepting, lets requests in flight finish until the configured shutdown
 * deadline, closes the rest and joins the workers. */
void edge_shutdown(struct edge *e);
/* Adds a target to a group at run time (the fleet's instances). Idempotent; cancels a
 * drain in progress. -ENOENT for an unknown group. Thread-safe. */
int edge_target_register(struct edge *e, const char *group, const struct sock_addr *addr,
                         unsigned weight);
/* Starts draining a target: no new requests; requests in flight finish until the
 * group's deregistration_delay, then are closed. -ENOENT if unknown. Thread-safe. */
int edge_target_deregister(struct edge *e, const char *group, const struct sock_addr *addr);
/* A target as the operator sees it (a copy: valid after the call). */
struct edge_target_info {
    const char *group;
    char address[64];
    unsigned weight;
    bool dynamic;               /* registered at run time, not from the stack file */
    const char *state;          /* "initial", "healthy", "unhealthy", "draining", "unused" */
    const char *reason;         /* ALB reason code or "" */
    char description[160];      /* what failed, beyond the code ("certificate verify
                                   failed: ..."), or "" */
    unsigned in_flight;
    uint64_t requests;
    uint64_t errors;
    double latency_avg_ms;      /* over `requests` */
    int last_health_status;     /* the last probe's HTTP status, 0 if none */
    uint64_t drain_remaining_ms;    /* draining: until its deregistration_delay ends */
};

/* A listener as the operator sees it. */
struct edge_listener_info {
    const char *name;
    char address[64];           /* the bound address (port 0 resolved) */
    unsigned rules;
};

typedef void (*edge_target_fn)(void *ctx, const struct edge_target_info *t);
typedef void (*edge_listener_fn)(void *ctx, const struct edge_listener_info *l);

/* Calls fn for every target of every group of the running configuration (group order,
 * then target order), or of one group when `group` is not NULL. Returns the number of
 * targets visited, or -ENOENT for an unknown group. Thread-safe. */
int edge_visit_targets(struct edge *e, const char *group, edge_target_fn fn, void *ctx);
/* One target's state and request count by group and address (for the fleet: ELB health
 * checks and request_count_per_target). Returns 0, or -ENOENT when the group or the
 * target is unknown (a drained target that left the group: "unused"). Thread-safe. */
int edge_target_lookup(struct edge *e, const char *group, const struct sock_addr *addr,
                       struct edge_target_info *out);
/* Calls fn for every listener. Thread-safe. */
void edge_visit_listeners(struct edge *e, edge_listener_fn fn, void *ctx);
/* Counters of the edge as a whole, summed over workers. */
struct edge_stats {
    unsigned workers;
    uint64_t connections;       /* client connections open now */
    uint64_t generation;        /* configuration generation in use */
};
void edge_get_stats(struct edge *e, struct edge_stats *out);

/* One metric value, Prometheus-style: a name, up to 4 label pairs, and a counter, a
 * gauge or a histogram (of microseconds or bytes, as the name says). Borrowed for the
 * call. */
enum edge_metric_kind { EDGE_METRIC_COUNTER = 0, EDGE_METRIC_GAUGE, EDGE_METRIC_HIST };
struct metric_hist;
struct edge_metric {
    const char *name;
    enum edge_metric_kind kind;
    unsigned nlabels;
    const char *label_names[4];
    const char *label_values[4];
    uint64_t counter;
    double gauge;
    const struct metric_hist *hist;
};
typedef void (*edge_metric_fn)(void *ctx, const struct edge_metric *m);
/* Reports every edge metric, summed over workers (each worker writes its own counters
 * without locks; this reads them). Thread-safe. */
void edge_visit_metrics(struct edge *e, edge_metric_fn fn, void *ctx);

/* Asks every worker to reopen its access log (SIGUSR1). Thread-safe. */
void edge_reopen_logs(struct edge *e);
void edge_free(struct edge *e);

#endif
