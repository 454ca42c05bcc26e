/* tests/unit/fleet/fleet_conf_test.c: launch_templates and auto_scaling_groups, good and
 * bad (with positions); template versions in the state db. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf/node.h"
#include "fleet/fleet_conf.h"
#include "conf/value.h"
#include "fleet/fleet_db.h"
#include "fleet/fleet_keys.h"
#include "fleet/scaler.h"
#include "fleet/template.h"

static const char *const tgs[] = { "web", "api", NULL };

static struct fleet_conf *
build(const char *yaml, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);
    struct fleet_conf *c;

    if (!doc)
        return NULL;
    fleet_conf_build(doc->root, &(struct conf_ctx){ .d = d, .target_groups = tgs }, &c);
    conf_doc_free(doc);
    return c;
}

static void
expect_msg(const struct diag *d, const char *want)
{
    for (unsigned i = 0; i < d->n; i++)
        if (strstr(d->msgs[i], want))
            return;
    diag_print(d, stderr);
    fail_msg("no diagnostic contains \"%s\"", want);
}

static const char good[] =
    "launch_templates:\n"
    "  app:\n"
    "    command: [php, -S, \"127.0.0.1:${PORT}\", -t, public]\n"
    "    env: { APP_ENV: production, NAME: \"${INSTANCE_ID}\" }\n"
    "    working_dir: ./app\n"
    "    user: nobody\n"
    "    stop_signal: SIGQUIT\n"
    "    stop_timeout: 15s\n"
    "    instance_type: { cpu: 0.5, memory: 512m }\n"
    "auto_scaling_groups:\n"
    "  web:\n"
    "    launch_template: app\n"
    "    target_group: web\n"
    "    min_size: 2\n"
    "    max_size: 8\n"
    "    desired_capacity: 3\n"
    "    health_check_type: elb\n"
    "    health_check_grace_period: 10s\n"
    "    default_instance_warmup: 5s\n"
    "    scaling_policies:\n"
    "      - name: cpu-50\n"
    "        target_tracking: { metric: cpu_utilization, target_value: 50 }\n"
    "      - name: rps-200\n"
    "        target_tracking: { metric: request_count_per_target, target_value: 200 }\n"
    "    instance_refresh: { min_healthy_percentage: 50, instance_warmup: 10s, "
    "auto_rollback: true }\n"
    "  api:\n"
    "    launch_template: { name: app, version: 3 }\n"
    "    target_group: api\n"
    "    min_size: 1\n"
    "    max_size: 2\n";

TEST(fleet_conf_reads_templates_and_groups)
{
    struct diag d;
    diag_init(&d);
    struct fleet_conf *c = build(good, &d);
    if (!c)
        diag_print(&d, stderr);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(c->ntemplates, 1);
    const struct template *t = fleet_conf_template(c, "app");
    EXPECT_EQ(t->argc, 5);
    EXPECT_STREQ(t->argv[2], "127.0.0.1:${PORT}");
    EXPECT_EQ(t->nenv, 2);
    EXPECT_STREQ(t->env[0], "APP_ENV=production");
    EXPECT_EQ(t->stop_signal, SIGQUIT);
    EXPECT_EQ(t->stop_timeout_ms, 15000);
    EXPECT_EQ(t->cpu_milli, 500);
    EXPECT_EQ(t->memory_bytes, 512u << 20);
    const struct fleet_group_conf *g = fleet_conf_group(c, "web");
    EXPECT_EQ(g->min, 2);
    EXPECT_EQ(g->max, 8);
    EXPECT_EQ(g->desired, 3);
    EXPECT_EQ(g->template_version, 0);
    EXPECT_EQ(g->health_type, FLEET_HEALTH_ELB);
    EXPECT_EQ(g->grace_ms, 10000);
    EXPECT_EQ(g->npolicies, 2);
    EXPECT_EQ(g->policies[1].metric, FLEET_METRIC_REQUESTS);
    EXPECT_EQ(g->refresh.min_healthy_pct, 50);
    EXPECT_TRUE(g->refresh.auto_rollback);
    g = fleet_conf_group(c, "api");
    EXPECT_EQ(g->template_version, 3);
    EXPECT_EQ(g->desired, 1);                       /* defaults to min_size */
    EXPECT_EQ(g->health_type, FLEET_HEALTH_EC2);
    EXPECT_EQ(g->refresh.min_healthy_pct, 90);      /* AWS default */
    fleet_conf_free(c);
    diag_fini(&d);
}

