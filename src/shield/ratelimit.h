/*
 * shield/ratelimit.h: the request count of one aggregation key over a sliding window, as
 * an AWS WAF rate-based rule estimates it. The window is cut into RATELIMIT_BUCKETS
 * sub-buckets (5 s for a 60 s window, 25 s for 300 s); the estimate is the sum of the
 * buckets inside the window plus the share of the oldest partial bucket that still
 * overlaps it (linear interpolation). Pure: no clock, no locks; the caller owns storage.
 */
#ifndef SHIELD_RATELIMIT_H
#define SHIELD_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_BUCKETS 12

struct ratelimit_window {
    uint64_t head;                          /* index of the newest bucket (now / width) */
    uint32_t count[RATELIMIT_BUCKETS + 1];  /* ring: count[i % (N + 1)] */
};

/* The estimated number of requests in (now - window, now]. */
uint64_t ratelimit_estimate(const struct ratelimit_window *w, uint64_t window_ms,
                            uint64_t now_ms);
/* Decides one request: true when it may pass, which also counts it; false when the key
 * is over the limit (the refused request is not counted, so a client that keeps
 * hammering is released once its admitted requests age out, like WAF's "while over"). */
bool ratelimit_hit(struct ratelimit_window *w, uint64_t window_ms, uint64_t limit,
                   uint64_t now_ms);

#endif
