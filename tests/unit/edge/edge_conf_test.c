/* tests/unit/edge/edge_conf_test.c: the edge sections of a stack file become a struct
 * edge_conf with defaults, and every mistake is reported at its file:line:col. */
#include "edge/edge_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* A valid base that the error tests extend. */
/* One listener forwarding to "web", for tests about the other sections. */
#define ONE_LISTENER \
    "listeners: [{ name: a, address: \"127.0.0.1:1\", rules: [{ forward: web }] }]\n"
#define BASE_TG "target_groups:\n  web:\n    targets: [127.0.0.1:9001]\n"

/* Loads and builds; the document is freed before returning (edge_conf owns its strings). */
static int
build(const char *yaml, struct edge_conf *c, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);

    if (!doc) {
        diag_print(d, stderr);
        fail_msg("YAML did not load");
    }
    struct edge_conf *built = NULL;
    int rc = edge_conf_build(doc->root, &(struct conf_ctx){ .d = d }, &built);
    conf_doc_free(doc);
    memset(c, 0, sizeof(*c));
    if (built) {
        *c = *built;
        free(built);
    }
    if (rc < 0) {
        struct edge_conf empty;
        memset(&empty, 0, sizeof(empty));
        EXPECT_EQ(memcmp(c, &empty, sizeof(empty)), 0);  /* left empty on failure */
        EXPECT_TRUE(diag_count(d) > 0);
    }
    return rc;
}

static void
expect_msg(const struct diag *d, const char *want)
{
    for (unsigned i = 0; i < d->n; i++)
        if (strcmp(d->msgs[i], want) == 0)
            return;
    fprintf(stderr, "wanted: %s\ngot %u:\n", want, d->n);
    diag_print(d, stderr);
    fail();
}

/* Builds `yaml`, expects failure with exactly `n` messages, among them `want`. */
static void
expect_error(const char *yaml, unsigned n, const char *want)
{
    struct edge_conf c;
    struct diag d;

    diag_init(&d);
    EXPECT_EQ(build(yaml, &c, &d), -EINVAL);
    expect_msg(&d, want);
    if (d.n != n) {
        diag_print(&d, stderr);
        assert_int_equal(d.n, n);
    }
    diag_fini(&d);
}

TEST(edge_conf_reads_a_full_section)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    int rc = build("listeners:\n"
                   "  - name: public\n"
                   "    address: 127.0.0.1:8080\n"
                   "    rules:\n"
                   "      - match: { path_prefix: /api/ }\n"
                   "        forward: api\n"
                   "      - match:\n"
                   "          host: \"*.example.com\"\n"
                   "          method: POST\n"
                   "          header: { name: X-Env, value: \"beta*\" }\n"
                   "        forward: web\n"
                   "      - forward: web\n"
                   "  - name: v6\n"
                   "    address: \"[::1]:8443\"\n"
                   "    rules: [{ forward: api }]\n"
                   "target_groups:\n"
                   "  web:\n"
                   "    targets: [127.0.0.1:9001, { address: localhost:9002, weight: 3 }]\n"
                   "    algorithm: round_robin\n"
                   "  api:\n"
                   "    targets:\n"
                   "      - \"[::1]:9003\"\n"
                   "access_log: { path: logs/access.log, format: json }\n"
                   "edge:\n"
                   "  workers: 4\n"
                   "  timeouts: { client_header: 11s, client_body: 31s, keepalive: 1m30s,\n"
                   "              send: 61s, upstream_connect: 500ms, upstream_read: 2m,\n"
                   "              tunnel: 2h, shutdown: 1d }\n"
                   "  limits: { header_bytes: 32k, headers: 50, body_bytes: 0 }\n",
                   &c, &d);

    EXPECT_EQ(rc, 0);
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(c.nlisteners, 2);
    const struct edge_listener_conf *l = &c.listeners[0];
    EXPECT_STREQ(l->name, "public");
    EXPECT_STREQ(l->addr_text, "127.0.0.1:8080");
    EXPECT_EQ(sock_addr_port(&l->addr), 8080);
    EXPECT_EQ(l->nrules, 3);
    EXPECT_TRUE(l->rules[0].has_match);
    EXPECT_STREQ(l->rules[0].match.path_prefix, "/api/");
    EXPECT_TRUE(l->rules[0].match.host == NULL);
    EXPECT_STREQ(l->rules[0].forward, "api");
    EXPECT_EQ(l->rules[0].tg_index, 1);
    EXPECT_STREQ(l->rules[1].match.host, "*.example.com");
    EXPECT_STREQ(l->rules[1].match.method, "POST");
    EXPECT_STREQ(l->rules[1].match.header_name, "X-Env");
    EXPECT_STREQ(l->rules[1].match.header_value, "beta*");
    EXPECT_EQ(l->rules[1].tg_index, 0);
    EXPECT_FALSE(l->rules[2].has_match);
    EXPECT_STREQ(c.listeners[1].addr_text, "[::1]:8443");

    EXPECT_EQ(c.ntgs, 2);
    EXPECT_EQ(edge_conf_tg_find(&c, "web"), 0);
    EXPECT_EQ(edge_conf_tg_find(&c, "api"), 1);
    EXPECT_EQ(edge_conf_tg_find(&c, "nope"), -1);
    EXPECT_EQ(c.tgs[0].ntargets, 2);
    EXPECT_STREQ(c.tgs[0].targets[0].addr_text, "127.0.0.1:9001");
    EXPECT_EQ(c.tgs[0].targets[0].weight, 1);
    EXPECT_STREQ(c.tgs[0].targets[1].addr_text, "127.0.0.1:9002");    /* normalised */
    EXPECT_EQ(c.tgs[0].targets[1].weight, 3);
    EXPECT_EQ(c.tgs[0].algorithm, EDGE_ALG_ROUND_ROBIN);
    EXPECT_STREQ(c.tgs[1].targets[0].addr_text, "[::1]:9003");

    EXPECT_TRUE(c.access_log.enabled);
    EXPECT_STREQ(c.access_log.path, "logs/access.log");
    EXPECT_EQ(c.access_log.format, EDGE_LOG_JSON);
    EXPECT_EQ(c.workers, 4);
    EXPECT_EQ(c.timeouts.client_header_ms, 11000);
    EXPECT_EQ(c.timeouts.client_body_ms, 31000);
    EXPECT_EQ(c.timeouts.keepalive_ms, 90000);
    EXPECT_EQ(c.timeouts.send_ms, 61000);
    EXPECT_EQ(c.timeouts.upstream_connect_ms, 500);
    EXPECT_EQ(c.timeouts.upstream_read_ms, 120000);
    EXPECT_EQ(c.timeouts.tunnel_ms, 7200000);
    EXPECT_EQ(c.timeouts.shutdown_ms, 86400000);
    EXPECT_EQ(c.limits.header_bytes, 32768);
    EXPECT_EQ(c.limits.headers, 50);
    EXPECT_EQ(c.limits.body_bytes, 0);
    edge_conf_fini(&c);
    EXPECT_EQ(c.nlisteners, 0);
    edge_conf_fini(&c);                 /* harmless twice */
    diag_fini(&d);
}

