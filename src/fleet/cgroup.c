/*
 * fleet/cgroup.c: per-instance cgroup v2 cgroups (see cgroup.h). File writes only; owns
 * nothing but the directories it creates. Everything it reports as a reason names the
 * file and what would make it work, because the fleet shows it to the operator as is.
 */
#include "fleet/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define CGROUP_KILL_ROUNDS 8       /* without cgroup.kill: rounds over cgroup.procs */

static int
cgroup_write(const char *dir, const char *name, const char *text)
{
    char path[700];
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* O_CREAT is harmless on cgroupfs (the files exist) and lets tests use a plain tree. */
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (write(fd, text, strlen(text)) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* The first line of dir/name into out ("" when unreadable); 0 or a negative errno. */
static int
cgroup_read_line(const char *dir, const char *name, char *out, size_t n)
{
    char path[700];
    FILE *f;

    out[0] = '\0';
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "re")))
        return -errno;
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

static bool
cgroup_has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

/* The mount point of the cgroup2 hierarchy and the cgroup it shows as its root (a bind
 * mount of a subtree shows that subtree's path). 0, or -ENOENT when none is mounted. */
static int
cgroup_mount_find(char *mnt, size_t mnt_len, char *mroot, size_t mroot_len)
{
    char line[1024];
    FILE *f = fopen("/proc/self/mountinfo", "re");
    int rc = -ENOENT;

    if (!f)
        return -errno;
    /* "36 25 0:31 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw": fields 4 and 5, and
     * the type after " - ". Paths with spaces are escaped (\040); we do not unescape. */
    while (rc < 0 && fgets(line, sizeof(line), f)) {
        char r[512], m[512], *dash = strstr(line, " - ");
        if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0)
            continue;
        if (sscanf(line, "%*s %*s %*s %511s %511s", r, m) == 2) {
            snprintf(mnt, mnt_len, "%s", m);
            snprintf(mroot, mroot_len, "%s", r);
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

/* Enables controller `ctl` for the children of dir, or says why it cannot be. */
static bool
cgroup_enable(const char *dir, bool at_root, const char *ctl, char *why, size_t why_len)
{
    char have[256];
    char plus[32];
    int rc;

    cgroup_read_line(dir, "cgroup.controllers", have, sizeof(have));
    if (!cgroup_has_word(have, ctl) && at_root) {
        snprintf(why, why_len, "the %s controller is not available in cgroup v2 at %s "
                 "(cgroup.controllers: %s): a cgroup v1 hierarchy holds it; boot with "
                 "systemd.unified_cgroup_hierarchy=1", ctl, dir, have[0] ? have : "none");
        return false;
    }
    if (!cgroup_has_word(have, ctl)) {
        snprintf(why, why_len, "the %s controller is not available in %s (cgroup.controllers: "
                 "%s): its parent cgroup does not delegate it; enable %s in the parent's "
                 "cgroup.subtree_control (systemd: Delegate=yes)", ctl, dir,
                 have[0] ? have : "none", ctl);
        return false;
    }
    snprintf(plus, sizeof(plus), "+%s", ctl);
    if ((rc = cgroup_write(dir, "cgroup.subtree_control", plus)) < 0) {
        snprintf(why, why_len, "cannot enable the %s controller in %s/cgroup.subtree_control: "
                 "%s%s", ctl, dir, strerror(-rc),
                 rc == -EBUSY ? " (processes other than tierd are in that cgroup)" : "");
        return false;
    }
    return true;
}

/* Removes the tierd-<pid> subtrees of tierds that are gone (killed before they could
 * clean up). Their instances died with them (parent-death signal), except what
 * escaped their process group, which cgroup.kill ends now. A pid that is alive again is
 * left alone: a later start cleans it. */
static void
cgroup_sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char *end, path[700], proc[64];
        if (strncmp(e->d_name, "tierd-", 6) != 0)
            continue;
        long pid = strtol(e->d_name + 6, &end, 10);
        snprintf(proc, sizeof(proc), "/proc/%ld", pid);
        if (*end || pid <= 0 || pid == getpid() || access(proc, F_OK) == 0)
            continue;
        snprintf(path, sizeof(path), "%.400s/%.200s", dir, e->d_name);
        DIR *sub = opendir(path);
        struct dirent *s;
        while (sub && (s = readdir(sub))) {
            char child[1000];
            snprintf(child, sizeof(child), "%s/%s", path, s->d_name);
            if (s->d_name[0] == '.' || s->d_type != DT_DIR)
                continue;
            char kill_path[1100];
            snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", child);
            if (access(kill_path, W_OK) == 0)
                cgroup_write(child, "cgroup.kill", "1");
            /* The killed take a moment to leave; a later start retries what is left. */
            for (int i = 0; i < 20 && rmdir(child) < 0 && errno == EBUSY; i++)
                nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
        }
        if (sub)
            closedir(sub);
        if (rmdir(path) == 0)
            log_info("fleet", "removed cgroup %s of a tierd that is gone", path);
    }
    closedir(d);
}

