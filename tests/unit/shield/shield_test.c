/* tests/unit/shield/shield_test.c: the facade: firewall verdicts at accept, rate-based
 * rules, bans from detections (stored before enforced, reloaded after a restart with their
 * remaining time, escalated for repeat offenders), count mode, X-Forwarded-For, manual bans
 * and the nftables mirror inside a private network namespace. Clocks are fakes. */
#include "shield/internal.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "shield/nftset.h"

static uint64_t fake_mono_ms, fake_wall_ms;

static uint64_t
fake_mono(void)
{
    return fake_mono_ms;
}

static uint64_t
fake_wall(void)
{
    return fake_wall_ms;
}

static const struct shield_clock fake_clock = { fake_mono, fake_wall };

/* Advances both clocks. */
static void
tick(uint64_t ms)
{
    fake_mono_ms += ms;
    fake_wall_ms += ms;
}

static struct shield_conf *
conf(const char *yaml)
{
    struct diag d;
    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
    struct shield_conf *c = NULL;
    if (doc)
        shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c);
    if (!c) {
        diag_print(&d, stderr);
        fail_msg("conf did not build");
    }
    conf_doc_free(doc);
    diag_fini(&d);
    return c;
}

struct dir {
    char path[64];
};

static void
dir_make(struct dir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/shield_test.XXXXXX");
    if (!mkdtemp(d->path))
        fail_msg("mkdtemp");
}

static void
dir_remove(struct dir *d)
{
    char p[128];
    static const char *const files[] = { "shield.db", "shield.db-wal", "shield.db-shm" };
    for (unsigned i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", d->path, files[i]);
        unlink(p);
    }
    rmdir(d->path);
}

static struct shield *
open_shield(const char *dir, const char *yaml)
{
    char err[256];
    struct shield *s = shield_new_clock(dir, &fake_clock, err, sizeof(err));

    if (!s)
        fail_msg("shield_new: %s", err);
    shield_apply(s, conf(yaml));
    return s;
}

static struct shield_addr
A(const char *s)
{
    struct shield_addr a;
    if (cidr_addr_parse(s, strlen(s), &a) < 0)
        fail_msg("bad test address %s", s);
    return a;
}

static struct shield_request_info
R(const char *ip, const char *path, const char *ua)
{
    struct shield_request_info r;
    memset(&r, 0, sizeof(r));
    r.client = A(ip);
    r.method = slice_make("GET", 3);
    r.path = slice_make(path, strlen(path));
    r.host = slice_make("www.example.com", 15);
    r.user_agent = slice_make(ua, strlen(ua));
    return r;
}

struct bans {
    unsigned n;
    struct shield_ban_info last;
};

static void
on_ban(void *ctx, const struct shield_ban_info *b)
{
    struct bans *bs = ctx;
    bs->n++;
    bs->last = *b;
}

static struct bans
bans_of(struct shield *s)
{
    struct bans b = { 0 };
    shield_bans_visit(s, on_ban, &b);
    return b;
}

struct counter {
    const char *name;
    uint64_t value;
};

static void
on_counter(void *ctx, const char *name, uint64_t value)
{
    struct counter *c = ctx;
    if (strcmp(c->name, name) == 0)
        c->value = value;
}

static uint64_t
counter(struct shield *s, const char *name)
{
    struct counter c = { name, UINT64_MAX };
    shield_counters_visit(s, on_counter, &c);
    if (c.value == UINT64_MAX)
        fail_msg("no counter %s", name);
    return c.value;
}

static const char *
accept_rule(struct shield *s, const char *ip)
{
    struct shield_addr a = A(ip);
    struct shield_decision d = shield_accept(s, &a, fake_mono_ms);
    if (d.verdict == SHIELD_ALLOW) {
        shield_release(s, &a);
        return "allow";
    }
    return d.rule;
}

static void
setup_clock(void)
{
    fake_mono_ms = 5000000;
    fake_wall_ms = 1700000000000ULL;
}

