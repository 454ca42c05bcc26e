/* tests/unit/shield/clientmem_test.c: src/shield/clientmem.c, the long memory of clients
 * and networks, over an injected clock (the now_ms arguments). */
#include "shield/clientmem.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

#define MIN_MS (60ULL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define T0 (1795557598000ULL)

static struct shield_addr
v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct shield_addr x = { { 0 } };
    x.b[10] = x.b[11] = 0xff;
    x.b[12] = (uint8_t)a;
    x.b[13] = (uint8_t)b;
    x.b[14] = (uint8_t)c;
    x.b[15] = (uint8_t)d;
    return x;
}

static void
params(struct clientmem_params *p)
{
    *p = (struct clientmem_params){ .memory_ms = 24 * HOUR_MS, .slow_probes = 10,
                                    .slow_span_ms = HOUR_MS, .range_min_offenders = 8,
                                    .range_min_pct = 25, .ipv6_prefix = 64 };
}

/* One request of addr answered status at t; true when it made a slow scanner. */
static bool
req(struct clientmem *m, struct shield_addr a, const char *path, int status, uint64_t t)
{
    char ev[256];
    bool sens;
    struct slice p = slice_make(path, strlen(path));
    enum clientmem_kind k = clientmem_classify(p, status, false, &sens);
    return clientmem_observe(m, &a, k, sens, p, t, ev, sizeof(ev), NULL);
}

TEST(shield_clientmem_classifies_requests)
{
    bool s;
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/.env"), 404, false, &s), CLIENTMEM_PROBE);
    EXPECT_TRUE(s);
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/products/7"), 200, false, &s), CLIENTMEM_GOOD);
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/app.js"), 304, true, &s), CLIENTMEM_GOOD);
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/nope"), 404, false, &s), CLIENTMEM_PROBE);
    EXPECT_FALSE(s);
    /* A stale favicon link, a login failure, an upstream error: nothing. */
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/favicon.ico"), 404, false, &s), CLIENTMEM_NEUTRAL);
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/login"), 401, false, &s), CLIENTMEM_NEUTRAL);
    EXPECT_EQ(clientmem_classify(SLICE_LIT("/"), 502, false, &s), CLIENTMEM_NEUTRAL);
}

TEST(shield_clientmem_slow_scanner_is_found_on_accumulated_evidence)
{
    struct clientmem_params p;
    struct clientmem m;
    struct shield_addr slow = v4(198, 51, 100, 7), user = v4(203, 0, 113, 9),
                       monitor = v4(192, 0, 2, 1);

    params(&p);
    assert_int_equal(clientmem_init(&m, &p, 1000, 42), 0);
    /* One probe of /.env every 7 minutes: the 10th comes 63 minutes after the first. */
    for (int i = 0; i < 9; i++)
        EXPECT_FALSE(req(&m, slow, "/.env", 404, T0 + (uint64_t)i * 7 * MIN_MS));
    EXPECT_TRUE(req(&m, slow, "/.env", 404, T0 + 9 * 7 * MIN_MS));
    EXPECT_FALSE(req(&m, slow, "/.env", 404, T0 + 10 * 7 * MIN_MS));    /* once */

    /* Ten probes within minutes: not slow (the buckets' business), however many. */
    struct shield_addr fast = v4(198, 51, 100, 8);
    for (int i = 0; i < 30; i++)
        EXPECT_FALSE(req(&m, fast, "/.git/config", 404, T0 + (uint64_t)i * 1000));

    /* A user who got pages probes the same way: never a slow scanner. */
    EXPECT_FALSE(req(&m, user, "/", 200, T0));
    for (int i = 0; i < 40; i++)
        EXPECT_FALSE(req(&m, user, "/wp-login.php", 404, T0 + (uint64_t)i * 7 * MIN_MS));

    /* A monitor polling a removed URL all day is one probe. */
    for (int i = 0; i < 300; i++)
        EXPECT_FALSE(req(&m, monitor, "/old-status", 404, T0 + (uint64_t)i * 5 * MIN_MS));

    /* Forgotten after the memory: the evidence starts over. */
    struct shield_addr later = v4(198, 51, 100, 9);
    for (int i = 0; i < 5; i++)
        EXPECT_FALSE(req(&m, later, "/.env", 404, T0 + (uint64_t)i * 20 * MIN_MS));
    EXPECT_TRUE(clientmem_expire(&m, T0 + 4 * 20 * MIN_MS + 25 * HOUR_MS) > 0);
    for (int i = 0; i < 5; i++)
        EXPECT_FALSE(req(&m, later, "/.env", 404, T0 + 26 * HOUR_MS + (uint64_t)i * 20 * MIN_MS));
    clientmem_fini(&m);
}

