/*
 * watch/retry.c: the delivery retry schedule (see retry.h). Owns nothing.
 */
#include "watch/retry.h"

uint64_t
retry_delay_ms(unsigned attempt, uint32_t rnd)
{
    uint64_t base = RETRY_CAP_MS;

    if (attempt == 0)
        attempt = 1;
    if (attempt <= 20) {
        base = (uint64_t)RETRY_BASE_MS << (attempt - 1);
        if (base > RETRY_CAP_MS)
            base = RETRY_CAP_MS;
    }
    /* base * [0.8, 1.2): 0.8 base plus up to 0.4 base in 1/65536 steps. */
    return base * 4 / 5 + base * 2 / 5 * (rnd & 0xffff) / 65536;
}

bool
retry_is_expired(uint64_t queued_ms, uint64_t now_ms)
{
    return now_ms > queued_ms && now_ms - queued_ms >= RETRY_GIVE_UP_MS;
}
