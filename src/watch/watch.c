/*
 * watch/watch.c: the facade (watch.h): the watch thread and its loop, sampling sources
 * once a second, evaluating alarms and turning their transitions into durable
 * deliveries, minute aggregates and pruning, and the thread-safe reads (Prometheus,
 * latest values, queries, alarm list). Owns the registry, the alarms, the database
 * connections, the delivery worker and the applied configuration. The decisions live in
 * alarm_run.c, series.c and retry.c; this file does the I/O and the locking.
 *
 * Locking: `mu` guards the registry, the alarms and the applied configuration; it is
 * held for short reads and writes, never across a delivery. The watch thread alone uses
 * `db`; other threads' queries use `qdb` under `qmu` (WAL lets both read).
 */
#include "watch/watch.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "watch/alarm_run.h"
#include "watch/deliver.h"
#include "watch/hostsrc.h"
#include "watch/internal.h"
#include "watch/metricmap.h"
#include "watch/prom.h"
#include "watch/series.h"
#include "watch/sns.h"
#include "watch/store.h"

#define WATCH_SOURCES_MAX 32
#define WATCH_PRUNE_EVERY_S 3600

struct watch_sink {
    struct watch *w;
};

struct watch_source {
    watch_collect_fn fn;
    void *ctx;
};

struct watch_alarm {
    struct alarm_run run;
    uint64_t config_ms;
};

struct watch {
    char *state_dir;
    char *db_path;
    pthread_mutex_t mu, qmu;
    struct series_reg *reg;
    struct watch_source sources[WATCH_SOURCES_MAX];
    unsigned nsources;
    struct hostsrc *host;
    struct watch_conf *conf;            /* applied; owned */
    struct watch_conf *next_conf;       /* handed over by watch_apply while running */
    struct watch_alarm *alarms;
    unsigned nalarms;
    struct store *db, *qdb;
    struct loop *loop;
    pthread_t thread;
    bool running;
    struct deliver *dv;
    struct loop_timer tick;
    int64_t last_minute_s, last_prune_s;
};

static pthread_once_t watch_curl_once = PTHREAD_ONCE_INIT;

static void
watch_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --- sinks (called by sources on the watch thread) --- */

void
watch_sink_counter(struct watch_sink *s, const char *name, const struct watch_labels *l,
                   uint64_t value)
{
    pthread_mutex_lock(&s->w->mu);
    series_put_counter(s->w->reg, name, l, value);
    pthread_mutex_unlock(&s->w->mu);
}

void
watch_sink_gauge(struct watch_sink *s, const char *name, const struct watch_labels *l,
                 double value)
{
    pthread_mutex_lock(&s->w->mu);
    series_put_gauge(s->w->reg, name, l, value);
    pthread_mutex_unlock(&s->w->mu);
}

void
watch_sink_hist(struct watch_sink *s, const char *name, const struct watch_labels *l,
                const struct metric_hist *h)
{
    pthread_mutex_lock(&s->w->mu);
    series_put_hist(s->w->reg, name, l, h);
    pthread_mutex_unlock(&s->w->mu);
}

/* Watch's own numbers, reported like any source's. */
static void
watch_self_collect(void *ctx, struct watch_sink *sink)
{
    struct watch *w = ctx;
    uint64_t pending, delivered, failed, ok = 0, bad = 0;
    struct watch_labels l = { 1, { "result" }, { "ok" } };

    pthread_mutex_lock(&w->mu);
    double n = series_reg_count(w->reg);
    uint64_t dropped = series_reg_dropped(w->reg);
    pthread_mutex_unlock(&w->mu);
    watch_sink_gauge(sink, "tierd_watch_series", NULL, n);
    watch_sink_counter(sink, "tierd_watch_series_dropped_total", NULL, dropped);
    if (w->dv) {
        deliver_counts(w->dv, &ok, &bad);
        watch_sink_counter(sink, "tierd_watch_deliveries_total", &l, ok);
        l.value[0] = "error";
        watch_sink_counter(sink, "tierd_watch_deliveries_total", &l, bad);
    }
    store_delivery_counts(w->db, &pending, &delivered, &failed);
    watch_sink_gauge(sink, "tierd_watch_deliveries_pending", NULL, (double)pending);
}

