/*
 * data/data.c: the data tier's thread (data/data.h). Each managed database is a small
 * state machine advanced every DATA_TICK_MS:
 *
 *   DOWN --(due)--> STARTING --(socket answers, provisioned)--> RUNNING
 *     ^                 |                                           |
 *     +---- BACKOFF <---+------------- (mariadbd exited) ----------+
 *
 * A start writes the config, initialises the datadir if needed, spawns mariadbd and waits
 * for its socket; then creates schemas and users. A server that exits unasked is started
 * again after a delay that doubles from 1 s to 30 s and resets once it has run 60 s, so a
 * server that cannot start does not spin. InnoDB's crash recovery makes a restarted
 * server's data exactly what was committed (the config syncs every commit). The state
 * other threads read (status, ${db:} references) sits under one mutex.
 */
#include "data/internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/ref.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "data/mariadb.h"
#include "data/proc.h"

#define DATA_TICK_MS 100
#define DATA_START_TIMEOUT_MS 120000
#define DATA_STOP_TIMEOUT_MS 120000
#define DATA_BACKOFF_MIN_MS 1000
#define DATA_BACKOFF_MAX_MS 30000
#define DATA_STABLE_MS 60000

static const char *const data_state_names[] = {
    [DATA_DOWN] = "down", [DATA_STARTING] = "starting", [DATA_RUNNING] = "running",
    [DATA_BACKOFF] = "backoff", [DATA_EXTERNAL] = "external", [DATA_LOST] = "lost",
};

long long
data_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct data *
data_new(const char *state_dir, char *err, size_t errlen)
{
    struct data *dt = mem_alloc_or_exit(sizeof(*dt));

    if (!(dt->cat = catalog_open(state_dir, err, errlen))) {
        free(dt);
        return NULL;
    }
    dt->state_dir = mem_strdup_or_exit(state_dir);
    dt->next_job_id = 1;
    pthread_cond_init(&dt->job_cv, NULL);
    pthread_mutex_init(&dt->mu, NULL);
    pthread_cond_init(&dt->cv, NULL);
    return dt;
}

struct data_server *
data_server_init(struct data *dt, const struct data_db_conf *conf, struct data_conf *owned)
{
    struct data_server *s = mem_alloc_or_exit(sizeof(*s));
    char err[512];

    s->conf = conf;
    s->owned_conf = owned;
    s->pid = -1;
    s->backoff_ms = DATA_BACKOFF_MIN_MS;
    s->last_auto_day = -1;
    s->state = conf->mode == DATA_MODE_EXTERNAL ? DATA_EXTERNAL : DATA_DOWN;
    if (mariadb_paths_init(&s->paths, dt->state_dir, conf, err, sizeof(err)) < 0) {
        snprintf(s->error, sizeof(s->error), "%s", err);
        s->state = DATA_BACKOFF;
        s->due_ms = INT64_MAX;
        log_error("data", "%s", err);
    }
    dt->servers = mem_realloc_or_exit(dt->servers, (dt->n + 1) * sizeof(*dt->servers));
    dt->servers[dt->n++] = s;
    return s;
}

void
data_apply(struct data *dt, struct data_conf *c)
{
    if (dt->conf) {
        pthread_mutex_lock(&dt->mu);
        reconf_apply(dt, c);
        pthread_cond_signal(&dt->cv);
        pthread_mutex_unlock(&dt->mu);
        return;
    }
    dt->conf = c;
    for (unsigned i = 0; c && i < c->n; i++)
        data_server_init(dt, &c->dbs[i], NULL);
}

struct data_server *
data_server_find(struct data *dt, const char *name)
{
    for (unsigned i = 0; i < dt->n; i++)
        if (strcmp(dt->servers[i]->conf->name, name) == 0)
            return dt->servers[i];
    return NULL;
}

struct data_server *
data_server_add(struct data *dt, struct data_conf *c)
{
    return data_server_init(dt, &c->dbs[0], c);
}

/* Called with dt->mu held; drops it around the blocking work. */
static void
data_server_fail(struct data *dt, struct data_server *s, long long now, const char *why)
{
    (void)dt;
    snprintf(s->error, sizeof(s->error), "%s", why);
    s->state = DATA_BACKOFF;
    s->due_ms = now + s->backoff_ms;
    log_error("data", "database %s: %s; next start in %u ms", s->conf->name, why,
              s->backoff_ms);
    s->backoff_ms = s->backoff_ms * 2 > DATA_BACKOFF_MAX_MS ? DATA_BACKOFF_MAX_MS
                                                            : s->backoff_ms * 2;
}

