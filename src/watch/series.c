/*
 * watch/series.c: the series registry and its 1 s rings (see series.h). Owns every series
 * and its rings; borrows nothing past a call. Statistics are computed on demand from the
 * rings; nothing here reads the clock or locks.
 */
#include "watch/series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define SERIES_HASH 1024
#define SERIES_NSLOTS (SERIES_RING_S / SERIES_SLOT_S)

struct series_reg {
    struct series *hash[SERIES_HASH];
    unsigned n, max;
    uint64_t dropped;
    int64_t now_s;
};

static uint32_t
series_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static unsigned
series_ring_idx(int64_t t)
{
    return (unsigned)(((t % SERIES_RING_S) + SERIES_RING_S) % SERIES_RING_S);
}

static unsigned
series_slot_idx(int64_t t0)
{
    int64_t k = t0 / SERIES_SLOT_S;
    return (unsigned)(((k % SERIES_NSLOTS) + SERIES_NSLOTS) % SERIES_NSLOTS);
}

static int64_t
series_slot_start(int64_t t)
{
    int64_t r = t % SERIES_SLOT_S;
    return t - (r < 0 ? r + SERIES_SLOT_S : r);
}

/* Appends s to out with Prometheus label-value escaping; returns the new length. */
static unsigned
series_escape(const char *s, char *out, unsigned pos, unsigned len)
{
    for (; *s && pos + 2 < len; s++) {
        if (*s == '\\' || *s == '"') {
            out[pos++] = '\\';
            out[pos++] = *s;
        } else if (*s == '\n') {
            out[pos++] = '\\';
            out[pos++] = 'n';
        } else {
            out[pos++] = *s;
        }
    }
    out[pos] = '\0';
    return pos;
}

/* The order of l's labels by name (insertion sort: at most WATCH_LABELS_MAX). */
static void
series_label_order(const struct watch_labels *l, unsigned *ord)
{
    unsigned n = l ? l->n : 0;

    for (unsigned i = 0; i < n; i++) {
        unsigned j = i;
        while (j > 0 && strcmp(l->name[ord[j - 1]], l->name[i]) > 0) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = i;
    }
}

unsigned
series_key(const char *name, const struct watch_labels *l, char *out, unsigned len)
{
    unsigned ord[WATCH_LABELS_MAX], pos, n = l ? (l->n > WATCH_LABELS_MAX ? WATCH_LABELS_MAX
                                                                            : l->n) : 0;

    pos = (unsigned)snprintf(out, len, "%s", name);
    if (pos >= len)
        return len - 1;
    if (!n)
        return pos;
    struct watch_labels lim = *l;
    lim.n = n;
    series_label_order(&lim, ord);
    for (unsigned i = 0; i < n && pos + 4 < len; i++) {
        int k = snprintf(out + pos, len - pos, "%s%s=\"", i ? "," : "{", l->name[ord[i]]);
        if (k < 0 || (unsigned)k >= len - pos)
            return len - 1;
        pos = series_escape(l->value[ord[i]], out, pos + (unsigned)k, len);
        if (pos + 1 < len)
            out[pos++] = '"';
    }
    if (pos + 1 < len)
        out[pos++] = '}';
    out[pos] = '\0';
    return pos;
}

struct series_reg *
series_reg_new(unsigned max_series)
{
    struct series_reg *r = mem_alloc_or_exit(sizeof(*r));

    r->max = max_series ? max_series : SERIES_MAX_DEFAULT;
    return r;
}

static void
series_free(struct series *s)
{
    free(s->key);
    free(s->name);
    for (unsigned i = 0; i < s->nlabels; i++) {
        free(s->lname[i]);
        free(s->lvalue[i]);
    }
    free(s->vals);
    free(s->sums);
    free(s->hist);
    free(s->pending);
    if (s->slots) {
        for (unsigned i = 0; i < SERIES_NSLOTS; i++) {
            free(s->slots[i].idx);
            free(s->slots[i].cnt);
        }
        free(s->slots);
    }
    free(s);
}

void
series_reg_free(struct series_reg *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < SERIES_HASH; i++)
        for (struct series *s = r->hash[i], *next; s; s = next) {
            next = s->next;
            series_free(s);
        }
    free(r);
}

unsigned
series_reg_count(const struct series_reg *r)
{
    return r->n;
}

