/* tests/unit/data/catalog_test.c: retention in the backup catalog, on a real SQLite file
 * with an injected cutoff: exactly the window is kept plus the base the oldest point in it
 * needs, with the binlogs from that base's on; older bases, their key files and their
 * binlogs are returned for restic to forget; the newest restorable point survives. */
#include "data/catalog.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define DAY (86400000LL)
#define NOW (1800000000000LL)   /* an injected "now" */

/* A good base that ended `ago` days before NOW, starting at binlog `file`. */
static int64_t
base(struct catalog *c, const char *db, double ago, const char *snap, const char *key,
     const char *file)
{
    int64_t end = NOW - (int64_t)(ago * DAY);
    int64_t id = catalog_backup_begin(c, db, end - 60000);

    EXPECT_TRUE(id > 0);
    EXPECT_EQ(catalog_backup_end(c, id, true, NULL, snap, end, 1000, file, 4, "0-1-1", "{}",
                                 key), 0);
    return id;
}

static bool
has(char **v, unsigned n, const char *s)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static void
free_list(char **v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

TEST(data_catalog_retention_keeps_the_window_and_what_it_needs)
{
    char dir[] = "/tmp/data-catalog-XXXXXX", err[256], path[300];
    EXPECT_TRUE(mkdtemp(dir) != NULL);
    struct catalog *c = catalog_open(dir, err, sizeof(err));
    EXPECT_TRUE(c != NULL);

    base(c, "main", 40, "s40", "k40", "binlog.000001");
    base(c, "main", 35, "s35", "k35", "binlog.000003");
    base(c, "main", 29, "s29", NULL, "binlog.000005");
    base(c, "main", 1, "s01", "k01", "binlog.000009");
    base(c, "other", 90, "o90", NULL, "binlog.000001");     /* another database: untouched */
    int64_t failed = catalog_backup_begin(c, "main", NOW - 50 * DAY);
    EXPECT_EQ(catalog_backup_end(c, failed, false, "boom", NULL, NOW - 50 * DAY, 0, NULL, 0,
                                 NULL, NULL, NULL), 0);
    const char *bins[] = { "binlog.000001", "binlog.000002", "binlog.000003", "binlog.000004",
                           "binlog.000005", "binlog.000009" };
    for (unsigned i = 0; i < 6; i++) {
        char snap[32];
        snprintf(snap, sizeof(snap), "b%u", i + 1);
        EXPECT_EQ(catalog_binlog_add(c, "main", bins[i], snap, NOW - DAY, 10), 0);
    }
    EXPECT_EQ(catalog_binlog_add(c, "other", "binlog.000001", "ob1", NOW - DAY, 10), 0);
    EXPECT_EQ(catalog_restorable_set(c, "main", NOW - 1000), 0);

    /* 30-day retention: the 35-day base is the newest at or before the cutoff and stays;
     * the 40-day one, its key and binlogs 1-2 go. */
    unsigned n;
    char **gone = catalog_expire(c, "main", NOW - 30 * DAY, &n);
    EXPECT_EQ(n, 4);
    EXPECT_TRUE(has(gone, n, "s40") && has(gone, n, "k40"));
    EXPECT_TRUE(has(gone, n, "b1") && has(gone, n, "b2"));
    EXPECT_TRUE(gone[n] == NULL);

    /* Until restic has forgotten them they stay queued: a failed forget is retried. */
    unsigned n2;
    char **again = catalog_expire(c, "main", NOW - 30 * DAY, &n2);
    EXPECT_EQ(n2, 4);
    free_list(again, n2);
    catalog_forgotten(c, "main", gone, n);
    free_list(gone, n);

    unsigned nb;
    char **left = catalog_binlogs_from(c, "main", "", &nb);
    EXPECT_EQ(nb, 4);
    EXPECT_TRUE(strncmp(left[0], "binlog.000003\t", 14) == 0);
    free_list(left, nb);
    struct catalog_base b;
    EXPECT_EQ(catalog_latest_base(c, "main", NOW - 34 * DAY, &b), 0);
    EXPECT_STREQ(b.snapshot, "s35");
    EXPECT_STREQ(b.key_snapshot, "k35");
    free(b.figures);
    EXPECT_EQ(catalog_latest_base(c, "main", NOW - 36 * DAY, &b), -ENOENT);
    EXPECT_EQ(catalog_restorable_get(c, "main"), NOW - 1000);

    /* The listing no longer shows what expired, and says from when a restore can start. */
    json_t *j = catalog_backups_json(c, "main");
    EXPECT_EQ(json_array_size(json_object_get(j, "backups")), 3);
    EXPECT_EQ(json_integer_value(json_object_get(j, "earliest_restorable_ms")), NOW - 35 * DAY);
    json_decref(j);

    /* Forgotten, at the same cutoff: nothing more goes. */
    gone = catalog_expire(c, "main", NOW - 30 * DAY, &n);
    EXPECT_EQ(n, 0);
    free_list(gone, n);

    /* A year later with only old bases: the newest one is still kept, and everything it
     * needs, so the newest restorable point survives any retention. */
    gone = catalog_expire(c, "main", NOW + 365 * DAY, &n);
    EXPECT_EQ(n, 6);               /* s35, k35, s29 (no key), binlogs 3-5 */
    catalog_forgotten(c, "main", gone, n);
    free_list(gone, n);
    EXPECT_EQ(catalog_latest_base(c, "main", INT64_MAX, &b), 0);
    EXPECT_STREQ(b.snapshot, "s01");
    free(b.figures);
    left = catalog_binlogs_from(c, "main", "", &nb);
    EXPECT_EQ(nb, 1);
    free_list(left, nb);

    /* The other database was never touched. */
    EXPECT_EQ(catalog_latest_base(c, "other", INT64_MAX, &b), 0);
    free(b.figures);
    catalog_close(c);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    EXPECT_EQ(system(path), 0);
}