TEST(edge_conf_fills_defaults)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    EXPECT_EQ(build("listeners:\n"
                    "  - { name: a, address: \":8080\", rules: [{ forward: web }] }\n"
                    "  - { name: b, address: \"127.0.0.1:0\", rules: [{ forward: web }] }\n"
                    "  - { name: c, address: \"127.0.0.1:0\", rules: [{ forward: web }] }\n"
                    BASE_TG
                    "edge:\n",
                    &c, &d), 0);
    EXPECT_STREQ(c.listeners[0].addr_text, "0.0.0.0:8080");
    EXPECT_FALSE(c.access_log.enabled);
    EXPECT_TRUE(c.access_log.path == NULL);
    EXPECT_EQ(c.workers, cpus > 256 ? 256 : cpus < 1 ? 1 : cpus);
    EXPECT_EQ(c.timeouts.client_header_ms, 10000);
    EXPECT_EQ(c.timeouts.client_body_ms, 30000);
    EXPECT_EQ(c.timeouts.keepalive_ms, 75000);
    EXPECT_EQ(c.timeouts.send_ms, 60000);
    EXPECT_EQ(c.timeouts.upstream_connect_ms, 5000);
    EXPECT_EQ(c.timeouts.upstream_read_ms, 60000);
    EXPECT_EQ(c.timeouts.tunnel_ms, 3600000);
    EXPECT_EQ(c.timeouts.shutdown_ms, 30000);
    EXPECT_EQ(c.limits.header_bytes, 16384);
    EXPECT_EQ(c.limits.headers, 100);
    EXPECT_EQ(c.limits.body_bytes, 10 << 20);
    EXPECT_EQ(c.tgs[0].algorithm, EDGE_ALG_ROUND_ROBIN);
    edge_conf_fini(&c);
    diag_fini(&d);
}

TEST(edge_conf_access_log_off_and_auto_workers)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build(ONE_LISTENER
                    BASE_TG
                    "access_log: { path: \"off\" }\n"
                    "edge: { workers: auto }\n",
                    &c, &d), 0);
    EXPECT_FALSE(c.access_log.enabled);
    EXPECT_EQ(c.access_log.format, EDGE_LOG_COMBINED);
    EXPECT_TRUE(c.workers >= 1 && c.workers <= 256);
    edge_conf_fini(&c);
    diag_fini(&d);
}

TEST(edge_conf_ignores_other_top_level_keys)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build(ONE_LISTENER
                    BASE_TG
                    "shield: { anything: 1 }\n",
                    &c, &d), 0);
    edge_conf_fini(&c);
    diag_fini(&d);
}

TEST(edge_conf_empty_document_needs_a_listener)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build("# nothing yet\n", &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strstr(d.msgs[0], "the stack file is empty") == d.msgs[0]);
    diag_fini(&d);
    expect_error("- a\n", 1, "tierd.yaml:1:1: the stack file must be a map of sections "
                             "(listeners:, target_groups:, ...), not a list");
}

TEST(edge_conf_listeners_required)
{
    expect_error(BASE_TG, 1, "tierd.yaml:1:1: missing required key \"listeners\"; add at least "
                             "one listener with a name, an address and rules");
    expect_error("listeners: []\n" BASE_TG, 1,
                 "tierd.yaml:1:12: listeners: none given; add at least one listener with a "
                 "name, an address and rules");
    expect_error("listeners: { name: a }\n" BASE_TG, 1,
                 "tierd.yaml:1:12: listeners: expected a list, got a map");
}

TEST(edge_conf_listener_name_required_and_unique)
{
    expect_error("listeners:\n"
                 "  - address: 127.0.0.1:80\n"
                 "    rules: [{ forward: web }]\n" BASE_TG,
                 1, "tierd.yaml:2:5: listener 1: missing required key \"name\"");
    expect_error("listeners:\n"
                 "  - { name: a, address: 127.0.0.1:80, rules: [{ forward: web }] }\n"
                 "  - { name: a, address: 127.0.0.1:81, rules: [{ forward: web }] }\n" BASE_TG,
                 1, "tierd.yaml:3:13: listener \"a\": the name is already used by listener 1; "
                    "names must be unique");
    expect_error("listeners:\n"
                 "  - { name: \"a b\", address: 127.0.0.1:80, rules: [{ forward: web }] }\n"
                 BASE_TG,
                 1, "tierd.yaml:2:13: listener \"a b\": a name uses letters, digits, '-', '_' "
                    "and '.' (at most 64)");
}

TEST(edge_conf_listener_address_valid_and_unique)
{
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80x\n"
                 "    rules: [{ forward: web }]\n" BASE_TG,
                 1, "tierd.yaml:3:14: listener \"a\": \"127.0.0.1:80x\" is not an address: port "
                    "must be a number from 0 to 65535; write it like 127.0.0.1:8080 or "
                    "[::1]:8080");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: example.com:80\n"
                 "    rules: [{ forward: web }]\n" BASE_TG,
                 1, "tierd.yaml:3:14: listener \"a\": \"example.com:80\" is not an address: not "
                    "a numeric IPv4 address (names are not resolved); write it like "
                    "127.0.0.1:8080 or [::1]:8080");
    expect_error("listeners:\n"
                 "  - { name: a, address: 127.0.0.1:80, rules: [{ forward: web }] }\n"
                 "  - { name: b, address: \"localhost:80\", rules: [{ forward: web }] }\n"
                 BASE_TG,
                 1, "tierd.yaml:3:25: listener \"b\": address 127.0.0.1:80 is already used by "
                    "listener \"a\"; give each listener its own address");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    rules: [{ forward: web }]\n" BASE_TG,
                 1, "tierd.yaml:2:5: listener \"a\": missing required key \"address\"");
}

