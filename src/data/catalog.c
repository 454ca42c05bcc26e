/*
 * data/catalog.c: the backup catalog in SQLite (data/catalog.h).
 */
#include "data/catalog.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/sqldb.h"

struct catalog {
    sqlite3 *db;
    pthread_mutex_t mu;
};

static const char catalog_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS backups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, db TEXT NOT NULL, kind TEXT NOT NULL,"
    "  status TEXT NOT NULL, error TEXT, snapshot TEXT, started_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER, size_bytes INTEGER, binlog_file TEXT, binlog_pos INTEGER,"
    "  gtid TEXT, figures TEXT, verify TEXT, verify_ms INTEGER, verify_detail TEXT,"
    "  verified_at_ms INTEGER, key_snapshot TEXT);"
    "CREATE TABLE IF NOT EXISTS binlogs ("
    "  db TEXT NOT NULL, file TEXT NOT NULL, snapshot TEXT NOT NULL,"
    "  shipped_ms INTEGER NOT NULL, size_bytes INTEGER NOT NULL, PRIMARY KEY (db, file));"
    "CREATE TABLE IF NOT EXISTS points (db TEXT PRIMARY KEY, restorable_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS to_forget (db TEXT NOT NULL, snapshot TEXT NOT NULL,"
    "  PRIMARY KEY (db, snapshot));";

struct catalog *
catalog_open(const char *state_dir, char *err, size_t errlen)
{
    struct catalog *c = mem_alloc_or_exit(sizeof(*c));
    char path[4096];

    snprintf(path, sizeof(path), "%s/data.db", state_dir);
    if (!(c->db = sqldb_open(path, catalog_schema, err, errlen))) {
        free(c);
        return NULL;
    }
    /* Catalogs written before key_snapshot existed gain the column (NULL: no key
     * stored with that backup). */
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog columns",
                                     "SELECT 1 FROM pragma_table_info('backups')"
                                     " WHERE name = 'key_snapshot'");
    bool has = st && sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (!has && sqlite3_exec(c->db, "ALTER TABLE backups ADD COLUMN key_snapshot TEXT", NULL,
                             NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot add key_snapshot: %s", path, sqlite3_errmsg(c->db));
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void
catalog_close(struct catalog *c)
{
    if (!c)
        return;
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void
catalog_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(out, len, "%s", t ? (const char *)t : "");
}

int64_t
catalog_backup_begin(struct catalog *c, const char *db, int64_t started_ms)
{
    int64_t id = -EIO;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog begin",
                                     "INSERT INTO backups (db, kind, status, started_ms) "
                                     "VALUES (?, 'base', 'running', ?)");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, started_ms);
        if (sqldb_done(c->db, "data", "catalog begin", st) == 0)
            id = sqlite3_last_insert_rowid(c->db);
    }
    pthread_mutex_unlock(&c->mu);
    return id;
}

int
catalog_backup_end(struct catalog *c, int64_t id, bool ok, const char *error,
                   const char *snapshot, int64_t ended_ms, uint64_t size,
                   const char *binlog_file, uint64_t binlog_pos, const char *gtid,
                   const char *figures, const char *key_snapshot)
{
    int rc = -EIO;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog end",
                                     "UPDATE backups SET status = ?, error = ?, snapshot = ?,"
                                     " ended_ms = ?, size_bytes = ?, binlog_file = ?,"
                                     " binlog_pos = ?, gtid = ?, figures = ?,"
                                     " key_snapshot = ? WHERE id = ?");
    if (st) {
        sqlite3_bind_text(st, 1, ok ? "ok" : "failed", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, snapshot, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, ended_ms);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
        sqlite3_bind_text(st, 6, binlog_file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)binlog_pos);
        sqlite3_bind_text(st, 8, gtid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 9, figures, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 10, key_snapshot, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 11, id);
        rc = sqldb_done(c->db, "data", "catalog end", st);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int
catalog_latest_base(struct catalog *c, const char *db, int64_t before_ms,
                    struct catalog_base *out)
{
    int rc = -ENOENT;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog latest",
                                     "SELECT id, snapshot, started_ms, ended_ms, binlog_file,"
                                     " binlog_pos, gtid, figures, key_snapshot FROM backups"
                                     " WHERE db = ? AND"
                                     " status = 'ok' AND ended_ms <= ? ORDER BY ended_ms DESC,"
                                     " id DESC LIMIT 1");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, before_ms);
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            catalog_text(st, 1, out->snapshot, sizeof(out->snapshot));
            out->started_ms = sqlite3_column_int64(st, 2);
            out->ended_ms = sqlite3_column_int64(st, 3);
            catalog_text(st, 4, out->binlog_file, sizeof(out->binlog_file));
            out->binlog_pos = (uint64_t)sqlite3_column_int64(st, 5);
            catalog_text(st, 6, out->gtid, sizeof(out->gtid));
            const unsigned char *f = sqlite3_column_text(st, 7);
            out->figures = f ? mem_strdup_or_exit((const char *)f) : NULL;
            catalog_text(st, 8, out->key_snapshot, sizeof(out->key_snapshot));
            rc = 0;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int
