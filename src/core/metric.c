/*
 * core/metric.c: log-linear histograms (see metric.h). Owns nothing.
 */
#include "core/metric.h"

unsigned
metric_bucket(uint64_t v)
{
    if (v < METRIC_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);         /* >= METRIC_SUB_BITS */
    unsigned octave = msb - METRIC_SUB_BITS + 1;
    if (octave >= METRIC_OCTAVES)
        return METRIC_BUCKETS - 1;
    unsigned sub = (unsigned)(v >> (msb - METRIC_SUB_BITS)) & (METRIC_SUB - 1);
    return octave * METRIC_SUB + sub;
}

uint64_t
metric_bucket_value(unsigned i)
{
    unsigned octave = i / METRIC_SUB, sub = i % METRIC_SUB;

    if (octave == 0)
        return sub;
    unsigned shift = octave - 1;
    uint64_t lo = ((uint64_t)(METRIC_SUB + sub)) << shift;
    uint64_t width = (uint64_t)1 << shift;
    return lo + width / 2;
}

void
metric_hist_record(struct metric_hist *h, uint64_t v)
{
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    h->buckets[metric_bucket(v)]++;
}

void
metric_hist_merge(struct metric_hist *dst, const struct metric_hist *src)
{
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
    for (unsigned i = 0; i < METRIC_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
}

uint64_t
metric_hist_quantile(const struct metric_hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < METRIC_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = metric_bucket_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}
