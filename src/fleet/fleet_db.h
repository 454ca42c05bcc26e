/*
 * fleet/fleet_db.h: the fleet's durable state in SQLite (state_dir/fleet.db): launch
 * template versions (name, version, hash, fields as JSON, created), the deploy history of
 * instance refreshes, and scaling activities as AWS-style sentences. Used on the fleet
 * thread only (and at apply time); every write is committed before the call returns.
 */
#ifndef FLEET_FLEET_DB_H
#define FLEET_FLEET_DB_H
#include <stdbool.h>
#include <stdint.h>

struct fleet_db;

/* Opens or creates the db at path (":memory:" for none). NULL with errbuf on failure. */
struct fleet_db *fleet_db_open(const char *path, char *errbuf, unsigned errlen);
void fleet_db_close(struct fleet_db *db);

/* The version of template `name` whose fields hash to `hash`: the latest version when its
 * hash matches, else a new version N+1 stored with `json` (AWS: a changed template is a
 * new version; versions are never reused). *created says which. 0 or -EIO. */
int fleet_db_template_version(struct fleet_db *db, const char *name, const char *hash,
                              const char *json, uint64_t wall_ms, unsigned *version,
                              bool *created);
/* Returns a new copy of the fields JSON of one version, or NULL when unknown. */
char *fleet_db_template_json(struct fleet_db *db, const char *name, unsigned version);
/* The latest version number of a template, 0 when none. */
unsigned fleet_db_template_latest(struct fleet_db *db, const char *name);

/* Records a new refresh and sets *id; or updates the status of refresh `id`. */
int fleet_db_refresh_insert(struct fleet_db *db, const char *group, unsigned from,
                            unsigned to, const char *status, uint64_t wall_ms, uint64_t *id);
int fleet_db_refresh_update(struct fleet_db *db, uint64_t id, const char *status,
                            const char *reason, unsigned percent, bool ended,
                            uint64_t wall_ms);
/* Appends one scaling activity. */
int fleet_db_activity_add(struct fleet_db *db, const char *group, uint64_t wall_ms,
                          const char *text);

#endif