uint64_t
series_reg_dropped(const struct series_reg *r)
{
    return r->dropped;
}

void
series_reg_begin(struct series_reg *r, int64_t now_s)
{
    r->now_s = now_s;
}

static double *
series_ring_new(void)
{
    double *v = mem_alloc_or_exit(SERIES_RING_S * sizeof(*v));

    for (unsigned i = 0; i < SERIES_RING_S; i++)
        v[i] = NAN;
    return v;
}

struct series *
series_find(struct series_reg *r, const char *name, const struct watch_labels *l)
{
    char key[1024];

    series_key(name, l, key, sizeof(key));
    for (struct series *s = r->hash[series_hash(key) % SERIES_HASH]; s; s = s->next)
        if (strcmp(s->key, key) == 0)
            return s;
    return NULL;
}

/* Finds or creates the series; NULL (counted) when the registry is full or the kind
 * differs from the one first reported. */
static struct series *
series_get(struct series_reg *r, const char *name, const struct watch_labels *l,
           enum series_kind kind)
{
    char key[1024];
    uint32_t h;

    series_key(name, l, key, sizeof(key));
    h = series_hash(key) % SERIES_HASH;
    for (struct series *s = r->hash[h]; s; s = s->next)
        if (strcmp(s->key, key) == 0) {
            if (s->kind != kind) {
                r->dropped++;
                return NULL;
            }
            return s;
        }
    if (r->n >= r->max) {
        r->dropped++;
        return NULL;
    }
    struct series *s = mem_alloc_or_exit(sizeof(*s));
    s->key = mem_strdup_or_exit(key);
    s->name = mem_strdup_or_exit(name);
    s->nlabels = l ? (l->n > WATCH_LABELS_MAX ? WATCH_LABELS_MAX : l->n) : 0;
    for (unsigned i = 0; i < s->nlabels; i++) {
        s->lname[i] = mem_strdup_or_exit(l->name[i]);
        s->lvalue[i] = mem_strdup_or_exit(l->value[i]);
    }
    s->kind = kind;
    s->last_s = INT64_MIN;
    s->vals = series_ring_new();
    if (kind == SERIES_HIST) {
        s->sums = series_ring_new();
        s->hist = mem_alloc_or_exit(sizeof(*s->hist));
        s->pending = mem_alloc_or_exit(sizeof(*s->pending));
        s->pending_t0 = INT64_MIN;
        s->slots = mem_alloc_or_exit(SERIES_NSLOTS * sizeof(*s->slots));
        for (unsigned i = 0; i < SERIES_NSLOTS; i++)
            s->slots[i].t0 = INT64_MIN;
    }
    s->next = r->hash[h];
    r->hash[h] = s;
    r->n++;
    return s;
}

/* Moves the ring's head to `t`, marking the skipped seconds missing. */
static void
series_advance(struct series *s, int64_t t)
{
    if (s->last_s != INT64_MIN && t > s->last_s) {
        int64_t from = s->last_s + 1;
        if (t - from >= SERIES_RING_S)
            from = t - SERIES_RING_S + 1;
        for (int64_t u = from; u <= t; u++) {
            s->vals[series_ring_idx(u)] = NAN;
            if (s->sums)
                s->sums[series_ring_idx(u)] = NAN;
        }
    }
    if (s->last_s == INT64_MIN || t > s->last_s)
        s->last_s = t;
    s->reported_s = t;
}

static bool
series_has_second(const struct series *s, int64_t t)
{
    return s->last_s != INT64_MIN && t <= s->last_s && t > s->last_s - SERIES_RING_S;
}

void
series_put_counter(struct series_reg *r, const char *name, const struct watch_labels *l,
                   uint64_t v)
{
    struct series *s = series_get(r, name, l, SERIES_COUNTER);

    if (!s)
        return;
    series_advance(s, r->now_s);
    if (s->has_prev) {
        double prev = s->cur, d = (double)v >= prev ? (double)v - prev : (double)v;
        s->vals[series_ring_idx(r->now_s)] = d;
    }
    s->cur = (double)v;
    s->has_prev = true;
}

void
series_put_gauge(struct series_reg *r, const char *name, const struct watch_labels *l,
                 double v)
{
    struct series *s = series_get(r, name, l, SERIES_GAUGE);

    if (!s || isnan(v))
        return;
    series_advance(s, r->now_s);
    s->vals[series_ring_idx(r->now_s)] = v;
    s->cur = v;
    s->has_prev = true;
}

