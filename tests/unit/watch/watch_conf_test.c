/* tests/unit/watch/watch_conf_test.c: the alarms, topics and smtp sections: defaults,
 * ${env:NAME} secrets, and each mistake reported at its file:line:col. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/node.h"
#include "watch/internal.h"

static const char *const groups[] = { "web", NULL };
static const char *const tgs[] = { "web-tg", NULL };

/* check_only: as `tierd check` reads (an unset ${env:NAME} is a warning). */
static struct watch_conf *
build_as(const char *yaml, bool check_only, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);

    if (!doc) {
        diag_print(d, stderr);
        fail_msg("YAML did not load");
    }
    struct watch_conf *c = NULL;
    struct conf_ctx cx = { .d = d, .check_only = check_only, .groups = groups,
                           .target_groups = tgs };
    watch_conf_build(doc->root, &cx, &c);
    conf_doc_free(doc);
    return c;
}

static struct watch_conf *
build(const char *yaml, struct diag *d)
{
    return build_as(yaml, false, d);
}

static void
expect_error(const char *yaml, const char *want)
{
    struct diag d;

    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);
    for (unsigned i = 0; i < d.n; i++)
        if (strcmp(d.msgs[i], want) == 0) {
            diag_fini(&d);
            return;
        }
    fprintf(stderr, "wanted: %s\ngot %u:\n", want, d.n);
    diag_print(&d, stderr);
    fail();
}

#define TOPICS "topics:\n  ops:\n    subscriptions:\n      - webhook: http://127.0.0.1:9/hook\n"

TEST(watch_conf_reads_the_issue_example)
{
    struct diag d;
    const char *yaml =
        "alarms:\n"
        "  high-cpu:\n"
        "    metric: cpu_utilization\n"
        "    dimensions: { auto_scaling_group: web }\n"
        "    statistic: p99\n"
        "    period: 60s\n"
        "    evaluation_periods: 3\n"
        "    datapoints_to_alarm: 2\n"
        "    comparison: greater_than_threshold\n"
        "    threshold: 80\n"
        "    treat_missing_data: not_breaching\n"
        "    alarm_actions: [ops]\n"
        "    ok_actions: [ops]\n"
        "    insufficient_data_actions: []\n"
        "  low:\n"
        "    metric: healthy_host_count\n"
        "    comparison: less_than_threshold\n"
        "    threshold: 1.5\n"
        "topics:\n"
        "  ops:\n"
        "    subscriptions:\n"
        "      - webhook: http://127.0.0.1:9099/hook\n"
        "        secret: ${env:WATCH_TEST_SECRET}\n"
        "      - email: ops@example.com\n"
        "      - command: [./notify.sh, \"a b\"]\n"
        "smtp: { url: smtp://127.0.0.1:25, from: tierd@example.com }\n";

    setenv("WATCH_TEST_SECRET", "s3cret", 1);
    diag_init(&d);
    struct watch_conf *c = build(yaml, &d);
    diag_print(&d, stderr);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(c->nalarms, 2);
    struct watch_alarm_conf *a = &c->alarms[0];
    EXPECT_STREQ(a->name, "high-cpu");
    EXPECT_EQ(a->stat, WATCH_STAT_P99);
    EXPECT_EQ(a->period_s, 60);
    EXPECT_EQ(a->rule.evaluation_periods, 3);
    EXPECT_EQ(a->rule.datapoints_to_alarm, 2);
    EXPECT_EQ(a->rule.missing, ALARM_MISSING_NOT_BREACHING);
    EXPECT_STREQ(a->dim_value[0], "web");
    EXPECT_STREQ(a->actions[ALARM_STATE_ALARM][0], "ops");
    EXPECT_EQ(a->nactions[ALARM_STATE_INSUFFICIENT_DATA], 0);
    /* Defaults: average, 60 s, 1 of 1, missing. */
    struct watch_alarm_conf *b = &c->alarms[1];
    EXPECT_EQ(b->stat, WATCH_STAT_AVERAGE);
    EXPECT_EQ(b->period_s, 60);
    EXPECT_EQ(b->rule.evaluation_periods, 1);
    EXPECT_EQ(b->rule.datapoints_to_alarm, 1);
    EXPECT_TRUE(b->rule.threshold == 1.5);
    const struct watch_topic *t = watch_conf_topic(c, "ops");
    EXPECT_EQ(t->nsubs, 3);
    EXPECT_STREQ(t->subs[0].secret, "s3cret");
    EXPECT_EQ(t->subs[1].kind, WATCH_SUB_EMAIL);
    EXPECT_STREQ(t->subs[2].argv[1], "a b");
    EXPECT_STREQ(t->subs[2].endpoint, "[\"./notify.sh\",\"a b\"]");
    EXPECT_STREQ(c->smtp_url, "smtp://127.0.0.1:25");
    watch_conf_free(c);
    diag_fini(&d);
}

