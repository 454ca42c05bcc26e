/* tests/unit/fleet/backoff_test.c: crash-loop delays. */
#include "check.h"
#include "fleet/backoff.h"

TEST(backoff_doubles_on_fast_exits_up_to_a_minute)
{
    struct backoff b;
    uint64_t t = 1000000;

    backoff_init(&b);
    EXPECT_TRUE(backoff_may_launch(&b, t));
    EXPECT_EQ(backoff_exited(&b, t, t + 500), 1000);
    EXPECT_FALSE(backoff_may_launch(&b, t + 1000));
    EXPECT_TRUE(backoff_may_launch(&b, t + 1500));
    EXPECT_EQ(backoff_exited(&b, t, t + 2000), 2000);
    EXPECT_EQ(backoff_exited(&b, t, t + 3000), 4000);
    for (int i = 0; i < 10; i++)
        backoff_exited(&b, t, t + 4000);
    EXPECT_EQ(backoff_next_ms(&b), 60000);
    EXPECT_EQ(b.delay_ms, 60000);
}

TEST(backoff_ignores_slow_exits_and_resets_after_a_healthy_minute)
{
    struct backoff b;

    backoff_init(&b);
    EXPECT_EQ(backoff_exited(&b, 0, 10000), 0);         /* ran 10 s: not a crash loop */
    EXPECT_TRUE(backoff_may_launch(&b, 10000));
    backoff_exited(&b, 20000, 21000);
    backoff_exited(&b, 22000, 23000);
    EXPECT_EQ(b.delay_ms, 2000);
    backoff_healthy(&b, 30000, 89999);
    EXPECT_EQ(b.delay_ms, 2000);                        /* 59.999 s healthy: kept */
    backoff_healthy(&b, 30000, 90000);
    EXPECT_EQ(b.delay_ms, 0);
    EXPECT_EQ(backoff_exited(&b, 95000, 96000), 1000);  /* starts over */
}
