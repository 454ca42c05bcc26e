/* tests/unit/analyze/analyze_ipv6_test.c: `tierd analyze` counts an IPv6 client by its
 * /ipv6_prefix, as the live shield does: a scanner rotating its address inside a /64 is
 * one offender, reported and suggested for `deny` as the /64, with the addresses it used;
 * with ipv6_prefix 128 the same log has no offender (each address stays below every
 * detector). */
#include "shield/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void
v6_line(struct analyze_stats *s, const char *text)
{
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    analyze_parse_init(&p, ANALYZE_COMBINED);
    assert_int_equal(analyze_parse_line(&p, text, strlen(text), &l, &why), 0);
    analyze_stats_add(s, &l);
    analyze_parse_fini(&p);
}

static struct detect *
v6_detect(unsigned ipv6_prefix)
{
    struct detect_params dp;

    detect_params_default(&dp);
    dp.ipv6_prefix = ipv6_prefix;
    return detect_new(&dp);
}

/* 30 addresses of 2001:db8:1:2::/64, one failing distinct path each (path_bruteforce holds
 * 20 distinct 4xx paths), and a browser in the next /64. */
static void
v6_rotating_log(struct analyze_stats *s)
{
    char line[256];

    for (int i = 0; i < 30; i++) {
        snprintf(line, sizeof(line), "2001:db8:1:2::%x - - [24/Nov/2026:21:00:%02d +0000] "
                 "\"GET /word%d HTTP/1.1\" 404 1 \"-\" \"Mozilla/5.0\"", i + 1, i / 10, i);
        v6_line(s, line);
    }
    v6_line(s, "2001:db8:1:3::5 - - [24/Nov/2026:21:00:05 +0000] \"GET / HTTP/1.1\" 200 1 "
               "\"-\" \"Mozilla/5.0\"");
}

TEST(analyze_ipv6_rotating_scanner_is_one_offender_by_its_64)
{
    struct analyze_run *r = calloc(1, sizeof(*r));
    struct analyze_file f = { .path = "access.log", .format = ANALYZE_COMBINED };
    struct analyze_deny *d;
    size_t *m;

    r->files = &f;
    r->nfiles = 1;
    analyze_stats_init(&r->stats, v6_detect(64), 0);
    v6_rotating_log(&r->stats);
    analyze_stats_finish(&r->stats);
    const struct analyze_stats *s = &r->stats;
    EXPECT_EQ(s->ipv6_prefix, 64);
    EXPECT_EQ(s->naddrs, 2);                        /* two clients: the /64s */
    EXPECT_EQ(s->noffenders, 1);
    const struct analyze_addr *o = &s->addrs[s->offenders[0]];
    EXPECT_STREQ(o->text, "2001:db8:1:2::/64");
    EXPECT_EQ(o->requests, 30);
    EXPECT_EQ(o->distinct_addrs, 30);
    EXPECT_EQ(o->naddr_samples, ANALYZE_SAMPLE_ADDRS);
    EXPECT_STREQ(o->addr_samples[0], "2001:db8:1:2::1");
    EXPECT_STREQ(o->hits[0].detector, "path_bruteforce");
    EXPECT_TRUE(strstr(o->hits[0].evidence, "from 2001:db8:1:2::15") != NULL);
    size_t n = analyze_report_deny(s, &d, &m);
    EXPECT_EQ(n, 1);
    EXPECT_STREQ(d[0].entry, "2001:db8:1:2::/64");
    free(d);
    free(m);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    analyze_report_text(r, out);
    fclose(out);
    EXPECT_TRUE(strstr(text, "deny: [\"2001:db8:1:2::/64\"]") != NULL);
    EXPECT_TRUE(strstr(text, "addresses (30 distinct): 2001:db8:1:2::1, 2001:db8:1:2::2") !=
                NULL);
    EXPECT_TRUE(strstr(text, "from 31 addresses (2 clients; IPv6 by /64)") != NULL);
    free(text);
    out = open_memstream(&text, &len);
    EXPECT_EQ(analyze_report_json(r, out), 0);
    fclose(out);
    EXPECT_TRUE(strstr(text, "\"ipv6_prefix\": 64") != NULL);
    EXPECT_TRUE(strstr(text, "\"address\": \"2001:db8:1:2::/64\"") != NULL);
    EXPECT_TRUE(strstr(text, "\"distinct_addresses\": 30") != NULL);
    EXPECT_TRUE(strstr(text, "\"addresses\": 31") != NULL);
    EXPECT_TRUE(strstr(text, "\"clients\": 2") != NULL);
    free(text);
    analyze_stats_fini(&r->stats);
    free(r);
}

TEST(analyze_ipv6_prefix_128_is_per_address)
{
    struct analyze_stats s;

    analyze_stats_init(&s, v6_detect(128), 0);
    v6_rotating_log(&s);
    analyze_stats_finish(&s);
    EXPECT_EQ(s.ipv6_prefix, 128);
    EXPECT_EQ(s.naddrs, 31);
    EXPECT_EQ(s.noffenders, 0);
    EXPECT_STREQ(s.addrs[0].text, "2001:db8:1:2::1");
    EXPECT_EQ(s.addrs[0].distinct_addrs, 1);
    analyze_stats_fini(&s);
}

/* A /96 client: offenders of one /64 still collapse into it (ip_24's grouping). */
TEST(analyze_ipv6_narrow_prefixes_collapse_into_their_64)
{
    struct analyze_stats s;
    struct analyze_deny *d;
    size_t *m;
    char line[256];

    analyze_stats_init(&s, v6_detect(96), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), "2001:db8:1:2:0:%x:: - - [24/Nov/2026:21:00:00 +0000] "
                 "\"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"", i + 1);
        v6_line(&s, line);
    }
    for (size_t i = 0; i < s.naddrs; i++)
        analyze_stats_hit(&s, &s.addrs[i], "path_bruteforce", "test", 0);
    analyze_stats_finish(&s);
    EXPECT_EQ(s.naddrs, 3);
    EXPECT_STREQ(s.addrs[0].text, "2001:db8:1:2:0:1::/96");
    size_t n = analyze_report_deny(&s, &d, &m);
    EXPECT_EQ(n, 1);
    EXPECT_STREQ(d[0].entry, "2001:db8:1:2::/64");
    EXPECT_EQ(d[0].count, 3);
    free(d);
    free(m);
    analyze_stats_fini(&s);
}
