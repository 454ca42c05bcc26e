/*
 * core/sqldb.h: opening tierd's SQLite state databases the one way they are all opened:
 * read-write, created when missing, no SQLite mutex (each handle has one owner thread),
 * the owner's schema applied (idempotent DDL and pragmas), and a busy timeout so a
 * concurrent `sqlite3` reader does not fail a write. Also the prepare-and-step helpers
 * every store used to spell again. A deviation from core's libc-only rule: every state db
 * needs the same few lines, and SQLite is a dependency of the binary anyway.
 */
#ifndef CORE_SQLDB_H
#define CORE_SQLDB_H
#include <stddef.h>

#include <sqlite3.h>

#define SQLDB_BUSY_TIMEOUT_MS 5000

/* Returns a new handle (close with sqlite3_close), or NULL with "path: reason" in err. */
sqlite3 *sqldb_open(const char *path, const char *schema, char *err, size_t errlen);
/* A prepared statement, or NULL after logging "<what>: <reason>" under subsystem `sub`. */
sqlite3_stmt *sqldb_prepare(sqlite3 *db, const char *sub, const char *what, const char *sql);
/* Steps a write statement to its end and finalizes it: 0, or -EIO after logging. */
int sqldb_done(sqlite3 *db, const char *sub, const char *what, sqlite3_stmt *st);

#endif
