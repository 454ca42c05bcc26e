/*
 * watch/retry.h: when a failed notification delivery is tried again. Exponential:
 * 1 s, 2 s, 4 s ... capped at 5 min, each scaled by a jitter in [0.8, 1.2) so that many
 * deliveries failing together do not retry together; a delivery is given up
 * RETRY_GIVE_UP_MS after it was queued (3 days: a receiver may be down over a weekend
 * night; at least the 24 h promised). Pure: the caller passes the random draw.
 */
#ifndef WATCH_RETRY_H
#define WATCH_RETRY_H
#include <stdbool.h>
#include <stdint.h>

#define RETRY_BASE_MS 1000
#define RETRY_CAP_MS 300000
#define RETRY_GIVE_UP_MS (72ull * 3600 * 1000)

/* The delay before try attempt + 1, after `attempt` failed tries (attempt >= 1);
 * rnd is any 32-bit random value. */
uint64_t retry_delay_ms(unsigned attempt, uint32_t rnd);
/* True when a delivery queued at queued_ms is not tried again at now_ms. */
bool retry_is_expired(uint64_t queued_ms, uint64_t now_ms);

#endif
