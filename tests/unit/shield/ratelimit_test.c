/* tests/unit/shield/ratelimit_test.c: the WAF-style sliding window at its boundaries. */
#include "shield/ratelimit.h"

#include <string.h>

#include "check.h"

TEST(shield_ratelimit_limit_is_inclusive)
{
    struct ratelimit_window w;

    memset(&w, 0, sizeof(w));
    for (unsigned i = 0; i < 100; i++)
        EXPECT_TRUE(ratelimit_hit(&w, 60000, 100, 1000000 + i));
    EXPECT_FALSE(ratelimit_hit(&w, 60000, 100, 1000100));       /* the 101st */
    EXPECT_EQ(ratelimit_estimate(&w, 60000, 1000100), 100);      /* refusals not counted */
}

TEST(shield_ratelimit_window_slides)
{
    struct ratelimit_window w;
    uint64_t t0 = 600000;       /* a bucket boundary (buckets are 5 s) */

    memset(&w, 0, sizeof(w));
    for (unsigned i = 0; i < 10; i++)
        EXPECT_TRUE(ratelimit_hit(&w, 60000, 10, t0));
    EXPECT_FALSE(ratelimit_hit(&w, 60000, 10, t0 + 1000));
    /* Just before a full window has passed the requests still count... */
    EXPECT_FALSE(ratelimit_hit(&w, 60000, 10, t0 + 59999));
    /* ...and then the oldest bucket leaves the window linearly: at +60 s it is fully
     * weighted (just entering the interpolated slot), at +62.5 s half, at +65 s gone. */
    EXPECT_EQ(ratelimit_estimate(&w, 60000, t0 + 60000), 10);
    EXPECT_EQ(ratelimit_estimate(&w, 60000, t0 + 62500), 5);
    EXPECT_EQ(ratelimit_estimate(&w, 60000, t0 + 65000), 0);
    EXPECT_TRUE(ratelimit_hit(&w, 60000, 10, t0 + 62500));
    /* Long idle: everything forgotten. */
    EXPECT_EQ(ratelimit_estimate(&w, 60000, t0 + 3600000), 0);
    for (unsigned i = 0; i < 10; i++)
        EXPECT_TRUE(ratelimit_hit(&w, 60000, 10, t0 + 3600000));
    EXPECT_FALSE(ratelimit_hit(&w, 60000, 10, t0 + 3600000));
}

TEST(shield_ratelimit_steady_rate_under_limit_passes)
{
    struct ratelimit_window w;
    unsigned refused = 0;

    memset(&w, 0, sizeof(w));
    /* 9 requests a second against 600 per 60 s: always under. */
    for (uint64_t t = 0; t < 600000; t += 112)
        refused += !ratelimit_hit(&w, 60000, 600, t);
    EXPECT_EQ(refused, 0);
    /* 20 a second: about 600 of every 1200 pass once the window is full. */
    memset(&w, 0, sizeof(w));
    unsigned passed = 0;
    for (uint64_t t = 0; t < 120000; t += 50)
        passed += ratelimit_hit(&w, 60000, 600, t);
    EXPECT_TRUE(passed >= 1100 && passed <= 1300);
}
