/*
 * edge/rng.h: the edge's random source, one per thread that draws (a worker, the health
 * thread): xorshift64*, fast and good enough for request ids, balancing and jitter; never
 * for secrets.
 */
#ifndef EDGE_RNG_H
#define EDGE_RNG_H
#include <stdint.h>

struct rng {
    uint64_t s;                 /* never 0 */
};

/* Seeds from getrandom(2), or from the clock and salt when it fails. */
void rng_seed(struct rng *r, uint64_t salt);
uint64_t rng_next(struct rng *r);

#endif
