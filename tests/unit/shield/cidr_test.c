/* tests/unit/shield/cidr_test.c: strict CIDR parsing and the longest-prefix-match set
 * (IPv4, IPv6, nesting, duplicates) with a lookup-speed sanity check at 100,000 prefixes. */
#include "shield/cidr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

static struct shield_addr
A(const char *s)
{
    struct shield_addr a;

    if (cidr_addr_parse(s, strlen(s), &a) < 0)
        fail_msg("bad test address %s", s);
    return a;
}

static struct cidr
C(const char *s)
{
    struct cidr c;
    char why[128];

    if (cidr_parse(s, strlen(s), &c, why, sizeof(why)) < 0)
        fail_msg("bad test cidr %s: %s", s, why);
    return c;
}

static void
expect_bad(const char *s, const char *want_why)
{
    struct cidr c;
    char why[160] = "";

    EXPECT_EQ(cidr_parse(s, strlen(s), &c, why, sizeof(why)), -EINVAL);
    if (!strstr(why, want_why))
        fail_msg("%s: wanted \"%s\" in \"%s\"", s, want_why, why);
}

TEST(shield_cidr_parses_strictly)
{
    char out[64];
    struct cidr c = C("10.0.0.0/8");

    EXPECT_EQ(c.plen, 104);
    cidr_format(&c, out, sizeof(out));
    EXPECT_STREQ(out, "10.0.0.0/8");
    c = C("192.0.2.7");
    EXPECT_EQ(c.plen, 128);
    cidr_format(&c, out, sizeof(out));
    EXPECT_STREQ(out, "192.0.2.7");
    c = C("2001:db8::/32");
    EXPECT_EQ(c.plen, 32);
    cidr_format(&c, out, sizeof(out));
    EXPECT_STREQ(out, "2001:db8::/32");
    c = C("0.0.0.0/0");
    EXPECT_EQ(c.plen, 96);

    expect_bad("10.0.0.0/33", "prefix length 33 is out of range for IPv4 (0 to 32)");
    expect_bad("2001:db8::/129", "out of range for IPv6");
    expect_bad("10.1.2.3/8", "did you mean 10.0.0.0/8?");
    expect_bad("2001:db8::1/32", "did you mean 2001:db8::/32?");
    expect_bad("10.0.0/8", "not an IPv4 or IPv6 address");
    expect_bad("10.0.0.0/", "prefix length");
    expect_bad("10.0.0.0/8x", "prefix length");
    expect_bad("10.0.0.0/-1", "prefix length");
    expect_bad("example.com", "not an IPv4 or IPv6 address");
    expect_bad("", "not an IPv4 or IPv6 address");
}

TEST(shield_cidr_longest_prefix_wins)
{
    struct cidr p[] = { C("10.0.0.0/8"), C("10.66.0.0/16"), C("10.66.1.7"),
                        C("203.0.113.0/24"), C("2001:db8::/32"), C("2001:db8:1::/48"),
                        C("10.0.0.0/8") /* duplicate */ };
    int v[] = { 0, 1, 0, 1, 1, 0, 0 };
    struct cidrset *s = cidrset_new(p, v, sizeof(p) / sizeof(p[0]));

    EXPECT_TRUE(s != NULL);
    EXPECT_EQ(cidrset_lookup(s, &(struct shield_addr){ { 0 } }), -1);
    struct shield_addr a = A("10.1.2.3");
    EXPECT_EQ(cidrset_lookup(s, &a), 0);
    a = A("10.66.200.1");
    EXPECT_EQ(cidrset_lookup(s, &a), 1);
    a = A("10.66.1.7");
    EXPECT_EQ(cidrset_lookup(s, &a), 0);        /* the /32 inside the /16 inside the /8 */
    a = A("10.66.1.8");
    EXPECT_EQ(cidrset_lookup(s, &a), 1);
    a = A("10.255.255.255");
    EXPECT_EQ(cidrset_lookup(s, &a), 0);
    a = A("11.0.0.0");
    EXPECT_EQ(cidrset_lookup(s, &a), -1);
    a = A("9.255.255.255");
    EXPECT_EQ(cidrset_lookup(s, &a), -1);
    a = A("203.0.113.255");
    EXPECT_EQ(cidrset_lookup(s, &a), 1);
    a = A("2001:db8:1::5");
    EXPECT_EQ(cidrset_lookup(s, &a), 0);
    a = A("2001:db8:2::5");
    EXPECT_EQ(cidrset_lookup(s, &a), 1);
    a = A("2001:db9::");
    EXPECT_EQ(cidrset_lookup(s, &a), -1);
    a = A("::ffff:10.66.1.7");                  /* a mapped address is the IPv4 one */
    EXPECT_EQ(cidrset_lookup(s, &a), 0);
    cidrset_free(s);

    /* Everything, and the very last address. */
    struct cidr all[] = { C("::/0"), C("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") };
    int av[] = { 0, 1 };
    s = cidrset_new(all, av, 2);
    a = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    EXPECT_EQ(cidrset_lookup(s, &a), 1);
    a = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    EXPECT_EQ(cidrset_lookup(s, &a), 0);
    a = A("::");
    EXPECT_EQ(cidrset_lookup(s, &a), 0);
    cidrset_free(s);
    EXPECT_EQ(cidrset_lookup(NULL, &a), -1);
}