TEST(watch_conf_errors_name_file_line_col)
{
    unsetenv("WATCH_MISSING_SECRET");
    expect_error("alarms:\n  a:\n    metric: cpu_utilisation\n    comparison: "
                 "greater_than_threshold\n    threshold: 1\n",
                 "tierd.yaml:3:13: alarm \"a\": unknown metric \"cpu_utilisation\"; did you "
                 "mean \"cpu_utilization\"? (docs/watch.md lists them)");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    period: 45s\n    comparison: "
                 "greater_than_threshold\n    threshold: 1\n",
                 "tierd.yaml:4:13: alarm \"a\": period 45s: use 10s, 20s, 30s or a multiple of "
                 "60s");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    evaluation_periods: 2\n"
                 "    datapoints_to_alarm: 3\n    comparison: greater_than_threshold\n"
                 "    threshold: 1\n",
                 "tierd.yaml:5:26: alarm \"a\": datapoints_to_alarm (3) is above "
                 "evaluation_periods (2); it is M of N, 1 to N");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    comparison: greater_than\n"
                 "    threshold: x\n",
                 "tierd.yaml:4:17: alarms.a.comparison: unknown value \"greater_than\"; use one "
                 "of "
                 "greater_than_threshold, greater_than_or_equal_to_threshold, "
                 "less_than_threshold, less_than_or_equal_to_threshold");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    comparison: "
                 "less_than_threshold\n    threshold: x\n",
                 "tierd.yaml:5:16: alarm \"a\": threshold \"x\" is not a number; write it like "
                 "80 or 0.5");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    dimensions: "
                 "{ auto_scaling_group: wbe }\n    comparison: less_than_threshold\n"
                 "    threshold: 1\n",
                 "tierd.yaml:4:39: alarm \"a\": no auto scaling group named \"wbe\"; did you "
                 "mean \"web\"?");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    comparison: "
                 "less_than_threshold\n    threshold: 1\n    alarm_actions: [opz]\n" TOPICS,
                 "tierd.yaml:6:21: alarm \"a\": alarm_actions: no topic named \"opz\"; did you "
                 "mean \"ops\"?");
    expect_error("topics:\n  ops:\n    subscriptions:\n      - webhook: http://h/\n"
                 "        secret: ${env:WATCH_MISSING_SECRET}\n",
                 "tierd.yaml:5:17: topic \"ops\": subscription 1: secret: environment variable "
                 "WATCH_MISSING_SECRET is not set; export it in tierd's environment (or its "
                 "systemd EnvironmentFile=)");
    expect_error("topics:\n  ops:\n    subscriptions:\n      - email: ops@example.com\n",
                 "tierd.yaml:4:9: email subscriptions need an smtp section, like smtp: { url: "
                 "smtp://127.0.0.1:25, from: tierd@example.com }");
    expect_error("topics:\n  ops:\n    subscriptions:\n      - webhook: ftp://h/\n",
                 "tierd.yaml:4:18: topic \"ops\": subscription 1: webhook \"ftp://h/\" is not an "
                 "http:// or https:// URL");
}

#define HOOK "topics:\n  ops:\n    subscriptions:\n      - webhook: https://h.example.com/x\n"
#define SMTP "smtp:\n  url: smtps://mail.example.com\n  from: tierd@example.com\n"

/* Secrets by reference (conf/ref.h): a literal is accepted (policy rule TD-OBS-007 judges
 * it), a reference is resolved, an unset variable is an error for run and apply and a
 * warning for `tierd check`. */
TEST(watch_conf_webhook_secret_literal_reference_and_unset)
{
    struct diag d;
    struct watch_conf *c;

    diag_init(&d);
    c = build(HOOK "        secret: s3cret-literal\n", &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_STREQ(c->topics[0].subs[0].secret, "s3cret-literal");
    watch_conf_free(c);
    setenv("WATCH_TEST_HOOK", "from-env", 1);
    c = build(HOOK "        secret: \"key-${env:WATCH_TEST_HOOK}\"\n", &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_STREQ(c->topics[0].subs[0].secret, "key-from-env");
    watch_conf_free(c);
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.nwarn, 0);
    diag_fini(&d);

    unsetenv("WATCH_TEST_UNSET");
    diag_init(&d);
    c = build_as(HOOK "        secret: ${env:WATCH_TEST_UNSET}\n", true, &d);
    EXPECT_TRUE(c != NULL);                     /* check: judged without its secrets */
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.nwarn, 1);
    EXPECT_TRUE(strstr(d.warns[0], "tierd.yaml:5:17: warning: topic \"ops\": subscription 1: "
                       "secret: environment variable WATCH_TEST_UNSET is not set here") != NULL);
    watch_conf_free(c);
    diag_fini(&d);

    setenv("WATCH_TEST_EMPTY", "", 1);
    expect_error(HOOK "        secret: ${env:WATCH_TEST_EMPTY}\n",
                 "tierd.yaml:5:17: topic \"ops\": subscription 1: secret: "
                 "${env:WATCH_TEST_EMPTY} is empty; set the variable in tierd's environment");
    expect_error(HOOK "        secret: \"${env:bad-name}\"\n",
                 "tierd.yaml:5:17: topic \"ops\": subscription 1: secret: write a reference as "
                 "${env:NAME}, NAME made of letters, digits and '_'");
    expect_error(HOOK "        secret: \"\"\n",
                 "tierd.yaml:5:17: topic \"ops\": subscription 1: secret is empty; remove it or "
                 "use ${env:NAME}");
}

