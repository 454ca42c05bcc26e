/*
 * tests/unit/edge/initwait_test.c: the queue of requests waiting for a starting target
 * group (order, the per-group limit, removal of a client that went away), how the limit
 * is split between workers, and the Retry-After of the 503 that ends a wait. The worker
 * glue (timer, resuming) is exercised end to end by tests/e2e/edge/test_tg_initial_wait.py.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "edge/edge_conf.h"
#include "edge/health.h"
#include "edge/initwait.h"

static unsigned
order(const struct initwait_q *q, const struct initwait_node *base, int *out, unsigned max)
{
    unsigned k = 0;

    for (const struct initwait_node *n = q->head; n && k < max; n = n->next)
        out[k++] = (int)(n - base);
    return k;
}

TEST(initwait_queue_keeps_order_and_limits_each_group)
{
    struct initwait_q q;
    struct initwait_node nodes[6];
    int got[6];

    memset(&q, 0, sizeof(q));
    memset(nodes, 0, sizeof(nodes));
    /* Group 3 may hold two, group 7 two as well: the limit is per group. */
    EXPECT_EQ(initwait_q_push(&q, &nodes[0], 3, 2, 1000), 0);
    EXPECT_EQ(initwait_q_push(&q, &nodes[1], 7, 2, 1100), 0);
    EXPECT_EQ(initwait_q_push(&q, &nodes[2], 3, 2, 1200), 0);
    EXPECT_EQ(initwait_q_push(&q, &nodes[3], 3, 2, 1300), -EAGAIN);   /* group 3 is full */
    EXPECT_FALSE(nodes[3].queued);
    EXPECT_EQ(initwait_q_push(&q, &nodes[4], 7, 2, 1400), 0);
    EXPECT_EQ(q.n, 4);
    EXPECT_EQ(q.per_group[3], 2);
    EXPECT_EQ(q.per_group[7], 2);
    EXPECT_EQ(order(&q, nodes, got, 6), 4);
    EXPECT_TRUE(got[0] == 0 && got[1] == 1 && got[2] == 2 && got[3] == 4);
    EXPECT_EQ(nodes[2].deadline_ms, 1200);
    EXPECT_EQ(nodes[2].group, 3);

    /* A client that went away leaves from the middle; its group has room again. */
    initwait_q_remove(&q, &nodes[2]);
    EXPECT_FALSE(nodes[2].queued);
    initwait_q_remove(&q, &nodes[2]);                 /* twice is harmless */
    initwait_q_remove(&q, &nodes[3]);                 /* never queued: harmless */
    EXPECT_EQ(q.n, 3);
    EXPECT_EQ(q.per_group[3], 1);
    EXPECT_EQ(initwait_q_push(&q, &nodes[5], 3, 2, 1500), 0);
    EXPECT_EQ(order(&q, nodes, got, 6), 4);
    EXPECT_TRUE(got[0] == 0 && got[1] == 1 && got[2] == 4 && got[3] == 5);

    /* Head and tail leave too, down to an empty queue. */
    initwait_q_remove(&q, &nodes[0]);
    initwait_q_remove(&q, &nodes[5]);
    EXPECT_EQ(order(&q, nodes, got, 6), 2);
    EXPECT_TRUE(got[0] == 1 && got[1] == 4);
    EXPECT_TRUE(q.tail == &nodes[4]);
    initwait_q_remove(&q, &nodes[1]);
    initwait_q_remove(&q, &nodes[4]);
    EXPECT_EQ(q.n, 0);
    EXPECT_TRUE(q.head == NULL && q.tail == NULL);
    EXPECT_EQ(q.per_group[3], 0);
    EXPECT_EQ(q.per_group[7], 0);
}

TEST(initwait_cap_splits_the_limit_between_workers)
{
    EXPECT_EQ(initwait_cap(1), INITWAIT_MAX);
    EXPECT_EQ(initwait_cap(2), INITWAIT_MAX / 2);
    EXPECT_EQ(initwait_cap(3) * 3 <= INITWAIT_MAX, 1);
    EXPECT_EQ(initwait_cap(256), INITWAIT_MAX / 256);
    EXPECT_EQ(initwait_cap(4096), 1);                 /* never none */
    EXPECT_EQ(initwait_cap(0), INITWAIT_MAX);
}

TEST(initwait_retry_after_is_the_initial_checks_time)
{
    struct edge_tg_conf tc;

    memset(&tc, 0, sizeof(tc));
    tc.health.enabled = true;
    tc.health.interval_ms = 30000;
    tc.health.healthy_threshold = 5;    /* ALB's default: 5 probes, 500 ms apart */
    EXPECT_EQ(initwait_retry_after_s(&tc), (5 * HEALTH_INITIAL_INTERVAL_MS + 999) / 1000);
    tc.health.healthy_threshold = 2;
    EXPECT_EQ(initwait_retry_after_s(&tc), (2 * HEALTH_INITIAL_INTERVAL_MS + 999) / 1000);
    tc.health.healthy_threshold = 10;
    EXPECT_EQ(initwait_retry_after_s(&tc), (10 * HEALTH_INITIAL_INTERVAL_MS + 999) / 1000);
    tc.health.healthy_threshold = 0;    /* a hand-built conf: at least one second */
    EXPECT_EQ(initwait_retry_after_s(&tc), 1);
}
