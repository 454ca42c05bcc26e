/*
 * data/reconf.c: a reload of the stack file reaching the databases, as RDS's
 * ModifyDBInstance does. A database added starts; one removed keeps running until tierd
 * restarts (its datadir is never deleted). For one that stays, backup settings, schemas
 * and users take effect at once; parameters are compared with the server's values and
 * the dynamic ones set live (SET GLOBAL); the others are pending a restart, which happens
 * in maintenance_window, or at once with apply_immediately, and `tierd db status` lists
 * them meanwhile (RDS's pending-reboot). Changing engine, mode, datadir, socket, address
 * or storage encryption makes a new database (plan says replace): the running server
 * keeps its configuration and the log says so.
 */
#include "data/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"

static bool
reconf_str_differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* The first key whose change needs a new database, or NULL. */
static const char *
reconf_replaced(const struct data_db_conf *o, const struct data_db_conf *n)
{
    if (o->engine != n->engine)
        return "engine";
    if (o->mode != n->mode)
        return "mode";
    if (reconf_str_differs(o->datadir, n->datadir))
        return "datadir";
    if (reconf_str_differs(o->socket, n->socket))
        return "socket";
    if (reconf_str_differs(o->address, n->address))
        return "address";
    if (reconf_str_differs(o->key_file, n->key_file))
        return "storage_encryption";
    return NULL;
}

void
reconf_apply(struct data *dt, struct data_conf *c)
{
    for (unsigned i = 0; c && i < c->n; i++) {
        const struct data_db_conf *nd = &c->dbs[i];
        struct data_server *s = NULL;
        for (unsigned j = 0; j < dt->n; j++)
            if (!dt->servers[j]->owned_conf && strcmp(dt->servers[j]->conf->name, nd->name) == 0)
                s = dt->servers[j];
        if (!s) {
            log_info("data", "database %s added by a reload: starting it", nd->name);
            data_server_init(dt, nd, NULL);
            continue;
        }
        const char *why = reconf_replaced(s->conf, nd);
        if (why) {
            log_warn("data", "database %s: a change of %s makes a new database; the running "
                     "server keeps its configuration until tierd restarts", nd->name, why);
            continue;
        }
        s->conf = nd;
        s->reconf = true;
    }
    for (unsigned j = 0; dt->conf && j < dt->n; j++) {
        struct data_server *s = dt->servers[j];
        bool kept = false;
        for (unsigned i = 0; c && i < c->n && !kept; i++)
            kept = strcmp(c->dbs[i].name, s->conf->name) == 0;
        if (!kept && !s->owned_conf)
            log_warn("data", "database %s is no longer in the stack file: it keeps running "
                     "until tierd restarts, and its datadir is never deleted", s->conf->name);
    }
    /* Retired, not freed: a job may hold a pointer into it. */
    dt->retired = mem_realloc_or_exit(dt->retired, (dt->nretired + 1) * sizeof(*dt->retired));
    dt->retired[dt->nretired++] = dt->conf;
    dt->conf = c;
}

/* "256M" as bytes ("268435456"), "on"/"true" as "1", "off"/"false" as "0", else v. */
static void
reconf_norm(const char *v, char *out, size_t len)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    static const char units[] = "KMGT";
    const char *u = end != v && end[0] && !end[1] ? strchr(units, toupper((unsigned char)*end))
                                                  : NULL;

    if (u && *u) {
        for (const char *k = units; k <= u; k++)
            n *= 1024;
        snprintf(out, len, "%llu", n);
    } else if (strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0) {
        snprintf(out, len, "1");
    } else if (strcasecmp(v, "off") == 0 || strcasecmp(v, "false") == 0) {
        snprintf(out, len, "0");
    } else {
        snprintf(out, len, "%s", v);
    }
}

/* Applies c's parameters to the running server: each that differs from the server's value
 * is set live, or named in pending when the server says it is read-only. */
