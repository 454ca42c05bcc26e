/*
 * shield/banstore.c: bans in SQLite. One table, one row per ban decision; an unban shortens
 * the row's expiry and marks it removed instead of deleting it, so the history that the
 * repeat factor needs survives. A second table, nft_tables, is the record of the kernel
 * tables tierd created (one row per table). Prepared statements live as long as the store.
 */
#include "shield/banstore.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sqldb.h"
#include "shield/clientmem.h"

struct banstore {
    sqlite3 *db;
    sqlite3_stmt *ins, *count, *active, *end, *purge;
    sqlite3_stmt *nft_put, *nft_forget, *nft_list;
    sqlite3_stmt *cl_put, *cl_load, *cl_purge;
};

static const char banstore_schema[] =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS bans ("
    " id INTEGER PRIMARY KEY,"
    " addr TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " evidence TEXT NOT NULL DEFAULT '',"
    " start_ms INTEGER NOT NULL,"
    " expiry_ms INTEGER NOT NULL,"
    " counted_only INTEGER NOT NULL DEFAULT 0,"
    " removed_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS bans_addr ON bans(addr);"
    "CREATE INDEX IF NOT EXISTS bans_expiry ON bans(expiry_ms);"
    "CREATE TABLE IF NOT EXISTS nft_tables ("
    " family TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " set_name TEXT NOT NULL,"
    " token TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " PRIMARY KEY (family, name));"
    "CREATE TABLE IF NOT EXISTS clients ("
    " key TEXT PRIMARY KEY,"
    " first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
    " first_probe_ms INTEGER NOT NULL, last_probe_ms INTEGER NOT NULL,"
    " probes INTEGER NOT NULL, good INTEGER NOT NULL,"
    " paths BLOB, offended INTEGER NOT NULL, slow_reported INTEGER NOT NULL,"
    " requests INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS clients_last ON clients(last_ms);";

static int
banstore_prepare(struct banstore *b, const char *sql, sqlite3_stmt **st, char *err,
                 size_t errlen)
{
    if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "shield.db: %s", sqlite3_errmsg(b->db));
        return -EIO;
    }
    return 0;
}

int
banstore_open(const char *dir, struct banstore **out, char *err, size_t errlen)
{
    struct banstore *b = calloc(1, sizeof(*b));
    char path[4096];

    if (!b) {
        snprintf(err, errlen, "shield.db: out of memory");
        return -ENOMEM;
    }
    if (dir)
        snprintf(path, sizeof(path), "%s/shield.db", dir);
    else
        snprintf(path, sizeof(path), ":memory:");
    if (!(b->db = sqldb_open(path, banstore_schema, err, errlen))) {
        banstore_close(b);
        return -EIO;
    }
    if (banstore_prepare(b, "INSERT INTO bans(addr, reason, evidence, start_ms, expiry_ms, "
                         "counted_only) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &b->ins, err, errlen) ||
        banstore_prepare(b, "SELECT count(*) FROM bans WHERE addr = ?1 AND counted_only = 0",
                         &b->count, err, errlen) ||
        banstore_prepare(b, "SELECT addr, reason, evidence, start_ms, expiry_ms, counted_only "
                         "FROM bans WHERE expiry_ms > ?1 AND removed_ms IS NULL ORDER BY id",
                         &b->active, err, errlen) ||
        banstore_prepare(b, "UPDATE bans SET removed_ms = ?2, expiry_ms = min(expiry_ms, ?2) "
                         "WHERE addr = ?1 AND expiry_ms > ?2 AND removed_ms IS NULL",
                         &b->end, err, errlen) ||
        banstore_prepare(b, "DELETE FROM bans WHERE expiry_ms < ?1", &b->purge, err, errlen) ||
        banstore_prepare(b, "INSERT OR REPLACE INTO nft_tables(family, name, set_name, token, "
                         "created_ms) VALUES(?1, ?2, ?3, ?4, ?5)", &b->nft_put, err, errlen) ||
        banstore_prepare(b, "DELETE FROM nft_tables WHERE family = ?1 AND name = ?2",
                         &b->nft_forget, err, errlen) ||
        banstore_prepare(b, "SELECT family, name, set_name, token, created_ms FROM nft_tables "
                         "ORDER BY created_ms, name", &b->nft_list, err, errlen) ||
        banstore_prepare(b, "INSERT OR REPLACE INTO clients(key, first_ms, last_ms, "
                         "first_probe_ms, last_probe_ms, probes, good, paths, offended, "
                         "slow_reported, requests, answered) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                         "?8, ?9, ?10, ?11, ?12)",
                         &b->cl_put, err, errlen) ||
        banstore_prepare(b, "SELECT key, first_ms, last_ms, first_probe_ms, last_probe_ms, "
                         "probes, good, paths, offended, slow_reported, requests, answered "
                         "FROM clients "
                         "WHERE last_ms >= ?1", &b->cl_load, err, errlen) ||
        banstore_prepare(b, "DELETE FROM clients WHERE last_ms < ?1", &b->cl_purge, err,
                         errlen)) {
        banstore_close(b);
        return -EIO;
    }
    *out = b;
    return 0;
}

