/*
 * watch/alarm_eval.c: CloudWatch alarm evaluation (see alarm_eval.h). Owns nothing.
 */
#include "watch/alarm_eval.h"

#include <math.h>
#include <string.h>

bool
alarm_breaches(const struct alarm_rule *r, double v)
{
    switch (r->cmp) {
    case ALARM_CMP_GT:
        return v > r->threshold;
    case ALARM_CMP_GE:
        return v >= r->threshold;
    case ALARM_CMP_LT:
        return v < r->threshold;
    case ALARM_CMP_LE:
        return v <= r->threshold;
    }
    return false;
}

enum alarm_state
alarm_evaluate(const struct alarm_rule *r, const double *points, unsigned n,
               enum alarm_state current, struct alarm_eval_detail *d)
{
    unsigned N = r->evaluation_periods, M = r->datapoints_to_alarm;
    unsigned real = 0, b = 0, nb = 0;
    int oldest_breach_age = 0;      /* periods ago, newest = 1 */

    memset(d, 0, sizeof(*d));
    for (unsigned i = 0; i < n; i++)
        real += !isnan(points[i]);
    d->real = real;

    if (real >= N) {
        /* The newest N real points decide. */
        for (unsigned i = n; i-- > 0 && d->considered < N;) {
            if (isnan(points[i]))
                continue;
            d->considered++;
            b += alarm_breaches(r, points[i]);
            if (d->nused < 16)
                d->used[d->nused++] = (int)i;
        }
        d->breaching = b;
        return b >= M ? ALARM_STATE_ALARM : ALARM_STATE_OK;
    }

    /* Fewer than N real points: all of them count. */
    for (unsigned i = n; i-- > 0;) {
        if (isnan(points[i]))
            continue;
        if (alarm_breaches(r, points[i])) {
            b++;
            if (n - i <= N)
                oldest_breach_age = (int)(n - i);
        } else {
            nb++;
        }
        if (d->nused < 16)
            d->used[d->nused++] = (int)i;
    }
    unsigned fill = N - real;
    switch (r->missing) {
    case ALARM_MISSING_BREACHING:
        d->considered = N;
        d->breaching = b + fill;
        return d->breaching >= M ? ALARM_STATE_ALARM : ALARM_STATE_OK;
    case ALARM_MISSING_NOT_BREACHING:
        d->considered = N;
        d->breaching = b;
        return b >= M ? ALARM_STATE_ALARM : ALARM_STATE_OK;
    case ALARM_MISSING_MISSING:
    case ALARM_MISSING_IGNORE:
        d->considered = real;
        d->breaching = b;
        if (real == 0) {
            d->kept = r->missing == ALARM_MISSING_IGNORE;
            return d->kept ? current : ALARM_STATE_INSUFFICIENT_DATA;
        }
        if (b >= M)
            return ALARM_STATE_ALARM;
        if (nb > 0)
            return ALARM_STATE_OK;
        /* Only breaching points, fewer than M of them. */
        if (r->missing == ALARM_MISSING_MISSING && oldest_breach_age >= (int)M)
            return ALARM_STATE_ALARM;
        d->kept = true;
        return current;
    }
    return current;
}

const char *
alarm_state_name(enum alarm_state s)
{
    switch (s) {
    case ALARM_STATE_OK:
        return "OK";
    case ALARM_STATE_ALARM:
        return "ALARM";
    case ALARM_STATE_INSUFFICIENT_DATA:
        break;
    }
    return "INSUFFICIENT_DATA";
}

const char *
alarm_cmp_words(enum alarm_cmp c)
{
    switch (c) {
    case ALARM_CMP_GT:
        return "greater than";
    case ALARM_CMP_GE:
        return "greater than or equal to";
    case ALARM_CMP_LT:
        return "less than";
    case ALARM_CMP_LE:
        return "less than or equal to";
    }
    return "";
}
