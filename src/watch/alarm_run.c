/*
 * watch/alarm_run.c: the alarm runtime's decisions (see alarm_run.h): cadence, windows,
 * transitions and reason text. Owns nothing but the state in struct alarm_run.
 */
#include "watch/alarm_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
alarm_run_init(struct alarm_run *r, const struct watch_alarm_conf *conf, uint64_t now_ms)
{
    memset(r, 0, sizeof(*r));
    r->conf = conf;
    r->state = ALARM_STATE_INSUFFICIENT_DATA;
    snprintf(r->reason, sizeof(r->reason), "Unchecked: Initial alarm creation");
    r->updated_ms = now_ms;
    r->last_end_s = INT64_MIN;
}

unsigned
alarm_run_cadence_s(const struct watch_alarm_conf *c)
{
    return c->period_s < 60 ? 10 : 60;
}

unsigned
alarm_run_range(const struct watch_alarm_conf *c)
{
    unsigned n = alarm_eval_range(&c->rule);
    return n > ALARM_RUN_POINTS_MAX ? ALARM_RUN_POINTS_MAX : n;
}

bool
alarm_run_due(const struct alarm_run *r, int64_t now_s, int64_t *end_s)
{
    int64_t cad = alarm_run_cadence_s(r->conf), t = now_s - ALARM_RUN_EVAL_DELAY_S;
    int64_t end = t - ((t % cad) + cad) % cad;

    if (end <= r->last_end_s)
        return false;
    *end_s = end;
    return true;
}

void
alarm_run_fmt_number(double v, char *buf, unsigned len)
{
    if (isfinite(v) && v == rint(v) && fabs(v) < 1e7) {
        snprintf(buf, len, "%.1f", v);
        return;
    }
    /* The shortest text that reads back as v. */
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* "dd/mm/yy HH:MM:SS" in UTC, as CloudWatch's reason text. */
static void
alarm_run_fmt_time(int64_t t, char *buf, unsigned len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    snprintf(buf, len, "%02d/%02d/%02d %02d:%02d:%02d", tm.tm_mday, tm.tm_mon + 1,
             tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
alarm_run_reason(const struct watch_alarm_conf *c, const double *points, unsigned n,
                 int64_t end_s, const struct alarm_eval_detail *d, enum alarm_state from,
                 enum alarm_state to, char *buf, unsigned len)
{
    const struct alarm_rule *rule = &c->rule;
    char num[40], when[32], thr[40];
    unsigned pos = 0;

#define APPEND(...)                                                                       \
    do {                                                                                  \
        int w_ = snprintf(buf + pos, pos < len ? len - pos : 0, __VA_ARGS__);             \
        if (w_ > 0)                                                                       \
            pos = pos + (unsigned)w_ < len ? pos + (unsigned)w_ : len - 1;                \
    } while (0)

    buf[0] = '\0';
    if (to == ALARM_STATE_INSUFFICIENT_DATA) {
        unsigned unknown = n - d->real;
        APPEND("Insufficient Data: %u datapoint%s %s unknown.", unknown, unknown == 1 ? "" : "s",
               unknown == 1 ? "was" : "were");
        return;
    }
    alarm_run_fmt_number(rule->threshold, thr, sizeof(thr));
    if (d->real == 0) {
        APPEND("Threshold Crossed: no datapoints were received for %u period%s and %u missing "
               "datapoint%s %s treated as [%s].", rule->evaluation_periods,
               rule->evaluation_periods == 1 ? "" : "s", rule->evaluation_periods,
               rule->evaluation_periods == 1 ? "" : "s",
               rule->evaluation_periods == 1 ? "was" : "were",
               rule->missing == ALARM_MISSING_BREACHING ? "Breaching" : "NonBreaching");
        return;
    }
    bool to_alarm = to == ALARM_STATE_ALARM;
    unsigned k = to_alarm ? d->breaching : d->considered - d->breaching;
    unsigned min = to_alarm ? rule->datapoints_to_alarm
                            : rule->evaluation_periods - rule->datapoints_to_alarm + 1;
    APPEND("Threshold Crossed: %u out of the last %u datapoint%s [", k, d->considered,
           d->considered == 1 ? "" : "s");
    bool first = true;
    for (unsigned i = 0; i < d->nused; i++) {
        int idx = d->used[i];
        if (alarm_breaches(rule, points[idx]) != to_alarm)
            continue;
        alarm_run_fmt_number(points[idx], num, sizeof(num));
        alarm_run_fmt_time(end_s - (int64_t)(n - (unsigned)idx) * (int64_t)c->period_s, when,
                           sizeof(when));
        APPEND("%s%s (%s)", first ? "" : ", ", num, when);
        first = false;
    }
    APPEND("] %s %s%s the threshold (%s) (minimum %u datapoint%s for %s -> %s transition).",
           k == 1 ? "was" : "were", to_alarm ? "" : "not ", alarm_cmp_words(rule->cmp), thr, min,
           min == 1 ? "" : "s", alarm_state_name(from), alarm_state_name(to));
#undef APPEND
}

bool
alarm_run_step(struct alarm_run *r, const double *points, unsigned n, int64_t end_s,
               uint64_t now_ms, struct alarm_transition *t)
{
    struct alarm_eval_detail d;
    enum alarm_state old = r->state;
    enum alarm_state next = alarm_evaluate(&r->conf->rule, points, n, old, &d);

    r->last_end_s = end_s;
    if (next == old)
        return false;
    alarm_run_reason(r->conf, points, n, end_s, &d, old, next, r->reason, sizeof(r->reason));
    r->state = next;
    r->updated_ms = now_ms;
    memset(t, 0, sizeof(*t));
    t->old_state = old;
    t->new_state = next;
    t->reason = r->reason;
    t->at_ms = now_ms;
    t->actions = r->conf->actions[next];
    t->nactions = r->conf->nactions[next];
    t->end_s = end_s;
    return true;
}