void
banstore_close(struct banstore *b)
{
    if (!b)
        return;
    sqlite3_finalize(b->ins);
    sqlite3_finalize(b->count);
    sqlite3_finalize(b->active);
    sqlite3_finalize(b->end);
    sqlite3_finalize(b->purge);
    sqlite3_finalize(b->nft_put);
    sqlite3_finalize(b->nft_forget);
    sqlite3_finalize(b->nft_list);
    sqlite3_finalize(b->cl_put);
    sqlite3_finalize(b->cl_load);
    sqlite3_finalize(b->cl_purge);
    sqlite3_close(b->db);
    free(b);
}

/* Runs a statement that returns no rows; resets it either way. */
static int
banstore_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int
banstore_insert(struct banstore *b, const struct banstore_row *r)
{
    sqlite3_bind_text(b->ins, 1, r->addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->ins, 2, r->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->ins, 3, r->evidence, -1, SQLITE_STATIC);
    sqlite3_bind_int64(b->ins, 4, r->start_ms);
    sqlite3_bind_int64(b->ins, 5, r->expiry_ms);
    sqlite3_bind_int(b->ins, 6, r->counted_only);
    /* Autocommit: with synchronous=FULL the WAL is fsync'd before the step returns. */
    return banstore_step_done(b->ins);
}

int
banstore_count(struct banstore *b, const char *addr, unsigned *n)
{
    int rc;

    sqlite3_bind_text(b->count, 1, addr, -1, SQLITE_STATIC);
    rc = sqlite3_step(b->count);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(b->count, 0);
        *n = v > UINT_MAX ? UINT_MAX : (unsigned)v;
    }
    sqlite3_reset(b->count);
    sqlite3_clear_bindings(b->count);
    return rc == SQLITE_ROW ? 0 : -EIO;
}

static void
banstore_col_text(sqlite3_stmt *st, int col, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(out, n, "%s", t ? (const char *)t : "");
}

