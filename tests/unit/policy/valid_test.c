/* tests/unit/policy/valid_test.c: every active rule fails on a snippet that passes the same
 * validation as `tierd check` (daemon/stack.h), and passes on another: a rule that can only
 * fail on a file validation refuses would never fire. tests/e2e/policy/test_rules_both_ways.py
 * does the same through the binary. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "helpers.h"

struct vcase {
    const char *id;
    bool fails;
    const char *yaml;           /* @DIR@: an existing temporary directory; @USER@: a user */
};

#define LISTENER(addr)                                                                     \
    "listeners:\n  - name: pub\n    address: \"" addr "\"\n    rules: [{ forward: web }]\n"
#define TGS "target_groups:\n  web:\n    targets: [127.0.0.1:19001]\n"
#define HC "    health_check: { path: /health }\n"
#define BASE LISTENER("127.0.0.1:18080") TGS HC
#define PUBLIC LISTENER("0.0.0.0:18080") TGS HC
#define LT(more) "launch_templates:\n  app:\n    command: [/bin/sleep, \"1000\"]\n" more
#define ASG_MIN(min, more)                                                                 \
    "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"     \
    "    min_size: " min "\n    max_size: 4\n" more
#define ASG(more) ASG_MIN("2", more)
#define TOPIC "topics:\n  ops:\n    subscriptions: [{ command: [/bin/true] }]\n"
#define ALARM(metric, dims, more)                                                          \
    "alarms:\n  hot:\n    metric: " metric "\n    dimensions: { " dims " }\n"             \
    "    comparison: greater_than_threshold\n    threshold: 80\n" more
#define HOOK(url, more) "topics:\n  ops:\n    subscriptions:\n      - webhook: \"" url "\"\n" more
#define SECRET_REF "        secret: \"${env:TIERD_TEST_HOOK}\"\n"
#define SMTP(more)                                                                         \
    "topics:\n  ops:\n    subscriptions: [{ email: ops@example.com }]\n"                  \
    "smtp:\n  url: \"smtps://mail.example.com\"\n  from: tierd@example.com\n" more
/* A TLS listener on addr with the test certificate, copied into @DIR@ by tls_files(). */
#define TLSL(addr, key, more)                                                              \
    "listeners:\n  - name: pub\n    address: \"" addr "\"\n    tls:\n"                     \
    "      certificates: [{ cert: \"@DIR@/c.pem\", key: \"@DIR@/" key "\" }]\n" more     \
    "    rules: [{ forward: web }]\n"
#define REDIRECT80                                                                         \
    "  - { name: http, address: \"0.0.0.0:80\", rules: [{ redirect: { scheme: https } }] }\n"
#define HSTS "      hsts: { max_age: 365d }\n"
#define STATIC(root)                                                                       \
    "listeners:\n  - name: pub\n    address: \"127.0.0.1:18080\"\n"                         \
    "    rules: [{ static: { root: \"" root "\" } }]\n" TGS HC

#define DB(more) "databases:\n  main:\n    address: 127.0.0.1:3306\n" more
#define DB_BK(repo, pw, ret)                                                               \
    "    backup: { repository: \"" repo "\", password_file: \"" pw "\", retention: " ret " }\n"
#define DB_USER(pw, host)                                                                  \
    "    users: { app: { password: " pw ", host: " host ", grants: [\"ALL PRIVILEGES ON "    \
    "shop.*\"] } }\n    schemas: [shop]\n"
#define DB_GOOD                                                                            \
    DB_USER("\"${env:TIERD_TEST_DB_PASSWORD}\"", "localhost")                                \
    "    storage_encryption: { key_file: \"@DIR@/db.key\" }\n"                              \
    DB_BK("sftp:b@backup.example:/r", "@DIR@/closed.pass", "30d")

