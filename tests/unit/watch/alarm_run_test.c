/* tests/unit/watch/alarm_run_test.c: the alarm runtime with an injected clock: cadence and
 * windows, transitions with their actions (only on a change of state), and CloudWatch's
 * reason text. */
#include "watch/alarm_run.h"

#include <math.h>
#include <string.h>

#include "check.h"

/* 2025-01-10 09:21:00 UTC */
#define NOW 1736500860

static char *ops[] = { "ops" };
static char *okt[] = { "ok-topic" };

static struct watch_alarm_conf
conf_m_of_n(unsigned m, unsigned n, uint64_t period_s)
{
    struct watch_alarm_conf c;

    memset(&c, 0, sizeof(c));
    c.name = "high-cpu";
    c.metric = "cpu_utilization";
    c.period_s = period_s;
    c.rule = (struct alarm_rule){ ALARM_CMP_GT, 80, n, m, ALARM_MISSING_MISSING };
    c.actions[ALARM_STATE_ALARM][0] = ops[0];
    c.nactions[ALARM_STATE_ALARM] = 1;
    c.actions[ALARM_STATE_OK][0] = okt[0];
    c.nactions[ALARM_STATE_OK] = 1;
    c.hash = "h";
    return c;
}

TEST(watch_alarm_run_cadence_and_windows)
{
    struct watch_alarm_conf c = conf_m_of_n(2, 3, 60), fast = conf_m_of_n(1, 1, 10);
    struct alarm_run r;
    int64_t end;

    alarm_run_init(&r, &c, (uint64_t)NOW * 1000);
    EXPECT_EQ(r.state, ALARM_STATE_INSUFFICIENT_DATA);
    EXPECT_STREQ(r.reason, "Unchecked: Initial alarm creation");
    EXPECT_EQ(alarm_run_range(&c), 5);
    EXPECT_EQ(alarm_run_cadence_s(&c), 60);
    EXPECT_EQ(alarm_run_cadence_s(&fast), 10);
    /* Due at once (a new alarm), for the window that ends at the last whole minute. */
    EXPECT_TRUE(alarm_run_due(&r, NOW + 1, &end));
    EXPECT_EQ(end, NOW);
    r.last_end_s = end;
    EXPECT_FALSE(alarm_run_due(&r, NOW + 30, &end));
    EXPECT_FALSE(alarm_run_due(&r, NOW + 60, &end));    /* the last second is not in yet */
    EXPECT_TRUE(alarm_run_due(&r, NOW + 61, &end));
    EXPECT_EQ(end, NOW + 60);
    /* Sub-minute periods every 10 s. */
    alarm_run_init(&r, &fast, 0);
    r.last_end_s = NOW;
    EXPECT_TRUE(alarm_run_due(&r, NOW + 11, &end));
    EXPECT_EQ(end, NOW + 10);
}

TEST(watch_alarm_run_actions_only_on_transitions)
{
    struct watch_alarm_conf c = conf_m_of_n(2, 3, 60);
    struct alarm_run r;
    struct alarm_transition t;
    double hot[5] = { 10, 20, 91.2, 50, 88.7 };
    double cool[5] = { 10, 20, 30, 40, 50 };
    double none[5] = { NAN, NAN, NAN, NAN, NAN };
    int64_t now = NOW, end;
    unsigned alarms = 0, oks = 0;

    alarm_run_init(&r, &c, (uint64_t)now * 1000);
    /* Ten minutes of breaching data, then ten of normal data, then nothing. */
    for (int minute = 0; minute < 30; minute++, now += 60) {
        const double *p = minute < 10 ? hot : minute < 20 ? cool : none;
        if (!alarm_run_due(&r, now + 1, &end))
            fail_msg("minute %d: not due", minute);
        if (alarm_run_step(&r, p, 5, end, (uint64_t)(now + 1) * 1000, &t)) {
            EXPECT_EQ(t.nactions, t.new_state == ALARM_STATE_INSUFFICIENT_DATA ? 0 : 1);
            alarms += t.new_state == ALARM_STATE_ALARM;
            oks += t.new_state == ALARM_STATE_OK;
            if (minute == 0) {
                EXPECT_EQ(t.old_state, ALARM_STATE_INSUFFICIENT_DATA);
                EXPECT_STREQ(t.actions[0], "ops");
            }
            if (minute == 10)
                EXPECT_STREQ(t.actions[0], "ok-topic");
        }
        EXPECT_FALSE(alarm_run_step(&r, p, 5, end, (uint64_t)(now + 2) * 1000, &t));
    }
    EXPECT_EQ(alarms, 1);
    EXPECT_EQ(oks, 1);
    EXPECT_EQ(r.state, ALARM_STATE_INSUFFICIENT_DATA);
    EXPECT_STREQ(r.reason, "Insufficient Data: 5 datapoints were unknown.");
}

TEST(watch_alarm_run_reason_in_cloudwatch_words)
{
    struct watch_alarm_conf c = conf_m_of_n(2, 3, 60);
    struct alarm_run r;
    struct alarm_transition t;
    /* Window ends 09:21:00: points start 09:16, 09:17, 09:18, 09:19, 09:20. */
    double p[5] = { 10, 20, 88.7, 50, 91.2 };

    alarm_run_init(&r, &c, 0);
    r.state = ALARM_STATE_OK;
    EXPECT_TRUE(alarm_run_step(&r, p, 5, NOW, 1, &t));
    EXPECT_STREQ(t.reason, "Threshold Crossed: 2 out of the last 3 datapoints [91.2 (10/01/25 "
                           "09:20:00), 88.7 (10/01/25 09:18:00)] were greater than the "
                           "threshold (80.0) (minimum 2 datapoints for OK -> ALARM "
                           "transition).");
    double q[5] = { 10, 20, 30, 40, 50 };
    EXPECT_TRUE(alarm_run_step(&r, q, 5, NOW + 60, 2, &t));
    EXPECT_STREQ(t.reason, "Threshold Crossed: 3 out of the last 3 datapoints [50.0 (10/01/25 "
                           "09:21:00), 40.0 (10/01/25 09:20:00), 30.0 (10/01/25 09:19:00)] were "
                           "not greater than the threshold (80.0) (minimum 2 datapoints for "
                           "ALARM -> OK transition).");
    struct watch_alarm_conf one = conf_m_of_n(1, 1, 60);
    one.rule.cmp = ALARM_CMP_GE;
    one.rule.threshold = 0.5;
    alarm_run_init(&r, &one, 0);
    r.state = ALARM_STATE_ALARM;
    double z[3] = { NAN, NAN, 0.125 };
    EXPECT_TRUE(alarm_run_step(&r, z, 3, NOW, 1, &t));
    EXPECT_STREQ(t.reason, "Threshold Crossed: 1 out of the last 1 datapoint [0.125 (10/01/25 "
                           "09:20:00)] was not greater than or equal to the threshold (0.5) "
                           "(minimum 1 datapoint for ALARM -> OK transition).");
}
