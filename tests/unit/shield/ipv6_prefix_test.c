/* tests/unit/shield/ipv6_prefix_test.c: shield.ipv6_prefix. An IPv6 client is its /N for
 * the detectors, their bans (the stored row, the in-memory set) and the rate keys, so a
 * scanner rotating addresses inside its /64 is caught as one; IPv4 stays per address; 128
 * is the old per-address behaviour; a manual ban of one IPv6 address stays that address.
 * Also the pieces: cidr_client(), cidrset_overlaps(), prefix keys in addrmap. */
#include "shield/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "shield/addrmap.h"

static uint64_t v6_mono_ms, v6_wall_ms;

static uint64_t
v6_mono(void)
{
    return v6_mono_ms;
}

static uint64_t
v6_wall(void)
{
    return v6_wall_ms;
}

static const struct shield_clock v6_clock = { v6_mono, v6_wall };

static void
v6_clock_reset(void)
{
    v6_mono_ms = 7000000;
    v6_wall_ms = 1750000000000ULL;
}

static struct shield_conf *
v6_conf(const char *yaml)
{
    struct diag d;
    struct shield_conf *c = NULL;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
    if (doc)
        shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c);
    if (!c) {
        diag_print(&d, stderr);
        fail_msg("conf did not build: %s", yaml);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    return c;
}

static struct shield *
v6_open(const char *dir, const char *yaml)
{
    char err[256];
    struct shield *s = shield_new_clock(dir, &v6_clock, err, sizeof(err));

    if (!s)
        fail_msg("shield_new: %s", err);
    shield_apply(s, v6_conf(yaml));
    return s;
}

static struct shield_addr
v6_addr(const char *text)
{
    struct shield_addr a;

    if (cidr_addr_parse(text, strlen(text), &a) < 0)
        fail_msg("bad test address %s", text);
    return a;
}

static struct shield_request_info
v6_req(const char *ip, const char *path)
{
    struct shield_request_info r;

    memset(&r, 0, sizeof(r));
    r.client = v6_addr(ip);
    r.method = slice_make("GET", 3);
    r.path = slice_make(path, strlen(path));
    r.host = slice_make("www.example.com", 15);
    r.user_agent = slice_make("Mozilla/5.0", 11);
    return r;
}

/* "ban", "deny", "max_connections" or "allow" for a connection from ip now. */
static const char *
v6_accept(struct shield *s, const char *ip)
{
    struct shield_addr a = v6_addr(ip);
    struct shield_decision d = shield_accept(s, &a, v6_mono_ms);

    if (d.verdict == SHIELD_ALLOW) {
        shield_release(s, &a);
        return "allow";
    }
    return d.rule;
}

struct v6_bans {
    unsigned n;
    struct shield_ban_info b[8];
};

static void
v6_on_ban(void *ctx, const struct shield_ban_info *b)
{
    struct v6_bans *bs = ctx;

    if (bs->n < 8)
        bs->b[bs->n] = *b;
    bs->n++;
}

static struct v6_bans
v6_bans_of(struct shield *s)
{
    struct v6_bans b = { 0 };

    shield_bans_visit(s, v6_on_ban, &b);
    return b;
}

struct v6_dir {
    char path[64];
};

static void
v6_dir_make(struct v6_dir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/shield_v6_test.XXXXXX");
    if (!mkdtemp(d->path))
        fail_msg("mkdtemp");
}

static void
v6_dir_remove(struct v6_dir *d)
{
    static const char *const files[] = { "shield.db", "shield.db-wal", "shield.db-shm" };
    char p[128];

    for (unsigned i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", d->path, files[i]);
        unlink(p);
    }
    rmdir(d->path);
}

/* Sensitive-file probes (capacity 4 distinct): the fifth distinct one overflows. */
static const char *const v6_probes[] = {
    "/.env", "/.git/config", "/.htpasswd", "/wp-config.php", "/.aws/credentials",
    "/phpinfo.php", "/.ssh/id_rsa", "/backup.sql",
};