/* --- lifecycle --- */

struct watch *
watch_new(const char *state_dir, char *errbuf, size_t errlen)
{
    struct watch *w = mem_alloc_or_exit(sizeof(*w));
    size_t n = strlen(state_dir) + 16;

    pthread_once(&watch_curl_once, watch_curl_init);
    mkdir(state_dir, 0700);     /* usually there already; store_open reports the rest */
    w->state_dir = mem_strdup_or_exit(state_dir);
    w->db_path = mem_alloc_or_exit(n);
    snprintf(w->db_path, n, "%s/watch.db", state_dir);
    w->db = store_open(w->db_path, errbuf, errlen);
    if (w->db)
        w->qdb = store_open(w->db_path, errbuf, errlen);
    if (!w->db || !w->qdb) {
        store_close(w->db);
        free(w->db_path);
        free(w->state_dir);
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->qmu, NULL);
    w->reg = series_reg_new(SERIES_MAX_DEFAULT);
    w->host = hostsrc_new(state_dir);
    watch_add_source(w, hostsrc_collect, w->host);
    watch_add_source(w, watch_self_collect, w);
    w->last_minute_s = (int64_t)(clock_wall_ms() / 1000 / 60) * 60;
    return w;
}

void
watch_add_source(struct watch *w, watch_collect_fn fn, void *ctx)
{
    BUG_ON(w->nsources >= WATCH_SOURCES_MAX);
    w->sources[w->nsources].fn = fn;
    w->sources[w->nsources++].ctx = ctx;
}

/* Builds the runtime alarms of conf, keeping each known alarm's state: from the running
 * alarm of the same name, else from watch.db. CloudWatch keeps an updated alarm's state;
 * so do we, and re-evaluate it at once. Called with mu held (or before start). */
static void
watch_apply_now(struct watch *w, struct watch_conf *conf)
{
    uint64_t now = clock_wall_ms();
    struct watch_alarm *next = mem_alloc_or_exit((conf->nalarms + 1) * sizeof(*next));
    const char **keep = mem_alloc_or_exit((conf->nalarms + 1) * sizeof(*keep));

    for (unsigned i = 0; i < conf->nalarms; i++) {
        const struct watch_alarm_conf *ac = &conf->alarms[i];
        struct watch_alarm *a = &next[i];
        struct store_alarm sa;
        bool running = false, have_row = store_alarm_get(w->db, ac->name, &sa);

        keep[i] = ac->name;
        alarm_run_init(&a->run, ac, now);
        a->config_ms = now;
        for (unsigned k = 0; k < w->nalarms && !running; k++) {
            const struct watch_alarm *o = &w->alarms[k];
            if (strcmp(o->run.conf->name, ac->name) != 0)
                continue;
            a->run.state = o->run.state;
            memcpy(a->run.reason, o->run.reason, sizeof(a->run.reason));
            a->run.updated_ms = o->run.updated_ms;
            a->config_ms = o->config_ms;
            if (strcmp(o->run.conf->hash, ac->hash) == 0)
                a->run.last_end_s = o->run.last_end_s;
            running = true;
        }
        if (!running && have_row) {
            a->run.state = sa.state;
            memcpy(a->run.reason, sa.reason, sizeof(a->run.reason));
            a->run.updated_ms = sa.updated_ms;
            a->config_ms = sa.config_ms;
        }
        if (have_row && strcmp(sa.hash, ac->hash) == 0)
            continue;
        /* New or changed: the row records the configuration's time (the message's
         * AlarmConfigurationUpdatedTimestamp). */
        a->config_ms = now;
        memset(&sa, 0, sizeof(sa));
        snprintf(sa.hash, sizeof(sa.hash), "%s", ac->hash);
        sa.state = a->run.state;
        memcpy(sa.reason, a->run.reason, sizeof(sa.reason));
        sa.updated_ms = a->run.updated_ms;
        sa.config_ms = a->config_ms;
        store_alarm_put(w->db, ac->name, &sa);
    }
    keep[conf->nalarms] = NULL;
    store_alarm_retain(w->db, keep);
    free(keep);
    free(w->alarms);
    w->alarms = next;
    w->nalarms = conf->nalarms;
    watch_conf_free(w->conf);
    w->conf = conf;
    if (w->dv)
        deliver_set_conf(w->dv, conf);
}

