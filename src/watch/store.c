/*
 * watch/store.c: watch.db (see store.h). Owns the connection; statements are prepared per
 * call (a few per second at most). Histogram minutes are stored sparsely: 6 bytes per
 * non-empty bucket (uint16 index, uint32 count, little-endian).
 */
#include "watch/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/sqldb.h"
#include "watch/sns.h"

struct store {
    sqlite3 *db;
};

static const char store_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS alarms ("
    "  name TEXT PRIMARY KEY, hash TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL, config_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS alarm_history ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  old_state TEXT NOT NULL, new_state TEXT NOT NULL, reason TEXT NOT NULL,"
    "  datapoints TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS alarm_history_name ON alarm_history(name, at_ms);"
    "CREATE TABLE IF NOT EXISTS deliveries ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,"
    "  alarm TEXT NOT NULL, topic TEXT NOT NULL, kind INTEGER NOT NULL, endpoint TEXT NOT NULL,"
    "  subject TEXT NOT NULL, message TEXT NOT NULL, body TEXT NOT NULL,"
    "  queued_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'pending',"
    "  done_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_ms);"
    "CREATE TABLE IF NOT EXISTS attempts ("
    "  delivery_id INTEGER NOT NULL, at_ms INTEGER NOT NULL, status TEXT NOT NULL,"
    "  result TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts(delivery_id);"
    "CREATE TABLE IF NOT EXISTS minutes ("
    "  key TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL, t_s INTEGER NOT NULL,"
    "  n REAL NOT NULL, sum REAL NOT NULL, min REAL, max REAL, hist BLOB,"
    "  PRIMARY KEY (key, t_s));"
    "CREATE INDEX IF NOT EXISTS minutes_name ON minutes(name, t_s);";

struct store *
store_open(const char *path, char *errbuf, size_t errlen)
{
    struct store *db = mem_alloc_or_exit(sizeof(*db));

    if (!(db->db = sqldb_open(path, store_schema, errbuf, errlen))) {
        free(db);
        return NULL;
    }
    return db;
}

void
store_close(struct store *db)
{
    if (!db)
        return;
    sqlite3_close(db->db);
    free(db);
}

static sqlite3_stmt *
store_prepare(struct store *db, const char *sql)
{
    return sqldb_prepare(db->db, "watch", "watch.db", sql);
}

/* Steps a write statement to the end and finalizes it. 0 or -EIO (logged). */
static int
store_done(struct store *db, sqlite3_stmt *st)
{
    return sqldb_done(db->db, "watch", "watch.db", st);
}

static int
store_exec(struct store *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("watch", "watch.db: %s: %s", sql, err ? err : "?");
        sqlite3_free(err);
        return -EIO;
    }
    return 0;
}

static enum alarm_state
store_state_parse(const char *s)
{
    if (s && strcmp(s, "OK") == 0)
        return ALARM_STATE_OK;
    if (s && strcmp(s, "ALARM") == 0)
        return ALARM_STATE_ALARM;
    return ALARM_STATE_INSUFFICIENT_DATA;
}

bool
store_alarm_get(struct store *db, const char *name, struct store_alarm *out)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT hash, state, reason, updated_ms, config_ms "
                                         "FROM alarms WHERE name = ?");
    bool found = false;

    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out->hash, sizeof(out->hash), "%s", (const char *)sqlite3_column_text(st, 0));
        out->state = store_state_parse((const char *)sqlite3_column_text(st, 1));
        snprintf(out->reason, sizeof(out->reason), "%s",
                 (const char *)sqlite3_column_text(st, 2));
        out->updated_ms = (uint64_t)sqlite3_column_int64(st, 3);
        out->config_ms = (uint64_t)sqlite3_column_int64(st, 4);
        found = true;
    }
    sqlite3_finalize(st);
    return found;
}

int
store_alarm_put(struct store *db, const char *name, const struct store_alarm *a)
{
    sqlite3_stmt *st = store_prepare(db, "INSERT OR REPLACE INTO alarms (name, hash, state, "
                                         "reason, updated_ms, config_ms) "
                                         "VALUES (?, ?, ?, ?, ?, ?)");

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, alarm_state_name(a->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)a->updated_ms);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)a->config_ms);
    return store_done(db, st);
}