/* One probe from each of n addresses base1 .. base<n>; returns the index of the first
 * refused request, or -1. */
static int
v6_rotate(struct shield *s, const char *base, unsigned n)
{
    int first = -1;

    for (unsigned i = 0; i < n; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "%s%x", base, i + 1);
        struct shield_request_info r = v6_req(ip, v6_probes[i % 8]);
        if (shield_request(s, &r, v6_mono_ms).verdict == SHIELD_DENY && first < 0)
            first = (int)i;
        v6_mono_ms += 10;
        v6_wall_ms += 10;
    }
    shield_sync(s);
    return first;
}

TEST(shield_ipv6_prefix_rotating_scanner_is_banned_by_its_64)
{
    struct v6_dir dir;

    v6_clock_reset();
    v6_dir_make(&dir);
    struct shield *s = v6_open(dir.path, "shield: { scanners: { ban: 1h } }\n");

    /* Five addresses, one probe each: each is below the detector on its own. */
    EXPECT_EQ(v6_rotate(s, "2001:db8:1:2::", 5), 4);
    struct v6_bans b = v6_bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_STREQ(b.b[0].addr, "2001:db8:1:2::/64");
    EXPECT_STREQ(b.b[0].reason, "sensitive_files");
    EXPECT_TRUE(strstr(b.b[0].evidence, "from 2001:db8:1:2::5") != NULL);
    /* A fresh address of the /64 is refused at accept and at request time; another /64
     * and an IPv4 client are not. */
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2:abcd::99"), "ban");
    struct shield_request_info r = v6_req("2001:db8:1:2::77", "/");
    EXPECT_EQ(shield_request(s, &r, v6_mono_ms).verdict, SHIELD_DENY);
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:3::1"), "allow");
    EXPECT_STREQ(v6_accept(s, "198.51.100.1"), "allow");
    shield_free(s);

    /* The prefix ban is what the store holds: after a restart it still covers the /64. */
    s = v6_open(dir.path, "shield: { scanners: { ban: 1h } }\n");
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::1234"), "ban");
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:3::1"), "allow");
    /* Unbanning the prefix by its text frees the whole /64. */
    EXPECT_EQ(shield_ban_remove(s, "2001:db8:1:2::/64"), 0);
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::1234"), "allow");
    shield_free(s);
    v6_dir_remove(&dir);
}

TEST(shield_ipv6_prefix_128_and_ipv4_stay_per_address)
{
    v6_clock_reset();
    struct shield *s = v6_open(NULL, "shield: { ipv6_prefix: 128 }\n");
    EXPECT_EQ(v6_rotate(s, "2001:db8:1:2::", 8), -1);
    EXPECT_EQ(v6_bans_of(s).n, 0);
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::9"), "allow");
    /* Per address, the fifth probe from one address still trips. */
    for (unsigned i = 0; i < 5; i++) {
        struct shield_request_info r = v6_req("2001:db8:1:2::9", v6_probes[i]);
        shield_request(s, &r, v6_mono_ms);
    }
    shield_sync(s);
    struct v6_bans b = v6_bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_STREQ(b.b[0].addr, "2001:db8:1:2::9");
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::a"), "allow");
    shield_free(s);

    /* IPv4 with the default prefix: per address, whatever ipv6_prefix says. */
    s = v6_open(NULL, "shield: {}\n");
    EXPECT_EQ(v6_rotate(s, "192.0.2.", 8), -1);
    EXPECT_EQ(v6_bans_of(s).n, 0);
    shield_free(s);
}

