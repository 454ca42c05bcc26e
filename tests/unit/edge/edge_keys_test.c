/* tests/unit/edge/edge_keys_test.c: the edge's key table is consistent, every entry is a
 * key the reader accepts, and the defaults it states are the ones the reader fills. */
#include "edge/edge_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf/value.h"
#include "edge/edge_conf.h"

static const struct conf_keytab *const tabs[] = { &edge_keytab, NULL };

#define K(id) (&edge_keys[id])

/* Loads and builds `yaml`, expecting no diagnostic; *c is the built configuration. */
static void
build_ok(const char *yaml, struct edge_conf *c, struct conf_doc **doc_out)
{
    struct diag d;
    struct edge_conf *built = NULL;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), &d);
    assert_non_null(doc);
    int rc = edge_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &built);
    if (rc != 0 || d.n)
        diag_print(&d, stderr);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(d.n, 0);
    *c = *built;
    free(built);
    diag_fini(&d);
    if (doc_out)
        *doc_out = doc;
    else
        conf_doc_free(doc);
}

static uint64_t
def_ms(enum edge_key id)
{
    uint64_t v = 0;

    EXPECT_EQ(K(id)->type, KT_DURATION);
    EXPECT_EQ(conf_parse_duration_ms(K(id)->def, &v), 0);
    return v;
}

static uint64_t
def_bytes(enum edge_key id)
{
    uint64_t v = 0;

    EXPECT_EQ(K(id)->type, KT_SIZE);
    EXPECT_EQ(conf_parse_size_bytes(K(id)->def, &v), 0);
    return v;
}

static uint64_t
def_uint(enum edge_key id)
{
    EXPECT_EQ(K(id)->type, KT_UINT);
    return strtoull(K(id)->def, NULL, 10);
}

static bool
def_bool(enum edge_key id)
{
    EXPECT_EQ(K(id)->type, KT_BOOL);
    return strcmp(K(id)->def, "true") == 0;
}

static int
def_enum(enum edge_key id)
{
    EXPECT_EQ(K(id)->type, KT_ENUM);
    for (int i = 0; K(id)->words[i]; i++)
        if (strcmp(K(id)->words[i], K(id)->def) == 0)
            return i;
    fail_msg("%s: default not among its words", K(id)->path);
    return -1;
}

TEST(edge_keys_table_is_consistent)
{
    const char *why = conf_keytab_verify(edge_keys, EK_COUNT);

    if (why)
        fail_msg("%s", why);
    EXPECT_STREQ(edge_keytab.name, "edge");
    EXPECT_TRUE(edge_keytab.keys == edge_keys);
    EXPECT_EQ(edge_keytab.n, EK_COUNT);
    /* Only the worker count waits for a restart; the edge holds no secret and replaces
     * nothing (a reload swaps listeners and groups in place). */
    for (unsigned i = 0; i < EK_COUNT; i++) {
        EXPECT_EQ(edge_keys[i].flags & CONF_KEY_SENSITIVE, 0);
        EXPECT_EQ(edge_keys[i].flags & CONF_KEY_REPLACE, 0);
        EXPECT_EQ(!!(edge_keys[i].flags & CONF_KEY_RESTART), i == EK_WORKERS);
    }
    /* The enum words are the readers' enums. */
    EXPECT_STREQ(K(EK_TG_ALGORITHM)->words[EDGE_ALG_ROUND_ROBIN], "round_robin");
    EXPECT_STREQ(K(EK_TG_ALGORITHM)->words[EDGE_ALG_LEAST_OUTSTANDING],
                 "least_outstanding_requests");
    EXPECT_STREQ(K(EK_TG_ALGORITHM)->words[EDGE_ALG_WEIGHTED_RANDOM], "weighted_random");
    EXPECT_STREQ(K(EK_AL_FORMAT)->words[EDGE_LOG_COMBINED], "combined");
    EXPECT_STREQ(K(EK_AL_FORMAT)->words[EDGE_LOG_JSON], "json");
}

