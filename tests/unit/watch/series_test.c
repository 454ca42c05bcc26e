/* tests/unit/watch/series_test.c: the series rings and their statistics: counters become
 * per-second increases, gaps are missing, several matching series add up, histogram
 * percentiles stay within 1 %, and the 60 s aggregate matches. */
#include "watch/series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define T0 1700000000       /* a multiple of 10 and of 60 */

static void
expect_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.6f, want %.6f (+-%.6f)", got, want, tol);
}

TEST(watch_series_gauge_statistics_over_a_period)
{
    struct series_reg *r = series_reg_new(16);
    struct watch_labels l = { 1, { "auto_scaling_group" }, { "web" } };
    struct series_sel sel = { .name = "cpu", .dims = &l };

    for (int i = 0; i < 10; i++) {
        series_reg_begin(r, T0 + i);
        if (i != 4)                                 /* second 4 is missing */
            series_put_gauge(r, "cpu", &l, 10.0 * (i + 1));
        series_reg_end(r);
    }
    /* 10 20 30 40 _ 60 70 80 90 100 */
    expect_near(series_stat(r, &sel, WATCH_STAT_SAMPLE_COUNT, T0, T0 + 10), 9, 0);
    expect_near(series_stat(r, &sel, WATCH_STAT_SUM, T0, T0 + 10), 500, 1e-9);
    expect_near(series_stat(r, &sel, WATCH_STAT_AVERAGE, T0, T0 + 10), 500.0 / 9, 1e-9);
    expect_near(series_stat(r, &sel, WATCH_STAT_MINIMUM, T0, T0 + 10), 10, 0);
    expect_near(series_stat(r, &sel, WATCH_STAT_MAXIMUM, T0, T0 + 10), 100, 0);
    expect_near(series_stat(r, &sel, WATCH_STAT_P50, T0, T0 + 10), 60, 0);
    expect_near(series_stat(r, &sel, WATCH_STAT_P90, T0, T0 + 10), 100, 0);   /* nearest rank: 9th of 9 */
    EXPECT_TRUE(isnan(series_stat(r, &sel, WATCH_STAT_AVERAGE, T0 + 4, T0 + 5)));
    EXPECT_TRUE(isnan(series_stat(r, &sel, WATCH_STAT_AVERAGE, T0 + 20, T0 + 30)));
    /* Another dimension value selects nothing. */
    struct watch_labels other = { 1, { "auto_scaling_group" }, { "api" } };
    sel.dims = &other;
    EXPECT_TRUE(isnan(series_stat(r, &sel, WATCH_STAT_AVERAGE, T0, T0 + 10)));
    series_reg_free(r);
}

TEST(watch_series_counter_increases_and_matching_series_add_up)
{
    struct series_reg *r = series_reg_new(16);
    struct watch_labels a = { 2, { "target_group", "code" }, { "web", "2xx" } };
    struct watch_labels b = { 2, { "code", "target_group" }, { "5xx", "web" } };
    struct watch_labels dims = { 1, { "target_group" }, { "web" } };
    struct series_sel all = { .name = "tierd_http_requests_total", .dims = &dims };
    struct series_sel errors = all;

    errors.fixed_label = "code";
    errors.fixed_value = "5xx";
    for (int i = 0; i < 5; i++) {
        series_reg_begin(r, T0 + i);
        series_put_counter(r, "tierd_http_requests_total", &a, 100 + 10 * (uint64_t)i);
        series_put_counter(r, "tierd_http_requests_total", &b, 7 + (uint64_t)i);
        series_reg_end(r);
    }
    /* The first sample has no increase; then 10 + 1 per second. */
    expect_near(series_stat(r, &all, WATCH_STAT_SUM, T0, T0 + 5), 44, 0);
    expect_near(series_stat(r, &errors, WATCH_STAT_SUM, T0, T0 + 5), 4, 0);
    expect_near(series_stat(r, &all, WATCH_STAT_SAMPLE_COUNT, T0, T0 + 5), 4, 0);
    /* A reset counts from zero. */
    series_reg_begin(r, T0 + 5);
    series_put_counter(r, "tierd_http_requests_total", &a, 3);
    series_reg_end(r);
    EXPECT_TRUE(isnan(series_stat(r, &errors, WATCH_STAT_SUM, T0 + 5, T0 + 6)));
    struct series_sel only_a = { .name = "tierd_http_requests_total", .dims = &a };
    expect_near(series_stat(r, &only_a, WATCH_STAT_SUM, T0 + 5, T0 + 6), 3, 0);
    /* Labels in any order name one series. */
    EXPECT_TRUE(series_find(r, "tierd_http_requests_total", &b) != NULL);
    EXPECT_EQ(series_reg_count(r), 2);
    series_reg_free(r);
}

