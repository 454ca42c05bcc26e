/* tests/unit/shield/shield_keys_test.c: the `shield:` key table is consistent, every entry
 * is a key the reader accepts, the reader fills the table's defaults, and the bounds in the
 * table are the ones the reader enforces. */
#include "shield/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/keys.h"
#include "conf/value.h"
#include "shield/shield_keys.h"

/* Builds `yaml`; returns the conf or NULL, and the number of errors in *nerr. */
static struct shield_conf *
build(const char *yaml, unsigned *nerr)
{
    struct diag d;
    struct shield_conf *c = NULL;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), &d);
    if (!doc) {
        diag_print(&d, stderr);
        fail_msg("YAML did not load: %s", yaml);
    }
    shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c);
    conf_doc_free(doc);
    *nerr = diag_count(&d);
    diag_fini(&d);
    EXPECT_TRUE((c == NULL) == (*nerr > 0));
    return c;
}

TEST(shield_keys_table_is_consistent)
{
    const char *msg = conf_keytab_verify(shield_keys, SK_COUNT);

    if (msg)
        fail_msg("%s", msg);
    EXPECT_EQ(shield_keytab.n, SK_COUNT);
    EXPECT_TRUE(shield_keytab.keys == shield_keys);
    EXPECT_STREQ(shield_keytab.name, "shield");
    for (unsigned i = 0; i < SK_COUNT; i++) {
        EXPECT_TRUE(strncmp(shield_keys[i].path, "shield", 6) == 0);
        /* Nothing in the shield is a secret but CrowdSec's credentials, and every key
         * applies on reload. */
        bool secret = i == SK_CS_API_KEY || i == SK_CS_M_PASSWORD;
        EXPECT_EQ(!!(shield_keys[i].flags & CONF_KEY_SENSITIVE), secret);
        EXPECT_EQ(!!(shield_keys[i].flags & CONF_KEY_ENV_REF), secret);
        EXPECT_FALSE(shield_keys[i].flags & CONF_KEY_RESTART);
    }
    EXPECT_TRUE(shield_keys[SK_NFT_TABLE].flags & CONF_KEY_REPLACE);
    EXPECT_TRUE(shield_keys[SK_RATE_LIMIT].flags & CONF_KEY_REQUIRED);
    EXPECT_STREQ(shield_keys[SK_SHIELD].path, "shield");   /* the section the daemon checks */
}

static void
mark_keys(const struct conf_node *n, bool *seen)
{
    static const struct conf_keytab *const tabs[] = { &shield_keytab, NULL };

    if (n->kind == CONF_MAP) {
        for (unsigned i = 0; i < n->n; i++) {
            const struct conf_key *k = conf_key_lookup(tabs, n->pairs[i].value->path);
            if (!k)
                fail_msg("%s: not in the table", n->pairs[i].value->path);
            seen[k - shield_keys] = true;
            mark_keys(n->pairs[i].value, seen);
        }
    } else if (n->kind == CONF_SEQ) {
        for (unsigned i = 0; i < n->n; i++)
            mark_keys(n->items[i], seen);
    }
}

