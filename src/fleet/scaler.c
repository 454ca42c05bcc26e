/*
 * fleet/scaler.c: target-tracking decisions (see scaler.h for the windows and why).
 * Owns nothing; no clock, no I/O.
 */
#include "fleet/scaler.h"

#include <math.h>
#include <string.h>

void
scaler_reset(struct scaler *s)
{
    for (unsigned i = 0; i < SCALER_POLICIES_MAX; i++)
        for (unsigned k = 0; k < SCALER_IN_SAMPLES; k++)
            s->samples[i][k] = NAN;
    s->pos = 0;
    s->filled = 0;
}

void
scaler_init(struct scaler *s, const struct scaler_policy *p, unsigned n)
{
    memset(s, 0, sizeof(*s));
    s->npolicies = n > SCALER_POLICIES_MAX ? SCALER_POLICIES_MAX : n;
    memcpy(s->policies, p, s->npolicies * sizeof(*p));
    scaler_reset(s);
}

void
scaler_observe(struct scaler *s, const double *values)
{
    for (unsigned i = 0; i < s->npolicies; i++)
        s->samples[i][s->pos] = values[i];
    s->pos = (s->pos + 1) % SCALER_IN_SAMPLES;
    if (s->filled < SCALER_IN_SAMPLES)
        s->filled++;
}

unsigned
scaler_capacity(unsigned current, double metric, double target, unsigned min, unsigned max)
{
    /* The tiny epsilon keeps 3 * 60/50 = 3.5999... from rounding to 4 through float
     * error while 3.6 still becomes 4. */
    double raw = (double)current * metric / target;
    double c = ceil(raw - 1e-9);
    unsigned d = c <= 0 ? 0 : c >= 1e6 ? 1000000u : (unsigned)c;

    if (d < min)
        d = min;
    if (d > max)
        d = max;
    return d;
}

/* Mean of the last n samples of policy i; false when any is missing or there are fewer
 * than n. *all_above / *all_below report the per-sample comparisons. */
static bool
window(const struct scaler *s, unsigned i, unsigned n, double above, double below,
       double *mean, bool *all_above, bool *all_below)
{
    double sum = 0;

    if (s->filled < n)
        return false;
    *all_above = *all_below = true;
    for (unsigned k = 1; k <= n; k++) {
        double v = s->samples[i][(s->pos + SCALER_IN_SAMPLES - k) % SCALER_IN_SAMPLES];
        if (isnan(v))
            return false;
        sum += v;
        *all_above &= v > above;
        *all_below &= v < below;
    }
    *mean = sum / n;
    return true;
}

struct scaler_decision
scaler_decide(const struct scaler *s, unsigned current, unsigned min, unsigned max,
              bool warming)
{
    struct scaler_decision out = { .desired = current, .policy = -1, .metric = NAN };
    unsigned best = 0;
    int best_policy = -1;
    double best_metric = NAN;
    bool any_out = false, all_in = s->npolicies > 0;

    for (unsigned i = 0; i < s->npolicies; i++) {
        const struct scaler_policy *p = &s->policies[i];
        double mean;
        bool above, below;
        unsigned want = current;

        if (window(s, i, SCALER_OUT_SAMPLES, p->target, -INFINITY, &mean, &above, &below) &&
            above) {
            want = scaler_capacity(current, mean, p->target, min, max);
            if (want > current)
                any_out = true;
        } else if (!p->disable_scale_in && !warming &&
                   window(s, i, SCALER_IN_SAMPLES, INFINITY, p->target * SCALER_IN_FACTOR,
                          &mean, &above, &below) &&
                   below) {
            want = scaler_capacity(current, mean, p->target, min, max);
        } else {
            mean = NAN;
        }
        if (want >= current)
            all_in = false;
        if (best_policy < 0 || want > best) {
            best = want;
            best_policy = (int)i;
            best_metric = mean;
        }
    }
    /* Clamp even without a decision: a group outside its bounds is corrected. */
    unsigned clamped = current < min ? min : current > max ? max : current;
    if (any_out || all_in) {
        out.desired = best;
        out.policy = best_policy;
        out.metric = best_metric;
    } else {
        out.desired = clamped;
    }
    return out;
}
