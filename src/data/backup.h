/*
 * data/backup.h: backups into a restic repository (Debian restic: encryption,
 * deduplication, retention and integrity checks come from a tool built for it). A base
 * backup is `mariadb-backup --backup --stream=mbstream | restic backup --stdin`; binlogs
 * are flushed and shipped every binlog_interval (`FLUSH BINARY LOGS`, each closed binlog
 * read from the server with `mariadb-binlog --read-from-remote-server --raw`, then
 * `restic backup --stdin`), so the newest restorable point is at most binlog_interval (plus
 * the time a ship takes) behind the newest commit. Blocking: the data thread's jobs.
 */
#ifndef DATA_BACKUP_H
#define DATA_BACKUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/catalog.h"
#include "data/data_conf.h"
#include "data/mariadb.h"

/* Entries of a restic argv: the fixed ones, 16 backup.options (two each), the command. */
#define BACKUP_ARGV_MAX 96

/* argv of `restic -r REPO --password-file FILE [-o OPT]... <args...>` into out (cap entries, NULL
 * terminated; the strings are db's, borrowed). Returns the number of entries. */
unsigned backup_restic_argv(const struct data_db_conf *db, const char **out, unsigned cap,
                            const char *const *args);
/* Checks that db's repository opens with its password, creating it when there is none.
 * 0; -EACCES for a wrong password; -EIO otherwise; a reason in err either way. */
int backup_repo_ready(const struct data_db_conf *db, char *err, size_t errlen);

/* Takes a base backup of the running server now and records it in the catalog (a row
 * "running", then "ok" with snapshot, size, binlog position, GTID and the table figures,
 * or "failed" with why). A snapshot whose producer failed is forgotten. Returns the
 * catalog id, or -errno with a reason in err. */
int64_t backup_base(const struct mariadb_paths *p, const struct data_db_conf *db,
                    struct catalog *cat, char *err, size_t errlen);
/* Where the binlog stood right after the last flush (the caller keeps it between ships;
 * zeroed at first). */
struct backup_ship_state {
    bool ok;
    char file[128];
    uint64_t pos;
};

/* Flushes the binlog and archives every closed binlog not archived yet; when all are,
 * records the flush time as the newest restorable point. When nothing was written since
 * the last flush (ss says where it stood), only the point moves. 0 or -errno with err. */
int backup_ship_binlogs(const struct mariadb_paths *p, const struct data_db_conf *db,
                        struct catalog *cat, struct backup_ship_state *ss, char *err,
                        size_t errlen);
/* Row counts of every table of the declared schemas in one consistent snapshot, with the
 * binlog position the snapshot stands at: a new JSON text
 * {"file": F, "pos": P, "tables": {"shop.t": N}}, or NULL with err. */
char *backup_figures(const struct mariadb_paths *p, const struct data_db_conf *db,
                     char *err, size_t errlen);

/* Forgets the given snapshots (retention: see catalog_expire) and tierd's state snapshots
 * older than the retention but the newest, and prunes the repository so their data is
 * gone. 0 or -EIO with err. */
int backup_forget(const struct data_db_conf *db, char *const *snaps, unsigned n, char *err,
                  size_t errlen);

#endif