void
watch_apply(struct watch *w, struct watch_conf *conf)
{
    pthread_mutex_lock(&w->mu);
    if (!w->running) {
        watch_apply_now(w, conf);
        pthread_mutex_unlock(&w->mu);
        return;
    }
    watch_conf_free(w->next_conf);      /* a newer reload wins */
    w->next_conf = conf;
    pthread_mutex_unlock(&w->mu);
    loop_wake(w->loop);
}

static void
watch_on_wake(struct loop *l, void *ctx)
{
    struct watch *w = ctx;

    pthread_mutex_lock(&w->mu);
    struct watch_conf *c = w->next_conf;
    w->next_conf = NULL;
    if (c)
        watch_apply_now(w, c);
    pthread_mutex_unlock(&w->mu);
}

/* --- reading datapoints --- */

/* Where a label `name="value"` sits in a key, on label boundaries. */
static bool
watch_key_has(const char *key, const char *name, const char *value)
{
    char want[600];
    struct watch_labels one = { 1, { name }, { value } };
    unsigned n = series_key("", &one, want, sizeof(want));

    /* want is {name="value"}: look for it without its braces, between separators. */
    if (n < 3)
        return false;
    want[n - 1] = '\0';
    for (const char *p = strstr(key, want + 1); p; p = strstr(p + 1, want + 1)) {
        char before = p > key ? p[-1] : 0, after = p[n - 2];
        if ((before == '{' || before == ',') && (after == ',' || after == '}'))
            return true;
    }
    return false;
}

struct watch_minutes {
    const struct series_sel *sel;
    int64_t t0, period;
    unsigned nper;
    double *n, *sum, *min, *max;
    struct metric_hist **h;
    bool hist;
};

static void
watch_on_minute(void *ctx, const char *key, int kind, int64_t t_s, const struct series_agg *a,
                const void *blob, size_t len)
{
    struct watch_minutes *m = ctx;
    const struct series_sel *sel = m->sel;

    if (sel->fixed_label && !watch_key_has(key, sel->fixed_label, sel->fixed_value))
        return;
    for (unsigned i = 0; sel->dims && i < sel->dims->n; i++)
        if (!watch_key_has(key, sel->dims->name[i], sel->dims->value[i]))
            return;
    int64_t k = (t_s - m->t0) / m->period;
    if (k < 0 || (uint64_t)k >= m->nper)
        return;
    m->n[k] += a->n;
    m->sum[k] += a->sum;
    if (!isnan(a->min) && (isnan(m->min[k]) || a->min < m->min[k]))
        m->min[k] = a->min;
    if (!isnan(a->max) && (isnan(m->max[k]) || a->max > m->max[k]))
        m->max[k] = a->max;
    if (kind == SERIES_HIST) {
        m->hist = true;
        if (!m->h[k])
            m->h[k] = mem_alloc_or_exit(sizeof(*m->h[k]));
        const unsigned char *p = blob;
        for (size_t off = 0; off + 6 <= len; off += 6) {
            unsigned idx = p[off] | (unsigned)p[off + 1] << 8;
            uint32_t c = (uint32_t)p[off + 2] | (uint32_t)p[off + 3] << 8 |
                         (uint32_t)p[off + 4] << 16 | (uint32_t)p[off + 5] << 24;
            if (idx < METRIC_BUCKETS) {
                m->h[k]->buckets[idx] += c;
                m->h[k]->count += c;
                if (metric_bucket_value(idx) > m->h[k]->max)
                    m->h[k]->max = metric_bucket_value(idx);
            }
        }
    }
}

/* Statistics of nper periods of `period` seconds from t0 read from the minute aggregates
 * into v (NAN where nothing is stored). Gauge and counter percentiles are not kept per
 * minute: NAN. */