TEST(shield_accept_follows_allow_and_deny)
{
    setup_clock();
    struct shield *s = open_shield(NULL, "shield:\n"
                                         "  allow: [10.0.0.0/8, 203.0.113.5]\n"
                                         "  deny: [203.0.113.0/24, 10.66.0.0/16, \"2001:db8::/32\"]\n"
                                         "  max_connections_per_ip: 2\n");
    EXPECT_TRUE(shield_enabled(s));
    EXPECT_STREQ(accept_rule(s, "203.0.113.9"), "deny");
    EXPECT_STREQ(accept_rule(s, "203.0.113.5"), "allow");   /* the /32 allow inside the deny */
    EXPECT_STREQ(accept_rule(s, "10.66.1.1"), "deny");      /* the /16 deny inside the allow */
    EXPECT_STREQ(accept_rule(s, "10.1.1.1"), "allow");
    EXPECT_STREQ(accept_rule(s, "2001:db8::7"), "deny");
    EXPECT_STREQ(accept_rule(s, "198.51.100.1"), "allow");
    EXPECT_EQ(counter(s, "deny"), 3);

    /* Connection cap: two open, the third refused, released ones make room; the allow list
     * is exempt. */
    struct shield_addr a = A("198.51.100.2"), office = A("10.1.1.1");
    EXPECT_EQ(shield_accept(s, &a, fake_mono_ms).verdict, SHIELD_ALLOW);
    EXPECT_EQ(shield_accept(s, &a, fake_mono_ms).verdict, SHIELD_ALLOW);
    struct shield_decision d = shield_accept(s, &a, fake_mono_ms);
    EXPECT_EQ(d.verdict, SHIELD_DENY);
    EXPECT_STREQ(d.rule, "max_connections");
    shield_release(s, &a);
    EXPECT_EQ(shield_accept(s, &a, fake_mono_ms).verdict, SHIELD_ALLOW);
    for (unsigned i = 0; i < 10; i++)
        EXPECT_EQ(shield_accept(s, &office, fake_mono_ms).verdict, SHIELD_ALLOW);
    EXPECT_EQ(counter(s, "max_connections"), 1);
    shield_free(s);

    /* No section: everything passes. */
    s = open_shield(NULL, "listeners: []\n");
    EXPECT_FALSE(shield_enabled(s));
    EXPECT_STREQ(accept_rule(s, "203.0.113.9"), "allow");
    shield_free(s);
}

TEST(shield_rate_limit_refuses_while_over)
{
    setup_clock();
    struct shield *s = open_shield(NULL, "shield:\n"
                                         "  allow: [10.0.0.0/8]\n"
                                         "  rate_limit: { window: 60s, limit: 10, status: 429 }\n");
    struct shield_request_info r = R("198.51.100.20", "/", "Mozilla/5.0"), o = R("10.0.0.1", "/", "x");
    struct shield_decision d;

    for (unsigned i = 0; i < 10; i++)
        EXPECT_EQ(shield_request(s, &r, fake_mono_ms).verdict, SHIELD_ALLOW);
    d = shield_request(s, &r, fake_mono_ms);
    EXPECT_EQ(d.verdict, SHIELD_DENY);
    EXPECT_EQ(d.status, 429);
    EXPECT_STREQ(d.rule, "rate_limit");
    for (unsigned i = 0; i < 100; i++)
        EXPECT_EQ(shield_request(s, &o, fake_mono_ms).verdict, SHIELD_ALLOW);
    r.health_checker = true;
    EXPECT_EQ(shield_request(s, &r, fake_mono_ms).verdict, SHIELD_ALLOW);
    r.health_checker = false;
    tick(66000);                /* one window and one bucket later */
    EXPECT_EQ(shield_request(s, &r, fake_mono_ms).verdict, SHIELD_ALLOW);
    EXPECT_EQ(counter(s, "rate_limit"), 1);

    /* ip_24 aggregates a /24: ten neighbours use up the limit together. */
    shield_apply(s, conf("shield: { rate_limit: { window: 60s, limit: 10, key: ip_24 } }\n"));
    char ip[32];
    for (unsigned i = 0; i < 10; i++) {
        snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
        struct shield_request_info n = R(ip, "/", "Mozilla/5.0");
        EXPECT_EQ(shield_request(s, &n, fake_mono_ms).verdict, SHIELD_ALLOW);
    }
    struct shield_request_info n = R("192.0.2.200", "/", "Mozilla/5.0");
    d = shield_request(s, &n, fake_mono_ms);
    EXPECT_EQ(d.status, 403);   /* WAF's default block status */
    n = R("192.0.3.1", "/", "Mozilla/5.0");
    EXPECT_EQ(shield_request(s, &n, fake_mono_ms).verdict, SHIELD_ALLOW);
    shield_free(s);
}

/* A scanner is banned (stored first), survives a restart with its remaining time, expires,
 * and its next ban is repeat_ban_factor times longer. */
