/*
 * data/restore.c: base extraction and binlog replay (data/restore.h).
 */
#include "data/restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "data/backup.h"
#include "data/proc.h"

#define RESTORE_TIMEOUT_MS (6u * 3600 * 1000)
#define RESTORE_OUT_MAX (16u * 1024)

static void
restore_last_line(const char *s, char *out, size_t len)
{
    const char *end = s + strlen(s);

    while (end > s && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > s && start[-1] != '\n')
        start--;
    snprintf(out, len, "%.*s", (int)(end - start), start);
}

/* The first line of s that reports an error ("[ERROR]", "Error", "error:"), else its last
 * line: mariadb-backup ends with shutdown chatter after the line that matters. */
static void
restore_first_error(const char *s, char *out, size_t len)
{
    for (const char *l = s; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
        size_t n = strcspn(l, "\n");
        const char *e = memmem(l, n, "ERROR", 5);
        if (!e)
            e = memmem(l, n, "rror:", 5);
        if (e && !memmem(l, n, "my_thread_global_end", 20)) {
            snprintf(out, len, "%.*s", (int)n, l);
            return;
        }
    }
    restore_last_line(s, out, len);
}

/* restic dump SNAP PATH | CONSUMER, both checked. */
static int
restore_dump(const struct data_db_conf *src, const char *snap, const char *path,
             char *const cons[], const char *what, char *err, size_t errlen)
{
    char perr[RESTORE_OUT_MAX], cout[RESTORE_OUT_MAX], line[512], st[32];
    const char *const args[] = { "dump", snap, path, NULL };
    const char *prod[BACKUP_ARGV_MAX];
    int ps = -1, cs = -1;

    backup_restic_argv(src, prod, BACKUP_ARGV_MAX, args);
    int rc = proc_pipe((char *const *)prod, cons, -1, perr, sizeof(perr), cout, sizeof(cout),
                       RESTORE_TIMEOUT_MS, &ps, &cs);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", what, strerror(-rc));
        return rc;
    }
    if (ps != 0) {
        restore_last_line(perr, line, sizeof(line));
        snprintf(err, errlen, "%s: restic dump %s failed (%s): %s", what, snap,
                 proc_status_text(ps, st, sizeof(st)), line);
        return strstr(perr, "wrong password") ? -EACCES : -EIO;
    }
    if (cs != 0) {
        restore_last_line(cout, line, sizeof(line));
        snprintf(err, errlen, "%s: %s failed (%s): %s", what, cons[0],
                 proc_status_text(cs, st, sizeof(st)), line);
        return -EIO;
    }
    return 0;
}

/* Points the prepared backup's plugin settings (backup-my.cnf, which --prepare reads) at
 * the key file restored from the repository. 0 or -errno with err. */
