/* tests/unit/core/metric_test.c: histogram quantiles stay within 1 % of the truth. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "core/metric.h"

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(metric_hist_quantiles_within_one_percent)
{
    static struct metric_hist h;
    static uint64_t vals[100000];
    uint64_t seed = 12345;
    const double qs[] = { 0.5, 0.9, 0.99, 0.999 };

    for (unsigned i = 0; i < 100000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        /* Log-uniform from 10 us to 10 s, like real latencies. */
        double u = (double)(seed >> 11) / 9007199254740992.0;
        vals[i] = (uint64_t)(10.0 * pow(1e6, u));
        metric_hist_record(&h, vals[i]);
    }
    qsort(vals, 100000, sizeof(vals[0]), cmp_u64);
    for (unsigned k = 0; k < 4; k++) {
        uint64_t truth = vals[(size_t)ceil(qs[k] * 100000) - 1];
        uint64_t got = metric_hist_quantile(&h, qs[k]);
        double err = fabs((double)got - (double)truth) / (double)truth;
        if (err > 0.01)
            fail_msg("q=%g got %llu truth %llu err %.4f", qs[k], (unsigned long long)got,
                     (unsigned long long)truth, err);
    }
    EXPECT_EQ(h.count, 100000);
}

TEST(metric_hist_buckets_are_exact_below_64_and_merge)
{
    static struct metric_hist a, b;

    for (uint64_t v = 0; v < 64; v++)
        EXPECT_EQ(metric_bucket_value(metric_bucket(v)), v);
    /* Every bucket's midpoint maps back to the bucket. */
    for (unsigned i = 0; i < METRIC_BUCKETS - 1; i++)
        EXPECT_EQ(metric_bucket(metric_bucket_value(i)), i);
    metric_hist_record(&a, 100);
    metric_hist_record(&b, 1000000);
    metric_hist_merge(&a, &b);
    EXPECT_EQ(a.count, 2);
    EXPECT_EQ(a.max, 1000000);
    EXPECT_TRUE(metric_hist_quantile(&a, 0.5) >= 99 && metric_hist_quantile(&a, 0.5) <= 101);
    EXPECT_EQ(metric_hist_quantile(&a, 1.0), 1000000);
}