static const struct vcase cases[] = {
    { "TD-ASG-002", true, BASE LT("") ASG("") },
    { "TD-ASG-002", false, BASE LT("") ASG("    health_check_type: elb\n") },
    { "TD-ASG-003", true, BASE LT("") ASG_MIN("1", "") },
    { "TD-ASG-003", false, BASE LT("") ASG("") },
    { "TD-ASG-006", true, BASE LT("    env: { DB_PASSWORD: hunter2 }\n") ASG("") },
    { "TD-ASG-006", false,
      BASE LT("    env: { DB_PASSWORD: \"${env:TIERD_TEST_DB_PASSWORD}\" }\n") ASG("") },
    { "TD-ASG-007", true, BASE LT("    env: { HOST: 0.0.0.0 }\n") ASG("") },
    { "TD-ASG-007", false, BASE LT("    env: { HOST: 127.0.0.1 }\n") ASG("") },
    { "TD-ASG-011", true,
      BASE LT("") ASG("    instance_refresh: { min_healthy_percentage: 0 }\n") },
    { "TD-ASG-011", false,
      BASE LT("") ASG("    instance_refresh: { min_healthy_percentage: 50 }\n") },
    { "TD-ASG-012", true,
      BASE LT("") ASG("    health_check_type: elb\n    health_check_grace_period: 5s\n") },
    { "TD-ASG-012", false,
      BASE LT("") ASG("    health_check_type: elb\n    health_check_grace_period: 60s\n") },
    { "TD-ASG-013", true, BASE LT("") ASG("") },
    { "TD-ASG-013", false, BASE LT("") ASG("    instance_refresh: { auto_rollback: true }\n") },
    { "TD-ASG-014", true, BASE LT("    user: root\n") ASG("") },
    { "TD-ASG-014", false, BASE LT("    user: @USER@\n") ASG("") },
    { "TD-ASG-015", true, BASE LT("    instance_type: { cpu: 1 }\n") ASG("") },
    { "TD-ASG-015", false, BASE LT("    instance_type: { cpu: 1, memory: 256m }\n") ASG("") },
    { "TD-EDGE-001", true, PUBLIC },
    { "TD-EDGE-001", false, BASE },
    { "TD-EDGE-001", false, TLSL("0.0.0.0:443", "c.key", HSTS) REDIRECT80 TGS HC },
    { "TD-EDGE-002", true,
      TLSL("127.0.0.1:18443", "c.key", "      ciphers: ECDHE-ECDSA-AES128-SHA\n") TGS HC },
    { "TD-EDGE-002", false, TLSL("127.0.0.1:18443", "c.key", "") TGS HC },
    { "TD-EDGE-016", true, TLSL("0.0.0.0:443", "c.key", HSTS) TGS HC },
    { "TD-EDGE-016", false, TLSL("0.0.0.0:443", "c.key", HSTS) REDIRECT80 TGS HC },
    { "TD-EDGE-017", true, TLSL("0.0.0.0:443", "c.key", "") REDIRECT80 TGS HC },
    { "TD-EDGE-017", false, TLSL("0.0.0.0:443", "c.key", HSTS) REDIRECT80 TGS HC },
    { "TD-EDGE-018", true, TLSL("127.0.0.1:18443", "open.key", "") TGS HC },
    { "TD-EDGE-018", false, TLSL("127.0.0.1:18443", "c.key", "") TGS HC },
    { "TD-EDGE-005", true, BASE },
    { "TD-EDGE-005", false, BASE "access_log: { path: \"@DIR@/access.log\", format: json }\n" },
    { "TD-EDGE-007", true, PUBLIC },
    { "TD-EDGE-007", false, PUBLIC "shield: { mode: block }\n" },
    { "TD-EDGE-008", true, PUBLIC "shield: { mode: count }\n" },
    { "TD-EDGE-008", false, PUBLIC "shield: { mode: block }\n" },
    { "TD-EDGE-009", true, BASE "shield:\n  scanners: { enabled: false }\n" },
    { "TD-EDGE-009", false, BASE "shield:\n  scanners: { enabled: true, ban: 1h }\n" },
    { "TD-EDGE-011", true, PUBLIC "shield: { mode: block }\n" },
    { "TD-EDGE-011", false, PUBLIC "shield: { login_paths: [/login] }\n" },
    { "TD-EDGE-012", true, BASE "shield: { trusted_proxies: [0.0.0.0/0] }\n" },
    { "TD-EDGE-012", false, BASE "shield: { trusted_proxies: [10.0.0.0/8] }\n" },
    { "TD-EDGE-013", true, BASE "shield: { allow: [\"::/0\"] }\n" },
    { "TD-EDGE-013", false, BASE "shield: { allow: [10.0.0.0/8] }\n" },
    { "TD-EDGE-015", true, BASE "edge: { timeouts: { client_header: 5m } }\n" },
    { "TD-EDGE-015", false, BASE "edge: { timeouts: { client_header: 10s } }\n" },
    { "TD-NET-010", true,
      BASE "control: { address: \"0.0.0.0:19999\", token_env: TIERD_TEST_TOKEN }\n" },
    { "TD-NET-010", false,
      BASE "control: { address: \"127.0.0.1:19999\", token_env: TIERD_TEST_TOKEN }\n" },
    { "TD-NET-011", true, BASE "control: { address: \"127.0.0.1:19999\", token: s3cr3t }\n" },
    { "TD-NET-011", false,
      BASE "control: { address: \"127.0.0.1:19999\", token: \"${env:TIERD_TEST_TOKEN}\" }\n" },
    { "TD-OBS-001", true, BASE ALARM("request_count", "target_group: web", "") },
    { "TD-OBS-001", false,
      BASE ALARM("request_count", "target_group: web", "    alarm_actions: [ops]\n") TOPIC },
    { "TD-OBS-002", true, BASE HOOK("http://hooks.example.com/tierd", SECRET_REF) },
    { "TD-OBS-002", false, BASE HOOK("https://hooks.example.com/tierd", SECRET_REF) },
    { "TD-OBS-003", true, BASE HOOK("https://hooks.example.com/tierd", "") },
    { "TD-OBS-003", false, BASE HOOK("https://hooks.example.com/tierd", SECRET_REF) },
    { "TD-OBS-004", true, BASE LT("") ASG("") },
    { "TD-OBS-004", false,
      BASE LT("") ASG("") ALARM("cpu_utilization", "auto_scaling_group: web",
                                "    alarm_actions: [ops]\n") TOPIC },
    { "TD-OBS-005", true, BASE "access_log: { path: \"@DIR@/access.log\", retention: 30d }\n" },
    { "TD-OBS-005", false,
      BASE "access_log: { path: \"@DIR@/access.log\", retention: 365d, max_size: 1g }\n" },
    { "TD-OBS-006", true, BASE "topics:\n  ops: {}\n" },
    { "TD-OBS-006", false, BASE TOPIC },
    { "TD-OBS-007", true,
      BASE HOOK("https://hooks.example.com/tierd", "        secret: s3cret\n") },
    { "TD-OBS-007", false, BASE HOOK("https://hooks.example.com/tierd", SECRET_REF) },
    { "TD-OBS-007", true, BASE SMTP("  username: bot\n  password: hunter2\n") },
    { "TD-OBS-007", false,
      BASE SMTP("  username: bot\n  password: \"${env:TIERD_TEST_SMTP_PASSWORD}\"\n") },
    { "TD-STORE-001", true, STATIC("/etc") },
    { "TD-STORE-001", false, STATIC("@DIR@/public") },
    { "TD-TG-001", true, LISTENER("127.0.0.1:18080") TGS },
    { "TD-TG-001", false, BASE },
    { "TD-TG-002", true, LISTENER("127.0.0.1:18080") TGS
      "    health_check: { path: /health, interval: 2m }\n" },
    { "TD-TG-002", false, BASE },
    { "TD-TG-003", true,
      LISTENER("127.0.0.1:18080") "target_groups:\n  web:\n    targets: [10.0.0.5:8080]\n" HC },
    { "TD-TG-003", false, BASE },
    { "TD-TG-003", false,
      LISTENER("127.0.0.1:18080") "target_groups:\n  web:\n    targets: [10.0.0.5:8443]\n"
      "    protocol: https\n    tls: { sni: api.internal }\n" HC },
    { "TD-TG-003", true,
      LISTENER("127.0.0.1:18080") "target_groups:\n  web:\n    targets: [10.0.0.5:8443]\n"
      "    protocol: https\n    tls: { verify: false }\n" HC },
    { "TD-DATA-001", true, BASE DB("") },
    { "TD-DATA-001", false, BASE DB(DB_GOOD) },
    { "TD-DATA-002", true, BASE "databases:\n  main:\n    address: 0.0.0.0:3306\n" },
    { "TD-DATA-002", false, BASE DB(DB_GOOD) },
    { "TD-DATA-003", true, BASE DB("") },
    { "TD-DATA-003", true, BASE DB(DB_BK("/srv/r", "@DIR@/closed.pass", "3d")) },
    { "TD-DATA-003", false, BASE DB(DB_GOOD) },
    { "TD-DATA-004", true, BASE DB(DB_BK("/var/backups/tierd", "@DIR@/closed.pass", "30d")) },
    { "TD-DATA-004", false, BASE DB(DB_GOOD) },
    { "TD-DATA-006", true, BASE DB("    deletion_protection: false\n") },
    { "TD-DATA-006", false, BASE DB(DB_GOOD) },
    { "TD-DATA-013", true, BASE DB(DB_USER("\"${env:TIERD_TEST_DB_PASSWORD}\"", "\"%\"")) },
    { "TD-DATA-013", false, BASE DB(DB_GOOD) },
    { "TD-DATA-014", true, BASE DB(DB_USER("hunter2", "localhost")) },
    { "TD-DATA-014", false, BASE DB(DB_GOOD) },
    { "TD-DATA-015", true, BASE DB(DB_BK("sftp:b@backup.example:/r", "@DIR@/open.pass", "30d")) },
    { "TD-DATA-015", false, BASE DB(DB_GOOD) },
    { "TD-TG-004", true, BASE "    deregistration_delay: 0s\n" },
    { "TD-TG-004", false, BASE "    deregistration_delay: 30s\n" },
};