TEST(edge_conf_unknown_keys_get_did_you_mean)
{
    expect_error("listeners:\n"
                 "  - name: public\n"
                 "    adress: 127.0.0.1:80\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules: [{ forward: web, mtch: {} }]\n" BASE_TG
                 "edge:\n"
                 "  timeout: { keepalive: 5s }\n"
                 "  limits: { header: 1k }\n",
                 4, "tierd.yaml:3:5: unknown key \"adress\" in listener \"public\"; did you mean "
                    "\"address\"?");
    expect_error("listeners:\n"
                 "  - name: public\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules: [{ forward: web, mtch: {} }]\n" BASE_TG,
                 1, "tierd.yaml:4:29: unknown key \"mtch\" in listener \"public\" rule 1; did "
                    "you mean \"match\"?");
    expect_error(ONE_LISTENER
                 BASE_TG
                 "edge:\n"
                 "  timeout: { keepalive: 5s }\n"
                 "  limits: { header: 1k }\n",
                 2, "tierd.yaml:6:3: unknown key \"timeout\" in edge; did you mean \"timeouts\"?");
    expect_error(ONE_LISTENER
                 BASE_TG
                 "edge:\n"
                 "  limits: { header: 1k }\n",
                 1, "tierd.yaml:6:13: unknown key \"header\" in edge.limits; did you mean "
                    "\"headers\"?");
    expect_error(ONE_LISTENER
                 "target_groups:\n"
                 "  web: { targets: [127.0.0.1:9001], health: {} }\n",
                 1, "tierd.yaml:3:37: unknown key \"health\" in target group \"web\"; the keys "
                    "here are: targets, algorithm, health_check, deregistration_delay, "
                    "slow_start, initial_wait, stickiness, protocol, tls, fastcgi");
}

TEST(edge_conf_rules_required)
{
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules: []\n" BASE_TG,
                 1, "tierd.yaml:4:12: listener \"a\": no rules; add at least one, like - "
                    "forward: <target group>");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n" BASE_TG,
                 1, "tierd.yaml:2:5: listener \"a\": missing required key \"rules\"");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { method: GET }\n" BASE_TG,
                 1, "tierd.yaml:5:9: listener \"a\" rule 1: a rule needs an action; add "
                    "forward: <target group>, static: { root: <directory> } or redirect: "
                    "{ scheme: https }");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - forward:\n" BASE_TG,
                 1, "tierd.yaml:5:17: listener \"a\" rule 1: \"forward\" has no value; write one "
                    "after the ':'");
}

TEST(edge_conf_forward_names_an_existing_group)
{
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - forward: wbe\n" BASE_TG,
                 1, "tierd.yaml:5:18: listener \"a\" rule 1: forward: no target group named "
                    "\"wbe\"; did you mean \"web\"?");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - forward: backend\n" BASE_TG,
                 1, "tierd.yaml:5:18: listener \"a\" rule 1: forward: no target group named "
                    "\"backend\"; define it under target_groups");
}

TEST(edge_conf_rule_after_default_is_unreachable)
{
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - forward: web\n"
                 "      - match: { path_prefix: /api/ }\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:6:9: listener \"a\" rule 2 is never used: rule 1 has no match "
                    "and takes every request; move the rule without match to the end");
}

TEST(edge_conf_match_conditions_are_checked)
{
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { path_prefix: api/ }\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:31: listener \"a\" rule 1: path_prefix \"api/\" must start "
                    "with '/'; write \"/api/\"");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { method: \"GE T\" }\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:26: listener \"a\" rule 1: method \"GE T\" is not an HTTP "
                    "method; write one like GET or POST");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { host: \"exa mple.com\" }\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:24: listener \"a\" rule 1: host \"exa mple.com\" is not a host "
                    "name pattern; use letters, digits, '-', '.' and the wildcards '*' and '?'");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: {}\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:16: listener \"a\" rule 1: match has no conditions; remove "
                    "\"match\" to make this the default rule, or add path_prefix, host, method or "
                    "header");
}

TEST(edge_conf_header_match_needs_name_and_value)
{
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { header: { name: X-Env } }\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:26: listener \"a\" rule 1: header: missing required key "
                    "\"value\"");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match:\n"
                 "          header:\n"
                 "            value: beta\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:7:13: listener \"a\" rule 1: header: missing required key "
                    "\"name\"");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { header: { name: \"X Env\", value: b } }\n"
                 "        forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:34: listener \"a\" rule 1: header: \"X Env\" is not a header "
                    "name; use letters, digits and '-'");
}

TEST(edge_conf_target_groups_are_checked)
{
    const char *ls = ONE_LISTENER;
    char yaml[1024];

    /* Groups without targets are valid: instances register at run time. */
    struct edge_conf c;
    struct diag d;
    diag_init(&d);
    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    targets: []\n", ls);
    EXPECT_EQ(build(yaml, &c, &d), 0);
    EXPECT_EQ(c.tgs[0].ntargets, 0);
    edge_conf_fini(&c);
    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    algorithm: round_robin\n", ls);
    EXPECT_EQ(build(yaml, &c, &d), 0);
    EXPECT_EQ(diag_count(&d), 0);
    edge_conf_fini(&c);
    diag_fini(&d);
    snprintf(yaml, sizeof(yaml),
             "%starget_groups:\n  web:\n    targets: [127.0.0.1:9001, nope, \"127.0.0.1:9001\"]\n",
             ls);
    expect_error(yaml, 2, "tierd.yaml:4:31: target group \"web\" target 2: \"nope\" is not an "
                          "address: expected host:port (IPv6 as [addr]:port); write it like "
                          "127.0.0.1:8080 or [::1]:8080");
    expect_error(yaml, 2, "tierd.yaml:4:37: target group \"web\" target 3: 127.0.0.1:9001 is "
                          "listed twice; remove one (use weight to send it more traffic)");
    snprintf(yaml, sizeof(yaml),
             "%starget_groups:\n  web:\n    targets:\n      - { address: 127.0.0.1:9001, "
             "weight: 1000 }\n      - { weight: 2 }\n      - 127.0.0.1:0\n", ls);
    expect_error(yaml, 3, "tierd.yaml:5:44: target_groups.web.targets[0].weight: 1000 is out of "
                          "range; write a number from 1 to 999");
    expect_error(yaml, 3, "tierd.yaml:6:9: target group \"web\" target 2: missing required key "
                          "\"address\"");
    expect_error(yaml, 3, "tierd.yaml:7:9: target group \"web\" target 3: port 0 cannot be "
                          "connected to; give the target's real port");
}