static void
data_server_start(struct data *dt, struct data_server *s, long long now)
{
    char err[512];

    pthread_mutex_unlock(&dt->mu);
    /* A server the previous tierd started (it crashed, or was killed) still runs on this
     * config: adopt it rather than start a second one on the same datadir. */
    pid_t adopted = s->restarts == 0 && !s->owned_conf ? mariadb_running(&s->paths) : 0;
    /* A datadir gone (a lost disk, a mistaken rm) while the repository has its backups:
     * an empty server started in its place would look healthy, and its backups would
     * bury the good ones. Wait for a restore instead, and write nothing (not even a new
     * key file where the lost one was). */
    struct catalog_base b;
    bool lost = !adopted && !mariadb_datadir_ready(&s->paths) && !s->owned_conf &&
                catalog_latest_base(dt->cat, s->conf->name, INT64_MAX, &b) == 0;
    int rc = adopted || lost ? 0 : mariadb_write_config(&s->paths, s->conf, err, sizeof(err));
    if (lost) {
        free(b.figures);
        snprintf(err, sizeof(err), "datadir %.300s holds no database, but the repository has "
                 "backups of %s: restore them into place with `tierd db restore %s --latest "
                 "--as %s`", s->paths.datadir, s->conf->name, s->conf->name, s->conf->name);
        rc = -ENOENT;
    } else if (rc == 0 && !adopted) {
        rc = mariadb_init_datadir(&s->paths, err, sizeof(err));
    }
    /* Detached: the managed server outlives tierd (a crash, kill -9), and is adopted by
     * the next start; a clean stop still shuts it down. */
    pid_t pid = adopted ? adopted : rc == 0 ? mariadb_spawn(&s->paths, true) : -1;
    pthread_mutex_lock(&dt->mu);
    if (lost) {
        if (s->state != DATA_LOST)
            log_error("data", "database %s: %s", s->conf->name, err);
        snprintf(s->error, sizeof(s->error), "%s", err);
        s->state = DATA_LOST;
        return;
    }
    if (rc < 0) {
        data_server_fail(dt, s, now, err);
        return;
    }
    if (pid < 0) {
        snprintf(err, sizeof(err), "cannot start mariadbd: %s (is mariadb-server "
                 "installed?)", strerror((int)-pid));
        data_server_fail(dt, s, now, err);
        return;
    }
    s->pid = pid;
    s->adopted = adopted > 0;
    s->state = DATA_STARTING;
    s->started_ms = now;
    s->deadline_ms = now + DATA_START_TIMEOUT_MS;
    log_info("data", "database %s: mariadbd %s pid=%d datadir=%s", s->conf->name,
             adopted ? "adopted (left running by an earlier tierd)" : "started", pid,
             s->paths.datadir);
}

/* True when s's process is gone; the status goes to *status, -1 when another reaper took
 * it (the fleet reaps orphans of other process groups that tierd, a subreaper, adopts). */
static bool
data_server_exited(struct data_server *s, int *status)
{
    if (s->pid <= 0)
        return false;
    if (s->adopted) {                   /* not our child: no wait status to read */
        *status = -1;
        return !mariadb_is_ours(&s->paths, s->pid);
    }
    pid_t r = waitpid(s->pid, status, WNOHANG);
    if (r == s->pid)
        return true;
    if (r < 0 && errno == ECHILD) {
        *status = -1;
        return true;
    }
    return false;
}

static void
data_server_tick(struct data *dt, struct data_server *s, long long now)
{
    char err[512], st[32];
    int status;

    switch (s->state) {
    case DATA_DOWN:
    case DATA_BACKOFF:
        if (now >= s->due_ms)
            data_server_start(dt, s, now);
        return;
    case DATA_STARTING:
        if (data_server_exited(s, &status)) {
            s->pid = -1;
            snprintf(err, sizeof(err), "mariadbd exited while starting (%s); see %.300s",
                     proc_status_text(status, st, sizeof(st)), s->paths.errlog);
            data_server_fail(dt, s, now, err);
            return;
        }
        if (!mariadb_ping(&s->paths)) {
            if (now > s->deadline_ms) {
                kill(s->pid, SIGKILL);
                snprintf(err, sizeof(err), "mariadbd did not open %.300s within %d s",
                         s->paths.socket, DATA_START_TIMEOUT_MS / 1000);
                data_server_fail(dt, s, now, err);  /* reaped on the next start's check */
                waitpid(s->pid, &status, 0);
                s->pid = -1;
            }
            return;
        }
        pthread_mutex_unlock(&dt->mu);
        int rc = mariadb_provision(&s->paths, s->conf, err, sizeof(err));
        pthread_mutex_lock(&dt->mu);
        if (rc < 0) {
            /* The server runs; what failed is ours to retry (a secret not set yet). */
            if (now > s->deadline_ms || strcmp(s->error, err) != 0)
                log_error("data", "database %s: creating schemas and users: %s",
                          s->conf->name, err);
            snprintf(s->error, sizeof(s->error), "%s", err);
            s->deadline_ms = now + DATA_START_TIMEOUT_MS;
            return;
        }
        s->state = DATA_RUNNING;
        s->error[0] = '\0';
        log_info("data", "database %s: running pid=%d socket=%s%s%s", s->conf->name, s->pid,
                 s->paths.socket, s->conf->address ? " address=" : "",
                 s->conf->address ? s->conf->address : "");
        return;
    case DATA_RUNNING:
        if (!data_server_exited(s, &status))
            return;
        s->pid = -1;
        s->adopted = false;
        s->restarts++;
        if (now - s->started_ms >= DATA_STABLE_MS)
            s->backoff_ms = DATA_BACKOFF_MIN_MS;
        log_warn("data", "database %s: mariadbd exited (%s) restarts=%u", s->conf->name,
                 proc_status_text(status, st, sizeof(st)), s->restarts);
        snprintf(err, sizeof(err), "mariadbd exited (%s)", st);
        data_server_fail(dt, s, now, err);
        return;
    case DATA_EXTERNAL:
    case DATA_LOST:
        return;
    }
}