TEST(fleet_conf_reports_every_problem_with_its_position)
{
    static const char bad[] =
        "launch_templates:\n"
        "  app:\n"
        "    command: []\n"
        "    stop_signal: SIGTREM\n"
        "    env: { PORT: 1 }\n"
        "    comand: [x]\n"
        "  two:\n"
        "    command: [\"x${HOST}\"]\n"
        "auto_scaling_groups:\n"
        "  web:\n"
        "    launch_template: ap\n"
        "    target_group: wbe\n"
        "    min_size: 3\n"
        "    max_size: 2\n"
        "    health_check_type: eld\n"
        "    scaling_policies:\n"
        "      - name: p\n"
        "        target_tracking: { metric: cpu, target_value: 0 }\n"
        "    instance_refresh: { min_healthy_percentage: 101 }\n"
        "  db:\n"
        "    launch_template: two\n"
        "    target_group: api\n"
        "    min_size: 1\n"
        "    max_size: 4\n"
        "    desired_capacity: 5\n";
    struct diag d;
    diag_init(&d);
    EXPECT_TRUE(build(bad, &d) == NULL);
    expect_msg(&d, "tierd.yaml:3:14: launch template \"app\": command: give the program");
    expect_msg(&d, "tierd.yaml:4:18: launch template \"app\": stop_signal: unknown signal "
                   "\"SIGTREM\"; did you mean \"SIGTERM\"?");
    expect_msg(&d, "tierd.yaml:5:12: launch template \"app\": env.PORT: tierd sets PORT");
    expect_msg(&d, "tierd.yaml:6:5: unknown key \"comand\"");
    expect_msg(&d, "did you mean \"command\"?");
    expect_msg(&d, "tierd.yaml:8:15: launch template \"two\": command[0]: unknown placeholder "
                   "${HOST}");
    expect_msg(&d, "tierd.yaml:11:22: auto scaling group \"web\": launch_template: no launch "
                   "template \"ap\"; did you mean \"app\"?");
    expect_msg(&d, "tierd.yaml:12:19: auto scaling group \"web\": no target group \"wbe\"; did "
                   "you mean \"web\"?");
    expect_msg(&d, "tierd.yaml:14:15: auto scaling group \"web\": max_size (2) is below "
                   "min_size (3)");
    expect_msg(&d, "tierd.yaml:15:24: health_check_type: unknown value \"eld\"; did you mean "
                   "\"elb\"?");
    expect_msg(&d, "tierd.yaml:18:36: auto scaling group \"web\": scaling_policies[0]"
                   ".target_tracking: unknown value \"cpu\"");
    expect_msg(&d, "tierd.yaml:18:55: target_value: 0 is out of range");
    expect_msg(&d, "tierd.yaml:19:49:");
    expect_msg(&d, "tierd.yaml:25:23: auto scaling group \"db\": desired_capacity (5) must be "
                   "between min_size (1) and max_size (4)");
    diag_fini(&d);
}

TEST(fleet_conf_requires_command_and_sizes)
{
    struct diag d;
    diag_init(&d);
    EXPECT_TRUE(build("launch_templates:\n  app:\n    env: {}\n"
                      "auto_scaling_groups:\n  web:\n    launch_template: app\n"
                      "    target_group: web\n", &d) == NULL);
    expect_msg(&d, "tierd.yaml:3:5: launch template \"app\": missing required key \"command\"");
    expect_msg(&d, "missing required key \"min_size\"");
    expect_msg(&d, "missing required key \"max_size\"");
    diag_fini(&d);
}

