/* tests/unit/watch/alarm_eval_test.c: CloudWatch alarm evaluation against the table in
 * aws-semantics.md 3.2 (every row, every treat_missing_data mode), the premature-alarm
 * guard, each comparison, and M-of-N without gaps. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "watch/alarm_eval.h"

#define X 90.0          /* breaching (threshold 80, greater_than) */
#define O 10.0          /* not breaching */
#define _ NAN           /* missing */
#define KEEP 99         /* "keep state" in the table */

struct row {
    unsigned m, n;
    double pts[5];
    int want[4];        /* missing, ignore, breaching, not_breaching */
};

static const struct row table[] = {
    { 3, 3, { O, _, X, _, X }, { ALARM_STATE_OK, ALARM_STATE_OK, ALARM_STATE_OK, ALARM_STATE_OK } },
    { 3, 3, { O, _, _, _, _ }, { ALARM_STATE_OK, ALARM_STATE_OK, ALARM_STATE_OK, ALARM_STATE_OK } },
    { 3, 3, { _, _, _, _, _ }, { ALARM_STATE_INSUFFICIENT_DATA, KEEP, ALARM_STATE_ALARM, ALARM_STATE_OK } },
    { 3, 3, { O, X, X, _, X }, { ALARM_STATE_ALARM, ALARM_STATE_ALARM, ALARM_STATE_ALARM, ALARM_STATE_ALARM } },
    { 3, 3, { _, _, X, _, _ }, { ALARM_STATE_ALARM, KEEP, ALARM_STATE_ALARM, ALARM_STATE_OK } },
    { 2, 3, { O, _, X, _, X }, { ALARM_STATE_ALARM, ALARM_STATE_ALARM, ALARM_STATE_ALARM, ALARM_STATE_ALARM } },
    { 2, 3, { O, _, X, _, _ }, { ALARM_STATE_OK, ALARM_STATE_OK, ALARM_STATE_ALARM, ALARM_STATE_OK } },
    { 2, 3, { _, _, _, _, O }, { ALARM_STATE_OK, ALARM_STATE_OK, ALARM_STATE_ALARM, ALARM_STATE_OK } },
    { 2, 3, { _, _, _, X, _ }, { ALARM_STATE_ALARM, KEEP, ALARM_STATE_ALARM, ALARM_STATE_OK } },
};

static const enum alarm_missing modes[4] = {
    ALARM_MISSING_MISSING, ALARM_MISSING_IGNORE, ALARM_MISSING_BREACHING,
    ALARM_MISSING_NOT_BREACHING,
};

TEST(alarm_eval_matches_the_missing_data_table)
{
    struct alarm_eval_detail d;

    for (unsigned r = 0; r < sizeof(table) / sizeof(table[0]); r++)
        for (unsigned k = 0; k < 4; k++) {
            struct alarm_rule rule = { ALARM_CMP_GT, 80, table[r].n, table[r].m, modes[k] };
            /* "keep state" must keep whatever the state was: try two different ones. */
            enum alarm_state from[2] = { ALARM_STATE_OK, ALARM_STATE_ALARM };
            for (int f = 0; f < 2; f++) {
                enum alarm_state got = alarm_evaluate(&rule, table[r].pts, 5, from[f], &d);
                int want = table[r].want[k] == KEEP ? (int)from[f] : table[r].want[k];
                if ((int)got != want)
                    fail_msg("row %u mode %u from %s: got %s, want %s", r + 1, k,
                             alarm_state_name(from[f]), alarm_state_name(got),
                             alarm_state_name((enum alarm_state)want));
            }
        }
}

TEST(alarm_eval_premature_alarm_guard)
{
    struct alarm_rule rule = { ALARM_CMP_GT, 80, 3, 3, ALARM_MISSING_MISSING };
    struct alarm_eval_detail d;
    double a[5] = { _, _, _, _, X }, b[5] = { _, _, _, X, _ };

    EXPECT_EQ(alarm_evaluate(&rule, a, 5, ALARM_STATE_INSUFFICIENT_DATA, &d),
              ALARM_STATE_INSUFFICIENT_DATA);
    EXPECT_TRUE(d.kept);
    EXPECT_EQ(alarm_evaluate(&rule, b, 5, ALARM_STATE_OK, &d), ALARM_STATE_OK);
}

TEST(alarm_eval_m_of_n_and_comparisons)
{
    struct alarm_eval_detail d;
    struct alarm_rule r = { ALARM_CMP_GT, 80, 3, 2, ALARM_MISSING_MISSING };
    double two_of_three[5] = { O, O, X, O, X };     /* newest 3: X O X */

    EXPECT_EQ(alarm_evaluate(&r, two_of_three, 5, ALARM_STATE_OK, &d), ALARM_STATE_ALARM);
    EXPECT_EQ(d.breaching, 2);
    EXPECT_EQ(d.considered, 3);
    EXPECT_EQ(d.used[0], 4);                        /* newest first */
    /* Back to OK once the last N no longer hold M breaches. */
    double recovering[5] = { O, X, O, X, O };       /* newest 3: O X O, one breach */
    EXPECT_EQ(alarm_evaluate(&r, recovering, 5, ALARM_STATE_ALARM, &d), ALARM_STATE_OK);
    /* N = M = 3: one good point among the last 3 is OK. */
    struct alarm_rule r3 = { ALARM_CMP_GT, 80, 3, 3, ALARM_MISSING_MISSING };
    double xxo[5] = { X, X, X, X, O };
    EXPECT_EQ(alarm_evaluate(&r3, xxo, 5, ALARM_STATE_ALARM, &d), ALARM_STATE_OK);
    /* Comparisons, on the threshold itself. */
    struct alarm_rule c = { ALARM_CMP_GT, 80, 1, 1, ALARM_MISSING_MISSING };
    EXPECT_FALSE(alarm_breaches(&c, 80));
    c.cmp = ALARM_CMP_GE;
    EXPECT_TRUE(alarm_breaches(&c, 80));
    c.cmp = ALARM_CMP_LT;
    EXPECT_FALSE(alarm_breaches(&c, 80));
    EXPECT_TRUE(alarm_breaches(&c, 79.9));
    c.cmp = ALARM_CMP_LE;
    EXPECT_TRUE(alarm_breaches(&c, 80));
    EXPECT_FALSE(alarm_breaches(&c, 80.1));
    EXPECT_STREQ(alarm_cmp_words(ALARM_CMP_GE), "greater than or equal to");
    EXPECT_STREQ(alarm_state_name(ALARM_STATE_INSUFFICIENT_DATA), "INSUFFICIENT_DATA");
}