TEST(edge_conf_algorithms_all_supported)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build(ONE_LISTENER
                    "target_groups:\n"
                    "  web:\n"
                    "    targets: [127.0.0.1:9001, { address: 127.0.0.1:9002, weight: 2 }]\n"
                    "    algorithm: least_outstanding_requests\n"
                    "  b:\n"
                    "    targets: [{ address: 127.0.0.1:9003, weight: 5 }]\n"
                    "    algorithm: weighted_random\n"
                    "  c:\n"
                    "    targets: [127.0.0.1:9004]\n"
                    "    algorithm: round_robin\n",
                    &c, &d), 0);
    EXPECT_EQ(c.tgs[0].algorithm, EDGE_ALG_LEAST_OUTSTANDING);
    EXPECT_EQ(c.tgs[0].targets[1].weight, 2);      /* weights go with every algorithm */
    EXPECT_EQ(c.tgs[1].algorithm, EDGE_ALG_WEIGHTED_RANDOM);
    EXPECT_EQ(c.tgs[1].targets[0].weight, 5);
    EXPECT_EQ(c.tgs[2].algorithm, EDGE_ALG_ROUND_ROBIN);
    edge_conf_fini(&c);
    diag_fini(&d);

    expect_error(ONE_LISTENER BASE_TG "    algorithm: rund_robin\n",
                 1, "tierd.yaml:5:16: target_groups.web.algorithm: unknown value \"rund_robin\"; "
                    "did you mean \"round_robin\"?");
    expect_error(ONE_LISTENER BASE_TG "    algorithm: least_outstanding\n",
                 1, "tierd.yaml:5:16: target_groups.web.algorithm: unknown value "
                    "\"least_outstanding\"; use one of round_robin, least_outstanding_requests, "
                    "weighted_random");
}

/* Yaml for one group "web" with `extra` lines under it. */
#define TG_WITH(extra) ONE_LISTENER BASE_TG extra

TEST(edge_conf_target_group_attributes_default_like_alb)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build(TG_WITH(""), &c, &d), 0);
    const struct edge_tg_conf *tg = &c.tgs[0];
    EXPECT_FALSE(tg->health.enabled);              /* no health_check block */
    EXPECT_STREQ(tg->health.path, "/");
    EXPECT_EQ(tg->health.interval_ms, 30000);
    EXPECT_EQ(tg->health.timeout_ms, 5000);
    EXPECT_EQ(tg->health.healthy_threshold, 5);
    EXPECT_EQ(tg->health.unhealthy_threshold, 2);
    EXPECT_STREQ(tg->health.matcher, "200");
    EXPECT_EQ(tg->health.nmatchers, 1);
    EXPECT_EQ(tg->health.matcher_lo[0], 200);
    EXPECT_EQ(tg->health.matcher_hi[0], 200);
    EXPECT_EQ(tg->deregistration_delay_ms, 300000);
    EXPECT_EQ(tg->slow_start_ms, 0);
    EXPECT_FALSE(tg->stickiness);
    EXPECT_EQ(tg->stickiness_ms, 86400000);
    edge_conf_fini(&c);

    /* An empty block turns checks on with every default; "health_check:" alone is absent. */
    EXPECT_EQ(build(TG_WITH("    health_check: {}\n    stickiness: {}\n"), &c, &d), 0);
    EXPECT_TRUE(c.tgs[0].health.enabled);
    EXPECT_STREQ(c.tgs[0].health.path, "/");
    EXPECT_EQ(c.tgs[0].health.interval_ms, 30000);
    EXPECT_FALSE(c.tgs[0].stickiness);
    EXPECT_EQ(c.tgs[0].stickiness_ms, 86400000);
    edge_conf_fini(&c);
    EXPECT_EQ(build(TG_WITH("    health_check:\n    stickiness:\n"), &c, &d), 0);
    EXPECT_FALSE(c.tgs[0].health.enabled);
    edge_conf_fini(&c);
    EXPECT_EQ(build(TG_WITH("    health_check: { enabled: false, path: /up }\n"), &c, &d), 0);
    EXPECT_FALSE(c.tgs[0].health.enabled);
    EXPECT_STREQ(c.tgs[0].health.path, "/up");
    edge_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);
}

TEST(edge_conf_reads_target_group_attributes)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build(TG_WITH("    algorithm: round_robin\n"
                            "    health_check:\n"
                            "      enabled: true\n"
                            "      path: /health?full=1\n"
                            "      interval: 5s\n"
                            "      timeout: 4500ms\n"
                            "      healthy_threshold: 2\n"
                            "      unhealthy_threshold: 10\n"
                            "      matcher: \"200-399\"\n"
                            "    deregistration_delay: 30s\n"
                            "    slow_start: 15m\n"
                            "    stickiness: { enabled: true, duration: 1h }\n"),
                    &c, &d), 0);
    const struct edge_tg_conf *tg = &c.tgs[0];
    EXPECT_TRUE(tg->health.enabled);
    EXPECT_STREQ(tg->health.path, "/health?full=1");
    EXPECT_EQ(tg->health.interval_ms, 5000);
    EXPECT_EQ(tg->health.timeout_ms, 4500);
    EXPECT_EQ(tg->health.healthy_threshold, 2);
    EXPECT_EQ(tg->health.unhealthy_threshold, 10);
    EXPECT_STREQ(tg->health.matcher, "200-399");
    EXPECT_EQ(tg->health.nmatchers, 1);
    EXPECT_EQ(tg->health.matcher_lo[0], 200);
    EXPECT_EQ(tg->health.matcher_hi[0], 399);
    EXPECT_EQ(tg->deregistration_delay_ms, 30000);
    EXPECT_EQ(tg->slow_start_ms, 900000);
    EXPECT_TRUE(tg->stickiness);
    EXPECT_EQ(tg->stickiness_ms, 3600000);
    edge_conf_fini(&c);

    /* The edges of each range are accepted. */
    EXPECT_EQ(build(TG_WITH("    health_check: { interval: 300s, timeout: 2m }\n"
                            "    deregistration_delay: 0\n"
                            "    slow_start: 30s\n"
                            "    stickiness: { duration: 7d }\n"),
                    &c, &d), 0);
    EXPECT_EQ(c.tgs[0].health.interval_ms, 300000);
    EXPECT_EQ(c.tgs[0].health.timeout_ms, 120000);
    EXPECT_EQ(c.tgs[0].deregistration_delay_ms, 0);
    EXPECT_EQ(c.tgs[0].slow_start_ms, 30000);
    EXPECT_EQ(c.tgs[0].stickiness_ms, 7 * 86400000ULL);
    edge_conf_fini(&c);
    EXPECT_EQ(build(TG_WITH("    health_check: { interval: 5s, timeout: 2s }\n"
                            "    stickiness: { duration: 1s }\n"),
                    &c, &d), 0);
    EXPECT_EQ(c.tgs[0].stickiness_ms, 1000);
    edge_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);
}