static uint64_t
test_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random prefixes of both families checked against a linear scan, then timed. */
TEST(shield_cidr_100k_prefixes_are_fast)
{
    enum { N = 100000, Q = 1000000 };
    struct cidr *p = calloc(N, sizeof(*p));
    int *v = calloc(N, sizeof(*v));
    struct shield_addr *q = calloc(4096, sizeof(*q));
    uint64_t x = 88172645463325252ULL;

    for (unsigned i = 0; i < N; i++) {
        struct shield_addr a;
        unsigned plen;
        uint64_t r = test_rand(&x);
        if (i % 4 == 3) {                       /* IPv6 /32../128 */
            memcpy(a.b, &r, 8);
            r = test_rand(&x);
            memcpy(a.b + 8, &r, 8);
            plen = 32 + (unsigned)(test_rand(&x) % 97);
        } else {                                /* IPv4 /8../32 */
            memset(a.b, 0, 10);
            a.b[10] = a.b[11] = 0xff;
            memcpy(a.b + 12, &r, 4);
            plen = 96 + 8 + (unsigned)(test_rand(&x) % 25);
        }
        cidr_addr_mask(&a, plen, &p[i].addr);
        p[i].plen = plen;
        v[i] = (int)(i % 7);
    }
    struct cidrset *s = cidrset_new(p, v, N);
    EXPECT_TRUE(s != NULL);
    for (unsigned i = 0; i < 4096; i++) {
        /* Half the queries inside a random prefix, half anywhere. */
        struct shield_addr a = p[test_rand(&x) % N].addr;
        if (i % 2)
            a.b[15] ^= (uint8_t)test_rand(&x);
        else
            a.b[12] ^= (uint8_t)test_rand(&x);
        q[i] = a;
    }
    /* Correctness against the definition on a sample. */
    for (unsigned i = 0; i < 300; i++) {
        int want = -1;
        unsigned best = 0;
        for (unsigned j = 0; j < N; j++) {
            if (cidr_contains(&p[j], &q[i]) && (want < 0 || p[j].plen > best ||
                                                (p[j].plen == best && v[j] > want))) {
                want = v[j];
                best = p[j].plen;
            }
        }
        EXPECT_EQ(cidrset_lookup(s, &q[i]), want);
    }
    struct timespec t0, t1;
    volatile int sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < Q; i++)
        sink += cidrset_lookup(s, &q[i & 4095]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / Q;
    fprintf(stderr, "shield cidr: %u prefixes, %zu ranges, %.0f ns per lookup\n", N,
            cidrset_ranges(s), ns);
    EXPECT_TRUE(ns < 2000);     /* sanity only; sanitizer builds are slow */
    (void)sink;
    cidrset_free(s);
    free(p);
    free(v);
    free(q);
}
