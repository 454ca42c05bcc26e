/*
 * data/jobs.c: the data tier's job thread. It runs, one at a time, the jobs the control
 * API queues (backup, restore, verify) and, between them, the periodic work: every
 * binlog_interval a flush and ship of each running database's binlogs, and once a day
 * inside backup.window an automated base backup (followed by a verify when backup.verify
 * is on). A long job delays the next ship: the RPO during a base backup is the backup's
 * duration plus binlog_interval (docs/data.md).
 */
#include "data/internal.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "data/backup.h"
#include "data/proc.h"
#include "data/restore.h"

#define JOBS_TICK_MS 200
#define JOBS_SERVER_TIMEOUT_MS 120000

static const char *const job_kinds[] = { "backup", "restore", "verify", NULL };
static const char *const job_states[] = { "queued", "running", "ok", "failed" };

static bool
jobs_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

int64_t
data_job_submit(struct data *dt, const char *kind, const char *db, int64_t to_ms,
                const char *as, char *why, size_t whylen)
{
    int k = -1;
    int64_t id;

    for (int i = 0; job_kinds[i]; i++)
        if (strcmp(job_kinds[i], kind) == 0)
            k = i;
    if (k < 0) {
        snprintf(why, whylen, "unknown job \"%s\": backup, restore or verify", kind);
        return -EINVAL;
    }
    pthread_mutex_lock(&dt->mu);
    struct data_server *s = data_server_find(dt, db);
    if (!s) {
        pthread_mutex_unlock(&dt->mu);
        snprintf(why, whylen, "no database \"%s\"", db);
        return -ENOENT;
    }
    if (!s->conf->backup_on) {
        pthread_mutex_unlock(&dt->mu);
        snprintf(why, whylen, "database %s has no backup: section (repository, "
                 "password_file)", db);
        return -EINVAL;
    }
    if (k == DATA_JOB_RESTORE) {
        if (!as || !jobs_name_ok(as)) {
            pthread_mutex_unlock(&dt->mu);
            snprintf(why, whylen, "--as: name the new database (letters, digits, '_', '-')");
            return -EINVAL;
        }
        /* Into place only when the database's datadir is gone: nothing to overwrite. */
        bool in_place = strcmp(as, db) == 0 && s->state == DATA_LOST;
        if (!in_place && data_server_find(dt, as)) {
            pthread_mutex_unlock(&dt->mu);
            snprintf(why, whylen, "a database named %s exists; a restore never overwrites: "
                     "choose another --as (only a database whose datadir is lost is "
                     "restored into place)", as);
            return -EEXIST;
        }
    }
    struct data_job *j = &dt->jobs[dt->njobs++ % DATA_JOBS_MAX];
    memset(j, 0, sizeof(*j));
    id = j->id = dt->next_job_id++;
    j->kind = (enum data_job_kind)k;
    j->state = DATA_JOB_QUEUED;
    snprintf(j->db, sizeof(j->db), "%s", db);
    snprintf(j->as, sizeof(j->as), "%s", as ? as : "");
    j->to_ms = to_ms;
    pthread_cond_signal(&dt->job_cv);
    pthread_mutex_unlock(&dt->mu);
    return id;
}

static json_t *
jobs_one_json(const struct data_job *j)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)j->id,
                          "kind", job_kinds[j->kind], "database", j->db,
                          "state", job_states[j->state], "message", j->message,
                          "started_ms", (json_int_t)j->started_ms,
                          "ended_ms", (json_int_t)j->ended_ms);
    if (j->kind == DATA_JOB_RESTORE) {
        json_object_set_new(o, "as", json_string(j->as));
        json_object_set_new(o, "to_ms", json_integer(j->to_ms));
    }
    return o;
}

json_t *
data_job_json(struct data *dt, int64_t id)
{
    json_t *o = NULL;

    pthread_mutex_lock(&dt->mu);
    for (unsigned i = 0; i < DATA_JOBS_MAX && i < dt->njobs; i++)
        if (dt->jobs[i].id == id)
            o = jobs_one_json(&dt->jobs[i]);
    pthread_mutex_unlock(&dt->mu);
    return o;
}

json_t *
data_backups_json(struct data *dt, const char *db)
{
    pthread_mutex_lock(&dt->mu);
    struct data_server *s = data_server_find(dt, db);
    pthread_mutex_unlock(&dt->mu);
    return s ? catalog_backups_json(dt->cat, db) : NULL;
}

