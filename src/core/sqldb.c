/*
 * core/sqldb.c: see core/sqldb.h. Owns nothing: handles and statements go to the caller.
 */
#include "core/sqldb.h"

#include <errno.h>
#include <stdio.h>

#include "core/log.h"

sqlite3 *
sqldb_open(const char *path, const char *schema, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, SQLDB_BUSY_TIMEOUT_MS);
    if (schema && sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

sqlite3_stmt *
sqldb_prepare(sqlite3 *db, const char *sub, const char *what, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error(sub, "%s: %s", what, sqlite3_errmsg(db));
        return NULL;
    }
    return st;
}

int
sqldb_done(sqlite3 *db, const char *sub, const char *what, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error(sub, "%s write failed: %s", what, sqlite3_errmsg(db));
        return -EIO;
    }
    return 0;
}
