/* tests/unit/policy/rules_test.c: every rule fails on a snippet that breaks it, at the
 * offending key's line:col, and passes on one that does not. These snippets go straight
 * to the rules, without validation, to pin positions and odd shapes cheaply; valid_test.c
 * runs every rule both ways on snippets that pass validation first, and the deferred
 * rules (which policy_run() leaves out) are run here one by one. */
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "helpers.h"
#include "policy/internal.h"

struct rcase {
    const char *id;
    bool fails;
    unsigned line, col;         /* of the first failure; 0: not checked */
    const char *yaml;
};

/* Key files for TD-EDGE-018, made by key_files() with these modes. */
#define KEY_OPEN "/tmp/tierd-unit-rules-0644.key"
#define KEY_SHUT "/tmp/tierd-unit-rules-0600.key"

#define PUB "listeners:\n  - { name: pub, address: \"0.0.0.0:80\", rules: [{ forward: web }] }\n"

static const struct rcase edge_cases[] = {
    { "TD-EDGE-001", true, 3, 5,
      "listeners:\n  - name: pub\n    address: 0.0.0.0:80\n    rules: [{ forward: web }]\n" },
    { "TD-EDGE-001", true, 1, 0, "listeners: [{ name: a, address: \":8080\" }]\n" },
    { "TD-EDGE-001", false, 0, 0,
      "listeners:\n  - name: pub\n    address: 127.0.0.1:80\n    rules: [{ forward: web }]\n" },
    { "TD-EDGE-001", false, 0, 0, "listeners: [{ name: a, address: \"[::1]:80\" }]\n" },
    /* A listener with tls:, or one that only redirects to https, serves no plain HTTP. */
    { "TD-EDGE-001", false, 0, 0, "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: {} }]\n" },
    { "TD-EDGE-001", false, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:80\", rules: [{ redirect: { scheme: https } }] }]\n" },
    { "TD-EDGE-001", true, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:80\", rules: [{ redirect: { host: b } }] }]\n" },
    { "TD-EDGE-002", true, 4, 12,
      "listeners:\n  - name: pub\n    address: 0.0.0.0:443\n"
      "    tls: { min_version: \"1.0\", ciphers: [ECDHE-RSA-AES128-GCM-SHA256] }\n" },
    { "TD-EDGE-002", true, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { ciphers: \"ECDHE-RSA-AES128-GCM"
      "-SHA256:AES128-SHA\" } }]\n" },
    { "TD-EDGE-002", true, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { ciphers: "
      "[TLS_RSA_WITH_AES_128_GCM_SHA256] } }]\n" },
    { "TD-EDGE-002", false, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { min_version: \"1.2\", ciphers: "
      "[ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_128_GCM_SHA256, "
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256] } }]\n" },
    { "TD-EDGE-016", true, 4, 5,
      "listeners:\n  - name: a\n    address: \"0.0.0.0:443\"\n    tls: {}\n" },
    { "TD-EDGE-016", false, 0, 0,
      "listeners:\n  - { name: a, address: \"0.0.0.0:443\", tls: {} }\n"
      "  - { name: b, address: \"0.0.0.0:80\", rules: [{ redirect: { scheme: https } }] }\n" },
    { "TD-EDGE-017", true, 4, 5,
      "listeners:\n  - name: a\n    address: \"0.0.0.0:443\"\n    tls: {}\n" },
    { "TD-EDGE-017", true, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { hsts: { max_age: 0s } } }]\n" },
    { "TD-EDGE-017", false, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { hsts: {} } }]\n" },
    { "TD-EDGE-018", true, 1, 77,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { certificates: [{ key: "
      KEY_OPEN " }] } }]\n" },
    { "TD-EDGE-018", false, 0, 0,
      "listeners: [{ name: a, address: \"0.0.0.0:443\", tls: { certificates: [{ key: "
      KEY_SHUT " }] } }]\n" },
    { "TD-EDGE-005", true, 1, 1, "listeners: []\n" },
    { "TD-EDGE-005", true, 2, 3, "access_log:\n  path: \"off\"\n" },
    { "TD-EDGE-005", false, 0, 0, "access_log: { path: a.log, format: json }\n" },
    { "TD-EDGE-007", true, 2, 0, PUB },
    { "TD-EDGE-007", false, 0, 0, PUB "shield: { mode: block }\n" },
    { "TD-EDGE-008", true, 4, 3, PUB "shield:\n  mode: count\n" },
    { "TD-EDGE-008", false, 0, 0, PUB "shield:\n  mode: block\n" },
    { "TD-EDGE-008", false, 0, 0, "shield:\n  mode: count\n" },   /* nothing public */
    { "TD-EDGE-009", true, 3, 5, "shield:\n  scanners:\n    enabled: false\n" },
    { "TD-EDGE-009", true, 2, 15, "shield:\n  scanners: { enabled: false, ban: 1h }\n" },
    { "TD-EDGE-009", false, 0, 0, "shield:\n  scanners: { enabled: true, ban: 1h }\n" },
    { "TD-EDGE-011", true, 3, 1, PUB "shield:\n  mode: block\n" },
    { "TD-EDGE-011", true, 5, 20,
      "listeners:\n  - name: pub\n    address: 0.0.0.0:80\n    rules:\n"
      "      - { match: { path_prefix: /oauth/ }, forward: web }\n"
      "shield: { login_paths: [/login] }\n" },
    { "TD-EDGE-011", false, 0, 0,
      "listeners:\n  - name: pub\n    address: 0.0.0.0:80\n    rules:\n"
      "      - { match: { path_prefix: /login/ }, forward: web }\n"
      "shield: { login_paths: [/login] }\n" },
    { "TD-EDGE-012", true, 3, 7, "shield:\n  trusted_proxies:\n    - 0.0.0.0/0\n" },
    { "TD-EDGE-012", true, 0, 0, "shield: { trusted_proxies: [\"2001:db8::/8\"] }\n" },
    { "TD-EDGE-012", true, 2, 17, "shield:\n  rate_limit: { key: forwarded_ip }\n" },
    { "TD-EDGE-012", false, 0, 0,
      "shield: { trusted_proxies: [10.0.0.0/8], rate_limit: { key: forwarded_ip } }\n" },
    { "TD-EDGE-013", true, 2, 11, "shield:\n  allow: [\"::/0\"]\n" },
    { "TD-EDGE-013", true, 0, 0, "shield: { allow: [8.0.0.0/8] }\n" },
    { "TD-EDGE-013", false, 0, 0,
      "shield: { allow: [10.0.0.0/8, 203.0.113.0/24, \"fd00::/8\", 100.64.0.0/10] }\n" },
    { "TD-EDGE-015", true, 3, 5, "edge:\n  timeouts:\n    client_header: 5m\n" },
    { "TD-EDGE-015", true, 0, 0, "edge: { timeouts: { client_body: 61s } }\n" },
    { "TD-EDGE-015", true, 0, 0, "edge: { timeouts: { tunnel: 2d } }\n" },
    { "TD-EDGE-015", true, 0, 0, "edge: { timeouts: { keepalive: 1h } }\n" },
    { "TD-EDGE-015", true, 0, 0, "edge: { limits: { header_bytes: 1m, headers: 256 } }\n" },
    { "TD-EDGE-015", false, 0, 0,
      "edge: { timeouts: { client_header: 10s, tunnel: 1h }, limits: { header_bytes: 16k } }\n" },
    { "TD-EDGE-015", false, 0, 0, "listeners: []\n" },
};

static const struct rcase tg_cases[] = {
    { "TD-TG-001", true, 2, 3, "target_groups:\n  web:\n    targets: [127.0.0.1:1]\n" },
    { "TD-TG-001", true, 3, 5,
      "target_groups:\n  web:\n    health_check: { interval: 10s }\n" },
    { "TD-TG-001", true, 3, 21,
      "target_groups:\n  web:\n    health_check: { enabled: false, path: /h }\n" },
    { "TD-TG-001", false, 0, 0, "target_groups:\n  web:\n    health_check: { path: /health }\n" },
    { "TD-TG-002", true, 3, 31,
      "target_groups:\n  web:\n    health_check: { path: /h, interval: 2m }\n" },
    { "TD-TG-002", true, 0, 0,
      "target_groups: { web: { health_check: { path: /h, unhealthy_threshold: 9 } } }\n" },
    { "TD-TG-002", false, 0, 0,
      "target_groups: { web: { health_check: { path: /h, interval: 10s, timeout: 2s, "
      "matcher: \"200-399\" } } }\n" },
    { "TD-TG-003", true, 3, 15, "target_groups:\n  web:\n    targets: [10.0.0.5:80]\n" },
    { "TD-TG-003", true, 0, 0,
      "target_groups: { web: { targets: [{ address: \"192.168.1.2:80\" }] } }\n" },
    { "TD-TG-003", false, 0, 0,
      "target_groups: { web: { targets: [127.0.0.1:80, \"[::1]:81\", "
      "{ address: \"localhost:82\" }] } }\n" },
    /* The fix: TLS to the target, with its certificate checked. */
    { "TD-TG-003", false, 0, 0,
      "target_groups: { web: { protocol: https, tls: { sni: api.internal }, "
      "targets: [10.0.0.5:443] } }\n" },
    { "TD-TG-003", false, 0, 0,
      "target_groups: { web: { protocol: https, targets: [10.0.0.5:443] } }\n" },
    /* TLS that checks nothing is no better on the path. */
    { "TD-TG-003", true, 4, 15,
      "target_groups:\n  web:\n    protocol: https\n    targets: [10.0.0.5:443]\n"
      "    tls: { verify: false }\n" },
    { "TD-TG-004", true, 3, 5, "target_groups:\n  web:\n    deregistration_delay: 0s\n" },
    { "TD-TG-004", false, 0, 0, "target_groups:\n  web:\n    deregistration_delay: 30s\n" },
    { "TD-TG-004", false, 0, 0, "target_groups:\n  web:\n    targets: [127.0.0.1:1]\n" },
};

static const struct rcase asg_cases[] = {
    { "TD-ASG-002", true, 2, 3,
      "auto_scaling_groups:\n  web:\n    target_group: web\n    min_size: 2\n" },
    { "TD-ASG-002", true, 3, 5,
      "auto_scaling_groups:\n  web:\n    health_check_type: ec2\n    target_group: web\n" },
    { "TD-ASG-002", false, 0, 0,
      "auto_scaling_groups:\n  web: { target_group: web, health_check_type: elb }\n" },
    { "TD-ASG-003", true, 3, 5, "auto_scaling_groups:\n  web:\n    min_size: 1\n" },
    { "TD-ASG-003", true, 2, 3, "auto_scaling_groups:\n  web:\n    max_size: 4\n" },
    { "TD-ASG-003", false, 0, 0, "auto_scaling_groups:\n  web:\n    min_size: 2\n" },
    { "TD-ASG-006", true, 4, 7,
      "launch_templates:\n  web:\n    env:\n      AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n" },
    { "TD-ASG-006", true, 0, 0, "launch_templates: { web: { env: { DB_PASSWORD: hunter2 } } }\n" },
    { "TD-ASG-006", true, 3, 20,
      "launch_templates:\n  web:\n    command: [app, --password, hunter2]\n" },
    { "TD-ASG-006", true, 0, 0,
      "launch_templates: { web: { command: [app, \"--api-key=abc123\"] } }\n" },
    { "TD-ASG-006", true, 0, 0,
      "launch_templates: { web: { env: { TLS_KEY: \"-----BEGIN RSA PRIVATE KEY-----\\nMII\" } } }\n" },
    { "TD-ASG-006", false, 0, 0,
      "launch_templates:\n  web:\n    env: { DB_PASSWORD: \"${env:DB_PASSWORD}\", PORT: \"8080\", "
      "DB_PASSWORD_FILE: /run/secrets/db }\n"
      "    command: [app, --password-file, /run/secrets/db, --token, \"${env:TOKEN}\"]\n" },
    /* The documented way to hand an instance its database password is a reference. */
    { "TD-ASG-006", false, 0, 0,
      "launch_templates:\n  web:\n    env: { DB_PASSWORD: \"${db:main.users.app.password}\" }\n" },
    { "TD-ASG-007", true, 3, 20,
      "launch_templates:\n  web:\n    command: [app, --host, 0.0.0.0, --port, \"${PORT}\"]\n" },
    { "TD-ASG-007", true, 0, 0, "launch_templates: { web: { command: [app, \"--bind=[::]:8000\"] } }\n" },
    { "TD-ASG-007", true, 0, 0, "launch_templates: { web: { env: { HOST: \"::\" } } }\n" },
    { "TD-ASG-007", true, 0, 0,
      "launch_templates: { web: { command: [gunicorn, -b, \"10.1.2.3:8000\", app] } }\n" },
    { "TD-ASG-007", false, 0, 0,
      "launch_templates: { web: { command: [app, --host, 127.0.0.1, --port, \"${PORT}\"], "
      "env: { HOST: 127.0.0.1, LISTEN: \"127.0.0.1:${PORT}\" } } }\n" },
    { "TD-ASG-011", true, 4, 25,
      "auto_scaling_groups:\n  web:\n    min_size: 2\n    instance_refresh: { "
      "min_healthy_percentage: 0 }\n" },
    { "TD-ASG-011", true, 0, 0,
      "auto_scaling_groups: { web: { min_size: 1, instance_refresh: { min_healthy_percentage: 50 "
      "} } }\n" },
    { "TD-ASG-011", false, 0, 0,
      "auto_scaling_groups: { web: { min_size: 2, instance_refresh: { min_healthy_percentage: 50 "
      "} } }\n" },
    { "TD-ASG-012", true, 5, 5,
      "auto_scaling_groups:\n  web:\n    health_check_type: elb\n    target_group: web\n"
      "    health_check_grace_period: 5s\n"
      "target_groups: { web: { health_check: { path: /h, interval: 30s } } }\n" },
    { "TD-ASG-012", true, 0, 0,
      "auto_scaling_groups: { web: { health_check_type: elb, health_check_grace_period: 0 } }\n" },
    { "TD-ASG-012", false, 0, 0,
      "auto_scaling_groups: { web: { health_check_type: elb, target_group: web, "
      "health_check_grace_period: 60s } }\n"
      "target_groups: { web: { health_check: { path: /h, interval: 30s } } }\n" },
    { "TD-ASG-013", true, 2, 3, "auto_scaling_groups:\n  web:\n    min_size: 2\n" },
    { "TD-ASG-013", true, 0, 0,
      "auto_scaling_groups: { web: { instance_refresh: { auto_rollback: false } } }\n" },
    { "TD-ASG-013", false, 0, 0,
      "auto_scaling_groups: { web: { instance_refresh: { auto_rollback: true } } }\n" },
    { "TD-ASG-014", true, 2, 3, "launch_templates:\n  web:\n    command: [app]\n" },
    { "TD-ASG-014", true, 3, 5, "launch_templates:\n  web:\n    user: root\n" },
    { "TD-ASG-014", false, 0, 0, "launch_templates:\n  web:\n    user: app\n" },
    { "TD-ASG-015", true, 2, 3, "launch_templates:\n  web:\n    user: app\n" },
    { "TD-ASG-015", true, 3, 5, "launch_templates:\n  web:\n    instance_type: { cpu: 1 }\n" },
    { "TD-ASG-015", false, 0, 0,
      "launch_templates:\n  web:\n    instance_type: { cpu: 1, memory: 512m }\n" },
};

static const struct rcase obs_cases[] = {
    { "TD-NET-010", true, 2, 3, "control:\n  address: \"0.0.0.0:9000\"\n" },
    { "TD-NET-010", false, 0, 0, "control:\n  address: \"127.0.0.1:9000\"\n" },
    { "TD-NET-010", false, 0, 0, "control:\n  socket: run/tierd.sock\n" },
    { "TD-NET-011", true, 3, 3, "control:\n  address: \"127.0.0.1:9000\"\n  token: s3cr3t\n" },
    { "TD-NET-011", false, 0, 0, "control: { token: \"${env:TIERD_TOKEN}\" }\n" },
    { "TD-NET-011", true, 4, 5, "control:\n  token: \"${env:T}\"\n  tokens:\n"
                               "    alice: literal-secret\n" },
    { "TD-NET-011", false, 0, 0, "control:\n  tokens: { alice: \"${env:ALICE_TOKEN}\" }\n" },
    { "TD-STORE-001", true, 5, 19,
      "listeners:\n  - name: pub\n    address: 127.0.0.1:80\n    rules:\n"
      "      - static: { root: /etc/nginx }\n" },
    { "TD-STORE-001", true, 0, 0,
      "listeners: [{ name: a, rules: [{ static: { root: / } }] }]\n" },
    { "TD-STORE-001", true, 0, 0,
      "listeners: [{ name: a, rules: [{ static: { root: /srv/app } }] }]\n"
      "launch_templates: { web: { working_dir: /srv/app/current } }\n" },
    { "TD-STORE-001", true, 0, 0,
      "listeners: [{ name: a, rules: [{ static: { root: /nonexistent-td/www } }] }]\n"
      "access_log: { path: /nonexistent-td/www/logs/access.log }\n" },
    { "TD-STORE-001", false, 0, 0,
      "listeners: [{ name: a, rules: [{ static: { root: /nonexistent-td/www/public } }] }]\n"
      "launch_templates: { web: { working_dir: /nonexistent-td/www/app } }\n"
      "access_log: { path: /nonexistent-td/logs/access.log }\n" },
    { "TD-OBS-001", true, 2, 3, "alarms:\n  cpu:\n    metric: cpu_utilization\n" },
    { "TD-OBS-001", true, 0, 0, "alarms: { cpu: { alarm_actions: [] } }\n" },
    { "TD-OBS-001", false, 0, 0, "alarms:\n  cpu:\n    alarm_actions: [ops]\n" },
    { "TD-OBS-002", true, 4, 9,
      "topics:\n  ops:\n    subscriptions:\n      - webhook: \"http://hooks.example.com/x\"\n"
      "        secret: \"${env:S}\"\n" },
    { "TD-OBS-002", true, 0, 0, "smtp: { url: \"smtp://mail.example.com:25\" }\n" },
    { "TD-OBS-002", false, 0, 0,
      "topics: { ops: { subscriptions: [{ webhook: \"https://hooks.example.com/x\" }, "
      "{ webhook: \"http://127.0.0.1:9000/\" }] } }\n"
      "smtp: { url: \"smtps://mail.example.com\" }\n" },
    { "TD-OBS-003", true, 4, 9,
      "topics:\n  ops:\n    subscriptions:\n      - webhook: \"https://h.example.com/\"\n" },
    { "TD-OBS-003", false, 0, 0,
      "topics: { ops: { subscriptions: [{ webhook: \"https://h.example.com/\", secret: "
      "\"${env:S}\" }, { email: a@example.com }] } }\n" },
    { "TD-OBS-004", true, 2, 3, "auto_scaling_groups:\n  web:\n    min_size: 2\n" },
    { "TD-OBS-004", true, 0, 0,
      "auto_scaling_groups: { web: {} }\n"
      "alarms: { hot: { metric: cpu_utilization, dimensions: { auto_scaling_group: api } } }\n" },
    { "TD-OBS-004", false, 0, 0,
      "auto_scaling_groups: { web: {} }\n"
      "alarms: { hot: { metric: cpu_utilization, dimensions: { auto_scaling_group: web } } }\n" },
    { "TD-OBS-005", true, 1, 1, "access_log: { path: a.log }\n" },
    { "TD-OBS-005", true, 1, 28, "access_log: { path: a.log, retention: 30d }\n" },
    { "TD-OBS-005", false, 0, 0, "access_log: { path: a.log, retention: 365d }\n" },
    { "TD-OBS-006", true, 2, 3, "topics:\n  ops: {}\n" },
    { "TD-OBS-006", true, 0, 0, "topics: { ops: { subscriptions: [] } }\n" },
    { "TD-OBS-006", false, 0, 0, "topics: { ops: { subscriptions: [{ email: a@example.com }] } }\n" },
    { "TD-OBS-007", true, 5, 9,
      "topics:\n  ops:\n    subscriptions:\n      - webhook: \"https://h.example.com/\"\n"
      "        secret: s3cret\n" },
    { "TD-OBS-007", true, 0, 0,
      "topics: { ops: { subscriptions: [{ webhook: \"https://h.example.com/?token=abc\" }] } }\n" },
    { "TD-OBS-007", true, 0, 0,
      "topics: { ops: { subscriptions: [{ webhook: \"https://u:p@h.example.com/\" }] } }\n" },
    { "TD-OBS-007", true, 2, 3, "smtp:\n  url: \"smtps://u:pw@mail.example.com\"\n" },
    { "TD-OBS-007", true, 0, 0, "smtp: { url: \"smtps://mail.example.com\", password: hunter2 }\n" },
    { "TD-OBS-007", false, 0, 0,
      "topics: { ops: { subscriptions: [{ webhook: \"https://h.example.com/?page=1\", secret: "
      "\"${env:HOOK_SECRET}\" }] } }\n"
      "smtp: { url: \"smtps://u:${env:SMTP_PASSWORD}@mail.example.com\" }\n" },
};

static void
run_cases(const struct rcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct rcase *c = &cases[i];
        struct policy_report r;
        ptest_run(c->yaml, &r);
        const struct policy_result *f = ptest_find(&r, c->id, POLICY_FAILED);
        if (c->fails && !f)
            fail_msg("%s should fail on:\n%s", c->id, c->yaml);
        if (!c->fails && f)
            fail_msg("%s should pass on:\n%s\nbut: %s:%u:%u: %s", c->id, c->yaml, f->file,
                     f->line, f->col, f->message);
        if (!c->fails && !ptest_find(&r, c->id, POLICY_PASSED) &&
            strcmp(c->id, "TD-EDGE-008") != 0 && strcmp(c->id, "TD-NET-010") != 0 &&
            strcmp(c->id, "TD-NET-011") != 0)
            fail_msg("%s should report a passed resource on:\n%s", c->id, c->yaml);
        if (c->fails && c->line && f->line != c->line)
            fail_msg("%s: line %u, want %u (%s)", c->id, f->line, c->line, f->message);
        if (c->fails && c->col && f->col != c->col)
            fail_msg("%s: col %u, want %u (%s)", c->id, f->col, c->col, f->message);
        if (f)
            EXPECT_STREQ(f->file, "stack.yaml");
        policy_report_fini(&r);
    }
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* Deferred rules, run one by one: validation refuses what they read, so these trees are raw
 * by necessity; they keep the checks honest for the issue that brings the keys. */
static const struct rcase deferred_cases[] = {
    { "TD-NONE", false, 0, 0, "" },     /* none deferred at the moment (TD-EDGE-002 is back) */
};

TEST(policy_deferred_rules_fail_and_pass_on_raw_trees)
{
    unsigned n;
    const struct ruletab_deferred *df = ruletab_deferred_all(&n);

    for (unsigned i = 0; i < n; i++) {
        const char *id = df[i].rule.id;
        bool seen[2] = { false, false };
        EXPECT_TRUE(policy_rule_find(id) == NULL);      /* out of the run */
        EXPECT_TRUE(ruletab_deferred_find(id) == &df[i]);
        EXPECT_TRUE(df[i].keys && *df[i].keys && df[i].issue && *df[i].issue);
        for (size_t j = 0; j < sizeof(deferred_cases) / sizeof(deferred_cases[0]); j++) {
            const struct rcase *c = &deferred_cases[j];
            struct policy_report r;
            if (strcmp(c->id, id) != 0)
                continue;
            seen[c->fails] = true;
            ptest_run_rule(&df[i].rule, c->yaml, &r);
            const struct policy_result *f = ptest_find(&r, id, POLICY_FAILED);
            if (c->fails != (f != NULL))
                fail_msg("deferred %s should %s on:\n%s", id, c->fails ? "fail" : "pass",
                         c->yaml);
            if (!c->fails && !ptest_find(&r, id, POLICY_PASSED))
                fail_msg("deferred %s should report a passed resource on:\n%s", id, c->yaml);
            if (f && c->line && (f->line != c->line || f->col != c->col))
                fail_msg("deferred %s: at %u:%u, want %u:%u", id, f->line, f->col, c->line,
                         c->col);
            policy_report_fini(&r);
        }
        if (!seen[0] || !seen[1])
            fail_msg("deferred %s has no %s snippet", id, seen[0] ? "failing" : "passing");
    }
}

static void
key_files(void)
{
    FILE *f;

    if ((f = fopen(KEY_OPEN, "w")))
        fclose(f);
    if ((f = fopen(KEY_SHUT, "w")))
        fclose(f);
    EXPECT_EQ(chmod(KEY_OPEN, 0644), 0);
    EXPECT_EQ(chmod(KEY_SHUT, 0600), 0);
}

TEST(policy_edge_rules_fail_and_pass_with_positions)
{
    key_files();
    RUN(edge_cases);
    unlink(KEY_OPEN);
    unlink(KEY_SHUT);
}

TEST(policy_tg_rules_fail_and_pass_with_positions)
{
    RUN(tg_cases);
}

TEST(policy_asg_rules_fail_and_pass_with_positions)
{
    RUN(asg_cases);
}

TEST(policy_obs_store_net_rules_fail_and_pass_with_positions)
{
    RUN(obs_cases);
}

#define DBX(more) "databases:\n  main:\n    address: 127.0.0.1:3306\n" more
#define GOOD_BK "    backup: { repository: \"sftp:b@backup.example:/r\", password_file: /nonexistent/p, retention: 30d }\n"

static const struct rcase data_cases[] = {
    { "TD-DATA-001", true, 2, 3, DBX("") },
    { "TD-DATA-001", false, 0, 0, DBX("    storage_encryption: { key_file: /k }\n") },
    { "TD-DATA-002", true, 3, 5, "databases:\n  main:\n    address: 0.0.0.0:3306\n" },
    { "TD-DATA-002", true, 0, 0, "databases: { main: { address: \"10.0.0.5:3306\" } }\n" },
    { "TD-DATA-002", false, 0, 0, DBX("") },
    { "TD-DATA-002", false, 0, 0, "databases: { main: { address: \"[::1]:3306\" } }\n" },
    { "TD-DATA-003", true, 2, 3, DBX("") },
    { "TD-DATA-003", true, 6, 7, DBX("    backup:\n      repository: /r\n      retention: 2d\n") },
    { "TD-DATA-003", true, 0, 0, DBX("    backup: { repository: /r, retention: 0s }\n") },
    { "TD-DATA-003", false, 0, 0, DBX(GOOD_BK) },
    { "TD-DATA-004", true, 5, 7, DBX("    backup:\n      repository: /var/backups/tierd\n") },
    { "TD-DATA-004", false, 0, 0, DBX(GOOD_BK) },
    { "TD-DATA-006", true, 4, 5, DBX("    deletion_protection: false\n") },
    { "TD-DATA-006", false, 0, 0, DBX("") },
    { "TD-DATA-013", true, 6, 9, DBX("    users:\n      app:\n        host: \"%\"\n") },
    { "TD-DATA-013", true, 0, 0, DBX("    users: { app: { host: \"10.0.%\" } }\n") },
    { "TD-DATA-013", false, 0, 0, DBX("    users: { app: { host: localhost } }\n") },
    { "TD-DATA-014", true, 6, 9, DBX("    users:\n      app:\n        password: hunter2\n") },
    { "TD-DATA-014", false, 0, 0,
      DBX("    users: { app: { password: \"${env:DB_APP_PASSWORD}\" } }\n") },
    /* /etc/passwd: a real file that every user can read. */
    { "TD-DATA-015", true, 6, 7, DBX("    backup:\n      repository: /r\n"
                                     "      password_file: /etc/passwd\n") },
    { "TD-DATA-015", true, 0, 0, DBX("    storage_encryption: { key_file: /etc/passwd }\n") },
    { "TD-DATA-015", false, 0, 0, DBX(GOOD_BK) },
};

TEST(policy_data_rules_fail_and_pass_with_positions)
{
    RUN(data_cases);
}

static bool
covered(const struct rcase *cases, size_t n, const char *id, bool fails)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cases[i].id, id) == 0 && cases[i].fails == fails)
            return true;
    return false;
}

