/*
 * shield/ratelimit.c: sliding-window counting for rate-based rules. A fresh window has
 * head 0 and zero counts, which reads as "nothing seen", so zeroed storage is valid.
 */
#include "shield/ratelimit.h"

#define RATELIMIT_SLOTS (RATELIMIT_BUCKETS + 1)

static uint64_t
ratelimit_width_ms(uint64_t window_ms)
{
    uint64_t w = window_ms / RATELIMIT_BUCKETS;

    return w ? w : 1;
}

/* Moves head to now's bucket, zeroing the buckets skipped. */
static void
ratelimit_advance(struct ratelimit_window *w, uint64_t idx)
{
    if (idx <= w->head)
        return;
    if (idx - w->head >= RATELIMIT_SLOTS) {
        for (unsigned i = 0; i < RATELIMIT_SLOTS; i++)
            w->count[i] = 0;
    } else {
        for (uint64_t i = w->head + 1; i <= idx; i++)
            w->count[i % RATELIMIT_SLOTS] = 0;
    }
    w->head = idx;
}

uint64_t
ratelimit_estimate(const struct ratelimit_window *w, uint64_t window_ms, uint64_t now_ms)
{
    uint64_t width = ratelimit_width_ms(window_ms);
    uint64_t idx = now_ms / width, sum = 0;

    /* Buckets idx-N+1 .. idx lie inside the window; bucket idx-N overlaps it by the part
     * of the current bucket not yet elapsed. Clock going backwards reads the stored head. */
    if (idx < w->head)
        idx = w->head;
    for (unsigned k = 0; k < RATELIMIT_SLOTS; k++) {
        uint64_t b = idx - k;
        if (k > idx || b > w->head || w->head - b >= RATELIMIT_SLOTS)
            continue;
        uint64_t c = w->count[b % RATELIMIT_SLOTS];
        if (k < RATELIMIT_BUCKETS) {
            sum += c;
        } else {
            uint64_t elapsed = now_ms >= idx * width ? now_ms - idx * width : 0;
            sum += c * (width - (elapsed < width ? elapsed : width)) / width;
        }
    }
    return sum;
}

bool
ratelimit_hit(struct ratelimit_window *w, uint64_t window_ms, uint64_t limit, uint64_t now_ms)
{
    uint64_t idx = now_ms / ratelimit_width_ms(window_ms);

    ratelimit_advance(w, idx);
    if (ratelimit_estimate(w, window_ms, now_ms) >= limit)
        return false;
    if (w->count[w->head % RATELIMIT_SLOTS] < UINT32_MAX)
        w->count[w->head % RATELIMIT_SLOTS]++;
    return true;
}