TEST(shield_ipv6_prefix_wider_prefix_and_count_mode)
{
    v6_clock_reset();
    /* /48: addresses of different /64s of one /48 are one client. */
    struct shield *s = v6_open(NULL, "shield: { ipv6_prefix: 48 }\n");
    for (unsigned i = 0; i < 5; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "2001:db8:7:%x::1", i + 1);
        struct shield_request_info r = v6_req(ip, v6_probes[i]);
        shield_request(s, &r, v6_mono_ms);
    }
    shield_sync(s);
    struct v6_bans b = v6_bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_STREQ(b.b[0].addr, "2001:db8:7::/48");
    EXPECT_STREQ(v6_accept(s, "2001:db8:7:ffff::1"), "ban");
    EXPECT_STREQ(v6_accept(s, "2001:db8:8::1"), "allow");
    shield_free(s);

    /* Count mode: the prefix is recorded, nobody is refused. */
    s = v6_open(NULL, "shield: { mode: count }\n");
    EXPECT_EQ(v6_rotate(s, "2001:db8:1:2::", 5), -1);
    b = v6_bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_STREQ(b.b[0].addr, "2001:db8:1:2::/64");
    EXPECT_TRUE(b.b[0].counted_only);
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::99"), "allow");
    shield_free(s);
}

/* The prefix would cover an allow-listed address (or a trusted proxy): only the tripping
 * address is banned, so the kernel mirror never drops the allowed one. */
TEST(shield_ipv6_prefix_ban_never_covers_an_allowed_neighbour)
{
    static const char *const sections[] = {
        "shield: { allow: [\"2001:db8:1:2::1\"] }\n",
        "shield: { trusted_proxies: [\"2001:db8:1:2::1\"] }\n",
    };

    for (unsigned k = 0; k < 2; k++) {
        v6_clock_reset();
        struct shield *s = v6_open(NULL, sections[k]);
        /* Addresses ::2 .. ::6. */
        for (unsigned i = 0; i < 5; i++) {
            char ip[64];
            snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 2);
            struct shield_request_info r = v6_req(ip, v6_probes[i]);
            shield_request(s, &r, v6_mono_ms);
        }
        shield_sync(s);
        struct v6_bans b = v6_bans_of(s);
        EXPECT_EQ(b.n, 1);
        EXPECT_STREQ(b.b[0].addr, "2001:db8:1:2::6");
        EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::6"), "ban");
        EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::1"), "allow");
        EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::99"), "allow");
        shield_free(s);
    }
}

/* What the operator typed is what is banned: one IPv6 address is a /128. */
TEST(shield_ipv6_manual_ban_of_an_address_stays_an_address)
{
    v6_clock_reset();
    struct shield *s = v6_open(NULL, "shield: {}\n");
    EXPECT_EQ(shield_ban_add(s, "2001:db8:1:2::7", 60, "ops"), 0);
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::7"), "ban");
    EXPECT_STREQ(v6_accept(s, "2001:db8:1:2::8"), "allow");
    struct v6_bans b = v6_bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_STREQ(b.b[0].addr, "2001:db8:1:2::7");
    /* A manual /64, and the network address alone, are two different bans. */
    EXPECT_EQ(shield_ban_add(s, "2001:db8:5:6::", 60, "ops"), 0);
    EXPECT_STREQ(v6_accept(s, "2001:db8:5:6::1"), "allow");
    EXPECT_EQ(shield_ban_add(s, "2001:db8:5:6::/64", 60, "ops"), 0);
    EXPECT_STREQ(v6_accept(s, "2001:db8:5:6::1"), "ban");
    EXPECT_EQ(shield_ban_remove(s, "2001:db8:5:6::/64"), 0);
    EXPECT_STREQ(v6_accept(s, "2001:db8:5:6::1"), "allow");
    EXPECT_STREQ(v6_accept(s, "2001:db8:5:6::"), "ban");
    shield_free(s);
}