#define COVERED(cases, id, f) covered(cases, sizeof(cases) / sizeof(cases[0]), id, f)

TEST(policy_every_rule_has_a_failing_and_a_passing_snippet)
{
    unsigned n;
    const struct policy_rule *rules = policy_rules(&n);

    EXPECT_TRUE(n >= 30);
    for (unsigned i = 0; i < n; i++) {
        for (int f = 0; f < 2; f++) {
            const char *id = rules[i].id;
            if (!COVERED(edge_cases, id, f) && !COVERED(tg_cases, id, f) &&
                !COVERED(asg_cases, id, f) && !COVERED(obs_cases, id, f) &&
                !COVERED(data_cases, id, f))
                fail_msg("%s has no %s snippet", id, f ? "failing" : "passing");
        }
    }
}

TEST(policy_rule_ids_are_unique_and_documented)
{
    unsigned n;
    const struct policy_rule *rules = policy_rules(&n);

    for (unsigned i = 0; i < n; i++) {
        EXPECT_TRUE(strncmp(rules[i].id, "TD-", 3) == 0);
        EXPECT_TRUE(rules[i].title && *rules[i].title);
        EXPECT_TRUE(rules[i].why && strlen(rules[i].why) > 20);
        EXPECT_TRUE(rules[i].fix && strlen(rules[i].fix) > 10);
        EXPECT_TRUE(rules[i].check != NULL);
        EXPECT_TRUE(rules[i].severity > POLICY_INFO);
        EXPECT_TRUE(policy_rule_find(rules[i].id) == &rules[i]);
        for (unsigned j = 0; j < i; j++)
            EXPECT_TRUE(strcmp(rules[i].id, rules[j].id) != 0);
    }
    EXPECT_TRUE(policy_rule_find("TD-EDGE-003") == NULL);  /* retired */

    /* Retired and deferred ids stay reserved: never active, never both. */
    unsigned nr, nd;
    const struct ruletab_retired *rt = ruletab_retired_all(&nr);
    const struct ruletab_deferred *df = ruletab_deferred_all(&nd);
    for (unsigned i = 0; i < nr; i++) {
        EXPECT_TRUE(strncmp(rt[i].id, "TD-", 3) == 0);
        EXPECT_TRUE(rt[i].why && strlen(rt[i].why) > 10);
        EXPECT_TRUE(policy_rule_find(rt[i].id) == NULL);
        EXPECT_TRUE(ruletab_deferred_find(rt[i].id) == NULL);
        EXPECT_TRUE(ruletab_retired_find(rt[i].id) == &rt[i]);
        for (unsigned j = 0; j < i; j++)
            EXPECT_TRUE(strcmp(rt[i].id, rt[j].id) != 0);
    }
    for (unsigned i = 0; i < nd; i++)
        EXPECT_TRUE(policy_rule_find(df[i].rule.id) == NULL);
    assert_non_null(ruletab_retired_find("TD-ASG-010"));
    assert_null(ruletab_deferred_find("TD-EDGE-002"));     /* back with listeners[].tls */
    assert_non_null(policy_rule_find("TD-EDGE-002"));
}

