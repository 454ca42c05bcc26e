/* tests/unit/fleet/scaler_test.c: target tracking on AWS's worked examples, step loads
 * and oscillating loads; the refresh batch planner. One sample = one second. */
#include <math.h>

#include "check.h"
#include "fleet/refresh_plan.h"
#include "fleet/scaler.h"

TEST(scaler_capacity_matches_the_aws_worked_examples)
{
    /* TargetValue 50 % CPU, Min 2, Max 10 (aws-semantics.md 2.6). */
    EXPECT_EQ(scaler_capacity(4, 90, 50, 2, 10), 8);
    EXPECT_EQ(scaler_capacity(3, 60, 50, 2, 10), 4);
    EXPECT_EQ(scaler_capacity(8, 95, 50, 2, 10), 10);
    EXPECT_EQ(scaler_capacity(10, 40, 50, 2, 10), 8);
    EXPECT_EQ(scaler_capacity(10, 42, 50, 2, 10), 9);
    EXPECT_EQ(scaler_capacity(3, 44, 50, 2, 10), 3);
    EXPECT_EQ(scaler_capacity(3, 20, 50, 2, 10), 2);
}

static void
feed(struct scaler *s, double v, int seconds)
{
    for (int i = 0; i < seconds; i++)
        scaler_observe(s, &v);
}

TEST(scaler_scales_out_within_three_seconds_of_a_step)
{
    struct scaler_policy p = { .target = 50 };
    struct scaler s;

    scaler_init(&s, &p, 1);
    feed(&s, 20, 30);
    EXPECT_EQ(scaler_decide(&s, 2, 2, 8, false).desired, 2);
    feed(&s, 95, 2);
    EXPECT_EQ(scaler_decide(&s, 2, 2, 8, false).desired, 2);   /* 2 of 3: not yet */
    feed(&s, 95, 1);
    struct scaler_decision d = scaler_decide(&s, 2, 2, 8, false);
    EXPECT_EQ(d.desired, 4);                                    /* ceil(2 * 95 / 50) */
    EXPECT_EQ(d.policy, 0);
    /* A single spike inside the window is not sustained load. */
    scaler_reset(&s);
    feed(&s, 20, 10);
    feed(&s, 99, 1);
    feed(&s, 20, 2);
    EXPECT_EQ(scaler_decide(&s, 2, 2, 8, false).desired, 2);
}

TEST(scaler_scales_in_only_after_a_minute_below_ninety_percent)
{
    struct scaler_policy p = { .target = 50 };
    struct scaler s;

    scaler_init(&s, &p, 1);
    feed(&s, 10, 59);
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, false).desired, 6);   /* 59 s: not yet */
    feed(&s, 10, 1);
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, false).desired, 2);   /* ceil(6*10/50)=2 */
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, true).desired, 6);    /* warming: blocked */
    /* Just under target but above 90 % of it: no scale-in (the hysteresis band). */
    scaler_reset(&s);
    feed(&s, 46, 120);
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, false).desired, 6);
    /* Removing one would push the metric over target: no change (3 at 44 %). */
    scaler_reset(&s);
    feed(&s, 44, 60);
    EXPECT_EQ(scaler_decide(&s, 3, 2, 10, false).desired, 3);
}

TEST(scaler_never_flaps_on_an_oscillating_load)
{
    struct scaler_policy p = { .target = 50 };
    struct scaler s;
    unsigned current = 4, changes = 0, last = 4;

    scaler_init(&s, &p, 1);
    /* 20 s at 45 %, 20 s at 30 %, for ten minutes: around target, never above it. */
    for (int t = 0; t < 600; t++) {
        double v = (t / 20) % 2 ? 30 : 45;
        scaler_observe(&s, &v);
        unsigned d = scaler_decide(&s, current, 2, 8, false).desired;
        if (d != last)
            changes++;
        last = current = d;
    }
    EXPECT_EQ(changes, 0);
    /* 20 s at 90 %, 20 s at 10 %: scales out on the peaks, never back in (the lows never
     * last the minute scale-in needs), so capacity only grows, up to max. */
    scaler_reset(&s);
    current = 2;
    unsigned downs = 0;
    for (int t = 0; t < 600; t++) {
        double v = (t / 20) % 2 ? 10 : 90;
        scaler_observe(&s, &v);
        unsigned d = scaler_decide(&s, current, 2, 8, false).desired;
        if (d < current)
            downs++;
        if (d != current)
            scaler_reset(&s);   /* as the fleet does after a capacity change */
        current = d;
    }
    EXPECT_EQ(downs, 0);
    EXPECT_TRUE(current > 2);
}