int
cgroup_probe(struct cgroup_tree *t, const char *root, const char *self, bool move_self)
{
    char line[512] = "", mnt[512] = "", mroot[512] = "/", dir[480], path[600];
    FILE *f;
    int rc;

    memset(t, 0, sizeof(*t));
    if (!root) {
        if (cgroup_mount_find(mnt, sizeof(mnt), mroot, sizeof(mroot)) < 0) {
            snprintf(t->why, sizeof(t->why), "cgroup v2 is not mounted on this host (no "
                     "cgroup2 in /proc/self/mountinfo); mount it or boot with "
                     "systemd.unified_cgroup_hierarchy=1");
            goto off;
        }
        root = mnt;
    }
    if (!self) {
        if ((f = fopen("/proc/self/cgroup", "re"))) {
            while (fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0)
                    break;
            fclose(f);
        }
        if (strncmp(line, "0::", 3) != 0) {
            snprintf(t->why, sizeof(t->why), "tierd is in no cgroup v2 cgroup (/proc/self/"
                     "cgroup has no 0:: line)");
            goto off;
        }
        line[strcspn(line, "\n")] = '\0';
        self = line + 3;
    }
    /* A bind mount of a subtree: its root is that subtree. */
    size_t skip = strcmp(mroot, "/") != 0 && strncmp(self, mroot, strlen(mroot)) == 0
                      ? strlen(mroot) : 0;
    if ((size_t)snprintf(dir, sizeof(dir), "%s%s", root,
                         strcmp(self + skip, "/") == 0 ? "" : self + skip) >= sizeof(dir)) {
        snprintf(t->why, sizeof(t->why), "tierd's cgroup path is too long: %.160s", self);
        goto off;
    }
    if (access(dir, W_OK) != 0) {
        snprintf(t->why, sizeof(t->why), "tierd's cgroup %.120s is not delegated to it (%s): run "
                 "tierd as a systemd unit with Delegate=yes, or in a container that owns its "
                 "cgroup tree", dir, strerror(errno));
        goto off;
    }
    /* The hierarchy's root has no cgroup.type; every other cgroup has one. The root is
     * exempt from the no-internal-processes rule, so tierd stays there. */
    snprintf(path, sizeof(path), "%s/cgroup.type", dir);
    bool at_root = access(path, F_OK) != 0;
    snprintf(path, sizeof(path), "%s/supervisor", dir);
    if (!at_root && move_self && (((rc = mkdir(path, 0755)) < 0 && errno != EEXIST) ||
                                  (rc = cgroup_write(path, "cgroup.procs", "0")) < 0)) {
        snprintf(t->why, sizeof(t->why), "cannot move tierd into %.160s: %s", path,
                 strerror(rc == -1 ? errno : -rc));
        goto off;
    }
    cgroup_sweep_stale(dir);
    snprintf(t->base, sizeof(t->base), "%s/tierd-%ld", dir, (long)getpid());
    if (mkdir(t->base, 0755) < 0 && errno != EEXIST) {
        snprintf(t->why, sizeof(t->why), "cannot create cgroup %.160s: %s", t->base,
                 strerror(errno));
        goto off;
    }
    t->enabled = true;
    /* tierd's cgroup gives the controllers to base, and base to the instances. */
    t->cpu = cgroup_enable(dir, at_root, "cpu", t->cpu_why, sizeof(t->cpu_why)) &&
             cgroup_enable(t->base, false, "cpu", t->cpu_why, sizeof(t->cpu_why));
    t->memory = cgroup_enable(dir, at_root, "memory", t->memory_why, sizeof(t->memory_why)) &&
                cgroup_enable(t->base, false, "memory", t->memory_why, sizeof(t->memory_why));
    log_info("fleet", "instance cgroups under %s: cpu limits %s, memory limits %s", t->base,
             t->cpu ? "enforced" : "not enforced", t->memory ? "enforced" : "not enforced");
    return 0;
off:
    snprintf(t->cpu_why, sizeof(t->cpu_why), "%s", t->why);
    snprintf(t->memory_why, sizeof(t->memory_why), "%s", t->why);
    log_info("fleet", "no instance cgroups: %s", t->why);
    return 0;
}

