/*
 * data/internal.h: what the data tier's files share: the tier itself, its servers and its
 * jobs. Not for other folders (they see data/data.h).
 */
#ifndef DATA_INTERNAL_H
#define DATA_INTERNAL_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "data/backup.h"
#include "data/catalog.h"
#include "data/data.h"
#include "data/mariadb.h"

/* DATA_LOST: its datadir holds no database but the repository has backups of it; tierd
 * does not initialise an empty one over that (a restore --as its own name brings it back). */
enum data_state {
    DATA_DOWN = 0, DATA_STARTING, DATA_RUNNING, DATA_BACKOFF, DATA_EXTERNAL, DATA_LOST
};

/* The metrics.c cache: the newest sample of a server (NAN: not known). */
struct data_figures {
    long long next_ms;                  /* the next sample (monotonic ms); 0: never sampled */
    long long cpu_ticks, cpu_ms;        /* the previous CPU reading */
    double connections, cpu_pct, free_bytes, deadlocks;
    double backup_age_s, binlog_lag_s, verify_ok, restore_s;
    double read_latency_s, write_latency_s;
    double io_reads, io_read_ps, io_writes, io_write_ps;   /* the previous totals */
};

struct data_server {
    /* From dt->conf (swapped by a reload; old confs live until data_free, so a job that
     * read the pointer keeps a valid one), or owned_conf's only entry. */
    const struct data_db_conf *_Atomic conf;
    struct data_conf *owned_conf;       /* a database made by a restore */
    struct mariadb_paths paths;
    enum data_state state;
    pid_t pid;
    bool adopted;                       /* pid was started by an earlier tierd */
    bool reachable;                     /* external: the last health check answered */
    unsigned restarts;
    unsigned backoff_ms;
    long long started_ms, due_ms, deadline_ms;
    int64_t next_ship_ms;               /* wall clock: the next binlog flush and ship */
    int64_t last_auto_day;              /* the UTC day of the last automated backup */
    char error[512];
    char ship_error[512];               /* the last binlog ship's failure, "" after success */
    struct backup_ship_state ship;      /* the job thread's */
    struct data_figures fig;            /* metrics.c's, under dt->mu */
    bool reconf;                        /* a reload changed its conf: apply it (reconf.c) */
    bool restart_due;                   /* pending parameters: restart in the window */
    char pending[512];                  /* parameters waiting for a restart, "a, b" */
};

enum data_job_kind { DATA_JOB_BACKUP = 0, DATA_JOB_RESTORE, DATA_JOB_VERIFY };
enum data_job_state { DATA_JOB_QUEUED = 0, DATA_JOB_RUNNING, DATA_JOB_OK, DATA_JOB_FAILED };

#define DATA_JOBS_MAX 64

struct data_job {
    int64_t id;
    enum data_job_kind kind;
    enum data_job_state state;
    char db[80], as[80];
    int64_t to_ms;                      /* restore: the point in time; 0: the latest */
    int64_t started_ms, ended_ms;
    char message[768];
};

struct data {
    char *state_dir;
    struct data_conf *conf;
    struct data_conf **retired;         /* confs a reload replaced, freed with the tier */
    unsigned nretired;
    struct data_server **servers;
    unsigned n;
    struct catalog *cat;
    pthread_t thread, job_thread;
    bool running;
    pthread_mutex_t mu;                 /* servers, jobs */
    pthread_cond_t cv, job_cv;
    bool stopping;
    struct data_job jobs[DATA_JOBS_MAX];    /* a ring: the newest DATA_JOBS_MAX */
    unsigned njobs;
    int64_t next_job_id;
};

long long data_now_ms(void);
/* The server named `name` (dt->mu held), or NULL. */
struct data_server *data_server_find(struct data *dt, const char *name);
/* A server for conf (owned: the conf it came with, or NULL), added to dt (dt->mu held). */
struct data_server *data_server_init(struct data *dt, const struct data_db_conf *conf,
                                     struct data_conf *owned);
/* Adds a managed server for c's only database, to be started by the supervisor; takes c.
 * Called with dt->mu held. */
struct data_server *data_server_add(struct data *dt, struct data_conf *c);

/* Stops s's server cleanly (SIGTERM, SIGKILL after the grace period); call without
 * dt->mu. */
void data_server_stop(struct data_server *s);

/* reconf.c: a reload's new conf for the servers (dt->mu held), and applying it to a
 * running server: schemas and users again, dynamic parameters with SET GLOBAL, the rest
 * pending until the maintenance window or at once with apply_immediately (dt->mu held,
 * dropped while it works). */
void reconf_apply(struct data *dt, struct data_conf *c);
void reconf_tick(struct data *dt, struct data_server *s, int64_t wall_ms);
/* True when wall_ms (UTC) falls in c's maintenance_window. */
bool reconf_in_window(const struct data_db_conf *c, int64_t wall_ms);

/* metrics.c: samples s when due (dt->mu held; dropped while sampling). */
void metrics_sample(struct data *dt, struct data_server *s, long long now);

/* statebak.c: tierd's state_dir stores (and acme/) into db's repository, as one snapshot
 * tagged kind:state. 0 or -errno with err. Blocking: the job thread. */
int statebak_run(struct data *dt, const struct data_db_conf *db, char *err, size_t errlen);

/* jobs.c: the job thread (backups, binlog shipping, restores, verifies). */
void *jobs_thread(void *arg);

#endif
