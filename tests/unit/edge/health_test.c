/*
 * tests/unit/edge/health_test.c: the target health state machine (ALB semantics, and the
 * passive-only mode), the status matcher and target names. The clock is the now_ms each
 * call is given; the prober (sockets, threads) is not exercised here.
 */
#include <string.h>

#include "check.h"
#include "edge/health.h"
#include "edge/target.h"

static struct target *
new_target(void)
{
    struct sock_addr a;
    const char *why;

    assert_int_equal(sock_addr_parse("127.0.0.1:9001", &a, &why), 0);
    struct target *t = target_new(&a, 1, false);
    assert_non_null(t);
    return t;
}

static enum target_reason
reason_of(const struct target *t)
{
    return (enum target_reason)atomic_load(&t->reason);
}

static const struct edge_health_conf active = {
    .enabled = true, .path = "/health", .interval_ms = 5000, .timeout_ms = 2000,
    .healthy_threshold = 3, .unhealthy_threshold = 2,
};

static const struct edge_health_conf passive = { .enabled = false, .unhealthy_threshold = 2 };

TEST(health_target_new_is_initial_and_named)
{
    struct target *t = new_target();

    EXPECT_STREQ(t->addr_text, "127.0.0.1:9001");
    EXPECT_EQ(target_state_get(t), TARGET_INITIAL);
    EXPECT_EQ(reason_of(t), TARGET_REASON_REGISTRATION_IN_PROGRESS);
    EXPECT_EQ(atomic_load(&t->refs), 1);
    target_ref(t);
    EXPECT_EQ(atomic_load(&t->refs), 2);
    target_release(t);
    EXPECT_EQ(atomic_load(&t->refs), 1);
    target_release(t);
    target_release(NULL);
}

TEST(health_names_are_albs)
{
    EXPECT_STREQ(target_state_name(TARGET_INITIAL), "initial");
    EXPECT_STREQ(target_state_name(TARGET_HEALTHY), "healthy");
    EXPECT_STREQ(target_state_name(TARGET_UNHEALTHY), "unhealthy");
    EXPECT_STREQ(target_state_name(TARGET_DRAINING), "draining");
    EXPECT_STREQ(target_state_name(TARGET_UNUSED), "unused");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_NONE), "");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_REGISTRATION_IN_PROGRESS),
                 "Elb.RegistrationInProgress");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_INITIAL_HEALTH_CHECKING),
                 "Elb.InitialHealthChecking");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_RESPONSE_CODE_MISMATCH),
                 "Target.ResponseCodeMismatch");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_TIMEOUT), "Target.Timeout");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_FAILED_HEALTH_CHECKS),
                 "Target.FailedHealthChecks");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_DEREGISTRATION_IN_PROGRESS),
                 "Target.DeregistrationInProgress");
    EXPECT_STREQ(target_reason_name(TARGET_REASON_NOT_REGISTERED), "Target.NotRegistered");
}

TEST(health_initial_needs_healthy_threshold_successes)
{
    struct target *t = new_target();

    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 1000));
    EXPECT_EQ(target_state_get(t), TARGET_INITIAL);
    EXPECT_EQ(reason_of(t), TARGET_REASON_INITIAL_HEALTH_CHECKING);
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 6000));
    EXPECT_EQ(target_state_get(t), TARGET_INITIAL);     /* one check is not enough */
    EXPECT_TRUE(health_apply(t, true, TARGET_REASON_NONE, &active, 11000));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_NONE);
    EXPECT_EQ(atomic_load(&t->healthy_since_ms), 11000);    /* slow start counts from here */
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 16000));
    EXPECT_EQ(atomic_load(&t->healthy_since_ms), 11000);
    target_release(t);
}

TEST(health_initial_turns_unhealthy_after_failures)
{
    struct target *t = new_target();

    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 1000));
    EXPECT_EQ(target_state_get(t), TARGET_INITIAL);
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 6000));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_TIMEOUT);
    target_release(t);
}

TEST(health_healthy_turns_unhealthy_with_last_failure_reason)
{
    struct target *t = new_target();

    for (int i = 0; i < 3; i++)
        health_apply(t, true, TARGET_REASON_NONE, &active, 1000);
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 2000));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_RESPONSE_CODE_MISMATCH, &active, 3000));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_RESPONSE_CODE_MISMATCH);
    /* Still unhealthy: the reason follows the latest failure, the state does not move. */
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &active, 4000));
    EXPECT_EQ(reason_of(t), TARGET_REASON_FAILED_HEALTH_CHECKS);
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    target_release(t);
}