/* Builds a group whose health_check matcher is `m` (a YAML value) and returns the group's
 * health settings through *h (copied; strings are not kept). */
static int
build_matcher(const char *m, struct edge_health_conf *h, struct diag *d)
{
    char yaml[512];
    struct edge_conf c;

    snprintf(yaml, sizeof(yaml), TG_WITH("    health_check: { matcher: %s }\n"), m);
    int rc = build(yaml, &c, d);
    if (rc == 0) {
        *h = c.tgs[0].health;
        h->path = h->matcher = NULL;
        edge_conf_fini(&c);
    }
    return rc;
}

TEST(edge_conf_health_matcher_parses_codes_lists_and_ranges)
{
    struct edge_health_conf h;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build_matcher("200", &h, &d), 0);       /* an integer scalar */
    EXPECT_EQ(h.nmatchers, 1);
    EXPECT_EQ(h.matcher_lo[0], 200);
    EXPECT_EQ(h.matcher_hi[0], 200);
    EXPECT_EQ(build_matcher("\"200,202\"", &h, &d), 0);
    EXPECT_EQ(h.nmatchers, 2);
    EXPECT_EQ(h.matcher_lo[1], 202);
    EXPECT_EQ(h.matcher_hi[1], 202);
    EXPECT_EQ(build_matcher("200-299", &h, &d), 0);
    EXPECT_EQ(h.nmatchers, 1);
    EXPECT_EQ(h.matcher_lo[0], 200);
    EXPECT_EQ(h.matcher_hi[0], 299);
    EXPECT_EQ(build_matcher("\"200, 300 - 399\"", &h, &d), 0);
    EXPECT_EQ(h.nmatchers, 2);
    EXPECT_EQ(h.matcher_lo[0], 200);
    EXPECT_EQ(h.matcher_hi[0], 200);
    EXPECT_EQ(h.matcher_lo[1], 300);
    EXPECT_EQ(h.matcher_hi[1], 399);
    EXPECT_EQ(build_matcher("\"200,201,202,203,204,205,206,400-499\"", &h, &d), 0);
    EXPECT_EQ(h.nmatchers, 8);
    EXPECT_EQ(h.matcher_lo[7], 400);
    EXPECT_EQ(h.matcher_hi[7], 499);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);

#define MATCHER_ERR(m, tail)                                                             \
    expect_error(TG_WITH("    health_check: { matcher: " m " }\n"), 1,                        \
                 "tierd.yaml:5:30: target group \"web\": health_check: matcher " tail)
#define SYNTAX "not a list of status codes; write codes and ranges like \"200\", \"200,202\" " \
               "or \"200-299\""
    MATCHER_ERR("abc", "\"abc\": " SYNTAX);
    MATCHER_ERR("\"\"", "\"\": " SYNTAX);
    MATCHER_ERR("\"200,\"", "\"200,\": " SYNTAX);
    MATCHER_ERR("\"200-\"", "\"200-\": " SYNTAX);
    MATCHER_ERR("\"200 300\"", "\"200 300\": " SYNTAX);
    MATCHER_ERR("\"2xx\"", "\"2xx\": " SYNTAX);
    MATCHER_ERR("199", "\"199\": 199 is not a code a health check can match; use codes "
                "from 200 to 499");
    MATCHER_ERR("\"200-500\"", "\"200-500\": 500 is not a code a health check can match; "
                "use codes from 200 to 499");
    MATCHER_ERR("99999999999", "\"99999999999\": 99999999999 is not a code a health check can "
                "match; use codes from 200 to 499");
    MATCHER_ERR("\"299-200\"", "\"299-200\": the range 299-200 runs backwards; write "
                "200-299");
    MATCHER_ERR("\"200,201,202,203,204,205,206,207,208\"",
                "\"200,201,202,203,204,205,206,207,208\": more than 8 codes and ranges; join "
                "neighbouring codes into ranges like 200-299");
#undef MATCHER_ERR
#undef SYNTAX
    expect_error(TG_WITH("    health_check: { matcher: [200] }\n"), 1,
                 "tierd.yaml:5:30: target_groups.web.health_check.matcher: expected a string, "
                 "got a list");
}