static void
watch_minutes_stat(struct store *db, const struct series_sel *sel, enum watch_stat st,
                   int64_t t0, int64_t period, unsigned nper, double *v)
{
    struct watch_minutes m = { .sel = sel, .t0 = t0, .period = period, .nper = nper };
    double scale = sel->scale ? sel->scale : 1;

    m.n = mem_alloc_or_exit(nper * sizeof(double));
    m.sum = mem_alloc_or_exit(nper * sizeof(double));
    m.min = mem_alloc_or_exit(nper * sizeof(double));
    m.max = mem_alloc_or_exit(nper * sizeof(double));
    m.h = mem_alloc_or_exit(nper * sizeof(*m.h));
    for (unsigned i = 0; i < nper; i++)
        m.min[i] = m.max[i] = NAN;
    store_minutes_get(db, sel->name, t0, t0 + period * (int64_t)nper, watch_on_minute, &m);
    double *den = NULL;
    if (sel->per_series) {
        struct watch_minutes d = m;
        struct series_sel ds = *sel;
        ds.name = sel->per_series;
        ds.fixed_label = NULL;
        d.sel = &ds;
        d.n = mem_alloc_or_exit(nper * sizeof(double));
        d.sum = mem_alloc_or_exit(nper * sizeof(double));
        d.min = mem_alloc_or_exit(nper * sizeof(double));
        d.max = mem_alloc_or_exit(nper * sizeof(double));
        d.h = mem_alloc_or_exit(nper * sizeof(*d.h));
        store_minutes_get(db, sel->per_series, t0, t0 + period * (int64_t)nper, watch_on_minute,
                          &d);
        den = mem_alloc_or_exit(nper * sizeof(double));
        for (unsigned i = 0; i < nper; i++)
            den[i] = d.n[i] > 0 ? d.sum[i] / d.n[i] : NAN;
        free(d.n);
        free(d.sum);
        free(d.min);
        free(d.max);
        free(d.h);
    }
    for (unsigned i = 0; i < nper; i++) {
        double out = NAN;
        if (m.n[i] > 0) {
            switch (st) {
            case WATCH_STAT_AVERAGE:
                out = m.sum[i] / m.n[i] * scale;
                break;
            case WATCH_STAT_SUM:
                out = m.sum[i] * scale;
                break;
            case WATCH_STAT_MINIMUM:
                out = m.min[i] * scale;
                break;
            case WATCH_STAT_MAXIMUM:
                out = m.max[i] * scale;
                break;
            case WATCH_STAT_SAMPLE_COUNT:
                out = m.n[i];
                break;
            default:
                if (m.h[i])
                    out = (double)metric_hist_quantile(m.h[i], series_percentile_q(st)) * scale;
                break;
            }
        }
        if (den)
            out = !isnan(den[i]) && den[i] > 0 ? out / den[i] : NAN;
        v[i] = out;
        free(m.h[i]);
    }
    free(den);
    free(m.n);
    free(m.sum);
    free(m.min);
    free(m.max);
    free(m.h);
}

/* The statistic of each of nper periods from t0: from memory when the range is in the
 * rings, else from watch.db (db: the caller's connection). */
static void
watch_periods(struct watch *w, struct store *db, const struct series_sel *sel,
              enum watch_stat st, int64_t t0, int64_t period, unsigned nper, int64_t now_s,
              double *v)
{
    if (t0 > now_s - SERIES_RING_S + 1) {
        pthread_mutex_lock(&w->mu);
        for (unsigned i = 0; i < nper; i++)
            v[i] = series_stat(w->reg, sel, st, t0 + (int64_t)i * period,
                               t0 + (int64_t)(i + 1) * period);
        pthread_mutex_unlock(&w->mu);
        return;
    }
    watch_minutes_stat(db, sel, st, t0, period, nper, v);
}

/* The selection an alarm metric name (or a plain series name) stands for. */
static void
watch_sel(const char *metric, const struct watch_labels *dims, struct series_sel *sel)
{
    const struct metricmap *mm = metricmap_find(metric);

    memset(sel, 0, sizeof(*sel));
    sel->dims = dims;
    sel->name = metric;
    if (mm) {
        sel->name = mm->series;
        sel->fixed_label = mm->fixed_label;
        sel->fixed_value = mm->fixed_value;
        sel->per_series = mm->per_series;
        sel->scale = mm->scale;
    }
}

