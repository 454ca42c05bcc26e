/* tests/unit/edge/balance_test.c: each algorithm's distribution, slow start, fail-open. */
#include <string.h>

#include "check.h"
#include "edge/balance.h"

static struct target tg[4];
static struct target *tp[4] = { &tg[0], &tg[1], &tg[2], &tg[3] };

static void
setup(unsigned n, enum target_state st)
{
    memset(tg, 0, sizeof(tg));
    for (unsigned i = 0; i < n; i++) {
        tg[i].weight = 1;
        atomic_store(&tg[i].state, (uint8_t)st);
    }
}

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
count_picks(struct balance_in *in, int rounds, int *hits)
{
    uint64_t seed = 88172645463325252ULL;
    bool fo;

    memset(hits, 0, sizeof(int) * 4);
    for (int k = 0; k < rounds; k++) {
        in->rnd = xorshift(&seed);
        int i = balance_pick(in, &fo);
        assert_true(i >= 0 && i < (int)in->n);
        hits[i]++;
    }
}

TEST(balance_round_robin_rotates_and_honours_weights)
{
    int64_t cw[4] = { 0 };
    struct balance_in in = { .alg = EDGE_ALG_ROUND_ROBIN, .targets = tp, .n = 3, .avoid = -1,
                             .cw = cw };
    int hits[4];
    bool fo;

    setup(3, TARGET_HEALTHY);
    /* Equal weights: strict rotation. */
    int a = balance_pick(&in, &fo), b = balance_pick(&in, &fo), c = balance_pick(&in, &fo);
    EXPECT_TRUE(a != b && b != c && a != c);
    EXPECT_FALSE(fo);
    /* Weights 1:2:1 over 400 picks: exactly 100/200/100, interleaved. */
    tg[1].weight = 2;
    memset(cw, 0, sizeof(cw));
    count_picks(&in, 400, hits);
    EXPECT_EQ(hits[0], 100);
    EXPECT_EQ(hits[1], 200);
    EXPECT_EQ(hits[2], 100);
}

TEST(balance_skips_unhealthy_and_fails_open_when_none_is_healthy)
{
    int64_t cw[4] = { 0 };
    struct balance_in in = { .alg = EDGE_ALG_ROUND_ROBIN, .targets = tp, .n = 3, .avoid = -1,
                             .cw = cw };
    int hits[4];
    bool fo;

    setup(3, TARGET_HEALTHY);
    atomic_store(&tg[1].state, TARGET_UNHEALTHY);
    atomic_store(&tg[2].state, TARGET_DRAINING);
    count_picks(&in, 50, hits);
    EXPECT_EQ(hits[0], 50);
    /* Nobody healthy: every registered, non-draining target takes traffic. */
    atomic_store(&tg[0].state, TARGET_UNHEALTHY);
    atomic_store(&tg[1].state, TARGET_INITIAL);
    count_picks(&in, 50, hits);
    EXPECT_EQ(hits[0] + hits[1], 50);
    EXPECT_TRUE(hits[0] > 0 && hits[1] > 0);
    EXPECT_EQ(hits[2], 0);
    balance_pick(&in, &fo);
    EXPECT_TRUE(fo);
    /* Only draining targets: nothing to route to. */
    for (int i = 0; i < 3; i++)
        atomic_store(&tg[i].state, TARGET_DRAINING);
    EXPECT_EQ(balance_pick(&in, &fo), -1);
}

TEST(balance_retry_avoids_the_failed_target)
{
    int64_t cw[4] = { 0 };
    struct balance_in in = { .alg = EDGE_ALG_LEAST_OUTSTANDING, .targets = tp, .n = 2,
                             .avoid = 0, .cw = cw };
    int hits[4];

    setup(2, TARGET_HEALTHY);
    count_picks(&in, 20, hits);
    EXPECT_EQ(hits[1], 20);
    /* With one target there is nothing else: it is tried again. */
    in.n = 1;
    count_picks(&in, 5, hits);
    EXPECT_EQ(hits[0], 5);
}

TEST(balance_least_outstanding_prefers_idle_targets_under_skew)
{
    int64_t cw[4] = { 0 };
    struct balance_in in = { .alg = EDGE_ALG_LEAST_OUTSTANDING, .targets = tp, .n = 3,
                             .avoid = -1, .cw = cw };
    uint64_t seed = 42;
    int served[3] = { 0 };
    bool fo;

    setup(3, TARGET_HEALTHY);
    /* Target 0 is slow: its requests stay in flight 10x longer. Simulate ticks where each
     * target completes requests at its own rate; LOR must send most work elsewhere. */
    for (int tick = 0; tick < 3000; tick++) {
        in.rnd = xorshift(&seed);
        int i = balance_pick(&in, &fo);
        atomic_fetch_add(&tg[i].outstanding, 1);
        served[i]++;
        for (int k = 0; k < 3; k++) {
            unsigned o = atomic_load(&tg[k].outstanding);
            if (o && (k != 0 || tick % 10 == 0))
                atomic_store(&tg[k].outstanding, o - 1);
        }
    }
    EXPECT_TRUE(served[0] < served[1] / 3);
    EXPECT_TRUE(served[0] < served[2] / 3);
    /* Ties spread evenly when idle. */
    setup(3, TARGET_HEALTHY);
    int hits[4];
    count_picks(&in, 3000, hits);
    for (int k = 0; k < 3; k++)
        EXPECT_TRUE(hits[k] > 800 && hits[k] < 1200);
}

