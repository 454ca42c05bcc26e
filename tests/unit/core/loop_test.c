/* tests/unit/core/loop_test.c: timers fire in deadline order; deferred calls in queue order. */
#include "core/loop.h"

#include <stddef.h>

#include "check.h"

static int fired[16];
static int nfired;
static struct loop_timer timers[8];

static void
on_timer(struct loop *l, struct loop_timer *t)
{
    fired[nfired++] = (int)(t - timers);
    if (nfired == 5)
        loop_stop(l);
}

TEST(loop_timers_fire_in_deadline_order)
{
    struct loop *l = loop_new();
    int order[] = { 30, 10, 50, 20, 40, 60 };

    nfired = 0;
    for (int i = 0; i < 6; i++)
        loop_timer_start(l, &timers[i], (uint64_t)order[i], on_timer);
    loop_timer_stop(l, &timers[5]);            /* cancelled: never fires */
    loop_timer_start(l, &timers[2], 5, on_timer);   /* re-armed earlier */
    EXPECT_FALSE(loop_timer_is_armed(&timers[5]));
    EXPECT_EQ(loop_run(l), 0);
    int want[] = { 2, 1, 3, 0, 4 };
    for (int i = 0; i < 5; i++)
        EXPECT_EQ(fired[i], want[i]);
    loop_free(l);
}

static struct loop_defer defers[3];
static int dorder[3], nd;

static void
on_defer(struct loop *l, struct loop_defer *d)
{
    (void)l;
    dorder[nd++] = (int)(d - defers);
}

TEST(loop_deferred_calls_run_once_in_queue_order)
{
    struct loop *l = loop_new();

    nd = 0;
    loop_defer(l, &defers[2], on_defer);
    loop_defer(l, &defers[0], on_defer);
    loop_defer(l, &defers[2], on_defer);       /* already queued: runs once */
    loop_defer(l, &defers[1], on_defer);
    loop_flush_deferred(l);
    EXPECT_EQ(nd, 3);
    EXPECT_EQ(dorder[0], 2);
    EXPECT_EQ(dorder[1], 0);
    EXPECT_EQ(dorder[2], 1);
    loop_free(l);
}