/* yaml with every @DIR@ and @USER@ replaced (free it). */
static char *
expand(const char *yaml, const char *dir, const char *user)
{
    size_t cap = strlen(yaml) * 2 + 4096, n = 0;
    char *out = malloc(cap);

    assert_non_null(out);
    for (const char *p = yaml; *p;) {
        const char *with = strncmp(p, "@DIR@", 5) == 0 ? dir
                           : strncmp(p, "@USER@", 6) == 0 ? user
                                                          : NULL;
        size_t len = with ? strlen(with) : 1;
        assert_true(n + len + 1 < cap);
        memcpy(out + n, with ? with : p, len);
        n += len;
        p += with ? (with == dir ? 5 : 6) : 1;
    }
    out[n] = '\0';
    return out;
}

/* An unprivileged account that exists (validation requires the user to exist). */
static const char *
some_user(void)
{
    static const char *const names[] = { "nobody", "daemon", NULL };

    for (const char *const *n = names; *n; n++)
        if (getpwnam(*n))
            return *n;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "root";
}

/* Copies the test certificate into dir: c.pem, c.key (0600) and open.key (0644). */
static void
tls_files(const char *dir)
{
    static const char *const files[][3] = {
        { "/tests/lib/tls/shop.ec.pem", "c.pem", "0644" },
        { "/tests/lib/tls/shop.ec.key", "c.key", "0600" },
        { "/tests/lib/tls/shop.ec.key", "open.key", "0644" },
    };
    char src[4096], dst[4096], buf[8192];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(src, sizeof(src), "%s%s", TEST_SRCDIR, files[i][0]);
        snprintf(dst, sizeof(dst), "%s/%s", dir, files[i][1]);
        FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
        assert_non_null(in);
        assert_non_null(out);
        size_t n = fread(buf, 1, sizeof(buf), in);
        EXPECT_EQ(fwrite(buf, 1, n, out), n);
        fclose(in);
        fclose(out);
        EXPECT_EQ(chmod(dst, (mode_t)strtol(files[i][2], NULL, 8)), 0);
    }
}