catalog_verify_set(struct catalog *c, int64_t id, bool ok, int64_t duration_ms,
                   const char *detail)
{
    int rc = -EIO;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog verify",
                                     "UPDATE backups SET verify = ?, verify_ms = ?,"
                                     " verify_detail = ?, verified_at_ms ="
                                     " CAST(strftime('%s','now') AS INTEGER) * 1000"
                                     " WHERE id = ?");
    if (st) {
        sqlite3_bind_text(st, 1, ok ? "ok" : "failed", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, duration_ms);
        sqlite3_bind_text(st, 3, detail, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, id);
        rc = sqldb_done(c->db, "data", "catalog verify", st);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int
catalog_binlog_add(struct catalog *c, const char *db, const char *file, const char *snapshot,
                   int64_t shipped_ms, uint64_t size)
{
    int rc = -EIO;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog binlog",
                                     "INSERT OR REPLACE INTO binlogs VALUES (?, ?, ?, ?, ?)");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, snapshot, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, shipped_ms);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
        rc = sqldb_done(c->db, "data", "catalog binlog", st);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

bool
catalog_binlog_has(struct catalog *c, const char *db, const char *file)
{
    bool has = false;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog binlog has",
                                     "SELECT 1 FROM binlogs WHERE db = ? AND file = ?");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
        has = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->mu);
    return has;
}

char **
catalog_binlogs_from(struct catalog *c, const char *db, const char *from, unsigned *n)
{
    char **v = NULL;
    unsigned cap = 0;

    *n = 0;
    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog binlogs",
                                     "SELECT file, snapshot FROM binlogs WHERE db = ? AND"
                                     " file >= ? ORDER BY file");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char line[512];
            snprintf(line, sizeof(line), "%s\t%s", sqlite3_column_text(st, 0),
                     sqlite3_column_text(st, 1));
            if (*n + 1 >= cap) {
                cap = cap ? cap * 2 : 16;
                v = mem_realloc_or_exit(v, cap * sizeof(char *));
            }
            v[(*n)++] = mem_strdup_or_exit(line);
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->mu);
    if (!v)
        v = mem_alloc_or_exit(sizeof(char *));
    v[*n] = NULL;
    return v;
}

int
catalog_restorable_set(struct catalog *c, const char *db, int64_t ms)
{
    int rc = -EIO;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog point",
                                     "INSERT OR REPLACE INTO points VALUES (?, ?)");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, ms);
        rc = sqldb_done(c->db, "data", "catalog point", st);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static int64_t
catalog_restorable_locked(struct catalog *c, const char *db)
{
    int64_t ms = 0;
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog point get",
                                     "SELECT restorable_ms FROM points WHERE db = ?");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            ms = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return ms;
}

int64_t
catalog_restorable_get(struct catalog *c, const char *db)
{
    pthread_mutex_lock(&c->mu);
    int64_t ms = catalog_restorable_locked(c, db);
    pthread_mutex_unlock(&c->mu);
    return ms;
}

static json_t *
catalog_col_json(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, col));
    case SQLITE_TEXT:
        return json_string((const char *)sqlite3_column_text(st, col));
    default:
        return json_null();
    }
}

json_t *
catalog_backups_json(struct catalog *c, const char *db)
{
    static const char *const cols[] = { "id", "status", "error", "snapshot", "started_ms",
                                        "ended_ms", "size_bytes", "binlog_file", "binlog_pos",
                                        "gtid", "verify", "verify_ms", "verify_detail",
                                        "verified_at_ms" };
    json_t *arr = json_array();

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog list",
                                     "SELECT id, status, error, snapshot, started_ms, ended_ms,"
                                     " size_bytes, binlog_file, binlog_pos, gtid, verify,"
                                     " verify_ms, verify_detail, verified_at_ms FROM backups"
                                     " WHERE db = ? AND status != 'expired' ORDER BY id DESC"
                                     " LIMIT 1000");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *o = json_object();
            for (int i = 0; i < (int)(sizeof(cols) / sizeof(cols[0])); i++)
                json_object_set_new(o, cols[i], catalog_col_json(st, i));
            json_array_append_new(arr, o);
        }
        sqlite3_finalize(st);
    }
    int64_t point = catalog_restorable_locked(c, db);
    int64_t earliest = 0;
    unsigned nbin = 0;
    st = sqldb_prepare(c->db, "data", "catalog earliest",
                       "SELECT MIN(ended_ms) FROM backups WHERE db = ? AND status = 'ok'");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            earliest = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    st = sqldb_prepare(c->db, "data", "catalog count",
                       "SELECT COUNT(*) FROM binlogs WHERE db = ?");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            nbin = (unsigned)sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->mu);
    return json_pack("{s:s, s:o, s:I, s:I, s:I}", "database", db, "backups", arr,
                     "latest_restorable_ms", (json_int_t)point, "earliest_restorable_ms",
                     (json_int_t)earliest, "binlogs_archived", (json_int_t)nbin);
}

