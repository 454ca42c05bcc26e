/*
 * daemon/applylog.c: the applies table of state_dir/daemon.db (see applylog.h). Owns the
 * connection. Runs on the daemon's main loop: one small insert per apply, which is rare
 * and must be durable before the apply is reported, so it is not worth a thread.
 */
#include "daemon/applylog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/sqldb.h"

struct applylog {
    sqlite3 *db;
};

static const char applylog_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS applies ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, who TEXT NOT NULL,"
    "  path TEXT NOT NULL, summary TEXT NOT NULL, result TEXT NOT NULL);";

struct applylog *
applylog_new(const char *state_dir, char *errbuf, size_t errlen)
{
    struct applylog *l = mem_alloc_or_exit(sizeof(*l));
    char path[4096];

    snprintf(path, sizeof(path), "%s/daemon.db", state_dir);
    if (!(l->db = sqldb_open(path, applylog_schema, errbuf, errlen))) {
        free(l);
        return NULL;
    }
    return l;
}

void
applylog_free(struct applylog *l)
{
    if (!l)
        return;
    sqlite3_close(l->db);
    free(l);
}

int64_t
applylog_record(struct applylog *l, uint64_t wall_ms, const char *who, const char *path,
                const char *summary, const char *result)
{
    sqlite3_stmt *st = NULL;
    int64_t id = -EIO;

    if (sqlite3_prepare_v2(l->db, "INSERT INTO applies (at_ms, who, path, summary, result) "
                                  "VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
        log_error("daemon", "applies db: %s", sqlite3_errmsg(l->db));
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_ms);
    sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, result, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_DONE)
        id = (int64_t)sqlite3_last_insert_rowid(l->db);
    else
        log_error("daemon", "applies db: cannot record an apply: %s", sqlite3_errmsg(l->db));
    sqlite3_finalize(st);
    return id;
}

static json_t *
col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    json_t *j = json_string(s ? (const char *)s : "");

    return j ? j : json_string("(not valid UTF-8)");
}

json_t *
applylog_list(struct applylog *l, unsigned limit)
{
    json_t *list = json_array();
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(l->db, "SELECT id, at_ms, who, path, summary, result FROM applies "
                                  "ORDER BY id DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK) {
        log_error("daemon", "applies db: %s", sqlite3_errmsg(l->db));
        return list;
    }
    sqlite3_bind_int64(st, 1, limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t ms = sqlite3_column_int64(st, 1);
        time_t sec = (time_t)(ms / 1000);
        struct tm tm;
        char ts[40];
        gmtime_r(&sec, &tm);
        size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)(ms % 1000));
        json_array_append_new(list, json_pack("{s:I, s:s, s:I, s:o, s:o, s:o, s:o}",
                                              "id", (json_int_t)sqlite3_column_int64(st, 0),
                                              "time", ts, "time_ms", (json_int_t)ms,
                                              "who", col_text(st, 2), "path", col_text(st, 3),
                                              "summary", col_text(st, 4),
                                              "result", col_text(st, 5)));
    }
    sqlite3_finalize(st);
    return list;
}