TEST(shield_ipv6_prefix_groups_rate_keys)
{
    static const struct {
        const char *yaml;
        const char *same, *other;    /* over the limit together with 2001:db8:1:2::1.. or not */
    } cases[] = {
        /* ip: the /64 by default. */
        { "shield: { rate_limit: { window: 60s, limit: 10 } }\n", "2001:db8:1:2::ff",
          "2001:db8:1:3::1" },
        /* ip_24: a /64 also with ipv6_prefix 128 ... */
        { "shield: { ipv6_prefix: 128, rate_limit: { window: 60s, limit: 10, key: ip_24 } }\n",
          "2001:db8:1:2::ff", "2001:db8:1:3::1" },
        /* ... and ipv6_prefix itself when that is wider: never narrower than ip. */
        { "shield: { ipv6_prefix: 48, rate_limit: { window: 60s, limit: 10, key: ip_24 } }\n",
          "2001:db8:1:9::1", "2001:db8:2::1" },
        /* forwarded_ip: the resolved client's prefix. */
        { "shield: { rate_limit: { window: 60s, limit: 10, key: forwarded_ip } }\n",
          "2001:db8:1:2::ff", "2001:db8:1:3::1" },
    };

    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        v6_clock_reset();
        struct shield *s = v6_open(NULL, cases[k].yaml);
        for (unsigned i = 0; i < 10; i++) {
            char ip[64];
            snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
            struct shield_request_info r = v6_req(ip, "/");
            EXPECT_EQ(shield_request(s, &r, v6_mono_ms).verdict, SHIELD_ALLOW);
        }
        struct shield_request_info r = v6_req(cases[k].same, "/");
        struct shield_decision d = shield_request(s, &r, v6_mono_ms);
        if (d.verdict != SHIELD_DENY)
            fail_msg("case %u: %s was not limited with the others", k, cases[k].same);
        EXPECT_STREQ(d.rule, "rate_limit");
        r = v6_req(cases[k].other, "/");
        EXPECT_EQ(shield_request(s, &r, v6_mono_ms).verdict, SHIELD_ALLOW);
        shield_free(s);
    }

    /* ip with ipv6_prefix 128: every address has its own window. */
    v6_clock_reset();
    struct shield *s = v6_open(NULL, "shield: { ipv6_prefix: 128, rate_limit: { window: 60s, "
                                     "limit: 10 } }\n");
    for (unsigned i = 0; i < 30; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
        struct shield_request_info r = v6_req(ip, "/");
        EXPECT_EQ(shield_request(s, &r, v6_mono_ms).verdict, SHIELD_ALLOW);
    }
    /* IPv4 neighbours are separate with the default prefix. */
    shield_apply(s, v6_conf("shield: { rate_limit: { window: 60s, limit: 10 } }\n"));
    for (unsigned i = 0; i < 30; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
        struct shield_request_info r = v6_req(ip, "/");
        EXPECT_EQ(shield_request(s, &r, v6_mono_ms).verdict, SHIELD_ALLOW);
    }
    shield_free(s);
}

TEST(shield_ipv6_prefix_conf_default_and_bounds)
{
    struct shield_conf *c = v6_conf("shield: {}\n");
    EXPECT_EQ(c->ipv6_prefix, 64);
    EXPECT_EQ(c->detect.ipv6_prefix, 64);
    shield_conf_free(c);
    c = v6_conf("shield: { ipv6_prefix: 56 }\n");
    EXPECT_EQ(c->ipv6_prefix, 56);
    EXPECT_EQ(c->detect.ipv6_prefix, 56);
    shield_conf_free(c);

    static const char *const bad[] = {
        "shield: { ipv6_prefix: 31 }\n", "shield: { ipv6_prefix: 129 }\n",
        "shield: { ipv6_prefix: /64 }\n", "shield: { ipv6_prefix: -1 }\n",
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct diag d;
        struct shield_conf *x = NULL;
        diag_init(&d);
        struct conf_doc *doc = conf_doc_load_mem("t.yaml", bad[i], strlen(bad[i]), &d);
        EXPECT_TRUE(doc != NULL);
        EXPECT_EQ(shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &x), -EINVAL);
        EXPECT_TRUE(x == NULL);
        EXPECT_TRUE(diag_count(&d) >= 1);
        EXPECT_TRUE(strstr(d.msgs[0], "shield.ipv6_prefix") != NULL);
        conf_doc_free(doc);
        diag_fini(&d);
    }
}

