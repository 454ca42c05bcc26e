/*
 * data/statebak.c: tierd's own state into the database's restic repository, after every
 * good base backup, so a lost host is rebuilt from the repository alone (docs/data.md):
 * every SQLite store of state_dir (bans, template versions, the backup catalog, the apply
 * log, watch's history) copied consistently with SQLite's online backup API into a
 * staging directory, and state_dir/acme (account keys and certificates) when present,
 * as one snapshot tagged kind:state. A live file is never read half-written.
 */
#include "data/internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/log.h"
#include "data/proc.h"

/* src (a live SQLite file) copied into dst with the online backup API. 0 or -EIO. */
static int
statebak_copy_db(const char *src, const char *dst, char *err, size_t errlen)
{
    sqlite3 *in = NULL, *out = NULL;
    int rc = -EIO;

    if (sqlite3_open_v2(src, &in, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_open_v2(dst, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", src, in ? sqlite3_errmsg(in) : "no memory");
        goto out;
    }
    sqlite3_busy_timeout(in, 5000);
    sqlite3_backup *b = sqlite3_backup_init(out, "main", in, "main");
    if (!b) {
        snprintf(err, errlen, "cannot copy %s: %s", src, sqlite3_errmsg(out));
        goto out;
    }
    int step;
    while ((step = sqlite3_backup_step(b, 256)) == SQLITE_OK || step == SQLITE_BUSY ||
           step == SQLITE_LOCKED)
        if (step != SQLITE_OK)
            sqlite3_sleep(20);
    sqlite3_backup_finish(b);
    if (step == SQLITE_DONE)
        rc = 0;
    else
        snprintf(err, errlen, "copying %s: %s", src, sqlite3_errstr(step));
out:
    sqlite3_close(in);
    sqlite3_close(out);
    return rc;
}

static bool
statebak_is_store(const char *name)
{
    size_t n = strlen(name);

    return n > 3 && strcmp(name + n - 3, ".db") == 0;
}

int
statebak_run(struct data *dt, const struct data_db_conf *db, char *err, size_t errlen)
{
    char staging[PATH_MAX], src[PATH_MAX + 256], dst[2 * PATH_MAX], acme[PATH_MAX + 8];
    char out[4096], tag_db[96];
    int rc = 0;

    snprintf(staging, sizeof(staging), "%s/db/.state-copy", dt->state_dir);
    char *const rm[] = { "rm", "-rf", "--", staging, NULL };
    proc_run(rm, NULL, out, sizeof(out), 60000);
    if (mkdir(staging, 0700) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", staging, strerror(errno));
        return -EIO;
    }
    DIR *d = opendir(dt->state_dir);
    struct dirent *e;
    unsigned n = 0;
    while (rc == 0 && d && (e = readdir(d))) {
        if (!statebak_is_store(e->d_name))
            continue;
        snprintf(src, sizeof(src), "%s/%s", dt->state_dir, e->d_name);
        snprintf(dst, sizeof(dst), "%s/%s", staging, e->d_name);
        rc = statebak_copy_db(src, dst, err, errlen);
        n++;
    }
    if (d)
        closedir(d);
    snprintf(acme, sizeof(acme), "%s/acme", dt->state_dir);
    struct stat st;
    bool have_acme = stat(acme, &st) == 0 && S_ISDIR(st.st_mode);
    if (rc == 0) {
        snprintf(tag_db, sizeof(tag_db), "db:%s", db->name);
        const char *args[16] = { "backup", "--tag", "tierd", "--tag", "kind:state", "--tag",
                                 tag_db, "--host", "tierd", staging };
        unsigned a = 10;
        if (have_acme)
            args[a++] = acme;
        args[a] = NULL;
        const char *argv[BACKUP_ARGV_MAX];
        backup_restic_argv(db, argv, BACKUP_ARGV_MAX, args);
        int st2 = proc_run((char *const *)argv, NULL, out, sizeof(out), 600000);
        if (st2 != 0) {
            snprintf(err, errlen, "restic backup of tierd's state failed: %.300s", out);
            rc = -EIO;
        } else {
            log_info("data", "database %s: tierd's state (%u stores%s) stored in %s", db->name,
                     n, have_acme ? ", acme/" : "", db->repository);
        }
    }
    proc_run(rm, NULL, out, sizeof(out), 60000);
    return rc;
}
