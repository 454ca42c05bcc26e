/* tests/unit/data/reconf_test.c: the maintenance window, with injected wall clocks: a
 * pending parameter waits for its minutes of the UTC week, including a window that wraps
 * from sunday into monday. */
#include "data/internal.h"

#include <stdint.h>

#include "check.h"

/* 2026-12-06 00:00:00 UTC, a sunday. */
#define SUN (1796515200000LL)
#define MIN (60000LL)

TEST(data_maintenance_window_follows_the_utc_week)
{
    struct data_db_conf c = { 0 };
    const char *why;

    EXPECT_EQ(data_conf_parse_weekly("sun:04:00-sun:04:30", &c.maint_start_min,
                                     &c.maint_end_min, &why), 0);
    EXPECT_FALSE(reconf_in_window(&c, SUN + 239 * MIN));           /* 03:59 */
    EXPECT_TRUE(reconf_in_window(&c, SUN + 240 * MIN));            /* 04:00 */
    EXPECT_TRUE(reconf_in_window(&c, SUN + 269 * MIN));            /* 04:29 */
    EXPECT_FALSE(reconf_in_window(&c, SUN + 270 * MIN));           /* 04:30 */
    EXPECT_FALSE(reconf_in_window(&c, SUN + 240 * MIN - 6 * 1440 * MIN));   /* a monday */
    EXPECT_TRUE(reconf_in_window(&c, SUN + 250 * MIN + 7 * 1440 * MIN));   /* next sunday */

    /* Wrapping over the week's end: sunday 23:50 to monday 00:20. */
    EXPECT_EQ(data_conf_parse_weekly("sun:23:50-mon:00:20", &c.maint_start_min,
                                     &c.maint_end_min, &why), 0);
    EXPECT_TRUE(reconf_in_window(&c, SUN + (23 * 60 + 55) * MIN));
    EXPECT_TRUE(reconf_in_window(&c, SUN + (24 * 60 + 10) * MIN));
    EXPECT_FALSE(reconf_in_window(&c, SUN + (24 * 60 + 20) * MIN));
    EXPECT_FALSE(reconf_in_window(&c, SUN + (23 * 60 + 49) * MIN));
}
