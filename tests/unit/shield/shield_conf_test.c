/* tests/unit/shield/shield_conf_test.c: the `shield:` section becomes a struct shield_conf
 * with defaults, and every mistake is reported at its file:line:col. */
#include "shield/internal.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

static struct shield_conf *
build(const char *yaml, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);

    if (!doc) {
        diag_print(d, stderr);
        fail_msg("YAML did not load");
    }
    struct shield_conf *c = NULL;
    shield_conf_build(doc->root, &(struct conf_ctx){ .d = d }, &c);
    conf_doc_free(doc);         /* the conf owns its strings */
    EXPECT_TRUE((c == NULL) == (diag_count(d) > 0));
    return c;
}

/* Expects failure with exactly n messages, one of them `want`. */
static void
expect_error(const char *yaml, unsigned n, const char *want)
{
    struct diag d;

    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);
    bool found = false;
    for (unsigned i = 0; i < d.n; i++)
        found = found || strcmp(d.msgs[i], want) == 0;
    if (!found || d.n != n) {
        fprintf(stderr, "wanted (%u messages): %s\ngot %u:\n", n, want, d.n);
        diag_print(&d, stderr);
        fail();
    }
    diag_fini(&d);
}

TEST(shield_conf_reads_the_issue_example)
{
    struct diag d;
    diag_init(&d);
    struct shield_conf *c = build(
        "listeners: []\n"
        "shield:\n"
        "  mode: count\n"
        "  allow: [10.0.0.0/8]\n"
        "  deny: [203.0.113.0/24, \"2001:db8::/32\"]\n"
        "  trusted_proxies: [192.0.2.1]\n"
        "  max_connections_per_ip: 256\n"
        "  rate_limit: { window: 60s, limit: 600, key: ip_24, status: 429 }\n"
        "  scanners: { enabled: true, ban: 1h, repeat_ban_factor: 4 }\n"
        "  login_paths: [/login, /api/auth]\n"
        "  nftables: { enabled: false, table: tierd, set: banned }\n", &d);

    EXPECT_TRUE(c != NULL);
    EXPECT_TRUE(c->enabled);
    EXPECT_EQ(c->mode, SHIELD_MODE_COUNT);
    EXPECT_EQ(c->nallow, 1);
    EXPECT_EQ(c->ndeny, 2);
    EXPECT_EQ(c->ntrusted, 1);
    struct shield_addr a;
    cidr_addr_parse("10.9.9.9", 8, &a);
    EXPECT_EQ(cidrset_lookup(c->firewall, &a), SHIELD_FW_ALLOW);
    cidr_addr_parse("203.0.113.9", 11, &a);
    EXPECT_EQ(cidrset_lookup(c->firewall, &a), SHIELD_FW_DENY);
    EXPECT_EQ(c->max_connections_per_ip, 256);
    EXPECT_TRUE(c->rate_enabled);
    EXPECT_EQ(c->rate_window_ms, 60000);
    EXPECT_EQ(c->rate_limit, 600);
    EXPECT_EQ(c->rate_key, SHIELD_KEY_IP_24);
    EXPECT_EQ(c->rate_status, 429);
    EXPECT_EQ(c->ban_ms, 3600000);
    EXPECT_EQ(c->repeat_ban_factor, 4);
    EXPECT_EQ(shield_conf_ban_ms(c, 0), 3600000);
    EXPECT_EQ(shield_conf_ban_ms(c, 2), 16 * 3600000ULL);
    EXPECT_EQ(shield_conf_ban_ms(c, 9), 7 * 86400000ULL);       /* capped by max_ban */
    EXPECT_EQ(c->nlogin, 2);
    EXPECT_STREQ(c->login_paths[1], "/api/auth");
    EXPECT_TRUE(c->login_paths[2] == NULL);
    EXPECT_TRUE(c->detect.login_paths == (const char *const *)c->login_paths);
    EXPECT_FALSE(c->nft_enabled);
    EXPECT_STREQ(c->nft_set, "banned");
    shield_conf_free(c);
    diag_fini(&d);
}

TEST(shield_conf_defaults_and_absence)
{
    struct diag d;
    diag_init(&d);
    struct shield_conf *c = build("listeners: []\n", &d);
    EXPECT_FALSE(c->enabled);
    shield_conf_free(c);
    c = build("shield: {}\n", &d);
    EXPECT_TRUE(c->enabled);
    EXPECT_EQ(c->mode, SHIELD_MODE_BLOCK);
    EXPECT_FALSE(c->rate_enabled);
    EXPECT_EQ(c->rate_status, 403);
    EXPECT_EQ(c->rate_window_ms, 300000);
    EXPECT_TRUE(c->scanners_enabled);
    EXPECT_EQ(c->ban_ms, 3600000);
    EXPECT_EQ(c->repeat_ban_factor, 2);
    EXPECT_EQ(c->max_connections_per_ip, 0);
    EXPECT_STREQ(c->nft_table, "tierd");
    shield_conf_free(c);
    c = build("shield: { rate_limit: { limit: 100 } }\n", &d);
    EXPECT_EQ(c->rate_window_ms, 300000);       /* WAF's default window */
    EXPECT_EQ(c->rate_key, SHIELD_KEY_IP);
    shield_conf_free(c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);
}

