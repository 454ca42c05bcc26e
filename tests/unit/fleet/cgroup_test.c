/* tests/unit/fleet/cgroup_test.c: instance_type becomes cpu.max and memory.max in a
 * delegated cgroup v2 tree (a plain directory tree stands in for cgroupfs); a tree
 * without the controllers enforces nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fleet/cgroup.h"

static void
put(const char *dir, const char *name, const char *text)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
get(const char *dir, const char *name, char *out, size_t n)
{
    char path[700];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    fclose(f);
}

TEST(cgroup_limits_follow_instance_type_where_delegated)
{
    char root[] = "/tmp/tierd-cg-XXXXXX", base[600], dir[700], text[64];
    struct cgroup_tree t;

    assert_non_null(mkdtemp(root));
    snprintf(base, sizeof(base), "%s/svc", root);
    mkdir(base, 0755);
    put(base, "cgroup.controllers", "cpuset cpu io memory pids\n");

    EXPECT_EQ(cgroup_probe(&t, root, "/svc", false), 0);
    EXPECT_TRUE(t.enabled);
    get(base, "cgroup.subtree_control", text, sizeof(text));
    EXPECT_STREQ(text, "+cpu +memory");
    int fd = cgroup_instance_create(&t, "i-1", 500, 512ull << 20);
    EXPECT_TRUE(fd >= 0);
    close(fd);
    cgroup_instance_dir(&t, "i-1", dir, sizeof(dir));
    get(dir, "cpu.max", text, sizeof(text));
    EXPECT_STREQ(text, "50000 100000");         /* half a CPU per 100 ms */
    get(dir, "memory.max", text, sizeof(text));
    EXPECT_STREQ(text, "536870912");

    /* Without the memory controller nothing is enforced, and nothing is created. */
    put(base, "cgroup.controllers", "cpu io pids\n");
    EXPECT_EQ(cgroup_probe(&t, root, "/svc", false), 0);
    EXPECT_FALSE(t.enabled);
    EXPECT_EQ(cgroup_instance_create(&t, "i-2", 500, 0), -1);
    snprintf(dir, sizeof(dir), "%s/i-2", base);
    EXPECT_TRUE(access(dir, F_OK) != 0);

    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    EXPECT_EQ(system(cmd), 0);
}
