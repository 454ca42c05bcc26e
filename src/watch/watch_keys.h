/*
 * watch/watch_keys.h: every key of the stack file's `alarms:`, `topics:` and `smtp:`
 * sections, once (conf/keys.h says what an entry holds). watch_conf.c reads through these
 * entries, the policy rules and `plan` consult them, and docs/stack-file.md is held to them
 * by a test.
 */
#ifndef WATCH_WATCH_KEYS_H
#define WATCH_WATCH_KEYS_H
#include "conf/keys.h"

enum watch_key {
    WK_ALARMS = 0,
    WK_ALARM,
    WK_AL_METRIC,
    WK_AL_DIMENSIONS,
    WK_AL_DIMENSION,
    WK_AL_STATISTIC,
    WK_AL_PERIOD,
    WK_AL_EVAL_PERIODS,
    WK_AL_DATAPOINTS,
    WK_AL_COMPARISON,
    WK_AL_THRESHOLD,
    WK_AL_MISSING,
    /* The three action lists, in the order of enum alarm_state (watch_conf.c adds the
     * state to WK_AL_INSUFFICIENT_ACTIONS). */
    WK_AL_INSUFFICIENT_ACTIONS,
    WK_AL_OK_ACTIONS,
    WK_AL_ALARM_ACTIONS,
    WK_AL_DESCRIPTION,
    WK_TOPICS,
    WK_TOPIC,
    WK_TP_SUBSCRIPTIONS,
    WK_SUB_WEBHOOK,
    WK_SUB_SECRET,
    WK_SUB_EMAIL,
    WK_SUB_COMMAND,
    WK_SMTP,
    WK_SMTP_URL,
    WK_SMTP_FROM,
    WK_SMTP_USERNAME,
    WK_SMTP_PASSWORD,
    WK_COUNT
};

extern const struct conf_key watch_keys[WK_COUNT];
extern const struct conf_keytab watch_keytab;

#endif
