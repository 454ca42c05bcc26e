/*
 * data/backup.c: base backups and binlog shipping into restic (data/backup.h). Every
 * process of a pipe is checked: restic succeeding on the stdin of a producer that failed
 * has stored a truncated stream, and that snapshot is forgotten at once, so a broken
 * backup never looks good.
 */
#include "data/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "data/proc.h"

#define BACKUP_TIMEOUT_MS (6u * 3600 * 1000)
#define BACKUP_RESTIC_TIMEOUT_MS (600u * 1000)
#define BACKUP_OUT_MAX (64u * 1024)

unsigned
backup_restic_argv(const struct data_db_conf *db, const char **out, unsigned cap,
                   const char *const *args)
{
    unsigned n = 0;

    out[n++] = "restic";
    out[n++] = "-r";
    out[n++] = db->repository;
    out[n++] = "--password-file";
    out[n++] = db->password_file;
    for (unsigned i = 0; i < db->nrestic_opts && n + 4 < cap; i++) {
        out[n++] = "-o";
        out[n++] = db->restic_opts[i];
    }
    out[n++] = "-q";
    for (; args && *args && n + 1 < cap; args++)
        out[n++] = *args;
    out[n] = NULL;
    return n;
}

/* The last line of s that is not empty, copied into out. */
static void
backup_last_line(const char *s, char *out, size_t len)
{
    const char *end = s + strlen(s);

    while (end > s && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > s && start[-1] != '\n')
        start--;
    snprintf(out, len, "%.*s", (int)(end - start), start);
}

static int
backup_restic(const struct data_db_conf *db, const char *const *args, char *out, size_t len)
{
    const char *argv[BACKUP_ARGV_MAX];

    backup_restic_argv(db, argv, BACKUP_ARGV_MAX, args);
    return proc_run((char *const *)argv, NULL, out, len, BACKUP_RESTIC_TIMEOUT_MS);
}

int
backup_repo_ready(const struct data_db_conf *db, char *err, size_t errlen)
{
    char out[4096], line[512];
    static const char *const cat_config[] = { "cat", "config", NULL };
    static const char *const init[] = { "init", NULL };

    if (access(db->password_file, R_OK) < 0) {
        snprintf(err, errlen, "backup.password_file %s: %s; write the repository's password "
                 "into it (chmod 600)", db->password_file, strerror(errno));
        return -EACCES;
    }
    int rc = backup_restic(db, cat_config, out, sizeof(out));
    if (rc == 0)
        return 0;
    if (rc < 0) {
        snprintf(err, errlen, "cannot run restic: %s (is Debian's restic installed?)",
                 strerror(-rc));
        return -EIO;
    }
    if (strstr(out, "wrong password")) {
        snprintf(err, errlen, "repository %s: wrong password (backup.password_file %s does "
                 "not open it); put the repository's password in that file", db->repository,
                 db->password_file);
        return -EACCES;
    }
    if (!strstr(out, "Is there a repository") && !strstr(out, "does not exist")) {
        backup_last_line(out, line, sizeof(line));
        snprintf(err, errlen, "repository %s: %s", db->repository, line);
        return -EIO;
    }
    if ((rc = backup_restic(db, init, out, sizeof(out))) != 0) {
        backup_last_line(out, line, sizeof(line));
        snprintf(err, errlen, "repository %s: restic init failed: %s", db->repository, line);
        return -EIO;
    }
    log_info("data", "database %s: created restic repository %s", db->name, db->repository);
    return 0;
}

/* restic's summary line in out: the snapshot id and the bytes read. 0 or -ENOENT. */
static int
backup_summary(const char *out, char *snap, size_t len, uint64_t *bytes)
{
    const char *p = NULL;

    for (const char *q = strstr(out, "\"message_type\":\"summary\""); q;
         q = strstr(q + 1, "\"message_type\":\"summary\""))
        p = q;
    if (!p)
        return -ENOENT;
    while (p > out && p[-1] != '\n')
        p--;
    json_t *j = json_loadb(p, strcspn(p, "\n"), 0, NULL);
    const char *id = json_string_value(json_object_get(j, "snapshot_id"));
    int rc = id ? 0 : -ENOENT;
    if (id)
        snprintf(snap, len, "%s", id);
    *bytes = (uint64_t)json_integer_value(json_object_get(j, "total_bytes_processed"));
    json_decref(j);
    return rc;
}