TEST(watch_conf_smtp_credentials)
{
    struct diag d;
    struct watch_conf *c;

    diag_init(&d);
    c = build(SMTP "  username: bot\n  password: hunter2\n", &d);
    EXPECT_TRUE(c != NULL);                     /* literal: accepted, the policy flags it */
    EXPECT_STREQ(c->smtp_username, "bot");
    EXPECT_STREQ(c->smtp_password, "hunter2");
    watch_conf_free(c);
    setenv("WATCH_TEST_SMTP_USER", "bot@example.com", 1);
    setenv("WATCH_TEST_SMTP_PW", "pw-from-env", 1);
    c = build(SMTP "  username: ${env:WATCH_TEST_SMTP_USER}\n"
                   "  password: ${env:WATCH_TEST_SMTP_PW}\n", &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_STREQ(c->smtp_username, "bot@example.com");
    EXPECT_STREQ(c->smtp_password, "pw-from-env");
    watch_conf_free(c);
    /* Credentials in the url stay accepted (TD-OBS-007 reads them), references too. */
    c = build("smtp:\n  url: \"smtps://bot:${env:WATCH_TEST_SMTP_PW}@mail.example.com:465\"\n"
              "  from: tierd@example.com\n", &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_STREQ(c->smtp_url, "smtps://bot:pw-from-env@mail.example.com:465");
    watch_conf_free(c);
    c = build("smtp: { url: \"smtp://bot:hunter2@127.0.0.1:25\", from: t@example.com }\n", &d);
    EXPECT_TRUE(c != NULL);
    watch_conf_free(c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);

    unsetenv("WATCH_TEST_UNSET");
    diag_init(&d);
    c = build_as(SMTP "  username: bot\n  password: ${env:WATCH_TEST_UNSET}\n", true, &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.nwarn, 1);
    EXPECT_TRUE(strstr(d.warns[0], "tierd.yaml:5:13: warning: smtp.password: environment "
                       "variable WATCH_TEST_UNSET is not set here") != NULL);
    watch_conf_free(c);
    diag_fini(&d);

    expect_error(SMTP "  username: bot\n  password: ${env:WATCH_TEST_UNSET}\n",
                 "tierd.yaml:5:13: smtp.password: environment variable WATCH_TEST_UNSET is not "
                 "set; export it in tierd's environment (or its systemd EnvironmentFile=)");
    expect_error(SMTP "  password: ${env:WATCH_TEST_SMTP_PW}\n",
                 "tierd.yaml:4:13: smtp: password needs a username; add smtp.username");
    expect_error("smtp:\n  url: smtps://bot:pw@mail.example.com\n  from: t@example.com\n"
                 "  username: bot\n",
                 "tierd.yaml:2:8: smtp: url has credentials before its '@' and smtp.username is "
                 "set too; keep username and password: \"${env:NAME}\" and remove them from the "
                 "url");
    /* A url refused for its scheme is shown without its password. */
    expect_error("smtp:\n  url: smtpz://bot:hunter2@mail.example.com/x\n  from: t@example.com\n",
                 "tierd.yaml:2:8: smtp: url \"smtpz://(sensitive)@mail.example.com/x\" must start "
                 "with smtp:// or smtps://");
}

TEST(watch_conf_webhook_url_reference_is_expanded_for_sending_only)
{
    static const char yaml[] =
        "topics:\n  ops:\n    subscriptions:\n"
        "      - webhook: \"https://hooks.example/t/${env:TIERD_TEST_HOOK}\"\n";
    struct diag d;

    setenv("TIERD_TEST_HOOK", "tok123", 1);
    diag_init(&d);
    struct watch_conf *c = build(yaml, &d);
    EXPECT_TRUE(c != NULL);
    const struct watch_sub *s = &c->topics[0].subs[0];
    EXPECT_STREQ(s->url, "https://hooks.example/t/tok123");
    /* The identity (stored with deliveries, shown by the API) keeps the reference. */
    EXPECT_STREQ(s->endpoint, "https://hooks.example/t/${env:TIERD_TEST_HOOK}");
    watch_conf_free(c);
    diag_fini(&d);

    unsetenv("TIERD_TEST_HOOK");
    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);
    EXPECT_TRUE(d.n >= 1 && strstr(d.msgs[0], "TIERD_TEST_HOOK is not set") != NULL);
    diag_fini(&d);
}