TEST(edge_conf_health_check_values_checked)
{
    const char *yaml = TG_WITH("    health_check:\n"
                               "      enabled: yes\n"
                               "      path: health\n"
                               "      interval: 4s\n"
                               "      timeout: 1s\n"
                               "      healthy_threshold: 1\n"
                               "      unhealthy_threshold: 11\n"
                               "      intervl: 5s\n");
    expect_error(yaml, 7, "tierd.yaml:6:16: target_groups.web.health_check.enabled: \"yes\" is "
                          "not a boolean; write true or false");
    expect_error(yaml, 7, "tierd.yaml:7:13: target group \"web\": health_check: path \"health\" "
                          "must start with '/'; write \"/health\"");
    expect_error(yaml, 7, "tierd.yaml:8:17: target_groups.web.health_check.interval: 4s is out "
                          "of range; write a value from 5s to 5m");
    expect_error(yaml, 7, "tierd.yaml:9:16: target_groups.web.health_check.timeout: 1s is out "
                          "of range; write a value from 2s to 2m");
    expect_error(yaml, 7, "tierd.yaml:10:26: target_groups.web.health_check.healthy_threshold: "
                          "1 is out of range; write a number from 2 to 10");
    expect_error(yaml, 7, "tierd.yaml:11:28: target_groups.web.health_check.unhealthy_threshold: "
                          "11 is out of range; write a number from 2 to 10");
    expect_error(yaml, 7, "tierd.yaml:12:7: unknown key \"intervl\" in target group \"web\": "
                          "health_check; did you mean \"interval\"?");

    expect_error(TG_WITH("    health_check: { interval: 301s, timeout: 121s }\n"), 2,
                 "tierd.yaml:5:46: target_groups.web.health_check.timeout: 121s is out of "
                 "range; write a value from 2s to 2m");
    expect_error(TG_WITH("    health_check: { interval: 301s, timeout: 121s }\n"), 2,
                 "tierd.yaml:5:31: target_groups.web.health_check.interval: 301s is out of "
                 "range; write a value from 5s to 5m");
    expect_error(TG_WITH("    health_check: { interval: 30 }\n"), 1,
                 "tierd.yaml:5:31: target_groups.web.health_check.interval: \"30\" has no unit; "
                 "write it as a duration like \"30s\"");
    expect_error(TG_WITH("    health_check: { path: \"/a b\" }\n"), 1,
                 "tierd.yaml:5:27: target group \"web\": health_check: path \"/a b\" has a "
                 "space, a control character or a non-ASCII byte; percent-encode it (a space is "
                 "%20)");
    expect_error(TG_WITH("    health_check: { path: \"/a\\tb\" }\n"), 1,
                 "tierd.yaml:5:27: target group \"web\": health_check: path \"/a\\x09b\" has a "
                 "space, a control character or a non-ASCII byte; percent-encode it (a space is "
                 "%20)");
    expect_error(TG_WITH("    health_check: yes\n"), 1,
                 "tierd.yaml:5:19: target group \"web\": health_check: expected a map, got a "
                 "scalar");

    char yaml2[2048], path[1100];
    memset(path, 'a', sizeof(path));
    path[0] = '/';
    path[1025] = '\0';                 /* 1025 characters: one too many */
    snprintf(yaml2, sizeof(yaml2), TG_WITH("    health_check: { path: %s }\n"), path);
    expect_error(yaml2, 1, "tierd.yaml:5:27: target_groups.web.health_check.path: the value is "
                           "1025 bytes long; at most 1024 are allowed");
    path[1024] = '\0';
    snprintf(yaml2, sizeof(yaml2), TG_WITH("    health_check: { path: %s }\n"), path);
    struct edge_conf c;
    struct diag d;
    diag_init(&d);
    EXPECT_EQ(build(yaml2, &c, &d), 0);
    EXPECT_EQ(strlen(c.tgs[0].health.path), 1024);
    edge_conf_fini(&c);
    diag_fini(&d);
}

TEST(edge_conf_health_timeout_must_be_below_interval)
{
    expect_error(TG_WITH("    health_check: { interval: 10s, timeout: 10s }\n"), 1,
                 "tierd.yaml:5:45: target group \"web\": health_check: timeout (10s) must be "
                 "shorter than interval (10s), as on ALB; lower timeout or raise interval");
    expect_error(TG_WITH("    health_check: { interval: 10s, timeout: 1m }\n"), 1,
                 "tierd.yaml:5:45: target group \"web\": health_check: timeout (1m) must be "
                 "shorter than interval (10s), as on ALB; lower timeout or raise interval");
    /* The default timeout (5s) against a written interval: reported at the interval. */
    expect_error(TG_WITH("    health_check: { interval: 5s }\n"), 1,
                 "tierd.yaml:5:31: target group \"web\": health_check: timeout (5s) must be "
                 "shorter than interval (5s), as on ALB; lower timeout or raise interval");
    /* Only checked when both are valid: one error, not two. */
    expect_error(TG_WITH("    health_check: { interval: 1s, timeout: 40s }\n"), 1,
                 "tierd.yaml:5:31: target_groups.web.health_check.interval: 1s is out of range; "
                 "write a value from 5s to 5m");
}

TEST(edge_conf_target_group_attributes_checked)
{
    const char *yaml = TG_WITH("    deregistration_delay: 3601s\n"
                               "    slow_start: 10s\n"
                               "    stickiness: { enabled: 1, duration: 8d, type: lb_cookie }\n");
    expect_error(yaml, 5, "tierd.yaml:5:27: target_groups.web.deregistration_delay: 3601s is out "
                          "of range; write a value from 0 to 1h");
    expect_error(yaml, 5, "tierd.yaml:6:17: target_groups.web.slow_start: 10s is out of range; "
                          "write a duration of 0 (off) or from 30s to 900s");
    expect_error(yaml, 5, "tierd.yaml:7:28: target_groups.web.stickiness.enabled: \"1\" is not a "
                          "boolean; write true or false");
    expect_error(yaml, 5, "tierd.yaml:7:41: target_groups.web.stickiness.duration: 8d is out of "
                          "range; write a value from 1s to 7d");
    expect_error(yaml, 5, "tierd.yaml:7:45: unknown key \"type\" in target group \"web\": "
                          "stickiness; the keys here are: enabled, duration");
    expect_error(TG_WITH("    slow_start: 901s\n    stickiness: { duration: 0 }\n"), 2,
                 "tierd.yaml:5:17: target_groups.web.slow_start: 901s is out of range; write a "
                 "duration of 0 (off) or from 30s to 900s");
    expect_error(TG_WITH("    slow_start: 901s\n    stickiness: { duration: 0 }\n"), 2,
                 "tierd.yaml:6:29: target_groups.web.stickiness.duration: 0 is out of range; "
                 "write a value from 1s to 7d");
    expect_error(TG_WITH("    stickiness: true\n"), 1,
                 "tierd.yaml:5:17: target group \"web\": stickiness: expected a map, got a "
                 "scalar");
    expect_error(TG_WITH("    deregistration_delay: 5\n"), 1,
                 "tierd.yaml:5:27: target_groups.web.deregistration_delay: \"5\" has no unit; "
                 "write it as a duration like \"5s\"");
}