/* A free loopback TCP port, or 0. */
static unsigned
jobs_free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unsigned port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void
jobs_rmtree(const char *dir)
{
    char *const argv[] = { "rm", "-rf", "--", (char *)dir, NULL };

    proc_run(argv, NULL, NULL, 0, 120000);
}

/* A one-database conf for a server a job makes (a restore or a scratch verify), from
 * the source's: no schemas or users (they come with the data); key_file is the key
 * restored from the repository (NULL: the source's own, for a backup stored without). */
static struct data_conf *
jobs_conf_for(const struct data_db_conf *src, const char *name, unsigned port,
              const char *datadir, const char *socket, const char *key_file)
{
    struct data_conf *c = mem_alloc_or_exit(sizeof(*c));
    struct data_db_conf *db = c->dbs = mem_alloc_or_exit(sizeof(*db));

    c->n = 1;
    db->name = mem_strdup_or_exit(name);
    db->engine = src->engine;
    db->mode = DATA_MODE_MANAGED;
    snprintf(db->host, sizeof(db->host), port ? "127.0.0.1" : "localhost");
    if (port) {
        char a[32];
        snprintf(a, sizeof(a), "127.0.0.1:%u", port);
        db->address = mem_strdup_or_exit(a);
        db->port = port;
    }
    db->datadir = datadir ? mem_strdup_or_exit(datadir) : NULL;
    db->socket = socket ? mem_strdup_or_exit(socket) : NULL;
    if (!key_file)
        key_file = src->key_file;
    db->key_file = key_file ? mem_strdup_or_exit(key_file) : NULL;
    db->deletion_protection = true;
    return c;
}

static void
jobs_utc(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Retention after a good backup: what the catalog says is older than the window (and
 * not needed by its oldest point) is forgotten in restic. A failure only delays it: the
 * snapshots stay queued in the catalog and the next backup forgets them. */
static void
jobs_retention(struct data *dt, const struct data_db_conf *c, int64_t now_ms)
{
    unsigned n;
    char err[512];
    char **snaps = catalog_expire(dt->cat, c->name, now_ms - (int64_t)c->retention_ms, &n);

    if (backup_forget(c, snaps, n, err, sizeof(err)) < 0)
        log_error("data", "database %s: retention: %s", c->name, err);
    else if (n && (catalog_forgotten(dt->cat, c->name, snaps, n), true))
        log_info("data", "database %s: retention %llu s: forgot %u snapshots older than the "
                 "window", c->name, (unsigned long long)(c->retention_ms / 1000), n);
    for (unsigned i = 0; i < n; i++)
        free(snaps[i]);
    free(snaps);
}

static int
jobs_backup(struct data *dt, struct data_server *s, char *msg, size_t len)
{
    int64_t id = backup_base(&s->paths, s->conf, dt->cat, msg, len);
    char err[512];

    if (id < 0)
        return (int)id;
    /* Ship now: the base's own binlog is then archived and a restore can start from it. */
    if (backup_ship_binlogs(&s->paths, s->conf, dt->cat, &s->ship, err, sizeof(err)) < 0)
        log_warn("data", "database %s: binlog ship after backup: %s", s->conf->name, err);
    snprintf(msg, len, "backup %lld of %s done", (long long)id, s->conf->name);
    /* tierd's own state goes with it: a lost host is rebuilt from the repository. */
    if (statebak_run(dt, s->conf, err, sizeof(err)) < 0)
        log_error("data", "database %s: %s", s->conf->name, err);
    if (s->conf->retention_ms > 0)
        jobs_retention(dt, s->conf, (int64_t)clock_wall_ms());
    return 0;
}

/* Waits until the server on p answers (its process must not exit). */
static int
jobs_wait_server(const struct mariadb_paths *p, pid_t pid, char *err, size_t len)
{
    long long deadline = data_now_ms() + JOBS_SERVER_TIMEOUT_MS;
    int status;

    while (!mariadb_ping(p)) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            snprintf(err, len, "the scratch server exited while starting; see %.300s",
                     p->errlog);
            return -EIO;
        }
        if (data_now_ms() > deadline) {
            snprintf(err, len, "the scratch server did not start within %d s",
                     JOBS_SERVER_TIMEOUT_MS / 1000);
            return -ETIMEDOUT;
        }
        usleep(50000);
    }
    return 0;
}