TEST(balance_weighted_random_follows_weights)
{
    int64_t cw[4] = { 0 };
    struct balance_in in = { .alg = EDGE_ALG_WEIGHTED_RANDOM, .targets = tp, .n = 3,
                             .avoid = -1, .cw = cw };
    int hits[4];

    setup(3, TARGET_HEALTHY);
    tg[0].weight = 1;
    tg[1].weight = 3;
    tg[2].weight = 6;
    count_picks(&in, 20000, hits);
    EXPECT_TRUE(hits[0] > 1600 && hits[0] < 2400);     /* 10% */
    EXPECT_TRUE(hits[1] > 5400 && hits[1] < 6600);     /* 30% */
    EXPECT_TRUE(hits[2] > 11000 && hits[2] < 13000);   /* 60% */
}

TEST(balance_slow_start_ramps_a_new_target_linearly)
{
    int64_t cw[4] = { 0 };
    struct balance_in in = { .alg = EDGE_ALG_ROUND_ROBIN, .targets = tp, .n = 2, .avoid = -1,
                             .cw = cw, .slow_start_ms = 60000 };
    int hits[4];

    setup(2, TARGET_HEALTHY);
    atomic_store(&tg[0].healthy_since_ms, 1000);        /* long past its slow start */
    atomic_store(&tg[1].healthy_since_ms, 200000);      /* just became healthy */
    EXPECT_EQ(balance_weight_milli(&tg[1], 200000 + 15000, 60000), 250);
    EXPECT_EQ(balance_weight_milli(&tg[1], 200000 + 60000, 60000), 1000);
    EXPECT_EQ(balance_weight_milli(&tg[1], 200000, 60000), 1);
    in.now_ms = 200000 + 15000;     /* a quarter in: 1 : 0.25 */
    count_picks(&in, 1000, hits);
    EXPECT_TRUE(hits[1] >= 195 && hits[1] <= 205);
    in.now_ms = 200000 + 45000;     /* three quarters in: 1 : 0.75 */
    memset(cw, 0, sizeof(cw));
    count_picks(&in, 1000, hits);
    EXPECT_TRUE(hits[1] >= 423 && hits[1] <= 435);
    /* All targets new together (a fresh start): full shares at once. */
    atomic_store(&tg[0].healthy_since_ms, 200000);
    memset(cw, 0, sizeof(cw));
    count_picks(&in, 1000, hits);
    EXPECT_EQ(hits[0], 500);
}

/* A group is starting while no target is healthy and none has answered a probe: some
 * initial, or unhealthy from failed connects before the app listened. Draining targets
 * do not count either way. */
TEST(balance_starting_means_no_target_answered_yet)
{
    EXPECT_FALSE(balance_starting(tp, 0));       /* no targets: 503, not a wait */
    setup(3, TARGET_INITIAL);
    EXPECT_TRUE(balance_starting(tp, 3));
    atomic_store(&tg[2].state, TARGET_DRAINING);    /* the instance it replaces */
    EXPECT_TRUE(balance_starting(tp, 3));
    atomic_store(&tg[1].state, TARGET_HEALTHY);
    EXPECT_FALSE(balance_starting(tp, 3));
    atomic_store(&tg[1].state, TARGET_UNHEALTHY);   /* refused every probe: still starting */
    EXPECT_TRUE(balance_starting(tp, 3));
    atomic_store(&tg[1].answered, true);            /* answered 500: the group fails open */
    EXPECT_FALSE(balance_starting(tp, 3));
    atomic_store(&tg[1].answered, false);
    atomic_store(&tg[1].healthy_since_ms, 1000);    /* healthy once: fails open too */
    EXPECT_FALSE(balance_starting(tp, 3));
    atomic_store(&tg[0].state, TARGET_UNHEALTHY);   /* none initial, none answered */
    atomic_store(&tg[1].healthy_since_ms, 0);
    EXPECT_TRUE(balance_starting(tp, 3));
    setup(2, TARGET_DRAINING);
    atomic_store(&tg[1].state, TARGET_UNUSED);
    EXPECT_FALSE(balance_starting(tp, 2));
}