TEST(edge_conf_slow_start_needs_round_robin)
{
    expect_error(TG_WITH("    algorithm: least_outstanding_requests\n    slow_start: 30s\n"), 1,
                 "tierd.yaml:6:17: target group \"web\": slow_start cannot be used with "
                 "algorithm least_outstanding_requests (as on ALB, it needs round_robin); set "
                 "slow_start: 0 or algorithm: round_robin");
    expect_error(TG_WITH("    slow_start: 1m\n    algorithm: weighted_random\n"), 1,
                 "tierd.yaml:5:17: target group \"web\": slow_start cannot be used with "
                 "algorithm weighted_random (as on ALB, it needs round_robin); set "
                 "slow_start: 0 or algorithm: round_robin");

    struct edge_conf c;
    struct diag d;
    diag_init(&d);
    EXPECT_EQ(build(TG_WITH("    algorithm: weighted_random\n    slow_start: 0\n"), &c, &d), 0);
    EXPECT_EQ(c.tgs[0].slow_start_ms, 0);
    edge_conf_fini(&c);
    diag_fini(&d);
}

/* A scratch directory as the current directory, with public/ (a directory) and file.txt. */
static void
enter_scratch_dir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/edge_conf_test.XXXXXX");
    EXPECT_TRUE(mkdtemp(dir) != NULL);
    EXPECT_EQ(chdir(dir), 0);
    EXPECT_EQ(mkdir("public", 0755), 0);
    FILE *f = fopen("file.txt", "w");
    EXPECT_TRUE(f != NULL);
    fclose(f);
}

static void
leave_scratch_dir(const char *dir)
{
    EXPECT_EQ(unlink("file.txt"), 0);
    EXPECT_EQ(rmdir("public"), 0);
    EXPECT_EQ(chdir("/"), 0);
    EXPECT_EQ(rmdir(dir), 0);
}

#define STATIC_RULE(body)                                                                     \
    "listeners:\n"                                                                            \
    "  - name: a\n"                                                                           \
    "    address: 127.0.0.1:80\n"                                                             \
    "    rules:\n"                                                                            \
    "      - match: { path_prefix: /static/ }\n"                                              \
    "        static: " body "\n"                                                              \
    "      - forward: web\n" BASE_TG

TEST(edge_conf_reads_static_rules)
{
    char dir[64];
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    enter_scratch_dir(dir, sizeof(dir));
    EXPECT_EQ(build(STATIC_RULE("{ root: ./public, index: home.htm, cache_max_age: 1h }"), &c,
                    &d), 0);
    const struct edge_rule *r = &c.listeners[0].rules[0];
    EXPECT_TRUE(r->forward == NULL);
    EXPECT_TRUE(r->static_files != NULL);
    EXPECT_STREQ(r->static_files->root, "./public");
    EXPECT_STREQ(r->static_files->index, "home.htm");
    EXPECT_EQ(r->static_files->cache_max_age_ms, 3600000);
    EXPECT_STREQ(c.listeners[0].rules[1].forward, "web");
    EXPECT_TRUE(c.listeners[0].rules[1].static_files == NULL);
    edge_conf_fini(&c);

    /* Defaults, an absolute root, and a static default rule. */
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "listeners: [{ name: a, address: \"127.0.0.1:1\", rules: [{ static: { root: %s } }] "
             "}]\n", dir);
    EXPECT_EQ(build(yaml, &c, &d), 0);
    r = &c.listeners[0].rules[0];
    EXPECT_FALSE(r->has_match);
    EXPECT_STREQ(r->static_files->root, dir);
    EXPECT_STREQ(r->static_files->index, "index.html");
    EXPECT_EQ(r->static_files->cache_max_age_ms, 0);
    edge_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);
    leave_scratch_dir(dir);
}

TEST(edge_conf_rule_has_one_action)
{
    char dir[64];

    enter_scratch_dir(dir, sizeof(dir));
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - forward: web\n"
                 "        static: { root: public }\n" BASE_TG,
                 1, "tierd.yaml:5:9: listener \"a\" rule 1: a rule has one action: forward, "
                    "static or redirect; keep one of them");
    expect_error("listeners:\n"
                 "  - name: a\n"
                 "    address: 127.0.0.1:80\n"
                 "    rules:\n"
                 "      - match: { path_prefix: /a/ }\n"
                 "      - forward: web\n" BASE_TG,
                 1, "tierd.yaml:5:9: listener \"a\" rule 1: a rule needs an action; add "
                    "forward: <target group>, static: { root: <directory> } or redirect: "
                    "{ scheme: https }");
    expect_error(STATIC_RULE("{ root: public, cache: 1h }"), 1,
                 "tierd.yaml:6:33: unknown key \"cache\" in listener \"a\" rule 1: static; the "
                 "keys here are: root, index, cache_max_age");
    leave_scratch_dir(dir);
}

TEST(edge_conf_static_root_must_be_a_directory)
{
    char dir[64], want[512];

    enter_scratch_dir(dir, sizeof(dir));
    snprintf(want, sizeof(want), "tierd.yaml:6:25: listener \"a\" rule 1: static: root "
             "\"pub\" does not exist (tried %s/pub, relative to the current directory); "
             "create the directory or fix the path", dir);
    expect_error(STATIC_RULE("{ root: pub }"), 1, want);
    expect_error(STATIC_RULE("{ root: /nonexistent/tierd }"), 1,
                 "tierd.yaml:6:25: listener \"a\" rule 1: static: root \"/nonexistent/tierd\" "
                 "does not exist (tried /nonexistent/tierd); create the directory or fix the "
                 "path");
    snprintf(want, sizeof(want), "tierd.yaml:6:25: listener \"a\" rule 1: static: root "
             "\"file.txt\" is not a directory (tried %s/file.txt); give the directory that "
             "holds the files", dir);
    expect_error(STATIC_RULE("{ root: file.txt }"), 1, want);
    snprintf(want, sizeof(want), "tierd.yaml:6:25: listener \"a\" rule 1: static: root "
             "\"file.txt/x\" does not exist (tried %s/file.txt/x, relative to the current "
             "directory); create the directory or fix the path", dir);
    expect_error(STATIC_RULE("{ root: file.txt/x }"), 1, want);
    expect_error(STATIC_RULE("{ root: \"\" }"), 1,
                 "tierd.yaml:6:25: listener \"a\" rule 1: static: root is empty; give the "
                 "directory that holds the files, like ./public");
    expect_error(STATIC_RULE("{ index: index.html }"), 1,
                 "tierd.yaml:6:17: listener \"a\" rule 1: static: missing required key "
                 "\"root\"");
    expect_error(STATIC_RULE(""), 1,
                 "tierd.yaml:6:16: listener \"a\" rule 1: static: needs a root directory, like "
                 "{ root: ./public }");
    expect_error(STATIC_RULE("./public"), 1,
                 "tierd.yaml:6:17: listener \"a\" rule 1: static: expected a map, got a scalar");
    expect_error(STATIC_RULE("{ root: public, index: docs/index.html, cache_max_age: 366d }"), 2,
                 "tierd.yaml:6:40: listener \"a\" rule 1: static: index \"docs/index.html\" must "
                 "be a plain file name like index.html, without '/'");
    expect_error(STATIC_RULE("{ root: public, index: docs/index.html, cache_max_age: 366d }"), 2,
                 "tierd.yaml:6:72: listeners[0].rules[0].static.cache_max_age: 366d is out of "
                 "range; write a value from 0 to 365d");
    expect_error(STATIC_RULE("{ root: public, index: \"..\" }"), 1,
                 "tierd.yaml:6:40: listener \"a\" rule 1: static: index \"..\" must be a plain "
                 "file name like index.html, without '/'");
    leave_scratch_dir(dir);
}