static void
jobs_stop_server(pid_t pid)
{
    int status;

    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 1200; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* Compares the scratch server's tables with the figures taken at backup time: CHECK
 * TABLE says OK and COUNT(*) is the figure, for every table. Appends to detail. */
static bool
jobs_compare(const struct mariadb_paths *p, json_t *tables, char *detail, size_t len)
{
    const char *name;
    json_t *v;
    size_t o = strlen(detail);
    bool ok = true;
    char out[4096], err[256], sql[600];

    json_object_foreach(tables, name, v) {
        const char *dot = strchr(name, '.');
        if (!dot)
            continue;
        int sl = (int)(dot - name);
        snprintf(sql, sizeof(sql), "CHECK TABLE `%.*s`.`%s`;\nSELECT COUNT(*) FROM "
                 "`%.*s`.`%s`;\nCHECKSUM TABLE `%.*s`.`%s`;\n", sl, name, dot + 1, sl, name,
                 dot + 1, sl, name, dot + 1);
        if (mariadb_sql(p, sql, NULL, out, sizeof(out), err, sizeof(err)) < 0) {
            o += (size_t)snprintf(detail + o, o < len ? len - o : 0, "%s: %s; ", name, err);
            ok = false;
            continue;
        }
        /* "db.t\tcheck\tstatus\tOK\n<count>\ndb.t\t<checksum>\n" */
        char *l1 = strtok(out, "\n"), *l2 = strtok(NULL, "\n"), *l3 = strtok(NULL, "\n");
        bool check_ok = l1 && strstr(l1, "\tstatus\tOK");
        long long rows = l2 ? strtoll(l2, NULL, 10) : -1;
        const char *sum = l3 && strchr(l3, '\t') ? strchr(l3, '\t') + 1 : "?";
        bool rows_ok = rows == json_integer_value(v);
        ok &= check_ok && rows_ok;
        o += (size_t)snprintf(detail + o, o < len ? len - o : 0, "%s: check %s, rows %lld%s%lld,"
                              " checksum %s; ", name, check_ok ? "ok" : "FAILED", rows,
                              rows_ok ? " = " : " != ", (long long)json_integer_value(v), sum);
    }
    return ok;
}

static int
jobs_verify(struct data *dt, struct data_server *s, char *msg, size_t len)
{
    struct catalog_base b;
    char dir[PATH_MAX], datadir[2 * PATH_MAX], sock[2 * PATH_MAX], staging[2 * PATH_MAX];
    char name[96], err[512], detail[4096] = "", keyp[2 * PATH_MAX];
    long long t0 = data_now_ms();
    int rc;

    if (catalog_latest_base(dt->cat, s->conf->name, INT64_MAX, &b) < 0) {
        snprintf(msg, len, "database %s has no backup to verify", s->conf->name);
        return -ENOENT;
    }
    /* The figures stand at a binlog position after the base: archive up to it first. */
    if (s->state == DATA_RUNNING &&
        backup_ship_binlogs(&s->paths, s->conf, dt->cat, &s->ship, err, sizeof(err)) < 0)
        log_warn("data", "database %s: binlog ship before verify: %s", s->conf->name, err);
    snprintf(name, sizeof(name), "%s-verify", s->conf->name);
    if (snprintf(dir, sizeof(dir), "%s/%s", s->paths.dir, name) >= (int)sizeof(dir)) {
        snprintf(msg, len, "the path for %s's scratch server is too long", s->conf->name);
        free(b.figures);
        return -ENAMETOOLONG;
    }
    snprintf(datadir, sizeof(datadir), "%s/data", dir);
    snprintf(sock, sizeof(sock), "%s.sock", dir);
    snprintf(staging, sizeof(staging), "%s/binlogs", dir);
    snprintf(keyp, sizeof(keyp), "%s/keyfile", dir);
    jobs_rmtree(dir);
    mkdir(dir, 0750);
    /* The scratch server gets its key from the repository, as a lost host would. */
    struct restore_key key = { .snapshot = b.key_snapshot, .path = keyp };
    struct data_conf *c = jobs_conf_for(s->conf, name, 0, datadir, sock,
                                        b.key_snapshot[0] ? keyp : NULL);
    struct mariadb_paths p;
    pid_t pid = -1;
    json_t *fig = b.figures ? json_loads(b.figures, 0, NULL) : NULL;
    if ((rc = mariadb_paths_init(&p, dt->state_dir, &c->dbs[0], err, sizeof(err))) < 0 ||
        (rc = restore_base(s->conf, &key, b.snapshot, datadir, err, sizeof(err))) < 0 ||
        (rc = mariadb_write_config(&p, &c->dbs[0], err, sizeof(err))) < 0)
        goto done;
    if ((pid = mariadb_spawn(&p, false)) < 0) {
        snprintf(err, sizeof(err), "cannot start a scratch mariadbd: %s", strerror((int)-pid));
        rc = (int)pid;
        goto done;
    }
    if ((rc = jobs_wait_server(&p, pid, err, sizeof(err))) < 0)
        goto done;
    const char *ffile = json_string_value(json_object_get(fig, "file"));
    if (fig && ffile) {
        struct restore_stop stop = { .file = ffile,
                                     .pos = (uint64_t)json_integer_value(
                                         json_object_get(fig, "pos")) };
        if ((rc = restore_replay(s->conf, dt->cat, b.binlog_file, b.binlog_pos, &stop, staging,
                                 sock, err, sizeof(err))) < 0)
            goto done;
    }
    if (!fig) {
        snprintf(err, sizeof(err), "no figures were taken with backup %lld", (long long)b.id);
        rc = -ENOENT;
        goto done;
    }
    if (!jobs_compare(&p, json_object_get(fig, "tables"), detail, sizeof(detail))) {
        snprintf(err, sizeof(err), "the restored data differs: %.400s", detail);
        rc = -EIO;
    }
done:
    jobs_stop_server(pid);
    jobs_rmtree(dir);
    char *xtra[] = { p.cnf, p.errlog, p.slowlog, p.pidfile, NULL };
    for (char **x = xtra; *x && (*x)[0]; x++)
        unlink(*x);
    long long ms = data_now_ms() - t0;
    catalog_verify_set(dt->cat, b.id, rc == 0, ms, rc == 0 ? detail : err);
    if (rc == 0)
        snprintf(msg, len, "backup %lld of %s verified in %lld ms: %.600s", (long long)b.id,
                 s->conf->name, ms, detail);
    else
        snprintf(msg, len, "backup %lld of %s failed verify: %.600s", (long long)b.id,
                 s->conf->name, err);
    json_decref(fig);
    free(b.figures);
    data_conf_free(c);
    return rc;
}

/* The number of the newest binlog archived for db ("binlog.000042": 42), or 0. */
static unsigned
jobs_last_binlog(struct data *dt, const char *db)
{
    unsigned n, last = 0;
    char **files = catalog_binlogs_from(dt->cat, db, "", &n);

    for (unsigned i = 0; i < n; i++) {
        const char *dot = strrchr(files[i], '.');
        unsigned v = dot ? (unsigned)strtoul(dot + 1, NULL, 10) : 0;
        if (v > last)
            last = v;
        free(files[i]);
    }
    free(files);
    return last;
}

/* Restores a database whose datadir is lost into its own datadir: the newest base (and
 * its key file when the configured one is missing too), then the server is started by the
 * supervisor, its binlog numbering moved past every archived binlog (a restored datadir
 * starts at binlog.000001, whose name the archive already holds), and the archived binlogs
 * replayed up to the point asked for. */
static int
jobs_restore_in_place(struct data *dt, struct data_server *s, const struct data_job *j,
                      const struct catalog_base *b, char *msg, size_t len)
{
    char scratch[PATH_MAX + 16], staging[PATH_MAX + 16], err[512], sql[64], when[32];
    const struct data_db_conf *c = s->conf;
    struct restore_key key = { .snapshot = "", .path = s->paths.key_file };
    int rc;

    if (s->paths.key_file[0] && access(s->paths.key_file, F_OK) < 0)
        key.snapshot = b->key_snapshot;             /* the lost host's key, from the repository */
    snprintf(scratch, sizeof(scratch), "%s.restore", s->paths.datadir);
    snprintf(staging, sizeof(staging), "%s.binlogs", s->paths.datadir);
    jobs_rmtree(scratch);
    rmdir(s->paths.datadir);
    if (access(s->paths.datadir, F_OK) == 0) {
        snprintf(msg, len, "%.300s is not empty; a restore never overwrites", s->paths.datadir);
        return -EEXIST;
    }
    if ((rc = restore_base(c, &key, b->snapshot, scratch, err, sizeof(err))) < 0 ||
        (rename(scratch, s->paths.datadir) < 0 && (rc = -errno) < 0)) {
        snprintf(msg, len, "restore of %s into place failed: %.600s", c->name,
                 rc == -errno ? strerror(errno) : err);
        jobs_rmtree(scratch);
        return rc;
    }
    pthread_mutex_lock(&dt->mu);
    s->state = DATA_DOWN;
    s->due_ms = 0;
    s->error[0] = '\0';
    memset(&s->ship, 0, sizeof(s->ship));
    pthread_cond_signal(&dt->cv);
    pthread_mutex_unlock(&dt->mu);
    long long deadline = data_now_ms() + JOBS_SERVER_TIMEOUT_MS;
    for (;;) {
        pthread_mutex_lock(&dt->mu);
        enum data_state st = s->state;
        bool stopping = dt->stopping;
        pthread_mutex_unlock(&dt->mu);
        if (st == DATA_RUNNING)
            break;
        if (stopping || data_now_ms() > deadline) {
            snprintf(msg, len, "restored %s into place, but its server did not start: %.400s",
                     c->name, s->error);
            return -ETIMEDOUT;
        }
        usleep(50000);
    }
    snprintf(sql, sizeof(sql), "RESET MASTER TO %u;\n", jobs_last_binlog(dt, c->name) + 1);
    if (mariadb_sql(&s->paths, sql, NULL, NULL, 0, err, sizeof(err)) < 0) {
        snprintf(msg, len, "restored %s into place, but moving its binlog numbering failed: "
                 "%.400s", c->name, err);
        return -EIO;
    }
    char stopdt[32];
    struct restore_stop stop = { 0 };
    if (j->to_ms) {
        jobs_utc(j->to_ms, stopdt, sizeof(stopdt));
        stop.datetime = stopdt;
    }
    rc = restore_replay(c, dt->cat, b->binlog_file, b->binlog_pos, &stop, staging,
                        s->paths.socket, err, sizeof(err));
    jobs_utc(j->to_ms ? j->to_ms : catalog_restorable_get(dt->cat, c->name), when,
             sizeof(when));
    if (rc < 0)
        snprintf(msg, len, "restored base backup %lld of %s into place, but the binlog replay "
                 "failed: %.500s", (long long)b->id, c->name, err);
    else
        snprintf(msg, len, "restored %s into place to %s UTC (base backup %lld, then the "
                 "archived binlogs)", c->name, when, (long long)b->id);
    log_info("data", "%s", msg);
    return rc;
}

static int
jobs_restore(struct data *dt, struct data_server *s, const struct data_job *j, char *msg,
             size_t len)
{
    struct catalog_base b;
    char when[32] = "", err[512], dir[PATH_MAX], datadir[2 * PATH_MAX];
    char scratch[2 * PATH_MAX], staging[2 * PATH_MAX], keyp[2 * PATH_MAX];
    int64_t point = catalog_restorable_get(dt->cat, s->conf->name);
    int64_t to = j->to_ms ? j->to_ms : point;
    int rc;

    if (j->to_ms && j->to_ms > point) {
        jobs_utc(point, when, sizeof(when));
        snprintf(msg, len, "%s can be restored to %s UTC at the latest (its binlogs are "
                 "archived every backup.binlog_interval); ask for an earlier time or wait",
                 s->conf->name, point ? when : "(nothing archived yet)");
        return -ERANGE;
    }
    if (catalog_latest_base(dt->cat, s->conf->name, j->to_ms ? j->to_ms : INT64_MAX, &b) < 0) {
        snprintf(msg, len, "database %s has no base backup before the time asked for",
                 s->conf->name);
        return -ENOENT;
    }
    if (strcmp(j->as, s->conf->name) == 0) {
        rc = jobs_restore_in_place(dt, s, j, &b, msg, len);
        free(b.figures);
        return rc;
    }
    if (snprintf(dir, sizeof(dir), "%s/%s", s->paths.dir, j->as) >= (int)sizeof(dir)) {
        snprintf(msg, len, "the path for %s is too long", j->as);
        return -ENAMETOOLONG;
    }
    snprintf(datadir, sizeof(datadir), "%s/data", dir);
    snprintf(scratch, sizeof(scratch), "%s/data.init", dir);
    snprintf(staging, sizeof(staging), "%s/binlogs", dir);
    snprintf(keyp, sizeof(keyp), "%s/keyfile", dir);
    struct restore_key key = { .snapshot = b.key_snapshot, .path = keyp };
    if (access(dir, F_OK) == 0) {
        snprintf(msg, len, "%.300s exists; a restore never overwrites: choose another --as",
                 dir);
        free(b.figures);
        return -EEXIST;
    }
    mkdir(dir, 0750);
    if ((rc = restore_base(s->conf, &key, b.snapshot, scratch, err, sizeof(err))) < 0 ||
        (rename(scratch, datadir) < 0 && (rc = -errno) < 0)) {
        snprintf(msg, len, "restore of %s failed: %.600s", s->conf->name,
                 rc == -errno ? strerror(errno) : err);
        jobs_rmtree(dir);
        free(b.figures);
        return rc;
    }
    unsigned port = jobs_free_port();
    struct data_conf *c = jobs_conf_for(s->conf, j->as, port, NULL, NULL,
                                        b.key_snapshot[0] ? keyp : NULL);
    pthread_mutex_lock(&dt->mu);
    struct data_server *ns = data_server_add(dt, c);
    pthread_mutex_unlock(&dt->mu);
    /* The supervisor starts it; replay once it answers. */
    long long deadline = data_now_ms() + JOBS_SERVER_TIMEOUT_MS;
    for (;;) {
        pthread_mutex_lock(&dt->mu);
        enum data_state st = ns->state;
        bool stopping = dt->stopping;
        pthread_mutex_unlock(&dt->mu);
        if (st == DATA_RUNNING)
            break;
        if (stopping || data_now_ms() > deadline) {
            snprintf(msg, len, "restored %s as %s, but its server did not start: %.400s",
                     s->conf->name, j->as, ns->error);
            free(b.figures);
            return -ETIMEDOUT;
        }
        usleep(50000);
    }
    char stopdt[32];
    struct restore_stop stop = { 0 };
    if (j->to_ms) {
        jobs_utc(j->to_ms, stopdt, sizeof(stopdt));
        stop.datetime = stopdt;
    }
    rc = restore_replay(s->conf, dt->cat, b.binlog_file, b.binlog_pos, &stop, staging,
                        ns->paths.socket, err, sizeof(err));
    jobs_utc(to, when, sizeof(when));
    if (rc < 0)
        snprintf(msg, len, "restored base backup %lld of %s as %s on 127.0.0.1:%u, but the "
                 "binlog replay failed: %.500s", (long long)b.id, s->conf->name, j->as, port,
                 err);
    else
        snprintf(msg, len, "restored %s to %s UTC as %s on 127.0.0.1:%u (base backup %lld, "
                 "then the archived binlogs)", s->conf->name, when, j->as, port,
                 (long long)b.id);
    log_info("data", "%s", msg);
    free(b.figures);
    return rc;
}

static void
jobs_run(struct data *dt, struct data_job *j)
{
    struct data_job copy = *j;
    char msg[768] = "";
    int rc;

    j->state = DATA_JOB_RUNNING;
    j->started_ms = (int64_t)clock_wall_ms();
    struct data_server *s = data_server_find(dt, copy.db);
    bool running = s && s->state == DATA_RUNNING;
    pthread_mutex_unlock(&dt->mu);
    if (!s) {
        snprintf(msg, sizeof(msg), "no database %s", copy.db);
        rc = -ENOENT;
    } else if (copy.kind == DATA_JOB_BACKUP && !running) {
        snprintf(msg, sizeof(msg), "database %s is not running; a backup needs its server",
                 copy.db);
        rc = -EAGAIN;
    } else if (copy.kind == DATA_JOB_BACKUP) {
        rc = jobs_backup(dt, s, msg, sizeof(msg));
    } else if (copy.kind == DATA_JOB_VERIFY) {
        rc = jobs_verify(dt, s, msg, sizeof(msg));
    } else {
        rc = jobs_restore(dt, s, &copy, msg, sizeof(msg));
    }
    if (rc < 0)
        log_error("data", "%s %s: %s", job_kinds[copy.kind], copy.db, msg);
    pthread_mutex_lock(&dt->mu);
    /* The ring may have moved on while it ran: find the job by id. */
    for (unsigned i = 0; i < DATA_JOBS_MAX; i++)
        if (dt->jobs[i].id == copy.id) {
            dt->jobs[i].state = rc == 0 ? DATA_JOB_OK : DATA_JOB_FAILED;
            dt->jobs[i].ended_ms = (int64_t)clock_wall_ms();
            snprintf(dt->jobs[i].message, sizeof(dt->jobs[i].message), "%s", msg);
        }
}

static bool
jobs_in_window(const struct data_db_conf *c, int64_t wall_ms, int64_t *day)
{
    int64_t min = (wall_ms / 60000) % 1440;
    unsigned a = c->window_start_min, b = c->window_end_min;

    *day = wall_ms / 86400000;
    if (a <= b)
        return min >= a && min < b;
    if (min < b)
        (*day)--;                       /* the window began the day before */
    return min >= a || min < b;
}

/* Periodic work for one server, dt->mu held: a binlog ship when due, an automated backup
 * in its window. True when it dropped the lock (the caller re-scans). */
static bool
jobs_periodic(struct data *dt, struct data_server *s, int64_t wall)
{
    const struct data_db_conf *c = s->conf;
    int64_t day;
    char err[512];

    if (!c->backup_on || s->state != DATA_RUNNING || s->owned_conf)
        return false;
    if (c->retention_ms > 0 && jobs_in_window(c, wall, &day) && day != s->last_auto_day) {
        s->last_auto_day = day;
        pthread_mutex_unlock(&dt->mu);
        log_info("data", "database %s: automated backup (window %02u:%02u-%02u:%02u UTC)",
                 c->name, c->window_start_min / 60, c->window_start_min % 60,
                 c->window_end_min / 60, c->window_end_min % 60);
        data_job_submit(dt, "backup", c->name, 0, NULL, err, sizeof(err));
        if (c->verify)
            data_job_submit(dt, "verify", c->name, 0, NULL, err, sizeof(err));
        pthread_mutex_lock(&dt->mu);
        return true;
    }
    if (wall < s->next_ship_ms)
        return false;
    pthread_mutex_unlock(&dt->mu);
    int rc = backup_ship_binlogs(&s->paths, c, dt->cat, &s->ship, err, sizeof(err));
    pthread_mutex_lock(&dt->mu);
    /* The restorable point is the flush time and is recorded once the ship is done: the
     * next flush comes early by twice this ship's duration (ships vary) and a tick, so
     * the point trails the newest commit by binlog_interval at most, as the bench
     * measures (docs/data.md, the RPO). */
    int64_t took = (int64_t)clock_wall_ms() - wall;
    int64_t gap = (int64_t)c->binlog_interval_ms - 2 * took - JOBS_TICK_MS;
    s->next_ship_ms = wall + (gap > (int64_t)c->binlog_interval_ms / 4 ?
                              gap : (int64_t)c->binlog_interval_ms / 4);
    if (rc < 0 && strcmp(err, s->ship_error) != 0)
        log_error("data", "database %s: binlog ship: %s", c->name, err);
    if (rc == 0 && s->ship_error[0])
        log_info("data", "database %s: binlog ship works again", c->name);
    snprintf(s->ship_error, sizeof(s->ship_error), "%s", rc < 0 ? err : "");
    return true;
}

void *
jobs_thread(void *arg)
{
    struct data *dt = arg;

    pthread_mutex_lock(&dt->mu);
    while (!dt->stopping) {
        struct data_job *next = NULL;
        for (unsigned i = 0; i < DATA_JOBS_MAX && i < dt->njobs; i++)
            if (dt->jobs[i].state == DATA_JOB_QUEUED && (!next || dt->jobs[i].id < next->id))
                next = &dt->jobs[i];
        if (next) {
            jobs_run(dt, next);         /* drops and takes dt->mu */
            continue;
        }
        bool again = false;
        int64_t wall = (int64_t)clock_wall_ms();
        for (unsigned i = 0; i < dt->n && !again && !dt->stopping; i++)
            again = jobs_periodic(dt, dt->servers[i], wall);
        if (again)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += JOBS_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&dt->job_cv, &dt->mu, &ts);
    }
    pthread_mutex_unlock(&dt->mu);
    return NULL;
}
