/*
 * watch/sns.c: notification texts in SNS's shapes (see sns.h). Builds JSON with jansson
 * (insertion order is kept, so fields come out in CloudWatch's order) and signs with
 * libcrypto's HMAC. Sends nothing.
 */
#include "watch/sns.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/err.h"
#include "watch/metricmap.h"

/* Indexed by enum alarm_cmp and enum alarm_missing. */
static const char *const sns_cmp_names[] = {
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold",
};
static const char *const sns_missing_names[] = { "missing", "notBreaching", "breaching",
                                                 "ignore" };

void
sns_topic_arn(const char *topic, char *buf, size_t len)
{
    snprintf(buf, len, "arn:tierd:sns:local:%s", topic);
}

void
sns_subject(const char *alarm, enum alarm_state to, char *buf, size_t len)
{
    snprintf(buf, len, "%s: \"%s\" in %s", alarm_state_name(to), alarm, SNS_REGION);
}

void
sns_time(uint64_t wall_ms, const char *zone, char *buf, size_t len)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    char base[32];

    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03u%s", base, (unsigned)(wall_ms % 1000), zone);
}

void
sns_uuid4(char out[37])
{
    unsigned char b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        /* getrandom does not fail for 16 bytes once the pool is ready; fall back anyway. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        for (unsigned i = 0; i < 16; i++)
            b[i] = (unsigned char)((uint64_t)ts.tv_nsec * (i + 7) >> (i % 8));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

static json_t *
sns_actions(const struct watch_alarm_conf *a, enum alarm_state st)
{
    json_t *arr = json_array();
    char arn[320];

    for (unsigned i = 0; i < a->nactions[st]; i++) {
        sns_topic_arn(a->actions[st][i], arn, sizeof(arn));
        json_array_append_new(arr, json_string(arn));
    }
    return arr;
}

/* jansson refuses invalid UTF-8; names come from YAML, which is UTF-8 already. */
static json_t *
sns_str(const char *s)
{
    json_t *j = json_string(s);
    return j ? j : json_string("?");
}

char *
sns_alarm_message(const struct watch_alarm_conf *a, const struct alarm_transition *t,
                  uint64_t config_ms)
{
    json_t *m = json_object(), *trig = json_object(), *dims = json_array();
    char buf[320];

    json_object_set_new(m, "AlarmName", sns_str(a->name));
    json_object_set_new(m, "AlarmDescription", a->description ? sns_str(a->description)
                                                              : json_null());
    json_object_set_new(m, "AWSAccountId", json_string(SNS_ACCOUNT));
    sns_time(config_ms, "+0000", buf, sizeof(buf));
    json_object_set_new(m, "AlarmConfigurationUpdatedTimestamp", json_string(buf));
    json_object_set_new(m, "NewStateValue", json_string(alarm_state_name(t->new_state)));
    json_object_set_new(m, "NewStateReason", sns_str(t->reason));
    sns_time(t->at_ms, "+0000", buf, sizeof(buf));
    json_object_set_new(m, "StateChangeTime", json_string(buf));
    json_object_set_new(m, "Region", json_string(SNS_REGION));
    snprintf(buf, sizeof(buf), "arn:tierd:cloudwatch:local:%s:alarm:%s", SNS_ACCOUNT, a->name);
    json_object_set_new(m, "AlarmArn", sns_str(buf));
    json_object_set_new(m, "OldStateValue", json_string(alarm_state_name(t->old_state)));
    json_object_set_new(m, "OKActions", sns_actions(a, ALARM_STATE_OK));
    json_object_set_new(m, "AlarmActions", sns_actions(a, ALARM_STATE_ALARM));
    json_object_set_new(m, "InsufficientDataActions",
                        sns_actions(a, ALARM_STATE_INSUFFICIENT_DATA));

    const struct metricmap *mm = metricmap_find(a->metric);
    json_object_set_new(trig, "MetricName", sns_str(mm ? mm->cw_name : a->metric));
    json_object_set_new(trig, "Namespace", json_string("tierd"));
    if (watch_stat_is_percentile(a->stat)) {
        json_object_set_new(trig, "StatisticType", json_string("ExtendedStatistic"));
        json_object_set_new(trig, "ExtendedStatistic", json_string(watch_stat_cw_name(a->stat)));
    } else {
        json_object_set_new(trig, "StatisticType", json_string("Statistic"));
        json_object_set_new(trig, "Statistic", json_string(watch_stat_cw_name(a->stat)));
    }
    json_object_set_new(trig, "Unit", json_null());
    for (unsigned i = 0; i < a->ndims; i++) {
        json_t *d = json_object();
        json_object_set_new(d, "value", sns_str(a->dim_value[i]));
        json_object_set_new(d, "name", sns_str(a->dim_name[i]));
        json_array_append_new(dims, d);
    }
    json_object_set_new(trig, "Dimensions", dims);
    json_object_set_new(trig, "Period", json_integer((json_int_t)a->period_s));
    json_object_set_new(trig, "EvaluationPeriods", json_integer(a->rule.evaluation_periods));
    json_object_set_new(trig, "DatapointsToAlarm", json_integer(a->rule.datapoints_to_alarm));
    json_object_set_new(trig, "ComparisonOperator", json_string(sns_cmp_names[a->rule.cmp]));
    json_object_set_new(trig, "Threshold", json_real(a->rule.threshold));
    json_object_set_new(trig, "TreatMissingData",
                        json_string(sns_missing_names[a->rule.missing]));
    json_object_set_new(trig, "EvaluateLowSampleCountPercentile", json_string(""));
    json_object_set_new(m, "Trigger", trig);

    char *out = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(m);
    BUG_ON(!out);       /* json_dumps fails only when memory is out */
    return out;
}

char *
sns_envelope(const char *message_id, const char *topic, const char *subject,
             const char *message, uint64_t wall_ms)
{
    json_t *e = json_object();
    char buf[320];

    json_object_set_new(e, "Type", json_string("Notification"));
    json_object_set_new(e, "MessageId", json_string(message_id));
    sns_topic_arn(topic, buf, sizeof(buf));
    json_object_set_new(e, "TopicArn", sns_str(buf));
    json_object_set_new(e, "Subject", sns_str(subject));
    json_object_set_new(e, "Message", sns_str(message));
    sns_time(wall_ms, "Z", buf, sizeof(buf));
    json_object_set_new(e, "Timestamp", json_string(buf));
    json_object_set_new(e, "SignatureVersion", json_string("1"));
    char *out = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(e);
    BUG_ON(!out);       /* json_dumps fails only when memory is out */
    return out;
}

void
sns_signature(const char *secret, const void *body, size_t len, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac, &n);
    for (unsigned i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    out[64] = '\0';
}
