/* tests/unit/edge/edge_conf_test.c: the edge sections of a stack file become a struct
 * edge_conf with defaults, and every mistake is reported at its file:line:col. */
#include "edge/edge_conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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
    int rc = edge_conf_build(doc->root, c, d);
    conf_doc_free(doc);
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

TEST(edge_conf_keys_lists_owned_sections)
{
    unsigned n = 0;

    while (edge_conf_keys[n])
        n++;
    EXPECT_EQ(n, 4);
    EXPECT_STREQ(edge_conf_keys[0], "listeners");
    EXPECT_STREQ(edge_conf_keys[1], "target_groups");
    EXPECT_STREQ(edge_conf_keys[2], "access_log");
    EXPECT_STREQ(edge_conf_keys[3], "edge");
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
                 1, "tierd.yaml:2:13: listener \"a b\": a name may use only letters, digits, "
                    "'-', '_' and '.' (at most 64)");
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
                    "here are: targets, algorithm");
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
                 1, "tierd.yaml:5:9: listener \"a\" rule 1: missing required key \"forward\"");
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

    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    targets: []\n", ls);
    expect_error(yaml, 1, "tierd.yaml:4:14: target group \"web\": no targets; list at least one, "
                          "like [127.0.0.1:9001]");
    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    algorithm: round_robin\n", ls);
    expect_error(yaml, 1, "tierd.yaml:4:5: target group \"web\": missing required key "
                          "\"targets\"");
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

TEST(edge_conf_algorithm_round_robin_only)
{
    const char *ls = ONE_LISTENER;
    char yaml[1024];

    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    targets: [127.0.0.1:9001]\n"
             "    algorithm: least_outstanding_requests\n", ls);
    expect_error(yaml, 1, "tierd.yaml:5:16: target group \"web\": algorithm "
                          "\"least_outstanding_requests\" is not supported yet; use round_robin");
    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    targets: [127.0.0.1:9001]\n"
             "    algorithm: weighted_random\n", ls);
    expect_error(yaml, 1, "tierd.yaml:5:16: target group \"web\": algorithm \"weighted_random\" "
                          "is not supported yet; use round_robin");
    snprintf(yaml, sizeof(yaml), "%starget_groups:\n  web:\n    targets: [127.0.0.1:9001]\n"
             "    algorithm: rund_robin\n", ls);
    expect_error(yaml, 1, "tierd.yaml:5:16: target group \"web\": unknown algorithm "
                          "\"rund_robin\"; did you mean \"round_robin\"?");
}

TEST(edge_conf_access_log_format_checked)
{
    expect_error(ONE_LISTENER
                 BASE_TG "access_log: { path: a.log, format: jsn }\n",
                 1, "tierd.yaml:5:36: access_log.format: unknown format \"jsn\"; did you mean "
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
    expect_error(yaml, 7, "tierd.yaml:11:27: edge.limits.header_bytes: 512 bytes is out of range; "
                          "write a size from 1k to 1m");
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
                    "target_groups: { web: { targets: [] } }\n"
                    "edge: { workers: 999, timeouts: { send: 1 } }\n",
                    &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 7);
    diag_fini(&d);
}
