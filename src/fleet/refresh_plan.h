/*
 * fleet/refresh_plan.h: the batch planner of an instance refresh (rolling deploy).
 * Pure: given how many old and new instances exist and in which state, says how many
 * new ones to launch and old ones to stop now.
 *
 * tierd launches before it terminates (ALB users call this "launch before
 * terminating"): replacements start first, and an old instance is drained and stopped
 * only when a new one has passed its health checks and warm-up. Healthy capacity thus
 * stays at the desired capacity except for old instances already draining; the
 * min_healthy_percentage sets how many replacements run at once:
 *   batch = max(1, desired - ceil(desired * min_healthy / 100))
 * (AWS's examples: desired 10, 80 % -> 2 at a time; 90 % -> 1; 100 % -> 1.)
 */
#ifndef FLEET_REFRESH_PLAN_H
#define FLEET_REFRESH_PLAN_H
#include <stdbool.h>

struct refresh_counts {
    unsigned desired;
    unsigned min_healthy_pct;   /* 0..100 */
    unsigned old_in_service;    /* old version, serving, not yet told to stop */
    unsigned new_ready;         /* new version, healthy and warmed up */
    unsigned new_pending;       /* new version, launching or warming up */
};

struct refresh_step {
    unsigned launch;            /* new instances to start now */
    unsigned terminate;         /* old instances to drain and stop now */
    bool done;                  /* nothing old is left and the new ones are ready */
};

unsigned refresh_batch_size(unsigned desired, unsigned min_healthy_pct);
struct refresh_step refresh_plan_next(const struct refresh_counts *c);

#endif