TEST(shield_keys_every_entry_is_read)
{
    static const char yaml[] =
        "shield:\n"
        "  mode: count\n"
        "  allow: [10.0.0.0/8]\n"
        "  deny: [203.0.113.0/24]\n"
        "  trusted_proxies: [192.0.2.1]\n"
        "  max_connections_per_ip: 100\n"
        "  ipv6_prefix: 56\n"
        "  rate_limit: { window: 120s, limit: 500, key: forwarded_ip, status: 429 }\n"
        "  scanners: { enabled: false, ban: 10m, repeat_ban_factor: 3, max_ban: 1d }\n"
        "  login_paths: [/login]\n"
        "  nftables: { enabled: true, table: t1, set: s1 }\n"
        "  client_memory: 2h\n"
        "  slow_scan: { enabled: false, probes: 5, over: 30m }\n"
        "  range_bans: { enabled: true, min_offenders: 9, min_share_percent: 30, ban: 2h }\n"
        "  crowdsec: { url: \"http://127.0.0.1:1\", api_key: k, poll_interval: 5s,\n"
        "              machine: { login: m, password: p } }\n"
        "  geo: { database: \"" TEST_SRCDIR "/tests/unit/shield/geo_fixture/geoip\",\n"
        "         database6: \"" TEST_SRCDIR "/tests/unit/shield/geo_fixture/geoip6\",\n"
        "         block: [SG], count: [US], listeners: [], paths: [/admin] }\n";
    bool seen[SK_COUNT] = { false };
    struct diag d;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), &d);
    EXPECT_TRUE(doc != NULL);
    mark_keys(doc->root, seen);
    for (unsigned i = 0; i < SK_COUNT; i++)
        if (!seen[i])
            fail_msg("%s: not used by the test's YAML", shield_keys[i].path);
    conf_doc_free(doc);
    diag_fini(&d);

    unsigned nerr;
    struct shield_conf *c = build(yaml, &nerr);
    EXPECT_EQ(nerr, 0);
    /* Each value arrived (none is a default). */
    EXPECT_EQ(c->mode, SHIELD_MODE_COUNT);
    EXPECT_EQ(c->nallow + c->ndeny + c->ntrusted, 3);
    EXPECT_EQ(c->max_connections_per_ip, 100);
    EXPECT_EQ(c->ipv6_prefix, 56);
    EXPECT_EQ(c->detect.ipv6_prefix, 56);
    EXPECT_TRUE(c->rate_enabled);
    EXPECT_EQ(c->rate_window_ms, 120000);
    EXPECT_EQ(c->rate_limit, 500);
    EXPECT_EQ(c->rate_key, SHIELD_KEY_FORWARDED_IP);
    EXPECT_EQ(c->rate_status, 429);
    EXPECT_FALSE(c->scanners_enabled);
    EXPECT_EQ(c->ban_ms, 600000);
    EXPECT_EQ(c->repeat_ban_factor, 3);
    EXPECT_EQ(c->max_ban_ms, 86400000);
    EXPECT_EQ(c->nlogin, 1);
    EXPECT_TRUE(c->nft_enabled);
    EXPECT_STREQ(c->nft_table, "t1");
    EXPECT_STREQ(c->nft_set, "s1");
    EXPECT_EQ(c->client_memory_ms, 7200000);
    EXPECT_FALSE(c->slow_enabled);
    EXPECT_EQ(c->slow_probes, 5);
    EXPECT_EQ(c->slow_over_ms, 1800000);
    EXPECT_TRUE(c->range_enabled);
    EXPECT_EQ(c->range_min_offenders, 9);
    EXPECT_EQ(c->range_min_share, 30);
    EXPECT_EQ(c->range_ban_ms, 7200000);
    EXPECT_EQ(c->cs_poll_ms, 5000);
    EXPECT_STREQ(c->cs_url, "http://127.0.0.1:1");
    EXPECT_STREQ(c->cs_login, "m");
    EXPECT_TRUE(c->geo != NULL);
    EXPECT_EQ(c->ngeo_block, 1);
    EXPECT_EQ(c->ngeo_count, 1);
    EXPECT_STREQ(c->geo_paths[0], "/admin");
    EXPECT_TRUE(c->geo_listeners == NULL);
    EXPECT_TRUE(strstr(c->geo_path6, "geo_fixture/geoip6") != NULL);
    shield_conf_free(c);
}

static uint64_t
def_uint(enum shield_key id)
{
    const struct conf_key *k = &shield_keys[id];
    uint64_t v = 0;

    EXPECT_TRUE(k->def != NULL);
    if (k->type == KT_DURATION)
        EXPECT_EQ(conf_parse_duration_ms(k->def, &v), 0);
    else
        v = strtoull(k->def, NULL, 10);
    return v;
}

