/*
 * fleet/scaler.h: target tracking, the decision only. Pure: the caller feeds one
 * sample per policy per second with its own clock and asks for a desired capacity.
 *
 * AWS's formula: desired = clamp(ceil(current * metric / target), min, max), the
 * metric averaged over instances that are not warming up, current including them.
 * AWS decides on minutes (scale out after 3 of 3 one-minute periods above target,
 * scale in after 15 of 15 below 90 % of it). tierd reacts in seconds with the same
 * shape, chosen so that a load step scales out within the 5 s goal and a steady or
 * oscillating load never flaps:
 *   - scale out: the mean of the last SCALER_OUT_SAMPLES (3) one-second samples is
 *     above target, and every one of them is (3 of 3, as AlarmHigh);
 *   - scale in: all of the last SCALER_IN_SAMPLES (60) samples are below 90 % of the
 *     target (60 of 60, as AlarmLow's 15 of 15 at a 4x shorter horizon), no instance is
 *     warming up, and removing one would not push the metric above target;
 *   - missing samples (NAN) make a policy abstain, as INSUFFICIENT_DATA does.
 * Several policies: scale out if any wants to, in only if all that may scale in want
 * to; the largest capacity wins.
 */
#ifndef FLEET_SCALER_H
#define FLEET_SCALER_H
#include <stdbool.h>
#include <stdint.h>

#define SCALER_POLICIES_MAX 8
#define SCALER_OUT_SAMPLES 3
#define SCALER_IN_SAMPLES 60
#define SCALER_IN_FACTOR 0.9

struct scaler_policy {
    double target;              /* target_value, > 0 */
    bool disable_scale_in;
};

struct scaler {
    unsigned npolicies;
    struct scaler_policy policies[SCALER_POLICIES_MAX];
    double samples[SCALER_POLICIES_MAX][SCALER_IN_SAMPLES];     /* ring, NAN = missing */
    unsigned pos;               /* next slot */
    unsigned filled;            /* samples recorded, up to SCALER_IN_SAMPLES */
};

void scaler_init(struct scaler *s, const struct scaler_policy *p, unsigned n);
/* Records one second's metric for every policy (values[i], NAN when missing). */
void scaler_observe(struct scaler *s, const double *values);
/* Forgets the history (after a capacity change, samples describe another fleet). */
void scaler_reset(struct scaler *s);

struct scaler_decision {
    unsigned desired;
    int policy;                 /* the policy that decided, -1 for no change */
    double metric;              /* the mean it decided on */
};

/* The desired capacity for `current` instances (in service and pending). `warming`:
 * some instance is still warming up (blocks scale-in). */
struct scaler_decision scaler_decide(const struct scaler *s, unsigned current, unsigned min,
                                     unsigned max, bool warming);
/* AWS's capacity formula alone: clamp(ceil(current * metric / target), min, max). */
unsigned scaler_capacity(unsigned current, double metric, double target, unsigned min,
                         unsigned max);

#endif
