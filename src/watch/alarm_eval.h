/*
 * watch/alarm_eval.h: one CloudWatch alarm evaluation, pure. Given the datapoints of
 * the evaluation range (oldest first, NAN for a missing period) it returns the new
 * state with CloudWatch's semantics (../shared/reference/aws-semantics.md 3.2):
 *   - at least N real points in the range: the newest N decide; ALARM when at least M
 *     of them breach, else OK (treat_missing_data does not matter);
 *   - fewer: every real point counts and the gaps are filled as few times as needed to
 *     reach N: `breaching` fills breaching points, `not_breaching` non-breaching ones;
 *     `missing` and `ignore` fill nothing: M breaching real points mean ALARM, any
 *     non-breaching real point means OK; with only breaching points and fewer than M,
 *     `missing` still goes to ALARM once the oldest breaching point in the last N is at
 *     least M periods old (the premature-alarm guard), else the state is kept;
 *     `ignore` keeps the state; no real point at all: `missing` -> INSUFFICIENT_DATA,
 *     `ignore` keeps the state.
 * The evaluation range is N + 2 periods (AWS's documented example uses 5 for N = 3).
 */
#ifndef WATCH_ALARM_EVAL_H
#define WATCH_ALARM_EVAL_H
#include <stdbool.h>

enum alarm_state {
    ALARM_STATE_INSUFFICIENT_DATA = 0,
    ALARM_STATE_OK,
    ALARM_STATE_ALARM,
};

enum alarm_cmp {
    ALARM_CMP_GT = 0,           /* greater_than_threshold */
    ALARM_CMP_GE,               /* greater_than_or_equal_to_threshold */
    ALARM_CMP_LT,               /* less_than_threshold */
    ALARM_CMP_LE,               /* less_than_or_equal_to_threshold */
};

enum alarm_missing {
    ALARM_MISSING_MISSING = 0,
    ALARM_MISSING_NOT_BREACHING,
    ALARM_MISSING_BREACHING,
    ALARM_MISSING_IGNORE,
};

struct alarm_rule {
    enum alarm_cmp cmp;
    double threshold;
    unsigned evaluation_periods;    /* N >= 1 */
    unsigned datapoints_to_alarm;   /* M, 1..N */
    enum alarm_missing missing;
};

/* How a decision was reached, for the state reason. */
struct alarm_eval_detail {
    unsigned considered;        /* datapoints the decision used (real + filled) */
    unsigned breaching;         /* of those, breaching */
    unsigned real;              /* real points in the range */
    int used[16];               /* indices into points of the real points used, newest
                                   first, at most 16 */
    unsigned nused;
    bool kept;                  /* the state was kept for lack of data */
};

static inline unsigned
alarm_eval_range(const struct alarm_rule *r)
{
    return r->evaluation_periods + 2;
}

bool alarm_breaches(const struct alarm_rule *r, double value);
/* points: alarm_eval_range(r) values, oldest first. current: the state now. */
enum alarm_state alarm_evaluate(const struct alarm_rule *r, const double *points, unsigned n,
                                enum alarm_state current, struct alarm_eval_detail *detail);

const char *alarm_state_name(enum alarm_state s);     /* "OK", "ALARM", "INSUFFICIENT_DATA" */
/* "greater than", "greater than or equal to", ... as CloudWatch's reason text words. */
const char *alarm_cmp_words(enum alarm_cmp c);

#endif
