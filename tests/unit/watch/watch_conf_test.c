/* tests/unit/watch/watch_conf_test.c: the alarms, topics and smtp sections: defaults,
 * ${env:NAME} secrets, and each mistake reported at its file:line:col. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/node.h"
#include "watch/internal.h"

static const char *const groups[] = { "web", NULL };
static const char *const tgs[] = { "web-tg", NULL };

static struct watch_conf *
build(const char *yaml, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);

    if (!doc) {
        diag_print(d, stderr);
        fail_msg("YAML did not load");
    }
    struct watch_conf *c = NULL;
    watch_conf_build(doc->root, &(struct conf_ctx){ .d = d, .groups = groups, .target_groups = tgs }, &c);
    conf_doc_free(doc);
    return c;
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
                 "tierd.yaml:4:13: alarm \"a\": period 45s: use 10s, 20s, 30s or a multiple of 60s");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    evaluation_periods: 2\n"
                 "    datapoints_to_alarm: 3\n    comparison: greater_than_threshold\n"
                 "    threshold: 1\n",
                 "tierd.yaml:5:26: alarm \"a\": datapoints_to_alarm (3) is above "
                 "evaluation_periods (2); it is M of N, 1 to N");
    expect_error("alarms:\n  a:\n    metric: cpu_utilization\n    comparison: greater_than\n"
                 "    threshold: x\n",
                 "tierd.yaml:4:17: alarm \"a\": unknown value \"greater_than\"; use one of "
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
                 "WATCH_MISSING_SECRET is not set; export it before starting tierd");
    expect_error("topics:\n  ops:\n    subscriptions:\n      - email: ops@example.com\n",
                 "tierd.yaml:4:9: email subscriptions need an smtp section, like smtp: { url: "
                 "smtp://127.0.0.1:25, from: tierd@example.com }");
    expect_error("topics:\n  ops:\n    subscriptions:\n      - webhook: ftp://h/\n",
                 "tierd.yaml:4:18: topic \"ops\": subscription 1: webhook \"ftp://h/\" is not an "
                 "http:// or https:// URL");
}