static const char *
backup_os_user(void)
{
    struct passwd *pw = getpwuid(geteuid());

    return pw ? pw->pw_name : "root";
}

char *
backup_figures(const struct mariadb_paths *p, const struct data_db_conf *db, char *err,
               size_t errlen)
{
    char *list = mem_alloc_or_exit(BACKUP_OUT_MAX), *sql = NULL, *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);

    fprintf(f, "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema IN (''");
    for (unsigned i = 0; i < db->nschemas; i++)
        fprintf(f, ", '%s'", db->schemas[i]);
    fprintf(f, ") ORDER BY 1;\n");
    fclose(f);
    int rc = mariadb_sql(p, sql, NULL, list, BACKUP_OUT_MAX, err, errlen);
    free(sql);
    if (rc < 0) {
        free(list);
        return NULL;
    }
    f = open_memstream(&sql, &len);
    fprintf(f, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n"
            "START TRANSACTION WITH CONSISTENT SNAPSHOT;\n"
            "SHOW STATUS LIKE 'binlog_snapshot_file';\n"
            "SHOW STATUS LIKE 'binlog_snapshot_position';\n");
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char *dot = strchr(line, '.');
        if (!dot)
            continue;
        *dot = '\0';
        fprintf(f, "SELECT '%s.%s', COUNT(*) FROM `%s`.`%s`;\n", line, dot + 1, line, dot + 1);
    }
    fprintf(f, "COMMIT;\n");
    fclose(f);
    rc = mariadb_sql(p, sql, NULL, list, BACKUP_OUT_MAX, err, errlen);
    free(sql);
    if (rc < 0) {
        free(list);
        return NULL;
    }
    json_t *tables = json_object(), *o = json_object();
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab++ = '\0';
        if (strcasecmp(line, "binlog_snapshot_file") == 0)
            json_object_set_new(o, "file", json_string(tab));
        else if (strcasecmp(line, "binlog_snapshot_position") == 0)
            json_object_set_new(o, "pos", json_integer(strtoll(tab, NULL, 10)));
        else
            json_object_set_new(tables, line, json_integer(strtoll(tab, NULL, 10)));
    }
    json_object_set_new(o, "tables", tables);
    out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    free(list);
    return out;
}

/* "MySQL binlog position: filename 'F', position 'P', GTID of the last change 'G'". */
static void
backup_binlog_position(const char *log, char *file, size_t flen, uint64_t *pos, char *gtid,
                       size_t glen)
{
    const char *p = strstr(log, "binlog position: filename '");

    file[0] = gtid[0] = '\0';
    *pos = 0;
    if (!p)
        return;
    p += strlen("binlog position: filename '");
    snprintf(file, flen, "%.*s", (int)strcspn(p, "'"), p);
    const char *q = strstr(p, "position '");
    if (q)
        *pos = strtoull(q + 10, NULL, 10);
    q = strstr(p, "last change '");
    if (q)
        snprintf(gtid, glen, "%.*s", (int)strcspn(q + 13, "'"), q + 13);
}

/* Stores the file at path into the repository as /NAME (`cat path | restic backup
 * --stdin`), tagged kind:KIND; its snapshot id into snap. 0 or -EIO with err. */
static int
backup_put_file(const struct data_db_conf *db, const char *path, const char *name,
                const char *kind, char *snap, size_t snaplen, uint64_t *size, char *err,
                size_t errlen)
{
    char tag_db[96], tag_kind[64], out[4096], line[512];
    char *cout = mem_alloc_or_exit(BACKUP_OUT_MAX);
    int ps = -1, cs = -1;

    snprintf(tag_db, sizeof(tag_db), "db:%s", db->name);
    snprintf(tag_kind, sizeof(tag_kind), "kind:%s", kind);
    char *const cat_argv[] = { "cat", "--", (char *)path, NULL };
    const char *const args[] = { "backup", "--stdin", "--stdin-filename", name, "--tag",
                                 "tierd", "--tag", tag_db, "--tag", tag_kind, "--host",
                                 "tierd", "--json", NULL };
    const char *cons[BACKUP_ARGV_MAX];
    backup_restic_argv(db, cons, BACKUP_ARGV_MAX, args);
    int rc = proc_pipe(cat_argv, (char *const *)cons, -1, out, sizeof(out), cout,
                       BACKUP_OUT_MAX, BACKUP_RESTIC_TIMEOUT_MS, &ps, &cs);
    bool have_snap = rc == 0 && backup_summary(cout, snap, snaplen, size) == 0;
    if (rc < 0 || ps != 0 || cs != 0 || !have_snap) {
        backup_last_line(ps != 0 ? out : cout, line, sizeof(line));
        snprintf(err, errlen, "storing %s failed: %s", name, line);
        if (have_snap) {
            const char *const forget[] = { "forget", snap, NULL };
            backup_restic(db, forget, out, sizeof(out));
        }
        rc = -EIO;
    }
    free(cout);
    return rc;
}

