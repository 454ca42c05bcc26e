/*
 * data/data.h: the data tier's facade, the RDS role: the databases of the stack file, and
 * for each managed one a mariadbd that tierd initialises, configures, starts, supervises
 * (restart with backoff after a crash) and stops cleanly. Everything blocking runs on the
 * data tier's own thread. Other folders see only this header; daemon/ wires it.
 */
#ifndef DATA_DATA_H
#define DATA_DATA_H
#include <stddef.h>

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
/* The conf_ref_db_fn for "${db:NAME.FIELD}": host, port, socket, users.USER.password (the
 * password expanded from tierd's environment now). A new string, or NULL. */
char *data_resolve(void *ctx, const char *ref);

#endif
