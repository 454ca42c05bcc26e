/*
 * edge/rng.c: seeding and drawing for edge/rng.h. Owns nothing beyond the caller's state.
 */
#include "edge/rng.h"

#include <sys/random.h>

#include "core/clock.h"

void
rng_seed(struct rng *r, uint64_t salt)
{
    if (getrandom(&r->s, sizeof(r->s), 0) != sizeof(r->s) || r->s == 0)
        r->s = clock_mono_us() * 2654435761u + salt + 1;
}

uint64_t
rng_next(struct rng *r)
{
    uint64_t x = r->s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}