/* Stores the pending slot's buckets sparsely and empties it. */
static void
series_flush_slot(struct series *s)
{
    if (s->pending_t0 == INT64_MIN)
        return;
    struct series_hslot *sl = &s->slots[series_slot_idx(s->pending_t0)];
    uint32_t n = 0;

    for (unsigned i = 0; i < METRIC_BUCKETS; i++)
        n += s->pending->buckets[i] != 0;
    free(sl->idx);
    free(sl->cnt);
    sl->idx = n ? mem_alloc_or_exit(n * sizeof(*sl->idx)) : NULL;
    sl->cnt = n ? mem_alloc_or_exit(n * sizeof(*sl->cnt)) : NULL;
    sl->n = 0;
    for (unsigned i = 0; i < METRIC_BUCKETS; i++)
        if (s->pending->buckets[i]) {
            sl->idx[sl->n] = (uint16_t)i;
            sl->cnt[sl->n++] = s->pending->buckets[i];
        }
    sl->t0 = s->pending_t0;
    memset(s->pending, 0, sizeof(*s->pending));
    s->pending_t0 = INT64_MIN;
}

void
series_put_hist(struct series_reg *r, const char *name, const struct watch_labels *l,
                const struct metric_hist *h)
{
    struct series *s = series_get(r, name, l, SERIES_HIST);
    int64_t t0 = series_slot_start(r->now_s);

    if (!s)
        return;
    series_advance(s, r->now_s);
    if (s->pending_t0 != t0) {
        series_flush_slot(s);
        s->pending_t0 = t0;
    }
    if (s->has_prev) {
        bool reset = h->count < s->hist->count || h->sum < s->hist->sum;
        uint64_t dc = reset ? h->count : h->count - s->hist->count;
        uint64_t ds = reset ? h->sum : h->sum - s->hist->sum;
        for (unsigned i = 0; i < METRIC_BUCKETS; i++) {
            uint32_t d = reset || h->buckets[i] < s->hist->buckets[i]
                             ? h->buckets[i] : h->buckets[i] - s->hist->buckets[i];
            s->pending->buckets[i] += d;
        }
        s->pending->count += dc;
        s->pending->sum += ds;
        s->vals[series_ring_idx(r->now_s)] = (double)dc;
        s->sums[series_ring_idx(r->now_s)] = (double)ds;
    }
    *s->hist = *h;
    s->cur = (double)h->count;
    s->has_prev = true;
}

void
series_reg_end(struct series_reg *r)
{
    for (unsigned i = 0; i < SERIES_HASH; i++)
        for (struct series **pp = &r->hash[i]; *pp;) {
            struct series *s = *pp;
            if (r->now_s - s->reported_s >= SERIES_RING_S) {
                *pp = s->next;
                series_free(s);
                r->n--;
                continue;
            }
            /* The slot is complete once its last second is in. */
            if (s->kind == SERIES_HIST && s->pending_t0 != INT64_MIN &&
                r->now_s >= s->pending_t0 + SERIES_SLOT_S - 1)
                series_flush_slot(s);
            pp = &s->next;
        }
}

static int
series_cmp_key(const void *a, const void *b)
{
    return strcmp((*(struct series *const *)a)->key, (*(struct series *const *)b)->key);
}

void
series_reg_visit(struct series_reg *r, series_visit_fn fn, void *ctx)
{
    struct series **all = mem_alloc_or_exit((r->n + 1) * sizeof(*all));
    unsigned n = 0;

    for (unsigned i = 0; i < SERIES_HASH; i++)
        for (struct series *s = r->hash[i]; s; s = s->next)
            all[n++] = s;
    qsort(all, n, sizeof(*all), series_cmp_key);
    for (unsigned i = 0; i < n; i++)
        fn(ctx, all[i]);
    free(all);
}

static const char *
series_label(const struct series *s, const char *name)
{
    for (unsigned i = 0; i < s->nlabels; i++)
        if (strcmp(s->lname[i], name) == 0)
            return s->lvalue[i];
    return NULL;
}