int
watch_query(struct watch *w, const char *metric, const struct watch_labels *dims,
            const char *statistic, uint64_t period_s, int64_t start_s, int64_t end_s,
            struct watch_datapoint *out, unsigned max)
{
    enum watch_stat st;
    struct series_sel sel;
    int64_t now_s = (int64_t)(clock_wall_ms() / 1000);

    if (watch_stat_parse(statistic, &st) < 0 || period_s == 0 || end_s < start_s)
        return -EINVAL;
    watch_sel(metric, dims, &sel);
    if (start_s <= now_s - SERIES_RING_S && period_s % 60) {
        period_s = (period_s + 59) / 60 * 60;       /* minutes are the stored grain */
        start_s -= ((start_s % 60) + 60) % 60;
    }
    uint64_t nper = ((uint64_t)(end_s - start_s) + period_s - 1) / period_s;
    if (nper > 100000)
        return -E2BIG;
    unsigned n = 0;
    double *v = mem_alloc_or_exit((nper + 1) * sizeof(*v));
    pthread_mutex_lock(&w->qmu);
    watch_periods(w, w->qdb, &sel, st, start_s, (int64_t)period_s, (unsigned)nper, now_s, v);
    pthread_mutex_unlock(&w->qmu);
    for (unsigned i = 0; i < nper && n < max; i++)
        if (!isnan(v[i])) {
            out[n].t_s = start_s + (int64_t)(i * period_s);
            out[n++].value = v[i];
        }
    free(v);
    return (int)n;
}

/* --- alarms --- */

