/*
 * watch/alarm_run.h: one alarm at run time: when it is due, the window of datapoints it
 * reads, and what an evaluation changes (state, reason in CloudWatch's words, the
 * actions of a transition). Pure: the caller passes the time and the datapoints, and
 * does the I/O (watch.c reads series, stores and queues deliveries).
 *
 * Cadence: every 10 s for periods under 60 s, every 60 s otherwise, over a sliding
 * window that ends at the evaluation time (period 300 evaluated at minute 6 reads
 * minutes 1-6). An evaluation ending at t runs once t + WATCH_EVAL_DELAY_S has passed,
 * so the last second's sample is in.
 */
#ifndef WATCH_ALARM_RUN_H
#define WATCH_ALARM_RUN_H
#include <stdbool.h>
#include <stdint.h>

#include "watch/alarm_eval.h"
#include "watch/internal.h"

#define ALARM_RUN_EVAL_DELAY_S 1
#define ALARM_RUN_REASON_MAX 1024
#define ALARM_RUN_POINTS_MAX 64     /* evaluation range cap: N + 2 <= 64 is read */

struct alarm_run {
    const struct watch_alarm_conf *conf;    /* borrowed from the applied watch_conf */
    enum alarm_state state;
    char reason[ALARM_RUN_REASON_MAX];
    uint64_t updated_ms;                    /* wall time of the last state change */
    int64_t last_end_s;                     /* end of the last evaluated window */
};

/* What one evaluation changed; actions are the topic names of the new state's list. */
struct alarm_transition {
    enum alarm_state old_state, new_state;
    const char *reason;                     /* borrows the alarm's reason */
    uint64_t at_ms;
    char *const *actions;
    unsigned nactions;
    int64_t end_s;                          /* the window's end */
};

/* A new alarm: INSUFFICIENT_DATA, "Unchecked: Initial alarm creation", due at once. */
void alarm_run_init(struct alarm_run *r, const struct watch_alarm_conf *conf, uint64_t now_ms);
unsigned alarm_run_cadence_s(const struct watch_alarm_conf *c);
/* The number of datapoints an evaluation reads (N + 2, capped). */
unsigned alarm_run_range(const struct watch_alarm_conf *c);
/* True when an evaluation is due at now_s; sets *end_s to the window's end. Datapoint i
 * of n covers [end - (n - i) * period, end - (n - i - 1) * period). */
bool alarm_run_due(const struct alarm_run *r, int64_t now_s, int64_t *end_s);
/* Evaluates points (n = alarm_run_range, oldest first, NAN missing) for the window ending
 * at end_s. Returns true and fills *t when the state changed (the caller must then queue
 * t->actions before it records the change); false when it did not. */
bool alarm_run_step(struct alarm_run *r, const double *points, unsigned n, int64_t end_s,
                    uint64_t now_ms, struct alarm_transition *t);

/* CloudWatch's reason text for the decision d, into buf. */
void alarm_run_reason(const struct watch_alarm_conf *c, const double *points, unsigned n,
                      int64_t end_s, const struct alarm_eval_detail *d, enum alarm_state from,
                      enum alarm_state to, char *buf, unsigned len);
/* A number as CloudWatch prints it: 80.0, 91.2, 0.125. */
void alarm_run_fmt_number(double v, char *buf, unsigned len);

#endif
