/* tests/unit/fleet/cgroup_test.c: instance_type becomes cpu.max and memory.max in a
 * delegated cgroup v2 tree (a plain directory tree stands in for cgroupfs); what cannot be
 * applied comes with a reason naming the controller, the cgroup and the file; tierd works
 * in a tierd-<pid> subtree of its own, moving itself into a supervisor leaf except at the
 * hierarchy's root, and removes the subtrees of tierds that are gone. */
#include <errno.h>
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

static void
rm_rf(const char *dir)
{
    char cmd[700];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    EXPECT_EQ(system(cmd), 0);
}

/* A delegated cgroup below the root: it has a cgroup.type, the root has none. Also makes
 * the tierd-<pid> child as cgroupfs would, with what dir's subtree_control gives it. */
static void
make_cgroup(const char *dir, const char *controllers, char *base, size_t n)
{
    mkdir(dir, 0755);
    put(dir, "cgroup.type", "domain\n");
    put(dir, "cgroup.controllers", controllers);
    snprintf(base, n, "%s/tierd-%ld", dir, (long)getpid());
    mkdir(base, 0755);
    put(base, "cgroup.controllers", controllers);
}

TEST(cgroup_limits_follow_instance_type_where_delegated)
{
    char root[] = "/tmp/tierd-cg-XXXXXX", svc[64], base[600], dir[700], text[64];
    char why[CGROUP_WHY_MAX];
    struct cgroup_tree t;

    assert_non_null(mkdtemp(root));
    snprintf(svc, sizeof(svc), "%s/svc", root);
    make_cgroup(svc, "cpuset cpu io memory pids\n", base, sizeof(base));

    EXPECT_EQ(cgroup_probe(&t, root, "/svc", true), 0);
    EXPECT_TRUE(t.enabled && t.cpu && t.memory);
    EXPECT_STREQ(t.base, base);
    get(svc, "supervisor/cgroup.procs", text, sizeof(text));
    EXPECT_STREQ(text, "0");                    /* tierd moved itself out of svc */
    int fd = cgroup_instance_create(&t, "i-1", 500, 512ull << 20, why, sizeof(why));
    EXPECT_TRUE(fd >= 0);
    EXPECT_STREQ(why, "");                      /* every limit written */
    close(fd);
    cgroup_instance_dir(&t, "i-1", dir, sizeof(dir));
    get(dir, "cpu.max", text, sizeof(text));
    EXPECT_STREQ(text, "50000 100000");         /* half a CPU per 100 ms */
    get(dir, "memory.max", text, sizeof(text));
    EXPECT_STREQ(text, "536870912");
    EXPECT_EQ(cgroup_instance_kill(&t, "i-1"), 0);
    rm_rf(root);
}

TEST(cgroup_says_why_a_limit_cannot_be_applied)
{
    char root[] = "/tmp/tierd-cg-XXXXXX", svc[64], base[600], path[700];
    char why[CGROUP_WHY_MAX];
    struct cgroup_tree t;
    int fd;

    assert_non_null(mkdtemp(root));
    snprintf(svc, sizeof(svc), "%s/svc", root);
    make_cgroup(svc, "cpu io pids\n", base, sizeof(base));

    /* Without the memory controller the instance is still contained, and memory only is
     * not enforced, for a reason that names the controller and the cgroup. */
    EXPECT_EQ(cgroup_probe(&t, root, "/svc", false), 0);
    EXPECT_TRUE(t.enabled && t.cpu && !t.memory);
    fd = cgroup_instance_create(&t, "i-2", 500, 64ull << 20, why, sizeof(why));
    EXPECT_TRUE(fd >= 0);
    close(fd);
    snprintf(path, sizeof(path), "the memory controller is not available in %s "
             "(cgroup.controllers: cpu io pids): its parent cgroup does not delegate it", svc);
    EXPECT_TRUE(strncmp(why, path, strlen(path)) == 0);
    fd = cgroup_instance_create(&t, "i-3", 500, 0, why, sizeof(why));
    EXPECT_TRUE(fd >= 0);
    EXPECT_STREQ(why, "");                      /* cpu alone is enforced */
    close(fd);

    /* A write that fails names the file, the value and the error. */
    snprintf(path, sizeof(path), "%s/i-4", base);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/i-4/cpu.max", base);
    mkdir(path, 0755);                          /* opening it for writing fails: EISDIR */
    fd = cgroup_instance_create(&t, "i-4", 250, 0, why, sizeof(why));
    EXPECT_TRUE(fd >= 0);
    close(fd);
    snprintf(path, sizeof(path), "cannot write \"25000 100000\" to %s/i-4/cpu.max: %s", base,
             strerror(EISDIR));
    EXPECT_STREQ(why, path);

    /* No delegated tree at all: nothing is created, and the reason says what to do. */
    EXPECT_EQ(cgroup_probe(&t, root, "/absent", false), 0);
    EXPECT_FALSE(t.enabled);
    EXPECT_TRUE(cgroup_instance_create(&t, "i-5", 500, 0, why, sizeof(why)) < 0);
    EXPECT_TRUE(strstr(why, "is not delegated to it") != NULL);
    EXPECT_TRUE(strstr(why, "Delegate=yes") != NULL);
    /* No limits asked for: no reason either. */
    EXPECT_TRUE(cgroup_instance_create(&t, "i-6", 0, 0, why, sizeof(why)) < 0);
    EXPECT_STREQ(why, "");
    rm_rf(root);
}

TEST(cgroup_at_the_root_uses_a_subtree_of_its_own_and_sweeps_stale_ones)
{
    char root[] = "/tmp/tierd-cg-XXXXXX", own[600], path[700], why[CGROUP_WHY_MAX];
    struct cgroup_tree t;

    assert_non_null(mkdtemp(root));
    put(root, "cgroup.controllers", "cpu memory\n");    /* the root: no cgroup.type */
    snprintf(own, sizeof(own), "%s/tierd-%ld", root, (long)getpid());
    mkdir(own, 0755);
    put(own, "cgroup.controllers", "cpu\n");   /* what the root's subtree_control gives */
    /* Left by a tierd that is gone (no such pid), and one by a live process (pid 1). */
    snprintf(path, sizeof(path), "%s/tierd-999999999", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/tierd-999999999/i-old", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/tierd-1", root);
    mkdir(path, 0755);

    EXPECT_EQ(cgroup_probe(&t, root, "/", true), 0);   /* nothing to move at the root */
    EXPECT_TRUE(t.enabled && t.cpu && !t.memory);
    EXPECT_STREQ(t.base, own);
    snprintf(path, sizeof(path), "%s/tierd-999999999", root);
    EXPECT_TRUE(access(path, F_OK) != 0);
    snprintf(path, sizeof(path), "%s/tierd-1", root);
    EXPECT_TRUE(access(path, F_OK) == 0);
    snprintf(path, sizeof(path), "%s/supervisor", root);
    EXPECT_TRUE(access(path, F_OK) != 0);
    snprintf(path, sizeof(path), "the memory controller is not available in %s", own);
    EXPECT_TRUE(strncmp(t.memory_why, path, strlen(path)) == 0);

    int fd = cgroup_instance_create(&t, "i-1", 0, 0, why, sizeof(why));
    EXPECT_TRUE(fd >= 0);
    close(fd);
    snprintf(path, sizeof(path), "%s/i-1", own);
    EXPECT_TRUE(access(path, F_OK) == 0);
    rm_rf(root);
}