/* Archives one closed binlog: read from the server into the staging directory, then into
 * restic. 0 or -EIO with err. */
static int
backup_ship_one(const struct mariadb_paths *p, const struct data_db_conf *db,
                struct catalog *cat, const char *file, char *err, size_t errlen)
{
    char arg_sock[160], arg_user[96], arg_res[2 * PATH_MAX], staged[2 * PATH_MAX];
    char out[4096], line[512], snap[80], st[32];
    uint64_t size = 0;
    int rc;

    snprintf(arg_sock, sizeof(arg_sock), "--socket=%s", p->socket);
    snprintf(arg_user, sizeof(arg_user), "--user=%s", backup_os_user());
    snprintf(arg_res, sizeof(arg_res), "--result-file=%s/%s.binlog-staging/", p->dir,
             db->name);
    snprintf(staged, sizeof(staged), "%s/%s.binlog-staging", p->dir, db->name);
    mkdir(staged, 0700);
    snprintf(staged, sizeof(staged), "%s/%s.binlog-staging/%s", p->dir, db->name, file);
    char *const rd[] = { "mariadb-binlog", "--read-from-remote-server", "--raw", arg_sock,
                         arg_user, arg_res, (char *)file, NULL };
    if ((rc = proc_run(rd, NULL, out, sizeof(out), BACKUP_RESTIC_TIMEOUT_MS)) != 0) {
        backup_last_line(out, line, sizeof(line));
        snprintf(err, errlen, "mariadb-binlog could not read %s (%s): %s", file,
                 rc < 0 ? strerror(-rc) : proc_status_text(rc, st, sizeof(st)), line);
        unlink(staged);
        return -EIO;
    }
    rc = backup_put_file(db, staged, file, "binlog", snap, sizeof(snap), &size, err, errlen);
    if (rc == 0 &&
        catalog_binlog_add(cat, db->name, file, snap, (int64_t)clock_wall_ms(), size) < 0) {
        snprintf(err, errlen, "cannot write the backup catalog (data.db)");
        rc = -EIO;
    }
    unlink(staged);
    return rc;
}

