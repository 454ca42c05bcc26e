/* tests/unit/core/logrotate_test.c: when a log rotates, how rotated files are named, and
 * which ones retention deletes, on an injected clock (every time is an argument). */
#include "core/logrotate.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS (86400ull * 1000)
#define T0 1796601600000ull                 /* 2026-12-07T00:00:00Z */

static void
touch(const char *dir, const char *name, const char *text)
{
    char p[512];

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static bool
exists(const char *dir, const char *name)
{
    char p[512];

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

TEST(logrotate_is_due_by_size_and_by_utc_day)
{
    EXPECT_FALSE(logrotate_is_due(0, T0, T0 + 2 * DAY_MS, 1, true));     /* empty: never */
    EXPECT_FALSE(logrotate_is_due(999, T0, T0, 1000, false));
    EXPECT_TRUE(logrotate_is_due(1000, T0, T0, 1000, false));
    EXPECT_FALSE(logrotate_is_due(10, T0 + DAY_MS - 1, T0 + DAY_MS - 1, 0, true));
    EXPECT_TRUE(logrotate_is_due(10, T0 + DAY_MS - 1, T0 + DAY_MS, 0, true));  /* midnight */
    EXPECT_FALSE(logrotate_is_due(10, T0, T0 + 5 * DAY_MS, 0, false));  /* no rule */
}

TEST(logrotate_parse_takes_only_its_own_names)
{
    uint64_t at = 0;

    EXPECT_EQ(logrotate_parse("access.log", "access.log.20261207T000000Z", &at), 0);
    EXPECT_EQ(at, T0);
    EXPECT_EQ(logrotate_parse("access.log", "access.log.20261207T000001Z.2", &at), 0);
    EXPECT_EQ(at, T0 + 1000);
    EXPECT_EQ(logrotate_parse("access.log", "access.log", &at), -EINVAL);
    EXPECT_EQ(logrotate_parse("access.log", "access.log.1", &at), -EINVAL);
    EXPECT_EQ(logrotate_parse("access.log", "access.log.20261207T000000Z.gz", &at), -EINVAL);
    EXPECT_EQ(logrotate_parse("access.log", "error.log.20261207T000000Z", &at), -EINVAL);
    EXPECT_EQ(logrotate_parse("access.log", "access.log.20261307T000000Z", &at), -EINVAL);
    EXPECT_EQ(logrotate_parse("access", "access.log.20261207T000000Z", &at), -EINVAL);
}

TEST(logrotate_rotate_names_by_time_and_never_overwrites)
{
    char dir[] = "/tmp/logrotate-test-XXXXXX", path[256], out[512], out2[512];

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/access.log", dir);
    touch(dir, "access.log", "one\n");
    EXPECT_EQ(logrotate_rotate(path, T0 + 3723000, out, sizeof(out)), 0);
    EXPECT_TRUE(strstr(out, "/access.log.20261207T010203Z") != NULL);
    EXPECT_FALSE(exists(dir, "access.log"));
    touch(dir, "access.log", "two\n");
    EXPECT_EQ(logrotate_rotate(path, T0 + 3723000, out2, sizeof(out2)), 0);   /* same second */
    EXPECT_TRUE(strstr(out2, "/access.log.20261207T010203Z.1") != NULL);
    EXPECT_TRUE(exists(dir, "access.log.20261207T010203Z"));
    EXPECT_EQ(logrotate_rotate(path, T0, out, sizeof(out)), -ENOENT);
    unlink(out2);
    snprintf(out2, sizeof(out2), "%s/access.log.20261207T010203Z", dir);
    unlink(out2);
    rmdir(dir);
}

TEST(logrotate_prune_deletes_only_what_retention_let_go)
{
    char dir[] = "/tmp/logrotate-test-XXXXXX", path[256];

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/access.log", dir);
    touch(dir, "access.log", "live\n");
    touch(dir, "access.log.20261101T000000Z", "old\n");       /* 36 days before T0 */
    touch(dir, "access.log.20261107T000000Z.1", "old\n");     /* 30 days and 0 s */
    touch(dir, "access.log.20261107T000001Z", "kept\n");      /* 1 s inside 30 days */
    touch(dir, "access.log.20261206T000000Z", "kept\n");
    touch(dir, "access.log.20261001T000000Z.gz", "not ours\n");
    touch(dir, "other.log.20261001T000000Z", "not ours\n");

    /* At T0 with 30 days: 36 days old goes; exactly 30 days old is not past it yet. */
    EXPECT_EQ(logrotate_prune(path, T0, 30 * DAY_MS), 1);
    EXPECT_FALSE(exists(dir, "access.log.20261101T000000Z"));
    EXPECT_TRUE(exists(dir, "access.log.20261107T000000Z.1"));
    /* One millisecond later it is. */
    EXPECT_EQ(logrotate_prune(path, T0 + 1, 30 * DAY_MS), 1);
    EXPECT_FALSE(exists(dir, "access.log.20261107T000000Z.1"));
    EXPECT_TRUE(exists(dir, "access.log.20261107T000001Z"));
    EXPECT_TRUE(exists(dir, "access.log.20261206T000000Z"));
    EXPECT_TRUE(exists(dir, "access.log"));
    EXPECT_TRUE(exists(dir, "access.log.20261001T000000Z.gz"));
    EXPECT_TRUE(exists(dir, "other.log.20261001T000000Z"));

    /* The clock moves a day on: one more goes, then nothing is left to prune. */
    EXPECT_EQ(logrotate_prune(path, T0 + DAY_MS, 30 * DAY_MS), 1);
    EXPECT_EQ(logrotate_prune(path, T0 + DAY_MS, 30 * DAY_MS), 0);
    EXPECT_EQ(logrotate_prune("/nonexistent-dir/access.log", T0, DAY_MS), -ENOENT);

    const char *left[] = { "access.log", "access.log.20261206T000000Z",
                           "access.log.20261001T000000Z.gz", "other.log.20261001T000000Z" };
    for (unsigned i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, left[i]);
        unlink(p);
    }
    EXPECT_EQ(rmdir(dir), 0);
}