TEST(shield_bans_persist_across_restart)
{
    struct dir dir;
    const char *yaml = "shield: { scanners: { ban: 1h, repeat_ban_factor: 4 } }\n";

    setup_clock();
    dir_make(&dir);
    struct shield *s = open_shield(dir.path, yaml);
    struct shield_request_info r = R("198.51.100.66", "/", "sqlmap/1.7.2#stable");
    struct shield_decision d = shield_request(s, &r, fake_mono_ms);
    EXPECT_EQ(d.verdict, SHIELD_DENY);          /* the tripping request itself */
    shield_sync(s);
    EXPECT_STREQ(accept_rule(s, "198.51.100.66"), "ban");
    struct bans b = bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_STREQ(b.last.addr, "198.51.100.66");
    EXPECT_STREQ(b.last.reason, "scanner_ua");
    EXPECT_TRUE(strstr(b.last.evidence, "sqlmap") != NULL);
    EXPECT_EQ(b.last.expiry_s - b.last.start_s, 3600);
    EXPECT_FALSE(b.last.counted_only);
    int64_t expiry = b.last.expiry_s;
    shield_free(s);

    /* Twenty minutes later, a new process (a new monotonic epoch too). */
    fake_wall_ms += 20 * 60 * 1000;
    fake_mono_ms = 42;
    s = open_shield(dir.path, yaml);
    EXPECT_STREQ(accept_rule(s, "198.51.100.66"), "ban");
    b = bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_EQ(b.last.expiry_s, expiry);         /* 40 minutes left, no re-ban */
    tick(39 * 60 * 1000);
    EXPECT_STREQ(accept_rule(s, "198.51.100.66"), "ban");
    tick(61 * 1000);
    EXPECT_STREQ(accept_rule(s, "198.51.100.66"), "allow");
    EXPECT_EQ(bans_of(s).n, 0);

    /* Second offence: 1h x 4. */
    d = shield_request(s, &r, fake_mono_ms);
    shield_sync(s);
    b = bans_of(s);
    EXPECT_EQ(b.n, 1);
    EXPECT_EQ(b.last.expiry_s - b.last.start_s, 4 * 3600);
    EXPECT_EQ(counter(s, "bans_added"), 1);
    EXPECT_EQ(counter(s, "detector_scanner_ua"), 1);
    shield_free(s);
    dir_remove(&dir);
}

TEST(shield_count_mode_records_but_allows)
{
    struct dir dir;

    setup_clock();
    dir_make(&dir);
    struct shield *s = open_shield(dir.path, "shield:\n  mode: count\n  deny: [203.0.113.0/24]\n"
                                             "  rate_limit: { window: 60s, limit: 10 }\n");
    EXPECT_STREQ(accept_rule(s, "203.0.113.1"), "allow");
    EXPECT_EQ(counter(s, "deny_counted"), 1);
    EXPECT_EQ(counter(s, "deny"), 0);
    struct shield_request_info r = R("198.51.100.77", "/", "Nikto/2.1.6");
    for (unsigned i = 0; i < 20; i++)
        EXPECT_EQ(shield_request(s, &r, fake_mono_ms).verdict, SHIELD_ALLOW);
    shield_sync(s);
    EXPECT_STREQ(accept_rule(s, "198.51.100.77"), "allow");
    struct bans b = bans_of(s);
    EXPECT_EQ(b.n, 1);                          /* one decision, not one per request */
    EXPECT_TRUE(b.last.counted_only);
    EXPECT_STREQ(b.last.reason, "scanner_ua");
    EXPECT_EQ(counter(s, "bans_counted_only"), 1);
    EXPECT_TRUE(counter(s, "rate_limit_counted") >= 1);
    EXPECT_EQ(counter(s, "rate_limit"), 0);
    shield_free(s);

    /* Switching to block later: a counted-only ban is no reason to refuse, and the repeat
     * count ignores it (n = 0: the first real ban is the base length). */
    s = open_shield(dir.path, "shield: { scanners: { ban: 10m } }\n");
    EXPECT_STREQ(accept_rule(s, "198.51.100.77"), "allow");
    shield_request(s, &r, fake_mono_ms);
    shield_sync(s);
    EXPECT_STREQ(accept_rule(s, "198.51.100.77"), "ban");
    struct bans b2 = { 0 };
    shield_bans_visit(s, on_ban, &b2);
    EXPECT_EQ(b2.n, 2);
    EXPECT_EQ(b2.last.expiry_s - b2.last.start_s, 600);
    EXPECT_FALSE(b2.last.counted_only);
    shield_free(s);
    dir_remove(&dir);
}

