/* tests/unit/shield/analyze_memory_test.c: the long-memory checks of `tierd analyze`
 * (analyze_stats.c): slow scans and the range rule, on log lines. */
#include "shield/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void
line(struct analyze_stats *s, const char *addr, int hour, int min, const char *path, int status)
{
    char text[256];
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    snprintf(text, sizeof(text), "%s - - [24/Nov/2026:%02d:%02d:00 +0000] \"GET %s HTTP/1.1\" "
             "%d 1 \"-\" \"Mozilla/5.0\"", addr, hour, min, path, status);
    analyze_parse_init(&p, ANALYZE_COMBINED);
    assert_int_equal(analyze_parse_line(&p, text, strlen(text), &l, &why), 0);
    analyze_stats_add(s, &l);
    analyze_parse_fini(&p);
}

static struct analyze_stats *
stats(void)
{
    struct detect_params dp;
    struct analyze_stats *s = calloc(1, sizeof(*s));

    detect_params_default(&dp);
    analyze_stats_init(s, detect_new(&dp), 0);
    return s;
}

static const struct analyze_addr *
client(const struct analyze_stats *s, const char *text)
{
    for (size_t i = 0; i < s->naddrs; i++)
        if (strcmp(s->addrs[i].text, text) == 0)
            return &s->addrs[i];
    fail_msg("%s: not a client", text);
    return NULL;
}

TEST(analyze_memory_slow_scan_is_an_offender)
{
    struct analyze_stats *s = stats();

    /* /.env every 7 minutes for 77 minutes; a user who got pages probes the same way. */
    for (int i = 0; i < 12; i++) {
        line(s, "198.51.100.7", 8 + i * 7 / 60, i * 7 % 60, "/.env", 404);
        line(s, "203.0.113.9", 8 + i * 7 / 60, i * 7 % 60, i ? "/.env" : "/", i ? 404 : 200);
    }
    /* Ten probes in ten minutes: not slow (the detectors' business). */
    for (int i = 0; i < 10; i++)
        line(s, "198.51.100.8", 8, i, "/.git/config", 404);
    analyze_stats_finish(s);
    const struct analyze_addr *slow = client(s, "198.51.100.7");
    EXPECT_EQ(slow->nhits, 1);
    EXPECT_STREQ(slow->hits[0].detector, "slow_scan");
    EXPECT_EQ(client(s, "203.0.113.9")->nhits, 0);
    for (unsigned i = 0; i < client(s, "198.51.100.8")->nhits; i++)
        EXPECT_TRUE(strcmp(client(s, "198.51.100.8")->hits[i].detector, "slow_scan") != 0);
    analyze_stats_fini(s);
    free(s);
}

TEST(analyze_memory_ranges_follow_the_live_rule)
{
    struct analyze_stats *s = stats();
    char addr[32];

    /* 10.1.1.0/24: 9 clients each probing two paths (each below every bucket): due. */
    for (int i = 1; i <= 9; i++) {
        snprintf(addr, sizeof(addr), "10.1.1.%d", i);
        line(s, addr, 8, i, "/.env", 404);
        line(s, addr, 8, i + 1, "/backup.sql", 404);
    }
    /* 10.2.2.0/24: the same, plus one client served a page: held back. */
    for (int i = 1; i <= 9; i++) {
        snprintf(addr, sizeof(addr), "10.2.2.%d", i);
        line(s, addr, 8, i, "/.env", 404);
        line(s, addr, 8, i + 1, "/backup.sql", 404);
    }
    line(s, "10.2.2.200", 8, 30, "/", 200);
    /* 10.3.3.0/24: 8 probing among 30 served-nothing-failed neutral clients... 8 of 40. */
    for (int i = 1; i <= 8; i++) {
        snprintf(addr, sizeof(addr), "10.3.3.%d", i);
        line(s, addr, 8, i, "/.env", 404);
        line(s, addr, 8, i + 1, "/backup.sql", 404);
    }
    for (int i = 100; i < 132; i++) {
        snprintf(addr, sizeof(addr), "10.3.3.%d", i);
        line(s, addr, 8, 5, "/login", 401);
    }
    analyze_stats_finish(s);
    struct analyze_range *g;
    size_t n = analyze_stats_ranges(s, &g);
    EXPECT_EQ(n, 3);
    EXPECT_STREQ(g[0].entry, "10.1.1.0/24");
    EXPECT_TRUE(g[0].due);
    EXPECT_EQ(g[0].offending, 9);
    for (size_t i = 1; i < n; i++) {
        EXPECT_FALSE(g[i].due);
        if (strcmp(g[i].entry, "10.2.2.0/24") == 0)
            EXPECT_EQ(g[i].good, 1);
        else
            EXPECT_EQ(g[i].seen, 40);
    }
    free(g);
    analyze_stats_fini(s);
    free(s);
}
