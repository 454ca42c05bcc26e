/*
 * edge/edge.h: the edge facade for daemon/. The edge runs one worker thread per
 * configured worker, each with its own event loop and its own SO_REUSEPORT socket per
 * listener. Configuration arrives as generations: edge_apply() publishes a new one, new
 * requests use it at once, requests already running finish under the one they started.
 */
#ifndef EDGE_EDGE_H
#define EDGE_EDGE_H
#include <stdint.h>

#include "core/sock.h"

#include "edge/edge_conf.h"

struct edge;

/* Returns a new edge with `workers` threads (not started yet). */
struct edge *edge_new(unsigned workers);
/* Binds what `conf` needs and publishes it. Takes ownership of *conf on success (the
 * struct is moved and zeroed); on failure returns a negative errno with the reason in
 * errbuf, and the running configuration is untouched. */
int edge_apply(struct edge *e, struct edge_conf *conf, char *errbuf, size_t errlen);
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
/* Asks every worker to reopen its access log (SIGUSR1). Thread-safe. */
void edge_reopen_logs(struct edge *e);
void edge_free(struct edge *e);

#endif