TEST(shield_clientmem_range_rule_needs_8_offenders_25_percent_and_no_good_client)
{
    struct clientmem_params p;
    struct clientmem m;
    struct clientmem_range due[3];
    char ev[256];

    params(&p);
    assert_int_equal(clientmem_init(&m, &p, 1000, 7), 0);
    /* 7 flooders of 127.0.5.0/24 limited: not yet. */
    for (unsigned i = 1; i <= 7; i++) {
        struct shield_addr a = v4(127, 0, 5, i);
        req(&m, a, "/", 200, T0);
        clientmem_offended(&m, &a, T0 + 1000);
    }
    struct shield_addr a8 = v4(127, 0, 5, 8);
    EXPECT_EQ(clientmem_ranges_due(&m, &a8, due, 3, ev, sizeof(ev)), 0);
    /* The 8th: 8 of 8 seen, none good: due, for the /24. */
    req(&m, a8, "/", 200, T0);
    clientmem_offended(&m, &a8, T0 + 1000);
    EXPECT_EQ(clientmem_ranges_due(&m, &a8, due, 3, ev, sizeof(ev)), 1);
    EXPECT_EQ(due[0].net.plen, 120);
    EXPECT_EQ(due[0].offending, 8);
    EXPECT_TRUE(strstr(ev, "8 of the 8 clients seen in 127.0.5.0/24") != NULL);

    /* One good client in the range holds the ban back. */
    struct shield_addr good = v4(127, 0, 5, 200);
    req(&m, good, "/", 200, T0 + 2000);
    EXPECT_EQ(clientmem_ranges_due(&m, &a8, due, 3, ev, sizeof(ev)), 0);
    /* ... until it is forgotten; the flooders were seen later. */
    for (unsigned i = 1; i <= 8; i++) {
        struct shield_addr a = v4(127, 0, 5, i);
        req(&m, a, "/", 200, T0 + 23 * HOUR_MS);
    }
    clientmem_expire(&m, T0 + 24 * HOUR_MS + 3000);
    EXPECT_EQ(clientmem_ranges_due(&m, &a8, due, 3, ev, sizeof(ev)), 1);

    /* Probe-only clients offend too; neutral ones dilute the share: 8 offending of 40 seen
     * (20 %) is below 25 %. */
    for (unsigned i = 1; i <= 8; i++) {
        struct shield_addr a = v4(10, 9, 8, i);
        req(&m, a, "/.env", 404, T0);
        req(&m, a, "/.git/config", 404, T0 + 1);
    }
    for (unsigned i = 100; i < 132; i++) {
        struct shield_addr a = v4(10, 9, 8, i);
        req(&m, a, "/login", 401, T0);              /* neither good nor offending */
    }
    struct shield_addr p1 = v4(10, 9, 8, 1);
    EXPECT_EQ(clientmem_ranges_due(&m, &p1, due, 3, ev, sizeof(ev)), 0);
    struct clientmem_range r;
    struct cidr net = { v4(10, 9, 8, 0), 120 };
    clientmem_range_get(&m, &net, &r);
    EXPECT_EQ(r.seen, 40);
    EXPECT_EQ(r.offending, 8);
    EXPECT_EQ(r.good, 0);
    /* Two more probing clients: 10 of 42 (23.8 %), still below; one more: 11 of 43. */
    for (unsigned i = 9; i <= 10; i++) {
        struct shield_addr a = v4(10, 9, 8, i);
        req(&m, a, "/.env", 404, T0);
        req(&m, a, "/backup.sql", 404, T0 + 1);
    }
    EXPECT_EQ(clientmem_ranges_due(&m, &p1, due, 3, ev, sizeof(ev)), 0);
    struct shield_addr a11 = v4(10, 9, 8, 11);
    req(&m, a11, "/.env", 404, T0);
    req(&m, a11, "/backup.sql", 404, T0 + 1);
    EXPECT_EQ(clientmem_ranges_due(&m, &p1, due, 3, ev, sizeof(ev)), 1);
    clientmem_fini(&m);
}