TEST(edge_keys_lookup_finds_concrete_paths)
{
    EXPECT_TRUE(conf_key_lookup(tabs, "edge.timeouts.client_header") == K(EK_T_CLIENT_HEADER));
    EXPECT_TRUE(conf_key_lookup(tabs, "edge.workers") == K(EK_WORKERS));
    EXPECT_TRUE(conf_key_lookup(tabs, "listeners[0].name") == K(EK_L_NAME));
    EXPECT_TRUE(conf_key_lookup(tabs, "listeners[1].rules[2].match.path_prefix") ==
                K(EK_M_PATH_PREFIX));
    EXPECT_TRUE(conf_key_lookup(tabs, "listeners[0].rules[0].match.header.value") ==
                K(EK_M_HEADER_VALUE));
    EXPECT_TRUE(conf_key_lookup(tabs, "target_groups.web.health_check.interval") ==
                K(EK_HC_INTERVAL));
    EXPECT_TRUE(conf_key_lookup(tabs, "target_groups.api.targets[1].weight") ==
                K(EK_TG_T_WEIGHT));
    EXPECT_TRUE(conf_key_lookup(tabs, "target_groups.api.targets") == K(EK_TG_TARGETS));
    EXPECT_TRUE(conf_key_lookup(tabs, "target_groups.api") == K(EK_TG));
    EXPECT_TRUE(conf_key_lookup(tabs, "target_groups.web.stickiness.duration") ==
                K(EK_ST_DURATION));
    EXPECT_TRUE(conf_key_lookup(tabs, "access_log.format") == K(EK_AL_FORMAT));
    EXPECT_TRUE(conf_key_lookup(tabs, "edge.timeouts.nope") == NULL);
}

/* Marks the entry of every node under n (keys and list items alike). */
static void
mark_seen(const struct conf_node *n, bool *seen)
{
    const struct conf_key *k = n->path[0] ? conf_key_lookup(tabs, n->path) : NULL;

    if (k)
        seen[k - edge_keys] = true;
    if (n->kind == CONF_MAP)
        for (unsigned i = 0; i < n->n; i++)
            mark_seen(n->pairs[i].value, seen);
    else if (n->kind == CONF_SEQ)
        for (unsigned i = 0; i < n->n; i++)
            mark_seen(n->items[i], seen);
}

/* A file that writes every key of the table, each with a valid value. */
static const char every_key[] =
    "listeners:\n"
    "  - name: public\n"
    "    address: 127.0.0.1:0\n"
    "    http2: { max_concurrent_streams: 50, max_header_list_size: 32k, max_header_fields: 60,\n"
    "             max_resets_per_second: 20, max_continuations: 4,\n"
    "             max_requests_per_connection: 500, idle_timeout: 30s, h2c: true,\n"
    "             max_malformed_requests: 3 }\n"
    "    rules:\n"
    "      - match:\n"
    "          path_prefix: /api/\n"
    "          host: \"*.example.com\"\n"
    "          method: GET\n"
    "          header: { name: X-Env, value: \"beta*\" }\n"
    "        forward: web\n"
    "      - match: { path_prefix: /old/ }\n"
    "        redirect: { scheme: https, host: \"#{host}\", port: \"8443\", path: \"/new/#{path}\",\n"
    "                    query: \"#{query}\", status: 302 }\n"
    "      - static: { root: /, index: home.html, cache_max_age: 1h }\n"
    "    tls:\n"
    "      certificates: [{ cert: " TEST_SRCDIR "/tests/lib/tls/shop.ec.pem,\n"
    "                       key: " TEST_SRCDIR "/tests/lib/tls/shop.ec.key }]\n"
    "      acme: { email: ops@example.com, domains: [a.example.com], directory: https://ca.test/d,\n"
    "              ca_bundle: /etc/ssl/certs/ca-certificates.crt, challenge: tls-alpn-01 }\n"
    "      min_version: \"1.3\"\n"
    "      ciphers: ECDHE-ECDSA-AES128-GCM-SHA256\n"
    "      ciphersuites: TLS_AES_256_GCM_SHA384\n"
    "      alpn: [http/1.1]\n"
    "      hsts: { max_age: 1d, include_subdomains: true, preload: false }\n"
    "state_dir: /tmp\n"
    "target_groups:\n"
    "  web:\n"
    "    targets: [127.0.0.1:9001, { address: 127.0.0.1:9002, weight: 3 }]\n"
    "    algorithm: round_robin\n"
    "    health_check:\n"
    "      enabled: true\n"
    "      path: /health\n"
    "      interval: 10s\n"
    "      timeout: 2s\n"
    "      healthy_threshold: 3\n"
    "      unhealthy_threshold: 3\n"
    "      matcher: \"200-299\"\n"
    "    deregistration_delay: 30s\n"
    "    slow_start: 30s\n"
    "    initial_wait: 2500ms\n"
    "    stickiness: { enabled: true, duration: 1h }\n"
    "    protocol: https\n"
    "    tls: { ca: " TEST_SRCDIR "/tests/lib/tls/shop.ec.pem, verify: true, sni: shop.example }\n"
    "  php:\n"
    "    protocol: fastcgi\n"
    "    fastcgi: { root: /, index: front.php, split_path: .php, params: { APP_ENV: prod } }\n"
    "access_log: { path: logs/access.log, format: json, max_size: 1g, retention: 30d,\n"
    "              syslog: { socket: /dev/log, facility: local3, tag: web } }\n"
    "edge:\n"
    "  workers: 2\n"
    "  timeouts:\n"
    "    client_header: 11s\n"
    "    client_body: 31s\n"
    "    keepalive: 76s\n"
    "    send: 61s\n"
    "    upstream_connect: 6s\n"
    "    upstream_read: 61s\n"
    "    tunnel: 2h\n"
    "    shutdown: 31s\n"
    "  limits: { header_bytes: 32k, headers: 50, body_bytes: 1m }\n";

