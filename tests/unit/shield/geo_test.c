/* tests/unit/shield/geo_test.c: the country database (shield/geo.c): Tor's geoip format
 * read from a fixture file (IPv4 and IPv6), lookups at the edges of ranges, merging of
 * adjacent ranges, malformed lines named by number, overlaps refused, country codes. */
#include "shield/geo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "shield/cidr.h"

#define FIXTURE TEST_SRCDIR "/tests/unit/shield/geo_fixture/"

static struct shield_addr
A(const char *s)
{
    struct shield_addr a;

    if (cidr_addr_parse(s, strlen(s), &a) < 0)
        fail_msg("bad test address %s", s);
    return a;
}

static const char *
country(const struct geo *g, const char *addr)
{
    static char out[3];
    struct shield_addr a = A(addr);

    geo_code_format(geo_lookup(g, &a), out);
    return out;
}

static struct geo *
fixture(void)
{
    struct geo *g = geo_new();
    char why[160] = "";

    EXPECT_EQ(geo_load(g, false, FIXTURE "geoip", why, sizeof(why)), 0);
    EXPECT_EQ(geo_load(g, true, FIXTURE "geoip6", why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), 0);
    return g;
}

TEST(shield_geo_looks_up_the_fixture)
{
    struct geo *g = fixture();

    EXPECT_STREQ(country(g, "1.0.0.0"), "AU");
    EXPECT_STREQ(country(g, "1.0.0.255"), "AU");
    EXPECT_STREQ(country(g, "1.0.1.0"), "");
    EXPECT_STREQ(country(g, "0.0.0.0"), "");
    EXPECT_STREQ(country(g, "127.0.0.5"), "US");
    EXPECT_STREQ(country(g, "127.0.0.63"), "US");
    EXPECT_STREQ(country(g, "127.0.0.64"), "SG");
    EXPECT_STREQ(country(g, "127.0.0.66"), "SG");
    EXPECT_STREQ(country(g, "127.0.0.255"), "SG");
    EXPECT_STREQ(country(g, "127.0.1.0"), "");
    EXPECT_STREQ(country(g, "192.0.2.77"), "DE");
    EXPECT_STREQ(country(g, "198.51.100.1"), "");         /* "??": no country */
    EXPECT_STREQ(country(g, "203.0.113.255"), "JP");
    EXPECT_STREQ(country(g, "255.255.255.255"), "");
    EXPECT_STREQ(country(g, "2001:db8::1"), "SG");
    EXPECT_STREQ(country(g, "2001:db8:0:ffff:ffff:ffff:ffff:ffff"), "SG");
    EXPECT_STREQ(country(g, "2001:db8:1::"), "FR");
    EXPECT_STREQ(country(g, "2001:db8:2::5"), "");
    EXPECT_STREQ(country(g, "2001:db8:3::"), "");
    EXPECT_STREQ(country(g, "::1"), "AQ");
    EXPECT_STREQ(country(g, "::2"), "");
    EXPECT_STREQ(country(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "");
    /* The two SG lines are adjacent: one range. */
    EXPECT_EQ(geo_ranges(g, false), 5);
    EXPECT_EQ(geo_ranges(g, true), 3);
    EXPECT_EQ(geo_generated_s(g), 1782362039);      /* 2026-06-25T04:33:59Z */
    EXPECT_STREQ(country(NULL, "127.0.0.66"), "");
    geo_free(g);
}

TEST(shield_geo_merges_adjacent_v6_across_the_64_bit_carry)
{
    static const char db[] = "2001:db8::,2001:db8:0:0:ffff:ffff:ffff:ffff,SG\n"
                             "2001:db8:0:1::,2001:db8:0:1::ff,SG\n";
    struct geo *g = geo_new();
    char why[160];

    EXPECT_EQ(geo_parse(g, true, db, sizeof(db) - 1, why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), 0);
    EXPECT_EQ(geo_ranges(g, true), 1);
    EXPECT_STREQ(country(g, "2001:db8:0:1::80"), "SG");
    EXPECT_STREQ(country(g, "2001:db8:0:1::100"), "");
    geo_free(g);
}

TEST(shield_geo_unsorted_input_is_sorted)
{
    static const char db[] = "3405803776,3405804031,JP\r\n16777216,16777471,AU\n";
    struct geo *g = geo_new();
    char why[160];

    EXPECT_EQ(geo_parse(g, false, db, sizeof(db) - 1, why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), 0);
    EXPECT_STREQ(country(g, "1.0.0.9"), "AU");
    EXPECT_STREQ(country(g, "203.0.113.9"), "JP");
    EXPECT_EQ(geo_generated_s(g), 0);
    geo_free(g);
}

static void
expect_bad_n(bool v6, const char *text, size_t len, const char *why_has)
{
    struct geo *g = geo_new();
    char why[160] = "";

    EXPECT_EQ(geo_parse(g, v6, text, len, why, sizeof(why)), -EBADMSG);
    if (!strstr(why, why_has))
        fail_msg("\"%s\": why is \"%s\", expected it to contain \"%s\"", text, why, why_has);
    EXPECT_EQ(geo_ranges(g, v6), 0);            /* nothing of a bad file is kept */
    geo_free(g);
}

static void
expect_bad(bool v6, const char *text, const char *why_has)
{
    expect_bad_n(v6, text, strlen(text), why_has);
}

/* An IPv6-only (or empty) database finishes: no IPv4 array to sort (qsort of NULL, found
 * by fuzz/geo_parse under UBSan). */
TEST(shield_geo_empty_family_finishes)
{
    static const char db[] = "# only a comment\n::1,::1,DE\n";
    struct geo *g = geo_new();
    char why[160];

    EXPECT_EQ(geo_parse(g, true, db, sizeof(db) - 1, why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), 0);
    EXPECT_STREQ(country(g, "127.0.0.1"), "");
    EXPECT_STREQ(country(g, "::1"), "DE");
    geo_free(g);
    g = geo_new();
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), 0);
    EXPECT_STREQ(country(g, "::1"), "");
    geo_free(g);
}