TEST(scaler_several_policies_out_if_any_in_only_if_all)
{
    struct scaler_policy p[2] = { { .target = 50 }, { .target = 200 } };
    struct scaler s;
    double hi_cpu_low_rps[2] = { 90, 50 };
    double low_both[2] = { 10, 20 };
    double low_cpu_mid_rps[2] = { 10, 195 };

    scaler_init(&s, p, 2);
    for (int i = 0; i < 3; i++)
        scaler_observe(&s, hi_cpu_low_rps);
    EXPECT_EQ(scaler_decide(&s, 2, 2, 8, false).desired, 4);   /* cpu wants out */
    scaler_reset(&s);
    for (int i = 0; i < 60; i++)
        scaler_observe(&s, low_cpu_mid_rps);
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, false).desired, 6);   /* rps disagrees */
    scaler_reset(&s);
    for (int i = 0; i < 60; i++)
        scaler_observe(&s, low_both);
    /* cpu: ceil(6*10/50) = 2; rps: ceil(6*20/200) = 1 -> 2: the largest wins. */
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, false).desired, 2);
    /* Missing data abstains: no scaling at all. */
    scaler_reset(&s);
    double missing[2] = { NAN, NAN };
    for (int i = 0; i < 60; i++)
        scaler_observe(&s, missing);
    EXPECT_EQ(scaler_decide(&s, 6, 2, 8, false).desired, 6);
    /* Outside its bounds a group is corrected even without a decision. */
    EXPECT_EQ(scaler_decide(&s, 1, 2, 8, false).desired, 2);
    EXPECT_EQ(scaler_decide(&s, 9, 2, 8, false).desired, 8);
}

TEST(refresh_batches_follow_min_healthy_percentage)
{
    EXPECT_EQ(refresh_batch_size(10, 80), 2);
    EXPECT_EQ(refresh_batch_size(10, 90), 1);
    EXPECT_EQ(refresh_batch_size(10, 100), 1);
    EXPECT_EQ(refresh_batch_size(4, 50), 2);
    EXPECT_EQ(refresh_batch_size(2, 50), 1);
    EXPECT_EQ(refresh_batch_size(10, 0), 10);
}

TEST(refresh_plan_launches_before_it_terminates)
{
    /* desired 4, 50 %: two replacements at a time; old ones stop only for ready new ones. */
    struct refresh_counts c = { .desired = 4, .min_healthy_pct = 50, .old_in_service = 4 };
    struct refresh_step s = refresh_plan_next(&c);
    EXPECT_EQ(s.launch, 2);
    EXPECT_EQ(s.terminate, 0);
    c.new_pending = 2;
    s = refresh_plan_next(&c);
    EXPECT_EQ(s.launch, 0);
    EXPECT_EQ(s.terminate, 0);             /* nothing ready yet: keep all old serving */
    c.new_pending = 1;
    c.new_ready = 1;
    s = refresh_plan_next(&c);
    EXPECT_EQ(s.terminate, 1);             /* one ready replacement -> one old stops */
    EXPECT_EQ(s.launch, 1);                /* and the batch refills */
    c.old_in_service = 3;
    c.new_pending = 2;
    s = refresh_plan_next(&c);
    EXPECT_EQ(s.terminate, 0);
    EXPECT_EQ(s.launch, 0);                /* 1 ready + 2 pending + ... = batch in flight */
    c.old_in_service = 0;
    c.new_pending = 0;
    c.new_ready = 4;
    EXPECT_TRUE(refresh_plan_next(&c).done);
    /* Healthy capacity never falls below desired - draining: at every step, old serving +
     * new ready >= desired whenever enough instances exist. Simulate to the end. */
    struct refresh_counts sim = { .desired = 5, .min_healthy_pct = 60, .old_in_service = 5 };
    unsigned pending_age[16] = { 0 }, npend = 0;
    for (int tick = 0; tick < 100; tick++) {
        s = refresh_plan_next(&sim);
        if (s.done)
            break;
        EXPECT_TRUE(sim.old_in_service - s.terminate + sim.new_ready >= sim.desired ||
                    sim.new_ready + sim.old_in_service <= sim.desired);
        sim.old_in_service -= s.terminate;
        for (unsigned k = 0; k < s.launch; k++)
            pending_age[npend++] = 0;
        sim.new_pending += s.launch;
        for (unsigned k = 0; k < npend;) {     /* each replacement is ready 3 ticks later */
            if (++pending_age[k] >= 3) {
                pending_age[k] = pending_age[--npend];
                sim.new_pending--;
                sim.new_ready++;
            } else {
                k++;
            }
        }
    }
    EXPECT_EQ(sim.old_in_service, 0);
    EXPECT_EQ(sim.new_ready, 5);
}