bool
series_matches(const struct series *s, const struct series_sel *sel)
{
    const char *v;

    if (strcmp(s->name, sel->name) != 0)
        return false;
    if (sel->fixed_label &&
        (!(v = series_label(s, sel->fixed_label)) || strcmp(v, sel->fixed_value) != 0))
        return false;
    for (unsigned i = 0; sel->dims && i < sel->dims->n; i++)
        if (!(v = series_label(s, sel->dims->name[i])) || strcmp(v, sel->dims->value[i]) != 0)
            return false;
    return true;
}

/* Adds the matching series' per-second values over [t0, t1) into acc (NAN = none yet).
 * Returns the number of matching series. */
static unsigned
series_sum_seconds(struct series_reg *r, const char *name, const struct series_sel *sel,
                   int64_t t0, int64_t t1, double *acc, bool sums)
{
    struct series_sel m = *sel;
    unsigned found = 0;

    m.name = name;
    for (unsigned i = 0; i < SERIES_HASH; i++)
        for (struct series *s = r->hash[i]; s; s = s->next) {
            if (!series_matches(s, &m) || (sums && !s->sums))
                continue;
            found++;
            for (int64_t t = t0; t < t1; t++) {
                if (!series_has_second(s, t))
                    continue;
                double v = (sums ? s->sums : s->vals)[series_ring_idx(t)];
                if (isnan(v))
                    continue;
                double *a = &acc[t - t0];
                *a = isnan(*a) ? v : *a + v;
            }
        }
    return found;
}

static int
series_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double
series_percentile_q(enum watch_stat st)
{
    return st == WATCH_STAT_P50 ? 0.5 : st == WATCH_STAT_P90 ? 0.9 : 0.99;
}

/* Adds one slot (or the pending dense slot) of s starting at t0 into h. */
static void
series_merge_slot(const struct series *s, int64_t t0, struct metric_hist *h)
{
    if (s->pending_t0 == t0) {
        metric_hist_merge(h, s->pending);
        return;
    }
    const struct series_hslot *sl = &s->slots[series_slot_idx(t0)];
    if (sl->t0 != t0)
        return;
    for (uint32_t i = 0; i < sl->n; i++) {
        h->buckets[sl->idx[i]] += sl->cnt[i];
        h->count += sl->cnt[i];
    }
}

/* Minimum/maximum bucket values and a consistent count/max, for quantiles. */
static void
series_hist_bounds(struct metric_hist *h, double *min, double *max)
{
    int lo = -1, hi = -1;

    h->count = 0;
    for (unsigned i = 0; i < METRIC_BUCKETS; i++)
        if (h->buckets[i]) {
            if (lo < 0)
                lo = (int)i;
            hi = (int)i;
            h->count += h->buckets[i];
        }
    *min = lo < 0 ? NAN : (double)metric_bucket_value((unsigned)lo);
    *max = hi < 0 ? NAN : (double)metric_bucket_value((unsigned)hi);
    h->max = hi < 0 ? 0 : metric_bucket_value((unsigned)hi);
}

static double
series_hist_stat(struct series_reg *r, const struct series_sel *sel, enum watch_stat st,
                 int64_t t0, int64_t t1, double scale)
{
    struct metric_hist *h = mem_alloc_or_exit(sizeof(*h));
    double out = NAN, min, max, sum = 0;

    for (unsigned i = 0; i < SERIES_HASH; i++)
        for (struct series *s = r->hash[i]; s; s = s->next) {
            if (s->kind != SERIES_HIST || !series_matches(s, sel))
                continue;
            for (int64_t u = series_slot_start(t0); u < t1; u += SERIES_SLOT_S)
                series_merge_slot(s, u, h);
            for (int64_t t = t0; t < t1; t++)
                if (series_has_second(s, t) && !isnan(s->sums[series_ring_idx(t)]))
                    sum += s->sums[series_ring_idx(t)];
        }
    series_hist_bounds(h, &min, &max);
    if (h->count) {
        switch (st) {
        case WATCH_STAT_AVERAGE:
            out = sum / (double)h->count * scale;
            break;
        case WATCH_STAT_SUM:
            out = sum * scale;
            break;
        case WATCH_STAT_MINIMUM:
            out = min * scale;
            break;
        case WATCH_STAT_MAXIMUM:
            out = max * scale;
            break;
        case WATCH_STAT_SAMPLE_COUNT:
            out = (double)h->count;
            break;
        case WATCH_STAT_P50:
        case WATCH_STAT_P90:
        case WATCH_STAT_P99:
            out = (double)metric_hist_quantile(h, series_percentile_q(st)) * scale;
            break;
        }
    }
    free(h);
    return out;
}

