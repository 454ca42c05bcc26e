/*
 * data/mariadb.h: one MariaDB server as tierd runs it: where its files are, the config file
 * tierd writes for it, initialising its datadir, starting mariadbd, and the SQL tierd runs
 * as the server's administrator (over the unix socket, authenticated as tierd's own OS
 * user by unix_socket, so no administrator password exists anywhere). Blocking: runs on
 * the data thread. Knows nothing of supervision (data.c) or backups.
 */
#ifndef DATA_MARIADB_H
#define DATA_MARIADB_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "data/data_conf.h"

struct mariadb_paths {
    char dir[PATH_MAX];         /* <state_dir>/db: config, logs, pid file */
    char cnf[PATH_MAX];         /* <dir>/<name>.cnf, written by tierd */
    char datadir[PATH_MAX];
    char socket[108];           /* sun_path */
    char errlog[PATH_MAX];
    char slowlog[PATH_MAX];
    char pidfile[PATH_MAX];
    char key_file[PATH_MAX];    /* "" without storage encryption */
};

/* Fills p with absolute paths for db under state_dir (relative ones are tierd's working
 * directory's). 0, or -ENAMETOOLONG with a reason in err. */
int mariadb_paths_init(struct mariadb_paths *p, const char *state_dir,
                       const struct data_db_conf *db, char *err, size_t errlen);
/* Writes the server's config file (durably: temporary file, fsync, rename) and creates
 * the key file when encryption is on and it does not exist yet (0600). 0 or -errno. */
int mariadb_write_config(const struct mariadb_paths *p, const struct data_db_conf *db,
                         char *err, size_t errlen);
/* Initialises the datadir with mariadb-install-db when it holds no database yet, into a
 * scratch directory renamed into place when complete, so that an interrupted
 * initialisation is started again, never mistaken for a database. 0 or -errno. */
int mariadb_init_datadir(const struct mariadb_paths *p, char *err, size_t errlen);
/* True when p's datadir holds a database (its mysql/ system schema). */
bool mariadb_datadir_ready(const struct mariadb_paths *p);
/* Starts mariadbd on p's config; its output goes to p->errlog. Detached: it outlives
 * tierd, for the next tierd to adopt (mariadb_running). The pid, or -errno. */
pid_t mariadb_spawn(const struct mariadb_paths *p, bool detached);
/* The pid of a mariadbd already running on p's config (its pid file names a live process
 * started with p's --defaults-file, and its socket answers), or 0. */
pid_t mariadb_running(const struct mariadb_paths *p);
/* True while pid is alive and is a mariadbd on p's config (for one tierd did not start). */
bool mariadb_is_ours(const struct mariadb_paths *p, pid_t pid);
/* True when the server accepts connections on its socket. */
bool mariadb_ping(const struct mariadb_paths *p);
/* Runs sql through the mariadb client over the socket as administrator. Returns 0, or -EIO
 * with the client's first error line in err (with every string of `secrets` blanked). */
int mariadb_sql(const struct mariadb_paths *p, const char *sql, const char *const *secrets,
                char *out, size_t outlen, char *err, size_t errlen);
/* Runs sql on an external server (mode: external) as its first declared user, through a
 * client option file (0600, in p->dir) that holds the password. 0, or -errno with the
 * client's error line in err. */
int mariadb_sql_external(const struct mariadb_paths *p, const struct data_db_conf *db,
                         const char *sql, char *out, size_t outlen, char *err, size_t errlen);
/* Creates the declared schemas and users (passwords expanded from tierd's environment
 * now, set again on every start so that a rotated secret takes effect) and grants. 0, or
 * -errno with a reason that never holds a password. */
int mariadb_provision(const struct mariadb_paths *p, const struct data_db_conf *db,
                      char *err, size_t errlen);

#endif
