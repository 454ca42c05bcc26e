/*
 * data/catalog.h: the backup catalog, state_dir/data.db (SQLite, synchronous=FULL): every
 * base backup (start, end, size, restic snapshot, binlog position and GTID, the table
 * figures taken with it, its verify result), every archived binlog, and the newest
 * restorable point of each database. A row is written before the backup it describes is
 * reported. One mutex serialises the handle (the data thread writes, the control thread
 * reads).
 */
#ifndef DATA_CATALOG_H
#define DATA_CATALOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct catalog;

struct catalog_base {
    int64_t id;
    char snapshot[80];
    int64_t started_ms, ended_ms;
    char binlog_file[128];
    uint64_t binlog_pos;
    char gtid[256];
    char *figures;              /* JSON {"schema.table": rows}; owned, may be NULL */
    char key_snapshot[80];      /* the key file's snapshot; "" without encryption */
};

struct catalog *catalog_open(const char *state_dir, char *err, size_t errlen);
void catalog_close(struct catalog *c);

/* A new row in state "running"; its id, or -EIO. */
int64_t catalog_backup_begin(struct catalog *c, const char *db, int64_t started_ms);
/* Ends row id: ok (with the snapshot, size, binlog position, figures and the snapshot of
 * the key file stored with it, NULL for none) or failed (with error). 0 or -EIO. */
int catalog_backup_end(struct catalog *c, int64_t id, bool ok, const char *error,
                       const char *snapshot, int64_t ended_ms, uint64_t size,
                       const char *binlog_file, uint64_t binlog_pos, const char *gtid,
                       const char *figures, const char *key_snapshot);
/* The newest good base backup of db that ended at or before before_ms. 0, or -ENOENT. The
 * caller frees out->figures. */
int catalog_latest_base(struct catalog *c, const char *db, int64_t before_ms,
                        struct catalog_base *out);
int catalog_verify_set(struct catalog *c, int64_t id, bool ok, int64_t duration_ms,
                       const char *detail);

int catalog_binlog_add(struct catalog *c, const char *db, const char *file,
                       const char *snapshot, int64_t shipped_ms, uint64_t size);
bool catalog_binlog_has(struct catalog *c, const char *db, const char *file);
/* The archived binlogs of db from `from` on (by name), each "file\tsnapshot"; a new
 * NULL-terminated array (free each, then it), *n set. */
char **catalog_binlogs_from(struct catalog *c, const char *db, const char *from, unsigned *n);

int catalog_restorable_set(struct catalog *c, const char *db, int64_t ms);
/* The newest point db can be restored to (ms since the epoch), or 0. */
int64_t catalog_restorable_get(struct catalog *c, const char *db);

/* Retention at cutoff_ms (now minus backup.retention): every base backup of db that ended
 * before the newest good one ended at or before the cutoff goes (that one stays: points
 * just inside the window are restored from it), and so does every archived binlog older
 * than the binlog it starts from; nothing newer is touched, so the newest restorable
 * point always survives. Bases are marked "expired", binlog rows removed, in one
 * transaction, and their restic snapshots (bases, key files, binlogs) queued to be
 * forgotten. Returns every queued snapshot of db (this call's and any an earlier forget
 * failed on): a new NULL-terminated array (free each, then it), *n set. */
char **catalog_expire(struct catalog *c, const char *db, int64_t cutoff_ms, unsigned *n);
/* restic forgot these: off the queue. */
void catalog_forgotten(struct catalog *c, const char *db, char *const *snaps, unsigned n);

/* The newest verify of db: its result and how long the restore took. 0, or -ENOENT when
 * no backup of db was ever verified. */
int catalog_verify_latest(struct catalog *c, const char *db, bool *ok, int64_t *duration_ms);

/* {"backups": [...], "latest_restorable_ms": N}: db's backups, newest first; a new object. */
json_t *catalog_backups_json(struct catalog *c, const char *db);

#endif