static void
tls_files_remove(const char *dir)
{
    static const char *const names[] = { "c.pem", "c.key", "open.key" };
    char p[4096];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
}

TEST(policy_every_rule_fails_and_passes_on_a_valid_file)
{
    char dir[] = "/tmp/tierd-policy-XXXXXX", pub[64];
    unsigned n;
    const struct policy_rule *rules = policy_rules(&n);

    assert_non_null(mkdtemp(dir));
    snprintf(pub, sizeof(pub), "%s/public", dir);
    EXPECT_EQ(mkdir(pub, 0755), 0);
    /* Repository password files for TD-DATA-015: one others can read, one they cannot. */
    char open_pw[80], closed_pw[80];
    snprintf(open_pw, sizeof(open_pw), "%s/open.pass", dir);
    snprintf(closed_pw, sizeof(closed_pw), "%s/closed.pass", dir);
    FILE *pf = fopen(open_pw, "w");
    fputs("pw\n", pf);
    fclose(pf);
    chmod(open_pw, 0644);
    pf = fopen(closed_pw, "w");
    fputs("pw\n", pf);
    fclose(pf);
    chmod(closed_pw, 0600);
    tls_files(dir);
    setenv("TIERD_TEST_HOOK", "x", 1);
    setenv("TIERD_TEST_TOKEN", "x", 1);
    setenv("TIERD_TEST_DB_PASSWORD", "x", 1);
    setenv("TIERD_TEST_SMTP_PASSWORD", "x", 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct vcase *c = &cases[i];
        char *yaml = expand(c->yaml, dir, some_user());
        struct policy_report r;
        ptest_run_valid(yaml, &r);
        const struct policy_result *f = ptest_find(&r, c->id, POLICY_FAILED);
        if (c->fails && !f)
            fail_msg("%s should fail on this valid file:\n%s", c->id, yaml);
        if (!c->fails && f)
            fail_msg("%s should pass on:\n%s\nbut: %u:%u: %s", c->id, yaml, f->line, f->col,
                     f->message);
        if (!c->fails && !ptest_find(&r, c->id, POLICY_PASSED))
            fail_msg("%s should report a passed resource on:\n%s", c->id, yaml);
        policy_report_fini(&r);
        free(yaml);
    }
    for (unsigned i = 0; i < n; i++) {
        bool seen[2] = { false, false };
        for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
            if (strcmp(cases[j].id, rules[i].id) == 0)
                seen[cases[j].fails] = true;
        if (!seen[0] || !seen[1])
            fail_msg("%s has no %s case on a valid file", rules[i].id,
                     seen[1] ? "passing" : "failing");
    }
    unlink(open_pw);
    unlink(closed_pw);
    tls_files_remove(dir);
    rmdir(pub);
    rmdir(dir);
}
