/* tests/unit/watch/sns_test.c: the alarm message and the HTTP envelope in SNS's shapes,
 * parsed back with jansson, and the HMAC-SHA256 signature against RFC 4231. */
#include "watch/sns.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char *ops[] = { "ops" };

static const char *
str_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("%s: not a string", key);
    return json_string_value(v);
}

TEST(watch_sns_alarm_message_has_cloudwatch_fields)
{
    struct watch_alarm_conf c;
    struct alarm_transition t;

    memset(&c, 0, sizeof(c));
    c.name = "high-cpu";
    c.metric = "cpu_utilization";
    c.ndims = 1;
    c.dim_name[0] = "auto_scaling_group";
    c.dim_value[0] = "web";
    c.stat = WATCH_STAT_AVERAGE;
    c.period_s = 60;
    c.rule = (struct alarm_rule){ ALARM_CMP_GT, 80, 3, 2, ALARM_MISSING_NOT_BREACHING };
    c.actions[ALARM_STATE_ALARM][0] = ops[0];
    c.nactions[ALARM_STATE_ALARM] = 1;
    memset(&t, 0, sizeof(t));
    t.old_state = ALARM_STATE_OK;
    t.new_state = ALARM_STATE_ALARM;
    t.reason = "Threshold Crossed: because";
    t.at_ms = 1736500867552ull;                 /* 2025-01-10T09:21:07.552 */

    char *msg = sns_alarm_message(&c, &t, 1736500323113ull);
    json_t *m = json_loads(msg, 0, NULL);
    EXPECT_TRUE(m != NULL);
    EXPECT_STREQ(str_at(m, "AlarmName"), "high-cpu");
    EXPECT_TRUE(json_is_null(json_object_get(m, "AlarmDescription")));
    EXPECT_STREQ(str_at(m, "NewStateValue"), "ALARM");
    EXPECT_STREQ(str_at(m, "OldStateValue"), "OK");
    EXPECT_STREQ(str_at(m, "NewStateReason"), "Threshold Crossed: because");
    EXPECT_STREQ(str_at(m, "StateChangeTime"), "2025-01-10T09:21:07.552+0000");
    EXPECT_STREQ(str_at(m, "AlarmConfigurationUpdatedTimestamp"), "2025-01-10T09:12:03.113+0000");
    EXPECT_STREQ(json_string_value(json_array_get(json_object_get(m, "AlarmActions"), 0)),
                 "arn:tierd:sns:local:ops");
    EXPECT_EQ(json_array_size(json_object_get(m, "OKActions")), 0);
    json_t *tr = json_object_get(m, "Trigger");
    EXPECT_STREQ(str_at(tr, "MetricName"), "CPUUtilization");
    EXPECT_STREQ(str_at(tr, "Namespace"), "tierd");
    EXPECT_STREQ(str_at(tr, "Statistic"), "AVERAGE");
    EXPECT_STREQ(str_at(tr, "StatisticType"), "Statistic");
    EXPECT_STREQ(str_at(tr, "ComparisonOperator"), "GreaterThanThreshold");
    EXPECT_STREQ(str_at(tr, "TreatMissingData"), "notBreaching");
    EXPECT_EQ(json_integer_value(json_object_get(tr, "Period")), 60);
    EXPECT_EQ(json_integer_value(json_object_get(tr, "EvaluationPeriods")), 3);
    EXPECT_EQ(json_integer_value(json_object_get(tr, "DatapointsToAlarm")), 2);
    EXPECT_TRUE(json_real_value(json_object_get(tr, "Threshold")) == 80.0);
    json_t *d = json_array_get(json_object_get(tr, "Dimensions"), 0);
    EXPECT_STREQ(str_at(d, "name"), "auto_scaling_group");
    EXPECT_STREQ(str_at(d, "value"), "web");
    /* Fields come in CloudWatch's order. */
    EXPECT_TRUE(strstr(msg, "\"AlarmName\"") < strstr(msg, "\"NewStateValue\""));
    EXPECT_TRUE(strstr(msg, "\"OldStateValue\"") < strstr(msg, "\"Trigger\""));

    char subject[128], id[37];
    sns_subject("high-cpu", ALARM_STATE_ALARM, subject, sizeof(subject));
    EXPECT_STREQ(subject, "ALARM: \"high-cpu\" in tierd");
    sns_uuid4(id);
    EXPECT_EQ(strlen(id), 36);
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(strchr("89ab", id[19]) != NULL);
    char *env = sns_envelope(id, "ops", subject, msg, t.at_ms);
    json_t *e = json_loads(env, 0, NULL);
    EXPECT_STREQ(str_at(e, "Type"), "Notification");
    EXPECT_STREQ(str_at(e, "MessageId"), id);
    EXPECT_STREQ(str_at(e, "TopicArn"), "arn:tierd:sns:local:ops");
    EXPECT_STREQ(str_at(e, "Subject"), subject);
    EXPECT_STREQ(str_at(e, "Message"), msg);            /* a JSON string holding the JSON */
    EXPECT_STREQ(str_at(e, "Timestamp"), "2025-01-10T09:21:07.552Z");
    json_decref(e);
    json_decref(m);
    free(env);
    free(msg);
}

TEST(watch_sns_signature_matches_rfc4231)
{
    char sig[65];
    const char *data = "what do ya want for nothing?";

    /* RFC 4231, test case 2. */
    sns_signature("Jefe", data, strlen(data), sig);
    EXPECT_STREQ(sig, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