TEST(edge_keys_every_entry_is_a_key_the_reader_accepts)
{
    bool seen[EK_COUNT] = { false };
    struct edge_conf c;
    struct conf_doc *doc;

    build_ok(every_key, &c, &doc);
    mark_seen(doc->root, seen);
    for (unsigned i = 0; i < EK_COUNT; i++)
        if (!seen[i])
            fail_msg("%s is in the table but not in the test file", edge_keys[i].path);
    /* And the values arrived, so no entry is accepted and then ignored. */
    EXPECT_STREQ(c.listeners[0].rules[0].match.header_value, "beta*");
    EXPECT_STREQ(c.listeners[0].rules[2].static_files->index, "home.html");
    EXPECT_EQ(c.listeners[0].rules[1].redirect->status, 302);
    EXPECT_STREQ(c.listeners[0].rules[1].redirect->port, "8443");
    EXPECT_EQ(c.tgs[1].protocol, EDGE_TG_PROTO_FASTCGI);
    EXPECT_STREQ(c.tgs[1].fastcgi->index, "front.php");
    EXPECT_STREQ(c.tgs[1].fastcgi->param_values[0], "prod");
    EXPECT_STREQ(c.listeners[0].tls->acme->domains[0], "a.example.com");
    EXPECT_EQ(c.listeners[0].tls->acme->challenge, EDGE_ACME_TLS_ALPN_01);
    EXPECT_EQ(c.listeners[0].tls->min_version, EDGE_TLS_1_3);
    EXPECT_EQ(c.listeners[0].tls->alpn, EDGE_ALPN_HTTP11);
    EXPECT_STREQ(c.listeners[0].tls->hsts_value, "max-age=86400; includeSubDomains");
    EXPECT_EQ(c.tgs[0].targets[1].weight, 3);
    EXPECT_EQ(c.tgs[0].health.unhealthy_threshold, 3);
    EXPECT_EQ(c.tgs[0].slow_start_ms, 30000);
    EXPECT_EQ(c.tgs[0].initial_wait_ms, 2500);
    EXPECT_EQ(c.tgs[0].stickiness_ms, 3600000);
    EXPECT_EQ(c.tgs[0].protocol, EDGE_TG_PROTO_HTTPS);
    EXPECT_STREQ(c.tgs[0].tls.sni, "shop.example");
    EXPECT_TRUE(c.tgs[0].tls.verify);
    EXPECT_EQ(c.access_log.format, EDGE_LOG_JSON);
    EXPECT_EQ(c.workers, 2);
    EXPECT_EQ(c.timeouts.shutdown_ms, 31000);
    EXPECT_EQ(c.limits.body_bytes, 1 << 20);
    const struct edge_http2_conf *h2 = &c.listeners[0].http2;
    EXPECT_EQ(h2->max_concurrent_streams, 50);
    EXPECT_EQ(h2->max_header_list_size, 32 * 1024);
    EXPECT_EQ(h2->max_header_fields, 60);
    EXPECT_EQ(h2->max_resets_per_second, 20);
    EXPECT_EQ(h2->max_continuations, 4);
    EXPECT_EQ(h2->max_requests_per_connection, 500);
    EXPECT_EQ(h2->idle_timeout_ms, 30000);
    EXPECT_TRUE(h2->h2c);
    EXPECT_EQ(h2->max_malformed_requests, 3);
    edge_conf_fini(&c);
    conf_doc_free(doc);
}

