/* tests/unit/watch/retry_test.c: the delivery retry schedule: doubling from 1 s, capped at
 * 5 min, jitter within [0.8, 1.2), and giving up only after more than 24 h. */
#include "watch/retry.h"

#include "check.h"

TEST(watch_retry_schedule_doubles_to_five_minutes)
{
    static const uint64_t base[] = { 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000,
                                     256000, 300000, 300000 };

    for (unsigned a = 1; a <= 11; a++) {
        EXPECT_EQ(retry_delay_ms(a, 0), base[a - 1] * 4 / 5);            /* least jitter */
        uint64_t most = retry_delay_ms(a, 0xffff);
        EXPECT_TRUE(most < base[a - 1] * 6 / 5 && most > base[a - 1]);
    }
    EXPECT_EQ(retry_delay_ms(1000, 0x8000), 300000);    /* the cap, no overflow */
    /* Total time of 400 tries covers well over a day; none is given up before 24 h. */
    uint64_t total = 0;
    for (unsigned a = 1; a <= 400; a++)
        total += retry_delay_ms(a, 0);
    EXPECT_TRUE(total > 24ull * 3600 * 1000);
    EXPECT_FALSE(retry_is_expired(0, 24ull * 3600 * 1000));
    EXPECT_TRUE(retry_is_expired(0, RETRY_GIVE_UP_MS));
}