TEST(fleet_conf_template_versions_follow_changes)
{
    char err[256];
    struct fleet_db *db = fleet_db_open(":memory:", err, sizeof(err));
    struct diag d;
    unsigned v;
    bool created;

    diag_init(&d);
    struct fleet_conf *c = build(good, &d);
    struct template t;
    template_copy(&t, fleet_conf_template(c, "app"));
    char *json = template_to_json(&t);
    EXPECT_EQ(fleet_db_template_version(db, "app", t.hash, json, 1, &v, &created), 0);
    EXPECT_EQ(v, 1);
    EXPECT_TRUE(created);
    /* The same fields again: the same version. */
    EXPECT_EQ(fleet_db_template_version(db, "app", t.hash, json, 2, &v, &created), 0);
    EXPECT_EQ(v, 1);
    EXPECT_FALSE(created);
    free(json);
    /* A changed field: version 2, stored with its fields. */
    t.stop_timeout_ms = 20000;
    template_hash_update(&t);
    json = template_to_json(&t);
    EXPECT_EQ(fleet_db_template_version(db, "app", t.hash, json, 3, &v, &created), 0);
    EXPECT_EQ(v, 2);
    EXPECT_TRUE(created);
    EXPECT_EQ(fleet_db_template_latest(db, "app"), 2);
    /* Version 1's fields come back whole, with the same hash. */
    char *v1 = fleet_db_template_json(db, "app", 1);
    struct template back;
    EXPECT_EQ(template_from_json("app", v1, &back), 0);
    EXPECT_STREQ(back.hash, fleet_conf_template(c, "app")->hash);
    EXPECT_EQ(back.stop_timeout_ms, 15000);
    EXPECT_STREQ(back.env[1], "NAME=${INSTANCE_ID}");
    EXPECT_TRUE(fleet_db_template_json(db, "app", 7) == NULL);
    /* Back to the first fields: AWS never reuses a number, so that is version 3. */
    EXPECT_EQ(fleet_db_template_version(db, "app", back.hash, v1, 4, &v, &created), 0);
    EXPECT_EQ(v, 3);
    free(v1);
    free(json);
    template_fini(&back);
    template_fini(&t);
    fleet_conf_free(c);
    fleet_db_close(db);
    diag_fini(&d);
}

TEST(fleet_conf_template_expands_placeholders)
{
    char *s = template_expand("127.0.0.1:${PORT}/${INSTANCE_ID}/${PORT}", 20001, "i-1");
    EXPECT_STREQ(s, "127.0.0.1:20001/i-1/20001");
    free(s);
    EXPECT_EQ(template_signal_parse("term"), SIGTERM);
    EXPECT_EQ(template_signal_parse("SIGUSR2"), SIGUSR2);
    EXPECT_EQ(template_signal_parse("SIGFOO"), -EINVAL);
}