TEST(edge_keys_defaults_are_what_the_reader_fills)
{
    struct edge_conf c;

    /* Every block present and empty, so each leaf falls back to its default. */
    build_ok("listeners:\n"
             "  - name: a\n"
             "    address: 127.0.0.1:0\n"
             "    rules:\n"
             "      - match: { path_prefix: /s/ }\n"
             "        static: { root: / }\n"
             "      - forward: web\n"
             "target_groups:\n"
             "  web:\n"
             "    targets: [127.0.0.1:9001]\n"
             "    health_check: {}\n"
             "    stickiness: {}\n"
             "  bare: {}\n"
             "access_log: { path: logs/access.log }\n"
             "edge: { timeouts: {}, limits: {} }\n",
             &c, NULL);
    const struct edge_static_conf *sc = c.listeners[0].rules[0].static_files;
    EXPECT_STREQ(sc->index, K(EK_S_INDEX)->def);
    EXPECT_EQ(sc->cache_max_age_ms, def_ms(EK_S_CACHE_MAX_AGE));

    for (unsigned i = 0; i < 2; i++) {
        const struct edge_tg_conf *tg = &c.tgs[i];
        const struct edge_health_conf *h = &tg->health;
        EXPECT_EQ(tg->algorithm, def_enum(EK_TG_ALGORITHM));
        /* The block turns checks on with enabled's default; without it they are off. */
        EXPECT_EQ(h->enabled, i == 0 ? def_bool(EK_HC_ENABLED) : false);
        EXPECT_STREQ(h->path, K(EK_HC_PATH)->def);
        EXPECT_EQ(h->interval_ms, def_ms(EK_HC_INTERVAL));
        EXPECT_EQ(h->timeout_ms, def_ms(EK_HC_TIMEOUT));
        EXPECT_EQ(h->healthy_threshold, def_uint(EK_HC_HEALTHY));
        EXPECT_EQ(h->unhealthy_threshold, def_uint(EK_HC_UNHEALTHY));
        EXPECT_STREQ(h->matcher, K(EK_HC_MATCHER)->def);
        EXPECT_EQ(h->nmatchers, 1);
        EXPECT_EQ(h->matcher_lo[0], strtoul(K(EK_HC_MATCHER)->def, NULL, 10));
        EXPECT_EQ(h->matcher_hi[0], strtoul(K(EK_HC_MATCHER)->def, NULL, 10));
        EXPECT_EQ(tg->deregistration_delay_ms, def_ms(EK_TG_DEREG_DELAY));
        EXPECT_EQ(tg->slow_start_ms, def_ms(EK_TG_SLOW_START));
        EXPECT_EQ(tg->initial_wait_ms, def_ms(EK_TG_INITIAL_WAIT));
        EXPECT_EQ(tg->stickiness, def_bool(EK_ST_ENABLED));
        EXPECT_EQ(tg->stickiness_ms, def_ms(EK_ST_DURATION));
    }
    EXPECT_EQ(c.tgs[0].targets[0].weight, def_uint(EK_TG_T_WEIGHT));
    EXPECT_EQ(c.tgs[1].ntargets, 0);

    EXPECT_TRUE(c.access_log.enabled);
    EXPECT_EQ(c.access_log.format, def_enum(EK_AL_FORMAT));

    /* workers' default is the word "auto": the online CPUs, within the key's bounds. */
    EXPECT_STREQ(K(EK_WORKERS)->def, "auto");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    EXPECT_EQ(c.workers, cpus < 1 ? 1 : cpus > (long)K(EK_WORKERS)->max ? K(EK_WORKERS)->max
                                                                        : (uint64_t)cpus);
    uint64_t t[] = {
        c.timeouts.client_header_ms, c.timeouts.client_body_ms, c.timeouts.keepalive_ms,
        c.timeouts.send_ms, c.timeouts.upstream_connect_ms, c.timeouts.upstream_read_ms,
        c.timeouts.tunnel_ms, c.timeouts.shutdown_ms,
    };
    for (unsigned id = EK_T_CLIENT_HEADER; id <= EK_T_SHUTDOWN; id++)
        EXPECT_EQ(t[id - EK_T_CLIENT_HEADER], def_ms(id));
    EXPECT_EQ(c.limits.header_bytes, def_bytes(EK_LIM_HEADER_BYTES));
    EXPECT_EQ(c.limits.headers, def_uint(EK_LIM_HEADERS));
    EXPECT_EQ(c.limits.body_bytes, def_bytes(EK_LIM_BODY_BYTES));
    edge_conf_fini(&c);

    /* Absent sections get the same defaults as empty ones. */
    struct edge_conf e;
    build_ok("listeners: [{ name: a, address: \"127.0.0.1:0\", rules: [{ forward: w }] }]\n"
             "target_groups: { w: {} }\n", &e, NULL);
    EXPECT_FALSE(e.access_log.enabled);
    EXPECT_EQ(e.access_log.format, def_enum(EK_AL_FORMAT));
    EXPECT_EQ(e.timeouts.tunnel_ms, def_ms(EK_T_TUNNEL));
    EXPECT_EQ(e.limits.body_bytes, def_bytes(EK_LIM_BODY_BYTES));
    EXPECT_FALSE(e.tgs[0].health.enabled);
    EXPECT_EQ(e.tgs[0].health.interval_ms, def_ms(EK_HC_INTERVAL));
    /* HTTP/2's limits are on without an http2: block. */
    const struct edge_http2_conf *h2 = &e.listeners[0].http2;
    EXPECT_EQ(h2->max_concurrent_streams, def_uint(EK_H2_MAX_STREAMS));
    EXPECT_EQ(h2->max_header_list_size, def_bytes(EK_H2_MAX_HEADER_LIST));
    EXPECT_EQ(h2->max_header_fields, def_uint(EK_H2_MAX_FIELDS));
    EXPECT_EQ(h2->max_resets_per_second, def_uint(EK_H2_MAX_RESETS));
    EXPECT_EQ(h2->max_continuations, def_uint(EK_H2_MAX_CONTINUATIONS));
    EXPECT_EQ(h2->max_requests_per_connection, def_uint(EK_H2_MAX_REQUESTS));
    EXPECT_EQ(h2->idle_timeout_ms, def_ms(EK_H2_IDLE_TIMEOUT));
    EXPECT_EQ(h2->h2c, def_bool(EK_H2_H2C));
    EXPECT_EQ(h2->max_malformed_requests, def_uint(EK_H2_MAX_MALFORMED));
    edge_conf_fini(&e);
}