TEST(shield_conf_cidr_errors_have_positions)
{
    expect_error("shield:\n  allow: [10.0.0.0/33]\n", 1,
                 "tierd.yaml:2:11: shield.allow[0]: \"10.0.0.0/33\" is not a valid address or "
                 "CIDR: prefix length 33 is out of range for IPv4 (0 to 32)");
    expect_error("shield:\n  deny:\n    - 192.0.2.0/24\n    - 10.1.2.3/8\n", 1,
                 "tierd.yaml:4:7: shield.deny[1]: \"10.1.2.3/8\" is not a valid address or "
                 "CIDR: host bits are set after /8; did you mean 10.0.0.0/8?");
    expect_error("shield:\n  trusted_proxies: [proxy.internal]\n", 1,
                 "tierd.yaml:2:21: shield.trusted_proxies[0]: \"proxy.internal\" is not a valid "
                 "address or CIDR: not an IPv4 or IPv6 address");
    expect_error("shield:\n  allow: [10.0.0.0/8]\n  deny: [10.0.0.0/8]\n", 1,
                 "tierd.yaml:3:10: shield.deny[0]: 10.0.0.0/8 is also in shield.allow "
                 "(tierd.yaml:2:11); remove it from one of the lists");
    expect_error("shield:\n  allow: 10.0.0.0/8\n", 1,
                 "tierd.yaml:2:10: shield.allow: expected a list, got a scalar");
}

TEST(shield_conf_unknown_keys_get_did_you_mean)
{
    expect_error("shield:\n  rate_limt: { limit: 10 }\n", 1,
                 "tierd.yaml:2:3: unknown key \"rate_limt\" in shield; did you mean "
                 "\"rate_limit\"?");
    expect_error("shield:\n  scanners: { enabled: true, bann: 1h }\n", 1,
                 "tierd.yaml:2:30: unknown key \"bann\" in shield.scanners; did you mean \"ban\"?");
    expect_error("shield:\n  mode: blok\n", 1,
                 "tierd.yaml:2:9: shield.mode: unknown value \"blok\"; did you mean \"block\"?");
}

TEST(shield_conf_values_are_checked)
{
    expect_error("shield:\n  rate_limit: { window: 90s, limit: 100 }\n", 1,
                 "tierd.yaml:2:25: shield.rate_limit.window: 90s is not an evaluation window; "
                 "write 60s, 120s, 300s or 600s (as AWS WAF)");
    expect_error("shield:\n  rate_limit: { window: 60s }\n", 1,
                 "tierd.yaml:2:15: shield.rate_limit: missing required key \"limit\"");
    expect_error("shield:\n  rate_limit: { limit: 5 }\n", 1,
                 "tierd.yaml:2:24: shield.rate_limit.limit: 5 is out of range; write a number "
                 "from 10 to 2000000000");
    expect_error("shield:\n  rate_limit: { limit: 50, status: 503 }\n", 1,
                 "tierd.yaml:2:36: shield.rate_limit.status: 503 is not allowed; write 403 (as "
                 "AWS WAF blocks) or 429");
    expect_error("shield:\n  rate_limit: { limit: 50, key: header }\n", 1,
                 "tierd.yaml:2:33: shield.rate_limit.key: unknown value \"header\"; use one of "
                 "ip, ip_24, forwarded_ip");
    expect_error("shield:\n  login_paths: [login]\n", 1,
                 "tierd.yaml:2:17: shield.login_paths[0]: \"login\" is not a path prefix; write "
                 "one starting with '/', without spaces or a query, like /login");
    expect_error("shield:\n  nftables: { table: \"bad name\" }\n", 1,
                 "tierd.yaml:2:22: shield.nftables.table: \"bad name\" is not an nftables name; "
                 "use up to 32 letters, digits, '_' or '-', starting with a letter");
    expect_error("shield:\n  scanners: { ban: 4h, max_ban: 1h }\n", 1,
                 "tierd.yaml:2:33: shield.scanners: max_ban is shorter than ban; raise max_ban "
                 "or lower ban");
    /* Outside WAF's range too, the message names the windows WAF has. */
    expect_error("shield:\n  rate_limit: { window: 15m, limit: 100 }\n", 1,
                 "tierd.yaml:2:25: shield.rate_limit.window: 15m is not an evaluation window; "
                 "write 60s, 120s, 300s or 600s (as AWS WAF)");
    expect_error("shield:\n  rate_limit: { window: 60, limit: 100 }\n", 1,
                 "tierd.yaml:2:25: shield.rate_limit.window: \"60\" has no unit; write it as a "
                 "duration like \"60s\"");
    expect_error("shield:\n  rate_limit: { limit: 50, status: 404 }\n", 1,
                 "tierd.yaml:2:36: shield.rate_limit.status: 404 is not allowed; write 403 (as "
                 "AWS WAF blocks) or 429");
    expect_error("shield:\n  rate_limit: { limit: 50, status: 000000000000404 }\n", 1,
                 "tierd.yaml:2:36: shield.rate_limit.status: 000000000000404 is not allowed; "
                 "write 403 (as AWS WAF blocks) or 429");
    expect_error("shield:\n  scanners: { ban: 0 }\n", 1,
                 "tierd.yaml:2:20: shield.scanners.ban: 0 is out of range; write a value from 1s "
                 "to 365d");
    expect_error("shield:\n  nftables: { set: 1st }\n", 1,
                 "tierd.yaml:2:20: shield.nftables.set: \"1st\" is not an nftables name; use up "
                 "to 32 letters, digits, '_' or '-', starting with a letter");
    expect_error("shield:\n  nftables: { set: a.b }\n", 1,
                 "tierd.yaml:2:20: shield.nftables.set: \"a.b\" is not an nftables name; use up "
                 "to 32 letters, digits, '_' or '-', starting with a letter");
    expect_error("shield:\n  rate_limit: { limit: }\n", 1,
                 "tierd.yaml:2:24: shield.rate_limit: \"limit\" has no value; write one after "
                 "the ':'");
}
