/*
 * data/data_conf.h: the `databases:` section as read from the stack file (data_conf.c
 * validates it against data_keys.c and reports every problem at file:line:col). Passwords
 * stay as written: a "${env:NAME}" reference is expanded only where it is used.
 */
#ifndef DATA_DATA_CONF_H
#define DATA_DATA_CONF_H
#include <stdbool.h>
#include <stdint.h>

#include "conf/ctx.h"
#include "conf/node.h"

enum data_engine { DATA_ENGINE_MARIADB = 0 };
enum data_mode { DATA_MODE_MANAGED = 0, DATA_MODE_EXTERNAL };

struct data_user {
    char *name;
    char *password;             /* as written: usually "${env:NAME}" */
    char *host;
    char **grants;              /* "ALL PRIVILEGES ON shop.*" */
    unsigned ngrants;
};

struct data_param {
    char *name, *value;
};

struct data_db_conf {
    char *name;
    enum data_engine engine;
    enum data_mode mode;
    char *address;              /* NULL: socket only */
    char host[256];             /* of address; "localhost" when there is none */
    unsigned port;              /* of address; 0 when there is none */
    char *socket;               /* NULL: the default under state_dir */
    char *datadir;              /* NULL: the default under state_dir */
    char **schemas;
    unsigned nschemas;
    struct data_user *users;
    unsigned nusers;
    struct data_param *params;
    unsigned nparams;
    char *key_file;             /* storage_encryption.key_file; NULL: no encryption */
    bool backup_on;             /* a backup: section is present */
    char *repository, *password_file;
    char **restic_opts;         /* backup.options as "name=value", for restic -o */
    unsigned nrestic_opts;
    unsigned window_start_min, window_end_min;  /* minutes of the UTC day */
    uint64_t retention_ms, binlog_interval_ms;
    bool verify;
    unsigned maint_start_min, maint_end_min;    /* minutes of the UTC week, monday 00:00 = 0 */
    bool apply_immediately, deletion_protection;
};

struct data_conf {
    struct data_db_conf *dbs;
    unsigned n;
};

/* conf/ctx.h's contract: 0 and a new conf in *out (never NULL: empty when the section is
 * absent), or -EINVAL with every problem in cx->d. */
int data_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                    struct data_conf **out);
void data_conf_free(struct data_conf *c);
const struct data_db_conf *data_conf_db(const struct data_conf *c, const char *name);

/* Parsers of the windows, for the reader and its tests: "03:00-03:30" (minutes of the
 * day) and "sun:04:00-sun:04:30" (minutes of the week from monday 00:00). 0, or -EINVAL
 * with a reason in *why. A window wraps when end < start. */
int data_conf_parse_daily(const char *s, unsigned *start, unsigned *end, const char **why);
int data_conf_parse_weekly(const char *s, unsigned *start, unsigned *end, const char **why);

#endif