int
banstore_load_active(struct banstore *b, int64_t now_ms, banstore_fn fn, void *ctx)
{
    int rc;

    sqlite3_bind_int64(b->active, 1, now_ms);
    while ((rc = sqlite3_step(b->active)) == SQLITE_ROW) {
        struct banstore_row r;
        banstore_col_text(b->active, 0, r.addr, sizeof(r.addr));
        banstore_col_text(b->active, 1, r.reason, sizeof(r.reason));
        banstore_col_text(b->active, 2, r.evidence, sizeof(r.evidence));
        r.start_ms = sqlite3_column_int64(b->active, 3);
        r.expiry_ms = sqlite3_column_int64(b->active, 4);
        r.counted_only = sqlite3_column_int(b->active, 5) != 0;
        fn(ctx, &r);
    }
    sqlite3_reset(b->active);
    sqlite3_clear_bindings(b->active);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int
banstore_end(struct banstore *b, const char *addr, int64_t now_ms)
{
    sqlite3_bind_text(b->end, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(b->end, 2, now_ms);
    if (banstore_step_done(b->end) < 0)
        return -EIO;
    return sqlite3_changes(b->db) > 0 ? 0 : -ENOENT;
}

int
banstore_purge(struct banstore *b, int64_t before_ms)
{
    sqlite3_bind_int64(b->purge, 1, before_ms);
    return banstore_step_done(b->purge);
}

int
banstore_nft_put(struct banstore *b, const struct banstore_nft *t)
{
    sqlite3_bind_text(b->nft_put, 1, t->family, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->nft_put, 2, t->table, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->nft_put, 3, t->set, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->nft_put, 4, t->token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(b->nft_put, 5, t->created_ms);
    return banstore_step_done(b->nft_put);
}

int
banstore_nft_forget(struct banstore *b, const char *family, const char *table)
{
    sqlite3_bind_text(b->nft_forget, 1, family, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->nft_forget, 2, table, -1, SQLITE_STATIC);
    return banstore_step_done(b->nft_forget);
}

int
banstore_nft_list(struct banstore *b, struct banstore_nft *out, size_t max, size_t *n)
{
    int rc;

    *n = 0;
    while ((rc = sqlite3_step(b->nft_list)) == SQLITE_ROW) {
        if (*n == max)
            continue;           /* past max: left for a later call */
        struct banstore_nft *t = &out[(*n)++];
        banstore_col_text(b->nft_list, 0, t->family, sizeof(t->family));
        banstore_col_text(b->nft_list, 1, t->table, sizeof(t->table));
        banstore_col_text(b->nft_list, 2, t->set, sizeof(t->set));
        banstore_col_text(b->nft_list, 3, t->token, sizeof(t->token));
        t->created_ms = sqlite3_column_int64(b->nft_list, 4);
    }
    sqlite3_reset(b->nft_list);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int
banstore_clients_put(struct banstore *b, const char *const *keys,
                     const struct clientmem_rec *recs, size_t n)
{
    int rc = 0;

    if (n == 0)
        return 0;
    if (sqlite3_exec(b->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return -EIO;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct clientmem_rec *r = &recs[i];
        sqlite3_bind_text(b->cl_put, 1, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(b->cl_put, 2, (int64_t)r->first_ms);
        sqlite3_bind_int64(b->cl_put, 3, (int64_t)r->last_ms);
        sqlite3_bind_int64(b->cl_put, 4, (int64_t)r->first_probe_ms);
        sqlite3_bind_int64(b->cl_put, 5, (int64_t)r->last_probe_ms);
        sqlite3_bind_int64(b->cl_put, 6, r->probes);
        sqlite3_bind_int64(b->cl_put, 7, r->good);
        sqlite3_bind_blob(b->cl_put, 8, r->paths, (int)(r->npaths * sizeof(r->paths[0])),
                          SQLITE_STATIC);
        sqlite3_bind_int(b->cl_put, 9, r->offended);
        sqlite3_bind_int(b->cl_put, 10, r->slow_reported);
        sqlite3_bind_int64(b->cl_put, 11, r->requests);
        sqlite3_bind_int64(b->cl_put, 12, r->answered);
        rc = banstore_step_done(b->cl_put);
    }
    if (sqlite3_exec(b->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        rc = -EIO;
    return rc;
}

int
banstore_clients_load(struct banstore *b, int64_t since_ms, banstore_client_fn fn, void *ctx)
{
    int rc;

    banstore_clients_purge(b, since_ms);
    sqlite3_bind_int64(b->cl_load, 1, since_ms);
    while ((rc = sqlite3_step(b->cl_load)) == SQLITE_ROW) {
        struct clientmem_rec r;
        char key[64];
        memset(&r, 0, sizeof(r));
        banstore_col_text(b->cl_load, 0, key, sizeof(key));
        r.first_ms = (uint64_t)sqlite3_column_int64(b->cl_load, 1);
        r.last_ms = (uint64_t)sqlite3_column_int64(b->cl_load, 2);
        r.first_probe_ms = (uint64_t)sqlite3_column_int64(b->cl_load, 3);
        r.last_probe_ms = (uint64_t)sqlite3_column_int64(b->cl_load, 4);
        r.probes = (uint32_t)sqlite3_column_int64(b->cl_load, 5);
        r.good = (uint32_t)sqlite3_column_int64(b->cl_load, 6);
        int nb = sqlite3_column_bytes(b->cl_load, 7);
        const void *blob = sqlite3_column_blob(b->cl_load, 7);
        if (blob && nb > 0) {
            size_t k = (size_t)nb / sizeof(r.paths[0]);
            if (k > CLIENTMEM_PATHS)
                k = CLIENTMEM_PATHS;
            memcpy(r.paths, blob, k * sizeof(r.paths[0]));
            r.npaths = (uint8_t)k;
        }
        r.offended = sqlite3_column_int(b->cl_load, 8) != 0;
        r.slow_reported = sqlite3_column_int(b->cl_load, 9) != 0;
        r.requests = (uint32_t)sqlite3_column_int64(b->cl_load, 10);
        r.answered = (uint32_t)sqlite3_column_int64(b->cl_load, 11);
        fn(ctx, key, &r);
    }
    sqlite3_reset(b->cl_load);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int
banstore_clients_purge(struct banstore *b, int64_t before_ms)
{
    sqlite3_bind_int64(b->cl_purge, 1, before_ms);
    return banstore_step_done(b->cl_purge);
}