void
store_alarm_retain(struct store *db, const char *const *keep)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT name FROM alarms");
    char **gone = NULL;
    unsigned n = 0;

    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool kept = false;
        for (const char *const *k = keep; *k && !kept; k++)
            kept = strcmp(*k, name) == 0;
        if (kept)
            continue;
        gone = mem_realloc_or_exit(gone, (n + 1) * sizeof(*gone));
        gone[n++] = mem_strdup_or_exit(name);
    }
    sqlite3_finalize(st);
    for (unsigned i = 0; i < n; i++) {
        if ((st = store_prepare(db, "DELETE FROM alarms WHERE name = ?"))) {
            sqlite3_bind_text(st, 1, gone[i], -1, SQLITE_STATIC);
            store_done(db, st);
        }
        free(gone[i]);
    }
    free(gone);
}

static int
store_insert_delivery(struct store *db, const struct store_delivery *d)
{
    sqlite3_stmt *st = store_prepare(db, "INSERT INTO deliveries (message_id, alarm, topic, "
                                         "kind, endpoint, subject, message, body, queued_ms, "
                                         "next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, d->message_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->alarm, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)d->kind);
    sqlite3_bind_text(st, 5, d->endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, d->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, d->message, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, d->body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)d->queued_ms);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)d->queued_ms);
    return store_done(db, st);
}

int
store_transition(struct store *db, const struct watch_alarm_conf *a,
                 const struct alarm_transition *t, const char *datapoints_json,
                 const struct store_delivery *dl, unsigned ndl)
{
    sqlite3_stmt *st;
    int rc = 0;

    if (store_exec(db, "BEGIN IMMEDIATE") < 0)
        return -EIO;
    for (unsigned i = 0; i < ndl && rc == 0; i++)
        rc = store_insert_delivery(db, &dl[i]);
    if (rc == 0 && (st = store_prepare(db, "UPDATE alarms SET state = ?, reason = ?, "
                                           "updated_ms = ? WHERE name = ?"))) {
        sqlite3_bind_text(st, 1, alarm_state_name(t->new_state), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)t->at_ms);
        sqlite3_bind_text(st, 4, a->name, -1, SQLITE_STATIC);
        rc = store_done(db, st);
    } else if (rc == 0) {
        rc = -EIO;
    }
    if (rc == 0 && (st = store_prepare(db, "INSERT INTO alarm_history (name, at_ms, old_state, "
                                           "new_state, reason, datapoints) "
                                           "VALUES (?, ?, ?, ?, ?, ?)"))) {
        sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)t->at_ms);
        sqlite3_bind_text(st, 3, alarm_state_name(t->old_state), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, alarm_state_name(t->new_state), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, t->reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, datapoints_json ? datapoints_json : "[]", -1, SQLITE_STATIC);
        rc = store_done(db, st);
    } else if (rc == 0) {
        rc = -EIO;
    }
    if (rc == 0 && store_exec(db, "COMMIT") == 0)
        return 0;
    store_exec(db, "ROLLBACK");
    return -EIO;
}