TEST(shield_geo_malformed_lines_are_named)
{
    expect_bad(false, "# c\n16777216,16777471,AU\n1,2\n", "line 3: expected FIRST,LAST,CC");
    expect_bad(false, "16777216,16777471,au\n", "line 1: the country is not two upper");
    expect_bad(false, "16777216,16777471,AUS\n", "line 1: the country");
    expect_bad(false, "4294967296,4294967296,AU\n", "line 1: an address is not a decimal");
    expect_bad(false, "1.0.0.0,1.0.0.255,AU\n", "line 1: an address is not a decimal");
    expect_bad(false, "20,10,AU\n", "line 1: LAST is below FIRST");
    expect_bad(true, "2001:db8::,zz,FR\n", "line 1: an address is not an IPv6");
    expect_bad(true, "2001:db8::9,2001:db8::1,FR\n", "line 1: LAST is below FIRST");
    expect_bad_n(false, "1,2,AU\n9,9\0,AU\n", 14, "line 2: a NUL byte");
}

TEST(shield_geo_overlaps_are_refused)
{
    static const char v4[] = "10,20,AU\n15,30,NZ\n";
    static const char v6[] = "2001:db8::,2001:db8::ff,FR\n2001:db8::80,2001:db8::1ff,DE\n";
    struct geo *g = geo_new();
    char why[200] = "";

    EXPECT_EQ(geo_parse(g, false, v4, sizeof(v4) - 1, why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), -EBADMSG);
    EXPECT_TRUE(strstr(why, "10-20 and 15-30 overlap") != NULL);
    geo_free(g);
    g = geo_new();
    EXPECT_EQ(geo_parse(g, true, v6, sizeof(v6) - 1, why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), -EBADMSG);
    EXPECT_TRUE(strstr(why, "2001:db8::80") != NULL);
    geo_free(g);
}

TEST(shield_geo_missing_file_is_an_errno)
{
    struct geo *g = geo_new();
    char why[160];

    EXPECT_EQ(geo_load(g, false, FIXTURE "absent", why, sizeof(why)), -ENOENT);
    EXPECT_EQ(geo_load(g, false, FIXTURE, why, sizeof(why)), -EISDIR);
    geo_free(g);
}

TEST(shield_geo_country_codes)
{
    static const char *const some[] = { "SG", "US", "DE", "FR", "JP", "ZW", "AD", "EU" };
    unsigned assigned = 0;

    for (unsigned i = 0; i < sizeof(some) / sizeof(some[0]); i++)
        EXPECT_TRUE(geo_code_is_assigned(geo_code_parse(some[i], true)));
    EXPECT_FALSE(geo_code_is_assigned(geo_code_parse("XX", true)));
    EXPECT_FALSE(geo_code_is_assigned(geo_code_parse("UK", true)));   /* GB is assigned */
    EXPECT_EQ(geo_code_parse("sg", true), 0);
    EXPECT_EQ(geo_code_parse("sg", false), geo_code_parse("SG", true));
    EXPECT_EQ(geo_code_parse("S", false), 0);
    EXPECT_EQ(geo_code_parse("SGP", false), 0);
    EXPECT_EQ(geo_code_parse("S1", false), 0);
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++) {
            char s[3] = { a, b, 0 };
            geo_code c = geo_code_parse(s, true);
            EXPECT_TRUE(geo_code_index(c) < GEO_CODES);
            assigned += geo_code_is_assigned(c);
        }
    EXPECT_EQ(assigned, 249 + 3);       /* ISO 3166-1 alpha-2, with EU, AP and XK */
}

/* Debian's tor-geoipdb (scripts/deps.sh installs it for `check`): it parses, holds what
 * the distribution ships, and a lookup is a binary search, far below a microsecond. */
TEST(shield_geo_reads_the_debian_database_and_looks_up_fast)
{
    struct geo *g = geo_new();
    char why[200] = "";
    struct timespec t0, t1;
    unsigned found = 0;

    if (geo_load(g, false, GEO_DEFAULT_V4, why, sizeof(why)) == -ENOENT) {
        geo_free(g);
        skip();                 /* tor-geoipdb not installed */
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    EXPECT_EQ(geo_load(g, true, GEO_DEFAULT_V6, why, sizeof(why)), 0);
    EXPECT_EQ(geo_finish(g, why, sizeof(why)), 0);
    EXPECT_TRUE(geo_ranges(g, false) > 50000);
    EXPECT_TRUE(geo_ranges(g, true) > 50000);
    EXPECT_TRUE(geo_generated_s(g) > 1600000000);
    uint64_t x = 88172645463325252ULL;
    struct shield_addr a = A("0.0.0.0");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < 1000000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(a.b + 12, &x, 4);
        found += geo_lookup(g, &a) != 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e6;
    fprintf(stderr, "geo: %zu IPv4 and %zu IPv6 ranges; %.0f ns a lookup; %u of 1M random "
            "IPv4 addresses have a country\n", geo_ranges(g, false), geo_ranges(g, true), ns,
            found);
    EXPECT_TRUE(found > 500000);        /* most of the IPv4 space is allocated */
    EXPECT_TRUE(ns < 2000);
    geo_free(g);
}