int64_t
backup_base(const struct mariadb_paths *p, const struct data_db_conf *db, struct catalog *cat,
            char *err, size_t errlen)
{
    char arg_sock[160], arg_user[96], arg_target[2 * PATH_MAX], stdin_name[160], tag_db[96];
    char snap[80] = "", file[128], gtid[256], line[512], st1[32], st2[32];
    char *perr = mem_alloc_or_exit(BACKUP_OUT_MAX), *cout = mem_alloc_or_exit(BACKUP_OUT_MAX);
    uint64_t size = 0, pos = 0;
    int ps = -1, cs = -1;
    int64_t id;
    int rc;

    if ((rc = backup_repo_ready(db, err, errlen)) < 0)
        goto out_noid;
    if ((id = catalog_backup_begin(cat, db->name, (int64_t)clock_wall_ms())) < 0) {
        snprintf(err, errlen, "cannot write the backup catalog (data.db)");
        rc = -EIO;
        goto out_noid;
    }
    snprintf(arg_sock, sizeof(arg_sock), "--socket=%s", p->socket);
    snprintf(arg_user, sizeof(arg_user), "--user=%s", backup_os_user());
    snprintf(arg_target, sizeof(arg_target), "--target-dir=%s/%s.backup-tmp", p->dir,
             db->name);
    snprintf(stdin_name, sizeof(stdin_name), "%s-base.mbstream", db->name);
    snprintf(tag_db, sizeof(tag_db), "db:%s", db->name);
    char *const prod[] = { "mariadb-backup", "--backup", "--stream=mbstream", arg_sock,
                           arg_user, arg_target, NULL };
    const char *const args[] = { "backup", "--stdin", "--stdin-filename", stdin_name, "--tag",
                                 "tierd", "--tag", tag_db, "--tag", "kind:base", "--host",
                                 "tierd", "--json", NULL };
    const char *cons[BACKUP_ARGV_MAX];
    backup_restic_argv(db, cons, BACKUP_ARGV_MAX, args);
    rc = proc_pipe(prod, (char *const *)cons, -1, perr, BACKUP_OUT_MAX, cout, BACKUP_OUT_MAX,
                   BACKUP_TIMEOUT_MS, &ps, &cs);
    bool have_snap = rc == 0 && backup_summary(cout, snap, sizeof(snap), &size) == 0;
    if (rc < 0 || ps != 0 || cs != 0 || !have_snap) {
        if (rc < 0)
            snprintf(err, errlen, "backup pipe: %s", strerror(-rc));
        else if (ps != 0) {
            backup_last_line(perr, line, sizeof(line));
            snprintf(err, errlen, "mariadb-backup failed (%s): %s",
                     proc_status_text(ps, st1, sizeof(st1)), line);
        } else {
            backup_last_line(cout, line, sizeof(line));
            snprintf(err, errlen, "restic backup failed (%s): %s",
                     proc_status_text(cs, st2, sizeof(st2)), line);
        }
        if (have_snap) {                /* stored, but from a producer that failed */
            const char *const forget[] = { "forget", snap, NULL };
            backup_restic(db, forget, line, sizeof(line));
            log_warn("data", "database %s: forgot snapshot %s: its producer failed", db->name,
                     snap);
        }
        catalog_backup_end(cat, id, false, err, NULL, (int64_t)clock_wall_ms(), 0, NULL, 0,
                           NULL, NULL, NULL);
        rc = -EIO;
        goto out;
    }
    backup_binlog_position(perr, file, sizeof(file), &pos, gtid, sizeof(gtid));
    /* The key file goes into the repository with every base backup (deduplicated there),
     * so a restore needs only the repository and its password. Without it the base is
     * not restorable from the repository alone: the backup fails. */
    char key_snap[80] = "", key_name[160];
    uint64_t key_size = 0;
    if (p->key_file[0]) {
        snprintf(key_name, sizeof(key_name), "%s-keyfile", db->name);
        if (backup_put_file(db, p->key_file, key_name, "key", key_snap, sizeof(key_snap),
                            &key_size, err, errlen) < 0) {
            const char *const forget[] = { "forget", snap, NULL };
            backup_restic(db, forget, line, sizeof(line));
            catalog_backup_end(cat, id, false, err, NULL, (int64_t)clock_wall_ms(), 0, NULL, 0,
                               NULL, NULL, NULL);
            rc = -EIO;
            goto out;
        }
    }
    /* Taken after the backup, so that verify can replay the archive from the backup's
     * position to the figures' and compare exactly. */
    char ferr[256];
    char *figures = backup_figures(p, db, ferr, sizeof(ferr));
    if (!figures)
        log_warn("data", "database %s: figures for verify not taken: %s", db->name, ferr);
    if (catalog_backup_end(cat, id, true, NULL, snap, (int64_t)clock_wall_ms(), size, file,
                           pos, gtid, figures, key_snap[0] ? key_snap : NULL) < 0) {
        snprintf(err, errlen, "cannot write the backup catalog (data.db)");
        rc = -EIO;
    }
    free(figures);
    if (rc == 0)
        log_info("data", "database %s: base backup id=%lld snapshot=%s bytes=%llu binlog=%s:%llu "
                 "gtid=%s", db->name, (long long)id, snap, (unsigned long long)size, file,
                 (unsigned long long)pos, gtid);
out:
    free(perr);
    free(cout);
    return rc < 0 ? rc : id;
out_noid:
    free(perr);
    free(cout);
    return rc;
}

/* The server's current binlog file and position (SHOW MASTER STATUS). */
static int
backup_master_status(const struct mariadb_paths *p, char *file, size_t len, uint64_t *pos,
                     char *err, size_t errlen)
{
    char out[1024];

    if (mariadb_sql(p, "SHOW MASTER STATUS;\n", NULL, out, sizeof(out), err, errlen) < 0)
        return -EIO;
    char *tab = strchr(out, '\t');
    if (!tab) {
        snprintf(err, errlen, "the server has no binlog (SHOW MASTER STATUS is empty)");
        return -EIO;
    }
    *tab = '\0';
    snprintf(file, len, "%.127s", out);
    *pos = strtoull(tab + 1, NULL, 10);
    return 0;
}

