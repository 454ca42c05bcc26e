/*
 * edge/registry.h: runtime (de)registration of targets and the end of draining
 * (registry.c); the daemon-facing calls are in edge.h.
 */
#ifndef EDGE_REGISTRY_H
#define EDGE_REGISTRY_H
#include <stdint.h>

struct edge;
struct gen;

/* Returns the current generation with a reference (caller releases), or NULL. */
struct gen *edge_gen_current(struct edge *e);
/* Removes draining targets whose delay has passed; called by the health thread. */
void registry_drain_tick(struct edge *e, uint64_t now_ms);

#endif