/* Queues the snapshot in column col of st (when there is one) for restic to forget. */
static void
catalog_queue(struct catalog *c, const char *db, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    if (!t || !t[0])
        return;
    sqlite3_stmt *q = sqldb_prepare(c->db, "data", "catalog queue",
                                    "INSERT OR IGNORE INTO to_forget VALUES (?, ?)");
    if (q) {
        sqlite3_bind_text(q, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, (const char *)t, -1, SQLITE_TRANSIENT);
        sqldb_done(c->db, "data", "catalog queue", q);
    }
}

/* Runs a write statement with (db, one integer or text, cutoff) bound, as catalog_expire
 * needs them. */
static void
catalog_expire_step(struct catalog *c, const char *what, const char *sql, const char *db,
                    int64_t id, const char *file, int64_t cutoff_ms, int queue_cols)
{
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", what, sql);

    if (!st)
        return;
    sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
    if (file)
        sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 2, id);
    if (!file)
        sqlite3_bind_int64(st, 3, cutoff_ms);
    if (!queue_cols) {
        sqldb_done(c->db, "data", what, st);
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int col = 0; col < queue_cols; col++)
            catalog_queue(c, db, st, col);
    sqlite3_finalize(st);
}

char **
catalog_expire(struct catalog *c, const char *db, int64_t cutoff_ms, unsigned *n)
{
    char **v = mem_alloc_or_exit(sizeof(char *));
    char first_kept[128] = "";
    int64_t keep_id = -1;

    *n = 0;
    pthread_mutex_lock(&c->mu);
    sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    /* The newest good base that ended at or before the cutoff: points just after the
     * cutoff are restored from it, so it stays, and so does everything after it. */
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog expire keep",
                                     "SELECT id, binlog_file FROM backups WHERE db = ? AND"
                                     " status = 'ok' AND ended_ms <= ? ORDER BY ended_ms"
                                     " DESC, id DESC LIMIT 1");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, cutoff_ms);
        if (sqlite3_step(st) == SQLITE_ROW) {
            keep_id = sqlite3_column_int64(st, 0);
            catalog_text(st, 1, first_kept, sizeof(first_kept));
        }
        sqlite3_finalize(st);
    }
    if (keep_id >= 0 && first_kept[0]) {
        catalog_expire_step(c, "catalog expire bases",
                            "SELECT snapshot, key_snapshot FROM backups WHERE db = ? AND"
                            " id != ? AND status IN ('ok', 'failed') AND ended_ms <= ?",
                            db, keep_id, NULL, cutoff_ms, 2);
        catalog_expire_step(c, "catalog expire binlogs",
                            "SELECT snapshot FROM binlogs WHERE db = ? AND file < ?", db, 0,
                            first_kept, 0, 1);
        catalog_expire_step(c, "catalog expire mark",
                            "UPDATE backups SET status = 'expired' WHERE db = ? AND id != ?"
                            " AND status IN ('ok', 'failed') AND ended_ms <= ?",
                            db, keep_id, NULL, cutoff_ms, 0);
        catalog_expire_step(c, "catalog expire drop",
                            "DELETE FROM binlogs WHERE db = ? AND file < ?", db, 0, first_kept,
                            0, 0);
    }
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    /* Everything queued, from this call or from one whose forget failed. */
    st = sqldb_prepare(c->db, "data", "catalog to forget",
                       "SELECT snapshot FROM to_forget WHERE db = ? ORDER BY snapshot");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            v = mem_realloc_or_exit(v, (*n + 2) * sizeof(char *));
            v[(*n)++] = mem_strdup_or_exit((const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->mu);
    v[*n] = NULL;
    return v;
}

void
catalog_forgotten(struct catalog *c, const char *db, char *const *snaps, unsigned n)
{
    pthread_mutex_lock(&c->mu);
    for (unsigned i = 0; i < n; i++) {
        sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog forgotten",
                                         "DELETE FROM to_forget WHERE db = ? AND snapshot = ?");
        if (!st)
            break;
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, snaps[i], -1, SQLITE_TRANSIENT);
        sqldb_done(c->db, "data", "catalog forgotten", st);
    }
    pthread_mutex_unlock(&c->mu);
}

int
catalog_verify_latest(struct catalog *c, const char *db, bool *ok, int64_t *duration_ms)
{
    int rc = -ENOENT;

    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *st = sqldb_prepare(c->db, "data", "catalog verify latest",
                                     "SELECT verify, verify_ms FROM backups WHERE db = ? AND"
                                     " verify IS NOT NULL AND status != 'expired'"
                                     " ORDER BY verified_at_ms DESC, id DESC LIMIT 1");
    if (st) {
        sqlite3_bind_text(st, 1, db, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
            *duration_ms = sqlite3_column_int64(st, 1);
            rc = 0;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}
