/*
 * core/metric.h: metric primitives anything may use. A histogram records values
 * (microseconds, bytes, ...) in log-linear buckets: 64 sub-buckets per power of two, so
 * any quantile read back is within 1 % of the true value (the bucket midpoint is at
 * most 1/128 away). Writers are single-threaded per histogram (each worker owns its
 * own); readers merge copies, so the request path takes no lock. Written by hand: no
 * Debian package offers an HdrHistogram-style C library.
 */
#ifndef CORE_METRIC_H
#define CORE_METRIC_H
#include <stdint.h>

#define METRIC_SUB_BITS 6
#define METRIC_SUB (1u << METRIC_SUB_BITS)          /* 64 sub-buckets per octave */
#define METRIC_OCTAVES 42                           /* values up to 2^42 (~50 days in us) */
#define METRIC_BUCKETS (METRIC_OCTAVES * METRIC_SUB)

struct metric_hist {
    uint64_t count;
    uint64_t sum;
    uint64_t max;
    uint32_t buckets[METRIC_BUCKETS];   /* 32-bit: merge into a wider sum when reading */
};

/* Index of the bucket holding v; values 0..63 have exact buckets. */
unsigned metric_bucket(uint64_t v);
/* The representative (midpoint) value of bucket i. */
uint64_t metric_bucket_value(unsigned i);

void metric_hist_record(struct metric_hist *h, uint64_t v);
/* Adds src into dst (readers merging per-worker histograms). */
void metric_hist_merge(struct metric_hist *dst, const struct metric_hist *src);
/* The q-quantile (0 < q <= 1), 0 when empty. */
uint64_t metric_hist_quantile(const struct metric_hist *h, double q);

#endif