TEST(shield_allowlist_and_health_checks_never_banned)
{
    setup_clock();
    struct shield *s = open_shield(NULL, "shield: { allow: [10.0.0.0/8] }\n");
    struct shield_request_info r = R("10.9.9.9", "/.env", "Nikto");
    for (unsigned i = 0; i < 50; i++) {
        EXPECT_EQ(shield_request(s, &r, fake_mono_ms).verdict, SHIELD_ALLOW);
        shield_response(s, &r, 404, fake_mono_ms);
    }
    struct shield_request_info h = R("198.51.100.5", "/.git/config", "ELB-HealthChecker/2.0");
    h.health_checker = true;
    for (unsigned i = 0; i < 50; i++) {
        EXPECT_EQ(shield_request(s, &h, fake_mono_ms).verdict, SHIELD_ALLOW);
        shield_response(s, &h, 404, fake_mono_ms);
    }
    shield_sync(s);
    EXPECT_EQ(bans_of(s).n, 0);
    /* A manual ban of an allow-listed address is the operator's call. */
    EXPECT_EQ(shield_ban_add(s, "198.51.100.0/24", 60, "manual"), 0);
    EXPECT_STREQ(accept_rule(s, "198.51.100.9"), "ban");
    EXPECT_EQ(shield_ban_add(s, "198.51.100.1/24", 60, NULL), -EINVAL);
    EXPECT_EQ(shield_ban_remove(s, "198.51.100.0/24"), 0);
    EXPECT_STREQ(accept_rule(s, "198.51.100.9"), "allow");
    EXPECT_EQ(shield_ban_remove(s, "198.51.100.0/24"), -ENOENT);
    EXPECT_EQ(shield_ban_add(s, "2001:db8::7", 60, "ops"), 0);
    EXPECT_STREQ(accept_rule(s, "2001:db8::7"), "ban");
    EXPECT_EQ(shield_ban_remove(s, "2001:db8::7"), 0);
    EXPECT_STREQ(accept_rule(s, "2001:db8::7"), "allow");
    shield_free(s);
}

TEST(shield_client_addr_walks_trusted_hops)
{
    setup_clock();
    struct shield *s = open_shield(NULL, "shield: { trusted_proxies: [192.0.2.0/24, \"2001:db8::1\"] }\n");
    struct shield_addr peer = A("192.0.2.10"), out;
    char text[64];
    struct slice xff[2] = { SLICE_LIT("1.1.1.1, 203.0.113.7:5555"), SLICE_LIT(" 192.0.2.11 ,") };

    shield_client_addr(s, &peer, xff, 2, &out);
    cidr_addr_format(&out, text, sizeof(text));
    EXPECT_STREQ(text, "203.0.113.7");          /* right-most untrusted, not the spoofable 1.1.1.1 */
    struct slice bad[1] = { SLICE_LIT("203.0.113.7, unknown, 192.0.2.12") };
    shield_client_addr(s, &peer, bad, 1, &out);
    cidr_addr_format(&out, text, sizeof(text));
    EXPECT_STREQ(text, "192.0.2.12");           /* stops at the last trusted hop */
    struct slice v6[1] = { SLICE_LIT("[2001:db8::99]:443, 2001:db8::1") };
    shield_client_addr(s, &peer, v6, 1, &out);
    cidr_addr_format(&out, text, sizeof(text));
    EXPECT_STREQ(text, "2001:db8::99");
    struct shield_addr stranger = A("198.51.100.1");
    shield_client_addr(s, &stranger, xff, 2, &out);
    cidr_addr_format(&out, text, sizeof(text));
    EXPECT_STREQ(text, "198.51.100.1");         /* untrusted peers cannot claim anything */
    shield_free(s);
}

/* Lists a set's elements into buf with libnftables (no nft binary needed). */
static int
nft_list(const char *set, char *buf, size_t n)
{
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    char cmd[128];
    int rc;

    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    snprintf(cmd, sizeof(cmd), "list set inet tierdtest %s", set);
    rc = nft_run_cmd_from_buffer(ctx, cmd);
    snprintf(buf, n, "%s", rc == 0 ? nft_ctx_get_output_buffer(ctx) : nft_ctx_get_error_buffer(ctx));
    nft_ctx_free(ctx);
    return rc;
}

/* In a forked child with its own network namespace: set up, add, list, remove. Exit codes
 * say which step failed; 77 means no namespace could be made (skipped). */