static char *
watch_points_json(const double *p, unsigned n, int64_t end_s, uint64_t period_s)
{
    json_t *arr = json_array();

    for (unsigned i = 0; i < n; i++) {
        json_t *o = json_object();
        char t[40];
        sns_time((uint64_t)(end_s - (int64_t)((n - i) * period_s)) * 1000, "Z", t, sizeof(t));
        json_object_set_new(o, "timestamp", json_string(t));
        json_object_set_new(o, "value", isnan(p[i]) ? json_null() : json_real(p[i]));
        json_array_append_new(arr, o);
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Queues one delivery per subscription of each action topic and records the transition,
 * in one transaction. Returns 0, or -EIO when nothing was recorded. */
static int
watch_record(struct watch *w, struct watch_alarm *a, const struct alarm_transition *t,
             const double *points, unsigned n)
{
    const struct watch_alarm_conf *ac = a->run.conf;
    char *message = sns_alarm_message(ac, t, a->config_ms), subject[400];
    struct store_delivery *dl = NULL;
    char **bodies = NULL;
    unsigned ndl = 0;

    sns_subject(ac->name, t->new_state, subject, sizeof(subject));
    for (unsigned i = 0; i < t->nactions; i++) {
        const struct watch_topic *topic = watch_conf_topic(w->conf, t->actions[i]);
        for (unsigned k = 0; topic && k < topic->nsubs; k++) {
            dl = mem_realloc_or_exit(dl, (ndl + 1) * sizeof(*dl));
            bodies = mem_realloc_or_exit(bodies, (ndl + 1) * sizeof(*bodies));
            struct store_delivery *d = &dl[ndl];
            memset(d, 0, sizeof(*d));
            sns_uuid4(d->message_id);
            d->alarm = ac->name;
            d->topic = topic->name;
            d->kind = topic->subs[k].kind;
            d->endpoint = topic->subs[k].endpoint;
            d->subject = subject;
            d->message = message;
            bodies[ndl] = sns_envelope(d->message_id, topic->name, subject, message, t->at_ms);
            d->body = bodies[ndl];
            d->queued_ms = t->at_ms;
            ndl++;
        }
    }
    char *pts = watch_points_json(points, n, t->end_s, ac->period_s);
    int rc = store_transition(w->db, ac, t, pts, dl, ndl);
    free(pts);
    for (unsigned i = 0; i < ndl; i++)
        free(bodies[i]);
    free(bodies);
    free(dl);
    free(message);
    return rc;
}

static void
watch_evaluate(struct watch *w, int64_t now_s, uint64_t now_ms)
{
    bool queued = false;

    for (unsigned i = 0; i < w->nalarms; i++) {
        struct watch_alarm *a = &w->alarms[i];
        const struct watch_alarm_conf *ac = a->run.conf;
        double points[ALARM_RUN_POINTS_MAX];
        struct alarm_transition t;
        struct series_sel sel;
        struct watch_labels dims = { 0 };
        int64_t end;

        pthread_mutex_lock(&w->mu);
        bool due = alarm_run_due(&a->run, now_s, &end);
        pthread_mutex_unlock(&w->mu);
        if (!due)
            continue;
        unsigned n = alarm_run_range(ac);
        dims.n = ac->ndims;
        for (unsigned k = 0; k < ac->ndims; k++) {
            dims.name[k] = ac->dim_name[k];
            dims.value[k] = ac->dim_value[k];
        }
        watch_sel(ac->metric, &dims, &sel);
        watch_periods(w, w->db, &sel, ac->stat, end - (int64_t)(n * ac->period_s),
                      (int64_t)ac->period_s, n, now_s, points);

        pthread_mutex_lock(&w->mu);
        struct alarm_run saved = a->run;
        bool changed = alarm_run_step(&a->run, points, n, end, now_ms, &t);
        pthread_mutex_unlock(&w->mu);
        if (!changed)
            continue;
        if (watch_record(w, a, &t, points, n) < 0) {
            /* Not recorded: forget the change so the next evaluation tries again. */
            pthread_mutex_lock(&w->mu);
            a->run = saved;
            pthread_mutex_unlock(&w->mu);
            continue;
        }
        log_info("watch", "alarm state changed alarm=%s from=%s to=%s actions=%u", ac->name,
                 alarm_state_name(t.old_state), alarm_state_name(t.new_state), t.nactions);
        queued |= t.nactions > 0;
    }
    if (queued && w->dv)
        deliver_kick(w->dv);
}

/* --- the thread --- */

static void
watch_sample(struct watch *w, int64_t now_s)
{
    struct watch_sink sink = { w };

    pthread_mutex_lock(&w->mu);
    series_reg_begin(w->reg, now_s);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->nsources; i++)
        w->sources[i].fn(w->sources[i].ctx, &sink);
    pthread_mutex_lock(&w->mu);
    series_reg_end(w->reg);
    pthread_mutex_unlock(&w->mu);
}

static void
watch_on_tick(struct loop *l, struct loop_timer *t)
{
    struct watch *w = container_of(t, struct watch, tick);
    uint64_t now_ms = clock_wall_ms();
    int64_t now_s = (int64_t)(now_ms / 1000);

    watch_sample(w, now_s);
    /* The minute that just ended goes to disk once its last second is in. */
    int64_t minute = (now_s / 60) * 60;
    if (minute > w->last_minute_s && now_s >= minute) {
        pthread_mutex_lock(&w->mu);
        for (int64_t m = w->last_minute_s; m < minute; m += 60)
            if (minute - m <= SERIES_RING_S - 60)
                store_minutes_put(w->db, w->reg, m);
        pthread_mutex_unlock(&w->mu);
        w->last_minute_s = minute;
    }
    watch_evaluate(w, now_s, now_ms);
    if (now_s - w->last_prune_s >= WATCH_PRUNE_EVERY_S) {
        store_prune(w->db, now_ms);
        w->last_prune_s = now_s;
    }
    /* Next tick just after the next wall-clock second. */
    uint64_t ms = clock_wall_ms();
    loop_timer_start(l, &w->tick, 1000 - ms % 1000 + 20, watch_on_tick);
}

static void *
watch_main(void *arg)
{
    struct watch *w = arg;
    int rc = loop_run(w->loop);

    if (rc < 0)
        log_error("watch", "watch loop stopped: %s", err_str(rc));
    return NULL;
}

int
watch_start(struct watch *w)
{
    if (w->running)
        return 0;
    w->loop = loop_new();
    if (!w->loop)
        return -errno;
    w->dv = deliver_new(w->loop, w->db);
    deliver_set_conf(w->dv, w->conf);
    loop_on_wake(w->loop, watch_on_wake, w);
    loop_timer_start(w->loop, &w->tick, 0, watch_on_tick);
    pthread_mutex_lock(&w->mu);
    w->running = true;
    pthread_mutex_unlock(&w->mu);
    int rc = pthread_create(&w->thread, NULL, watch_main, w);
    if (rc != 0) {
        w->running = false;
        deliver_free(w->dv);
        w->dv = NULL;
        loop_free(w->loop);
        w->loop = NULL;
        return -rc;
    }
    return 0;
}

void
watch_stop(struct watch *w)
{
    if (!w->running)
        return;
    loop_stop(w->loop);
    pthread_join(w->thread, NULL);
    pthread_mutex_lock(&w->mu);
    w->running = false;
    if (w->next_conf) {
        watch_apply_now(w, w->next_conf);
        w->next_conf = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    loop_timer_stop(w->loop, &w->tick);
    deliver_free(w->dv);
    w->dv = NULL;
    loop_flush_deferred(w->loop);
    loop_free(w->loop);
    w->loop = NULL;
}

void
watch_free(struct watch *w)
{
    if (!w)
        return;
    watch_stop(w);
    series_reg_free(w->reg);
    hostsrc_free(w->host);
    watch_conf_free(w->conf);
    watch_conf_free(w->next_conf);
    free(w->alarms);
    store_close(w->db);
    store_close(w->qdb);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->qmu);
    free(w->db_path);
    free(w->state_dir);
    free(w);
}

/* --- reads from other threads --- */

void
watch_prometheus(struct watch *w, struct buf *out)
{
    pthread_mutex_lock(&w->mu);
    prom_write(w->reg, (int64_t)(clock_wall_ms() / 1000), out);
    pthread_mutex_unlock(&w->mu);
}

bool
watch_latest(struct watch *w, const char *name, const struct watch_labels *l, double *out)
{
    bool ok = false;

    pthread_mutex_lock(&w->mu);
    struct series *s = series_find(w->reg, name, l);
    if (s && s->has_prev) {
        *out = s->cur;
        ok = true;
    }
    pthread_mutex_unlock(&w->mu);
    return ok;
}

void
watch_alarms_visit(struct watch *w, watch_alarm_fn fn, void *ctx)
{
    pthread_mutex_lock(&w->mu);
    for (unsigned i = 0; i < w->nalarms; i++) {
        const struct watch_alarm *a = &w->alarms[i];
        struct watch_alarm_info info = {
            .name = a->run.conf->name,
            .state = alarm_state_name(a->run.state),
            .reason = a->run.reason,
            .updated_ms = a->run.updated_ms,
            .metric = a->run.conf->metric,
            .statistic = watch_stat_name(a->run.conf->stat),
            .period_s = a->run.conf->period_s,
            .comparison = alarm_cmp_words(a->run.conf->rule.cmp),
            .threshold = a->run.conf->rule.threshold,
            .evaluation_periods = a->run.conf->rule.evaluation_periods,
            .datapoints_to_alarm = a->run.conf->rule.datapoints_to_alarm,
            .dim_name = a->run.conf->ndims ? a->run.conf->dim_name[0] : NULL,
            .dim_value = a->run.conf->ndims ? a->run.conf->dim_value[0] : NULL,
        };
        fn(ctx, &info);
    }
    pthread_mutex_unlock(&w->mu);
}

int
watch_alarm_history(struct watch *w, const char *name, unsigned limit, watch_history_fn fn,
                    void *ctx)
{
    bool known = false;

    pthread_mutex_lock(&w->mu);
    for (unsigned i = 0; i < w->nalarms && !known; i++)
        known = strcmp(w->alarms[i].run.conf->name, name) == 0;
    pthread_mutex_unlock(&w->mu);
    if (!known)
        return -ENOENT;
    pthread_mutex_lock(&w->qmu);
    store_history(w->qdb, name, limit, fn, ctx);
    pthread_mutex_unlock(&w->qmu);
    return 0;
}