int
backup_ship_binlogs(const struct mariadb_paths *p, const struct data_db_conf *db,
                    struct catalog *cat, struct backup_ship_state *ss, char *err,
                    size_t errlen)
{
    char *list = mem_alloc_or_exit(BACKUP_OUT_MAX), file[128];
    int64_t t0 = (int64_t)clock_wall_ms();
    uint64_t pos;
    int rc;

    if ((rc = backup_master_status(p, file, sizeof(file), &pos, err, errlen)) < 0)
        goto out;
    /* Nothing written since the last flush: every commit is archived already, and a new
     * empty binlog every binlog_interval would only fill the repository. */
    if (ss && ss->ok && strcmp(ss->file, file) == 0 && ss->pos == pos) {
        rc = catalog_restorable_set(cat, db->name, t0);
        goto out;
    }
    if ((rc = backup_repo_ready(db, err, errlen)) < 0)
        goto out;
    /* Every commit before t0 is in a binlog this flush closes (sync_binlog=1). */
    if ((rc = mariadb_sql(p, "FLUSH BINARY LOGS;\nSHOW BINARY LOGS;\n", NULL, list,
                          BACKUP_OUT_MAX, err, errlen)) < 0)
        goto out;
    char *files[4096];
    unsigned n = 0;
    for (char *line = strtok(list, "\n"); line && n < 4096; line = strtok(NULL, "\n")) {
        line[strcspn(line, "\t")] = '\0';
        files[n++] = line;
    }
    for (unsigned i = 0; n && i + 1 < n && rc == 0; i++)   /* the last one is still open */
        if (!catalog_binlog_has(cat, db->name, files[i]))
            rc = backup_ship_one(p, db, cat, files[i], err, errlen);
    if (rc == 0 && catalog_restorable_set(cat, db->name, t0) < 0) {
        snprintf(err, errlen, "cannot write the backup catalog (data.db)");
        rc = -EIO;
    }
    if (ss) {
        char e2[128];
        ss->ok = rc == 0 && backup_master_status(p, ss->file, sizeof(ss->file), &ss->pos, e2,
                                                 sizeof(e2)) == 0;
    }
out:
    free(list);
    return rc;
}

int
backup_forget(const struct data_db_conf *db, char *const *snaps, unsigned n, char *err,
              size_t errlen)
{
    char out[4096], line[512], tags[128], within[32];
    int rc = 0;

    /* tierd's state snapshots: those of the window, and always the newest. */
    snprintf(tags, sizeof(tags), "tierd,kind:state,db:%s", db->name);
    snprintf(within, sizeof(within), "%lluh",
             (unsigned long long)((db->retention_ms + 3599999) / 3600000));
    const char *const state[] = { "forget", "--tag", tags, "--keep-last", "1",
                                  "--keep-within", within, NULL };
    if (backup_restic(db, state, out, sizeof(out)) != 0) {
        backup_last_line(out, line, sizeof(line));
        snprintf(err, errlen, "restic forget of old state snapshots failed: %s", line);
        return -EIO;
    }

    /* In batches: an argv stays small, and one failure names its batch. */
    for (unsigned i = 0; i < n && rc == 0; i += 16) {
        const char *args[20] = { "forget" };
        unsigned a = 1;
        for (unsigned j = i; j < n && j < i + 16; j++)
            args[a++] = snaps[j];
        args[a] = NULL;
        if ((rc = backup_restic(db, args, out, sizeof(out))) != 0) {
            backup_last_line(out, line, sizeof(line));
            snprintf(err, errlen, "restic forget failed: %s", line);
            return -EIO;
        }
    }
    /* Pruning rewrites packs: only when a base or binlog went (state snapshots are small
     * and deduplicated; their leftovers go with the next prune). */
    static const char *const prune[] = { "prune", NULL };
    if (n && backup_restic(db, prune, out, sizeof(out)) != 0) {
        backup_last_line(out, line, sizeof(line));
        snprintf(err, errlen, "restic prune failed: %s", line);
        return -EIO;
    }
    return 0;
}