static void
reconf_params(const struct mariadb_paths *p, const struct data_db_conf *c, char *pending,
              size_t len)
{
    char sql[600], out[512], err[512], want[256], have[256];
    size_t o = 0;

    pending[0] = '\0';
    for (unsigned i = 0; i < c->nparams; i++) {
        const struct data_param *pm = &c->params[i];
        snprintf(sql, sizeof(sql), "SELECT @@GLOBAL.`%s`;\n", pm->name);
        if (mariadb_sql(p, sql, NULL, out, sizeof(out), err, sizeof(err)) < 0) {
            log_error("data", "database %s: parameter %s: %s", c->name, pm->name, err);
            continue;
        }
        out[strcspn(out, "\n")] = '\0';
        reconf_norm(pm->value, want, sizeof(want));
        reconf_norm(out, have, sizeof(have));
        if (strcasecmp(want, have) == 0)
            continue;
        bool numeric = want[strspn(want, "0123456789")] == '\0';
        snprintf(sql, sizeof(sql), numeric ? "SET GLOBAL `%s` = %s;\n" : "SET GLOBAL `%s` = '%s';\n",
                 pm->name, want);
        if (mariadb_sql(p, sql, NULL, out, sizeof(out), err, sizeof(err)) == 0) {
            log_info("data", "database %s: parameter %s = %s applied live", c->name, pm->name,
                     pm->value);
        } else if (strstr(err, "read only variable")) {
            o += (size_t)snprintf(pending + o, o < len ? len - o : 0, "%s%s", o ? ", " : "",
                                  pm->name);
        } else {
            log_error("data", "database %s: parameter %s = %s refused: %s", c->name, pm->name,
                      pm->value, err);
        }
    }
}

/* Minute of the UTC week (monday 00:00 = 0) at wall_ms: 1970-01-01 was a thursday. */
static unsigned
reconf_week_min(int64_t wall_ms)
{
    int64_t m = wall_ms / 60000;
    return (unsigned)(((m / 1440 + 3) % 7) * 1440 + m % 1440);
}

bool
reconf_in_window(const struct data_db_conf *c, int64_t wall_ms)
{
    unsigned w = reconf_week_min(wall_ms), a = c->maint_start_min, b = c->maint_end_min;

    return a <= b ? w >= a && w < b : w >= a || w < b;
}

void
reconf_tick(struct data *dt, struct data_server *s, int64_t wall_ms)
{
    char err[512], pending[sizeof(s->pending)];

    if (s->state != DATA_RUNNING)
        return;
    const struct data_db_conf *c = s->conf;
    if (s->reconf) {
        s->reconf = false;
        pthread_mutex_unlock(&dt->mu);
        /* The config a restart will read, then what can change now. */
        if (mariadb_write_config(&s->paths, c, err, sizeof(err)) < 0)
            log_error("data", "database %s: rewriting its config: %s", c->name, err);
        if (mariadb_provision(&s->paths, c, err, sizeof(err)) < 0)
            log_error("data", "database %s: schemas and users: %s", c->name, err);
        reconf_params(&s->paths, c, pending, sizeof(pending));
        pthread_mutex_lock(&dt->mu);
        snprintf(s->pending, sizeof(s->pending), "%s", pending);
        s->restart_due = pending[0] != '\0';
        if (s->restart_due)
            log_info("data", "database %s: %s pending a restart (%s)", c->name, pending,
                     c->apply_immediately ? "apply_immediately: now" : "in maintenance_window");
    }
    if (!s->restart_due || !(c->apply_immediately || reconf_in_window(c, wall_ms)))
        return;
    log_info("data", "database %s: restarting to apply %s", c->name, s->pending);
    s->restart_due = false;
    s->pending[0] = '\0';
    s->state = DATA_STARTING;           /* nobody else touches it while it stops */
    pthread_mutex_unlock(&dt->mu);
    data_server_stop(s);
    pthread_mutex_lock(&dt->mu);
    s->state = DATA_DOWN;
    s->due_ms = 0;                      /* the supervisor starts it on the next tick */
}