void
data_server_stop(struct data_server *s)
{
    int status;

    if (s->pid <= 0)
        return;
    log_info("data", "database %s: stopping mariadbd pid=%d", s->conf->name, s->pid);
    kill(s->pid, SIGTERM);
    long long deadline = data_now_ms() + DATA_STOP_TIMEOUT_MS;
    while (!data_server_exited(s, &status)) {
        if (data_now_ms() > deadline) {
            log_error("data", "database %s: mariadbd did not stop within %d s; killing it",
                      s->conf->name, DATA_STOP_TIMEOUT_MS / 1000);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            break;
        }
        usleep(20000);
    }
    s->pid = -1;
    s->adopted = false;
    s->state = DATA_DOWN;
}

static void *
data_thread(void *arg)
{
    struct data *dt = arg;

    pthread_mutex_lock(&dt->mu);
    while (!dt->stopping) {
        long long now = data_now_ms();
        for (unsigned i = 0; i < dt->n && !dt->stopping; i++) {
            data_server_tick(dt, dt->servers[i], now);
            reconf_tick(dt, dt->servers[i], (int64_t)clock_wall_ms());
            metrics_sample(dt, dt->servers[i], now);
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += DATA_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&dt->cv, &dt->mu, &ts);
    }
    pthread_mutex_unlock(&dt->mu);
    /* Shut down in parallel: SIGTERM to all, then wait for each. */
    for (unsigned i = 0; i < dt->n; i++)
        if (dt->servers[i]->pid > 0)
            kill(dt->servers[i]->pid, SIGTERM);
    for (unsigned i = 0; i < dt->n; i++)
        data_server_stop(dt->servers[i]);
    return NULL;
}

int
data_start(struct data *dt)
{
    if (dt->n == 0)
        return 0;
    int rc = pthread_create(&dt->thread, NULL, data_thread, dt);
    if (rc != 0)
        return -rc;
    if ((rc = pthread_create(&dt->job_thread, NULL, jobs_thread, dt)) != 0) {
        pthread_mutex_lock(&dt->mu);
        dt->stopping = true;
        pthread_cond_signal(&dt->cv);
        pthread_mutex_unlock(&dt->mu);
        pthread_join(dt->thread, NULL);
        return -rc;
    }
    dt->running = true;
    return 0;
}

void
data_stop(struct data *dt)
{
    if (!dt || !dt->running)
        return;
    pthread_mutex_lock(&dt->mu);
    dt->stopping = true;
    pthread_cond_signal(&dt->cv);
    pthread_cond_signal(&dt->job_cv);
    pthread_mutex_unlock(&dt->mu);
    pthread_join(dt->job_thread, NULL);     /* a job in flight ends first (bounded) */
    pthread_join(dt->thread, NULL);
    dt->running = false;
}

void
data_free(struct data *dt)
{
    if (!dt)
        return;
    data_stop(dt);
    for (unsigned i = 0; i < dt->n; i++) {
        data_conf_free(dt->servers[i]->owned_conf);
        free(dt->servers[i]);
    }
    data_conf_free(dt->conf);
    for (unsigned i = 0; i < dt->nretired; i++)
        data_conf_free(dt->retired[i]);
    free(dt->retired);
    free(dt->servers);
    catalog_close(dt->cat);
    pthread_cond_destroy(&dt->job_cv);
    free(dt->state_dir);
    pthread_mutex_destroy(&dt->mu);
    pthread_cond_destroy(&dt->cv);
    free(dt);
}