static struct cidr
v6_cidr(const char *text)
{
    struct cidr c;
    char why[128];

    if (cidr_parse(text, strlen(text), &c, why, sizeof(why)) < 0)
        fail_msg("bad test CIDR %s: %s", text, why);
    return c;
}

TEST(shield_ipv6_prefix_cidr_client_and_overlaps)
{
    struct shield_addr a = v6_addr("2001:db8:1:2:3:4:5:6");
    struct cidr c;
    char out[64];

    cidr_client(&a, 64, &c);
    cidr_format(&c, out, sizeof(out));
    EXPECT_STREQ(out, "2001:db8:1:2::/64");
    cidr_client(&a, 128, &c);
    cidr_format(&c, out, sizeof(out));
    EXPECT_STREQ(out, "2001:db8:1:2:3:4:5:6");
    cidr_client(&a, 0, &c);                       /* unset: per address */
    EXPECT_EQ(c.plen, 128);
    a = v6_addr("192.0.2.77");
    cidr_client(&a, 64, &c);                      /* IPv4: always the address */
    cidr_format(&c, out, sizeof(out));
    EXPECT_STREQ(out, "192.0.2.77");
    a = v6_addr("::ffff:192.0.2.77");             /* mapped: the IPv4 address */
    cidr_client(&a, 64, &c);
    EXPECT_EQ(c.plen, 128);

    struct cidr set[] = { v6_cidr("2001:db8:1:2::1"), v6_cidr("2001:db8:9::/48"),
                          v6_cidr("10.0.0.0/8") };
    int vals[] = { 0, 1, 0 };
    struct cidrset *cs = cidrset_new(set, vals, 3);
    c = v6_cidr("2001:db8:1:2::/64");
    EXPECT_TRUE(cidrset_overlaps(cs, &c, 0));     /* holds ::1 */
    EXPECT_FALSE(cidrset_overlaps(cs, &c, 1));
    c = v6_cidr("2001:db8:1:3::/64");
    EXPECT_FALSE(cidrset_overlaps(cs, &c, 0));
    c = v6_cidr("2001:db8:9:5::/64");             /* inside the /48 */
    EXPECT_TRUE(cidrset_overlaps(cs, &c, 1));
    c = v6_cidr("2001:db8::/32");                 /* holds both */
    EXPECT_TRUE(cidrset_overlaps(cs, &c, 0));
    EXPECT_TRUE(cidrset_overlaps(cs, &c, 1));
    c = v6_cidr("10.1.0.0/16");
    EXPECT_TRUE(cidrset_overlaps(cs, &c, 0));
    EXPECT_FALSE(cidrset_overlaps(NULL, &c, 0));
    cidrset_free(cs);
}

TEST(shield_ipv6_prefix_addrmap_keys_carry_the_length)
{
    struct addrmap m;
    struct shield_addr net = v6_addr("2001:db8:1:2::");
    bool created;

    EXPECT_EQ(addrmap_init(&m, sizeof(int), 16, 42), 0);
    int *a = addrmap_get(&m, &net, true, &created);            /* the address itself */
    EXPECT_TRUE(created);
    *a = 1;
    int *p = addrmap_get_prefix(&m, &net, 64, true, &created); /* its /64: another key */
    EXPECT_TRUE(created);
    *p = 2;
    EXPECT_EQ(*(int *)addrmap_get_prefix(&m, &net, 128, false, NULL), 1);
    EXPECT_EQ(*(int *)addrmap_get_prefix(&m, &net, 64, false, NULL), 2);
    EXPECT_TRUE(addrmap_get_prefix(&m, &net, 48, false, NULL) == NULL);
    EXPECT_EQ(m.n, 2);
    EXPECT_TRUE(addrmap_remove_prefix(&m, &net, 64));
    EXPECT_FALSE(addrmap_remove_prefix(&m, &net, 64));
    EXPECT_EQ(*(int *)addrmap_get(&m, &net, false, NULL), 1);
    addrmap_fini(&m);
}