/* The bounds in the table are the ones the reader enforces: the value just inside each
 * bound is accepted, the one just outside is refused with the key's path. */
TEST(edge_keys_bounds_are_what_the_reader_enforces)
{
    static const struct {
        enum edge_key id;
        const char *in, *out;
    } cases[] = {
        { EK_HC_INTERVAL, "5s", "4999ms" },  { EK_HC_INTERVAL, "300s", "301s" },
        { EK_HC_TIMEOUT, "2s", "1999ms" },   { EK_HC_HEALTHY, "10", "11" },
        { EK_HC_UNHEALTHY, "2", "1" },       { EK_TG_DEREG_DELAY, "3600s", "3601s" },
        { EK_TG_SLOW_START, "900s", "901s" }, { EK_ST_DURATION, "7d", "7d1ms" },
        { EK_TG_INITIAL_WAIT, "60s", "60001ms" },
        { EK_ST_DURATION, "1s", "999ms" },   { EK_TG_T_WEIGHT, "999", "1000" },
        { EK_LIM_HEADER_BYTES, "1m", "1025k" }, { EK_LIM_HEADER_BYTES, "1k", "1023" },
        { EK_LIM_HEADERS, "256", "257" },    { EK_WORKERS, "256", "257" },
        { EK_T_SEND, "1ms", "0" },            { EK_S_CACHE_MAX_AGE, "365d", "366d" },
    };
    char yaml[1024], path[128];

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int bad = 0; bad < 2; bad++) {
            const char *v = bad ? cases[i].out : cases[i].in;
            const char *leaf = conf_key_leaf(K(cases[i].id));
            char hc[64] = "", tgx[96] = "", edge[96] = "", rule[96] = "forward: web";
            /* timeout stays below interval, whatever the case sets. */
            switch (cases[i].id) {
            case EK_HC_INTERVAL:
                snprintf(hc, sizeof(hc), "{ %s: %s, timeout: 2s }", leaf, v);
                break;
            case EK_HC_TIMEOUT:
            case EK_HC_HEALTHY:
            case EK_HC_UNHEALTHY:
                snprintf(hc, sizeof(hc), "{ %s: %s }", leaf, v);
                break;
            case EK_TG_DEREG_DELAY:
            case EK_TG_SLOW_START:
            case EK_TG_INITIAL_WAIT:
                snprintf(tgx, sizeof(tgx), "    %s: %s\n", leaf, v);
                break;
            case EK_ST_DURATION:
                snprintf(tgx, sizeof(tgx), "    stickiness: { %s: %s }\n", leaf, v);
                break;
            case EK_TG_T_WEIGHT:
                snprintf(tgx, sizeof(tgx), "    targets: [{ address: 127.0.0.1:1, %s: %s }]\n",
                         leaf, v);
                break;
            case EK_LIM_HEADER_BYTES:
            case EK_LIM_HEADERS:
                snprintf(edge, sizeof(edge), "edge: { limits: { %s: %s } }\n", leaf, v);
                break;
            case EK_T_SEND:
                snprintf(edge, sizeof(edge), "edge: { timeouts: { %s: %s } }\n", leaf, v);
                break;
            case EK_WORKERS:
                snprintf(edge, sizeof(edge), "edge: { %s: %s }\n", leaf, v);
                break;
            case EK_S_CACHE_MAX_AGE:
                snprintf(rule, sizeof(rule), "static: { root: /, %s: %s }", leaf, v);
                break;
            default:
                fail_msg("no case for %s", K(cases[i].id)->path);
            }
            snprintf(yaml, sizeof(yaml),
                     "listeners: [{ name: a, address: \"127.0.0.1:0\", rules: [{ %s }] }]\n"
                     "target_groups:\n  web:\n    algorithm: round_robin\n%s%s%s%s", rule,
                     hc[0] ? "    health_check: " : "", hc, hc[0] ? "\n" : "", tgx);
            strncat(yaml, edge, sizeof(yaml) - strlen(yaml) - 1);

            struct diag d;
            struct edge_conf *c = NULL;
            diag_init(&d);
            struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
            assert_non_null(doc);
            int rc = edge_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c);
            if ((rc == 0) == bad) {
                fprintf(stderr, "%s: %s should be %s:\n%s", K(cases[i].id)->path, v,
                        bad ? "refused" : "accepted", yaml);
                diag_print(&d, stderr);
                fail();
            }
            if (bad) {
                /* One message, at the value, naming the key. */
                const char *leafpath = K(cases[i].id)->path;
                snprintf(path, sizeof(path), "%s", strrchr(leafpath, '.') + 1);
                EXPECT_EQ(d.n, 1);
                EXPECT_TRUE(strstr(d.msgs[0], path) != NULL);
            }
            edge_conf_free(c);
            conf_doc_free(doc);
            diag_fini(&d);
        }
    }
}
