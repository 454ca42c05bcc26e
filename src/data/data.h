/*
 * data/data.h: the data tier's facade, the RDS role: the databases of the stack file, and
 * for each managed one a mariadbd that tierd initialises, configures, starts, supervises
 * (restart with backoff after a crash) and stops cleanly. Everything blocking runs on the
 * data tier's own thread. Other folders see only this header; daemon/ wires it.
 */
#ifndef DATA_DATA_H
#define DATA_DATA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "data/data_conf.h"

struct data;

/* A new data tier keeping its servers' files under <state_dir>/db; NULL with a reason. */
struct data *data_new(const char *state_dir, char *err, size_t errlen);
/* Takes c. Before data_start(): the databases to run. Later (a reload): the servers keep
 * the configuration they were started with, and a change is logged as waiting for a
 * restart of tierd (the keys say so). */
void data_apply(struct data *dt, struct data_conf *c);
/* Starts the thread that runs and supervises the managed servers. 0 or -errno. */
int data_start(struct data *dt);
/* Shuts every managed server down cleanly (SIGTERM, then SIGKILL after the grace period)
 * and stops the thread. */
void data_stop(struct data *dt);
void data_free(struct data *dt);

/* GET /v1/db: every database's name, engine, mode, state, pid, restarts, endpoint, last
 * error; a new object. */
json_t *data_status_json(struct data *dt);
/* Queues a job for database `db` on the data tier's job thread: "backup" (a base backup
 * now), "verify" (restore the newest backup from the repository alone into a scratch
 * server and check it), "restore" (to_ms: a point in time, 0 for the latest restorable
 * one; as: the new database's name; the source is never touched). Returns the job's id,
 * or -ENOENT (no such database), -EINVAL (no backup: section, or a bad name; why says
 * which), -EEXIST (`as` is taken). */
int64_t data_job_submit(struct data *dt, const char *kind, const char *db, int64_t to_ms,
                        const char *as, char *why, size_t whylen);
/* One job's state: {id, kind, database, state (queued, running, ok, failed), message,
 * started_ms, ended_ms}; a new object, or NULL when there is no such job. */
json_t *data_job_json(struct data *dt, int64_t id);
/* db's catalog: its backups newest first and its newest restorable point; NULL when
 * there is no such database. */
json_t *data_backups_json(struct data *dt, const char *db);

/* Each running database's RDS metrics (docs/data.md): name is the Prometheus series
 * (tierd_db_connections, ...), db the database; counter says it only grows. Sampled
 * every few seconds on the data tier's thread; this only reads that cache. */
typedef void (*data_metric_fn)(void *ctx, const char *name, const char *db, double value,
                               bool counter);
void data_visit_metrics(struct data *dt, data_metric_fn fn, void *ctx);

/* "2026-12-07T23:45:00Z" (or with a space, optional .mmm, UTC) as ms since the epoch.
 * 0 or -EINVAL. */
int data_parse_time(const char *s, int64_t *ms);
/* The last max bytes of db's "slow" query log or "error" log: a new string (*len bytes),
 * or NULL when there is no such database. */
char *data_log_tail(struct data *dt, const char *name, const char *kind, size_t max,
                    size_t *len);

/* The conf_ref_db_fn for "${db:NAME.FIELD}": host, port, socket, users.USER.password (the
 * password expanded from tierd's environment now). A new string, or NULL. */
char *data_resolve(void *ctx, const char *ref);

#endif
