/*
 * fleet/backoff.c: crash-loop delays (see backoff.h). Owns nothing, reads no clock.
 */
#include "fleet/backoff.h"

void
backoff_init(struct backoff *b)
{
    b->delay_ms = 0;
    b->not_before_ms = 0;
    b->fast_exits = 0;
}

uint64_t
backoff_next_ms(const struct backoff *b)
{
    uint64_t d = b->delay_ms ? b->delay_ms * 2 : BACKOFF_MIN_MS;

    return d > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d;
}

uint64_t
backoff_exited(struct backoff *b, uint64_t started_ms, uint64_t now_ms)
{
    if (now_ms - started_ms >= BACKOFF_FAST_EXIT_MS)
        return 0;
    b->delay_ms = backoff_next_ms(b);
    b->fast_exits++;
    if (now_ms + b->delay_ms > b->not_before_ms)
        b->not_before_ms = now_ms + b->delay_ms;
    return b->delay_ms;
}

void
backoff_healthy(struct backoff *b, uint64_t healthy_since_ms, uint64_t now_ms)
{
    if (b->delay_ms && now_ms - healthy_since_ms >= BACKOFF_RESET_MS) {
        b->delay_ms = 0;
        b->fast_exits = 0;
    }
}

bool
backoff_may_launch(const struct backoff *b, uint64_t now_ms)
{
    return now_ms >= b->not_before_ms;
}