TEST(watch_series_ring_keeps_an_hour_and_forgets_older)
{
    struct series_reg *r = series_reg_new(4);
    struct series_sel sel = { .name = "g" };

    series_reg_begin(r, T0);
    series_put_gauge(r, "g", NULL, 5);
    series_reg_end(r);
    series_reg_begin(r, T0 + 3600);
    series_put_gauge(r, "g", NULL, 7);
    series_reg_end(r);
    expect_near(series_stat(r, &sel, WATCH_STAT_SUM, T0, T0 + 1), 5, 0);    /* an hour ago */
    expect_near(series_stat(r, &sel, WATCH_STAT_SAMPLE_COUNT, T0, T0 + 3601), 2, 0);
    series_reg_begin(r, T0 + SERIES_RING_S);
    series_put_gauge(r, "g", NULL, 9);
    series_reg_end(r);
    EXPECT_TRUE(isnan(series_stat(r, &sel, WATCH_STAT_SUM, T0, T0 + 1)));  /* overwritten */
    /* The registry is bounded (4): the fifth series is dropped and counted. */
    for (int i = 0; i < 4; i++) {
        char name[8] = "s0";
        name[1] = (char)('0' + i);
        series_put_gauge(r, name, NULL, 1);
    }
    EXPECT_EQ(series_reg_count(r), 4);
    EXPECT_EQ(series_reg_dropped(r), 1);
    series_reg_free(r);
}

TEST(watch_series_histogram_percentiles_within_one_percent)
{
    struct series_reg *r = series_reg_new(4);
    struct metric_hist *h = calloc(1, sizeof(*h));
    struct series_sel sel = { .name = "lat_seconds", .scale = 1e-6 };

    series_reg_begin(r, T0 - 1);
    series_put_hist(r, "lat_seconds", NULL, h);       /* the baseline: nothing yet */
    series_reg_end(r);
    /* 20 s of 1..1000 ms, 100 values a second (uniform). */
    for (int s = 0; s < 20; s++) {
        for (int i = 0; i < 100; i++)
            metric_hist_record(h, (uint64_t)((s * 100 + i) % 1000 + 1) * 1000);
        series_reg_begin(r, T0 + s);
        series_put_hist(r, "lat_seconds", NULL, h);
        series_reg_end(r);
    }
    expect_near(series_stat(r, &sel, WATCH_STAT_SAMPLE_COUNT, T0, T0 + 20), 2000, 0);
    expect_near(series_stat(r, &sel, WATCH_STAT_AVERAGE, T0, T0 + 20), 0.5005, 1e-9);
    expect_near(series_stat(r, &sel, WATCH_STAT_P50, T0, T0 + 20), 0.500, 0.005);
    expect_near(series_stat(r, &sel, WATCH_STAT_P90, T0, T0 + 20), 0.900, 0.009);
    expect_near(series_stat(r, &sel, WATCH_STAT_P99, T0, T0 + 20), 0.990, 0.0099);
    expect_near(series_stat(r, &sel, WATCH_STAT_MAXIMUM, T0, T0 + 20), 1.0, 0.01);
    expect_near(series_stat(r, &sel, WATCH_STAT_MINIMUM, T0, T0 + 20), 0.001, 0.00001);
    /* One 10 s slot alone: seconds 10..19 saw 1..1000 ms too. */
    expect_near(series_stat(r, &sel, WATCH_STAT_P50, T0 + 10, T0 + 20), 0.500, 0.005);
    EXPECT_TRUE(isnan(series_stat(r, &sel, WATCH_STAT_P50, T0 + 30, T0 + 40)));

    struct series *s = series_find(r, "lat_seconds", NULL);
    struct series_agg agg;
    EXPECT_TRUE(series_minute(s, T0, &agg, NULL));
    expect_near(agg.n, 2000, 0);
    expect_near(agg.sum, 2000 * 500500.0, 1);
    free(h);
    series_reg_free(r);
}

TEST(watch_series_minute_aggregate_of_a_gauge)
{
    struct series_reg *r = series_reg_new(4);
    struct series_agg agg;

    for (int i = 0; i < 60; i += 2) {
        series_reg_begin(r, T0 + i);
        series_put_gauge(r, "g", NULL, i);
        series_reg_end(r);
    }
    EXPECT_TRUE(series_minute(series_find(r, "g", NULL), T0, &agg, NULL));
    expect_near(agg.n, 30, 0);
    expect_near(agg.sum, 870, 0);
    expect_near(agg.min, 0, 0);
    expect_near(agg.max, 58, 0);
    EXPECT_FALSE(series_minute(series_find(r, "g", NULL), T0 + 60, &agg, NULL));
    series_reg_free(r);
}