TEST(edge_conf_access_log_format_checked)
{
    expect_error(ONE_LISTENER
                 BASE_TG "access_log: { path: a.log, format: jsn }\n",
                 1, "tierd.yaml:5:36: access_log.format: unknown value \"jsn\"; did you mean "
                    "\"json\"?");
    expect_error(ONE_LISTENER
                 BASE_TG "access_log: { format: json }\n",
                 1, "tierd.yaml:5:13: access_log: missing required key \"path\"");
}

TEST(edge_conf_edge_values_checked)
{
    const char *yaml =
        ONE_LISTENER
        BASE_TG
        "edge:\n"
        "  workers: 0\n"
        "  timeouts:\n"
        "    keepalive: 75\n"
        "    send: 0\n"
        "    tunnel: 0s\n"
        "  limits: { header_bytes: 512, headers: 1000, body_bytes: 10q }\n";
    expect_error(yaml, 7, "tierd.yaml:6:12: edge.workers: 0 is out of range; write a number from "
                          "1 to 256");
    expect_error(yaml, 7, "tierd.yaml:8:16: edge.timeouts.keepalive: \"75\" has no unit; write it "
                          "as a duration like \"75s\"");
    expect_error(yaml, 7, "tierd.yaml:9:11: edge.timeouts.send: must be more than 0; write a "
                          "duration like \"30s\"");
    expect_error(yaml, 7, "tierd.yaml:10:13: edge.timeouts.tunnel: must be more than 0; write a "
                          "duration like \"30s\"");
    expect_error(yaml, 7, "tierd.yaml:11:27: edge.limits.header_bytes: 512 is out of range; write "
                          "a value from 1k to 1m");
    expect_error(yaml, 7, "tierd.yaml:11:41: edge.limits.headers: 1000 is out of range; write a "
                          "number from 1 to 256");
    expect_error(yaml, 7, "tierd.yaml:11:59: edge.limits.body_bytes: \"10q\" is not a size; write "
                          "a whole number of bytes with an optional unit k, m or g (powers of "
                          "1024), like \"512\", \"16k\" or \"10m\"");
    expect_error(ONE_LISTENER
                 BASE_TG "edge: { workers: lots }\n",
                 1, "tierd.yaml:5:18: edge.workers: \"lots\" is not a worker count; write auto or "
                    "a number from 1 to 256");
}

TEST(edge_conf_collects_every_error)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build("listeners:\n"
                    "  - { name: a, address: nope, rules: [{ forward: x }] }\n"
                    "  - { name: a, address: \"1.2.3.4:5\", rules: [] }\n"
                    "target_groups: { web: { targets: [nowhere] } }\n"
                    "edge: { workers: 999, timeouts: { send: 1 } }\n",
                    &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 7);
    diag_fini(&d);
}

TEST(edge_conf_target_group_protocol_and_tls)
{
    struct edge_conf c;
    struct diag d;
    diag_init(&d);

    EXPECT_EQ(build(TG_WITH(""), &c, &d), 0);
    EXPECT_EQ(c.tgs[0].protocol, EDGE_TG_PROTO_HTTP);
    edge_conf_fini(&c);
    EXPECT_EQ(build(TG_WITH("    protocol: https\n"), &c, &d), 0);
    EXPECT_EQ(c.tgs[0].protocol, EDGE_TG_PROTO_HTTPS);
    EXPECT_TRUE(c.tgs[0].tls.verify);            /* on unless said otherwise */
    EXPECT_TRUE(c.tgs[0].tls.ca == NULL && c.tgs[0].tls.sni == NULL);
    edge_conf_fini(&c);
    EXPECT_EQ(build(TG_WITH("    protocol: https\n    tls: { verify: false, sni: api.internal }\n"),
                    &c, &d), 0);
    EXPECT_FALSE(c.tgs[0].tls.verify);
    EXPECT_STREQ(c.tgs[0].tls.sni, "api.internal");
    edge_conf_fini(&c);
    diag_fini(&d);

    expect_error(TG_WITH("    tls: { sni: api.internal }\n"), 1,
                 "tierd.yaml:5:10: target group \"web\": tls applies only to protocol: https "
                 "(this group speaks http); add protocol: https or remove tls");
    expect_error(TG_WITH("    protocol: https\n    tls: { ca: /nonexistent/ca.pem }\n"), 1,
                 "tierd.yaml:6:16: target group \"web\": tls: ca: cannot read "
                 "/nonexistent/ca.pem: No such file or directory; give a readable PEM file of "
                 "CA certificates");
    expect_error(TG_WITH("    protocol: https\n    tls: { ca: " TEST_SRCDIR
                         "/tests/lib/tls/shop.ec.key }\n"), 1,
                 "tierd.yaml:6:16: target group \"web\": tls: ca: " TEST_SRCDIR
                 "/tests/lib/tls/shop.ec.key holds no PEM certificate (\"-----BEGIN "
                 "CERTIFICATE-----\"); give the CA certificate that signed the targets' "
                 "certificates");
    expect_error(TG_WITH("    protocol: gopher\n"), 1,
                 "tierd.yaml:5:15: target_groups.web.protocol: "
                 "unknown value \"gopher\"; use one of http, https, fastcgi");
}