TEST(health_unhealthy_recovers_after_healthy_threshold_successes)
{
    struct target *t = new_target();

    health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 1000);
    health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 6000);    /* an interval later */
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 7000));
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 8000));
    EXPECT_TRUE(health_apply(t, true, TARGET_REASON_NONE, &active, 9000));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_NONE);
    EXPECT_EQ(atomic_load(&t->healthy_since_ms), 9000);
    target_release(t);
}

TEST(health_runs_must_be_consecutive)
{
    struct target *t = new_target();

    for (int i = 0; i < 3; i++)
        health_apply(t, true, TARGET_REASON_NONE, &active, 1000);
    /* A success between failures resets the failure run. */
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 2000));
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 3000));
    EXPECT_EQ(t->hs.fail_run, 0);
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 4000));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 5000));
    /* A failure between successes resets the success run. */
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 6000));
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 7000));
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 8000));
    EXPECT_EQ(t->hs.ok_run, 0);
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 9000));
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &active, 10000));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_TRUE(health_apply(t, true, TARGET_REASON_NONE, &active, 11000));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    target_release(t);
}

TEST(health_draining_and_unused_never_change)
{
    struct target *t = new_target();
    enum target_state frozen[] = { TARGET_DRAINING, TARGET_UNUSED };

    for (unsigned k = 0; k < 2; k++) {
        atomic_store(&t->state, (uint8_t)frozen[k]);
        atomic_store(&t->reason, (uint8_t)TARGET_REASON_DEREGISTRATION_IN_PROGRESS);
        for (int i = 0; i < 12; i++) {
            EXPECT_FALSE(health_apply(t, i % 6 < 3, TARGET_REASON_TIMEOUT, &active, 1000));
            EXPECT_FALSE(health_apply(t, i % 6 < 3, TARGET_REASON_TIMEOUT, &passive, 1000));
            EXPECT_FALSE(health_tick(t, &passive, 100000));
            EXPECT_FALSE(health_tick(t, &active, 100000));
        }
        EXPECT_EQ(target_state_get(t), frozen[k]);
        EXPECT_EQ(reason_of(t), TARGET_REASON_DEREGISTRATION_IN_PROGRESS);
    }
    target_release(t);
}

TEST(health_passive_only_ejects_and_retries_on_probation)
{
    struct target *t = new_target();

    atomic_store(&t->state, (uint8_t)TARGET_HEALTHY);   /* as the registry creates it */
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, 1000));
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, 1500));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_FAILED_HEALTH_CHECKS);
    EXPECT_EQ(t->hs.retry_at_ms, 1500 + HEALTH_RETRY_MS);
    /* Late results while ejected move no state; only time brings it back. */
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, 2000));
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &passive, 2100));
    EXPECT_FALSE(health_tick(t, &passive, 1500 + HEALTH_RETRY_MS - 1));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_TRUE(health_tick(t, &passive, 1500 + HEALTH_RETRY_MS));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_EQ(atomic_load(&t->healthy_since_ms), 1500 + HEALTH_RETRY_MS);
    /* Probation: one more failure ejects it again. */
    uint64_t now = 1500 + HEALTH_RETRY_MS + 10;
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, now));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_EQ(t->hs.retry_at_ms, now + HEALTH_RETRY_MS);
    /* Back again; a success ends probation, so one failure is no longer enough. */
    now += HEALTH_RETRY_MS;
    EXPECT_TRUE(health_tick(t, &passive, now));
    EXPECT_FALSE(health_apply(t, true, TARGET_REASON_NONE, &passive, now + 1));
    EXPECT_EQ(t->hs.fail_run, 0);
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, now + 2));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_FALSE(health_tick(t, &passive, now + 3));
    target_release(t);
}

TEST(health_passive_only_treats_initial_as_healthy)
{
    struct target *t = new_target();

    /* Failures count from the start, as for a healthy target. */
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, 10));
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &passive, 20));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    target_release(t);

    /* And the tick promotes it: no check will. */
    t = new_target();
    EXPECT_TRUE(health_tick(t, &passive, 30));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_NONE);
    EXPECT_EQ(atomic_load(&t->healthy_since_ms), 30);
    target_release(t);
}

TEST(health_tick_changes_nothing_with_active_checks)
{
    struct target *t = new_target();

    EXPECT_FALSE(health_tick(t, &active, 1000000));
    EXPECT_EQ(target_state_get(t), TARGET_INITIAL);
    health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 1000);
    health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 6000);
    EXPECT_FALSE(health_tick(t, &active, 1000000));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    target_release(t);
}