/* The statistic of n per-second values (NAN = missing). Sorts v. */
static double
series_values_stat(double *v, unsigned n, enum watch_stat st, double scale)
{
    unsigned k = 0;
    double sum = 0;

    for (unsigned i = 0; i < n; i++)
        if (!isnan(v[i])) {
            v[k++] = v[i] * scale;
            sum += v[i] * scale;
        }
    if (!k)
        return NAN;
    qsort(v, k, sizeof(*v), series_cmp_double);
    switch (st) {
    case WATCH_STAT_AVERAGE:
        return sum / k;
    case WATCH_STAT_SUM:
        return sum;
    case WATCH_STAT_MINIMUM:
        return v[0];
    case WATCH_STAT_MAXIMUM:
        return v[k - 1];
    case WATCH_STAT_SAMPLE_COUNT:
        return k;
    case WATCH_STAT_P50:
    case WATCH_STAT_P90:
    case WATCH_STAT_P99: {
        /* Nearest rank. */
        double rank = ceil(series_percentile_q(st) * k);
        unsigned i = rank < 1 ? 0 : (unsigned)rank - 1;
        return v[i < k ? i : k - 1];
    }
    }
    return NAN;
}

double
series_stat(struct series_reg *r, const struct series_sel *sel, enum watch_stat st, int64_t t0,
            int64_t t1)
{
    double scale = sel->scale ? sel->scale : 1, out;

    if (t1 <= t0)
        return NAN;
    if (t1 - t0 > SERIES_RING_S)
        t0 = t1 - SERIES_RING_S;
    /* Histograms are read from their slots; one series is enough to know the kind. */
    for (unsigned i = 0; i < SERIES_HASH; i++)
        for (struct series *s = r->hash[i]; s; s = s->next)
            if (s->kind == SERIES_HIST && series_matches(s, sel))
                return series_hist_stat(r, sel, st, t0, t1, scale);

    unsigned n = (unsigned)(t1 - t0);
    double *v = mem_alloc_or_exit(n * sizeof(*v));
    for (unsigned i = 0; i < n; i++)
        v[i] = NAN;
    series_sum_seconds(r, sel->name, sel, t0, t1, v, false);
    if (sel->per_series) {
        double *den = mem_alloc_or_exit(n * sizeof(*den));
        struct series_sel d = *sel;
        for (unsigned i = 0; i < n; i++)
            den[i] = NAN;
        d.fixed_label = NULL;
        series_sum_seconds(r, sel->per_series, &d, t0, t1, den, false);
        for (unsigned i = 0; i < n; i++)
            v[i] = !isnan(den[i]) && den[i] > 0 ? v[i] / den[i] : NAN;
        free(den);
    }
    out = series_values_stat(v, n, st, scale);
    free(v);
    return out;
}

bool
series_minute(const struct series *s, int64_t t0, struct series_agg *out,
              struct metric_hist *hist)
{
    memset(out, 0, sizeof(*out));
    out->min = INFINITY;
    out->max = -INFINITY;
    if (s->kind == SERIES_HIST) {
        struct metric_hist *h = hist ? hist : mem_alloc_or_exit(sizeof(*h));
        if (hist)
            memset(h, 0, sizeof(*h));
        for (int64_t u = t0; u < t0 + 60; u += SERIES_SLOT_S)
            series_merge_slot(s, u, h);
        for (int64_t t = t0; t < t0 + 60; t++)
            if (series_has_second(s, t) && !isnan(s->sums[series_ring_idx(t)]))
                out->sum += s->sums[series_ring_idx(t)];
        series_hist_bounds(h, &out->min, &out->max);
        out->n = (double)h->count;
        h->sum = (uint64_t)out->sum;
        if (!hist)
            free(h);
        return out->n > 0;
    }
    for (int64_t t = t0; t < t0 + 60; t++) {
        if (!series_has_second(s, t) || isnan(s->vals[series_ring_idx(t)]))
            continue;
        double v = s->vals[series_ring_idx(t)];
        out->n++;
        out->sum += v;
        out->min = v < out->min ? v : out->min;
        out->max = v > out->max ? v : out->max;
    }
    return out->n > 0;
}
