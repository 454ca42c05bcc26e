/*
 * watch/internal.h: types shared inside watch/ (not for other folders): the built
 * configuration of alarms, topics and SMTP, and the metric-name table entry.
 * watch_conf.c builds and frees these; everything else borrows them.
 */
#ifndef WATCH_INTERNAL_H
#define WATCH_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "watch/alarm_eval.h"
#include "watch/watch.h"

#define WATCH_ACTIONS_MAX 5         /* per action list, as CloudWatch */
#define WATCH_NAME_MAX 255          /* alarm names, as CloudWatch */

enum watch_stat {
    WATCH_STAT_AVERAGE = 0,
    WATCH_STAT_SUM,
    WATCH_STAT_MINIMUM,
    WATCH_STAT_MAXIMUM,
    WATCH_STAT_SAMPLE_COUNT,
    WATCH_STAT_P50,
    WATCH_STAT_P90,
    WATCH_STAT_P99,
};

enum watch_sub_kind {
    WATCH_SUB_WEBHOOK = 0,
    WATCH_SUB_EMAIL,
    WATCH_SUB_COMMAND,
};

struct watch_sub {
    enum watch_sub_kind kind;
    char *endpoint;             /* URL, address, or argv as a JSON array (the identity) */
    char *secret;               /* webhook HMAC key, ${env:NAME} expanded; or NULL. Wiped */
    char *url;                  /* webhook URL with ${env:NAME} expanded, when it has one
                                   (endpoint keeps the reference: it is stored and shown) */
    char **argv;                /* command: NULL-terminated */
};

struct watch_topic {
    char *name;
    struct watch_sub *subs;
    unsigned nsubs;
};

struct watch_alarm_conf {
    char *name;
    char *description;          /* or NULL */
    char *metric;               /* the alarm metric name, e.g. cpu_utilization */
    unsigned ndims;
    char *dim_name[WATCH_LABELS_MAX];
    char *dim_value[WATCH_LABELS_MAX];
    enum watch_stat stat;
    uint64_t period_s;
    struct alarm_rule rule;
    char *actions[3][WATCH_ACTIONS_MAX]; /* indexed by enum alarm_state: topic names */
    unsigned nactions[3];
    char *hash;                 /* of every field above: an unchanged alarm keeps its state */
};

struct watch_conf {
    struct watch_alarm_conf *alarms;
    unsigned nalarms;
    struct watch_topic *topics;
    unsigned ntopics;
    char *smtp_url;             /* ${env:NAME} expanded, so it may hold a password: never
                                   print it (watch_conf.c shows it without its userinfo) */
    char *smtp_from;
    char *smtp_username;        /* SMTP AUTH through libcurl, expanded; or NULL. Wiped */
    char *smtp_password;
};

const struct watch_topic *watch_conf_topic(const struct watch_conf *c, const char *name);

/* Statistic names as written in the stack file ("average", "p99"), and CloudWatch's
 * upper-case form for messages ("AVERAGE", "p99"). */
const char *watch_stat_name(enum watch_stat s);
const char *watch_stat_cw_name(enum watch_stat s);
int watch_stat_parse(const char *s, enum watch_stat *out);
bool watch_stat_is_percentile(enum watch_stat s);

#endif