json_t *
data_status_json(struct data *dt)
{
    json_t *arr = json_array();

    pthread_mutex_lock(&dt->mu);
    for (unsigned i = 0; i < dt->n; i++) {
        const struct data_server *s = dt->servers[i];
        const struct data_db_conf *c = s->conf;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s?, s:I, s:b, s:b}",
                              "name", c->name, "engine", "mariadb",
                              "mode", c->mode == DATA_MODE_MANAGED ? "managed" : "external",
                              "state", data_state_names[s->state],
                              "pid", (json_int_t)(s->pid > 0 ? s->pid : 0),
                              "restarts", (json_int_t)s->restarts,
                              "host", c->host, "socket", s->paths.socket,
                              "address", c->address, "port", (json_int_t)c->port,
                              "storage_encrypted", c->key_file != NULL,
                              "backups", c->backup_on && c->retention_ms > 0);
        json_object_set_new(o, "datadir", json_string(s->paths.datadir));
        /* Where its key is, never what it holds. */
        json_object_set_new(o, "key_file", s->paths.key_file[0] ?
                            json_string(s->paths.key_file) : json_null());
        json_object_set_new(o, "error", s->error[0] ? json_string(s->error) : json_null());
        json_object_set_new(o, "restored", json_boolean(s->owned_conf != NULL));
        json_object_set_new(o, "adopted", json_boolean(s->adopted));
        if (s->state == DATA_EXTERNAL)
            json_object_set_new(o, "reachable", json_boolean(s->reachable));
        json_object_set_new(o, "pending_restart", json_string(s->pending));
        if (c->backup_on) {
            json_t *b = catalog_backups_json(dt->cat, c->name);
            json_object_set(o, "latest_restorable_ms", json_object_get(b,
                                                                      "latest_restorable_ms"));
            json_t *newest = json_array_get(json_object_get(b, "backups"), 0);
            json_object_set(o, "newest_backup", newest ? newest : json_null());
            json_decref(b);
        }
        json_array_append_new(arr, o);
    }
    pthread_mutex_unlock(&dt->mu);
    return json_pack("{s:o}", "databases", arr);
}

char *
data_resolve(void *ctx, const char *ref)
{
    struct data *dt = ctx;
    char buf[160], missing[160];
    const char *dot = strchr(ref, '.');
    char *out = NULL;

    if (!dot)
        return NULL;
    pthread_mutex_lock(&dt->mu);
    for (unsigned i = 0; i < dt->n && !out; i++) {
        const struct data_server *s = dt->servers[i];
        const char *field = dot + 1;
        if (strlen(s->conf->name) != (size_t)(dot - ref) ||
            strncmp(s->conf->name, ref, (size_t)(dot - ref)) != 0)
            continue;
        if (strcmp(field, "host") == 0) {
            out = mem_strdup_or_exit(s->conf->host);
        } else if (strcmp(field, "port") == 0) {
            snprintf(buf, sizeof(buf), "%u", s->conf->port);
            out = mem_strdup_or_exit(buf);
        } else if (strcmp(field, "socket") == 0) {
            out = mem_strdup_or_exit(s->paths.socket);
        } else if (strncmp(field, "users.", 6) == 0) {
            size_t fl = strlen(field);
            if (fl < 16 || strcmp(field + fl - 9, ".password") != 0)
                break;
            for (unsigned j = 0; j < s->conf->nusers; j++) {
                const struct data_user *u = &s->conf->users[j];
                if (strlen(u->name) == fl - 15 && strncmp(u->name, field + 6, fl - 15) == 0)
                    out = conf_ref_expand(u->password, missing, sizeof(missing));
            }
        }
        break;
    }
    pthread_mutex_unlock(&dt->mu);
    return out;
}

int
data_parse_time(const char *s, int64_t *ms)
{
    struct tm tm;
    const char *rest;

    memset(&tm, 0, sizeof(tm));
    if (!(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) &&
        !(rest = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)))
        return -EINVAL;
    long frac = 0;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*rest - '0');
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (*rest == 'Z')
        rest++;
    if (*rest)
        return -EINVAL;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *ms = (int64_t)t * 1000 + frac;
    return 0;
}

char *
data_log_tail(struct data *dt, const char *name, const char *kind, size_t max, size_t *len)
{
    char path[PATH_MAX];

    pthread_mutex_lock(&dt->mu);
    struct data_server *s = data_server_find(dt, name);
    if (s)
        snprintf(path, sizeof(path), "%s", strcmp(kind, "error") == 0 ? s->paths.errlog
                                                                        : s->paths.slowlog);
    pthread_mutex_unlock(&dt->mu);
    if (!s)
        return NULL;
    char *out = mem_alloc_or_exit(max + 1);
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        if (fseek(f, 0, SEEK_END) == 0) {
            long size = ftell(f);
            fseek(f, size > (long)max ? size - (long)max : 0, SEEK_SET);
        }
        *len = fread(out, 1, max, f);
        fclose(f);
    }
    out[*len] = '\0';
    return out;
}