TEST(fleet_keys_table_is_consistent_and_matches_the_reader)
{
    const char *why = conf_keytab_verify(fleet_keys, FK_COUNT);
    struct diag d;
    uint64_t ms;

    if (why)
        fail_msg("fleet_keys: %s", why);
    EXPECT_EQ(fleet_keys[FK_ASG_POLICIES].max, SCALER_POLICIES_MAX);
    /* Every key at once loads, and absent keys get the table's defaults. */
    diag_init(&d);
    struct fleet_conf *c = build(
        "launch_templates:\n"
        "  app:\n"
        "    command: [/bin/true]\n"
        "    env: { A: b }\n"
        "    inherit_env: [LANG]\n"
        "    working_dir: /tmp\n"
        "    user: root\n"
        "    stop_signal: SIGINT\n"
        "    stop_timeout: 3s\n"
        "    instance_type: { cpu: 0.5, memory: 64m, required: true }\n"
        "  bare:\n"
        "    command: [/bin/true]\n"
        "auto_scaling_groups:\n"
        "  web:\n"
        "    launch_template: { name: app, version: 1 }\n"
        "    target_group: web\n"
        "    min_size: 1\n"
        "    max_size: 2\n"
        "    desired_capacity: 1\n"
        "    health_check_type: elb\n"
        "    health_check_grace_period: 5s\n"
        "    default_instance_warmup: 1s\n"
        "    scaling_policies:\n"
        "      - name: cpu\n"
        "        target_tracking: { metric: cpu_utilization, target_value: 50,\n"
        "                           disable_scale_in: true }\n"
        "    instance_refresh: { min_healthy_percentage: 50, instance_warmup: 2s,\n"
        "                        auto_rollback: true }\n"
        "  api:\n"
        "    launch_template: bare\n"
        "    target_group: api\n"
        "    min_size: 0\n"
        "    max_size: 1\n", &d);
    diag_print(&d, stderr);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(d.n, 0);
    const struct template *bare = fleet_conf_template(c, "bare");
    EXPECT_EQ(bare->stop_signal, template_signal_parse(fleet_keys[FK_LT_STOP_SIGNAL].def));
    EXPECT_EQ(conf_parse_duration_ms(fleet_keys[FK_LT_STOP_TIMEOUT].def, &ms), 0);
    EXPECT_EQ(bare->stop_timeout_ms, ms);
    const struct fleet_group_conf *api = fleet_conf_group(c, "api");
    EXPECT_EQ(api->refresh.min_healthy_pct,
              (unsigned)strtoul(fleet_keys[FK_ASG_REFRESH_MIN_HEALTHY].def, NULL, 10));
    EXPECT_EQ(api->health_type, FLEET_HEALTH_EC2);
    EXPECT_STREQ(fleet_keys[FK_ASG_HEALTH_TYPE].def, "ec2");
    EXPECT_FALSE(api->refresh.auto_rollback);
    EXPECT_EQ(api->grace_ms, 0);
    EXPECT_EQ(fleet_conf_template(c, "app")->ninherit, 1);
    EXPECT_TRUE(fleet_conf_template(c, "app")->limits_required);
    EXPECT_FALSE(bare->limits_required);
    EXPECT_STREQ(fleet_keys[FK_LT_ITYPE_REQUIRED].def, "false");
    fleet_conf_free(c);
    diag_fini(&d);
}

TEST(fleet_conf_env_references_are_checked_not_resolved)
{
    static const char yaml[] =
        "launch_templates:\n"
        "  app:\n"
        "    command: [/bin/true]\n"
        "    env: { DB_PASS: \"${env:TIERD_TEST_DB_PW}\", DSN: \"u:${env:TIERD_TEST_DB_PW}@h\" }\n";
    struct diag d;

    setenv("TIERD_TEST_DB_PW", "hunter2", 1);
    diag_init(&d);
    struct fleet_conf *c = build(yaml, &d);
    EXPECT_TRUE(c != NULL);
    const struct template *t = fleet_conf_template(c, "app");
    /* The template keeps the reference (state db, hash); the value is read at spawn. */
    for (unsigned i = 0; i < t->nenv; i++)
        EXPECT_TRUE(strstr(t->env[i], "hunter2") == NULL);
    char *json = template_to_json(t);
    EXPECT_TRUE(strstr(json, "hunter2") == NULL);
    EXPECT_TRUE(strstr(json, "${env:TIERD_TEST_DB_PW}") != NULL);
    free(json);
    fleet_conf_free(c);
    diag_fini(&d);

    unsetenv("TIERD_TEST_DB_PW");
    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);                   /* run/apply: an error */
    expect_msg(&d, "tierd.yaml:4:21: launch template \"app\": env.DB_PASS: environment "
                   "variable TIERD_TEST_DB_PW is not set");
    diag_fini(&d);

    /* A secret in the command line would be visible in ps: refused. */
    diag_init(&d);
    EXPECT_TRUE(build("launch_templates:\n  app:\n    command: [app, \"--pw=${env:X}\"]\n",
                      &d) == NULL);
    expect_msg(&d, "command[1]: ${env:X} in a command would show the secret in the process "
                   "list");
    diag_fini(&d);
}