TEST(policy_severity_of_split_rules)
{
    struct policy_report r;
    const struct policy_result *f;

    ptest_run("shield: { allow: [0.0.0.0/0, 8.0.0.0/8] }\n", &r);
    EXPECT_EQ(ptest_count(&r, "TD-EDGE-013", POLICY_FAILED), 2);
    unsigned high = 0, medium = 0;
    for (unsigned i = 0; i < r.n; i++) {
        if (strcmp(r.results[i].rule->id, "TD-EDGE-013") != 0)
            continue;
        high += r.results[i].severity == POLICY_HIGH;
        medium += r.results[i].severity == POLICY_MEDIUM;
    }
    EXPECT_EQ(high, 1);
    EXPECT_EQ(medium, 1);
    policy_report_fini(&r);

    ptest_run("access_log: { path: a.log, retention: 400d }\nedge: { timeouts: { keepalive: 1h } }\n",
              &r);
    f = ptest_find(&r, "TD-EDGE-005", POLICY_FAILED);
    assert_non_null(f);
    EXPECT_EQ(f->severity, POLICY_INFO);
    f = ptest_find(&r, "TD-EDGE-015", POLICY_FAILED);
    assert_non_null(f);
    EXPECT_EQ(f->severity, POLICY_LOW);
    EXPECT_EQ(r.info, 1);
    EXPECT_EQ(r.failed, 1);                 /* INFO is not a failure */
    policy_report_fini(&r);

    ptest_run("access_log: { path: a.log, format: json }\n", &r);      /* no retention */
    f = ptest_find(&r, "TD-OBS-005", POLICY_FAILED);
    assert_non_null(f);
    EXPECT_EQ(f->severity, POLICY_INFO);
    policy_report_fini(&r);
    ptest_run("access_log: { path: a.log, format: json, retention: 90d }\n", &r);
    f = ptest_find(&r, "TD-OBS-005", POLICY_FAILED);
    assert_non_null(f);
    EXPECT_EQ(f->severity, POLICY_LOW);
    policy_report_fini(&r);
}

TEST(policy_rules_survive_wrong_shapes)
{
    static const char *const shapes[] = {
        "listeners: { a: 1 }\ntarget_groups: [1, 2]\nshield: [x]\nedge: 3\n",
        "auto_scaling_groups: [web]\nlaunch_templates: web\nalarms: 1\ntopics: [a]\n",
        "auto_scaling_groups: { web: [1] }\nlaunch_templates: { web: { env: [a], command: 3 } }\n",
        "topics: { ops: { subscriptions: [1, [2], { webhook: [x] }] } }\nsmtp: [1]\n",
        "listeners: [1, [2], { address: [x], rules: { a: 1 }, tls: [1] }]\ncontrol: 1\n",
        "target_groups: { web: { health_check: [1], targets: { a: 1 } } }\n",
        "shield: { allow: { a: 1 }, trusted_proxies: [\"/\", \"1.2.3.4/99\", \"\"] }\n",
        "",
        "just a scalar\n",
    };

    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        struct policy_report r;
        ptest_run(shapes[i], &r);
        policy_report_fini(&r);
    }
}