static int
restore_point_key(const char *dir, const char *key_path, char *err, size_t errlen)
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40], line[PATH_MAX + 64];
    bool found = false;

    snprintf(path, sizeof(path), "%s/backup-my.cnf", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *in = fopen(path, "r"), *out = in ? fopen(tmp, "w") : NULL;
    if (!in || !out) {
        snprintf(err, errlen, "cannot rewrite %s: %s", path, strerror(errno));
        if (in)
            fclose(in);
        return -EIO;
    }
    while (fgets(line, sizeof(line), in)) {
        if (strncmp(line, "file_key_management_filename", 28) == 0) {
            fprintf(out, "file_key_management_filename=%s\n", key_path);
            found = true;
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    if (fclose(out) != 0 || !found || rename(tmp, path) < 0) {
        snprintf(err, errlen, found ? "cannot rewrite %s" : "%s names no key file although "
                 "the backup has one stored", path);
        unlink(tmp);
        return -EIO;
    }
    return 0;
}

int
restore_base(const struct data_db_conf *src, const struct restore_key *key, const char *snap,
             const char *dir, char *err, size_t errlen)
{
    char path[200], arg_target[PATH_MAX + 20], out[RESTORE_OUT_MAX], line[512], st[32];
    int rc;

    if (mkdir(dir, 0750) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -errno;
    }
    if (key && key->snapshot[0]) {
        /* Created 0600 before a byte of it is written; dd keeps the mode. */
        int fd = open(key->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || fchmod(fd, 0600) < 0) {
            snprintf(err, errlen, "cannot create %s: %s", key->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -EIO;
        }
        close(fd);
        char of[PATH_MAX + 8], stored[200];
        snprintf(of, sizeof(of), "of=%s", key->path);
        snprintf(stored, sizeof(stored), "/%s-keyfile", src->name);
        char *const dd[] = { "dd", of, "conv=fsync", "status=none", NULL };
        if ((rc = restore_dump(src, key->snapshot, stored, dd, "fetching the key file", err,
                               errlen)) < 0)
            return rc;
    }
    snprintf(path, sizeof(path), "/%s-base.mbstream", src->name);
    char *const cons[] = { "mbstream", "-x", "-C", (char *)dir, NULL };
    rc = restore_dump(src, snap, path, cons, "extracting the base backup", err, errlen);
    if (rc < 0)
        return rc;
    if (key && key->snapshot[0] && (rc = restore_point_key(dir, key->path, err, errlen)) < 0)
        return rc;
    snprintf(arg_target, sizeof(arg_target), "--target-dir=%s", dir);
    char *const prep[] = { "mariadb-backup", "--prepare", arg_target, NULL };
    if ((rc = proc_run(prep, NULL, out, sizeof(out), RESTORE_TIMEOUT_MS)) != 0) {
        restore_first_error(out, line, sizeof(line));
        snprintf(err, errlen, "mariadb-backup --prepare failed (%s): %s",
                 rc < 0 ? strerror(-rc) : proc_status_text(rc, st, sizeof(st)), line);
        return -EIO;
    }
    return 0;
}

int
restore_replay(const struct data_db_conf *src, struct catalog *cat, const char *from_file,
               uint64_t from_pos, const struct restore_stop *stop, const char *staging,
               const char *socket, char *err, size_t errlen)
{
    unsigned n;
    char **files = catalog_binlogs_from(cat, src->name, from_file, &n);
    char *argv[4200], arg_start[64], arg_stopdt[64], arg_stoppos[64], arg_sock[160];
    char arg_user[96], path[PATH_MAX];
    char **staged = mem_alloc_or_exit((n + 1) * sizeof(char *));
    unsigned ns = 0, a = 0;
    int rc = 0;

    mkdir(staging, 0700);
    if (n == 0 || strncmp(files[0], from_file, strlen(from_file)) != 0 ||
        files[0][strlen(from_file)] != '\t') {
        /* The base's own binlog is not archived yet: nothing after the base is restorable,
         * which is only right when nothing is asked for after it. */
        if (stop->file && strcmp(stop->file, from_file) == 0 && stop->pos <= from_pos)
            goto out;
        if (n == 0 && !stop->file)
            goto out;
        snprintf(err, errlen, "binlog %s (where the base backup stands) is not in the "
                 "archive; wait for the next binlog ship (backup.binlog_interval)", from_file);
        rc = -ENOENT;
        goto out;
    }
    for (unsigned i = 0; i < n && rc == 0; i++) {
        char *tab = strchr(files[i], '\t');
        *tab = '\0';
        if (stop->file && strcmp(files[i], stop->file) > 0)
            break;
        snprintf(path, sizeof(path), "%s/%s", staging, files[i]);
        char of[PATH_MAX + 8];
        snprintf(of, sizeof(of), "of=%s", path);
        char *const dd[] = { "dd", of, "status=none", NULL };
        char stored[200];               /* restic keeps a --stdin file at /NAME */
        snprintf(stored, sizeof(stored), "/%s", files[i]);
        rc = restore_dump(src, tab + 1, stored, dd, "fetching a binlog", err, errlen);
        staged[ns++] = mem_strdup_or_exit(path);
    }
    if (rc < 0)
        goto out;
    argv[a++] = "env";
    argv[a++] = "TZ=UTC";               /* --stop-datetime is read in the local zone */
    argv[a++] = "mariadb-binlog";
    snprintf(arg_start, sizeof(arg_start), "--start-position=%llu",
             (unsigned long long)from_pos);
    argv[a++] = arg_start;
    if (stop->datetime) {
        snprintf(arg_stopdt, sizeof(arg_stopdt), "--stop-datetime=%s", stop->datetime);
        argv[a++] = arg_stopdt;
    }
    if (stop->file) {
        snprintf(arg_stoppos, sizeof(arg_stoppos), "--stop-position=%llu",
                 (unsigned long long)stop->pos);
        argv[a++] = arg_stoppos;
    }
    for (unsigned i = 0; i < ns && a < 4190; i++)
        argv[a++] = staged[i];
    argv[a] = NULL;
    struct passwd *pw = getpwuid(geteuid());
    snprintf(arg_sock, sizeof(arg_sock), "--socket=%s", socket);
    snprintf(arg_user, sizeof(arg_user), "--user=%s", pw ? pw->pw_name : "root");
    char *const cons[] = { "mariadb", "--no-defaults", arg_sock, arg_user, NULL };
    char perr[RESTORE_OUT_MAX], cout[RESTORE_OUT_MAX], line[512], st[32];
    int ps = -1, cs = -1;
    if (ns == 0)
        goto out;
    rc = proc_pipe(argv, cons, -1, perr, sizeof(perr), cout, sizeof(cout), RESTORE_TIMEOUT_MS,
                   &ps, &cs);
    if (rc < 0) {
        snprintf(err, errlen, "replaying binlogs: %s", strerror(-rc));
    } else if (ps != 0 || cs != 0) {
        restore_last_line(ps != 0 ? perr : cout, line, sizeof(line));
        snprintf(err, errlen, "replaying binlogs: %s failed (%s): %s",
                 ps != 0 ? "mariadb-binlog" : "mariadb",
                 proc_status_text(ps != 0 ? ps : cs, st, sizeof(st)), line);
        rc = -EIO;
    }
out:
    for (unsigned i = 0; i < ns; i++) {
        unlink(staged[i]);
        free(staged[i]);
    }
    free(staged);
    rmdir(staging);
    for (unsigned i = 0; i < n; i++)
        free(files[i]);
    free(files);
    return rc;
}