unsigned
store_due(struct store *db, uint64_t now_ms, unsigned limit, const int64_t *skip,
          unsigned nskip, store_delivery_fn fn, void *ctx)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT id, message_id, alarm, topic, kind, endpoint, "
                                         "subject, message, body, queued_ms, attempts "
                                         "FROM deliveries WHERE status = 'pending' AND "
                                         "next_ms <= ? ORDER BY next_ms, id LIMIT ?");
    unsigned n = 0;

    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(limit + nskip));
    while (n < limit && sqlite3_step(st) == SQLITE_ROW) {
        struct store_delivery d;
        bool skipped = false;
        memset(&d, 0, sizeof(d));
        d.id = sqlite3_column_int64(st, 0);
        for (unsigned i = 0; i < nskip && !skipped; i++)
            skipped = skip[i] == d.id;
        if (skipped)
            continue;
        snprintf(d.message_id, sizeof(d.message_id), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        d.alarm = (const char *)sqlite3_column_text(st, 2);
        d.topic = (const char *)sqlite3_column_text(st, 3);
        d.kind = (enum watch_sub_kind)sqlite3_column_int(st, 4);
        d.endpoint = (const char *)sqlite3_column_text(st, 5);
        d.subject = (const char *)sqlite3_column_text(st, 6);
        d.message = (const char *)sqlite3_column_text(st, 7);
        d.body = (const char *)sqlite3_column_text(st, 8);
        d.queued_ms = (uint64_t)sqlite3_column_int64(st, 9);
        d.attempts = (unsigned)sqlite3_column_int(st, 10);
        fn(ctx, &d);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

bool
store_next_due(struct store *db, uint64_t *next_ms)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT MIN(next_ms) FROM deliveries "
                                         "WHERE status = 'pending'");
    bool found = false;

    if (!st)
        return false;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *next_ms = (uint64_t)sqlite3_column_int64(st, 0);
        found = true;
    }
    sqlite3_finalize(st);
    return found;
}

int
store_attempt(struct store *db, int64_t id, uint64_t at_ms, const char *status,
              const char *result, uint64_t next_ms)
{
    sqlite3_stmt *st;
    int rc = -EIO;

    if (store_exec(db, "BEGIN IMMEDIATE") < 0)
        return -EIO;
    if ((st = store_prepare(db, "INSERT INTO attempts (delivery_id, at_ms, status, result) "
                                "VALUES (?, ?, ?, ?)"))) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)at_ms);
        sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
        rc = store_done(db, st);
    }
    if (rc == 0 && (st = store_prepare(db, "UPDATE deliveries SET attempts = attempts + 1, "
                                           "status = ?, next_ms = ?, done_ms = ? WHERE id = ?"))) {
        bool done = strcmp(status, "pending") != 0;
        sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)next_ms);
        if (done)
            sqlite3_bind_int64(st, 3, (sqlite3_int64)at_ms);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, id);
        rc = store_done(db, st);
    }
    if (rc == 0 && store_exec(db, "COMMIT") == 0)
        return 0;
    store_exec(db, "ROLLBACK");
    return -EIO;
}

void
store_delivery_counts(struct store *db, uint64_t *pending, uint64_t *delivered,
                      uint64_t *failed)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT status, COUNT(*) FROM deliveries "
                                         "GROUP BY status");

    *pending = *delivered = *failed = 0;
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        if (strcmp(s, "pending") == 0)
            *pending = n;
        else if (strcmp(s, "delivered") == 0)
            *delivered = n;
        else
            *failed += n;
    }
    sqlite3_finalize(st);
}

void
store_history(struct store *db, const char *alarm, unsigned limit, store_history_fn fn,
              void *ctx)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT at_ms, old_state, new_state, reason "
                                         "FROM alarm_history WHERE name = ? "
                                         "ORDER BY at_ms DESC, id DESC LIMIT ?");

    if (!st)
        return;
    sqlite3_bind_text(st, 1, alarm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit);
    while (sqlite3_step(st) == SQLITE_ROW)
        fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
}

struct store_minute_ctx {
    struct store *db;
    sqlite3_stmt *st;
    int64_t t0;
    struct metric_hist *h;
    unsigned char *blob;
    int rc;
};

