/*
 * data/restore.h: getting a database back out of the restic repository: a base backup
 * extracted (`restic dump | mbstream -x`) and prepared (`mariadb-backup --prepare`), then
 * the archived binlogs replayed into a running server (`mariadb-binlog --start-position
 * ... --stop-datetime ... | mariadb`). Uses only the repository and the catalog's list of
 * what is in it, never the source server. Blocking: the data tier's job thread.
 */
#ifndef DATA_RESTORE_H
#define DATA_RESTORE_H
#include <stddef.h>
#include <stdint.h>

#include "data/catalog.h"
#include "data/data_conf.h"

/* The key file stored with an encrypted database's base backup, and where to put it. */
struct restore_key {
    const char *snapshot;       /* its snapshot in the repository; "" for none */
    const char *path;           /* written 0600 here, and named in the backup's settings */
};

/* Extracts snapshot `snap` of src's base backups into dir (which must not exist) and
 * prepares it; with key (may be NULL), first fetches the key file from the repository so
 * that nothing but the repository is needed. 0 or -errno with a reason in err (a damaged
 * or missing pack is restic's error, named). */
int restore_base(const struct data_db_conf *src, const struct restore_key *key,
                 const char *snap, const char *dir, char *err, size_t errlen);

struct restore_stop {
    const char *datetime;       /* "YYYY-MM-DD HH:MM:SS" UTC, or NULL */
    const char *file;           /* with pos: stop at this binlog position, or NULL */
    uint64_t pos;
};

/* Replays src's archived binlogs from (from_file, from_pos) up to stop into the server
 * listening on socket, staging binlogs in staging (created, emptied). 0 or -errno with
 * err. Nothing to replay is success. */
int restore_replay(const struct data_db_conf *src, struct catalog *cat, const char *from_file,
                   uint64_t from_pos, const struct restore_stop *stop, const char *staging,
                   const char *socket, char *err, size_t errlen);

#endif