TEST(shield_clientmem_ipv6_counts_by_48_and_by_64_under_narrow_clients)
{
    struct clientmem_params p;
    struct clientmem m;
    struct clientmem_range due[3];
    char ev[256];

    params(&p);
    p.ipv6_prefix = 128;
    assert_int_equal(clientmem_init(&m, &p, 1000, 9), 0);
    struct shield_addr a = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 } };
    for (unsigned i = 1; i <= 8; i++) {
        a.b[15] = (uint8_t)i;
        clientmem_offended(&m, &a, T0);
    }
    EXPECT_EQ(clientmem_ranges_due(&m, &a, due, 3, ev, sizeof(ev)), 2);
    EXPECT_EQ(due[0].net.plen, 48);
    EXPECT_EQ(due[1].net.plen, 64);
    clientmem_fini(&m);

    /* With /64 clients, the /64 is one client: only the /48 is a range. */
    p.ipv6_prefix = 64;
    assert_int_equal(clientmem_init(&m, &p, 1000, 9), 0);
    for (unsigned i = 1; i <= 8; i++) {
        a.b[7] = (uint8_t)i;
        clientmem_offended(&m, &a, T0);
    }
    EXPECT_EQ(clientmem_ranges_due(&m, &a, due, 3, ev, sizeof(ev)), 1);
    EXPECT_EQ(due[0].net.plen, 48);
    clientmem_fini(&m);
}

struct copy_ctx {
    struct clientmem *to;
    unsigned n;
};

static void
copy_one(void *ctx, const struct cidr *key, const struct clientmem_rec *r)
{
    struct copy_ctx *c = ctx;
    clientmem_restore(c->to, key, r);
    c->n++;
}

TEST(shield_clientmem_records_restore_into_a_new_table)
{
    struct clientmem_params p;
    struct clientmem a, b;
    struct clientmem_range due[3];
    char ev[256];
    struct shield_addr slow = v4(198, 51, 100, 7);

    params(&p);
    assert_int_equal(clientmem_init(&a, &p, 1000, 1), 0);
    assert_int_equal(clientmem_init(&b, &p, 1000, 2), 0);
    for (int i = 0; i < 6; i++)
        req(&a, slow, "/.env", 404, T0 + (uint64_t)i * 10 * MIN_MS);
    for (unsigned i = 1; i <= 8; i++) {
        struct shield_addr x = v4(127, 0, 5, i);
        clientmem_offended(&a, &x, T0);
    }
    struct copy_ctx c = { &b, 0 };
    clientmem_visit(&a, true, copy_one, &c);
    EXPECT_EQ(c.n, 9);
    c.n = 0;
    clientmem_visit(&a, true, copy_one, &c);            /* nothing changed since */
    EXPECT_EQ(c.n, 0);
    /* The restarted table goes on from the stored evidence. */
    struct shield_addr x8 = v4(127, 0, 5, 8);
    EXPECT_EQ(clientmem_ranges_due(&b, &x8, due, 3, ev, sizeof(ev)), 1);
    for (int i = 6; i < 9; i++)
        EXPECT_FALSE(req(&b, slow, "/.env", 404, T0 + (uint64_t)i * 10 * MIN_MS));
    EXPECT_TRUE(req(&b, slow, "/.env", 404, T0 + 9 * 10 * MIN_MS));
    clientmem_fini(&a);
    clientmem_fini(&b);
}