TEST(health_matcher_ranges)
{
    struct edge_health_conf hc = { .enabled = true };

    /* No matcher: "200". */
    EXPECT_TRUE(health_matcher_ok(&hc, 200));
    EXPECT_FALSE(health_matcher_ok(&hc, 201));
    EXPECT_FALSE(health_matcher_ok(&hc, 500));

    /* "200" */
    hc.nmatchers = 1;
    hc.matcher_lo[0] = hc.matcher_hi[0] = 200;
    EXPECT_TRUE(health_matcher_ok(&hc, 200));
    EXPECT_FALSE(health_matcher_ok(&hc, 204));

    /* "200,202" */
    hc.nmatchers = 2;
    hc.matcher_lo[1] = hc.matcher_hi[1] = 202;
    EXPECT_TRUE(health_matcher_ok(&hc, 200));
    EXPECT_FALSE(health_matcher_ok(&hc, 201));
    EXPECT_TRUE(health_matcher_ok(&hc, 202));
    EXPECT_FALSE(health_matcher_ok(&hc, 203));

    /* "200-399" */
    hc.nmatchers = 1;
    hc.matcher_lo[0] = 200;
    hc.matcher_hi[0] = 399;
    EXPECT_FALSE(health_matcher_ok(&hc, 199));
    EXPECT_TRUE(health_matcher_ok(&hc, 200));
    EXPECT_TRUE(health_matcher_ok(&hc, 302));
    EXPECT_TRUE(health_matcher_ok(&hc, 399));
    EXPECT_FALSE(health_matcher_ok(&hc, 400));
    EXPECT_FALSE(health_matcher_ok(&hc, 0));
}

/* A new target is probed every HEALTH_INITIAL_INTERVAL_MS, faster than its interval, but
 * turns unhealthy no sooner than on ALB: its failures count once per interval. */
TEST(health_initial_failures_count_once_per_interval)
{
    struct target *t = new_target();

    for (uint64_t ms = 1000; ms < 6000; ms += HEALTH_INITIAL_INTERVAL_MS) {
        EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &active, ms));
        EXPECT_EQ(target_state_get(t), TARGET_INITIAL);
        EXPECT_EQ(reason_of(t), TARGET_REASON_INITIAL_HEALTH_CHECKING);
        EXPECT_EQ(t->hs.fail_run, 1);
    }
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &active, 6000));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    EXPECT_EQ(reason_of(t), TARGET_REASON_FAILED_HEALTH_CHECKS);
    target_release(t);

    /* A success in between starts the count over; successes count at any pace. */
    t = new_target();
    health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &active, 1000);
    health_apply(t, true, TARGET_REASON_NONE, &active, 1500);
    EXPECT_FALSE(health_apply(t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, &active, 6000));
    EXPECT_EQ(target_state_get(t), TARGET_INITIAL);
    health_apply(t, true, TARGET_REASON_NONE, &active, 6500);
    health_apply(t, true, TARGET_REASON_NONE, &active, 7000);
    EXPECT_TRUE(health_apply(t, true, TARGET_REASON_NONE, &active, 7500));
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    /* Once it has a verdict, failures count at the pace they come. */
    health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 8000);
    EXPECT_TRUE(health_apply(t, false, TARGET_REASON_TIMEOUT, &active, 8100));
    EXPECT_EQ(target_state_get(t), TARGET_UNHEALTHY);
    target_release(t);
}

/* An initial target is judged by its checks alone: failures on live traffic (a refused
 * connect while the app starts) neither count while it is initial nor after its first
 * verdict; from then on they count. */
TEST(health_initial_ignores_live_traffic_failures)
{
    struct target *t = new_target();

    atomic_store(&t->passive_failures, 5);
    EXPECT_EQ(health_passive_take(t, &active), 0);
    EXPECT_EQ(atomic_load(&t->passive_failures), 0);
    /* Counted while initial, folded only after the verdict: still discarded. */
    atomic_store(&t->passive_failures, 7);
    for (uint64_t ms = 1000; ms <= 3000; ms += 1000)
        health_apply(t, true, TARGET_REASON_NONE, &active, ms);
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    EXPECT_EQ(health_passive_take(t, &active), 0);
    /* Healthy: live failures count. */
    atomic_store(&t->passive_failures, 2);
    EXPECT_EQ(health_passive_take(t, &active), 2);
    EXPECT_EQ(health_passive_take(t, &active), 0);
    target_release(t);

    /* Passive-only groups have no checks to wait for: failures always count. */
    t = new_target();
    atomic_store(&t->passive_failures, 3);
    EXPECT_EQ(health_passive_take(t, &passive), 3);
    target_release(t);
}