static int
def_word(enum shield_key id)
{
    const struct conf_key *k = &shield_keys[id];

    for (int i = 0; k->words[i]; i++)
        if (strcmp(k->words[i], k->def) == 0)
            return i;
    fail_msg("%s: default not among the words", k->path);
    return -1;
}

static void
expect_defaults(const struct shield_conf *c)
{
    EXPECT_EQ(c->mode, def_word(SK_MODE));
    EXPECT_EQ(c->max_connections_per_ip, def_uint(SK_MAX_CONNS));
    EXPECT_EQ(c->ipv6_prefix, def_uint(SK_IPV6_PREFIX));
    EXPECT_EQ(c->detect.ipv6_prefix, def_uint(SK_IPV6_PREFIX));
    EXPECT_EQ(c->rate_window_ms, def_uint(SK_RATE_WINDOW));
    EXPECT_EQ(c->rate_key, def_word(SK_RATE_KEY));
    EXPECT_EQ(c->rate_status, def_uint(SK_RATE_STATUS));
    EXPECT_EQ(c->scanners_enabled, strcmp(shield_keys[SK_SC_ENABLED].def, "true") == 0);
    EXPECT_EQ(c->ban_ms, def_uint(SK_SC_BAN));
    EXPECT_EQ(c->repeat_ban_factor, def_uint(SK_SC_REPEAT_FACTOR));
    EXPECT_EQ(c->max_ban_ms, def_uint(SK_SC_MAX_BAN));
    EXPECT_EQ(c->nft_enabled, strcmp(shield_keys[SK_NFT_ENABLED].def, "true") == 0);
    EXPECT_STREQ(c->nft_table, shield_keys[SK_NFT_TABLE].def);
    EXPECT_STREQ(c->nft_set, shield_keys[SK_NFT_SET].def);
    EXPECT_EQ(c->client_memory_ms, def_uint(SK_CLIENT_MEMORY));
    EXPECT_EQ(c->slow_enabled, strcmp(shield_keys[SK_SLOW_ENABLED].def, "true") == 0);
    EXPECT_EQ(c->slow_probes, def_uint(SK_SLOW_PROBES));
    EXPECT_EQ(c->slow_over_ms, def_uint(SK_SLOW_OVER));
    EXPECT_EQ(c->range_enabled, strcmp(shield_keys[SK_RANGE_ENABLED].def, "true") == 0);
    EXPECT_EQ(c->range_min_offenders, def_uint(SK_RANGE_MIN_OFFENDERS));
    EXPECT_EQ(c->range_min_share, def_uint(SK_RANGE_MIN_SHARE));
    EXPECT_EQ(c->range_ban_ms, def_uint(SK_RANGE_BAN));
    /* Lists without a default are empty. */
    EXPECT_EQ(c->nallow + c->ndeny + c->ntrusted + c->nlogin, 0);
    EXPECT_TRUE(c->login_paths[0] == NULL);
}

TEST(shield_keys_defaults_are_what_the_reader_fills)
{
    static const char *const sections[] = {
        "listeners: []\n",          /* no shield: off, with the same defaults */
        "shield: {}\n",
        "shield:\n",
        "shield: { scanners: {}, nftables: {}, allow: [], login_paths: [] }\n",
        "shield: { rate_limit: { limit: 10 } }\n",
    };
    unsigned nerr;

    for (unsigned i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        struct shield_conf *c = build(sections[i], &nerr);
        EXPECT_EQ(nerr, 0);
        expect_defaults(c);
        EXPECT_EQ(c->enabled, i != 0 && i != 2);    /* "shield:" alone is null: absent */
        EXPECT_EQ(c->rate_enabled, i == 4);
        shield_conf_free(c);
    }
    struct shield_conf *off = shield_conf_new_off();
    expect_defaults(off);
    EXPECT_FALSE(off->enabled);
    shield_conf_free(off);
}

