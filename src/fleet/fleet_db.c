/*
 * fleet/fleet_db.c: SQLite storage of template versions, deploys and activities (see
 * fleet_db.h). Owns the connection; statements are prepared per call (a few a second at
 * most).
 */
#include "fleet/fleet_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/sqldb.h"

struct fleet_db {
    sqlite3 *db;
};

static const char fleet_db_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS template_versions ("
    "  name TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,"
    "  fields TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (name, version));"
    "CREATE TABLE IF NOT EXISTS refreshes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, grp TEXT NOT NULL,"
    "  from_version INTEGER NOT NULL, to_version INTEGER NOT NULL, status TEXT NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '', percent INTEGER NOT NULL DEFAULT 0,"
    "  started_ms INTEGER NOT NULL, ended_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS activities ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, grp TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  text TEXT NOT NULL);";

struct fleet_db *
fleet_db_open(const char *path, char *errbuf, unsigned errlen)
{
    struct fleet_db *db = mem_alloc_or_exit(sizeof(*db));

    if (!(db->db = sqldb_open(path, fleet_db_schema, errbuf, errlen))) {
        free(db);
        return NULL;
    }
    return db;
}

void
fleet_db_close(struct fleet_db *db)
{
    if (!db)
        return;
    sqlite3_close(db->db);
    free(db);
}

static sqlite3_stmt *
fleet_db_prepare(struct fleet_db *db, const char *sql)
{
    return sqldb_prepare(db->db, "fleet", "state db", sql);
}

static int
fleet_db_done(struct fleet_db *db, sqlite3_stmt *st)
{
    return sqldb_done(db->db, "fleet", "state db", st);
}

unsigned
fleet_db_template_latest(struct fleet_db *db, const char *name)
{
    sqlite3_stmt *st = fleet_db_prepare(db, "SELECT MAX(version) FROM template_versions "
                                            "WHERE name = ?");
    unsigned v = 0;

    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (unsigned)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int
fleet_db_template_version(struct fleet_db *db, const char *name, const char *hash,
                          const char *json, uint64_t wall_ms, unsigned *version, bool *created)
{
    sqlite3_stmt *st = fleet_db_prepare(db, "SELECT version, hash FROM template_versions "
                                            "WHERE name = ? ORDER BY version DESC LIMIT 1");
    unsigned latest = 0;
    bool same = false;

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        latest = (unsigned)sqlite3_column_int64(st, 0);
        same = strcmp((const char *)sqlite3_column_text(st, 1), hash) == 0;
    }
    sqlite3_finalize(st);
    *created = !same;
    if (same) {
        *version = latest;
        return 0;
    }
    st = fleet_db_prepare(db, "INSERT INTO template_versions (name, version, hash, fields, "
                              "created_ms) VALUES (?, ?, ?, ?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, latest + 1);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)wall_ms);
    if (fleet_db_done(db, st) < 0)
        return -EIO;
    *version = latest + 1;
    return 0;
}

char *
fleet_db_template_json(struct fleet_db *db, const char *name, unsigned version)
{
    sqlite3_stmt *st = fleet_db_prepare(db, "SELECT fields FROM template_versions "
                                            "WHERE name = ? AND version = ?");
    char *out = NULL;

    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    if (sqlite3_step(st) == SQLITE_ROW)
        out = mem_strdup_or_exit((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

int
fleet_db_refresh_insert(struct fleet_db *db, const char *group, unsigned from, unsigned to,
                        const char *status, uint64_t wall_ms, uint64_t *id)
{
    sqlite3_stmt *st = fleet_db_prepare(db, "INSERT INTO refreshes (grp, from_version, "
                                            "to_version, status, started_ms) "
                                            "VALUES (?, ?, ?, ?, ?)");

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)wall_ms);
    if (fleet_db_done(db, st) < 0)
        return -EIO;
    *id = (uint64_t)sqlite3_last_insert_rowid(db->db);
    return 0;
}

int
fleet_db_refresh_update(struct fleet_db *db, uint64_t id, const char *status,
                        const char *reason, unsigned percent, bool ended, uint64_t wall_ms)
{
    sqlite3_stmt *st = fleet_db_prepare(db, "UPDATE refreshes SET status = ?, reason = ?, "
                                            "percent = ?, ended_ms = ? WHERE id = ?");

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, percent);
    if (ended)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)wall_ms);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)id);
    return fleet_db_done(db, st);
}

int
fleet_db_activity_add(struct fleet_db *db, const char *group, uint64_t wall_ms,
                      const char *text)
{
    sqlite3_stmt *st = fleet_db_prepare(db, "INSERT INTO activities (grp, at_ms, text) "
                                            "VALUES (?, ?, ?)");

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)wall_ms);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    return fleet_db_done(db, st);
}