static int
nft_child(void)
{
    char out[4096];
    if (unshare(CLONE_NEWNET) < 0)
        return 77;
    struct nftset *n = nftset_new("tierdtest", "banned");
    if (!n)
        return 10;
    if (nftset_setup(n) < 0) {
        fprintf(stderr, "nft setup: %s\n", nftset_error(n));
        return 11;
    }
    struct shield_addr a4 = A("198.51.100.7"), a6 = A("2001:db8::7");
    if (nftset_add(n, &a4, 3600) < 0 || nftset_add(n, &a6, 60) < 0) {
        fprintf(stderr, "nft add: %s\n", nftset_error(n));
        return 12;
    }
    if (nft_list("banned_v4", out, sizeof(out)) != 0 || !strstr(out, "198.51.100.7") ||
        !strstr(out, "timeout"))
        return fprintf(stderr, "%s\n", out), 13;
    if (nft_list("banned_v6", out, sizeof(out)) != 0 || !strstr(out, "2001:db8::7"))
        return fprintf(stderr, "%s\n", out), 14;
    if (nftset_remove(n, &a4) < 0 || nftset_remove(n, &a4) < 0)   /* twice: idempotent */
        return fprintf(stderr, "nft remove: %s\n", nftset_error(n)), 15;
    if (nft_list("banned_v4", out, sizeof(out)) != 0 || strstr(out, "198.51.100.7"))
        return 16;
    if (nftset_setup(n) < 0)                    /* again: idempotent, sets emptied */
        return 17;
    if (nft_list("banned_v6", out, sizeof(out)) != 0 || strstr(out, "2001:db8::7"))
        return 18;
    nftset_free(n);
    return 0;
}

TEST(shield_nftables_mirror_in_a_namespace)
{
    pid_t pid = fork();
    int st;

    if (pid == 0)
        _exit(nft_child());
    EXPECT_TRUE(pid > 0);
    EXPECT_EQ(waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        fprintf(stderr, "shield_nftables_mirror_in_a_namespace: SKIPPED: cannot create a "
                        "network namespace here (needs root or user namespaces)\n");
        skip();
    }
    EXPECT_EQ(WEXITSTATUS(st), 0);
}

struct offenders {
    unsigned n;
    struct shield_offender_info o[4];
};

static void
on_offender(void *ctx, const struct shield_offender_info *o)
{
    struct offenders *l = ctx;
    if (l->n < 4)
        l->o[l->n] = *o;
    l->n++;
}

/* The console's top offenders: clients that probed, most probes first; a client that only
 * got pages is none; max bounds the list. */
TEST(shield_offenders_rank_by_probes)
{
    static const char *const paths[] = { "/a.php", "/b.php", "/c.php", "/d.php", "/e.php" };
    setup_clock();
    struct shield *s = open_shield(NULL, "shield: { mode: block }\n");
    char p[32];

    for (unsigned i = 0; i < 5; i++) {
        struct shield_request_info a = R("198.51.100.1", paths[i], "curl/8");
        EXPECT_EQ(shield_request(s, &a, fake_mono_ms).verdict, SHIELD_ALLOW);
        shield_response(s, &a, 404, fake_mono_ms);
    }
    for (unsigned i = 0; i < 2; i++) {
        struct shield_request_info b = R("198.51.100.2", paths[i], "curl/8");
        EXPECT_EQ(shield_request(s, &b, fake_mono_ms).verdict, SHIELD_ALLOW);
        shield_response(s, &b, 404, fake_mono_ms);
    }
    for (unsigned i = 0; i < 5; i++) {
        snprintf(p, sizeof(p), "/page%u", i);
        struct shield_request_info c = R("198.51.100.3", p, "Mozilla/5.0");
        EXPECT_EQ(shield_request(s, &c, fake_mono_ms).verdict, SHIELD_ALLOW);
        shield_response(s, &c, 200, fake_mono_ms);
    }
    shield_sync(s);
    struct offenders l = { 0 };
    shield_offenders_visit(s, 10, on_offender, &l);
    EXPECT_EQ(l.n, 2);
    EXPECT_STREQ(l.o[0].addr, "198.51.100.1");
    EXPECT_EQ(l.o[0].probes, 5);
    EXPECT_FALSE(l.o[0].refused);
    EXPECT_STREQ(l.o[1].addr, "198.51.100.2");
    EXPECT_EQ(l.o[1].probes, 2);
    struct offenders one = { 0 };
    shield_offenders_visit(s, 1, on_offender, &one);
    EXPECT_EQ(one.n, 1);
    EXPECT_STREQ(one.o[0].addr, "198.51.100.1");
    shield_free(s);
}
