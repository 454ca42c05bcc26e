/*
 * fleet/refresh_plan.c: instance-refresh batches (see refresh_plan.h). Owns nothing.
 */
#include "fleet/refresh_plan.h"

unsigned
refresh_batch_size(unsigned desired, unsigned min_healthy_pct)
{
    unsigned keep = (desired * min_healthy_pct + 99) / 100;     /* ceil */

    return desired > keep ? desired - keep : 1;
}

struct refresh_step
refresh_plan_next(const struct refresh_counts *c)
{
    struct refresh_step s = { 0, 0, false };
    unsigned batch = refresh_batch_size(c->desired, c->min_healthy_pct);
    unsigned new_total = c->new_ready + c->new_pending;

    if (c->old_in_service == 0 && c->new_ready >= c->desired) {
        s.done = true;
        return s;
    }
    /* Stop as many old instances as ready replacements allow, never more. */
    if (c->old_in_service + c->new_ready > c->desired) {
        unsigned excess = c->old_in_service + c->new_ready - c->desired;
        s.terminate = excess < c->old_in_service ? excess : c->old_in_service;
    }
    /* Keep up to `batch` replacements in flight until the new version is complete. */
    if (new_total < c->desired && c->new_pending < batch) {
        unsigned want = batch - c->new_pending;
        if (want > c->desired - new_total)
            want = c->desired - new_total;
        s.launch = want;
    }
    return s;
}
