/*
 * watch/watch_keys.c: the key table of alarms, topics and smtp (see watch_keys.h).
 * Defaults and bounds follow CloudWatch (PutMetricAlarm) and SNS; they are the bounds
 * watch_conf.c enforces. Rules that tie keys together (period x evaluation_periods,
 * datapoints_to_alarm <= evaluation_periods, one endpoint per subscription) stay in code.
 */
#include "watch/watch_keys.h"

#include "watch/internal.h"

/* Indexed by enum watch_stat, enum alarm_cmp and enum alarm_missing. */
static const char *const stats[] = {
    "average", "sum", "minimum", "maximum", "sample_count", "p50", "p90", "p99", NULL,
};
static const char *const comparisons[] = {
    "greater_than_threshold", "greater_than_or_equal_to_threshold", "less_than_threshold",
    "less_than_or_equal_to_threshold", NULL,
};
static const char *const missing[] = { "missing", "not_breaching", "breaching", "ignore", NULL };

#define SEC 1000ULL
#define DAY (86400 * SEC)

/* Secrets: a literal is accepted (TD-OBS-007 flags it); "${env:NAME}" is the way. */
#define WATCH_SECRET (CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF)

const struct conf_key watch_keys[WK_COUNT] = {
    [WK_ALARMS] = { "alarms", KT_NAMED, 0, NULL, 0, 0, NULL },
    [WK_ALARM] = { "alarms.*", KT_MAP, 0, NULL, 0, 0, NULL },
    [WK_AL_METRIC] = { "alarms.*.metric", KT_STRING, CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [WK_AL_DIMENSIONS] = { "alarms.*.dimensions", KT_NAMED, 0, NULL, 0, WATCH_LABELS_MAX,
                           NULL },
    [WK_AL_DIMENSION] = { "alarms.*.dimensions.*", KT_STRING, 0, NULL, 0, 0, NULL },
    [WK_AL_STATISTIC] = { "alarms.*.statistic", KT_ENUM, 0, "average", 0, 0, stats },
    /* Within the bounds: 10s, 20s, 30s or a multiple of 60s (the reader checks). */
    [WK_AL_PERIOD] = { "alarms.*.period", KT_DURATION, 0, "60s", 10 * SEC, 7 * DAY, NULL },
    [WK_AL_EVAL_PERIODS] = { "alarms.*.evaluation_periods", KT_UINT, 0, "1", 1, 100000,
                             NULL },
    /* Default: evaluation_periods (a reference, not a constant; the reader fills it). */
    [WK_AL_DATAPOINTS] = { "alarms.*.datapoints_to_alarm", KT_UINT, 0, NULL, 1, 100000, NULL },
    [WK_AL_COMPARISON] = { "alarms.*.comparison", KT_ENUM, CONF_KEY_REQUIRED, NULL, 0, 0,
                           comparisons },
    [WK_AL_THRESHOLD] = { "alarms.*.threshold", KT_NUMBER, CONF_KEY_REQUIRED, NULL, 0, 0,
                          NULL },
    [WK_AL_MISSING] = { "alarms.*.treat_missing_data", KT_ENUM, 0, "missing", 0, 0, missing },
    [WK_AL_INSUFFICIENT_ACTIONS] = { "alarms.*.insufficient_data_actions", KT_LIST, 0, NULL,
                                     0, WATCH_ACTIONS_MAX, NULL },
    [WK_AL_OK_ACTIONS] = { "alarms.*.ok_actions", KT_LIST, 0, NULL, 0, WATCH_ACTIONS_MAX,
                           NULL },
    [WK_AL_ALARM_ACTIONS] = { "alarms.*.alarm_actions", KT_LIST, 0, NULL, 0, WATCH_ACTIONS_MAX,
                              NULL },
    [WK_AL_DESCRIPTION] = { "alarms.*.description", KT_STRING, 0, NULL, 0, 0, NULL },
    [WK_TOPICS] = { "topics", KT_NAMED, 0, NULL, 0, 0, NULL },
    [WK_TOPIC] = { "topics.*", KT_MAP, 0, NULL, 0, 0, NULL },
    [WK_TP_SUBSCRIPTIONS] = { "topics.*.subscriptions", KT_LIST, 0, NULL, 0, 0, NULL },
    /* A URL that carries a token can say "https://hooks.example/${env:HOOK_TOKEN}". */
    [WK_SUB_WEBHOOK] = { "topics.*.subscriptions[].webhook", KT_STRING, CONF_KEY_ENV_REF, NULL,
                         0, 0, NULL },
    [WK_SUB_SECRET] = { "topics.*.subscriptions[].secret", KT_STRING, WATCH_SECRET, NULL, 0, 0,
                        NULL },
    [WK_SUB_EMAIL] = { "topics.*.subscriptions[].email", KT_STRING, 0, NULL, 0, 0, NULL },
    [WK_SUB_COMMAND] = { "topics.*.subscriptions[].command", KT_LIST, 0, NULL, 1, 256, NULL },
    [WK_SMTP] = { "smtp", KT_MAP, 0, NULL, 0, 0, NULL },
    /* The url may carry user:password@ (accepted; TD-OBS-007 reads it): sensitive, so that
     * a literal one is never shown, though only its userinfo is a secret. */
    [WK_SMTP_URL] = { "smtp.url", KT_STRING, CONF_KEY_REQUIRED | WATCH_SECRET, NULL, 0, 0,
                      NULL },
    [WK_SMTP_FROM] = { "smtp.from", KT_STRING, CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [WK_SMTP_USERNAME] = { "smtp.username", KT_STRING, WATCH_SECRET, NULL, 0, 0, NULL },
    [WK_SMTP_PASSWORD] = { "smtp.password", KT_STRING, WATCH_SECRET, NULL, 0, 0, NULL },
};

const struct conf_keytab watch_keytab = { "watch", watch_keys, WK_COUNT };