TEST(fleet_conf_env_file_must_be_private)
{
    char path[] = "/tmp/tierd-envfile-conf-XXXXXX", yaml[512];
    struct diag d;
    int fd = mkstemp(path);

    EXPECT_TRUE(fd >= 0);
    EXPECT_TRUE(write(fd, "DB_PASSWORD=x\n", 14) == 14);
    close(fd);
    snprintf(yaml, sizeof(yaml), "launch_templates:\n  app:\n    command: [/bin/true]\n"
             "    env_file: %s\n", path);
    chmod(path, 0640);
    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);
    expect_msg(&d, path);
    expect_msg(&d, "is open to group or others (mode 0640)");
    diag_fini(&d);
    chmod(path, 0600);
    diag_init(&d);
    struct fleet_conf *c = build(yaml, &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_STREQ(fleet_conf_template(c, "app")->env_file, path);
    fleet_conf_free(c);
    diag_fini(&d);
    unlink(path);
    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);                   /* missing: an error for run */
    expect_msg(&d, "No such file or directory");
    diag_fini(&d);
}

/* instance_type.required: read, kept in the version's fields (a template that turns it on
 * is a new version, and reads back with it), and refused without a limit to require. */
TEST(fleet_conf_instance_type_required_needs_a_limit_and_makes_a_version)
{
    static const char head[] =
        "launch_templates:\n"
        "  app:\n"
        "    command: [/bin/true]\n";
    static const char tail[] =
        "auto_scaling_groups:\n"
        "  web: { launch_template: app, target_group: web, min_size: 1, max_size: 1 }\n";
    char yaml[512];
    struct diag d;
    struct template back;

    diag_init(&d);
    snprintf(yaml, sizeof(yaml), "%s    instance_type: { memory: 64m }\n%s", head, tail);
    struct fleet_conf *loose = build(yaml, &d);
    snprintf(yaml, sizeof(yaml), "%s    instance_type: { memory: 64m, required: true }\n%s",
             head, tail);
    struct fleet_conf *strict = build(yaml, &d);
    EXPECT_EQ(d.n, 0);
    const struct template *l = fleet_conf_template(loose, "app");
    const struct template *s = fleet_conf_template(strict, "app");
    EXPECT_FALSE(l->limits_required);
    EXPECT_TRUE(s->limits_required);
    EXPECT_TRUE(strcmp(l->hash, s->hash) != 0);
    char *json = template_to_json(s);
    EXPECT_EQ(template_from_json("app", json, &back), 0);
    EXPECT_TRUE(back.limits_required);
    EXPECT_STREQ(back.hash, s->hash);
    template_fini(&back);
    free(json);
    /* A template that never heard of required keeps its JSON, hence its version. */
    json = template_to_json(l);
    EXPECT_TRUE(strstr(json, "required") == NULL);
    free(json);
    fleet_conf_free(loose);
    fleet_conf_free(strict);

    snprintf(yaml, sizeof(yaml), "%s    instance_type: { required: true }\n%s", head, tail);
    struct fleet_conf *none = build(yaml, &d);
    EXPECT_TRUE(none == NULL);
    expect_msg(&d, "launch template \"app\": instance_type.required is true but no limit is "
                   "set; add cpu or memory, or remove required");
    snprintf(yaml, sizeof(yaml), "%s    instance_type: { cpu: 1, required: maybe }\n%s", head,
             tail);
    fleet_conf_free(build(yaml, &d));
    expect_msg(&d, "required");
    diag_fini(&d);
}