static void
store_minute_one(void *ctx, const struct series *s)
{
    struct store_minute_ctx *m = ctx;
    struct series_agg agg;
    size_t len = 0;

    if (m->rc < 0 || !series_minute(s, m->t0, &agg, s->kind == SERIES_HIST ? m->h : NULL))
        return;
    if (s->kind == SERIES_HIST)
        for (unsigned i = 0; i < METRIC_BUCKETS; i++) {
            uint32_t c = m->h->buckets[i];
            if (!c)
                continue;
            unsigned char *p = m->blob + len;
            p[0] = (unsigned char)i;
            p[1] = (unsigned char)(i >> 8);
            for (unsigned k = 0; k < 4; k++)
                p[2 + k] = (unsigned char)(c >> (8 * k));
            len += 6;
        }
    sqlite3_reset(m->st);
    sqlite3_bind_text(m->st, 1, s->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(m->st, 2, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(m->st, 3, (int)s->kind);
    sqlite3_bind_int64(m->st, 4, m->t0);
    sqlite3_bind_double(m->st, 5, agg.n);
    sqlite3_bind_double(m->st, 6, agg.sum);
    if (isfinite(agg.min))
        sqlite3_bind_double(m->st, 7, agg.min);
    else
        sqlite3_bind_null(m->st, 7);
    if (isfinite(agg.max))
        sqlite3_bind_double(m->st, 8, agg.max);
    else
        sqlite3_bind_null(m->st, 8);
    if (len)
        sqlite3_bind_blob(m->st, 9, m->blob, (int)len, SQLITE_STATIC);
    else
        sqlite3_bind_null(m->st, 9);
    if (sqlite3_step(m->st) != SQLITE_DONE) {
        log_error("watch", "watch.db minute write failed: %s", sqlite3_errmsg(m->db->db));
        m->rc = -EIO;
    }
}

int
store_minutes_put(struct store *db, struct series_reg *reg, int64_t t0_s)
{
    struct store_minute_ctx m = { .db = db, .t0 = t0_s };

    if (store_exec(db, "BEGIN") < 0)
        return -EIO;
    m.st = store_prepare(db, "INSERT OR REPLACE INTO minutes (key, name, kind, t_s, n, sum, "
                             "min, max, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!m.st) {
        store_exec(db, "ROLLBACK");
        return -EIO;
    }
    m.h = mem_alloc_or_exit(sizeof(*m.h));
    m.blob = mem_alloc_or_exit(METRIC_BUCKETS * 6);
    series_reg_visit(reg, store_minute_one, &m);
    sqlite3_finalize(m.st);
    free(m.h);
    free(m.blob);
    if (m.rc == 0 && store_exec(db, "COMMIT") == 0)
        return 0;
    store_exec(db, "ROLLBACK");
    return -EIO;
}

void
store_minutes_get(struct store *db, const char *name, int64_t t0_s, int64_t t1_s,
                  store_minute_fn fn, void *ctx)
{
    sqlite3_stmt *st = store_prepare(db, "SELECT key, kind, t_s, n, sum, min, max, hist "
                                         "FROM minutes WHERE name = ? AND t_s >= ? AND t_s < ? "
                                         "ORDER BY t_s");

    if (!st)
        return;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, t0_s);
    sqlite3_bind_int64(st, 3, t1_s);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct series_agg a = {
            .n = sqlite3_column_double(st, 3),
            .sum = sqlite3_column_double(st, 4),
            .min = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5),
            .max = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6),
        };
        fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
           sqlite3_column_int64(st, 2), &a, sqlite3_column_blob(st, 7),
           (size_t)sqlite3_column_bytes(st, 7));
    }
    sqlite3_finalize(st);
}

void
store_prune(struct store *db, uint64_t now_ms)
{
    char sql[512];
    int64_t min_s = (int64_t)(now_ms / 1000) - STORE_MINUTES_KEEP_S;
    uint64_t hist_ms = now_ms > STORE_HISTORY_KEEP_MS ? now_ms - STORE_HISTORY_KEEP_MS : 0;

    snprintf(sql, sizeof(sql),
             "DELETE FROM minutes WHERE t_s < %lld;"
             "DELETE FROM alarm_history WHERE at_ms < %llu;"
             "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
             "status != 'pending' AND done_ms < %llu);"
             "DELETE FROM deliveries WHERE status != 'pending' AND done_ms < %llu;",
             (long long)min_s, (unsigned long long)hist_ms,
             (unsigned long long)(now_ms - STORE_MINUTES_KEEP_S * 1000ull),
             (unsigned long long)(now_ms - STORE_MINUTES_KEEP_S * 1000ull));
    store_exec(db, sql);
}