/* `shield: { <parents>: { <leaf>: <value>, <what the other keys need> } }` for entry k. */
static void
section_with(const struct conf_key *k, const char *value, char *buf, size_t len)
{
    const char *leaf = conf_key_leaf(k);
    const char *extra = "";
    char parent[64];

    if (k == &shield_keys[SK_SC_BAN])
        extra = ", max_ban: 365d";
    else if (k == &shield_keys[SK_SC_MAX_BAN])
        extra = ", ban: 1s";
    else if (strncmp(k->path, "shield.rate_limit.", 18) == 0 && k != &shield_keys[SK_RATE_LIMIT])
        extra = ", limit: 10";
    else if (strncmp(k->path, "shield.crowdsec.", 16) == 0)
        extra = ", url: \"http://127.0.0.1:1\", api_key: k";

    size_t plen = (size_t)(leaf - k->path) - 1;
    snprintf(parent, sizeof(parent), "%.*s", (int)plen, k->path);
    /* slow_scan.over must stay below client_memory: each bound is tried against the other's
     * widest value. */
    if (k == &shield_keys[SK_CLIENT_MEMORY])
        snprintf(buf, len, "shield: { %s: %s, slow_scan: { over: 1s } }\n", leaf, value);
    else if (k == &shield_keys[SK_SLOW_OVER])
        snprintf(buf, len, "shield: { client_memory: 30d, slow_scan: { %s: %s } }\n", leaf,
                 value);
    else if (strcmp(parent, "shield") == 0)
        snprintf(buf, len, "shield: { %s: %s }\n", leaf, value);
    else
        snprintf(buf, len, "shield: { %s: { %s: %s%s } }\n", parent + 7, leaf, value, extra);
}

static void
expect_reads(const struct conf_key *k, uint64_t v, bool ok)
{
    char value[32], yaml[256];
    unsigned nerr;

    if (k->type == KT_DURATION)
        snprintf(value, sizeof(value), "%llums", (unsigned long long)v);
    else
        snprintf(value, sizeof(value), "%llu", (unsigned long long)v);
    section_with(k, value, yaml, sizeof(yaml));
    struct shield_conf *c = build(yaml, &nerr);
    if ((c != NULL) != ok)
        fail_msg("%s: %s was %s", k->path, value, c ? "accepted" : "refused");
    shield_conf_free(c);
}

TEST(shield_keys_bounds_are_the_readers)
{
    for (unsigned i = 0; i < SK_COUNT; i++) {
        const struct conf_key *k = &shield_keys[i];
        if ((k->type != KT_UINT && k->type != KT_DURATION) || (!k->min && !k->max))
            continue;
        expect_reads(k, k->min, true);
        expect_reads(k, k->max, true);
        if (k->min)
            expect_reads(k, k->min - 1, false);
        expect_reads(k, k->max + 1, false);
    }
    /* Strings: the longest name is accepted, one byte more is not. */
    const struct conf_key *t = &shield_keys[SK_NFT_TABLE];
    char name[64], yaml[160];
    unsigned nerr;
    memset(name, 'a', t->max + 1);
    name[t->max + 1] = '\0';
    section_with(t, name, yaml, sizeof(yaml));
    EXPECT_TRUE(build(yaml, &nerr) == NULL);
    name[t->max] = '\0';
    section_with(t, name, yaml, sizeof(yaml));
    struct shield_conf *c = build(yaml, &nerr);
    EXPECT_TRUE(c != NULL);
    shield_conf_free(c);
}

/* The lists' bounds: login_paths is the one small enough to try here. */
TEST(shield_keys_list_bounds_are_the_readers)
{
    const struct conf_key *k = &shield_keys[SK_LOGIN_PATHS];
    char yaml[2048] = "shield:\n  login_paths:\n";
    unsigned nerr;

    for (unsigned i = 0; i < k->max; i++)
        snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml), "    - /p%u\n", i);
    struct shield_conf *c = build(yaml, &nerr);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(c->nlogin, k->max);
    shield_conf_free(c);
    snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml), "    - /one-more\n");
    EXPECT_TRUE(build(yaml, &nerr) == NULL);
    EXPECT_EQ(nerr, 1);
}