void
cgroup_tree_fini(struct cgroup_tree *t)
{
    if (t->enabled)
        rmdir(t->base);
    t->enabled = false;
}

void
cgroup_instance_dir(const struct cgroup_tree *t, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", t->base, id);
}

int
cgroup_instance_create(const struct cgroup_tree *t, const char *id, unsigned cpu_milli,
                       uint64_t memory_bytes, char *why, size_t why_len)
{
    char dir[640], text[64], path[700];
    int fd, rc;

    why[0] = '\0';
    if (!t->enabled) {
        if (cpu_milli || memory_bytes)
            snprintf(why, why_len, "%s", t->why);
        return -ENOTSUP;
    }
    cgroup_instance_dir(t, id, dir, sizeof(dir));
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(why, why_len, "cannot create cgroup %s: %s", dir, strerror(-rc));
        return rc;
    }
    /* cpu.max is "quota period": cpu 0.5 = 50 ms of CPU per 100 ms. */
    if (cpu_milli) {
        snprintf(text, sizeof(text), "%u 100000", cpu_milli * 100);
        if (!t->cpu)
            snprintf(why, why_len, "%s", t->cpu_why);
        else if ((rc = cgroup_write(dir, "cpu.max", text)) < 0)
            snprintf(why, why_len, "cannot write \"%s\" to %s/cpu.max: %s", text, dir,
                     strerror(-rc));
    }
    if (memory_bytes && !why[0]) {
        snprintf(text, sizeof(text), "%llu", (unsigned long long)memory_bytes);
        if (!t->memory)
            snprintf(why, why_len, "%s", t->memory_why);
        else if ((rc = cgroup_write(dir, "memory.max", text)) < 0)
            snprintf(why, why_len, "cannot write \"%s\" to %s/memory.max: %s", text, dir,
                     strerror(-rc));
    }
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        if (!why[0])
            snprintf(why, why_len, "cannot open %s: %s", path, strerror(-rc));
        rmdir(dir);
        return rc;
    }
    return fd;
}

int
cgroup_instance_kill(const struct cgroup_tree *t, const char *id)
{
    char dir[640], path[700];

    if (!t->enabled)
        return -ENOTSUP;
    cgroup_instance_dir(t, id, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
    /* cgroup.kill exists from Linux 5.14; before, cgroupfs refuses to create it. */
    if (access(path, F_OK) == 0 || access(dir, F_OK) != 0)
        return cgroup_write(dir, "cgroup.kill", "1");
    /* The fallback races with forks; a few rounds catch a fork bomb's survivors. */
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    for (int round = 0; round < CGROUP_KILL_ROUNDS; round++) {
        FILE *f = fopen(path, "re");
        long pid;
        unsigned n = 0;
        if (!f)
            return -errno;
        /* Never 0 or ourselves: kill(0) would hit tierd's own process group. */
        while (fscanf(f, "%ld", &pid) == 1)
            if (pid > 0 && pid != getpid())
                n += kill((pid_t)pid, SIGKILL) == 0;
        fclose(f);
        if (n == 0)
            break;
    }
    return 0;
}

int
cgroup_instance_remove(const struct cgroup_tree *t, const char *id)
{
    char dir[640];

    if (!t->enabled)
        return 0;
    cgroup_instance_dir(t, id, dir, sizeof(dir));
    if (rmdir(dir) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}
